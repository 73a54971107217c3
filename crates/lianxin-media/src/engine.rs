//! The media engine: sockets, the pacing thread, and the handles the hotline and the dialer
//! hold.
//!
//! # Shape
//!
//! - **One pacing thread** owns every session's state (a map keyed by session id). It wakes
//!   on the shared 20 ms grid of [`Pacer`](crate::pacer::Pacer), applies queued commands, feeds received packets
//!   to their sessions, then sends every active stream's next frame in one pass. 800 notice
//!   calls cost one wake-up per 20 ms, not 800 sleeping tasks. It is a plain OS thread so
//!   its timing does not depend on how busy the tokio workers are.
//! - **The pacing thread also reads**: right before each tick it drains every session's
//!   RTP socket with one `recvmmsg` call (kernel arrival times, see
//!   [`recv_batch`](crate::recv_batch)), and reads RTCP once a second. No task, wake-up
//!   or copy per packet: with 800 calls echoing audio that halved the receive cost.
//! - **Handles** ([`MediaHandle`], [`MediaSession`]) only send commands over a bounded
//!   channel; they never wait for the pacing thread except in [`MediaSession::close`] and
//!   [`MediaSession::stats`]. Events come back on a bounded per-session channel; if its owner
//!   stops reading, events are dropped with a log line, never waited for.
//!
//! Received audio goes through a [`JitterBuffer`](crate::jitter::JitterBuffer) only when something consumes it (a
//! recording or a bridged session), so a notice call costs nothing on the receive side
//! beyond statistics.
//!
//! # Layout
//! This module holds the handles; [`config`](crate::config) the settings,
//! [`session`](crate::session) the types a session is given and gives back, `channel` the
//! commands, `recv_batch` the socket reads, `worker` the pacing thread, `liveness` its
//! heartbeat ([`MediaHandle::alive`], [`MediaHandle::stopped`]). Only `channel` and
//! `worker` read the clock, and the handle when asked whether the thread is alive.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{self, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{mpsc as tmpsc, oneshot};

use crate::channel::{Command, NewSession, Shared};
use crate::liveness::Heartbeat;
use crate::prompt::{Prompt, PromptError, PromptLibrary, FRAME_DURATION};
use crate::record::{Channels, Recorder};
use crate::recv_batch::enable_timestamps;
use crate::rtp::SessionStats;
use crate::worker::Worker;

pub use crate::config::MediaConfig;
pub use crate::session::{Closed, MediaError, MediaEvent, PlayItem, Recorded, SessionParams};

/// Starts the engine.
#[derive(Debug)]
pub struct MediaEngine;

impl MediaEngine {
    /// Starts the pacing thread (a plain OS thread; no runtime needed, though handles'
    /// async methods are awaited on one).
    #[allow(clippy::disallowed_methods)] // the heartbeat's origin
    pub fn start(config: MediaConfig) -> Result<MediaHandle, MediaError> {
        let (cmd_tx, cmd_rx) = mpsc::sync_channel(4096);
        let shared = Arc::new(Shared {
            config: config.clone(),
            cmd_tx,
            next_id: AtomicU64::new(1),
            port_rng: Mutex::new(port_rng(config.rng_seed)),
            open: AtomicUsize::new(0),
            inbound_dropped: AtomicU64::new(0),
            ticks_skipped: AtomicU64::new(0),
            heartbeat: Arc::new(Heartbeat::new(Instant::now())),
        });
        let worker = Worker::new(config, cmd_rx, Arc::clone(&shared));
        std::thread::Builder::new()
            .name("lianxin-media".to_owned())
            .spawn(move || worker.run())
            .map_err(MediaError::Thread)?;
        Ok(MediaHandle { shared })
    }
}

/// The generator of port choices: seeded (tests) apart from the SSRC generator, else from
/// the OS.
fn port_rng(seed: Option<u64>) -> rand::rngs::StdRng {
    use rand::SeedableRng;
    match seed {
        Some(seed) => rand::rngs::StdRng::seed_from_u64(seed ^ 0x706f_7274_7321),
        None => rand::rngs::StdRng::from_os_rng(),
    }
}

/// The engine, as seen by the hotline and the dialer. Cheap to clone.
#[derive(Clone)]
pub struct MediaHandle {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for MediaHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MediaHandle")
            .field("open_sessions", &self.open_sessions())
            .finish()
    }
}

impl MediaHandle {
    /// Creates the WAV file for a recording with the engine's flush interval (blocking:
    /// it creates the file; run it off any event loop, e.g. in `spawn_blocking`), to be
    /// started with [`MediaSession::record_into`].
    pub fn recorder(
        &self,
        path: &Path,
        max: Duration,
        channels: Channels,
    ) -> Result<Recorder, MediaError> {
        let flush = self.shared.config.record_flush;
        Ok(Recorder::create(path, channels, max, flush)?)
    }

    /// Binds a port pair and starts a session. Events arrive on the returned receiver.
    pub fn open(
        &self,
        params: SessionParams,
    ) -> Result<(MediaSession, tmpsc::Receiver<MediaEvent>), MediaError> {
        let shared = &self.shared;
        let limit = shared.config.max_sessions;
        if shared.open.fetch_add(1, Ordering::AcqRel) >= limit {
            shared.open.fetch_sub(1, Ordering::AcqRel);
            return Err(MediaError::TooManySessions(limit));
        }
        let guard = OpenGuard(Some(Arc::clone(shared)));
        let (rtp, rtcp) = shared.bind_pair()?;
        let local = rtp.local_addr().map_err(MediaError::Socket)?;
        rtp.set_nonblocking(true).map_err(MediaError::Socket)?;
        rtcp.set_nonblocking(true).map_err(MediaError::Socket)?;
        if let Err(e) = enable_timestamps(&rtp) {
            // Arrival times then come from the tick that reads them (jitter less exact).
            tracing::debug!(error = %e, "no kernel timestamps on an RTP socket");
        }
        let id = shared.next_id.fetch_add(1, Ordering::Relaxed);
        let (ev_tx, ev_rx) = tmpsc::channel(shared.config.event_capacity.max(1));
        shared.send(Command::Open(Box::new(NewSession {
            id,
            params,
            rtp,
            rtcp,
            events: ev_tx,
        })))?;
        let session = MediaSession {
            id,
            local,
            shared: guard,
            closed: false,
        };
        Ok((session, ev_rx))
    }

    /// A prompt from the configured library.
    pub fn prompt(&self, name: &str) -> Result<Arc<Prompt>, PromptError> {
        self.shared.config.prompts.prompt(name)
    }

    /// The configured prompt library.
    pub fn prompts(&self) -> &Arc<PromptLibrary> {
        &self.shared.config.prompts
    }

    /// Sessions currently open.
    pub fn open_sessions(&self) -> usize {
        self.shared.open.load(Ordering::Acquire)
    }

    /// Received datagrams not handed to a session: longer than any RTP packet, or left in
    /// a socket's kernel buffer because that session hit its per-tick read cap (a flood).
    pub fn inbound_dropped(&self) -> u64 {
        self.shared.inbound_dropped.load(Ordering::Relaxed)
    }

    /// 20 ms ticks the pacing thread gave up because it ran too late (starved of CPU);
    /// should stay 0.
    pub fn ticks_skipped(&self) -> u64 {
        self.shared.ticks_skipped.load(Ordering::Relaxed)
    }

    /// Whether the pacing thread is running and awake within [`STALL`](crate::STALL)
    /// (what `/healthz` reports as `media`).
    #[allow(clippy::disallowed_methods)] // the handle reads the clock for its caller
    pub fn alive(&self) -> bool {
        self.shared.heartbeat.alive(Instant::now())
    }

    /// Whether the pacing thread has ended (returned or panicked): no call has audio any
    /// more, and the server should end so it is restarted.
    pub fn stopped(&self) -> bool {
        self.shared.heartbeat.stopped()
    }

    /// Stops the engine: every session is closed (recordings finalized).
    pub fn shutdown(&self) {
        // A full queue means the worker is alive and will see the disconnect later anyway.
        let _ = self.shared.cmd_tx.try_send(Command::Shutdown);
    }
}

/// Decrements the open-session count when the session (or a failed open) goes away.
struct OpenGuard(Option<Arc<Shared>>);

impl Drop for OpenGuard {
    fn drop(&mut self) {
        if let Some(s) = self.0.take() {
            s.open.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

impl OpenGuard {
    fn shared(&self) -> &Shared {
        // Always Some until drop.
        self.0
            .as_deref()
            .expect("OpenGuard holds the engine until dropped")
    }
}

/// One call's media. Dropping it closes the session (without waiting for its figures).
pub struct MediaSession {
    id: u64,
    local: SocketAddr,
    shared: OpenGuard,
    closed: bool,
}

impl std::fmt::Debug for MediaSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MediaSession")
            .field("id", &self.id)
            .field("local", &self.local)
            .finish()
    }
}

impl MediaSession {
    /// The engine's id for this session (for logs).
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The RTP port to put in our SDP (RTCP is the next port).
    pub fn local_port(&self) -> u16 {
        self.local.port()
    }

    /// The bound RTP address.
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// Sets where to send (from the peer's SDP, e.g. after a re-INVITE).
    pub fn set_remote(&self, addr: SocketAddr) -> Result<(), MediaError> {
        self.send(Command::SetRemote { id: self.id, addr })
    }

    /// Switches the stream's codec and telephone-event payload type, e.g. when the answer
    /// to our offer (PCMU and PCMA) chose A-law, as Chinese carriers usually do. Sequence
    /// numbers, SSRC and timestamps run on; audio received in the old format is dropped.
    pub fn set_format(
        &self,
        codec: crate::g711::Codec,
        telephone_event_pt: Option<u8>,
    ) -> Result<(), MediaError> {
        self.send(Command::SetFormat {
            id: self.id,
            codec,
            telephone_event_pt,
        })
    }

    /// Stops (`false`) or resumes (`true`) sending RTP, e.g. while the peer holds the call
    /// (it answered our offer with `recvonly`/`inactive`, or offered `sendonly`). Play
    /// lists keep running on time while nothing is sent.
    pub fn set_sending(&self, sending: bool) -> Result<(), MediaError> {
        self.send(Command::Sending {
            id: self.id,
            sending,
        })
    }

    /// Replaces what is playing with `items`, played in order from the next 20 ms tick.
    pub fn play(&self, items: Vec<PlayItem>) -> Result<(), MediaError> {
        self.send(Command::Play {
            id: self.id,
            items,
            tag: None,
        })
    }

    /// Like [`MediaSession::play`], but the end is reported as
    /// [`MediaEvent::PlaybackDone`] carrying `tag`.
    pub fn play_tagged(&self, items: Vec<PlayItem>, tag: u64) -> Result<(), MediaError> {
        self.send(Command::Play {
            id: self.id,
            items,
            tag: Some(tag),
        })
    }

    /// Stops playback now (e.g. on a key press); no `PlaybackFinished` follows.
    pub fn stop_playback(&self) -> Result<(), MediaError> {
        self.send(Command::Play {
            id: self.id,
            items: Vec::new(),
            tag: None,
        })
    }

    /// Starts recording to `path` (created now, so errors come back here). This touches
    /// the file system; an event loop that must not wait for the disk creates the file
    /// elsewhere with [`MediaHandle::recorder`] and hands it over with
    /// [`MediaSession::record_into`].
    pub fn record(&self, path: &Path, max: Duration, channels: Channels) -> Result<(), MediaError> {
        let flush = self.shared.shared().config.record_flush;
        let recorder = Recorder::create(path, channels, max, flush)?;
        self.record_into(recorder)
    }

    /// Starts recording into a file already created by [`MediaHandle::recorder`].
    pub fn record_into(&self, recorder: Recorder) -> Result<(), MediaError> {
        self.send(Command::Record {
            id: self.id,
            recorder: Box::new(recorder),
        })
    }

    /// Stops the recording; `RecordingStopped` follows.
    pub fn stop_recording(&self) -> Result<(), MediaError> {
        self.send(Command::StopRecording { id: self.id })
    }

    /// Relays audio both ways between this session and `other` (caller ↔ operator),
    /// transcoding if their codecs differ. A prompt played on either side takes precedence
    /// over the relayed audio while it plays.
    pub fn bridge(&self, other: &MediaSession) -> Result<(), MediaError> {
        self.send(Command::Bridge {
            a: self.id,
            b: other.id,
        })
    }

    /// Ends a bridge (both sides).
    pub fn unbridge(&self) -> Result<(), MediaError> {
        self.send(Command::Unbridge { id: self.id })
    }

    /// Makes this session (a supervisor's phone) hear the conversation between the bridged
    /// sessions `caller` and `operator`, mixed. With `whisper`, what the supervisor says is
    /// mixed into what the operator hears, and the caller does not hear it.
    pub fn monitor(
        &self,
        caller: &MediaSession,
        operator: &MediaSession,
        whisper: bool,
    ) -> Result<(), MediaError> {
        self.send(Command::Monitor {
            id: self.id,
            caller: caller.id,
            operator: operator.id,
            whisper,
        })
    }

    /// The figures so far.
    pub async fn stats(&self) -> Result<SessionStats, MediaError> {
        let (tx, rx) = oneshot::channel();
        self.send(Command::Stats {
            id: self.id,
            reply: tx,
        })?;
        rx.await.map_err(|_| MediaError::Stopped)
    }

    /// Closes the session (finalizing any recording) and returns its figures for the call
    /// log. If the engine is gone, the figures are zero.
    pub async fn close(self) -> SessionStats {
        self.finish().await.stats
    }

    /// Like [`MediaSession::close`], and also reports the recording the close finalized
    /// (path and length from the samples written).
    pub async fn finish(mut self) -> Closed {
        self.closed = true;
        let (tx, rx) = oneshot::channel();
        let cmd = Command::Close {
            id: self.id,
            reply: Some(tx),
        };
        // Closing must not fail on a momentarily full queue.
        let mut cmd = Some(cmd);
        for _ in 0..100 {
            match self
                .shared
                .shared()
                .cmd_tx
                .try_send(cmd.take().expect("set above"))
            {
                Ok(()) => break,
                Err(TrySendError::Full(c)) => {
                    cmd = Some(c);
                    tokio::time::sleep(FRAME_DURATION).await;
                }
                Err(TrySendError::Disconnected(_)) => return Closed::default(),
            }
        }
        rx.await.unwrap_or_default()
    }

    fn send(&self, cmd: Command) -> Result<(), MediaError> {
        self.shared.shared().send(cmd)
    }
}

impl Drop for MediaSession {
    fn drop(&mut self) {
        if !self.closed {
            let _ = self.shared.shared().cmd_tx.try_send(Command::Close {
                id: self.id,
                reply: None,
            });
        }
    }
}

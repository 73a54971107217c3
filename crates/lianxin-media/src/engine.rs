//! The media engine: sockets, the pacing thread, and the handles the hotline and the dialer
//! hold.
//!
//! # Shape
//!
//! - **One pacing thread** owns every session's state (a map keyed by session id). It wakes
//!   on the shared 20 ms grid of [`Pacer`], applies queued commands, feeds received packets
//!   to their sessions, then sends every active stream's next frame in one pass. 800 notice
//!   calls cost one wake-up per 20 ms, not 800 sleeping tasks. It is a plain OS thread so
//!   its timing does not depend on how busy the tokio workers are.
//! - **One small tokio task per session** reads the session's RTP and RTCP sockets and
//!   forwards datagrams (with their arrival time) to the pacing thread over a bounded
//!   channel; RTCP reports are parsed and logged right there.
//! - **Handles** ([`MediaHandle`], [`MediaSession`]) only send commands over a bounded
//!   channel; they never wait for the pacing thread except in [`MediaSession::close`] and
//!   [`MediaSession::stats`]. Events come back on a bounded per-session channel; if its owner
//!   stops reading, events are dropped with a log line, never waited for.
//!
//! Received audio goes through a [`JitterBuffer`] only when something consumes it (a
//! recording or a bridged session), so a notice call costs nothing on the receive side
//! beyond statistics.
//!
//! This is the only module that reads the clock.
#![allow(clippy::disallowed_methods)]

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TryRecvError, TrySendError};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::{mpsc as tmpsc, oneshot};

use crate::g711::{Codec, G711};
use crate::jitter::{JitterBuffer, Popped};
use crate::pacer::Pacer;
use crate::prompt::{Prompt, PromptError, PromptLibrary, FRAME_DURATION, FRAME_SAMPLES};
use crate::record::{Channels, RecordError, Recorder, Written};
use crate::rtcp::{build_sender_report, parse_reports};
use crate::rtp::{Incoming, RtpConfig, RtpSession, SessionStats};

/// Engine settings.
#[derive(Debug, Clone)]
pub struct MediaConfig {
    /// Address RTP sockets bind to.
    pub bind_ip: IpAddr,
    /// Ports for RTP (even) and RTCP (the odd port above); inclusive.
    pub port_range: (u16, u16),
    /// After this long without a packet from the peer, [`MediaEvent::NoMedia`] is sent.
    pub no_media_timeout: Duration,
    /// The prompts sessions may play (see [`MediaHandle::prompt`]).
    pub prompts: Arc<PromptLibrary>,
    /// Most sessions open at once; [`MediaHandle::open`] fails beyond it.
    pub max_sessions: usize,
    /// Capacity of each session's event channel.
    pub event_capacity: usize,
    /// Interval between RTCP sender reports of a sending session.
    pub rtcp_interval: Duration,
    /// Jitter buffer size and pre-fill, in 20 ms frames.
    pub jitter_frames: (usize, usize),
    /// How often recordings patch their WAV header.
    pub record_flush: Duration,
    /// RTCP CNAME.
    pub cname: String,
    /// Seed for SSRCs and initial sequence numbers/timestamps (tests); `None`: from the OS.
    pub rng_seed: Option<u64>,
    /// Run the pacing thread at real-time priority (Linux `SCHED_FIFO`, needs root or
    /// `CAP_SYS_NICE`; if refused, a warning is logged and it runs normally). The thread
    /// sleeps between ticks, so it takes the CPU only for the few milliseconds a tick's sends
    /// need, and other work on a busy machine no longer delays the audio.
    pub realtime: bool,
}

impl MediaConfig {
    /// Defaults: ports 20000–29999, 10 s no-media timeout, 2000 sessions, real-time pacing
    /// thread when the system allows it.
    pub fn new(bind_ip: IpAddr, prompts: Arc<PromptLibrary>) -> MediaConfig {
        MediaConfig {
            bind_ip,
            port_range: (20000, 29999),
            no_media_timeout: Duration::from_secs(10),
            prompts,
            max_sessions: 2000,
            event_capacity: 64,
            rtcp_interval: Duration::from_secs(5),
            jitter_frames: (10, 2),
            record_flush: Duration::from_secs(1),
            cname: "lianxin".to_owned(),
            rng_seed: None,
            realtime: true,
        }
    }
}

/// What a session tells its owner.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum MediaEvent {
    /// A key press (RFC 4733), once per press.
    Dtmf(char),
    /// The play list given to [`MediaSession::play`] ran to its end (not sent when it was
    /// stopped or replaced).
    PlaybackFinished,
    /// The play list given to [`MediaSession::play_tagged`] with this tag ran to its end.
    /// Owners that replace play lists often use tags to tell a stale "finished" (already
    /// queued when they started the next list) from the current one.
    PlaybackDone(u64),
    /// Nothing received for the configured time (one-way audio, or the peer is gone).
    NoMedia,
    /// A recording ended (stopped, reached its maximum, or the session closed).
    RecordingStopped {
        /// The WAV file.
        path: PathBuf,
        /// Its length.
        duration: Duration,
    },
}

/// What a closed session leaves behind: its figures and, when a recording was still
/// running, the finalized file and its length (so nobody re-reads the WAV to learn it).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Closed {
    /// RTP figures for the call log.
    pub stats: SessionStats,
    /// The recording the close finalized, if one was running.
    pub recording: Option<Recorded>,
}

/// A finished recording, as the engine wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// The WAV file.
    pub path: PathBuf,
    /// Its length (samples written at 8 kHz).
    pub duration: Duration,
}

/// Session parameters, from the negotiated SDP.
#[derive(Debug, Clone, Copy)]
pub struct SessionParams {
    /// Audio codec.
    pub codec: Codec,
    /// RFC 4733 payload type, if negotiated.
    pub telephone_event_pt: Option<u8>,
    /// Where to send, from the peer's SDP (may be set later; symmetric RTP corrects it).
    pub remote: Option<SocketAddr>,
}

/// One element of a play list.
#[derive(Debug, Clone)]
pub enum PlayItem {
    /// Play a prompt once.
    Prompt(Arc<Prompt>),
    /// Send silence for a while.
    Silence(Duration),
    /// Repeat a prompt until stopped (hold music); items after it are never reached.
    Loop(Arc<Prompt>),
}

impl PlayItem {
    fn frames(&self) -> usize {
        match self {
            PlayItem::Prompt(p) | PlayItem::Loop(p) => p.frames(),
            PlayItem::Silence(d) => (d.as_millis() / FRAME_DURATION.as_millis()) as usize,
        }
    }

    fn frame(&self, codec: Codec, index: usize) -> Option<&[u8]> {
        match self {
            PlayItem::Prompt(p) => p.frame(codec, index),
            PlayItem::Loop(p) => p.frame(codec, index % p.frames().max(1)),
            PlayItem::Silence(_) => Some(silence(codec)),
        }
    }
}

fn silence(codec: Codec) -> &'static [u8] {
    static ULAW: [u8; FRAME_SAMPLES] = [crate::g711::ULAW_SILENCE; FRAME_SAMPLES];
    static ALAW: [u8; FRAME_SAMPLES] = [crate::g711::ALAW_SILENCE; FRAME_SAMPLES];
    match codec {
        Codec::Pcmu => &ULAW,
        Codec::Pcma => &ALAW,
    }
}

/// Why a media operation failed.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    /// No free even/odd port pair in the configured range.
    #[error("no free RTP port pair in {first}-{last}")]
    NoPort {
        /// First port of the range.
        first: u16,
        /// Last port of the range.
        last: u16,
    },
    /// The session limit is reached.
    #[error("too many media sessions (limit {0})")]
    TooManySessions(usize),
    /// The engine's command queue is full (it is overloaded); try again.
    #[error("media engine is busy")]
    Busy,
    /// The engine has stopped.
    #[error("media engine has stopped")]
    Stopped,
    /// [`MediaEngine::start`] was called outside a tokio runtime.
    #[error("the media engine must be started inside a tokio runtime")]
    NoRuntime,
    /// The pacing thread could not be started.
    #[error("cannot start the media thread: {0}")]
    Thread(std::io::Error),
    /// A socket operation failed.
    #[error("RTP socket: {0}")]
    Socket(std::io::Error),
    /// A recording could not be started.
    #[error(transparent)]
    Record(#[from] RecordError),
    /// A prompt is missing.
    #[error(transparent)]
    Prompt(#[from] PromptError),
}

/// Starts the engine.
#[derive(Debug)]
pub struct MediaEngine;

impl MediaEngine {
    /// Starts the pacing thread; must be called inside a tokio runtime (receive tasks run on
    /// it).
    pub fn start(config: MediaConfig) -> Result<MediaHandle, MediaError> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| MediaError::NoRuntime)?;
        let (cmd_tx, cmd_rx) = mpsc::sync_channel(4096);
        let (in_tx, in_rx) = mpsc::sync_channel(16384);
        let shared = Arc::new(Shared {
            config: config.clone(),
            cmd_tx,
            in_tx,
            runtime,
            next_id: AtomicU64::new(1),
            port_cursor: AtomicUsize::new(0),
            open: AtomicUsize::new(0),
            inbound_dropped: AtomicU64::new(0),
            ticks_skipped: AtomicU64::new(0),
        });
        let worker = Worker::new(config, cmd_rx, in_rx, Arc::clone(&shared));
        std::thread::Builder::new()
            .name("lianxin-media".to_owned())
            .spawn(move || worker.run())
            .map_err(MediaError::Thread)?;
        Ok(MediaHandle { shared })
    }
}

struct Shared {
    config: MediaConfig,
    cmd_tx: SyncSender<Command>,
    in_tx: SyncSender<Inbound>,
    runtime: tokio::runtime::Handle,
    next_id: AtomicU64,
    port_cursor: AtomicUsize,
    open: AtomicUsize,
    inbound_dropped: AtomicU64,
    ticks_skipped: AtomicU64,
}

impl Shared {
    fn send(&self, cmd: Command) -> Result<(), MediaError> {
        self.cmd_tx.try_send(cmd).map_err(|e| match e {
            TrySendError::Full(_) => MediaError::Busy,
            TrySendError::Disconnected(_) => MediaError::Stopped,
        })
    }

    fn bind_pair(&self) -> Result<(UdpSocket, UdpSocket), MediaError> {
        let (first, last) = self.config.port_range;
        let first = first + first % 2;
        let pairs = (last.saturating_sub(first) as usize).div_ceil(2);
        for _ in 0..pairs {
            let n = self.port_cursor.fetch_add(1, Ordering::Relaxed) % pairs.max(1);
            let port = first + 2 * n as u16;
            let Ok(rtp) = UdpSocket::bind((self.config.bind_ip, port)) else {
                continue;
            };
            let Ok(rtcp) = UdpSocket::bind((self.config.bind_ip, port + 1)) else {
                continue;
            };
            return Ok((rtp, rtcp));
        }
        Err(MediaError::NoPort { first, last })
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
        let rtp_rx = rtp.try_clone().map_err(MediaError::Socket)?;
        let rtcp_rx = rtcp.try_clone().map_err(MediaError::Socket)?;
        let id = shared.next_id.fetch_add(1, Ordering::Relaxed);
        let (ev_tx, ev_rx) = tmpsc::channel(shared.config.event_capacity.max(1));
        shared.send(Command::Open(Box::new(NewSession {
            id,
            params,
            rtp,
            rtcp,
            events: ev_tx,
        })))?;
        let in_tx = shared.in_tx.clone();
        let dropped = Arc::clone(shared);
        let task = shared
            .runtime
            .spawn(receive(id, local.port(), rtp_rx, rtcp_rx, in_tx, dropped));
        let session = MediaSession {
            id,
            local,
            shared: guard,
            task: task.abort_handle(),
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

    /// Received datagrams dropped because the engine could not keep up.
    pub fn inbound_dropped(&self) -> u64 {
        self.shared.inbound_dropped.load(Ordering::Relaxed)
    }

    /// 20 ms ticks the pacing thread gave up because it ran too late (starved of CPU);
    /// should stay 0.
    pub fn ticks_skipped(&self) -> u64 {
        self.shared.ticks_skipped.load(Ordering::Relaxed)
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
    task: tokio::task::AbortHandle,
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
        self.task.abort();
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
            self.task.abort();
            let _ = self.shared.shared().cmd_tx.try_send(Command::Close {
                id: self.id,
                reply: None,
            });
        }
    }
}

struct NewSession {
    id: u64,
    params: SessionParams,
    rtp: UdpSocket,
    rtcp: UdpSocket,
    events: tmpsc::Sender<MediaEvent>,
}

enum Command {
    Open(Box<NewSession>),
    Sending {
        id: u64,
        sending: bool,
    },
    SetRemote {
        id: u64,
        addr: SocketAddr,
    },
    Play {
        id: u64,
        items: Vec<PlayItem>,
        tag: Option<u64>,
    },
    Record {
        id: u64,
        recorder: Box<Recorder>,
    },
    StopRecording {
        id: u64,
    },
    Bridge {
        a: u64,
        b: u64,
    },
    Unbridge {
        id: u64,
    },
    Monitor {
        id: u64,
        caller: u64,
        operator: u64,
        whisper: bool,
    },
    Stats {
        id: u64,
        reply: oneshot::Sender<SessionStats>,
    },
    Close {
        id: u64,
        reply: Option<oneshot::Sender<Closed>>,
    },
    Shutdown,
}

struct Inbound {
    id: u64,
    at: Instant,
    from: SocketAddr,
    data: Vec<u8>,
}

/// Reads one session's sockets until aborted.
async fn receive(
    id: u64,
    port: u16,
    rtp: UdpSocket,
    rtcp: UdpSocket,
    to_worker: SyncSender<Inbound>,
    shared: Arc<Shared>,
) {
    let (rtp, rtcp) = match (
        tokio::net::UdpSocket::from_std(rtp),
        tokio::net::UdpSocket::from_std(rtcp),
    ) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => {
            tracing::error!(port, error = %e, "cannot register RTP socket; session receives nothing");
            return;
        }
    };
    let mut buf = vec![0u8; 2048];
    let mut cbuf = vec![0u8; 1500];
    loop {
        tokio::select! {
            r = rtp.recv_from(&mut buf) => match r {
                Ok((n, from)) => {
                    let msg = Inbound { id, at: Instant::now(), from, data: buf[..n].to_vec() };
                    match to_worker.try_send(msg) {
                        Ok(()) => {}
                        Err(TrySendError::Full(_)) => {
                            shared.inbound_dropped.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(TrySendError::Disconnected(_)) => return,
                    }
                }
                // ICMP port unreachable shows up here on Linux; keep reading.
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {}
                Err(e) => {
                    tracing::warn!(port, error = %e, "RTP receive failed; session receives nothing more");
                    return;
                }
            },
            r = rtcp.recv_from(&mut cbuf) => match r {
                Ok((n, from)) => match parse_reports(&cbuf[..n]) {
                    Ok(blocks) => for b in blocks {
                        tracing::debug!(port, %from, fraction_lost = b.fraction_lost,
                            cumulative_lost = b.cumulative_lost, jitter = b.jitter,
                            "RTCP report from peer");
                    },
                    Err(e) => tracing::debug!(port, %from, error = %e, "bad RTCP packet"),
                },
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {}
                Err(e) => {
                    tracing::debug!(port, error = %e, "RTCP receive failed");
                    return;
                }
            },
        }
    }
}

/// A play list being played.
#[derive(Default)]
struct Playback {
    items: VecDeque<PlayItem>,
    pos: usize,
    tag: Option<u64>,
}

impl Playback {
    fn is_active(&self) -> bool {
        !self.items.is_empty()
    }

    /// The next frame, or `None` at the end of the list.
    fn next_frame(&mut self, codec: Codec) -> Option<&[u8]> {
        while let Some(item) = self.items.front() {
            let looping = matches!(item, PlayItem::Loop(_)) && item.frames() > 0;
            if looping || self.pos < item.frames() {
                break;
            }
            self.items.pop_front();
            self.pos = 0;
        }
        let item = self.items.front()?;
        let index = self.pos;
        self.pos += 1;
        item.frame(codec, index)
    }
}

struct Entry {
    rtp: RtpSession,
    port: u16,
    socket: UdpSocket,
    rtcp: UdpSocket,
    events: tmpsc::Sender<MediaEvent>,
    playback: Playback,
    bridge: Option<u64>,
    /// The peer holds the call: nothing is sent.
    held: bool,
    /// Supervision: (caller, operator, whisper) this session listens to.
    monitor: Option<(u64, u64, bool)>,
    jitter: JitterBuffer,
    recorder: Option<Box<Recorder>>,
    /// What the peer said this tick (decoded), when something consumes it.
    heard: Option<[i16; FRAME_SAMPLES]>,
    /// Audio relayed from the bridged session this tick.
    relay: Option<[i16; FRAME_SAMPLES]>,
    next_rtcp: Instant,
}

impl Entry {
    fn consumes_audio(&self) -> bool {
        self.recorder.is_some()
            || self.bridge.is_some()
            || self.monitor.is_some_and(|(_, _, whisper)| whisper)
    }

    fn emit(&self, event: MediaEvent) {
        match self.events.try_send(event) {
            Ok(()) | Err(tmpsc::error::TrySendError::Closed(_)) => {}
            Err(tmpsc::error::TrySendError::Full(ev)) => {
                tracing::warn!(port = self.port, event = ?ev, "media event dropped: owner is not reading");
            }
        }
    }

    /// Finalizes the recording, if any, and reports it (event and return value).
    fn stop_recording(&mut self) -> Option<Recorded> {
        let mut rec = self.recorder.take()?;
        // What is still in the jitter buffer belongs to the recording.
        let codec = self.rtp.codec();
        for slot in self.jitter.drain() {
            let mut pcm = [0i16; FRAME_SAMPLES];
            if let Some(f) = slot {
                codec.decode_into(&f, &mut pcm);
            }
            if let Ok(Written::Full) | Err(_) = rec.write_frame(&pcm, None) {
                break;
            }
        }
        let path = rec.path().to_path_buf();
        match rec.finalize() {
            Ok(duration) => {
                tracing::info!(port = self.port, path = %path.display(), ?duration, "recording stopped");
                self.emit(MediaEvent::RecordingStopped {
                    path: path.clone(),
                    duration,
                });
                Some(Recorded { path, duration })
            }
            Err(e) => {
                tracing::error!(port = self.port, error = %e, "recording could not be finalized");
                None
            }
        }
    }
}

struct Worker {
    config: MediaConfig,
    cmd_rx: Receiver<Command>,
    in_rx: Receiver<Inbound>,
    shared: Arc<Shared>,
    sessions: HashMap<u64, Entry>,
    pacer: Pacer,
    rng: rand::rngs::StdRng,
    buf: Vec<u8>,
    rtcp_buf: Vec<u8>,
    order: Vec<u64>,
    stopping: bool,
}

impl Worker {
    fn new(
        config: MediaConfig,
        cmd_rx: Receiver<Command>,
        in_rx: Receiver<Inbound>,
        shared: Arc<Shared>,
    ) -> Worker {
        use rand::SeedableRng;
        let rng = match config.rng_seed {
            Some(seed) => rand::rngs::StdRng::seed_from_u64(seed),
            None => rand::rngs::StdRng::from_os_rng(),
        };
        Worker {
            config,
            cmd_rx,
            in_rx,
            // `Shared` holds a command sender, so the channel never disconnects while the
            // worker holds it: `run` exits when the worker's is the last reference.
            shared,
            sessions: HashMap::new(),
            pacer: Pacer::new(Instant::now(), FRAME_DURATION, 5),
            rng,
            buf: vec![0u8; 1500],
            rtcp_buf: Vec::with_capacity(128),
            order: Vec::new(),
            stopping: false,
        }
    }

    fn run(mut self) {
        tracing::debug!("media pacing thread started");
        if self.config.realtime {
            set_realtime_priority();
        }
        loop {
            if self.sessions.is_empty() {
                if self.stopping || Arc::strong_count(&self.shared) == 1 {
                    break;
                }
                // Idle: block until a command arrives, then restart the grid.
                match self.cmd_rx.recv_timeout(Duration::from_millis(200)) {
                    Ok(cmd) => {
                        self.pacer = Pacer::new(Instant::now(), FRAME_DURATION, 5);
                        self.handle_command(cmd);
                    }
                    Err(mpsc::RecvTimeoutError::Timeout) => continue,
                    Err(mpsc::RecvTimeoutError::Disconnected) => break,
                }
            }
            let deadline = self.pacer.poll_timeout();
            let now = Instant::now();
            if deadline > now {
                std::thread::sleep(deadline - now);
            }
            let now = Instant::now();
            loop {
                match self.cmd_rx.try_recv() {
                    Ok(cmd) => self.handle_command(cmd),
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Disconnected) => {
                        self.stopping = true;
                        break;
                    }
                }
            }
            while let Ok(msg) = self.in_rx.try_recv() {
                self.handle_inbound(msg);
            }
            let due = self.pacer.handle_timeout(now);
            if due.skipped > 0 {
                tracing::warn!(
                    skipped = due.skipped,
                    "media thread fell behind; frames skipped"
                );
            }
            for tick in due.ticks() {
                self.tick(tick);
            }
            self.housekeeping(now, due.first + due.count);
            if self.stopping {
                let ids: Vec<u64> = self.sessions.keys().copied().collect();
                for id in ids {
                    self.close(id, None);
                }
                break;
            }
        }
        tracing::debug!("media pacing thread stopped");
    }

    fn handle_command(&mut self, cmd: Command) {
        match cmd {
            Command::Open(new) => self.open(*new),
            Command::Sending { id, sending } => {
                if let Some(e) = self.sessions.get_mut(&id) {
                    e.held = !sending;
                }
            }
            Command::SetRemote { id, addr } => {
                if let Some(e) = self.sessions.get_mut(&id) {
                    e.rtp.set_remote(addr);
                }
            }
            Command::Play { id, items, tag } => {
                if let Some(e) = self.sessions.get_mut(&id) {
                    e.playback = Playback {
                        items: items.into(),
                        pos: 0,
                        tag,
                    };
                }
            }
            Command::Record { id, recorder } => {
                if let Some(e) = self.sessions.get_mut(&id) {
                    let _ = e.stop_recording();
                    tracing::info!(port = e.port, path = %recorder.path().display(), "recording started");
                    e.recorder = Some(recorder);
                }
            }
            Command::StopRecording { id } => {
                if let Some(e) = self.sessions.get_mut(&id) {
                    let _ = e.stop_recording();
                }
            }
            Command::Bridge { a, b } => {
                if a == b || !self.sessions.contains_key(&a) || !self.sessions.contains_key(&b) {
                    return;
                }
                self.unbridge(a);
                self.unbridge(b);
                if let Some(e) = self.sessions.get_mut(&a) {
                    e.bridge = Some(b);
                }
                if let Some(e) = self.sessions.get_mut(&b) {
                    e.bridge = Some(a);
                }
            }
            Command::Unbridge { id } => self.unbridge(id),
            Command::Monitor {
                id,
                caller,
                operator,
                whisper,
            } => {
                let known = [caller, operator]
                    .iter()
                    .all(|k| *k != id && self.sessions.contains_key(k));
                if let (true, Some(e)) = (known, self.sessions.get_mut(&id)) {
                    tracing::info!(port = e.port, whisper, "supervisor monitoring a call");
                    e.monitor = Some((caller, operator, whisper));
                }
            }
            Command::Stats { id, reply } => {
                if let Some(e) = self.sessions.get(&id) {
                    let _ = reply.send(e.rtp.stats());
                }
            }
            Command::Close { id, reply } => self.close(id, reply),
            Command::Shutdown => self.stopping = true,
        }
    }

    fn open(&mut self, new: NewSession) {
        let port = new.rtp.local_addr().map(|a| a.port()).unwrap_or(0);
        let config = RtpConfig {
            codec: new.params.codec,
            telephone_event_pt: new.params.telephone_event_pt,
            no_media_timeout: self.config.no_media_timeout,
        };
        let now = Instant::now();
        let rtp = RtpSession::new(
            config,
            &mut self.rng,
            new.params.remote,
            now,
            self.pacer.next_tick(),
        );
        let (cap, prefill) = self.config.jitter_frames;
        // Stagger sender reports so 800 sessions do not report in the same tick.
        let stagger = Duration::from_millis(new.id % 5000);
        self.sessions.insert(
            new.id,
            Entry {
                rtp,
                port,
                socket: new.rtp,
                rtcp: new.rtcp,
                events: new.events,
                playback: Playback::default(),
                bridge: None,
                held: false,
                monitor: None,
                jitter: JitterBuffer::new(cap, prefill),
                recorder: None,
                heard: None,
                relay: None,
                next_rtcp: now + self.config.rtcp_interval + stagger,
            },
        );
        self.order = self.sessions.keys().copied().collect();
    }

    fn unbridge(&mut self, id: u64) {
        let peer = self.sessions.get_mut(&id).and_then(|e| e.bridge.take());
        if let Some(p) = peer.and_then(|p| self.sessions.get_mut(&p)) {
            p.bridge = None;
        }
    }

    fn close(&mut self, id: u64, reply: Option<oneshot::Sender<Closed>>) {
        self.unbridge(id);
        let Some(mut e) = self.sessions.remove(&id) else {
            if let Some(r) = reply {
                let _ = r.send(Closed::default());
            }
            return;
        };
        let recording = e.stop_recording();
        let stats = e.rtp.stats();
        tracing::debug!(port = e.port, ?stats, "media session closed");
        if let Some(r) = reply {
            let _ = r.send(Closed { stats, recording });
        }
        self.order = self.sessions.keys().copied().collect();
    }

    fn handle_inbound(&mut self, msg: Inbound) {
        let Some(e) = self.sessions.get_mut(&msg.id) else {
            return;
        };
        match e.rtp.handle_packet(msg.at, msg.from, &msg.data) {
            Ok(Incoming::Audio { seq, payload }) => {
                if e.consumes_audio() {
                    e.jitter.push(seq, payload);
                }
            }
            Ok(Incoming::Key(Some(k))) => {
                tracing::debug!(port = e.port, key = %k, "key press");
                e.emit(MediaEvent::Dtmf(k));
            }
            Ok(Incoming::Key(None)) => {}
            Err(err) => tracing::trace!(port = e.port, error = %err, "RTP packet rejected"),
        }
    }

    /// One 20 ms tick: every session's received frame, then every session's sent frame.
    fn tick(&mut self, tick: u64) {
        // 1. What each consuming session heard this tick.
        for e in self.sessions.values_mut() {
            e.heard = None;
            e.relay = None;
            if !e.consumes_audio() {
                continue;
            }
            match e.jitter.pop() {
                Popped::Frame(f) => {
                    let mut pcm = [0i16; FRAME_SAMPLES];
                    e.rtp.codec().decode_into(&f, &mut pcm);
                    e.heard = Some(pcm);
                }
                Popped::Lost => e.heard = Some([0; FRAME_SAMPLES]),
                Popped::Waiting => {}
            }
        }
        // 2. Relay across bridges.
        for i in 0..self.order.len() {
            let id = self.order[i];
            let Some(peer) = self.sessions.get(&id).and_then(|e| e.bridge) else {
                continue;
            };
            let heard = self.sessions.get(&peer).and_then(|p| p.heard);
            if let Some(e) = self.sessions.get_mut(&id) {
                e.relay = heard;
            }
        }
        // 2b. Supervision: the supervisor hears caller + operator; a whisper is added to
        // what the operator hears.
        for i in 0..self.order.len() {
            let id = self.order[i];
            let Some((caller, operator, whisper)) = self.sessions.get(&id).and_then(|e| e.monitor)
            else {
                continue;
            };
            let heard = |k: u64| self.sessions.get(&k).and_then(|e| e.heard);
            let (c, o) = (heard(caller), heard(operator));
            if !self.sessions.contains_key(&caller) || !self.sessions.contains_key(&operator) {
                if let Some(e) = self.sessions.get_mut(&id) {
                    e.monitor = None;
                }
                continue;
            }
            let mixed = mix(c.as_ref(), o.as_ref());
            let whispered = if whisper {
                self.sessions.get(&id).and_then(|e| e.heard)
            } else {
                None
            };
            if let Some(e) = self.sessions.get_mut(&id) {
                e.relay = mixed;
            }
            if let (Some(w), Some(op)) = (whispered, self.sessions.get_mut(&operator)) {
                op.relay = mix(op.relay.as_ref(), Some(&w));
            }
        }
        // 3. Send and record.
        let buf = &mut self.buf;
        for e in self.sessions.values_mut() {
            let codec = e.rtp.codec();
            let was_playing = e.playback.is_active();
            let mut relay_bytes = [0u8; FRAME_SAMPLES];
            let frame: Option<&[u8]> = match e.playback.next_frame(codec) {
                Some(f) => Some(f),
                None => e.relay.as_ref().map(|pcm| {
                    codec.encode_into(pcm, &mut relay_bytes);
                    &relay_bytes[..]
                }),
            };
            let mut sent_pcm = None;
            if let Some(frame) = frame {
                if e.recorder
                    .as_ref()
                    .is_some_and(|r| r.channels() == Channels::CallerOperator)
                {
                    let mut pcm = [0i16; FRAME_SAMPLES];
                    codec.decode_into(frame, &mut pcm);
                    sent_pcm = Some(pcm);
                }
                let sent = if e.held {
                    None
                } else {
                    e.rtp.write_audio(tick, frame, buf)
                };
                if let Some((to, len)) = sent {
                    if let Err(err) = e.socket.send_to(&buf[..len], to) {
                        tracing::trace!(port = e.port, error = %err, "RTP send failed");
                    }
                }
            }
            if was_playing && !e.playback.is_active() {
                e.emit(match e.playback.tag {
                    Some(tag) => MediaEvent::PlaybackDone(tag),
                    None => MediaEvent::PlaybackFinished,
                });
            }
            if let Some(rec) = e.recorder.as_mut() {
                let stereo = rec.channels() == Channels::CallerOperator;
                if e.heard.is_some() || (stereo && sent_pcm.is_some()) {
                    let heard = e.heard.unwrap_or([0; FRAME_SAMPLES]);
                    match rec.write_frame(&heard, sent_pcm.as_ref().map(|p| &p[..])) {
                        Ok(Written::More) => {}
                        Ok(Written::Full) => {
                            let _ = e.stop_recording();
                        }
                        Err(err) => {
                            tracing::error!(port = e.port, error = %err, "recording failed; stopping it");
                            let _ = e.stop_recording();
                        }
                    }
                }
            }
        }
    }

    /// Once per wake-up: one-way-audio checks and RTCP sender reports.
    fn housekeeping(&mut self, now: Instant, next_tick: u64) {
        let mut wallclock = None;
        for e in self.sessions.values_mut() {
            if let Some(nm) = e.rtp.handle_timeout(now) {
                tracing::warn!(
                    port = e.port,
                    remote = ?e.rtp.remote(),
                    silent_s = nm.silent_for.as_secs(),
                    "no RTP received from the peer (one-way audio?)"
                );
                e.emit(MediaEvent::NoMedia);
            }
            if now >= e.next_rtcp {
                e.next_rtcp = now + self.config.rtcp_interval;
                let wc = *wallclock.get_or_insert_with(SystemTime::now);
                if let (Some(info), Some(remote)) =
                    (e.rtp.sender_info(next_tick, wc), e.rtp.remote())
                {
                    let len = build_sender_report(&info, &self.config.cname, &mut self.rtcp_buf);
                    let to = SocketAddr::new(remote.ip(), remote.port().wrapping_add(1));
                    if let Err(err) = e.rtcp.send_to(&self.rtcp_buf[..len], to) {
                        tracing::trace!(port = e.port, error = %err, "RTCP send failed");
                    }
                }
            }
        }
    }
}

/// Sums two frames with saturation (either may be missing).
fn mix(
    a: Option<&[i16; FRAME_SAMPLES]>,
    b: Option<&[i16; FRAME_SAMPLES]>,
) -> Option<[i16; FRAME_SAMPLES]> {
    match (a, b) {
        (None, None) => None,
        (Some(x), None) | (None, Some(x)) => Some(*x),
        (Some(x), Some(y)) => {
            let mut out = [0i16; FRAME_SAMPLES];
            for (o, (p, q)) in out.iter_mut().zip(x.iter().zip(y.iter())) {
                *o = p.saturating_add(*q);
            }
            Some(out)
        }
    }
}

/// Puts the calling thread in `SCHED_FIFO` at a low real-time priority.
#[cfg(target_os = "linux")]
fn set_realtime_priority() {
    let param = libc::sched_param { sched_priority: 10 };
    // SAFETY: pid 0 is the calling thread; `param` is a valid sched_param.
    let rc = unsafe { libc::sched_setscheduler(0, libc::SCHED_FIFO, &param) };
    if rc == 0 {
        tracing::info!("media pacing thread runs at real-time priority (SCHED_FIFO 10)");
    } else {
        tracing::warn!(
            error = %std::io::Error::last_os_error(),
            "cannot give the media pacing thread real-time priority; audio timing may suffer on a busy machine"
        );
    }
}

#[cfg(not(target_os = "linux"))]
fn set_realtime_priority() {
    tracing::warn!("real-time priority for the media thread is only supported on Linux");
}

//! The pacing thread: owns every session's state, wakes on the shared 20 ms grid, applies
//! commands, feeds received packets to their sessions and sends every active stream's next
//! frame in one pass (the engine module describes the whole shape).
#![allow(clippy::disallowed_methods)] // the pacing thread is the engine's clock

use std::collections::{HashMap, VecDeque};
use std::net::{SocketAddr, UdpSocket};
use std::sync::mpsc::{self, Receiver, TryRecvError};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::{mpsc as tmpsc, oneshot};

use crate::channel::{Command, NewSession, Shared};
use crate::config::MediaConfig;
use crate::g711::{Codec, G711};
use crate::jitter::{JitterBuffer, Popped};
use crate::liveness::StopOnDrop;
use crate::pacer::Pacer;
use crate::prompt::{FRAME_DURATION, FRAME_SAMPLES};
use crate::record::{Channels, Recorder, Written};
use crate::recv_batch::{Datagram, RecvBatch, MAX_CALLS_PER_TICK};
use crate::rtcp::{build_sender_report, parse_reports};
use crate::rtp::{Incoming, RtpConfig, RtpError, RtpSession};
use crate::session::{Closed, MediaEvent, PlayItem, Recorded};

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
    /// RTP from a refused source has been logged (once per session; all are counted).
    foreign_logged: bool,
    /// Reading the RTP socket failed for good (logged once); nothing more is read.
    rx_failed: bool,
    next_rtcp: Instant,
}

/// RTCP sockets are read once every this many ticks (1 s): reports come every few seconds.
const RTCP_READ_EVERY: u64 = 50;

/// When a datagram arrived, on the pacing thread's clock: the kernel's stamp mapped through
/// one reading of both clocks, else the time of the read.
fn arrival(d: &Datagram<'_>, now: Instant, wall_now: SystemTime) -> Instant {
    d.at.and_then(|at| wall_now.duration_since(at).ok())
        // A stamp older than a second means the wall clock was stepped: ignore it.
        .filter(|age| *age < Duration::from_secs(1))
        .and_then(|age| now.checked_sub(age))
        .unwrap_or(now)
}

impl Entry {
    /// Drains the RTP socket (bounded per tick) into the session. Returns how many
    /// datagrams were not handed over (oversized, or the cap reached).
    fn read_rtp(&mut self, rx: &mut RecvBatch, now: Instant, wall_now: SystemTime) -> u64 {
        let mut dropped = 0u64;
        for call in 0..MAX_CALLS_PER_TICK {
            let n = match rx.read(&self.socket) {
                Ok(0) => return dropped,
                Ok(n) => n,
                // ICMP port unreachable shows up here on Linux; keep reading next tick.
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => return dropped,
                Err(e) => {
                    tracing::warn!(port = self.port, error = %e, "RTP receive failed; session receives nothing more");
                    self.rx_failed = true;
                    return dropped;
                }
            };
            let mut kept = 0;
            for d in rx.datagrams() {
                kept += 1;
                self.take_datagram(arrival(&d, now, wall_now), d);
            }
            dropped += (n - kept) as u64;
            if n < crate::recv_batch::BATCH {
                return dropped;
            }
            if call + 1 == MAX_CALLS_PER_TICK {
                // More may be waiting: a flood at this port. The kernel buffer holds (and
                // then drops) the rest; the other sessions keep their share of the tick.
                dropped += 1;
            }
        }
        dropped
    }

    /// Reads and logs the peer's RTCP reports.
    fn read_rtcp(&mut self, buf: &mut [u8]) {
        for _ in 0..MAX_CALLS_PER_TICK {
            match self.rtcp.recv_from(buf) {
                Ok((n, from)) => match parse_reports(&buf[..n]) {
                    Ok(blocks) => {
                        for b in blocks {
                            tracing::debug!(port = self.port, %from, fraction_lost = b.fraction_lost,
                                cumulative_lost = b.cumulative_lost, jitter = b.jitter,
                                "RTCP report from peer");
                        }
                    }
                    Err(e) => {
                        tracing::debug!(port = self.port, %from, error = %e, "bad RTCP packet")
                    }
                },
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {}
                Err(e) => {
                    tracing::debug!(port = self.port, error = %e, "RTCP receive failed");
                    return;
                }
            }
        }
    }

    /// One received RTP datagram.
    fn take_datagram(&mut self, at: Instant, d: Datagram<'_>) {
        match self.rtp.handle_packet(at, d.from, d.data) {
            Ok(Incoming::Audio { seq, payload }) => {
                if self.consumes_audio() {
                    self.jitter.push(seq, payload);
                }
            }
            Ok(Incoming::Key(Some(k))) => {
                tracing::debug!(port = self.port, key = %k, "key press");
                self.emit(MediaEvent::Dtmf(k));
            }
            Ok(Incoming::Key(None)) => {}
            Err(RtpError::WrongSource { from, expected }) if !self.foreign_logged => {
                self.foreign_logged = true;
                tracing::warn!(
                    port = self.port,
                    %from,
                    %expected,
                    "RTP from an address other than the peer's dropped (counted as packets_foreign; logged once per call)"
                );
            }
            Err(err) => tracing::trace!(port = self.port, error = %err, "RTP packet rejected"),
        }
    }

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

pub(crate) struct Worker {
    config: MediaConfig,
    cmd_rx: Receiver<Command>,
    shared: Arc<Shared>,
    sessions: HashMap<u64, Entry>,
    pacer: Pacer,
    rng: rand::rngs::StdRng,
    buf: Vec<u8>,
    rtcp_buf: Vec<u8>,
    /// Buffers for reading RTP sockets.
    rx: RecvBatch,
    /// Buffer for reading RTCP sockets.
    rtcp_rx: Vec<u8>,
    /// Read passes so far (RTCP sockets are read every [`RTCP_READ_EVERY`] passes).
    reads: u64,
    order: Vec<u64>,
    stopping: bool,
}

impl Worker {
    pub(crate) fn new(
        config: MediaConfig,
        cmd_rx: Receiver<Command>,
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
            // `Shared` holds a command sender, so the channel never disconnects while the
            // worker holds it: `run` exits when the worker's is the last reference.
            shared,
            sessions: HashMap::new(),
            pacer: Pacer::new(Instant::now(), FRAME_DURATION, 5),
            rng,
            buf: vec![0u8; 1500],
            rtcp_buf: Vec::with_capacity(128),
            rx: RecvBatch::new(),
            rtcp_rx: vec![0u8; 1500],
            reads: 0,
            order: Vec::new(),
            stopping: false,
        }
    }

    pub(crate) fn run(mut self) {
        tracing::debug!("media pacing thread started");
        // Marks the heartbeat stopped however this thread ends (return or panic).
        let _stop = StopOnDrop(Arc::clone(&self.shared.heartbeat));
        if self.config.realtime {
            set_realtime_priority();
        }
        loop {
            self.shared.heartbeat.beat(Instant::now());
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
            self.read_sockets(now);
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
                    e.rtp.set_remote(Instant::now(), addr);
                }
            }
            Command::SetFormat {
                id,
                codec,
                telephone_event_pt,
            } => {
                if let Some(e) = self.sessions.get_mut(&id) {
                    if e.rtp.set_format(codec, telephone_event_pt) {
                        // Queued frames are in the old law.
                        let _ = e.jitter.drain();
                        tracing::debug!(port = e.port, ?codec, "stream format changed");
                    }
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
            latch: self.config.latch,
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
                foreign_logged: false,
                rx_failed: false,
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

    /// Reads what every session's sockets received since the last pass: RTP every tick,
    /// RTCP every [`RTCP_READ_EVERY`] ticks.
    fn read_sockets(&mut self, now: Instant) {
        // Kernel timestamps are wall-clock; map them onto `now` through one reading of both
        // clocks per pass.
        let wall_now = SystemTime::now();
        let read_rtcp = self.reads.is_multiple_of(RTCP_READ_EVERY);
        self.reads += 1;
        let mut dropped = 0u64;
        for e in self.sessions.values_mut() {
            if !e.rx_failed {
                dropped += e.read_rtp(&mut self.rx, now, wall_now);
            }
            if read_rtcp {
                e.read_rtcp(&mut self.rtcp_rx);
            }
        }
        if dropped > 0 {
            self.shared
                .inbound_dropped
                .fetch_add(dropped, std::sync::atomic::Ordering::Relaxed);
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

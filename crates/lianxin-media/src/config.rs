//! [`MediaConfig`]: the media engine's settings.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use crate::latch::LatchConfig;
use crate::prompt::PromptLibrary;

/// Engine settings.
#[derive(Debug, Clone)]
pub struct MediaConfig {
    /// Address RTP sockets bind to.
    pub bind_ip: IpAddr,
    /// Ports for RTP (even) and RTCP (the odd port above); inclusive. Each session gets a
    /// pair chosen at random (seeded by `rng_seed` in tests), so nobody can tell which
    /// port the next call will use.
    pub port_range: (u16, u16),
    /// Which sources a session accepts RTP from (see [`latch`](crate::latch)).
    pub latch: LatchConfig,
    /// After this long without a packet from the peer, [`MediaEvent::NoMedia`](crate::MediaEvent::NoMedia) is sent.
    pub no_media_timeout: Duration,
    /// The prompts sessions may play (see [`MediaHandle::prompt`](crate::MediaHandle::prompt)).
    pub prompts: Arc<PromptLibrary>,
    /// Most sessions open at once; [`MediaHandle::open`](crate::MediaHandle::open) fails beyond it.
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
    /// Seed for SSRCs, initial sequence numbers/timestamps and port choice (tests); `None`:
    /// from the OS.
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
            latch: LatchConfig::default(),
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

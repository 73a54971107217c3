//! The vocabulary of a media session: what it is opened with ([`SessionParams`]), what it
//! plays ([`PlayItem`]), what it reports ([`MediaEvent`]), what its close leaves
//! ([`Closed`], [`Recorded`]) and why an operation fails ([`MediaError`]).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::g711::Codec;
use crate::prompt::{Prompt, PromptError, FRAME_DURATION, FRAME_SAMPLES};
use crate::record::RecordError;
use crate::rtp::SessionStats;

/// What a session tells its owner.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum MediaEvent {
    /// A key press (RFC 4733), once per press.
    Dtmf(char),
    /// The play list given to [`MediaSession::play`](crate::MediaSession::play) ran to its end (not sent when it was
    /// stopped or replaced).
    PlaybackFinished,
    /// The play list given to [`MediaSession::play_tagged`](crate::MediaSession::play_tagged) with this tag ran to its end.
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
    pub(crate) fn frames(&self) -> usize {
        match self {
            PlayItem::Prompt(p) | PlayItem::Loop(p) => p.frames(),
            PlayItem::Silence(d) => (d.as_millis() / FRAME_DURATION.as_millis()) as usize,
        }
    }

    pub(crate) fn frame(&self, codec: Codec, index: usize) -> Option<&[u8]> {
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
    /// No free even/odd port pair in the configured range: every pair is in use (by
    /// this server's sessions or another program).
    #[error(
        "RTP port range {first}-{last} exhausted: no free port pair ({open} media sessions open)"
    )]
    NoPort {
        /// First port of the range.
        first: u16,
        /// Last port of the range.
        last: u16,
        /// Sessions of this engine open at the time.
        open: usize,
    },
    /// The process is out of file descriptors (`RLIMIT_NOFILE` or the system's limit),
    /// so no RTP socket could be opened even though ports may be free.
    #[error("out of file descriptors opening an RTP socket (open files limit reached; {open} media sessions open)")]
    NoDescriptors {
        /// Sessions of this engine open at the time.
        open: usize,
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

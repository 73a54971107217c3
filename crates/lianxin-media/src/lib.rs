//! lianxin-media: the audio side of every call.
//!
//! Greetings and menus on the hotline, the group-call notice played to hundreds of
//! households at once, key presses, voice messages and call recordings.
//!
//! # Layout
//!
//! Sans-IO building blocks (no sockets, no clock: `now` is an argument; `clippy.toml`
//! forbids reading the clock outside the I/O driver):
//! - [`g711`]: μ-law / A-law tables and the [`G711`] arithmetic on [`Codec`] (a
//!   `lianxin-sdp` type, re-exported: SDP negotiates it, the engine encodes with it).
//! - [`audio_file`]: WAV or MP3, told apart by content and decoded to mono samples.
//! - [`kept_audio`]: uploads kept by name in a folder (notices, replaced prompts).
//! - [`resample`]: rate conversion of prompts to 8 kHz (once, at load).
//! - [`prompt`]: the [`PromptLibrary`]: WAV and MP3 files (or uploaded bytes) decoded,
//!   converted and pre-encoded once, shared by every call.
//! - [`pacer`]: the single 20 ms schedule every stream is sent on.
//! - [`ports`]: which port pair a new session gets (a random one).
//! - [`latch`]: which address a session takes RTP from (the signalled one, or one learned
//!   within a short window under rules an attacker cannot use to take a call over).
//! - [`rtp`]: one session's RTP state (SSRC/sequence/timestamps, the source rules, loss
//!   and jitter, one-way-audio detection).
//! - [`dtmf`]: RFC 4733 key presses with end-of-event de-duplication.
//! - [`jitter`]: a small reordering buffer feeding the recorder and bridged calls.
//! - [`rtcp`]: sender reports out, receiver reports parsed.
//! - [`record`]: WAV recording (mono or caller/operator), flushed every second.
//!
//! The I/O driver (the only modules that read the clock):
//! - [`engine`]: [`MediaEngine::start`] gives a [`MediaHandle`]; [`MediaHandle::open`] binds
//!   a UDP port pair and gives a [`MediaSession`] (play, record, bridge, close) plus a
//!   bounded receiver of [`MediaEvent`]s. One pacing thread sends every session's next
//!   frame each 20 ms and, just before, reads every session's socket itself.
//! - [`config`]: [`MediaConfig`]; [`session`]: what a session is given and gives back
//!   ([`SessionParams`], [`PlayItem`], [`MediaEvent`], [`Closed`], [`MediaError`]).
//! - `channel` (private): the state handles and the pacing thread share, and the commands;
//!   `recv_batch` (private): one `recvmmsg` per socket and tick, with kernel arrival times;
//!   `worker` (private): the pacing thread.
//!
//! This crate knows nothing of SIP or the database: the hotline and the dialer tell it
//! where to send (from SDP) and what to play.
#![deny(missing_docs)]
#![warn(unreachable_pub)]

pub mod audio_file;
mod channel;
pub mod config;
pub mod dtmf;
pub mod engine;
pub mod g711;
pub mod jitter;
pub mod kept_audio;
pub mod latch;
mod liveness;
pub mod pacer;
pub mod ports;
pub mod prompt;
pub mod record;
mod recv_batch;
pub mod resample;
pub mod rtcp;
pub mod rtp;
pub mod session;
mod worker;

pub use engine::{
    Closed, MediaConfig, MediaEngine, MediaError, MediaEvent, MediaHandle, MediaSession, PlayItem,
    Recorded, SessionParams,
};
pub use g711::{Codec, G711};
pub use liveness::STALL;
pub use prompt::{Prompt, PromptConfig, PromptError, PromptLibrary};
pub use record::{Channels, Recorder};
pub use rtp::SessionStats;

#[cfg(test)]
mod test_util {
    /// A base instant for tests with injected time.
    #[allow(clippy::disallowed_methods)]
    pub(crate) fn t0() -> std::time::Instant {
        std::time::Instant::now()
    }
}

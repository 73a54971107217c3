//! The hotline: what happens to a resident's call from the first INVITE to the hang-up.
//!
//! A call is answered, hears a greeting and (optionally) a key-press menu, waits in a
//! queue with a hold prompt, and is distributed to the operator who has been free longest;
//! when nobody answers in time, or outside opening hours, the caller leaves a voice message.
//! On the first INVITE, before anything rings, the caller's record is pushed to the
//! operators' consoles (the screen-pop).
//!
//! # Layout
//! - [`acd`]: the queue and operator choice, a plain state machine with injected time.
//! - [`flow`]: one caller's path (greeting, menu, queue, voice message), a state machine.
//! - [`hours`]: opening hours in China time.
//!
//! The crate reads no sockets and no SQL itself: it drives `lianxin-ua` (SIP),
//! `lianxin-media` (RTP), `lianxin-store` and `lianxin-desk` through their handles.
#![deny(missing_docs)]
#![warn(unreachable_pub)]

pub mod acd;
mod calllog;
mod driver;
pub mod flow;
pub mod hours;

pub use driver::{Handles, Hotline, HotlineConfig, LISTEN_PREFIX, WHISPER_PREFIX};

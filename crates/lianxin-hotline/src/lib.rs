//! The hotline: what happens to a resident's call from the first INVITE to the hang-up.
//!
//! A call is answered, hears a greeting and (optionally) a key-press menu, waits in a
//! queue with a hold prompt, and is distributed to the operator who has been free longest;
//! when nobody answers in time, or outside opening hours, the caller leaves a voice message.
//! On the first INVITE, before anything rings, the caller's record is pushed to the
//! operators' consoles (the screen-pop).
//!
//! # Layout
//! State machines (no I/O, time injected):
//! - [`acd`]: the queue and operator choice.
//! - [`flow`]: one caller's path (greeting, menu, queue, voice message).
//! - [`hours`]: opening hours in China time.
//! - [`supervision_code`]: the `55`/`56` + extension numbers supervisors dial.
//!
//! The driver (one tokio task, [`Hotline::run`]), one module per concern:
//! - `event_loop`: inputs in (SIP, media, consoles, work done off the loop, time), one
//!   `now` per input, handed to the modules below.
//! - `driver`: the state the task owns; `legs`: the ONE table of live calls and their
//!   legs (caller, operator, supervisors), routable by SIP handle and media session.
//! - `inbound` (new INVITE: pop, answer), `flow_commands` (what a flow asks for),
//!   `offers` (operators' phones), `supervision`, `recording` (voice messages,
//!   conversations), `teardown` (a call ended exactly once).
//! - `work`: results of SQLite and file-system work done off the loop; `operators`: the
//!   staff who take calls; `calllog`: the thread that writes the call log in batches.
//! - [`prompt_admin`]: the prompts admins replace from the console ([`HotlinePrompts`]).
//!
//! Every leg is a [`lianxin_leg::Leg`]: the SIP and media plumbing is that crate's, so the
//! group-call dialer shares it. The crate reads no sockets and no SQL itself: it drives
//! `lianxin-ua` (SIP), `lianxin-media` (RTP), `lianxin-store` and `lianxin-desk` through
//! their handles.
#![deny(missing_docs)]
#![warn(unreachable_pub)]

pub mod acd;
mod calllog;
mod config;
mod driver;
mod event_loop;
pub mod flow;
mod flow_commands;
pub mod hours;
mod inbound;
mod legs;
mod now;
mod offers;
mod operators;
pub mod prompt_admin;
mod recording;
mod supervision;
pub mod supervision_code;
mod teardown;
mod work;

pub use config::{Handles, HotlineConfig};
pub use event_loop::Hotline;
pub use prompt_admin::HotlinePrompts;
pub use supervision_code::{SupervisionCode, LISTEN_PREFIX, WHISPER_PREFIX};

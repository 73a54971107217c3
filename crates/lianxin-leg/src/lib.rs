//! lianxin-leg: one call leg — a SIP dialog (`lianxin-ua`) and its RTP session
//! (`lianxin-media`) — opened, followed and closed together.
//!
//! The hotline holds three kinds of legs (the resident's call, an operator's phone, a
//! supervisor listening in) and the group-call dialer holds hundreds of outbound ones. What
//! each does with a leg is the same plumbing: negotiate SDP, open media with the negotiated
//! codec, answer (or offer and apply the answer from a 183 or 200), follow hold/resume
//! re-INVITEs with the right `o=` version, play tagged prompts and ignore a stale "done",
//! report key presses, record, and finally end both halves exactly once and hand back the
//! figures for the call log. That lives here so no driver re-implements it.
//!
//! # What it is not
//!
//! No call-flow decisions (which prompt, which operator, when to hang up) and no event
//! loop: the owner feeds a [`Leg`] the SIP and media events of its call (a placed call's
//! own receiver, [`Opened::call_events`], for outbound legs; the UA's inbound receiver for
//! incoming ones) and decides what to do with the [`LegEvent`]s it gets back. Nothing here waits for the network or the
//! pacer on the owner's behalf: SIP commands that need no answer and the media close run in
//! tasks of their own ([`Leg::close`] gives back a [`Closing`] future the owner may await
//! in a task, or drop).
//!
//! # Layout
//! - [`leg`]: [`Leg`] (incoming / outgoing, answer, re-INVITE, play, record, close).
//! - [`close`]: [`Closing`] and the [`Figures`] a closed leg leaves.
//! - [`forward`](mod@forward): [`forward()`], the per-leg task that tags a leg's events
//!   and merges them onto its owner's one channel.
//! - [`error`]: [`LegError`], with the SIP status to refuse a call with.
//!
//! # Using it
//!
//! ```no_run
//! # async fn demo(ctx: lianxin_leg::LegContext, ic: lianxin_ua::IncomingCall) {
//! use lianxin_leg::{Leg, LegEvent};
//! let now = std::time::Instant::now();
//! match Leg::incoming(&ctx, ic.call, ic.sdp.as_deref(), 42, now) {
//!     Ok(mut opened) => {
//!         opened.leg.answer(true); // 180, then 200 with our answer
//!         while let Some(ev) = opened.media_events.recv().await {
//!             if let Some(LegEvent::Digit(d)) = opened.leg.on_media(ev) {
//!                 println!("key {d}");
//!             }
//!         }
//!         let figures = opened.leg.close(std::time::Instant::now()).await;
//!         println!("{:?}", figures.stats);
//!     }
//!     Err(e) => lianxin_leg::refuse(&ctx.ua, ic.call, e.status_code()),
//! }
//! # }
//! ```
#![deny(missing_docs)]
#![warn(unreachable_pub)]

pub mod close;
pub mod error;
pub mod forward;
pub mod leg;

pub use close::{Closing, Figures};
pub use error::LegError;
pub use forward::forward;
pub use leg::{hang_up, refuse, refuse_reinvite, Leg, LegContext, LegEvent, Opened};

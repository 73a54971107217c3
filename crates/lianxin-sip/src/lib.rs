//! lianxin-sip: the sans-IO SIP core of Lianxin.
//!
//! What it is: plain state machines for SIP (RFC 3261) that take the current time and
//! received bytes and give back datagrams/stream chunks to send, the next deadline and
//! events. What it is not: it opens no socket, reads no clock, spawns no task and draws no
//! randomness it was not given (a seed in [`EndpointConfig`]). `clippy.toml` forbids
//! `Instant::now`, `SystemTime::now` and the thread RNG here.
//!
//! # Layout
//! - [`wire`] (one file per concept: `framer`, `parser`, `uri`, `headers`, `message`,
//!   `keys`, ...): framing (TCP by Content-Length, UDP datagrams), unfolding, compact header
//!   names, comma lists, typed heads ([`wire::Request`], [`wire::Response`]), the RFC 3261
//!   §17.2.3 [`wire::TransactionKey`] and the role-aware [`wire::DialogId`]. The parser is
//!   our own (rsip 0.4 refuses 8 of the 25 valid RFC 4475 messages, see
//!   `tests/torture.rs`); `rsip` is reachable only through [`wire::Request::to_rsip`] /
//!   [`wire::Response::to_rsip`], so it could be dropped without touching anything else.
//! - [`timer`]: the enum-keyed timer table (RFC 3261 timers A–K) and [`timer::TimerConfig`].
//! - [`transaction`]: the four RFC 3261 §17 machines.
//! - [`dialog`]: dialog state (route set, remote target, CSeq).
//! - [`auth`]: digest authentication (RFC 2617 / RFC 7616), both sides.
//! - [`registrar`]: bindings table and the outbound-registration client machine.
//! - [`endpoint`]: [`Endpoint`], which owns slabs of transactions and calls and routes every
//!   message by key; its files split the server side (`uas`), the client side (`uac`),
//!   requests within a call (`in_dialog`) and outside calls (`requests`).
//! - `transmit`: [`Transmit`], the output of every machine here (the transactions yield
//!   it and the endpoint queues it), so neither imports the other for it.
//!
//! # How to drive it
//! ```text
//! loop {
//!     // input: one of
//!     endpoint.handle_message(now, transport, local, remote, &bytes);
//!     endpoint.handle_timeout(now);
//!     endpoint.invite(now, ...) / accept(now, ...) / ...;
//!     // then drain, in this order:
//!     while let Some(t) = endpoint.poll_transmit() { socket.send_to(&t.payload, t.destination) }
//!     while let Some(e) = endpoint.poll_event() { owner.handle(e) }
//!     sleep_until(endpoint.poll_timeout());
//! }
//! ```
//!
//! # Tests and benches
//! - `cargo test -p lianxin-sip`: timer schedules per machine (`transaction`), traps from
//!   STYLE.md as `regression_*` tests, the data-driven `check` table and a lossy two-endpoint
//!   `Pair` (`tests/endpoint.rs`), dialogs, registrar, RFC 4475 corpus and fuzzing.
//! - `cargo run --release -p lianxin-sip --example pair_bench`: signalling CPU cost of
//!   UAC+UAS in memory; `parse_bench`: wire layer; `udp_uas` / `udp_uac`: blocking UDP
//!   drivers for sipp smoke runs.
//!
//! # Guarantees
//! - Nothing from the network panics (RFC 4475 corpus and a seeded mutation fuzz test in
//!   `tests/torture.rs`); a malformed request that can be answered gets a 400, anything
//!   else is dropped with a `debug` log.
//! - Transactions retransmit on their timers alone, whether or not anybody awaits them.
//! - Every message is matched in O(1): transaction key, then dialog id.
//! - A finished call is freed at the start of the next input, so `Endpoint::call_id` still
//!   answers while the owner drains the events of the input that ended it. Finished
//!   transactions are detached from their call and only absorb retransmissions.
//! - A request the owner never answers is answered 500 after 64*T1.
//!
//! API changes (after the first API commit; all additive):
//! - `Event::ReinviteResult { call, code, sdp }`: outcome of our own re-INVITE.
//! - `Endpoint::ack(now, call, sdp)`: the owner sends the ACK (with the SDP answer) for a
//!   late-offer outgoing call; every other ACK is automatic.
//! - `timer::Timer::L` (RFC 6026 Accepted state of the INVITE server transaction).
//! - `EndpointConfig::max_transactions` (default 100 000): stateless 503 above it.
#![deny(missing_docs)]
#![warn(unreachable_pub)]

pub mod auth;
pub mod dialog;
pub mod endpoint;
pub mod registrar;
pub mod timer;
pub mod transaction;
mod transmit;
pub mod wire;

pub use endpoint::{
    CallHandle, Endpoint, EndpointConfig, EndpointError, Event, OutgoingInvite, OutgoingRequest,
    Party, RequestHandle, TerminationReason, Transmit,
};
pub use timer::TimerConfig;
pub use wire::{Header, Method, Transport};

/// The one clock read in this crate: a base instant for unit tests (virtual time starts here).
#[cfg(test)]
#[allow(clippy::disallowed_methods)]
pub(crate) fn test_epoch() -> std::time::Instant {
    std::time::Instant::now()
}

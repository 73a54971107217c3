//! The endpoint: one owner for every transaction and call, routing by key.
//!
//! Shaped like quinn-proto's `Endpoint`: inputs are [`Endpoint::handle_message`],
//! [`Endpoint::handle_timeout`] and the commands (`invite`, `accept`, ...); outputs are
//! [`Endpoint::poll_transmit`], [`Endpoint::poll_event`] and [`Endpoint::poll_timeout`],
//! drained in that order after every input. Incoming messages are matched in O(1) by
//! transaction key (RFC 3261 §17.2.3) or dialog id; transactions and calls live in slabs
//! and are named by small copyable handles ([`CallHandle`], [`RequestHandle`]).
//!
//! What it is not: no sockets, no DNS (the owner passes resolved `SocketAddr`s), no clock,
//! no OS randomness (tags, branches, Call-IDs and cnonces come from `EndpointConfig::seed`).
//! Call policy (which numbers exist, SDP offer/answer) belongs to the owner.
//!
//! # Layout
//! - `routing`: the [`Endpoint`] struct, its outputs, and routing of every input by key.
//! - `transactions`: the glue between the RFC 3261 machines and their owners.
//! - `uas` / `uac`: the server and client sides of a call up to its confirmation;
//!   `in_dialog`: requests within a call, both ways; `requests`: non-INVITE requests
//!   outside dialogs.
//! - `call`: the call state; `entry`: per-transaction and per-request records.
//! - `config`, `event`, `command`: the owner's vocabulary ([`EndpointConfig`], [`Event`],
//!   [`OutgoingInvite`], [`EndpointError`], ...).
//! - `replies`: building responses; `authorize`: answering digest challenges; `dtmf`: DTMF
//!   in INFO bodies; `identity`: tags, branches, our Via and Contact from the seeded RNG.

mod authorize;
mod call;
mod command;
mod config;
mod dtmf;
mod entry;
mod event;
mod identity;
mod in_dialog;
mod replies;
mod requests;
mod routing;
mod transactions;
mod uac;
mod uas;

pub use crate::transmit::Transmit;
pub use command::{EndpointError, OutgoingInvite, OutgoingRequest};
pub use config::EndpointConfig;
pub use event::{CallHandle, Event, Party, RequestHandle, TerminationReason};
pub use replies::{make_response, reason_phrase, ALLOW};
pub use routing::Endpoint;

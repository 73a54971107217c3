//! What the endpoint keeps per transaction and per outgoing request: [`TxEntry`] (a
//! transaction machine and its [`Owner`]), the timer [`Target`] and [`OutReq`].
//!
//! Why a file of its own: these are the slab's and the timer heap's entries; the endpoint
//! struct holds them and every part of the endpoint reads them.

use super::command::OutgoingRequest;
use super::event::{CallHandle, RequestHandle};
use crate::transaction::{ClientTransaction, ServerTransaction};
use crate::wire::{Request, TransactionKey};
use std::time::Instant;

/// Who a transaction's responses and timeouts go to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Owner {
    /// Part of a call (INVITE, re-INVITE, BYE, INFO, ... of that call).
    Call(CallHandle),
    /// An incoming request the owner answers with `respond`.
    Pending(RequestHandle),
    /// An outgoing request from `request()`.
    Outgoing(RequestHandle),
    /// Nobody (auto-answered, CANCEL, stateless-ish replies).
    Nobody,
}

/// One of the RFC 3261 §17 machines.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)]
pub(super) enum Machine {
    /// Boxed: a client transaction carries its whole request; most live entries are
    /// small server transactions waiting out timers J and L.
    Client(Box<ClientTransaction>),
    Server(ServerTransaction),
}

/// A slab entry: one transaction machine, its key and owner, and its armed deadline.
#[derive(Debug)]
pub(super) struct TxEntry {
    /// Distinguishes a reused slab index in the timer heap.
    pub(super) serial: u64,
    pub(super) key: TransactionKey,
    pub(super) owner: Owner,
    pub(super) machine: Machine,
    /// Server: the request (to build responses) until the final response. Client: unused.
    pub(super) request: Option<Box<Request>>,
    /// SIP Call-ID (for logs and `TransactionTimeout`).
    pub(super) call_id: String,
    /// The deadline pushed on the timer heap (older heap entries are stale).
    pub(super) armed: Option<Instant>,
}

/// What a timer-heap entry wakes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Target {
    /// A transaction (slab index, serial).
    Tx(usize, u64),
    /// A call's 2xx retransmission.
    Call(CallHandle),
    /// The owner's deadline to answer a pending request.
    Owner(RequestHandle),
}

/// An outgoing request outside dialogs, kept until its final response.
#[derive(Debug)]
pub(super) struct OutReq {
    /// What the owner asked for.
    pub(super) request: OutgoingRequest,
    /// What we sent last (after a digest retry: with credentials).
    pub(super) sent: Request,
    /// True once the one digest retry was made.
    pub(super) auth_tried: bool,
}

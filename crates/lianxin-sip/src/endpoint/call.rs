//! The call state: [`Call`] (one INVITE dialog, either role), its [`CallState`], and the
//! UAS 2xx [`Retransmit`] record.
//!
//! Why a file of its own: the UAS, UAC and in-dialog parts all read and change a call;
//! this is the record they share, and where in-dialog requests go.

use super::event::CallHandle;
use crate::auth::Credentials;
use crate::dialog::{Dialog, Role};
use crate::wire::{Request, Transport};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// Where a call stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum CallState {
    /// Incoming, not answered yet.
    UasRinging,
    /// Incoming, our 2xx sent, waiting for the ACK.
    UasAccepted,
    /// Outgoing, no response with a To tag yet.
    UacCalling,
    /// Outgoing, an early dialog exists (provisional with a To tag).
    UacEarly,
    /// Answered and (for an incoming call) ACKed.
    Confirmed,
    /// Over; freed once its transactions are detached.
    Terminated,
}

/// A UAS 2xx being retransmitted until the ACK comes (RFC 3261 §13.3.1.4).
#[derive(Debug)]
pub(super) struct Retransmit {
    pub(super) payload: Vec<u8>,
    pub(super) destination: SocketAddr,
    pub(super) transport: Transport,
    pub(super) interval: Duration,
    pub(super) next: Instant,
    pub(super) give_up: Instant,
}

/// One INVITE dialog, incoming or outgoing, and everything the endpoint tracks about it.
#[derive(Debug)]
pub(super) struct Call {
    pub(super) role: Role,
    pub(super) state: CallState,
    pub(super) call_id: String,
    pub(super) local_tag: String,
    /// The INVITE we sent (latest, after auth) or received.
    pub(super) invite: Request,
    pub(super) invite_tx: Option<usize>,
    pub(super) dialog: Option<Dialog>,
    /// Fallback destination for in-dialog requests: the trunk / proxy (UAC) or the
    /// source of the INVITE (UAS).
    pub(super) peer: SocketAddr,
    pub(super) transport: Transport,
    /// UAS: 2xx retransmission until ACK.
    pub(super) ok: Option<Retransmit>,
    pub(super) armed: Option<Instant>,
    pub(super) bye_after_ack: bool,
    /// UAC: the ACK for the 2xx, re-sent on every 2xx retransmission.
    pub(super) ack: Option<(Vec<u8>, SocketAddr)>,
    pub(super) cancel_pending: bool,
    pub(super) got_provisional: bool,
    pub(super) credentials: Option<Credentials>,
    pub(super) auth_tried: bool,
    pub(super) late_offer: bool,
    pub(super) reinvite_tx: Option<usize>,
    /// UAC re-INVITE in flight.
    pub(super) our_reinvite: bool,
    pub(super) live_txns: u32,
}

/// Where our in-dialog requests go: through the route set / to the remote target for
/// calls we placed; for calls we took, back to where the INVITE came from (NAT-friendly)
/// unless a route set says otherwise. Host names fall back to that address (no DNS here).
pub(super) fn in_dialog_destination(c: &Call) -> SocketAddr {
    match &c.dialog {
        Some(d) if c.role == Role::Uac || !d.route_set.is_empty() => d.next_hop().unwrap_or(c.peer),
        _ => c.peer,
    }
}

/// The transport of a call (UDP for a call that is gone).
pub(super) fn c_transport(calls: &HashMap<CallHandle, Call>, h: CallHandle) -> Transport {
    calls.get(&h).map(|c| c.transport).unwrap_or(Transport::Udp)
}

//! What the endpoint tells its owner: [`Event`], the handles that name calls and requests
//! ([`CallHandle`], [`RequestHandle`]), [`Party`] and [`TerminationReason`].
//!
//! Why a file of its own: this is the endpoint's output vocabulary, shared by the UAS,
//! UAC and in-dialog parts and by every owner (the tokio driver, tests).

use crate::wire::{Head, Method, NameAddr, Transport};
use std::net::SocketAddr;

/// Handle of a call (an INVITE dialog, incoming or outgoing). Copyable; stale handles are
/// refused with [`EndpointError::UnknownCall`](super::EndpointError::UnknownCall).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CallHandle(pub u64);

/// Handle of an incoming request waiting for the owner's answer ([`Endpoint::respond`](super::Endpoint::respond)),
/// or of an outgoing out-of-dialog request ([`Endpoint::request`](super::Endpoint::request)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestHandle(pub u64);

/// A party as shown to the owner (display name and URI as text).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Party {
    /// Display name (unquoted), if any.
    pub display: Option<String>,
    /// The URI as text.
    pub uri: String,
    /// The user part of the URI (phone number / extension), unescaped.
    pub user: Option<String>,
}

/// Why a call ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TerminationReason {
    /// The peer sent BYE.
    RemoteBye,
    /// We sent BYE (after [`Endpoint::hangup`](super::Endpoint::hangup) / [`Endpoint::bye`](super::Endpoint::bye)).
    LocalBye,
    /// Our 2xx was never ACKed within 64*T1 (we then sent BYE).
    AckTimeout,
    /// An in-dialog request timed out or got 408/481 (the dialog is gone).
    DialogLost,
}

/// Something the owner must know about.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(clippy::large_enum_variant)]
pub enum Event {
    /// A new INVITE outside any dialog. Answer with `send_provisional`, `accept` or `reject`.
    IncomingCall {
        /// The call.
        call: CallHandle,
        /// SIP Call-ID (for tracing spans).
        call_id: String,
        /// From.
        from: Party,
        /// To.
        to: Party,
        /// P-Asserted-Identity, if present.
        pai: Option<Party>,
        /// User part of the Request-URI (the dialled number), unescaped.
        request_user: Option<String>,
        /// SDP offer, if any (`None` = late offer).
        sdp: Option<Vec<u8>>,
        /// Source address (after received/rport).
        source: SocketAddr,
        /// Transport it came on.
        transport: Transport,
    },
    /// The ACK for our 2xx arrived (with the SDP answer for a late offer).
    CallAcked {
        /// The call.
        call: CallHandle,
        /// SDP in the ACK, if any.
        sdp: Option<Vec<u8>>,
    },
    /// The caller cancelled before we answered (we already sent 200 to CANCEL and 487).
    Cancelled {
        /// The call.
        call: CallHandle,
    },
    /// A re-INVITE in an established call; answer with [`Endpoint::answer_reinvite`](super::Endpoint::answer_reinvite).
    Reinvite {
        /// The call.
        call: CallHandle,
        /// New SDP offer, if any.
        sdp: Option<Vec<u8>>,
    },
    /// The final response to our re-INVITE ([`Endpoint::reinvite`](super::Endpoint::reinvite)); 2xx was ACKed.
    ReinviteResult {
        /// The call.
        call: CallHandle,
        /// Final status (408 on timeout).
        code: u16,
        /// SDP answer, if any.
        sdp: Option<Vec<u8>>,
    },
    /// An outgoing call got a provisional response.
    Progress {
        /// The call.
        call: CallHandle,
        /// 101..=199.
        code: u16,
        /// Early media SDP, if any.
        sdp: Option<Vec<u8>>,
    },
    /// An outgoing call was answered. We ACKed it, except for a late-offer INVITE
    /// (sent without SDP): then the owner sends the ACK with its answer via [`Endpoint::ack`](super::Endpoint::ack).
    Answered {
        /// The call.
        call: CallHandle,
        /// SDP in the 2xx (the answer, or the offer for a late-offer INVITE).
        sdp: Option<Vec<u8>>,
    },
    /// An outgoing call failed: 3xx-6xx (after one digest retry), or 408 for a timeout.
    Failed {
        /// The call.
        call: CallHandle,
        /// Final status code (408 on transaction timeout).
        code: u16,
        /// Reason phrase.
        reason: String,
        /// `Retry-After` in seconds, when the response carried one (503, 486…).
        retry_after: Option<u32>,
    },
    /// A call ended (BYE either way, or the dialog was lost).
    CallTerminated {
        /// The call.
        call: CallHandle,
        /// Why.
        reason: TerminationReason,
    },
    /// A DTMF digit via INFO (application/dtmf-relay or application/dtmf).
    Dtmf {
        /// The call.
        call: CallHandle,
        /// The digit (`0-9*#A-D`).
        digit: char,
        /// Duration in ms, if given.
        duration_ms: Option<u32>,
    },
    /// A non-INVITE request outside dialogs (REGISTER, OPTIONS when not automatic,
    /// MESSAGE, ...). Answer with [`Endpoint::respond`](super::Endpoint::respond).
    IncomingRequest {
        /// Handle to answer.
        request: RequestHandle,
        /// The whole request.
        message: Box<crate::wire::Request>,
        /// Source address.
        source: SocketAddr,
        /// Transport.
        transport: Transport,
    },
    /// A final response to a request sent with [`Endpoint::request`](super::Endpoint::request) (408 on timeout).
    Response {
        /// The request.
        request: RequestHandle,
        /// Status code.
        code: u16,
        /// The whole response (`None` on timeout).
        message: Option<Box<crate::wire::Response>>,
    },
    /// A transaction timed out (Timer B/F/H) — informative; call-level events follow.
    TransactionTimeout {
        /// Call-ID of the transaction.
        call_id: String,
        /// Method of the transaction.
        method: Method,
    },
}

/// A [`Party`] from a From / To / P-Asserted-Identity value.
pub(super) fn party(n: &NameAddr) -> Party {
    Party {
        display: n.display_text(),
        uri: n.uri.to_string(),
        user: n.uri.user_unescaped(),
    }
}

/// A body as an event carries it: `None` when empty.
pub(super) fn body_opt(b: &[u8]) -> Option<Vec<u8>> {
    (!b.is_empty()).then(|| b.to_vec())
}

/// The other way: an SDP body from the owner, when given, goes into a message we send.
pub(super) fn set_sdp(head: &mut Head, body: &mut Vec<u8>, sdp: Option<Vec<u8>>) {
    if let Some(b) = sdp {
        head.content_type = Some("application/sdp".into());
        *body = b;
    }
}

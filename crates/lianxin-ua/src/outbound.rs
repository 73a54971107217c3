//! Outbound calls: what the owner asks for ([`OutgoingCall`]), what it gets back
//! ([`OutboundCall`]: the handle and the call's own event stream) and the events on that
//! stream ([`CallEvent`]).
//!
//! Each outbound call reports to its own bounded receiver, not to the UA's inbound
//! receiver, so several owners (the hotline offering a call to an operator's phone, the
//! dialer ringing a household) each see only their own calls. The receiver is also the
//! call's lifeline: dropping it hangs the call up (see [`OutboundCall`]).

use lianxin_sip::auth::Credentials;
use lianxin_sip::wire::Header;
use lianxin_sip::{CallHandle, OutgoingInvite, Transport};
use std::net::SocketAddr;
use tokio::sync::mpsc;

use crate::EndReason;

/// An outbound call for [`UaHandle::invite`](crate::UaHandle::invite).
#[derive(Debug, Clone)]
pub struct OutgoingCall {
    /// Request-URI, e.g. `sip:13800138000@trunk.example.com`.
    pub target: String,
    /// From URI.
    pub from: String,
    /// From display name.
    pub from_display: Option<String>,
    /// Where to send (the trunk or the phone's registered source).
    pub destination: SocketAddr,
    /// Transport.
    pub transport: Transport,
    /// SDP offer; `None` for a late offer.
    pub sdp: Option<Vec<u8>>,
    /// Digest credentials for a 401/407 challenge.
    pub credentials: Option<Credentials>,
    /// Extra headers, name and value, e.g. `("P-Asserted-Identity", "<sip:+8610…@trunk>")`
    /// or `("X-Lianxin-Campaign", "42")`. Names must be SIP tokens and not headers the UA
    /// writes itself; values must hold no line breaks ([`crate::header::check`]).
    pub headers: Vec<(String, String)>,
}

impl OutgoingCall {
    /// The SIP core's INVITE for this call (To is the target; the headers were checked
    /// by [`UaHandle::invite`](crate::UaHandle::invite)).
    pub(crate) fn into_invite(self) -> OutgoingInvite {
        OutgoingInvite {
            target: self.target,
            from: self.from,
            from_display: self.from_display,
            to: None,
            destination: self.destination,
            transport: self.transport,
            sdp: self.sdp,
            credentials: self.credentials,
            headers: self
                .headers
                .into_iter()
                .map(|(n, v)| Header::new(n, v))
                .collect(),
        }
    }
}

/// A call placed with [`UaHandle::invite`](crate::UaHandle::invite).
///
/// `events` carries this call's events, and only this call's, in order; it ends (`None`)
/// after the final one ([`CallEvent::Failed`] or [`CallEvent::Terminated`]).
///
/// **Dropping `events` hangs the call up**: CANCEL while it has no final answer (and,
/// should a 2xx still cross the CANCEL, ACK then BYE), BYE once answered. A watcher
/// reacts as soon as the receiver is dropped, so an owner that forgets a call cannot
/// leave it alive in the SIP core.
///
/// The channel is bounded ([`UaConfig::call_event_capacity`](crate::UaConfig::call_event_capacity));
/// the UA task never waits on it. A call has few events, so a full channel means its
/// owner has stopped reading: the UA then hangs the call up as if the receiver had been
/// dropped, and the stream ends.
#[derive(Debug)]
pub struct OutboundCall {
    /// The call; use it with [`UaHandle`](crate::UaHandle) methods (`hangup`, `reinvite`, `ack`…).
    pub call: CallHandle,
    /// The call's own events.
    pub events: mpsc::Receiver<CallEvent>,
}

/// What happens to one outbound call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallEvent {
    /// A provisional response (180 ringing, 183 with early-media SDP…).
    Progress {
        /// 101..=199.
        code: u16,
        /// Early-media SDP.
        sdp: Option<Vec<u8>>,
    },
    /// The call was answered. It is already ACKed, except for a late offer (INVITE
    /// without SDP): then send the answer with [`UaHandle::ack`](crate::UaHandle::ack).
    Answered {
        /// SDP in the 2xx (the answer, or the offer for a late-offer INVITE).
        sdp: Option<Vec<u8>>,
    },
    /// The call failed: 3xx–6xx (487 after our CANCEL), 408 on timeout. Final.
    Failed {
        /// Final status.
        code: u16,
        /// Reason phrase.
        reason: String,
        /// `Retry-After` seconds, when the response had one (a trunk's 503).
        retry_after: Option<u32>,
    },
    /// The peer sent a re-INVITE (hold/unhold): answer with
    /// [`UaHandle::answer_reinvite`](crate::UaHandle::answer_reinvite).
    Reinvite {
        /// The new offer.
        sdp: Option<Vec<u8>>,
    },
    /// The outcome of our own re-INVITE.
    ReinviteResult {
        /// Final status (408 on timeout).
        code: u16,
        /// The SDP answer.
        sdp: Option<Vec<u8>>,
    },
    /// A DTMF digit via SIP INFO.
    Dtmf {
        /// `0-9*#A-D`.
        digit: char,
    },
    /// The answered call is over. Final.
    Terminated {
        /// Why.
        reason: EndReason,
    },
}

impl CallEvent {
    /// Whether this is the call's last event.
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            CallEvent::Failed { .. } | CallEvent::Terminated { .. }
        )
    }
}

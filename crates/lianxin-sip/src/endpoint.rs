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

use crate::auth::Credentials;
use crate::timer::TimerConfig;
use crate::wire::{Header, Method, Transport};
use std::net::SocketAddr;
use std::time::Instant;

/// Configuration of an [`Endpoint`].
#[derive(Debug, Clone)]
pub struct EndpointConfig {
    /// Seed for tags, branches, Call-IDs and cnonces (tests use a fixed one; the driver
    /// draws one from the OS at start).
    pub seed: u64,
    /// `User-Agent` / `Server` header value.
    pub user_agent: String,
    /// Host (IP or name) we put in Via sent-by and Contact.
    pub contact_host: String,
    /// Port we put in Via sent-by and Contact.
    pub contact_port: u16,
    /// T1/T2/T4.
    pub timers: TimerConfig,
    /// Answer OPTIONS outside dialogs with 200 automatically (else emit an event).
    pub auto_options: bool,
    /// Send `100 Trying` at once for incoming INVITEs.
    pub auto_trying: bool,
}

impl Default for EndpointConfig {
    fn default() -> Self {
        EndpointConfig {
            seed: 0,
            user_agent: "lianxin".into(),
            contact_host: "127.0.0.1".into(),
            contact_port: 5060,
            timers: TimerConfig::default(),
            auto_options: true,
            auto_trying: true,
        }
    }
}

/// Handle of a call (an INVITE dialog, incoming or outgoing). Copyable; stale handles are
/// refused with [`EndpointError::UnknownCall`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CallHandle(pub u64);

/// Handle of an incoming request waiting for the owner's answer ([`Endpoint::respond`]),
/// or of an outgoing out-of-dialog request ([`Endpoint::request`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestHandle(pub u64);

/// A datagram / stream chunk to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    /// Transport to use (for TCP: the connection to or from `destination`).
    pub transport: Transport,
    /// Where to send.
    pub destination: SocketAddr,
    /// The whole message.
    pub payload: Vec<u8>,
}

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
    /// We sent BYE (after [`Endpoint::hangup`] / [`Endpoint::bye`]).
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
    /// A re-INVITE in an established call; answer with [`Endpoint::answer_reinvite`].
    Reinvite {
        /// The call.
        call: CallHandle,
        /// New SDP offer, if any.
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
    /// An outgoing call was answered (we ACKed it).
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
    /// MESSAGE, ...). Answer with [`Endpoint::respond`].
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
    /// A final response to a request sent with [`Endpoint::request`] (408 on timeout).
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

/// An outgoing call.
#[derive(Debug, Clone)]
pub struct OutgoingInvite {
    /// Request-URI, e.g. `sip:13800138000@trunk.example.com`.
    pub target: String,
    /// From URI, e.g. `sip:hotline@our.host`.
    pub from: String,
    /// From display name.
    pub from_display: Option<String>,
    /// To URI (defaults to `target`).
    pub to: Option<String>,
    /// Where to send: the outbound proxy / trunk, or the target's resolved address.
    pub destination: SocketAddr,
    /// Transport to use.
    pub transport: Transport,
    /// SDP offer (`None` = late offer: the 2xx carries the offer, the ACK the answer).
    pub sdp: Option<Vec<u8>>,
    /// Credentials for one digest retry on 401/407.
    pub credentials: Option<Credentials>,
    /// Extra headers (e.g. P-Asserted-Identity).
    pub headers: Vec<Header>,
}

/// An outgoing non-INVITE request outside dialogs (REGISTER, OPTIONS, MESSAGE).
#[derive(Debug, Clone)]
pub struct OutgoingRequest {
    /// Method (not INVITE, ACK or CANCEL).
    pub method: Method,
    /// Request-URI.
    pub target: String,
    /// From URI.
    pub from: String,
    /// To URI (defaults to `target`).
    pub to: Option<String>,
    /// Call-ID to reuse (REGISTER refreshes keep one); `None` draws a new one.
    pub call_id: Option<String>,
    /// CSeq number to use (`None` = 1).
    pub cseq: Option<u32>,
    /// Destination.
    pub destination: SocketAddr,
    /// Transport.
    pub transport: Transport,
    /// Credentials for one digest retry on 401/407.
    pub credentials: Option<Credentials>,
    /// Extra headers (Expires, Contact is added automatically for REGISTER).
    pub headers: Vec<Header>,
    /// Body and its content type.
    pub body: Option<(String, Vec<u8>)>,
}

/// Errors of endpoint commands (never from network input: that is logged and dropped).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointError {
    /// The call handle is unknown or the call is over.
    #[error("unknown call")]
    UnknownCall,
    /// The request handle is unknown or already answered.
    #[error("unknown request")]
    UnknownRequest,
    /// The command does not fit the call's state (e.g. accept after reject).
    #[error("invalid state for {0}")]
    InvalidState(&'static str),
    /// A status code outside the range the command allows.
    #[error("bad status code {0}")]
    BadStatus(u16),
    /// A URI given by the owner could not be parsed.
    #[error("bad URI: {0}")]
    BadUri(String),
    /// The method cannot be sent with this command.
    #[error("method not allowed here")]
    BadMethod,
}

/// The SIP endpoint. See the module docs.
#[derive(Debug)]
pub struct Endpoint {
    config: EndpointConfig,
}

impl Endpoint {
    /// A new endpoint.
    pub fn new(config: EndpointConfig) -> Endpoint {
        Endpoint { config }
    }

    /// The configuration.
    pub fn config(&self) -> &EndpointConfig {
        &self.config
    }

    /// Feed one received message (a UDP datagram or one message popped from a
    /// `wire::Framer`). `local` is the socket it arrived on, `remote` its source.
    pub fn handle_message(
        &mut self,
        now: Instant,
        transport: Transport,
        local: SocketAddr,
        remote: SocketAddr,
        bytes: &[u8],
    ) {
        let _ = (now, transport, local, remote, bytes);
    }

    /// Fire every timer due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        let _ = now;
    }

    /// Next message to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        None
    }

    /// Next event for the owner.
    pub fn poll_event(&mut self) -> Option<Event> {
        None
    }

    /// Earliest deadline; call [`Endpoint::handle_timeout`] then.
    pub fn poll_timeout(&mut self) -> Option<Instant> {
        None
    }

    /// Number of live calls.
    pub fn calls(&self) -> usize {
        0
    }

    /// Number of live transactions.
    pub fn transactions(&self) -> usize {
        0
    }

    /// The SIP Call-ID of a call (for tracing spans).
    pub fn call_id(&self, call: CallHandle) -> Option<&str> {
        let _ = call;
        None
    }

    /// UAS: send a provisional response (101..=199, e.g. 180 or 183 with early SDP).
    pub fn send_provisional(
        &mut self,
        now: Instant,
        call: CallHandle,
        code: u16,
        sdp: Option<Vec<u8>>,
    ) -> Result<(), EndpointError> {
        let _ = (now, call, code, sdp);
        Err(EndpointError::UnknownCall)
    }

    /// UAS: answer with 200 (SDP answer, or offer for a late-offer INVITE). The 2xx is
    /// retransmitted until the ACK comes ([`Event::CallAcked`]) or 64*T1 passes.
    pub fn accept(
        &mut self,
        now: Instant,
        call: CallHandle,
        sdp: Option<Vec<u8>>,
    ) -> Result<(), EndpointError> {
        let _ = (now, call, sdp);
        Err(EndpointError::UnknownCall)
    }

    /// UAS: refuse an incoming call with a final status 300..=699.
    pub fn reject(
        &mut self,
        now: Instant,
        call: CallHandle,
        code: u16,
        reason: Option<&str>,
    ) -> Result<(), EndpointError> {
        let _ = (now, call, code, reason);
        Err(EndpointError::UnknownCall)
    }

    /// Answer a re-INVITE ([`Event::Reinvite`]): 200 with SDP, or an error code (e.g. 488).
    pub fn answer_reinvite(
        &mut self,
        now: Instant,
        call: CallHandle,
        code: u16,
        sdp: Option<Vec<u8>>,
    ) -> Result<(), EndpointError> {
        let _ = (now, call, code, sdp);
        Err(EndpointError::UnknownCall)
    }

    /// Answer a request from [`Event::IncomingRequest`].
    pub fn respond(
        &mut self,
        now: Instant,
        request: RequestHandle,
        code: u16,
        headers: Vec<Header>,
        body: Option<(String, Vec<u8>)>,
    ) -> Result<(), EndpointError> {
        let _ = (now, request, code, headers, body);
        Err(EndpointError::UnknownRequest)
    }

    /// End a call in whatever way fits its state: BYE when confirmed, CANCEL when an
    /// outgoing call is ringing, 487 when an incoming call was not answered yet.
    pub fn hangup(&mut self, now: Instant, call: CallHandle) -> Result<(), EndpointError> {
        let _ = (now, call);
        Err(EndpointError::UnknownCall)
    }

    /// UAC: start an outgoing call.
    pub fn invite(
        &mut self,
        now: Instant,
        invite: OutgoingInvite,
    ) -> Result<CallHandle, EndpointError> {
        let _ = (now, invite);
        Err(EndpointError::InvalidState("invite"))
    }

    /// UAC: cancel an outgoing call that has no final response yet (sent once a
    /// provisional arrived, as RFC 3261 §9.1 requires).
    pub fn cancel(&mut self, now: Instant, call: CallHandle) -> Result<(), EndpointError> {
        let _ = (now, call);
        Err(EndpointError::UnknownCall)
    }

    /// Send BYE in a confirmed call (either role).
    pub fn bye(&mut self, now: Instant, call: CallHandle) -> Result<(), EndpointError> {
        let _ = (now, call);
        Err(EndpointError::UnknownCall)
    }

    /// Send a re-INVITE with a new offer (hold / unhold) in a confirmed call.
    pub fn reinvite(
        &mut self,
        now: Instant,
        call: CallHandle,
        sdp: Vec<u8>,
    ) -> Result<(), EndpointError> {
        let _ = (now, call, sdp);
        Err(EndpointError::UnknownCall)
    }

    /// Send a non-INVITE request outside dialogs; its final response comes as
    /// [`Event::Response`].
    pub fn request(
        &mut self,
        now: Instant,
        request: OutgoingRequest,
    ) -> Result<RequestHandle, EndpointError> {
        let _ = (now, request);
        Err(EndpointError::BadMethod)
    }
}

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

use crate::auth::{self, Challenge, Credentials};
use crate::dialog::{Dialog, Role};
use crate::timer::TimerConfig;
use crate::transaction::{ClientTransaction, ServerTransaction, TxEvent, TxState};
use crate::wire::{
    self, CSeq, DialogId, Head, Header, Message, Method, NameAddr, Request, Response, Scheme,
    TransactionKey, Transport, Uri, Via,
};
use rand::{rngs::StdRng, RngCore, SeedableRng};
use slab::Slab;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

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
    /// Above this many live transactions, new requests outside dialogs get a stateless
    /// 503 (memory bound under floods; at 1000 calls/s about 64k are live, timers J and L).
    pub max_transactions: usize,
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
            max_transactions: 100_000,
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
    /// The final response to our re-INVITE ([`Endpoint::reinvite`]); 2xx was ACKed.
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
    /// (sent without SDP): then the owner sends the ACK with its answer via [`Endpoint::ack`].
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

/// Methods we implement (the Allow header).
pub const ALLOW: &str =
    "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, REGISTER, MESSAGE, NOTIFY";

/// Standard reason phrase of a status code.
pub fn reason_phrase(code: u16) -> &'static str {
    match code {
        100 => "Trying",
        180 => "Ringing",
        181 => "Call Is Being Forwarded",
        182 => "Queued",
        183 => "Session Progress",
        200 => "OK",
        202 => "Accepted",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        407 => "Proxy Authentication Required",
        408 => "Request Timeout",
        415 => "Unsupported Media Type",
        416 => "Unsupported URI Scheme",
        420 => "Bad Extension",
        423 => "Interval Too Brief",
        480 => "Temporarily Unavailable",
        481 => "Call/Transaction Does Not Exist",
        483 => "Too Many Hops",
        486 => "Busy Here",
        487 => "Request Terminated",
        488 => "Not Acceptable Here",
        491 => "Request Pending",
        500 => "Server Internal Error",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        603 => "Decline",
        _ => match code / 100 {
            1 => "Progress",
            2 => "OK",
            3 => "Redirect",
            4 => "Client Error",
            5 => "Server Error",
            _ => "Global Failure",
        },
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Owner {
    /// Part of a call (INVITE, re-INVITE, BYE, INFO, ... of that call).
    Call(CallHandle),
    /// An incoming request the owner answers with `respond`.
    Pending(RequestHandle),
    /// An outgoing request from `request()`.
    Outgoing(RequestHandle),
    /// Nobody (auto-answered, CANCEL, stateless-ish replies).
    Nobody,
}

#[derive(Debug)]
#[allow(clippy::large_enum_variant)]
enum Machine {
    /// Boxed: a client transaction carries its whole request; most live entries are
    /// small server transactions waiting out timers J and L.
    Client(Box<ClientTransaction>),
    Server(ServerTransaction),
}

#[derive(Debug)]
struct TxEntry {
    serial: u64,
    key: TransactionKey,
    owner: Owner,
    machine: Machine,
    /// Server: the request (to build responses) until the final response. Client: unused.
    request: Option<Box<Request>>,
    /// SIP Call-ID (for logs and `TransactionTimeout`).
    call_id: String,
    armed: Option<Instant>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Target {
    Tx(usize, u64),
    Call(CallHandle),
    /// The owner's deadline to answer a pending request.
    Owner(RequestHandle),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CallState {
    UasRinging,
    UasAccepted,
    UacCalling,
    UacEarly,
    Confirmed,
    Terminated,
}

#[derive(Debug)]
struct Retransmit {
    payload: Vec<u8>,
    destination: SocketAddr,
    transport: Transport,
    interval: Duration,
    next: Instant,
    give_up: Instant,
}

#[derive(Debug)]
struct Call {
    role: Role,
    state: CallState,
    call_id: String,
    local_tag: String,
    /// The INVITE we sent (latest, after auth) or received.
    invite: Request,
    invite_tx: Option<usize>,
    dialog: Option<Dialog>,
    /// Fallback destination for in-dialog requests: the trunk / proxy (UAC) or the
    /// source of the INVITE (UAS).
    peer: SocketAddr,
    transport: Transport,
    /// UAS: 2xx retransmission until ACK.
    ok: Option<Retransmit>,
    armed: Option<Instant>,
    bye_after_ack: bool,
    /// UAC: the ACK for the 2xx, re-sent on every 2xx retransmission.
    ack: Option<(Vec<u8>, SocketAddr)>,
    cancel_pending: bool,
    got_provisional: bool,
    credentials: Option<Credentials>,
    auth_tried: bool,
    late_offer: bool,
    reinvite_tx: Option<usize>,
    /// UAC re-INVITE in flight.
    our_reinvite: bool,
    live_txns: u32,
}

#[derive(Debug)]
struct OutReq {
    request: OutgoingRequest,
    sent: Request,
    auth_tried: bool,
}

/// The SIP endpoint. See the module docs.
#[derive(Debug)]
pub struct Endpoint {
    config: EndpointConfig,
    rng: StdRng,
    txs: Slab<TxEntry>,
    tx_by_key: HashMap<TransactionKey, usize>,
    calls: HashMap<CallHandle, Call>,
    dialogs: HashMap<DialogId, CallHandle>,
    /// Outgoing calls by (Call-ID, our tag), to recognise a 2xx from a second fork.
    uac_calls: HashMap<(String, String), CallHandle>,
    pending: HashMap<RequestHandle, usize>,
    outgoing: HashMap<RequestHandle, OutReq>,
    timers: BinaryHeap<Reverse<(Instant, Target)>>,
    transmits: VecDeque<Transmit>,
    events: VecDeque<Event>,
    next_handle: u64,
    next_serial: u64,
    graveyard: Vec<CallHandle>,
}

fn party(n: &NameAddr) -> Party {
    Party {
        display: n.display_text(),
        uri: n.uri.to_string(),
        user: n.uri.user_unescaped(),
    }
}

fn body_opt(b: &[u8]) -> Option<Vec<u8>> {
    (!b.is_empty()).then(|| b.to_vec())
}

/// RFC 3581 / RFC 3261 §18.2.1: record where the request really came from in the top Via.
fn stamp_via(req: &mut Request, remote: SocketAddr) {
    if let Some(v) = req.head.via.first_mut() {
        let ip = remote.ip().to_string();
        if v.host.trim_start_matches('[').trim_end_matches(']') != ip {
            v.set_param("received", Some(&ip));
        }
        if v.param("rport").is_some() {
            v.set_param("rport", Some(&remote.port().to_string()));
            v.set_param("received", Some(&ip));
        }
    }
}

/// RFC 3261 §18.2.2 with RFC 3581: where responses to this request go.
fn response_destination(req: &Request, remote: SocketAddr, transport: Transport) -> SocketAddr {
    if transport.is_reliable() {
        return remote;
    }
    let Some(v) = req.head.top_via() else {
        return remote;
    };
    let host = v
        .param("received")
        .unwrap_or(v.host.trim_start_matches('[').trim_end_matches(']'));
    let Ok(ip) = host.parse() else {
        return remote;
    };
    let port = v
        .param("rport")
        .and_then(|p| p.parse().ok())
        .or(v.port)
        .unwrap_or(5060);
    SocketAddr::new(ip, port)
}

fn dtmf_from_info(req: &Request) -> Option<(char, Option<u32>)> {
    let ct = req.head.content_type.as_deref()?.to_ascii_lowercase();
    let body = std::str::from_utf8(&req.body).ok()?;
    let valid = |c: char| matches!(c, '0'..='9' | '*' | '#' | 'A'..='D');
    if ct.starts_with("application/dtmf-relay") {
        let mut digit = None;
        let mut duration = None;
        for line in body.lines() {
            let Some((k, v)) = line.split_once('=') else {
                continue;
            };
            match k.trim().to_ascii_lowercase().as_str() {
                "signal" => digit = v.trim().chars().next().map(|c| c.to_ascii_uppercase()),
                "duration" => duration = v.trim().parse().ok(),
                _ => {}
            }
        }
        digit.filter(|c| valid(*c)).map(|d| (d, duration))
    } else if ct.starts_with("application/dtmf") {
        let c = body.trim().chars().next()?.to_ascii_uppercase();
        valid(c).then_some((c, None))
    } else {
        None
    }
}

impl Endpoint {
    /// A new endpoint.
    pub fn new(config: EndpointConfig) -> Endpoint {
        Endpoint {
            rng: StdRng::seed_from_u64(config.seed),
            config,
            txs: Slab::new(),
            tx_by_key: HashMap::new(),
            calls: HashMap::new(),
            dialogs: HashMap::new(),
            uac_calls: HashMap::new(),
            pending: HashMap::new(),
            outgoing: HashMap::new(),
            timers: BinaryHeap::new(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            next_handle: 1,
            next_serial: 1,
            graveyard: Vec::new(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &EndpointConfig {
        &self.config
    }

    /// Number of live calls (finished calls count until the next input frees them).
    pub fn calls(&self) -> usize {
        self.calls.len()
    }

    /// Number of live transactions.
    pub fn transactions(&self) -> usize {
        self.txs.len()
    }

    /// The SIP Call-ID of a call (for tracing spans).
    pub fn call_id(&self, call: CallHandle) -> Option<&str> {
        self.calls.get(&call).map(|c| c.call_id.as_str())
    }

    /// Next message to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// Next event for the owner.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Earliest deadline; call [`Endpoint::handle_timeout`] then.
    pub fn poll_timeout(&mut self) -> Option<Instant> {
        while let Some(Reverse((at, target))) = self.timers.peek().copied() {
            if self.is_armed(target, at) {
                return Some(at);
            }
            self.timers.pop();
        }
        None
    }

    fn is_armed(&self, target: Target, at: Instant) -> bool {
        match target {
            Target::Tx(i, serial) => self
                .txs
                .get(i)
                .is_some_and(|t| t.serial == serial && t.armed == Some(at)),
            Target::Call(h) => self.calls.get(&h).is_some_and(|c| c.armed == Some(at)),
            Target::Owner(rh) => self.pending.contains_key(&rh),
        }
    }

    /// The driver could not deliver to `destination` over `transport` (an outbound TCP
    /// connection refused or timed out, or a connection closed): every client transaction
    /// still waiting there for a final response ends now as timed out (RFC 3261 §17.1.4;
    /// an outbound INVITE gives [`Event::Failed`] with 408) instead of after 64*T1. Server
    /// transactions are left to their timers.
    pub fn handle_transport_error(
        &mut self,
        now: Instant,
        transport: Transport,
        destination: SocketAddr,
    ) {
        let hit: Vec<usize> = self
            .txs
            .iter()
            .filter_map(|(i, t)| match &t.machine {
                Machine::Client(c) if c.destination() == (transport, destination) => Some(i),
                _ => None,
            })
            .collect();
        for i in hit {
            if let Some(TxEntry {
                machine: Machine::Client(c),
                call_id,
                ..
            }) = self.txs.get_mut(i)
            {
                tracing::info!(%call_id, %destination, ?transport, "transport error: request not delivered");
                c.handle_transport_error();
            }
            self.drain_tx(now, i);
        }
    }

    /// Fire every timer due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.bury();
        while let Some(Reverse((at, target))) = self.timers.peek().copied() {
            if at > now {
                break;
            }
            self.timers.pop();
            if !self.is_armed(target, at) {
                continue;
            }
            match target {
                Target::Tx(i, _) => {
                    if let Some(t) = self.txs.get_mut(i) {
                        t.armed = None;
                        match &mut t.machine {
                            Machine::Client(c) => c.handle_timeout(now),
                            Machine::Server(s) => s.handle_timeout(now),
                        }
                    }
                    self.drain_tx(now, i);
                }
                Target::Call(h) => {
                    if let Some(c) = self.calls.get_mut(&h) {
                        c.armed = None;
                    }
                    self.call_timeout(now, h);
                }
                Target::Owner(rh) => {
                    // Nobody answered within 64*T1: answer for the owner so the
                    // transaction (and its memory) ends.
                    if let Some(i) = self.pending.remove(&rh) {
                        tracing::warn!("request not answered by the owner; sent 500");
                        self.reply(now, i, 500, Vec::new(), None);
                    }
                }
            }
        }
    }

    // ----- randomness -------------------------------------------------------------------

    fn token(&mut self) -> String {
        format!("{:016x}", self.rng.next_u64())
    }

    fn branch(&mut self) -> String {
        format!("{}{}", wire::MAGIC_COOKIE, self.token())
    }

    fn new_handle(&mut self) -> u64 {
        let h = self.next_handle;
        self.next_handle += 1;
        h
    }

    /// Our host as it goes into Via and Contact (IPv6 literals get brackets).
    fn our_host(&self) -> String {
        let h = &self.config.contact_host;
        if h.contains(':') && !h.starts_with('[') {
            format!("[{h}]")
        } else {
            h.clone()
        }
    }

    fn our_via(&mut self, transport: Transport) -> Via {
        let b = self.branch();
        Via::new(transport, &self.our_host(), self.config.contact_port, &b)
    }

    fn our_contact(&self, transport: Transport) -> NameAddr {
        let mut uri = Uri::sip(None, &self.our_host(), Some(self.config.contact_port));
        if transport == Transport::Tcp {
            uri.params.push(wire::Param {
                name: "transport".into(),
                value: Some("tcp".into()),
            });
        }
        NameAddr::new(uri)
    }

    // ----- transactions -----------------------------------------------------------------

    fn add_tx(
        &mut self,
        key: TransactionKey,
        owner: Owner,
        machine: Machine,
        request: Option<Request>,
    ) -> usize {
        let request = request.map(Box::new);
        let serial = self.next_serial;
        self.next_serial += 1;
        if let Owner::Call(h) = owner {
            if let Some(c) = self.calls.get_mut(&h) {
                c.live_txns += 1;
            }
        }
        let call_id = match (&machine, &request) {
            (Machine::Client(c), _) => c.request().head.call_id.clone(),
            (_, Some(r)) => r.head.call_id.clone(),
            _ => String::new(),
        };
        let i = self.txs.insert(TxEntry {
            serial,
            key: key.clone(),
            owner,
            machine,
            request,
            call_id,
            armed: None,
        });
        self.tx_by_key.insert(key, i);
        i
    }

    fn start_client(
        &mut self,
        now: Instant,
        owner: Owner,
        request: Request,
        destination: SocketAddr,
        transport: Transport,
    ) -> usize {
        let key = TransactionKey {
            branch: request
                .head
                .top_via()
                .and_then(Via::branch)
                .unwrap_or("")
                .to_string(),
            sent_by: request.head.top_via().map(Via::sent_by).unwrap_or_default(),
            method: request.method.clone(),
        };
        tracing::debug!(call_id = %request.head.call_id, method = %request.method, %destination, "send request");
        let tx = ClientTransaction::new(now, request, destination, transport, self.config.timers);
        let i = self.add_tx(key, owner, Machine::Client(Box::new(tx)), None);
        self.drain_tx(now, i);
        i
    }

    /// Move a transaction's transmits and events out, re-arm its timer, free it when done.
    fn drain_tx(&mut self, now: Instant, i: usize) {
        let mut evs = Vec::new();
        let Some(t) = self.txs.get_mut(i) else {
            return;
        };
        loop {
            let tr = match &mut t.machine {
                Machine::Client(c) => c.poll_transmit(),
                Machine::Server(s) => s.poll_transmit(),
            };
            match tr {
                Some(tr) => self.transmits.push_back(tr),
                None => break,
            }
        }
        loop {
            let e = match &mut t.machine {
                Machine::Client(c) => c.poll_event(),
                Machine::Server(s) => s.poll_event(),
            };
            match e {
                Some(e) => evs.push(e),
                None => break,
            }
        }
        let next = match &t.machine {
            Machine::Client(c) => c.poll_timeout(),
            Machine::Server(s) => s.poll_timeout(),
        };
        if next != t.armed {
            t.armed = next;
            if let Some(at) = next {
                self.timers.push(Reverse((at, Target::Tx(i, t.serial))));
            }
        }
        let owner = t.owner;
        for e in evs {
            self.tx_event(now, i, owner, e);
        }
        self.detach_if_done(i);
    }

    /// A transaction that can no longer tell its call anything (final response sent or
    /// received) only absorbs retransmissions: detach it so the call can be freed while
    /// the transaction waits out timers D, I, J, K or L.
    fn detach_if_done(&mut self, i: usize) {
        let Some(t) = self.txs.get_mut(i) else { return };
        let Owner::Call(h) = t.owner else { return };
        let done = match &t.machine {
            Machine::Client(c) => matches!(c.state(), TxState::Completed | TxState::Terminated),
            Machine::Server(s) => s.has_final(),
        };
        if !done {
            return;
        }
        t.owner = Owner::Nobody;
        if let Some(c) = self.calls.get_mut(&h) {
            c.live_txns = c.live_txns.saturating_sub(1);
            if c.invite_tx == Some(i) {
                c.invite_tx = None;
            }
            if c.reinvite_tx == Some(i) {
                c.reinvite_tx = None;
            }
        }
        self.maybe_reap(h);
    }

    fn tx_event(&mut self, now: Instant, i: usize, owner: Owner, e: TxEvent) {
        match e {
            TxEvent::Response(resp) => match owner {
                Owner::Call(h) => self.call_response(now, h, i, *resp),
                Owner::Outgoing(rh) => self.outgoing_response(now, rh, *resp),
                _ => {}
            },
            TxEvent::Timeout => {
                let Some(t) = self.txs.get(i) else { return };
                let method = t.key.method.clone();
                let call_id = t.call_id.clone();
                let client = matches!(t.machine, Machine::Client(_));
                tracing::info!(%call_id, %method, "transaction timeout");
                self.events.push_back(Event::TransactionTimeout {
                    call_id,
                    method: method.clone(),
                });
                match owner {
                    Owner::Call(h) if client => self.call_tx_timeout(now, h, i, &method),
                    Owner::Outgoing(rh) => {
                        self.outgoing.remove(&rh);
                        self.events.push_back(Event::Response {
                            request: rh,
                            code: 408,
                            message: None,
                        });
                    }
                    _ => {}
                }
            }
            TxEvent::Acked => {}
            TxEvent::Terminated => self.remove_tx(i),
        }
    }

    fn remove_tx(&mut self, i: usize) {
        if !self.txs.contains(i) {
            return;
        }
        let t = self.txs.remove(i);
        if self.tx_by_key.get(&t.key) == Some(&i) {
            self.tx_by_key.remove(&t.key);
        }
        match t.owner {
            Owner::Call(h) => {
                if let Some(c) = self.calls.get_mut(&h) {
                    c.live_txns = c.live_txns.saturating_sub(1);
                    if c.invite_tx == Some(i) {
                        c.invite_tx = None;
                    }
                    if c.reinvite_tx == Some(i) {
                        c.reinvite_tx = None;
                    }
                }
                self.maybe_reap(h);
            }
            Owner::Pending(rh) => {
                self.pending.remove(&rh);
            }
            _ => {}
        }
    }

    /// Queue a finished call for freeing. It is freed at the start of the next input, so
    /// `call_id(call)` still answers while the owner drains this input's events.
    fn maybe_reap(&mut self, h: CallHandle) {
        let done = self.calls.get(&h).is_some_and(|c| {
            c.state == CallState::Terminated && c.live_txns == 0 && c.ok.is_none()
        });
        if done && !self.graveyard.contains(&h) {
            self.graveyard.push(h);
        }
    }

    fn bury(&mut self) {
        for h in std::mem::take(&mut self.graveyard) {
            let done = self.calls.get(&h).is_some_and(|c| {
                c.state == CallState::Terminated && c.live_txns == 0 && c.ok.is_none()
            });
            if !done {
                continue;
            }
            if let Some(c) = self.calls.remove(&h) {
                if let Some(d) = &c.dialog {
                    if self.dialogs.get(&d.id) == Some(&h) {
                        self.dialogs.remove(&d.id);
                    }
                }
                if c.role == Role::Uac {
                    self.uac_calls
                        .remove(&(c.call_id.clone(), c.local_tag.clone()));
                }
                tracing::debug!(call_id = %c.call_id, "call freed");
            }
        }
    }

    // ----- input ------------------------------------------------------------------------

    /// Feed one received message (a UDP datagram or one message popped from a
    /// `wire::Framer`). `local` is the socket it arrived on, `remote` its source.
    /// Malformed requests that can be answered get a 400; anything else malformed is
    /// dropped with a debug log. Never panics.
    pub fn handle_message(
        &mut self,
        now: Instant,
        transport: Transport,
        local: SocketAddr,
        remote: SocketAddr,
        bytes: &[u8],
    ) {
        let _ = local;
        self.bury();
        match wire::parse(bytes) {
            Ok(Message::Request(mut req)) => {
                stamp_via(&mut req, remote);
                self.handle_request(now, transport, remote, req);
            }
            Ok(Message::Response(resp)) => self.handle_response(now, resp),
            Err(e) => {
                if let Some(reply) = wire::bad_request(bytes, &format!("Bad Request ({e})")) {
                    tracing::debug!(%remote, error = %e, "malformed request answered with 400");
                    self.transmits.push_back(Transmit {
                        transport,
                        destination: remote,
                        payload: reply,
                    });
                } else {
                    tracing::debug!(%remote, error = %e, "malformed message dropped");
                }
            }
        }
    }

    fn handle_response(&mut self, now: Instant, resp: Response) {
        if resp.head.via.len() != 1 {
            // RFC 3261 §8.1.3.3: a response with more than one Via is misrouted.
            tracing::debug!(call_id = %resp.head.call_id, "response with several Vias dropped");
            return;
        }
        if let Some(key) = resp.transaction_key() {
            if let Some(&i) = self.tx_by_key.get(&key) {
                if let Some(TxEntry {
                    machine: Machine::Client(c),
                    ..
                }) = self.txs.get_mut(i)
                {
                    c.handle_response(now, resp);
                    self.drain_tx(now, i);
                    return;
                }
            }
        }
        // A 2xx retransmission after the INVITE transaction ended: ACK it again.
        if resp.code >= 200 && resp.code < 300 && resp.head.cseq.method == Method::Invite {
            if let Some(id) = DialogId::of_response(&resp) {
                if let Some(c) = self.dialogs.get(&id).and_then(|h| self.calls.get(h)) {
                    if let Some((ack, dest)) = &c.ack {
                        self.transmits.push_back(Transmit {
                            transport: c.transport,
                            destination: *dest,
                            payload: ack.clone(),
                        });
                        return;
                    }
                }
                // A 2xx from another fork of one of our INVITEs: ACK it and hang it up
                // (RFC 3261 §13.2.2.4); we keep the first answer only.
                let key = (id.call_id.clone(), id.local_tag.clone());
                if let Some(&h) = self.uac_calls.get(&key) {
                    if !self.dialogs.contains_key(&id) {
                        self.hang_up_fork(now, h, &resp);
                        return;
                    }
                }
            }
        }
        tracing::debug!(call_id = %resp.head.call_id, code = resp.code, "stray response dropped");
    }

    fn hang_up_fork(&mut self, now: Instant, h: CallHandle, resp: &Response) {
        let Some(c) = self.calls.get(&h) else { return };
        let Some(mut d) = Dialog::from_uac_response(&c.invite, resp) else {
            return;
        };
        let (peer, transport, seq) = (c.peer, c.transport, c.invite.head.cseq.seq);
        tracing::info!(call_id = %d.id.call_id, remote_tag = %d.id.remote_tag, "2xx from another fork: ACK + BYE");
        let dest = d.next_hop().unwrap_or(peer);
        let via = self.our_via(transport);
        let ack = d.request(Method::Ack, via, Some(seq));
        self.transmits.push_back(Transmit {
            transport,
            destination: dest,
            payload: ack.to_bytes(),
        });
        let via = self.our_via(transport);
        let bye = d.request(Method::Bye, via, None);
        self.start_client(now, Owner::Nobody, bye, dest, transport);
    }

    fn reply(
        &mut self,
        now: Instant,
        i: usize,
        code: u16,
        extra: Vec<Header>,
        body: Option<(String, Vec<u8>)>,
    ) {
        let Some(t) = self.txs.get(i) else { return };
        let Some(req) = &t.request else { return };
        let mut resp = make_response(req, code, None);
        resp.head.other = extra;
        if let Some((ct, b)) = body {
            resp.head.content_type = Some(ct);
            resp.body = b;
        }
        self.send_on_server_tx(now, i, &resp);
    }

    /// Create a server transaction for `req` and answer it at once.
    fn answer(
        &mut self,
        now: Instant,
        transport: Transport,
        remote: SocketAddr,
        req: Request,
        code: u16,
        extra: Vec<Header>,
    ) {
        let key = req.transaction_key();
        let dest = response_destination(&req, remote, transport);
        let tx = ServerTransaction::new(&req.method, dest, transport, self.config.timers);
        let i = self.add_tx(key, Owner::Nobody, Machine::Server(tx), Some(req));
        self.reply(now, i, code, extra, None);
    }

    fn handle_request(
        &mut self,
        now: Instant,
        transport: Transport,
        remote: SocketAddr,
        req: Request,
    ) {
        let key = req.transaction_key();
        if let Some(&i) = self.tx_by_key.get(&key) {
            // A retransmission, or the ACK of a non-2xx final response. An ACK that matches
            // an INVITE transaction in Accepted (a peer reusing the branch) is the ACK of
            // our 2xx: it belongs to the dialog.
            if let Some(TxEntry {
                machine: Machine::Server(s),
                ..
            }) = self.txs.get_mut(i)
            {
                let ack_for_2xx = req.method == Method::Ack && s.state() == TxState::Accepted;
                if !ack_for_2xx {
                    s.handle_request(now, &req.method);
                    self.drain_tx(now, i);
                    return;
                }
            }
        }
        if req.method == Method::Ack {
            self.handle_ack(now, req);
            return;
        }
        if req.method == Method::Cancel {
            self.handle_cancel(now, transport, remote, req);
            return;
        }
        if req.head.to.tag().is_some() {
            self.handle_in_dialog(now, transport, remote, req);
            return;
        }
        if self.txs.len() >= self.config.max_transactions {
            tracing::warn!(call_id = %req.head.call_id, "transaction table full: 503");
            let mut resp = make_response(&req, 503, None);
            resp.head.push("Retry-After", "5");
            self.transmits.push_back(Transmit {
                transport,
                destination: response_destination(&req, remote, transport),
                payload: resp.to_bytes(),
            });
            return;
        }
        if req.head.max_forwards == Some(0) && req.method != Method::Options {
            self.answer(now, transport, remote, req, 483, Vec::new());
            return;
        }
        match req.method {
            Method::Invite => self.handle_invite(now, transport, remote, req),
            Method::Options if self.config.auto_options => {
                let extra = vec![
                    Header::new("Allow", ALLOW),
                    Header::new("Accept", "application/sdp"),
                    Header::new("Server", self.config.user_agent.clone()),
                ];
                self.answer(now, transport, remote, req, 200, extra);
            }
            Method::Options | Method::Register | Method::Message | Method::Notify => {
                let rh = RequestHandle(self.new_handle());
                let key = req.transaction_key();
                let dest = response_destination(&req, remote, transport);
                let tx = ServerTransaction::new(&req.method, dest, transport, self.config.timers);
                let i = self.add_tx(
                    key,
                    Owner::Pending(rh),
                    Machine::Server(tx),
                    Some(req.clone()),
                );
                self.pending.insert(rh, i);
                let deadline = now + self.config.timers.t1x64();
                self.timers.push(Reverse((deadline, Target::Owner(rh))));
                self.events.push_back(Event::IncomingRequest {
                    request: rh,
                    message: Box::new(req),
                    source: remote,
                    transport,
                });
            }
            Method::Bye | Method::Info | Method::Update | Method::Prack => {
                self.answer(now, transport, remote, req, 481, Vec::new());
            }
            _ => {
                let extra = vec![Header::new("Allow", ALLOW)];
                self.answer(now, transport, remote, req, 405, extra);
            }
        }
    }

    fn handle_invite(
        &mut self,
        now: Instant,
        transport: Transport,
        remote: SocketAddr,
        req: Request,
    ) {
        if !matches!(req.uri.scheme, Scheme::Sip | Scheme::Sips | Scheme::Tel) {
            self.answer(now, transport, remote, req, 416, Vec::new());
            return;
        }
        // We support no option tags but session timers (which we may ignore): 420 for the
        // rest (e.g. Require: 100rel), listing them in Unsupported.
        let unsupported: Vec<String> = req
            .head
            .headers("Require")
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|t| !t.is_empty() && !t.eq_ignore_ascii_case("timer"))
            .map(str::to_string)
            .collect();
        if !unsupported.is_empty() {
            let extra = vec![Header::new("Unsupported", unsupported.join(", "))];
            self.answer(now, transport, remote, req, 420, extra);
            return;
        }
        let h = CallHandle(self.new_handle());
        let local_tag = self.token();
        let dialog = Dialog::from_uas_request(&req, &local_tag);
        let key = req.transaction_key();
        let dest = response_destination(&req, remote, transport);
        let call_id = req.head.call_id.clone();
        tracing::info!(%call_id, %remote, "incoming call");
        let ev = Event::IncomingCall {
            call: h,
            call_id: call_id.clone(),
            from: party(&req.head.from),
            to: party(&req.head.to),
            pai: req
                .head
                .header("P-Asserted-Identity")
                .and_then(|v| NameAddr::parse(v).ok())
                .map(|n| party(&n)),
            request_user: req.uri.user_unescaped(),
            sdp: body_opt(&req.body),
            source: remote,
            transport,
        };
        self.dialogs.insert(dialog.id.clone(), h);
        self.calls.insert(
            h,
            Call {
                role: Role::Uas,
                state: CallState::UasRinging,
                call_id,
                local_tag,
                invite: req.clone(),
                invite_tx: None,
                dialog: Some(dialog),
                peer: dest,
                transport,
                ok: None,
                armed: None,
                bye_after_ack: false,
                ack: None,
                cancel_pending: false,
                got_provisional: false,
                credentials: None,
                auth_tried: false,
                late_offer: req.body.is_empty(),
                reinvite_tx: None,
                our_reinvite: false,
                live_txns: 0,
            },
        );
        let tx = ServerTransaction::new(&Method::Invite, dest, transport, self.config.timers);
        let i = self.add_tx(key, Owner::Call(h), Machine::Server(tx), Some(req));
        if let Some(c) = self.calls.get_mut(&h) {
            c.invite_tx = Some(i);
        }
        if self.config.auto_trying {
            self.reply(now, i, 100, Vec::new(), None);
        }
        self.events.push_back(ev);
    }

    fn handle_ack(&mut self, now: Instant, req: Request) {
        let Some(id) = DialogId::of_request(&req) else {
            return;
        };
        let Some(&h) = self.dialogs.get(&id) else {
            tracing::debug!(call_id = %req.head.call_id, "ACK for unknown dialog dropped");
            return;
        };
        let Some(c) = self.calls.get_mut(&h) else {
            return;
        };
        if c.ok.is_none() {
            return; // duplicate ACK
        }
        if req.head.cseq.seq != c.invite.head.cseq.seq {
            return; // ACK for an older INVITE
        }
        c.ok = None;
        c.armed = None;
        let was_initial = c.state == CallState::UasAccepted;
        if was_initial {
            c.state = CallState::Confirmed;
            if let Some(d) = &mut c.dialog {
                d.early = false;
            }
        }
        let bye = c.bye_after_ack;
        if was_initial || !req.body.is_empty() {
            self.events.push_back(Event::CallAcked {
                call: h,
                sdp: body_opt(&req.body),
            });
        }
        if bye {
            let _ = self.send_bye(now, h, TerminationReason::LocalBye);
        }
    }

    fn handle_cancel(
        &mut self,
        now: Instant,
        transport: Transport,
        remote: SocketAddr,
        req: Request,
    ) {
        let invite_key = req.transaction_key().with_method(Method::Invite);
        let target = self.tx_by_key.get(&invite_key).copied();
        let Some(i) = target else {
            self.answer(now, transport, remote, req, 481, Vec::new());
            return;
        };
        self.answer(now, transport, remote, req, 200, Vec::new());
        let Some(TxEntry {
            owner: Owner::Call(h),
            machine: Machine::Server(s),
            ..
        }) = self.txs.get(i)
        else {
            return;
        };
        if s.has_final() {
            return;
        }
        let h = *h;
        let tag = self.calls.get(&h).map(|c| c.local_tag.clone());
        self.final_to_invite(now, h, i, 487, tag.as_deref());
        if let Some(c) = self.calls.get_mut(&h) {
            c.state = CallState::Terminated;
        }
        self.events.push_back(Event::Cancelled { call: h });
        self.maybe_reap(h);
    }

    fn final_to_invite(
        &mut self,
        now: Instant,
        h: CallHandle,
        i: usize,
        code: u16,
        tag: Option<&str>,
    ) {
        let Some(req) = self.calls.get(&h).map(|c| &c.invite) else {
            return;
        };
        let resp = make_response(req, code, tag);
        if let Some(TxEntry {
            machine: Machine::Server(s),
            ..
        }) = self.txs.get_mut(i)
        {
            s.send_response(now, &resp);
        }
        self.drain_tx(now, i);
    }

    fn handle_in_dialog(
        &mut self,
        now: Instant,
        transport: Transport,
        remote: SocketAddr,
        req: Request,
    ) {
        let h = DialogId::of_request(&req).and_then(|id| self.dialogs.get(&id).copied());
        let Some(h) = h else {
            self.answer(now, transport, remote, req, 481, Vec::new());
            return;
        };
        let in_order = self
            .calls
            .get_mut(&h)
            .and_then(|c| c.dialog.as_mut())
            .is_some_and(|d| d.accept_remote_seq(&req));
        if !in_order {
            self.answer(now, transport, remote, req, 500, Vec::new());
            return;
        }
        let key = req.transaction_key();
        let dest = response_destination(&req, remote, transport);
        let tx = ServerTransaction::new(&req.method, dest, transport, self.config.timers);
        let method = req.method.clone();
        let i = self.add_tx(key, Owner::Call(h), Machine::Server(tx), Some(req.clone()));
        match method {
            Method::Bye => {
                self.reply(now, i, 200, Vec::new(), None);
                if let Some(c) = self.calls.get_mut(&h) {
                    if c.state != CallState::Terminated {
                        c.state = CallState::Terminated;
                        c.ok = None;
                        c.armed = None;
                        tracing::info!(call_id = %c.call_id, "remote BYE");
                        self.events.push_back(Event::CallTerminated {
                            call: h,
                            reason: TerminationReason::RemoteBye,
                        });
                    }
                }
                self.maybe_reap(h);
            }
            Method::Invite => {
                let busy = self.calls.get(&h).is_some_and(|c| {
                    c.reinvite_tx.is_some()
                        || c.ok.is_some()
                        || c.our_reinvite
                        || c.state != CallState::Confirmed
                });
                if busy {
                    self.reply(now, i, 491, Vec::new(), None);
                    return;
                }
                if let Some(c) = self.calls.get_mut(&h) {
                    c.reinvite_tx = Some(i);
                    c.invite = req.clone();
                }
                self.events.push_back(Event::Reinvite {
                    call: h,
                    sdp: body_opt(&req.body),
                });
            }
            Method::Info => {
                self.reply(now, i, 200, Vec::new(), None);
                if let Some((digit, duration_ms)) = dtmf_from_info(&req) {
                    self.events.push_back(Event::Dtmf {
                        call: h,
                        digit,
                        duration_ms,
                    });
                }
            }
            // An UPDATE carrying an offer would need an answer from the owner; we only take
            // session refreshes (no body), so refuse offers rather than ignore them.
            Method::Update if !req.body.is_empty() => {
                self.reply(now, i, 488, Vec::new(), None);
            }
            Method::Options | Method::Update | Method::Notify | Method::Message => {
                self.reply(now, i, 200, Vec::new(), None);
            }
            _ => {
                self.reply(now, i, 501, vec![Header::new("Allow", ALLOW)], None);
            }
        }
    }

    // ----- UAC responses ----------------------------------------------------------------

    fn call_response(&mut self, now: Instant, h: CallHandle, i: usize, resp: Response) {
        let Some(c) = self.calls.get_mut(&h) else {
            return;
        };
        let method = resp.head.cseq.method.clone();
        if method != Method::Invite && (resp.code == 401 || resp.code == 407) {
            // Some trunks challenge BYE too: answer once with the call's credentials.
            let creds = c.credentials.clone();
            let transport = c.transport;
            let sent = match self.txs.get(i) {
                Some(TxEntry {
                    machine: Machine::Client(tx),
                    ..
                }) => Some(tx.request().clone()),
                _ => None,
            };
            if let (Some(creds), Some(mut req)) = (creds, sent) {
                let already = req.head.header("Authorization").is_some()
                    || req.head.header("Proxy-Authorization").is_some();
                let cnonce = self.token();
                if !already && add_authorization(&mut req, &resp, &creds, &cnonce) {
                    req.head.via = vec![self.our_via(transport)];
                    let Some(c) = self.calls.get_mut(&h) else {
                        return;
                    };
                    if let Some(d) = &mut c.dialog {
                        d.local_seq += 1;
                        req.head.cseq.seq = d.local_seq;
                    }
                    let dest = in_dialog_destination(c);
                    self.start_client(now, Owner::Call(h), req, dest, transport);
                    return;
                }
            }
        }
        let Some(c) = self.calls.get_mut(&h) else {
            return;
        };
        if method != Method::Invite {
            // BYE / INFO / ...: the dialog is gone if 481 or 408.
            if (resp.code == 481 || resp.code == 408) && c.state != CallState::Terminated {
                c.state = CallState::Terminated;
                self.events.push_back(Event::CallTerminated {
                    call: h,
                    reason: TerminationReason::DialogLost,
                });
            }
            return;
        }
        if c.role == Role::Uac && c.invite_tx == Some(i) && !c.our_reinvite {
            self.initial_invite_response(now, h, resp);
        } else {
            self.reinvite_response(now, h, resp);
        }
    }

    fn initial_invite_response(&mut self, now: Instant, h: CallHandle, resp: Response) {
        let Some(c) = self.calls.get_mut(&h) else {
            return;
        };
        let code = resp.code;
        if code < 200 {
            c.got_provisional = true;
            if c.state == CallState::UacCalling && resp.head.to.tag().is_some() {
                c.state = CallState::UacEarly;
                if c.dialog.is_none() {
                    c.dialog = Dialog::from_uac_response(&c.invite, &resp);
                }
            }
            let cancel = c.cancel_pending;
            if code > 100 {
                self.events.push_back(Event::Progress {
                    call: h,
                    code,
                    sdp: body_opt(&resp.body),
                });
            }
            if cancel {
                self.send_cancel(now, h);
            }
            return;
        }
        if code < 300 {
            let Some(d) = Dialog::from_uac_response(&c.invite, &resp) else {
                tracing::debug!(call_id = %c.call_id, "2xx without To tag");
                return;
            };
            let mut d = match c.dialog.take() {
                Some(mut early) if early.id == d.id => {
                    early.confirm(&resp);
                    early
                }
                _ => d,
            };
            d.early = false;
            self.dialogs.insert(d.id.clone(), h);
            c.dialog = Some(d);
            c.state = CallState::Confirmed;
            let cancelled = c.cancel_pending;
            let late = c.late_offer;
            tracing::info!(call_id = %c.call_id, "answered");
            self.events.push_back(Event::Answered {
                call: h,
                sdp: body_opt(&resp.body),
            });
            if !late || cancelled {
                self.send_ack(h, None);
            }
            if cancelled {
                let _ = self.send_bye(now, h, TerminationReason::LocalBye);
            }
            return;
        }
        // 3xx-6xx: the transaction already ACKed it.
        if (code == 401 || code == 407) && !c.auth_tried {
            if let Some(creds) = c.credentials.clone() {
                c.auth_tried = true;
                let mut invite = c.invite.clone();
                let via = self.our_via(c_transport(&self.calls, h));
                let cnonce = self.token();
                if add_authorization(&mut invite, &resp, &creds, &cnonce) {
                    invite.head.via = vec![via];
                    invite.head.cseq.seq += 1;
                    let Some(c) = self.calls.get_mut(&h) else {
                        return;
                    };
                    c.invite = invite.clone();
                    let (peer, transport) = (c.peer, c.transport);
                    let i = self.start_client(now, Owner::Call(h), invite, peer, transport);
                    if let Some(c) = self.calls.get_mut(&h) {
                        c.invite_tx = Some(i);
                    }
                    return;
                }
            }
        }
        let Some(c) = self.calls.get_mut(&h) else {
            return;
        };
        c.state = CallState::Terminated;
        tracing::info!(call_id = %c.call_id, code, "call failed");
        self.events.push_back(Event::Failed {
            call: h,
            code,
            reason: resp.reason.clone(),
        });
    }

    fn reinvite_response(&mut self, now: Instant, h: CallHandle, resp: Response) {
        let _ = now;
        if resp.code < 200 {
            return;
        }
        let Some(c) = self.calls.get_mut(&h) else {
            return;
        };
        c.our_reinvite = false;
        if resp.code < 300 {
            if let Some(d) = &mut c.dialog {
                if let Some(ct) = resp.head.contact.first() {
                    d.remote_target = ct.uri.clone();
                }
            }
            self.send_ack(h, None);
        }
        self.events.push_back(Event::ReinviteResult {
            call: h,
            code: resp.code,
            sdp: body_opt(&resp.body),
        });
    }

    fn call_tx_timeout(&mut self, now: Instant, h: CallHandle, i: usize, method: &Method) {
        let Some(c) = self.calls.get_mut(&h) else {
            return;
        };
        if *method == Method::Invite
            && c.role == Role::Uac
            && c.invite_tx == Some(i)
            && !c.our_reinvite
        {
            if c.state != CallState::Terminated {
                c.state = CallState::Terminated;
                self.events.push_back(Event::Failed {
                    call: h,
                    code: 408,
                    reason: "Request Timeout".into(),
                });
            }
        } else if *method == Method::Invite {
            c.our_reinvite = false;
            self.events.push_back(Event::ReinviteResult {
                call: h,
                code: 408,
                sdp: None,
            });
            let _ = self.send_bye(now, h, TerminationReason::DialogLost);
        } else if c.state != CallState::Terminated {
            c.state = CallState::Terminated;
            self.events.push_back(Event::CallTerminated {
                call: h,
                reason: TerminationReason::DialogLost,
            });
        }
    }

    fn outgoing_response(&mut self, now: Instant, rh: RequestHandle, resp: Response) {
        if resp.code < 200 {
            return;
        }
        if resp.code == 401 || resp.code == 407 {
            let cnonce = self.token();
            let via = self.our_via(Transport::Udp);
            if let Some(o) = self.outgoing.get_mut(&rh) {
                if !o.auth_tried {
                    if let Some(creds) = o.request.credentials.clone() {
                        o.auth_tried = true;
                        let mut req = o.sent.clone();
                        if add_authorization(&mut req, &resp, &creds, &cnonce) {
                            let mut via = via;
                            via.transport = o.request.transport.as_str().to_string();
                            req.head.via = vec![via];
                            req.head.cseq.seq += 1;
                            o.sent = req.clone();
                            let (dest, tr) = (o.request.destination, o.request.transport);
                            self.start_client(now, Owner::Outgoing(rh), req, dest, tr);
                            return;
                        }
                    }
                }
            }
        }
        self.outgoing.remove(&rh);
        self.events.push_back(Event::Response {
            request: rh,
            code: resp.code,
            message: Some(Box::new(resp)),
        });
    }

    // ----- UAS call timer (2xx retransmission) -----------------------------------------

    fn arm_call(&mut self, h: CallHandle) {
        if let Some(c) = self.calls.get_mut(&h) {
            let next = c.ok.as_ref().map(|o| o.next.min(o.give_up));
            if next != c.armed {
                c.armed = next;
                if let Some(at) = next {
                    self.timers.push(Reverse((at, Target::Call(h))));
                }
            }
        }
    }

    fn call_timeout(&mut self, now: Instant, h: CallHandle) {
        let Some(c) = self.calls.get_mut(&h) else {
            return;
        };
        let Some(ok) = &mut c.ok else { return };
        if now >= ok.give_up {
            c.ok = None;
            tracing::info!(call_id = %c.call_id, "no ACK for 2xx");
            let was_initial = c.state == CallState::UasAccepted;
            if was_initial {
                c.state = CallState::Confirmed;
            }
            let _ = self.send_bye(now, h, TerminationReason::AckTimeout);
            self.maybe_reap(h);
            return;
        }
        if now >= ok.next {
            self.transmits.push_back(Transmit {
                transport: ok.transport,
                destination: ok.destination,
                payload: ok.payload.clone(),
            });
            ok.interval = (ok.interval * 2).min(self.config.timers.t2);
            ok.next = now + ok.interval;
        }
        self.arm_call(h);
    }

    // ----- UAC / in-dialog sending -------------------------------------------------------

    fn send_ack(&mut self, h: CallHandle, sdp: Option<Vec<u8>>) {
        let via = self.our_via(c_transport(&self.calls, h));
        let Some(c) = self.calls.get_mut(&h) else {
            return;
        };
        let seq = c.invite.head.cseq.seq;
        let Some(d) = &mut c.dialog else { return };
        let mut ack = d.request(Method::Ack, via, Some(seq));
        if let Some(b) = sdp {
            ack.head.content_type = Some("application/sdp".into());
            ack.body = b;
        }
        let dest = d.next_hop().unwrap_or(c.peer);
        let bytes = ack.to_bytes();
        self.transmits.push_back(Transmit {
            transport: c.transport,
            destination: dest,
            payload: bytes.clone(),
        });
        c.ack = Some((bytes, dest));
    }

    fn send_in_dialog(
        &mut self,
        now: Instant,
        h: CallHandle,
        method: Method,
        body: Option<(String, Vec<u8>)>,
    ) -> Result<usize, EndpointError> {
        let transport = c_transport(&self.calls, h);
        let via = self.our_via(transport);
        let contact = self.our_contact(transport);
        let ua = self.config.user_agent.clone();
        let c = self.calls.get_mut(&h).ok_or(EndpointError::UnknownCall)?;
        let d = c
            .dialog
            .as_mut()
            .ok_or(EndpointError::InvalidState("no dialog"))?;
        let mut req = d.request(method.clone(), via, None);
        if method == Method::Invite {
            req.head.contact.push(contact);
        }
        req.head.push("User-Agent", ua);
        if let Some((ct, b)) = body {
            req.head.content_type = Some(ct);
            req.body = b;
        }
        let dest = in_dialog_destination(c);
        if method == Method::Invite {
            c.invite = req.clone();
        }
        Ok(self.start_client(now, Owner::Call(h), req, dest, transport))
    }

    fn send_bye(
        &mut self,
        now: Instant,
        h: CallHandle,
        reason: TerminationReason,
    ) -> Result<(), EndpointError> {
        let c = self.calls.get_mut(&h).ok_or(EndpointError::UnknownCall)?;
        if c.state == CallState::Terminated && reason != TerminationReason::AckTimeout {
            return Err(EndpointError::InvalidState("bye"));
        }
        c.state = CallState::Terminated;
        c.ok = None;
        tracing::info!(call_id = %c.call_id, ?reason, "sending BYE");
        self.send_in_dialog(now, h, Method::Bye, None)?;
        self.events
            .push_back(Event::CallTerminated { call: h, reason });
        Ok(())
    }

    fn send_cancel(&mut self, now: Instant, h: CallHandle) {
        let Some(c) = self.calls.get_mut(&h) else {
            return;
        };
        c.cancel_pending = false;
        let inv = &c.invite;
        let cancel = Request {
            method: Method::Cancel,
            uri: inv.uri.clone(),
            head: Head {
                via: inv.head.via.iter().take(1).cloned().collect(),
                from: inv.head.from.clone(),
                to: inv.head.to.clone(),
                call_id: inv.head.call_id.clone(),
                cseq: CSeq {
                    seq: inv.head.cseq.seq,
                    method: Method::Cancel,
                },
                max_forwards: Some(70),
                contact: Vec::new(),
                contact_star: false,
                route: inv.head.route.clone(),
                record_route: Vec::new(),
                content_type: None,
                other: Vec::new(),
            },
            body: Vec::new(),
        };
        let (peer, transport, invite_tx) = (c.peer, c.transport, c.invite_tx);
        if let Some(i) = invite_tx {
            if let Some(TxEntry {
                machine: Machine::Client(tx),
                ..
            }) = self.txs.get_mut(i)
            {
                tx.cancel_sent(now);
            }
            self.drain_tx(now, i);
        }
        self.start_client(now, Owner::Nobody, cancel, peer, transport);
    }

    // ----- commands -----------------------------------------------------------------------

    fn uas_response(
        &self,
        h: CallHandle,
        code: u16,
        sdp: Option<Vec<u8>>,
    ) -> Result<(Response, usize), EndpointError> {
        let c = self.calls.get(&h).ok_or(EndpointError::UnknownCall)?;
        if c.role != Role::Uas || c.state != CallState::UasRinging {
            return Err(EndpointError::InvalidState("answer"));
        }
        let i = c.invite_tx.ok_or(EndpointError::InvalidState("answer"))?;
        let mut resp = make_response(&c.invite, code, Some(&c.local_tag));
        if code < 300 {
            resp.head.contact.push(self.our_contact(c.transport));
            resp.head.record_route = c.invite.head.record_route.clone();
            resp.head.push("Allow", ALLOW);
        }
        if let Some(b) = sdp {
            resp.head.content_type = Some("application/sdp".into());
            resp.body = b;
        }
        Ok((resp, i))
    }

    fn send_on_server_tx(&mut self, now: Instant, i: usize, resp: &Response) {
        if let Some(TxEntry {
            machine: Machine::Server(s),
            request,
            ..
        }) = self.txs.get_mut(i)
        {
            s.send_response(now, resp);
            if resp.code >= 200 {
                // Retransmissions re-send the stored bytes; the request is not needed.
                *request = None;
            }
        }
        self.drain_tx(now, i);
    }

    /// UAS: send a provisional response (101..=199, e.g. 180 or 183 with early SDP).
    pub fn send_provisional(
        &mut self,
        now: Instant,
        call: CallHandle,
        code: u16,
        sdp: Option<Vec<u8>>,
    ) -> Result<(), EndpointError> {
        if !(101..=199).contains(&code) {
            return Err(EndpointError::BadStatus(code));
        }
        let (resp, i) = self.uas_response(call, code, sdp)?;
        self.send_on_server_tx(now, i, &resp);
        Ok(())
    }

    /// UAS: answer with 200 (SDP answer, or offer for a late-offer INVITE). The 2xx is
    /// retransmitted until the ACK comes ([`Event::CallAcked`]) or 64*T1 passes (then BYE
    /// and [`Event::CallTerminated`] with [`TerminationReason::AckTimeout`]).
    pub fn accept(
        &mut self,
        now: Instant,
        call: CallHandle,
        sdp: Option<Vec<u8>>,
    ) -> Result<(), EndpointError> {
        let (resp, i) = self.uas_response(call, 200, sdp)?;
        self.send_on_server_tx(now, i, &resp);
        self.start_2xx_retransmit(now, call, &resp, i);
        if let Some(c) = self.calls.get_mut(&call) {
            c.state = CallState::UasAccepted;
        }
        Ok(())
    }

    fn start_2xx_retransmit(&mut self, now: Instant, call: CallHandle, resp: &Response, i: usize) {
        let dest = match self.txs.get(i) {
            Some(TxEntry {
                machine: Machine::Server(s),
                ..
            }) => Some(s.destination()),
            _ => None,
        };
        let t1 = self.config.timers.t1;
        let give_up = now + self.config.timers.t1x64();
        let Some(c) = self.calls.get_mut(&call) else {
            return;
        };
        c.ok = Some(Retransmit {
            payload: resp.to_bytes(),
            destination: dest.unwrap_or(c.peer),
            transport: c.transport,
            interval: t1,
            next: now + t1,
            give_up,
        });
        self.arm_call(call);
    }

    /// UAS: refuse an incoming call with a final status 300..=699.
    pub fn reject(
        &mut self,
        now: Instant,
        call: CallHandle,
        code: u16,
        reason: Option<&str>,
    ) -> Result<(), EndpointError> {
        if !(300..=699).contains(&code) {
            return Err(EndpointError::BadStatus(code));
        }
        let (mut resp, i) = self.uas_response(call, code, None)?;
        if let Some(r) = reason {
            resp.reason = r.chars().filter(|c| !c.is_control()).collect();
        }
        self.send_on_server_tx(now, i, &resp);
        if let Some(c) = self.calls.get_mut(&call) {
            c.state = CallState::Terminated;
        }
        self.maybe_reap(call);
        Ok(())
    }

    /// Answer a re-INVITE ([`Event::Reinvite`]): 200 with SDP, or an error code (e.g. 488).
    pub fn answer_reinvite(
        &mut self,
        now: Instant,
        call: CallHandle,
        code: u16,
        sdp: Option<Vec<u8>>,
    ) -> Result<(), EndpointError> {
        if !(200..=699).contains(&code) {
            return Err(EndpointError::BadStatus(code));
        }
        let c = self
            .calls
            .get_mut(&call)
            .ok_or(EndpointError::UnknownCall)?;
        let i = c
            .reinvite_tx
            .take()
            .ok_or(EndpointError::InvalidState("answer_reinvite"))?;
        let mut resp = make_response(&c.invite, code, None);
        if code < 300 {
            let tr = c.transport;
            resp.head.contact.push(self.our_contact(tr));
        }
        if let Some(b) = sdp {
            resp.head.content_type = Some("application/sdp".into());
            resp.body = b;
        }
        self.send_on_server_tx(now, i, &resp);
        if code < 300 {
            self.start_2xx_retransmit(now, call, &resp, i);
        }
        Ok(())
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
        if !(100..=699).contains(&code) {
            return Err(EndpointError::BadStatus(code));
        }
        let &i = self
            .pending
            .get(&request)
            .ok_or(EndpointError::UnknownRequest)?;
        if code >= 200 {
            self.pending.remove(&request);
        }
        self.reply(now, i, code, headers, body);
        Ok(())
    }

    /// End a call in whatever way fits its state: BYE when confirmed (after the ACK for an
    /// incoming call), CANCEL when an outgoing call has no answer yet, 487 when an incoming
    /// call was not answered yet.
    pub fn hangup(&mut self, now: Instant, call: CallHandle) -> Result<(), EndpointError> {
        let state = self
            .calls
            .get(&call)
            .ok_or(EndpointError::UnknownCall)?
            .state;
        match state {
            CallState::UasRinging => self.reject(now, call, 487, None),
            CallState::UasAccepted => {
                if let Some(c) = self.calls.get_mut(&call) {
                    c.bye_after_ack = true;
                }
                Ok(())
            }
            CallState::UacCalling | CallState::UacEarly => self.cancel(now, call),
            CallState::Confirmed => self.bye(now, call),
            CallState::Terminated => Err(EndpointError::InvalidState("hangup")),
        }
    }

    /// UAC: start an outgoing call.
    pub fn invite(
        &mut self,
        now: Instant,
        invite: OutgoingInvite,
    ) -> Result<CallHandle, EndpointError> {
        let uri =
            Uri::parse(&invite.target).map_err(|_| EndpointError::BadUri(invite.target.clone()))?;
        let from_uri =
            Uri::parse(&invite.from).map_err(|_| EndpointError::BadUri(invite.from.clone()))?;
        let to_uri = match &invite.to {
            Some(t) => Uri::parse(t).map_err(|_| EndpointError::BadUri(t.clone()))?,
            None => uri.clone(),
        };
        let h = CallHandle(self.new_handle());
        let local_tag = self.token();
        let call_id = format!("{}@{}", self.token(), self.config.contact_host);
        let via = self.our_via(invite.transport);
        let mut from = NameAddr::new(from_uri);
        from.display = invite.from_display.clone();
        from.set_param("tag", Some(&local_tag));
        let mut other = invite.headers.clone();
        other.push(Header::new("Allow", ALLOW));
        other.push(Header::new("User-Agent", self.config.user_agent.clone()));
        let late_offer = invite.sdp.is_none();
        let req = Request {
            method: Method::Invite,
            uri,
            head: Head {
                via: vec![via],
                from,
                to: NameAddr::new(to_uri),
                call_id: call_id.clone(),
                cseq: CSeq {
                    seq: 1,
                    method: Method::Invite,
                },
                max_forwards: Some(70),
                contact: vec![self.our_contact(invite.transport)],
                contact_star: false,
                route: Vec::new(),
                record_route: Vec::new(),
                content_type: invite.sdp.as_ref().map(|_| "application/sdp".to_string()),
                other,
            },
            body: invite.sdp.unwrap_or_default(),
        };
        tracing::info!(%call_id, destination = %invite.destination, "outgoing call");
        let (call_id_for_forks, local_tag_for_forks) = (call_id.clone(), local_tag.clone());
        self.calls.insert(
            h,
            Call {
                role: Role::Uac,
                state: CallState::UacCalling,
                call_id,
                local_tag,
                invite: req.clone(),
                invite_tx: None,
                dialog: None,
                peer: invite.destination,
                transport: invite.transport,
                ok: None,
                armed: None,
                bye_after_ack: false,
                ack: None,
                cancel_pending: false,
                got_provisional: false,
                credentials: invite.credentials,
                auth_tried: false,
                late_offer,
                reinvite_tx: None,
                our_reinvite: false,
                live_txns: 0,
            },
        );
        self.uac_calls
            .insert((call_id_for_forks, local_tag_for_forks), h);
        let i = self.start_client(
            now,
            Owner::Call(h),
            req,
            invite.destination,
            invite.transport,
        );
        if let Some(c) = self.calls.get_mut(&h) {
            c.invite_tx = Some(i);
        }
        Ok(h)
    }

    /// UAC: send the ACK with the SDP answer for a late-offer call after
    /// [`Event::Answered`] (only for calls started with `sdp: None`).
    pub fn ack(
        &mut self,
        now: Instant,
        call: CallHandle,
        sdp: Option<Vec<u8>>,
    ) -> Result<(), EndpointError> {
        let _ = now;
        let c = self.calls.get(&call).ok_or(EndpointError::UnknownCall)?;
        if c.role != Role::Uac || c.state != CallState::Confirmed || c.ack.is_some() {
            return Err(EndpointError::InvalidState("ack"));
        }
        self.send_ack(call, sdp);
        Ok(())
    }

    /// UAC: cancel an outgoing call that has no final response yet (sent once a
    /// provisional arrived, as RFC 3261 §9.1 requires).
    pub fn cancel(&mut self, now: Instant, call: CallHandle) -> Result<(), EndpointError> {
        let c = self
            .calls
            .get_mut(&call)
            .ok_or(EndpointError::UnknownCall)?;
        if c.role != Role::Uac || !matches!(c.state, CallState::UacCalling | CallState::UacEarly) {
            return Err(EndpointError::InvalidState("cancel"));
        }
        if c.got_provisional {
            self.send_cancel(now, call);
        } else {
            c.cancel_pending = true;
        }
        Ok(())
    }

    /// Send BYE in a confirmed call (either role).
    pub fn bye(&mut self, now: Instant, call: CallHandle) -> Result<(), EndpointError> {
        let c = self.calls.get(&call).ok_or(EndpointError::UnknownCall)?;
        if c.state != CallState::Confirmed {
            return Err(EndpointError::InvalidState("bye"));
        }
        self.send_bye(now, call, TerminationReason::LocalBye)
    }

    /// Send a re-INVITE with a new offer (hold / unhold) in a confirmed call; the outcome
    /// comes as [`Event::ReinviteResult`].
    pub fn reinvite(
        &mut self,
        now: Instant,
        call: CallHandle,
        sdp: Vec<u8>,
    ) -> Result<(), EndpointError> {
        let c = self
            .calls
            .get_mut(&call)
            .ok_or(EndpointError::UnknownCall)?;
        if c.state != CallState::Confirmed
            || c.our_reinvite
            || c.reinvite_tx.is_some()
            || c.ok.is_some()
        {
            return Err(EndpointError::InvalidState("reinvite"));
        }
        c.our_reinvite = true;
        self.send_in_dialog(
            now,
            call,
            Method::Invite,
            Some(("application/sdp".into(), sdp)),
        )?;
        Ok(())
    }

    /// Send a non-INVITE request outside dialogs; its final response comes as
    /// [`Event::Response`] (after one digest retry when credentials were given).
    pub fn request(
        &mut self,
        now: Instant,
        request: OutgoingRequest,
    ) -> Result<RequestHandle, EndpointError> {
        if matches!(
            request.method,
            Method::Invite | Method::Ack | Method::Cancel
        ) {
            return Err(EndpointError::BadMethod);
        }
        let uri = Uri::parse(&request.target)
            .map_err(|_| EndpointError::BadUri(request.target.clone()))?;
        let from_uri =
            Uri::parse(&request.from).map_err(|_| EndpointError::BadUri(request.from.clone()))?;
        let to_uri = match &request.to {
            Some(t) => Uri::parse(t).map_err(|_| EndpointError::BadUri(t.clone()))?,
            None => uri.clone(),
        };
        let rh = RequestHandle(self.new_handle());
        let tag = self.token();
        let call_id = match &request.call_id {
            Some(c) => c.clone(),
            None => format!("{}@{}", self.token(), self.config.contact_host),
        };
        let via = self.our_via(request.transport);
        let mut from = NameAddr::new(from_uri);
        from.set_param("tag", Some(&tag));
        let mut other = request.headers.clone();
        other.push(Header::new("User-Agent", self.config.user_agent.clone()));
        let contact = if request.method == Method::Register
            && !request
                .headers
                .iter()
                .any(|h| h.name.eq_ignore_ascii_case("Contact"))
        {
            vec![self.our_contact(request.transport)]
        } else {
            Vec::new()
        };
        let (content_type, body) = match &request.body {
            Some((ct, b)) => (Some(ct.clone()), b.clone()),
            None => (None, Vec::new()),
        };
        let req = Request {
            method: request.method.clone(),
            uri,
            head: Head {
                via: vec![via],
                from,
                to: NameAddr::new(to_uri),
                call_id,
                cseq: CSeq {
                    seq: request.cseq.unwrap_or(1),
                    method: request.method.clone(),
                },
                max_forwards: Some(70),
                contact,
                contact_star: false,
                route: Vec::new(),
                record_route: Vec::new(),
                content_type,
                other,
            },
            body,
        };
        let (dest, tr) = (request.destination, request.transport);
        self.outgoing.insert(
            rh,
            OutReq {
                request,
                sent: req.clone(),
                auth_tried: false,
            },
        );
        self.start_client(now, Owner::Outgoing(rh), req, dest, tr);
        Ok(rh)
    }
}

/// Where our in-dialog requests go: through the route set / to the remote target for
/// calls we placed; for calls we took, back to where the INVITE came from (NAT-friendly)
/// unless a route set says otherwise. Host names fall back to that address (no DNS here).
fn in_dialog_destination(c: &Call) -> SocketAddr {
    match &c.dialog {
        Some(d) if c.role == Role::Uac || !d.route_set.is_empty() => d.next_hop().unwrap_or(c.peer),
        _ => c.peer,
    }
}

fn c_transport(calls: &HashMap<CallHandle, Call>, h: CallHandle) -> Transport {
    calls.get(&h).map(|c| c.transport).unwrap_or(Transport::Udp)
}

/// A response to `req` copying Via, From, To (adding our tag), Call-ID and CSeq.
pub fn make_response(req: &Request, code: u16, to_tag: Option<&str>) -> Response {
    let mut to = req.head.to.clone();
    if let Some(tag) = to_tag {
        if to.tag().is_none() && code > 100 {
            to.set_param("tag", Some(tag));
        }
    }
    Response {
        code,
        reason: reason_phrase(code).to_string(),
        head: Head {
            via: req.head.via.clone(),
            from: req.head.from.clone(),
            to,
            call_id: req.head.call_id.clone(),
            cseq: req.head.cseq.clone(),
            max_forwards: None,
            contact: Vec::new(),
            contact_star: false,
            route: Vec::new(),
            record_route: Vec::new(),
            content_type: None,
            other: Vec::new(),
        },
        body: Vec::new(),
    }
}

/// Add `Authorization` (401) or `Proxy-Authorization` (407) answering the challenge in
/// `resp`. False when there is no usable challenge.
fn add_authorization(
    req: &mut Request,
    resp: &Response,
    creds: &Credentials,
    cnonce: &str,
) -> bool {
    let (chal_name, auth_name) = if resp.code == 407 {
        ("Proxy-Authenticate", "Proxy-Authorization")
    } else {
        ("WWW-Authenticate", "Authorization")
    };
    // Prefer SHA-256 when offered, else the first usable challenge.
    let mut best: Option<Challenge> = None;
    for v in resp.head.headers(chal_name) {
        if let Ok(c) = Challenge::parse(v) {
            let better = match &best {
                None => true,
                Some(b) => {
                    b.algorithm == auth::Algorithm::Md5 && c.algorithm == auth::Algorithm::Sha256
                }
            };
            if better {
                best = Some(c);
            }
        }
    }
    let Some(ch) = best else { return false };
    let a = auth::authorize(
        &ch,
        creds,
        req.method.as_str(),
        &req.uri.to_string(),
        cnonce,
        1,
    );
    req.head.remove("Authorization");
    req.head.remove("Proxy-Authorization");
    req.head.push(auth_name, a.to_header_value());
    true
}

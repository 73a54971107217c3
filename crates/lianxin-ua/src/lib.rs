//! lianxin-ua: the thin tokio driver around the sans-IO SIP core (`lianxin-sip`).
//!
//! One task owns the [`lianxin_sip::Endpoint`], the registrar bindings and the outbound
//! trunk registration. It reads UDP datagrams and TCP messages (framed by the SIP crate's
//! `Framer` in per-connection reader tasks), asks the per-source [`ratelimit`] whether a new
//! request may in, feeds the endpoint, sends whatever `poll_transmit` gives back (TCP: on
//! the connection the peer opened, or a new one for outbound), hands events to the owner and
//! sleeps until `poll_timeout`. No protocol logic lives here: who answers what is the
//! owner's business (the hotline, the dialer, or the tests' scripted answer policy).
//!
//! # Who hears what
//!
//! Events are routed per call, so that several owners can share one UA:
//! - **The inbound receiver** (returned by [`Ua::start`], one owner: the hotline) gets
//!   incoming calls ([`UaEvent::IncomingCall`]) and everything in their dialogs (ACK,
//!   re-INVITE and our re-INVITE's result, INFO digits, BYE/CANCEL/end), phones'
//!   registrations and the trunk registration state.
//! - **Each outbound call** placed with [`UaHandle::invite`] gets its own bounded
//!   receiver ([`OutboundCall::events`]) with its progress (1xx, early media), answer,
//!   failure, re-INVITEs, digits and end ([`CallEvent`]); none of it reaches the inbound
//!   receiver. Dropping that receiver hangs the call up (CANCEL or BYE), and a receiver
//!   left full is treated the same way: the UA task never waits on an owner.
//!
//! # Using it
//!
//! ```no_run
//! # async fn demo() -> Result<(), lianxin_ua::UaError> {
//! use std::sync::Arc;
//! use lianxin_ua::{CallEvent, OutgoingCall, StaticCredentials, Transport, Ua, UaConfig, UaEvent};
//! let config = UaConfig::new("127.0.0.1:5070".parse().unwrap());
//! let (ua, mut events) = Ua::start(config, Arc::new(StaticCredentials::default())).await?;
//! // An outbound call reports on its own receiver; dropping it hangs the call up.
//! let mut out = ua
//!     .invite(OutgoingCall {
//!         target: "sip:1001@192.0.2.10".into(),
//!         from: "sip:hotline@192.0.2.1".into(),
//!         from_display: None,
//!         destination: "192.0.2.10:5060".parse().unwrap(),
//!         transport: Transport::Udp,
//!         sdp: None,
//!         credentials: None,
//!         headers: vec![("X-Lianxin-Campaign".into(), "42".into())],
//!     })
//!     .await?;
//! tokio::spawn(async move {
//!     while let Some(event) = out.events.recv().await {
//!         if let CallEvent::Answered { .. } = event { /* bridge it */ }
//!     }
//! });
//! // Incoming calls and registrations come on the inbound receiver.
//! while let Some(event) = events.recv().await {
//!     if let UaEvent::IncomingCall(call) = event {
//!         ua.ringing(call.call).await?;
//!         // ... ua.answer(call.call, sdp_answer).await?;
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! # Layout
//! - [`config`]: [`UaConfig`], trunk registration settings.
//! - [`outbound`]: [`OutgoingCall`], [`OutboundCall`] and [`CallEvent`].
//! - [`header`]: checks on the extra headers of outbound INVITEs.
//! - [`ratelimit`]: sans-IO token buckets per source IP (a request is "in-dialog" only
//!   when the endpoint knows its dialog).
//! - `admission` (private): who may call in (`accept_from`, calls per source) and whose
//!   P-Asserted-Identity is passed on (trusted sources only).
//! - `driver`, `route` and `tcp` (private): the task, the per-call routing table and the
//!   TCP connection tasks with their caps (total, per source); `idle` (private): the
//!   idle-connection table.
#![deny(missing_docs)]
#![warn(unreachable_pub)]

mod admission;
pub mod config;
mod driver;
pub mod header;
mod idle;
pub mod outbound;
pub mod ratelimit;
mod route;
mod tcp;

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::{mpsc, oneshot};

pub use config::{TrunkConfig, UaConfig};
pub use header::HeaderError;
pub use lianxin_sip::auth::{Algorithm, Credentials};
pub use lianxin_sip::registrar::CredentialStore;
pub use lianxin_sip::{CallHandle, Party, Transport};
pub use outbound::{CallEvent, OutboundCall, OutgoingCall};

/// Errors of the call-control API.
#[derive(Debug, thiserror::Error)]
pub enum UaError {
    /// A listening socket could not be opened.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
    /// The UA task has stopped.
    #[error("the SIP user agent has stopped")]
    Stopped,
    /// The SIP core refused the command (unknown call, wrong state, bad URI …).
    #[error(transparent)]
    Endpoint(#[from] lianxin_sip::EndpointError),
    /// An extra header of an outbound INVITE was refused (nothing was sent).
    #[error(transparent)]
    Header(#[from] HeaderError),
}

/// A registered contact of a user (from the registrar).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    /// The Contact URI as registered.
    pub uri: String,
    /// Where the REGISTER came from (send requests here for NATed phones).
    pub source: SocketAddr,
    /// Transport it registered over.
    pub transport: Transport,
    /// When the binding lapses.
    pub expires_at: Instant,
}

/// A new incoming INVITE, already admitted (number known, under the call cap).
#[derive(Debug, Clone)]
pub struct IncomingCall {
    /// The call; use it with [`UaHandle`] methods.
    pub call: CallHandle,
    /// SIP Call-ID (for logs).
    pub call_id: String,
    /// Caller (From).
    pub from: Party,
    /// Callee (To).
    pub to: Party,
    /// P-Asserted-Identity, when the trunk sent one (the real caller ID).
    pub pai: Option<Party>,
    /// The dialled number (Request-URI user).
    pub number: Option<String>,
    /// The SDP offer, `None` for a late-offer INVITE.
    pub sdp: Option<Vec<u8>>,
    /// Where it came from.
    pub source: SocketAddr,
    /// Transport.
    pub transport: Transport,
    /// When the datagram / TCP frame carrying the INVITE was read from the socket (for
    /// INVITE → screen-pop latency).
    pub received: Instant,
}

/// Why a call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndReason {
    /// The peer sent BYE.
    RemoteBye,
    /// We hung up.
    LocalBye,
    /// The caller cancelled before we answered.
    Cancelled,
    /// Our 200 was never ACKed.
    AckTimeout,
    /// The dialog was lost (in-dialog request timed out or got 481).
    DialogLost,
}

impl From<lianxin_sip::TerminationReason> for EndReason {
    fn from(reason: lianxin_sip::TerminationReason) -> EndReason {
        use lianxin_sip::TerminationReason as T;
        match reason {
            T::RemoteBye => EndReason::RemoteBye,
            T::LocalBye => EndReason::LocalBye,
            T::AckTimeout => EndReason::AckTimeout,
            T::DialogLost => EndReason::DialogLost,
        }
    }
}

/// State of the outbound registration to the trunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrunkState {
    /// Registered until the given instant.
    Registered(Instant),
    /// The last attempt failed with this status (408 for a timeout); retrying.
    Failed(u16),
}

/// What the UA tells the owner of the inbound receiver: incoming calls and their
/// in-dialog events, registrations, trunk state. Outbound calls report on their own
/// receiver ([`CallEvent`]).
#[derive(Debug, Clone)]
pub enum UaEvent {
    /// A new incoming call: answer with `ringing`/`answer`/`reject`.
    IncomingCall(Box<IncomingCall>),
    /// The ACK for our 200 arrived; for a late offer it carries the SDP answer.
    Acked {
        /// The call.
        call: CallHandle,
        /// SDP in the ACK.
        sdp: Option<Vec<u8>>,
    },
    /// A re-INVITE (hold/unhold) arrived: answer with [`UaHandle::answer_reinvite`].
    Reinvite {
        /// The call.
        call: CallHandle,
        /// The new offer.
        sdp: Option<Vec<u8>>,
    },
    /// The outcome of our own re-INVITE.
    ReinviteResult {
        /// The call.
        call: CallHandle,
        /// Final status (408 on timeout).
        code: u16,
        /// The SDP answer.
        sdp: Option<Vec<u8>>,
    },
    /// A DTMF digit via SIP INFO.
    Dtmf {
        /// The call.
        call: CallHandle,
        /// `0-9*#A-D`.
        digit: char,
    },
    /// The call is over.
    Terminated {
        /// The call.
        call: CallHandle,
        /// Why.
        reason: EndReason,
    },
    /// A phone registered, refreshed or unregistered (then `contacts` is empty).
    RegistrationChanged {
        /// The user (extension).
        user: String,
        /// Its live contacts now.
        contacts: Vec<Contact>,
    },
    /// The outbound trunk registration changed state.
    TrunkRegistration(TrunkState),
}

/// Counters of the UA task.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UaStats {
    /// Live calls in the SIP core.
    pub calls: usize,
    /// Outbound calls the UA still routes (open, or being hung up after their owner left).
    pub outbound: usize,
    /// Live transactions.
    pub transactions: usize,
    /// Messages dropped by the rate limit.
    pub rate_limited: u64,
    /// Incoming calls refused with 503 (call cap or event queue full).
    pub overloaded: u64,
    /// Incoming calls refused with 404 (unknown number).
    pub unknown_number: u64,
    /// Incoming calls refused by the admission policy: 403 (source not accepted) or 486
    /// (too many calls from one source).
    pub refused_source: u64,
    /// Registered users.
    pub registered_users: usize,
}

/// Username → password table, for tests and the stand-alone server (the real server
/// adapts the store's hashed credentials to [`CredentialStore`]).
#[derive(Debug, Clone, Default)]
pub struct StaticCredentials {
    users: HashMap<String, String>,
}

impl StaticCredentials {
    /// Adds a user.
    pub fn with(mut self, user: &str, password: &str) -> Self {
        self.users.insert(user.to_string(), password.to_string());
        self
    }
}

impl CredentialStore for StaticCredentials {
    fn ha1(&self, username: &str, realm: &str, algorithm: Algorithm) -> Option<String> {
        let password = self.users.get(username)?;
        Some(lianxin_sip::auth::ha1(algorithm, username, realm, password))
    }
}

/// A credential store shareable with the UA task.
pub type SharedCredentials = Arc<dyn CredentialStore + Send + Sync>;

pub(crate) enum Command {
    Provisional(
        CallHandle,
        u16,
        Option<Vec<u8>>,
        oneshot::Sender<Result<(), UaError>>,
    ),
    Accept(
        CallHandle,
        Option<Vec<u8>>,
        oneshot::Sender<Result<(), UaError>>,
    ),
    Reject(CallHandle, u16, oneshot::Sender<Result<(), UaError>>),
    Hangup(CallHandle, oneshot::Sender<Result<(), UaError>>),
    Cancel(CallHandle, oneshot::Sender<Result<(), UaError>>),
    Reinvite(CallHandle, Vec<u8>, oneshot::Sender<Result<(), UaError>>),
    AnswerReinvite(
        CallHandle,
        u16,
        Option<Vec<u8>>,
        oneshot::Sender<Result<(), UaError>>,
    ),
    Ack(
        CallHandle,
        Option<Vec<u8>>,
        oneshot::Sender<Result<(), UaError>>,
    ),
    Invite(
        Box<OutgoingCall>,
        oneshot::Sender<Result<OutboundCall, UaError>>,
    ),
    Contacts(String, oneshot::Sender<Vec<Contact>>),
    Stats(oneshot::Sender<UaStats>),
    Shutdown,
}

/// The running UA.
#[derive(Debug)]
pub struct Ua;

impl Ua {
    /// Binds UDP (and TCP unless disabled) on `config.listen`, starts the UA task and
    /// returns the control handle and the bounded event stream. Dropping every handle, or
    /// [`UaHandle::shutdown`], stops the task.
    pub async fn start(
        config: UaConfig,
        credentials: SharedCredentials,
    ) -> Result<(UaHandle, mpsc::Receiver<UaEvent>), UaError> {
        let (cmd_tx, cmd_rx) = mpsc::channel(config.command_capacity.max(1));
        let (ev_tx, ev_rx) = mpsc::channel(config.event_capacity.max(1));
        let (local, contact_host) = driver::spawn(config, credentials, cmd_rx, ev_tx).await?;
        let contact_ip = contact_host
            .parse()
            .unwrap_or_else(|_| driver::advertised_ip(local.ip()));
        Ok((
            UaHandle {
                tx: cmd_tx,
                local,
                contact_ip,
            },
            ev_rx,
        ))
    }
}

/// Call control. Cheap to clone; every method waits for the UA task's answer.
#[derive(Debug, Clone)]
pub struct UaHandle {
    tx: mpsc::Sender<Command>,
    local: SocketAddr,
    contact_ip: IpAddr,
}

impl UaHandle {
    /// The address the UA listens on (UDP and TCP), with the real port when 0 was asked.
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// The IP address the UA advertises in Via/Contact (`contact_host` when it is an IP,
    /// else the bound address, else the default-route interface's): put it in SDP `c=`.
    pub fn contact_ip(&self) -> IpAddr {
        self.contact_ip
    }

    async fn ask<T>(&self, make: impl FnOnce(oneshot::Sender<T>) -> Command) -> Result<T, UaError> {
        let (tx, rx) = oneshot::channel();
        self.tx.send(make(tx)).await.map_err(|_| UaError::Stopped)?;
        rx.await.map_err(|_| UaError::Stopped)
    }

    /// Sends 180 Ringing for an incoming call.
    pub async fn ringing(&self, call: CallHandle) -> Result<(), UaError> {
        self.ask(|r| Command::Provisional(call, 180, None, r))
            .await?
    }

    /// Sends a provisional response (e.g. 183 with early-media SDP).
    pub async fn progress(
        &self,
        call: CallHandle,
        code: u16,
        sdp: Option<Vec<u8>>,
    ) -> Result<(), UaError> {
        self.ask(|r| Command::Provisional(call, code, sdp, r))
            .await?
    }

    /// Answers with 200 and the SDP (an answer, or an offer for a late-offer INVITE).
    pub async fn answer(&self, call: CallHandle, sdp: Vec<u8>) -> Result<(), UaError> {
        self.ask(|r| Command::Accept(call, Some(sdp), r)).await?
    }

    /// Refuses an incoming call (e.g. 486 Busy, 488, 480).
    pub async fn reject(&self, call: CallHandle, code: u16) -> Result<(), UaError> {
        self.ask(|r| Command::Reject(call, code, r)).await?
    }

    /// Ends a call in whatever way fits its state (BYE, CANCEL or 487).
    pub async fn hangup(&self, call: CallHandle) -> Result<(), UaError> {
        self.ask(|r| Command::Hangup(call, r)).await?
    }

    /// Cancels an outgoing call that is still ringing.
    pub async fn cancel(&self, call: CallHandle) -> Result<(), UaError> {
        self.ask(|r| Command::Cancel(call, r)).await?
    }

    /// Sends a re-INVITE with a new offer (hold/unhold).
    pub async fn reinvite(&self, call: CallHandle, sdp: Vec<u8>) -> Result<(), UaError> {
        self.ask(|r| Command::Reinvite(call, sdp, r)).await?
    }

    /// Answers a re-INVITE (200 with SDP, or e.g. 488).
    pub async fn answer_reinvite(
        &self,
        call: CallHandle,
        code: u16,
        sdp: Option<Vec<u8>>,
    ) -> Result<(), UaError> {
        self.ask(|r| Command::AnswerReinvite(call, code, sdp, r))
            .await?
    }

    /// Starts an outbound call. Its events come on the returned call's own receiver,
    /// never on the inbound one; dropping that receiver hangs the call up (see
    /// [`OutboundCall`]). Extra headers are checked first: a bad one refuses the call
    /// with [`UaError::Header`] and nothing is sent.
    pub async fn invite(&self, call: OutgoingCall) -> Result<OutboundCall, UaError> {
        for (name, value) in &call.headers {
            header::check(name, value)?;
        }
        self.ask(|r| Command::Invite(Box::new(call), r)).await?
    }

    /// Sends the ACK with the SDP answer for an outgoing late-offer call, after
    /// [`CallEvent::Answered`] brought the offer (every other ACK is automatic).
    pub async fn ack(&self, call: CallHandle, sdp: Option<Vec<u8>>) -> Result<(), UaError> {
        self.ask(|r| Command::Ack(call, sdp, r)).await?
    }

    /// The live registered contacts of a user, the phone that holds the binding first
    /// (registrar policy: a phone from another address never jumps ahead of a live one).
    pub async fn contacts(&self, user: &str) -> Result<Vec<Contact>, UaError> {
        let user = user.to_string();
        self.ask(|r| Command::Contacts(user, r)).await
    }

    /// Counters.
    pub async fn stats(&self) -> Result<UaStats, UaError> {
        self.ask(Command::Stats).await
    }

    /// Stops the UA task (sockets closed, calls dropped without BYE).
    pub async fn shutdown(&self) {
        let _ = self.tx.send(Command::Shutdown).await;
    }
}

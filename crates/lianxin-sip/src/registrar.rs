//! Registrar bindings (RFC 3261 §10) and the outbound-registration client machine.
//!
//! [`Registrar`] is a sans-IO table: [`Registrar::handle_register`] takes a REGISTER (from
//! `Event::IncomingRequest`) and returns the [`Reply`] to pass to `Endpoint::respond`;
//! digest credentials are checked through the owner's [`CredentialStore`] (stored HA1, no
//! plaintext, no database here). [`Registrar::lookup`] gives the live contacts of a user,
//! most recent first. [`RegisterClient`] keeps one registration to an upstream trunk alive:
//! it says when to send (`poll_request`) and learns from the final response.
//!
//! What it is not: no clock (expiry uses the `now` passed in), no storage.

use crate::auth::{self, Algorithm, Authorization, Credentials, NonceIssuer, NonceState};
use crate::endpoint::OutgoingRequest;
use crate::wire::{Header, Method, NameAddr, Request, Response, Transport};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// Looks up stored credentials: HA1 = H(username:realm:password) for the algorithm.
pub trait CredentialStore {
    /// HA1 (lowercase hex) of `username` in `realm`, or `None` for an unknown user.
    fn ha1(&self, username: &str, realm: &str, algorithm: Algorithm) -> Option<String>;
}

/// Registrar policy.
#[derive(Debug, Clone)]
pub struct RegistrarConfig {
    /// Digest realm.
    pub realm: String,
    /// Challenge algorithm.
    pub algorithm: Algorithm,
    /// Ask for digest credentials (false only in tests / trusted networks).
    pub require_auth: bool,
    /// Expires when the request gives none.
    pub default_expires: u32,
    /// Shorter requests get 423 Interval Too Brief.
    pub min_expires: u32,
    /// Longer requests are cut to this.
    pub max_expires: u32,
    /// How long a nonce stays fresh.
    pub nonce_validity: Duration,
    /// Secret for nonces (from the owner's RNG).
    pub secret: u64,
}

impl Default for RegistrarConfig {
    fn default() -> Self {
        RegistrarConfig {
            realm: "lianxin".into(),
            algorithm: Algorithm::Md5,
            require_auth: true,
            default_expires: 3600,
            min_expires: 60,
            max_expires: 7200,
            nonce_validity: Duration::from_secs(300),
            secret: 0,
        }
    }
}

/// One registered contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// The Contact as registered.
    pub contact: NameAddr,
    /// Where the REGISTER came from (send requests here for NATed phones).
    pub source: SocketAddr,
    /// Transport it came on.
    pub transport: Transport,
    /// When it was last refreshed.
    pub updated: Instant,
    /// When it lapses.
    pub expires_at: Instant,
    /// Call-ID of the REGISTERs.
    pub call_id: String,
    /// Last CSeq seen (older ones are refused).
    pub cseq: u32,
}

/// A response to give back (`Endpoint::respond(now, handle, reply.code, reply.headers, None)`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// Status code.
    pub code: u16,
    /// Headers to add (Contact, WWW-Authenticate, Min-Expires, ...).
    pub headers: Vec<Header>,
    /// The authenticated user, when the request was authenticated.
    pub user: Option<String>,
}

/// The bindings table.
#[derive(Debug)]
#[allow(dead_code)]
pub struct Registrar {
    config: RegistrarConfig,
    nonces: NonceIssuer,
    bindings: HashMap<String, Vec<Binding>>,
}

impl Registrar {
    /// A registrar; `epoch` is any fixed instant (nonce timestamps count from it).
    pub fn new(config: RegistrarConfig, epoch: Instant) -> Registrar {
        Registrar {
            nonces: NonceIssuer::new(config.secret, epoch, config.nonce_validity),
            config,
            bindings: HashMap::new(),
        }
    }

    /// Handle a REGISTER: authenticate, then add / refresh / remove bindings.
    /// `random` comes from the owner's RNG (for a new nonce).
    pub fn handle_register(
        &mut self,
        now: Instant,
        request: &Request,
        source: SocketAddr,
        transport: Transport,
        store: &dyn CredentialStore,
        random: u64,
    ) -> Reply {
        let _ = (now, request, source, transport, store, random);
        Reply {
            code: 500,
            headers: Vec::new(),
            user: None,
        }
    }

    /// Live contacts of `user`, most recent first.
    pub fn lookup(&self, now: Instant, user: &str) -> Vec<&Binding> {
        let _ = (now, user);
        Vec::new()
    }

    /// Drop lapsed bindings.
    pub fn expire(&mut self, now: Instant) {
        let _ = now;
    }

    /// Number of users with at least one binding.
    pub fn users(&self) -> usize {
        self.bindings.len()
    }
}

/// State of an outbound registration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegistrationState {
    /// Not registered yet / waiting for the first send.
    Idle,
    /// A REGISTER is in flight.
    Pending,
    /// Registered until the given instant.
    Registered(Instant),
    /// The last attempt failed with this code; retrying later.
    Failed(u16),
}

/// Settings of an outbound registration.
#[derive(Debug, Clone)]
pub struct RegisterClientConfig {
    /// Registrar Request-URI, e.g. `sip:trunk.example.com`.
    pub registrar: String,
    /// Address of record, e.g. `sip:hotline@trunk.example.com`.
    pub aor: String,
    /// Where to send.
    pub destination: SocketAddr,
    /// Transport.
    pub transport: Transport,
    /// Credentials for digest.
    pub credentials: Option<Credentials>,
    /// Requested expiry in seconds.
    pub expires: u32,
    /// Wait before retrying after a failure.
    pub retry_after: Duration,
}

/// Keeps one registration alive: refresh at 80% of the granted expiry.
#[derive(Debug)]
#[allow(dead_code)]
pub struct RegisterClient {
    config: RegisterClientConfig,
    state: RegistrationState,
    call_id: Option<String>,
    cseq: u32,
    next_send: Option<Instant>,
}

impl RegisterClient {
    /// A client that registers at the first `poll_request`.
    pub fn new(config: RegisterClientConfig) -> RegisterClient {
        RegisterClient {
            config,
            state: RegistrationState::Idle,
            call_id: None,
            cseq: 0,
            next_send: None,
        }
    }

    /// Current state.
    pub fn state(&self) -> RegistrationState {
        self.state
    }

    /// The REGISTER to send now, if one is due. Pass it to `Endpoint::request` and feed
    /// the resulting `Event::Response` to [`RegisterClient::handle_response`].
    pub fn poll_request(&mut self, now: Instant) -> Option<OutgoingRequest> {
        let _ = now;
        None
    }

    /// Learn from the final response (`None` = timeout).
    pub fn handle_response(&mut self, now: Instant, code: u16, response: Option<&Response>) {
        let _ = (now, code, response);
    }

    /// When `poll_request` should be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.next_send
    }
}

// keep imports used while bodies are being filled
#[allow(dead_code)]
const _FILLING: () = ();
#[allow(dead_code)]
fn _uses(_: Authorization, _: NonceState, _: Method) -> Option<String> {
    let _ = auth::ha1;
    None
}

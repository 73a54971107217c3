//! Registrar bindings (RFC 3261 §10) and the outbound-registration client machine.
//!
//! [`Registrar`] is a sans-IO table: [`Registrar::handle_register`] takes a REGISTER (from
//! `Event::IncomingRequest`) and returns the [`Reply`] to pass to `Endpoint::respond`;
//! digest credentials are checked through the owner's [`CredentialStore`] (stored HA1, no
//! plaintext, no database here). [`Registrar::lookup`] gives the live contacts of a user,
//! in rank order (the phone holding the binding first, see the policy below).
//! [`RegisterClient`] keeps one registration to an upstream trunk alive: it says when to
//! send (`poll_request`) and learns from the final response.
//!
//! What it is not: no clock (expiry uses the `now` passed in), no storage.
//!
//! # Security policy (issue 10, point 5)
//! A captured `Authorization` header must not register anybody else:
//! - **Nonces are used once.** With `qop=auth` (which every challenge here asks for) a
//!   nonce may be reused only with a higher nonce count (`nc`) than the last one accepted
//!   for it; without qop, a nonce is good for one REGISTER. A replay gets a new challenge
//!   (`401`, `stale=true`: the credentials were right, the nonce is spent). The table of
//!   spent nonces only grows on a successful check and forgets a nonce once it is stale.
//! - **The digest `uri` must be the Request-URI** (same scheme, user, host and port):
//!   otherwise `400`.
//! - **Stale nonces** (older than `nonce_validity`) with right credentials get `401` with
//!   `stale=true`, so phones retry without asking their user.
//! - **The phone that holds a binding keeps first place.** A REGISTER belongs to the same
//!   phone as a live binding when it has the same Call-ID or comes from the same IP
//!   address; the newest registration from that phone wins (it refreshes or replaces its
//!   own binding, which keeps its rank). A registration from another address with
//!   another Call-ID is added *after* every live binding of the user (and logged), never
//!   in front of them; it moves up only when the earlier bindings lapse or are removed.
//!   [`Registrar::lookup`] returns bindings in that order: by the time their phone first
//!   registered, then most recent first within one phone. A phone can remove (`expires=0`)
//!   only its own bindings; `Contact: *` removes all of the user's.

use crate::auth::{self, Algorithm, Authorization, Credentials, NonceIssuer, NonceState};
use crate::endpoint::OutgoingRequest;
use crate::wire::{Header, Method, NameAddr, Request, Response, Transport, Uri};
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
    /// When the phone holding it first registered (its rank: earlier phones come first).
    pub since: Instant,
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

fn reply(code: u16, headers: Vec<Header>) -> Reply {
    Reply {
        code,
        headers,
        user: None,
    }
}

/// Most spent nonces remembered; beyond, stale ones are forgotten first, then a new
/// REGISTER is challenged again (a phone answers the new challenge at once).
const MAX_SPENT_NONCES: usize = 100_000;

/// The bindings table.
#[derive(Debug)]
pub struct Registrar {
    config: RegistrarConfig,
    nonces: NonceIssuer,
    bindings: HashMap<String, Vec<Binding>>,
    /// Nonces already used: the highest nonce count accepted, and when first used.
    spent: HashMap<String, (u32, Instant)>,
    /// No entry of `spent` was first used before this (a lower bound): until it is stale,
    /// no spent nonce is, and the table need not be scanned.
    spent_oldest: Option<Instant>,
}

/// Does the REGISTER (`call_id`, `source`) come from the phone holding `b`?
fn same_phone(b: &Binding, call_id: &str, source: SocketAddr) -> bool {
    b.call_id == call_id || b.source.ip() == source.ip()
}

/// Is the digest `uri` the Request-URI (scheme, user, host, port)?
fn same_uri(digest_uri: &str, request_uri: &Uri) -> bool {
    match Uri::parse(digest_uri) {
        Ok(u) => {
            u.scheme == request_uri.scheme
                && u.user == request_uri.user
                && u.host.eq_ignore_ascii_case(&request_uri.host)
                && u.port == request_uri.port
        }
        Err(_) => false,
    }
}

impl Registrar {
    /// A registrar; `epoch` is any fixed instant (nonce timestamps count from it).
    pub fn new(config: RegistrarConfig, epoch: Instant) -> Registrar {
        Registrar {
            nonces: NonceIssuer::new(config.secret, epoch, config.nonce_validity),
            config,
            bindings: HashMap::new(),
            spent: HashMap::new(),
            spent_oldest: None,
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
        if request.method != Method::Register {
            return reply(405, Vec::new());
        }
        let Some(user) = request.head.to.uri.user_unescaped() else {
            return reply(404, Vec::new());
        };
        let mut authed = None;
        if self.config.require_auth {
            match self.authenticate(now, request, &user, store, random) {
                Ok(u) => authed = Some(u),
                Err(r) => return r,
            }
        }
        let header_expires: Option<u32> = request
            .head
            .header("Expires")
            .and_then(|e| e.parse::<u64>().ok())
            .map(|e| e.min(u32::MAX as u64) as u32);
        let list = self.bindings.entry(user.clone()).or_default();
        let call_id = request.head.call_id.as_str();
        let holder_since = list
            .iter()
            .filter(|b| b.expires_at > now && same_phone(b, call_id, source))
            .map(|b| b.since)
            .min();
        let others_live = list
            .iter()
            .any(|b| b.expires_at > now && !same_phone(b, call_id, source));
        if request.head.contact_star {
            if header_expires != Some(0) {
                return reply(400, Vec::new());
            }
            list.clear();
        }
        for c in &request.head.contact {
            let expires = c
                .param("expires")
                .and_then(|e| e.parse::<u64>().ok())
                .map(|e| e.min(u32::MAX as u64) as u32)
                .or(header_expires)
                .unwrap_or(self.config.default_expires);
            let key = c.uri.to_string();
            if expires == 0 {
                list.retain(|b| {
                    b.contact.uri.to_string() != key || !same_phone(b, call_id, source)
                });
                continue;
            }
            if expires < self.config.min_expires {
                return reply(
                    423,
                    vec![Header::new(
                        "Min-Expires",
                        self.config.min_expires.to_string(),
                    )],
                );
            }
            let expires = expires.min(self.config.max_expires);
            let mut contact = c.clone();
            contact
                .params
                .retain(|p| !p.name.eq_ignore_ascii_case("expires"));
            let binding = Binding {
                contact,
                source,
                transport,
                updated: now,
                since: holder_since.unwrap_or(now),
                expires_at: now + Duration::from_secs(expires.into()),
                call_id: request.head.call_id.clone(),
                cseq: request.head.cseq.seq,
            };
            let mine = list
                .iter_mut()
                .find(|b| b.contact.uri.to_string() == key && same_phone(b, call_id, source));
            match mine {
                Some(old) => {
                    if old.call_id == binding.call_id && binding.cseq < old.cseq {
                        return reply(500, Vec::new());
                    }
                    *old = binding;
                }
                None => {
                    if holder_since.is_none() && others_live {
                        tracing::warn!(
                            user = %user,
                            %source,
                            "REGISTER from another address: its binding ranks after the live one"
                        );
                    }
                    list.push(binding);
                }
            }
        }
        list.retain(|b| b.expires_at > now);
        list.sort_by_key(|b| (b.since, std::cmp::Reverse(b.updated)));
        let headers = list
            .iter()
            .map(|b| {
                let left = b.expires_at.saturating_duration_since(now).as_secs();
                Header::new("Contact", format!("{};expires={left}", b.contact))
            })
            .collect();
        if list.is_empty() {
            self.bindings.remove(&user);
        }
        tracing::debug!(user = %user, %source, "REGISTER accepted");
        Reply {
            code: 200,
            headers,
            user: authed,
        }
    }

    fn challenge(&self, now: Instant, random: u64, stale: bool) -> Reply {
        let ch = self.nonces.challenge(
            now,
            &self.config.realm,
            self.config.algorithm,
            random,
            stale,
        );
        reply(
            401,
            vec![Header::new("WWW-Authenticate", ch.to_header_value())],
        )
    }

    fn authenticate(
        &mut self,
        now: Instant,
        request: &Request,
        user: &str,
        store: &dyn CredentialStore,
        random: u64,
    ) -> Result<String, Reply> {
        let Some(value) = request.head.header("Authorization") else {
            return Err(self.challenge(now, random, false));
        };
        let Ok(a) = Authorization::parse(value) else {
            return Err(reply(400, Vec::new()));
        };
        if a.realm != self.config.realm {
            return Err(self.challenge(now, random, false));
        }
        let nonce = self.nonces.check(now, &a.nonce);
        if nonce == NonceState::Invalid {
            return Err(self.challenge(now, random, false));
        }
        let Some(ha1) = store.ha1(&a.username, &a.realm, a.algorithm) else {
            return Err(reply(403, Vec::new()));
        };
        if !auth::verify(&a, request.method.as_str(), &ha1) {
            return Err(reply(403, Vec::new()));
        }
        if nonce == NonceState::Stale {
            return Err(self.challenge(now, random, true));
        }
        if a.username != user {
            return Err(reply(403, Vec::new()));
        }
        if !same_uri(&a.uri, &request.uri) {
            tracing::debug!(user = %user, "digest uri is not the Request-URI: 400");
            return Err(reply(400, Vec::new()));
        }
        if !self.spend(now, &a) {
            tracing::debug!(user = %user, "digest nonce replayed: new challenge");
            return Err(self.challenge(now, random, true));
        }
        Ok(a.username)
    }

    /// Records a use of `a.nonce`; false when it was used before with the same or a
    /// higher nonce count (or at all, without qop).
    fn spend(&mut self, now: Instant, a: &Authorization) -> bool {
        let nc = if a.qop_auth { a.nc.unwrap_or(0) } else { 1 };
        if let Some((last, _)) = self.spent.get_mut(&a.nonce) {
            if !a.qop_auth || nc <= *last {
                return false;
            }
            *last = nc;
            return true;
        }
        if self.spent.len() >= MAX_SPENT_NONCES {
            self.forget_stale_nonces(now);
            if self.spent.len() >= MAX_SPENT_NONCES {
                return false;
            }
        }
        self.spent.insert(a.nonce.clone(), (nc, now));
        self.spent_oldest = Some(self.spent_oldest.map_or(now, |o| o.min(now)));
        true
    }

    /// Forgets the spent nonces that are stale anyway. Scans the table only when its
    /// oldest entry may be stale, so a full table of fresh nonces costs nothing per call.
    fn forget_stale_nonces(&mut self, now: Instant) {
        let validity = self.config.nonce_validity;
        let Some(oldest) = self.spent_oldest else {
            return;
        };
        if now.saturating_duration_since(oldest) <= validity {
            return;
        }
        self.spent
            .retain(|_, (_, first)| now.saturating_duration_since(*first) <= validity);
        self.spent_oldest = self.spent.values().map(|(_, first)| *first).min();
    }

    /// Live contacts of `user`: the phone that registered first comes first, most recent
    /// first within one phone (see the module docs).
    pub fn lookup(&self, now: Instant, user: &str) -> Vec<&Binding> {
        let mut v: Vec<&Binding> = self
            .bindings
            .get(user)
            .map(|l| l.iter().filter(|b| b.expires_at > now).collect())
            .unwrap_or_default();
        v.sort_by_key(|b| (b.since, std::cmp::Reverse(b.updated)));
        v
    }

    /// Does a live binding (of any user) come from `ip`? Registered phones may always
    /// call in, whatever the owner's list of accepted addresses says.
    pub fn has_source(&self, now: Instant, ip: std::net::IpAddr) -> bool {
        self.bindings
            .values()
            .flatten()
            .any(|b| b.expires_at > now && b.source.ip() == ip)
    }

    /// Source addresses of the live bindings that came over `transport` (the owner keeps
    /// those TCP connections open: calls to the phone go there).
    pub fn sources(
        &self,
        now: Instant,
        transport: Transport,
    ) -> impl Iterator<Item = SocketAddr> + '_ {
        self.bindings
            .values()
            .flatten()
            .filter(move |b| b.expires_at > now && b.transport == transport)
            .map(|b| b.source)
    }

    /// Drop lapsed bindings and forget spent nonces that are stale anyway.
    pub fn expire(&mut self, now: Instant) {
        self.forget_stale_nonces(now);
        self.bindings.retain(|_, l| {
            l.retain(|b| b.expires_at > now);
            !l.is_empty()
        });
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

    /// Ask to unregister (Expires: 0) at the next `poll_request`.
    pub fn unregister(&mut self) {
        self.config.expires = 0;
        self.next_send = None;
        self.state = RegistrationState::Idle;
    }

    /// The REGISTER to send now, if one is due. Pass it to `Endpoint::request` and feed
    /// the resulting `Event::Response` to [`RegisterClient::handle_response`].
    pub fn poll_request(&mut self, now: Instant) -> Option<OutgoingRequest> {
        let due = match self.state {
            RegistrationState::Pending => false,
            RegistrationState::Idle => self.next_send.is_none_or(|t| t <= now),
            _ => self.next_send.is_some_and(|t| t <= now),
        };
        if !due {
            return None;
        }
        self.cseq += 1;
        self.state = RegistrationState::Pending;
        self.next_send = None;
        Some(OutgoingRequest {
            method: Method::Register,
            target: self.config.registrar.clone(),
            from: self.config.aor.clone(),
            to: Some(self.config.aor.clone()),
            call_id: self.call_id.clone(),
            cseq: Some(self.cseq),
            destination: self.config.destination,
            transport: self.config.transport,
            credentials: self.config.credentials.clone(),
            headers: vec![Header::new("Expires", self.config.expires.to_string())],
            body: None,
        })
    }

    /// Learn from the final response (`None` = timeout).
    pub fn handle_response(&mut self, now: Instant, code: u16, response: Option<&Response>) {
        if let Some(r) = response {
            self.call_id = Some(r.head.call_id.clone());
            self.cseq = self.cseq.max(r.head.cseq.seq);
        }
        match code {
            200..=299 => {
                if self.config.expires == 0 {
                    self.state = RegistrationState::Idle;
                    self.next_send = Some(now + Duration::from_secs(u32::MAX as u64 / 4));
                    return;
                }
                let granted = response
                    .and_then(|r| {
                        r.head
                            .contact
                            .iter()
                            .find_map(|c| c.param("expires").and_then(|e| e.parse::<u32>().ok()))
                            .or_else(|| r.head.header("Expires").and_then(|e| e.parse().ok()))
                    })
                    .unwrap_or(self.config.expires)
                    .max(1);
                let until = now + Duration::from_secs(granted.into());
                self.state = RegistrationState::Registered(until);
                self.next_send = Some(now + Duration::from_millis(u64::from(granted) * 800));
            }
            423 => {
                if let Some(min) = response
                    .and_then(|r| r.head.header("Min-Expires"))
                    .and_then(|m| m.parse::<u32>().ok())
                {
                    self.config.expires = min;
                }
                self.state = RegistrationState::Failed(code);
                self.next_send = Some(now);
            }
            _ => {
                self.state = RegistrationState::Failed(code);
                self.next_send = Some(now + self.config.retry_after);
            }
        }
    }

    /// When `poll_request` should be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.next_send
    }
}

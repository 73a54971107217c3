//! The [`Endpoint`] itself: it owns the slab of transactions, the calls and the timer
//! heap, and routes every input by key — transaction key first (RFC 3261 §17.2.3), then
//! dialog id — to the part that handles it (UAS, UAC, in-dialog, out-of-dialog requests).
//!
//! Why here: routing by key and owning by handle is the endpoint's one job (STYLE.md
//! habit 6); what happens to a message once routed lives in the sibling files.

use super::call::Call;
use super::config::EndpointConfig;
use super::entry::{Machine, OutReq, Owner, Target, TxEntry};
use super::event::{CallHandle, Event, RequestHandle};
use super::replies::{make_response, response_destination, stamp_via, ALLOW};
use crate::transaction::{ServerTransaction, TxState};
use crate::transmit::Transmit;
use crate::wire::{
    self, DialogId, Header, Message, Method, Request, Response, TransactionKey, Transport,
};
use rand::{rngs::StdRng, SeedableRng};
use slab::Slab;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::Instant;

/// The SIP endpoint. See the module docs.
#[derive(Debug)]
pub struct Endpoint {
    pub(super) config: EndpointConfig,
    pub(super) rng: StdRng,
    pub(super) txs: Slab<TxEntry>,
    pub(super) tx_by_key: HashMap<TransactionKey, usize>,
    pub(super) calls: HashMap<CallHandle, Call>,
    pub(super) dialogs: HashMap<DialogId, CallHandle>,
    /// Outgoing calls by (Call-ID, our tag), to recognise a 2xx from a second fork.
    pub(super) uac_calls: HashMap<(String, String), CallHandle>,
    pub(super) pending: HashMap<RequestHandle, usize>,
    pub(super) outgoing: HashMap<RequestHandle, OutReq>,
    pub(super) timers: BinaryHeap<Reverse<(Instant, Target)>>,
    pub(super) transmits: VecDeque<Transmit>,
    pub(super) events: VecDeque<Event>,
    pub(super) next_handle: u64,
    pub(super) next_serial: u64,
    pub(super) graveyard: Vec<CallHandle>,
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

    /// Number of live incoming calls (ringing, answered or confirmed) whose INVITE came
    /// from `ip`: the owner's per-source cap counts them.
    pub fn incoming_calls_from(&self, ip: std::net::IpAddr) -> usize {
        self.calls
            .values()
            .filter(|c| {
                c.role == crate::dialog::Role::Uas
                    && c.state != super::call::CallState::Terminated
                    && c.peer.ip() == ip
            })
            .count()
    }

    /// Where the live calls over `transport` go (the INVITE's source for an incoming
    /// call, the first hop for an outgoing one): the owner keeps those connections open.
    pub fn call_peers(&self, transport: Transport) -> impl Iterator<Item = SocketAddr> + '_ {
        self.calls
            .values()
            .filter(move |c| {
                c.transport == transport && c.state != super::call::CallState::Terminated
            })
            .map(|c| c.peer)
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
        match wire::parse(bytes) {
            Ok(message) => self.handle_parsed(now, transport, local, remote, message),
            Err(e) => {
                self.bury();
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

    /// Feed one message the owner already parsed with [`wire::parse`] (to classify it
    /// first, e.g. with [`Endpoint::knows`]); otherwise the same as
    /// [`Endpoint::handle_message`].
    pub fn handle_parsed(
        &mut self,
        now: Instant,
        transport: Transport,
        local: SocketAddr,
        remote: SocketAddr,
        message: Message,
    ) {
        let _ = local;
        self.bury();
        match message {
            Message::Request(mut req) => {
                stamp_via(&mut req, remote);
                self.handle_request(now, transport, remote, req);
            }
            Message::Response(resp) => self.handle_response(now, resp),
        }
    }

    /// Does `message` belong to something this endpoint already holds? True for a
    /// response, a retransmitted request or the ACK of a non-2xx (its transaction
    /// exists), a CANCEL of a live INVITE transaction, and a request whose dialog exists
    /// (the dialog id from the parsed To and From tags, not text matching). A request
    /// that would create new state (a new call, OPTIONS, REGISTER, a tagged request of
    /// no dialog) is not known: the owner's admission control applies to it.
    pub fn knows(&self, message: &Message) -> bool {
        let req = match message {
            Message::Response(_) => return true,
            Message::Request(req) => req,
        };
        let key = req.transaction_key();
        if self.tx_by_key.contains_key(&key) {
            return true;
        }
        if req.method == Method::Cancel
            && self
                .tx_by_key
                .contains_key(&key.with_method(Method::Invite))
        {
            return true;
        }
        DialogId::of_request(req).is_some_and(|id| self.dialogs.contains_key(&id))
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
        // The cap applies to every request that creates a transaction, in a dialog or
        // not: a To tag is text anybody can write.
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
        if req.method == Method::Cancel {
            self.handle_cancel(now, transport, remote, req);
            return;
        }
        if req.head.to.tag().is_some() {
            self.handle_in_dialog(now, transport, remote, req);
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
}

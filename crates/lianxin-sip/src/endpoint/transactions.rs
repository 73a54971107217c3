//! The endpoint's transaction glue: adding a machine to the slab, draining its transmits,
//! deadline and events after every input, detaching and freeing it, freeing finished
//! calls, and answering on a server transaction.
//!
//! Why a file of its own: the four RFC 3261 machines (in `transaction`) know nothing of
//! calls; this is the one place that connects a machine's output to its owner.

use super::call::CallState;
use super::entry::{Machine, Owner, Target, TxEntry};
use super::event::{CallHandle, Event};
use super::replies::{make_response, response_destination};
use super::routing::Endpoint;
use crate::dialog::Role;
use crate::transaction::{ClientTransaction, ServerTransaction, TxEvent, TxState};
use crate::wire::{Header, Request, Response, TransactionKey, Transport, Via};
use std::cmp::Reverse;
use std::net::SocketAddr;
use std::time::Instant;

impl Endpoint {
    pub(super) fn add_tx(
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

    pub(super) fn start_client(
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
    pub(super) fn drain_tx(&mut self, now: Instant, i: usize) {
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
        self.release_call_tx(h, i);
    }

    /// Transaction `i` no longer belongs to call `h`: uncount it, forget it as the call's
    /// (re-)INVITE transaction, and reap the call if that was its last tie.
    fn release_call_tx(&mut self, h: CallHandle, i: usize) {
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
            Owner::Call(h) => self.release_call_tx(h, i),
            Owner::Pending(rh) => {
                self.pending.remove(&rh);
            }
            _ => {}
        }
    }

    /// Queue a finished call for freeing. It is freed at the start of the next input, so
    /// `call_id(call)` still answers while the owner drains this input's events.
    pub(super) fn maybe_reap(&mut self, h: CallHandle) {
        let done = self.calls.get(&h).is_some_and(|c| {
            c.state == CallState::Terminated && c.live_txns == 0 && c.ok.is_none()
        });
        if done && !self.graveyard.contains(&h) {
            self.graveyard.push(h);
        }
    }

    pub(super) fn bury(&mut self) {
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

    pub(super) fn reply(
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
    pub(super) fn answer(
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

    pub(super) fn send_on_server_tx(&mut self, now: Instant, i: usize, resp: &Response) {
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
}

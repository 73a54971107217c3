//! The server side of calls (UAS core): a new INVITE becomes a call, the owner answers it
//! (provisional, accept, reject), our 2xx is retransmitted until the ACK comes, and a
//! CANCEL ends an unanswered call with 487.
//!
//! Why a file of its own: these are the steps of an incoming call up to its
//! confirmation; requests within the confirmed dialog are in `in_dialog`.

use super::call::{Call, CallState, Retransmit};
use super::command::EndpointError;
use super::entry::{Machine, Owner, Target, TxEntry};
use super::event::{body_opt, party, set_sdp, CallHandle, Event, TerminationReason};
use super::replies::{make_response, response_destination, ALLOW};
use super::routing::Endpoint;
use crate::dialog::{Dialog, Role};
use crate::transaction::ServerTransaction;
use crate::transmit::Transmit;
use crate::wire::{DialogId, Header, Method, NameAddr, Request, Response, Scheme, Transport};
use std::cmp::Reverse;
use std::net::SocketAddr;
use std::time::Instant;

impl Endpoint {
    pub(super) fn handle_invite(
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

    pub(super) fn handle_ack(&mut self, now: Instant, req: Request) {
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

    pub(super) fn handle_cancel(
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
        set_sdp(&mut resp.head, &mut resp.body, sdp);
        Ok((resp, i))
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
    /// retransmitted until the ACK comes ([`Event::CallAcked`]) or the ACK wait passes
    /// (`EndpointConfig::ack_wait`, by default 64*T1; then BYE and
    /// [`Event::CallTerminated`] with [`TerminationReason::AckTimeout`]).
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

    pub(super) fn start_2xx_retransmit(
        &mut self,
        now: Instant,
        call: CallHandle,
        resp: &Response,
        i: usize,
    ) {
        let dest = match self.txs.get(i) {
            Some(TxEntry {
                machine: Machine::Server(s),
                ..
            }) => Some(s.destination()),
            _ => None,
        };
        let t1 = self.config.timers.t1;
        let give_up = now
            + self
                .config
                .ack_wait
                .unwrap_or_else(|| self.config.timers.t1x64());
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

    pub(super) fn call_timeout(&mut self, now: Instant, h: CallHandle) {
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
}

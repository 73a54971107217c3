//! Requests within an established call, both ways: the peer's BYE, re-INVITE, INFO
//! (DTMF), UPDATE and the rest; our BYE and re-INVITE and their responses (with a digest
//! retry for trunks that challenge BYE); hang-up in whatever way fits the call's state.
//!
//! Why a file of its own: once a dialog exists, UAS and UAC calls behave alike; this is
//! that common part.

use super::authorize::add_authorization;
use super::call::{c_transport, in_dialog_destination, CallState};
use super::command::EndpointError;
use super::dtmf::dtmf_from_info;
use super::entry::{Machine, Owner, TxEntry};
use super::event::{body_opt, set_sdp, CallHandle, Event, TerminationReason};
use super::replies::{make_response, response_destination, ALLOW};
use super::routing::Endpoint;
use crate::dialog::Role;
use crate::transaction::ServerTransaction;
use crate::wire::{DialogId, Header, Method, Request, Response, Transport};
use std::net::SocketAddr;
use std::time::Instant;

impl Endpoint {
    pub(super) fn handle_in_dialog(
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

    pub(super) fn call_response(&mut self, now: Instant, h: CallHandle, i: usize, resp: Response) {
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

    pub(super) fn call_tx_timeout(
        &mut self,
        now: Instant,
        h: CallHandle,
        i: usize,
        method: &Method,
    ) {
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
                    retry_after: None,
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

    pub(super) fn send_bye(
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
        set_sdp(&mut resp.head, &mut resp.body, sdp);
        self.send_on_server_tx(now, i, &resp);
        if code < 300 {
            self.start_2xx_retransmit(now, call, &resp, i);
        }
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
}

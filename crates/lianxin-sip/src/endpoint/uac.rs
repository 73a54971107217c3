//! The client side of calls (UAC core): placing an outgoing call, following its
//! responses (provisional, answer, failure, one digest retry), ACKing every 2xx, CANCEL,
//! and hanging up a second fork's answer.
//!
//! Why a file of its own: these are the steps of an outgoing call up to its
//! confirmation; requests within the confirmed dialog are in `in_dialog`.

use super::authorize::add_authorization;
use super::call::{c_transport, Call, CallState};
use super::command::{command_uris, EndpointError, OutgoingInvite};
use super::entry::{Machine, Owner, TxEntry};
use super::event::{body_opt, set_sdp, CallHandle, Event, TerminationReason};
use super::replies::ALLOW;
use super::routing::Endpoint;
use crate::dialog::{Dialog, Role};
use crate::transmit::Transmit;
use crate::wire::{CSeq, Head, Header, Method, NameAddr, Request, Response};
use std::time::Instant;

impl Endpoint {
    /// UAC: start an outgoing call.
    pub fn invite(
        &mut self,
        now: Instant,
        invite: OutgoingInvite,
    ) -> Result<CallHandle, EndpointError> {
        let (uri, from_uri, to_uri) =
            command_uris(&invite.target, &invite.from, invite.to.as_deref())?;
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

    pub(super) fn initial_invite_response(&mut self, now: Instant, h: CallHandle, resp: Response) {
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
            retry_after: retry_after(&resp),
        });
    }

    pub(super) fn send_ack(&mut self, h: CallHandle, sdp: Option<Vec<u8>>) {
        let via = self.our_via(c_transport(&self.calls, h));
        let Some(c) = self.calls.get_mut(&h) else {
            return;
        };
        let seq = c.invite.head.cseq.seq;
        let Some(d) = &mut c.dialog else { return };
        let mut ack = d.request(Method::Ack, via, Some(seq));
        set_sdp(&mut ack.head, &mut ack.body, sdp);
        let dest = d.next_hop().unwrap_or(c.peer);
        let bytes = ack.to_bytes();
        self.transmits.push_back(Transmit {
            transport: c.transport,
            destination: dest,
            payload: bytes.clone(),
        });
        c.ack = Some((bytes, dest));
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

    pub(super) fn hang_up_fork(&mut self, now: Instant, h: CallHandle, resp: &Response) {
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
}

/// `Retry-After: 120` or `Retry-After: 120 (busy);duration=60` → 120 (RFC 3261 §20.33).
fn retry_after(resp: &Response) -> Option<u32> {
    let value = resp.head.header("Retry-After")?;
    let digits: &str = value
        .trim_start()
        .split(|c: char| !c.is_ascii_digit())
        .next()?;
    digits.parse().ok()
}

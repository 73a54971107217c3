//! Operators' phones: what the queue decides (offer, withdraw, voice mail) carried out, and
//! what the phones answer.
//!
//! An offer is an outbound leg to the operator's registered phone. When it answers, the
//! caller and operator media are bridged (and the conversation recorded when configured);
//! when it fails, is withdrawn, or the operator hangs up, the leg is closed and the queue
//! told, so it can offer the call to the next operator or the caller hears goodbye.

use lianxin_desk::DeskEvent;
use lianxin_leg::{Leg, LegEvent};
use lianxin_store::pii::Redacted;
use lianxin_store::CallUpdate;
use lianxin_ua::{CallEvent, CallHandle, OutgoingCall};

use crate::acd::{Action, CallKey, OperatorId};
use crate::calllog::Entry;
use crate::driver::Driver;
use crate::flow::Input;
use crate::legs::{OperatorLeg, Role};
use crate::now::Now;

impl Driver {
    /// Carries out what the queue decided, until it has nothing more to say.
    pub(crate) async fn drain_acd(&mut self, now: Now) {
        while let Some(action) = self.acd.poll_action() {
            match action {
                Action::Offer { call, operator } => self.offer(now, call, operator).await,
                Action::Withdraw { call, operator } => {
                    if let Some(op) = self.legs.take_operator(call) {
                        tracing::info!(call, operator, "offer withdrawn");
                        drop(op.leg.close(now.mono));
                    }
                }
                Action::ToVoicemail { call } => {
                    let cmds = match self.legs.get_mut(call) {
                        Some(c) => c.flow.handle(now.mono, Input::QueueTimeout),
                        None => continue,
                    };
                    Box::pin(self.execute(now, call, cmds)).await;
                }
                Action::StateChanged { operator, state } => {
                    tracing::debug!(operator, ?state, "operator state");
                }
            }
        }
    }

    /// Rings the operator's phone with the call.
    async fn offer(&mut self, now: Now, key: CallKey, staff_id: OperatorId) {
        let Some(op) = self.operators.get(staff_id).cloned() else {
            self.acd.offer_failed(now.mono, key, staff_id);
            return;
        };
        let mut contact = None;
        for user in op.phone_users() {
            contact = self
                .ctx
                .ua
                .contacts(user)
                .await
                .unwrap_or_default()
                .into_iter()
                .next();
            if contact.is_some() {
                break;
            }
        }
        let Some(contact) = contact else {
            tracing::info!(
                call = key,
                operator = staff_id,
                "operator has no registered phone"
            );
            self.acd.set_registered(now.mono, staff_id, false);
            self.acd.offer_failed(now.mono, key, staff_id);
            return;
        };
        let Some(call) = self.legs.get(key) else {
            self.acd.offer_failed(now.mono, key, staff_id);
            return;
        };
        let display = call
            .about
            .normalized
            .clone()
            .unwrap_or_else(|| "未知来电".to_string());
        let call_id = call.about.call_id.clone();
        let outgoing = OutgoingCall {
            target: contact.uri.clone(),
            from: format!("sip:hotline@{}", self.config.sip_host),
            from_display: Some(display),
            destination: phone_addr(&contact),
            transport: contact.transport,
            sdp: None,
            credentials: None,
            headers: Vec::new(),
        };
        let session_id = key.wrapping_mul(104729) + 3;
        let opened = match Leg::outgoing(&self.ctx, outgoing, session_id, now.mono).await {
            Ok(o) => o,
            Err(e) => {
                tracing::error!(call = key, error = %e, "could not call the operator's phone");
                self.acd.offer_failed(now.mono, key, staff_id);
                return;
            }
        };
        self.forward_media(opened.leg.session_id(), opened.media_events);
        if let Some(events) = opened.call_events {
            self.forward_calls(opened.leg.handle(), events);
        }
        let leg = OperatorLeg {
            staff_id,
            leg: opened.leg,
            connected: false,
        };
        if let Some(leg) = self.legs.set_operator(key, leg) {
            // The caller left while the INVITE was being placed.
            drop(leg.leg.close(now.mono));
            self.acd.offer_failed(now.mono, key, staff_id);
            return;
        }
        if let Some(op) = self.operators.reference(staff_id) {
            self.desk.publish(DeskEvent::CallOffered {
                call_id,
                operator: op,
            });
        }
        tracing::info!(
            call = key,
            operator = staff_id,
            "call offered to operator phone"
        );
    }

    /// An operator leg's own SIP event, taken through its leg (which applies answers and
    /// answers re-INVITEs itself).
    pub(crate) async fn on_operator_event(&mut self, now: Now, handle: CallHandle, ev: CallEvent) {
        let Some((key, Role::Operator)) = self.legs.by_handle(handle) else {
            return;
        };
        let Some(op) = self.legs.leg_mut(handle) else {
            return;
        };
        match op.on_call_event(ev) {
            Some(LegEvent::Answered) => self.on_operator_answered(now, key).await,
            Some(LegEvent::Failed { code, reason, .. }) => {
                self.on_operator_failed(now, key, code, &reason)
            }
            Some(LegEvent::Ended(reason)) => {
                tracing::info!(call = key, ?reason, "operator leg ended");
                self.on_operator_left(now, key).await;
            }
            _ => {}
        }
        self.drain_acd(now).await;
    }

    /// The operator picked up: bridge, record, tell the consoles and the flow.
    async fn on_operator_answered(&mut self, now: Now, key: CallKey) {
        let Some(call) = self.legs.get_mut(key) else {
            return;
        };
        let Some(op) = call.operator.as_mut() else {
            return;
        };
        let staff_id = op.staff_id;
        if !self.acd.answered(now.mono, key, staff_id) {
            tracing::info!(
                call = key,
                "operator answered a call no longer offered; hanging up"
            );
            op.leg.hang_up();
            return;
        }
        op.connected = true;
        if let Err(e) = call.caller.media().bridge(op.leg.media()) {
            tracing::error!(call = key, error = %e, "could not bridge caller and operator");
        }
        let call_id = call.about.call_id.clone();
        self.log.write(Entry::Update(
            key,
            CallUpdate {
                answered: Some(now.wall),
                operator_staff_id: Some(staff_id),
                ..CallUpdate::default()
            },
        ));
        self.record_conversation(key);
        if let Some(op) = self.operators.reference(staff_id) {
            tracing::info!(call = key, operator = staff_id, name = %Redacted(&op.display_name), "operator answered");
            self.desk.publish(DeskEvent::CallAnswered {
                call_id,
                operator: op,
            });
        }
        self.feed(now, key, Input::OperatorConnected).await;
    }

    /// The operator's phone did not take the call (busy, declined, unreachable).
    fn on_operator_failed(&mut self, now: Now, key: CallKey, code: u16, reason: &str) {
        tracing::info!(call = key, code, %reason, "operator phone did not take the call");
        if let Some(mut op) = self.legs.take_operator(key) {
            op.leg.sip_ended();
            self.acd.offer_failed(now.mono, key, op.staff_id);
            drop(op.leg.close(now.mono));
        }
    }

    /// The operator's leg ended (they hung up, or it was never answered).
    pub(crate) async fn on_operator_left(&mut self, now: Now, key: CallKey) {
        let Some(mut op) = self.legs.take_operator(key) else {
            return;
        };
        op.leg.sip_ended();
        self.drop_supervisors(now, key);
        self.acd.call_ended(now.mono, key);
        if let Some(c) = self.legs.get(key) {
            let _ = c.caller.media().unbridge();
        }
        let (connected, staff_id) = (op.connected, op.staff_id);
        drop(op.leg.close(now.mono));
        if connected {
            self.feed(now, key, Input::OperatorLeft).await;
        } else {
            self.acd.offer_failed(now.mono, key, staff_id);
        }
    }
}

/// Where to send an INVITE for a registered phone: its Contact address when that is the
/// address it registered from (a phone on the office LAN, or two processes on one host);
/// the REGISTER's source when they differ (a phone behind NAT advertising a private
/// address).
fn phone_addr(contact: &lianxin_ua::Contact) -> std::net::SocketAddr {
    lianxin_sip::wire::Uri::parse(&contact.uri)
        .ok()
        .and_then(|u| lianxin_sip::dialog::uri_addr(&u))
        .filter(|a| a.ip() == contact.source.ip())
        .unwrap_or(contact.source)
}

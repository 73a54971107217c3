//! A new INVITE: the screen-pop first, then media and the answer.
//!
//! The pop is the first thing done: the caller ID is normalized and the household looked
//! up — a SQLite read, so off the loop — and when the lookup comes back `call.ringing` is
//! pushed to the consoles and only then is the call answered, so the pop is on screen long
//! before any operator phone rings. Information lines skip the lookup (no pop).
//!
//! A caller who hangs up while the lookup runs is remembered (`Driver::pending`) and the
//! call is logged and ended as soon as the lookup is back, never answered.

use lianxin_desk::DeskEvent;
use lianxin_leg::Leg;
use lianxin_store::pii::Redacted;
use lianxin_store::{CallOutcome, CallUpdate, Direction, NewCall};
use lianxin_ua::{CallHandle, IncomingCall};

use crate::acd::CallKey;
use crate::calllog::Entry;
use crate::driver::Driver;
use crate::flow::Input;
use crate::legs::{Call, Caller};
use crate::now::Now;
use crate::supervision_code::SupervisionCode;
use crate::work::{Done, Popped};

impl Driver {
    pub(crate) async fn on_incoming(&mut self, now: Now, ic: IncomingCall) {
        if let Some(code) = ic.number.as_deref().and_then(SupervisionCode::parse) {
            if let Some(operator) = self.operators.by_user(code.operator) {
                let whisper = code.whisper;
                self.on_supervise(ic, operator, whisper);
                return;
            }
        }
        let key = self.new_key();
        let party = match (&ic.pai, self.config.trust_pai) {
            (Some(pai), true) => pai,
            _ => &ic.from,
        };
        // The caller ID as the network gave it: the user part ("65123456", "+8613912345678",
        // "anonymous"), or the whole URI when it has none (e.g. some tel: forms).
        let caller_raw = party
            .user
            .clone()
            .filter(|u| !u.is_empty())
            .unwrap_or_else(|| party.uri.clone());
        let caller = self.store.normalize(&caller_raw);
        let number_dialled = ic
            .number
            .clone()
            .or_else(|| ic.to.user.clone())
            .unwrap_or_default();
        let about = Caller {
            call_id: format!("{}-{}", now.wall.format("%Y%m%d%H%M%S"), key),
            number_dialled,
            caller_raw,
            normalized: caller.number().map(|n| n.to_string()),
            household_id: None,
            arrived: now.wall,
        };
        // Information lines are not calls for the operators: no lookup, no pop.
        if let Some(flow) = self.announcements.get(&about.number_dialled).cloned() {
            let popped = Popped {
                key,
                ic,
                about,
                pop: None,
                flow,
            };
            self.on_popped(now, popped).await;
            return;
        }
        // 1. The screen-pop, before anything else: looked up off the loop.
        self.pending.insert(ic.call, false);
        let store = self.store.clone();
        let flow = self.flow_config.clone();
        self.off_loop(move || {
            let mut about = about;
            let pop = match store.screen_pop(&caller, about.arrived) {
                Ok(p) => {
                    about.household_id = (p.matches.len() == 1).then(|| p.matches[0].household_id);
                    lianxin_desk::Pop::lossy(&p)
                }
                Err(e) => {
                    tracing::error!(error = %e, "screen-pop lookup failed; popping as unknown");
                    lianxin_desk::Pop::unknown()
                }
            };
            Done::Popped(Box::new(Popped {
                key,
                ic,
                about,
                pop: Some(pop),
                flow,
            }))
        });
    }

    /// The lookup is back: pop, open the caller's leg, answer.
    pub(crate) async fn on_popped(&mut self, now: Now, p: Popped) {
        let Popped {
            key,
            ic,
            about,
            pop,
            flow,
        } = p;
        let gave_up = self.pending.remove(&ic.call).unwrap_or(false);
        if let Some(pop) = pop {
            let party = match (&ic.pai, self.config.trust_pai) {
                (Some(pai), true) => pai,
                _ => &ic.from,
            };
            self.desk.publish_at(
                DeskEvent::CallRinging {
                    call_id: about.call_id.clone(),
                    number_dialled: about.number_dialled.clone(),
                    caller_raw: party.user.clone().unwrap_or_default(),
                    pop,
                    arrived_at: about.arrived,
                },
                ic.received,
            );
        }
        tracing::info!(call = key, sip_call_id = %ic.call_id, household = ?about.household_id, caller = %Redacted(&about.caller_raw), "hotline call arrived");

        // 2. Media and the answer.
        let session_id = key.wrapping_mul(7919) + 1;
        let opened = match Leg::incoming(
            &self.ctx,
            ic.call,
            ic.sdp.as_deref(),
            session_id,
            ic.received,
        ) {
            Ok(o) => o,
            Err(e) => {
                let code = e.status_code();
                log_refused_media(key, &e, code);
                self.reject(now, key, &ic, code, about);
                return;
            }
        };
        let mut leg = opened.leg;
        self.forward_media(leg.session_id(), opened.media_events);
        self.log.write(Entry::Arrived(key, new_call(&ic, &about)));
        if gave_up {
            leg.sip_ended();
        } else {
            // The UA answers in its own time; the loop goes on with the next caller. (A
            // caller gone meanwhile comes back as a Terminated event and is torn down there.)
            leg.answer(true);
        }
        self.legs.insert(key, Call::new(leg, about, flow));
        if gave_up {
            tracing::info!(call = key, "caller hung up during the screen-pop");
            self.teardown(now, key, "caller hung up").await;
        }
    }

    /// Refuses a call whose media could not be set up, and logs it as rejected.
    fn reject(&mut self, now: Now, key: CallKey, ic: &IncomingCall, code: u16, about: Caller) {
        lianxin_leg::refuse(&self.ctx.ua, ic.call, code);
        self.log.write(Entry::Arrived(key, new_call(ic, &about)));
        self.log.write(Entry::Update(
            key,
            CallUpdate {
                ended: Some(now.wall),
                outcome: Some(CallOutcome::Rejected),
                ..CallUpdate::default()
            },
        ));
        self.log.write(Entry::Done(key));
        self.desk.publish(DeskEvent::CallEnded {
            call_id: about.call_id,
            outcome: CallOutcome::Rejected,
            duration_s: 0,
        });
        tracing::info!(call = key, code, "hotline call rejected");
    }

    /// Our 200 was ACKed (for a late offer, with the answer): the caller's path starts.
    pub(crate) async fn on_acked(&mut self, now: Now, handle: CallHandle, sdp: Option<Vec<u8>>) {
        let Some((key, crate::legs::Role::Caller)) = self.legs.by_handle(handle) else {
            return;
        };
        if let (Some(sdp), Some(call)) = (sdp, self.legs.get_mut(key)) {
            if let Err(e) = call.caller.apply_answer(&sdp) {
                tracing::info!(call = key, error = %e, "unusable SDP answer in ACK");
            }
        }
        let open = crate::hours::is_open(&self.config.hours, now.wall);
        self.feed(now, key, Input::Answered { open }).await;
    }
}

/// Says why a call's media could not be opened: running out of RTP ports or of file
/// descriptors is a capacity problem the operator must see (a warning naming it), not a
/// generic refusal (issue 10, points 3 and 6).
fn log_refused_media(key: CallKey, e: &lianxin_leg::LegError, code: u16) {
    use lianxin_media::MediaError;
    match e {
        lianxin_leg::LegError::Media(MediaError::NoPort { .. }) => {
            tracing::warn!(call = key, error = %e, code, "out of RTP ports: hotline call refused");
        }
        lianxin_leg::LegError::Media(MediaError::NoDescriptors { .. }) => {
            tracing::error!(call = key, error = %e, code, "out of file descriptors: hotline call refused");
        }
        lianxin_leg::LegError::Media(MediaError::TooManySessions(_)) => {
            tracing::warn!(call = key, error = %e, code, "media session limit reached: hotline call refused");
        }
        _ => tracing::info!(call = key, error = %e, code, "cannot take the call's media; refused"),
    }
}

/// The call-log row of an arriving call.
fn new_call(ic: &IncomingCall, about: &Caller) -> NewCall {
    NewCall {
        sip_call_id: ic.call_id.clone(),
        direction: Direction::In,
        caller_raw: about.caller_raw.clone(),
        caller_normalized: about.normalized.clone(),
        household_id: about.household_id,
        arrived: about.arrived,
        desk_call_id: Some(about.call_id.clone()),
    }
}

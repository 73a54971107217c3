//! The hub: who is connected, who is on duty, which calls are live, and fan-out.
//!
//! One short-held mutex guards the table of consoles, the operators' states and the
//! snapshot of live calls. `publish` serializes an event once (outside the lock), updates
//! the snapshot and `try_send`s the shared frame into each interested console's bounded
//! queue. It never waits: a console whose queue is full is removed and its socket task
//! cancelled, so a slow or dead console can never hold up call handling.
//!
//! Registration queues the `hello` frame (with the live calls) while holding the lock,
//! so a console never misses or doubles an event that races with its arrival.
//!
//! Who receives what:
//! - call events (`call.*`): consoles of call-taking roles (operator, supervisor) whose
//!   staff member is not `away` ("on duty"), and every console of a role that watches the
//!   desk (supervisor, admin) whatever its state, for the live-calls table of 督导台. A
//!   watcher who is not on duty takes no call, so its `call.ringing` (and the cards of
//!   `hello`) carry no household record (`pop`): the personal data goes only to those
//!   who may answer;
//! - `voicemail.new`: consoles of call-taking roles, whatever their state;
//! - `operator.state`: the staff member's own consoles and supervisors'/admins' consoles;
//! - `campaign.*`: committee staff, supervisors and admins, and a captain for the
//!   campaigns they started (module `campaign`);
//! - `request.*`: the request's responsible person and block captain, and supervisors
//!   and admins (module `request`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Instant;

use axum::extract::ws::Utf8Bytes;
use chrono::Utc;
use tokio::sync::mpsc;
use tokio::sync::mpsc::error::TrySendError;
use tokio_util::sync::CancellationToken;

use crate::directory::Staff;
use crate::event::{DeskEvent, DisconnectReason, OnDuty, OperatorState};
use crate::latency::LatencyHistogram;
use crate::protocol::{CallCard, CallStatus, CallView, Outgoing};

mod campaign;
mod roster;
#[cfg(test)]
mod test_kit;
#[cfg(test)]
mod watch_tests;

use campaign::CampaignOwners;

// The `request.*` frames.
mod request;

/// One frame queued for a console, with the time its cause arrived (for latency).
#[derive(Debug, Clone)]
pub(crate) struct Frame {
    pub(crate) text: Utf8Bytes,
    pub(crate) t0: Option<Instant>,
}

/// Hub limits and defaults.
#[derive(Debug, Clone)]
pub(crate) struct HubConfig {
    pub(crate) queue: usize,
    pub(crate) max_consoles: usize,
    pub(crate) max_consoles_per_staff: usize,
    pub(crate) max_live_calls: usize,
    pub(crate) initial_state: OperatorState,
}

/// Counters readable without the lock.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) published: AtomicU64,
    pub(crate) frames_written: AtomicU64,
    pub(crate) dropped_slow: AtomicU64,
}

pub(crate) struct Hub {
    cfg: HubConfig,
    state: Mutex<HubState>,
    shutdown: CancellationToken,
    pub(crate) latency: LatencyHistogram,
    pub(crate) counters: Counters,
    /// The dialer, once the binary has handed it over (`DeskHandle::set_campaigns`).
    pub(crate) campaigns: OnceLock<Arc<dyn crate::campaigns::CampaignControl>>,
    /// Who created each campaign (who may see its frames).
    owners: CampaignOwners,
}

#[derive(Default)]
struct HubState {
    next_id: u64,
    consoles: HashMap<u64, Console>,
    states: HashMap<i64, OperatorState>,
    calls: HashMap<String, CallCard>,
}

struct Console {
    staff: Arc<Staff>,
    token: Arc<str>,
    tx: mpsc::Sender<Frame>,
    kick: CancellationToken,
    reason: Arc<OnceLock<DisconnectReason>>,
}

/// A console's end of the hub, handed to its socket task.
pub(crate) struct Registered {
    pub(crate) id: u64,
    pub(crate) rx: mpsc::Receiver<Frame>,
    /// Cancelled when the hub drops the console (slow, logged out) or on shutdown.
    pub(crate) kick: CancellationToken,
    /// Why the hub dropped it, if it did.
    pub(crate) reason: Arc<OnceLock<DisconnectReason>>,
    pub(crate) state: OperatorState,
    pub(crate) consoles: usize,
}

/// Why a console was not registered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refused {
    /// The console table is full.
    Full,
    /// The staff member already has `max_consoles_per_staff` consoles open.
    PerStaff,
}

/// Who should receive a frame.
#[derive(Debug, Clone, Copy)]
enum Audience {
    /// Consoles that take calls now: `call.*` with the household record.
    OnDuty,
    /// Consoles that see the live calls: on duty, or watching (`sees_calls`).
    CallWatchers,
    /// Consoles that see the live calls without taking them: `call.ringing` without
    /// the household record.
    WatchersOffDuty,
    CallTakers,
    StaffAndWatchers(i64),
    Staff(i64),
    Watchers {
        except: i64,
    },
    /// Consoles that see a campaign created by `owner` (`campaign_access::sees`).
    Campaign {
        owner: Option<i64>,
    },
    /// Consoles that receive a request's frames (`request_access::receives`), and the
    /// console of whoever was responsible before a change (it leaves their list).
    Request {
        responsible: Option<i64>,
        captain: Option<i64>,
        previous: Option<i64>,
    },
}

impl Hub {
    pub(crate) fn new(cfg: HubConfig, shutdown: CancellationToken) -> Self {
        Hub {
            cfg: HubConfig {
                queue: cfg.queue.max(2),
                ..cfg
            },
            state: Mutex::new(HubState::default()),
            shutdown,
            latency: LatencyHistogram::new(),
            counters: Counters::default(),
            campaigns: OnceLock::new(),
            owners: CampaignOwners::default(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, HubState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds a console; its queue already holds the `hello` frame.
    pub(crate) fn register(
        &self,
        staff: Arc<Staff>,
        token: Arc<str>,
    ) -> Result<Registered, Refused> {
        self.warm_owners(&staff);
        let mut st = self.lock();
        if count_consoles(&st, staff.id) >= self.cfg.max_consoles_per_staff {
            return Err(Refused::PerStaff);
        }
        if st.consoles.len() >= self.cfg.max_consoles {
            return Err(Refused::Full);
        }
        let state = *st.states.entry(staff.id).or_insert(self.cfg.initial_state);
        let on_duty = on_duty(&staff, state);
        let campaigns = self.hello_campaigns(&staff);
        let operators = roster::roster(&st, &staff, self.cfg.initial_state);
        let hello = Outgoing::Hello {
            protocol: crate::protocol::PROTOCOL_VERSION,
            staff: &staff,
            state,
            on_duty,
            calls: if sees_calls(&staff, state) {
                sorted_calls(&st.calls, on_duty)
            } else {
                Vec::new()
            },
            campaigns,
            operators,
            server_time: Utc::now(),
        }
        .encode();
        let (tx, rx) = mpsc::channel(self.cfg.queue);
        // The queue is new and has room for at least two frames.
        let _ = tx.try_send(Frame {
            text: hello.into(),
            t0: None,
        });
        st.next_id += 1;
        let id = st.next_id;
        let kick = self.shutdown.child_token();
        let reason = Arc::new(OnceLock::new());
        st.consoles.insert(
            id,
            Console {
                staff: staff.clone(),
                token,
                tx,
                kick: kick.clone(),
                reason: reason.clone(),
            },
        );
        let consoles = count_consoles(&st, staff.id);
        if consoles == 1 {
            let frame = state_frame(&staff, state, true);
            self.deliver(&mut st, Audience::Watchers { except: staff.id }, frame);
        }
        Ok(Registered {
            id,
            rx,
            kick,
            reason,
            state,
            consoles,
        })
    }

    /// Removes a console (no-op if the hub already dropped it); returns how many
    /// consoles its staff member still has open.
    pub(crate) fn unregister(&self, id: u64, staff: &Staff) -> usize {
        let mut st = self.lock();
        st.consoles.remove(&id);
        let left = count_consoles(&st, staff.id);
        if left == 0 {
            let state = st
                .states
                .get(&staff.id)
                .copied()
                .unwrap_or(self.cfg.initial_state);
            let frame = state_frame(staff, state, false);
            self.deliver(&mut st, Audience::Watchers { except: staff.id }, frame);
        }
        left
    }

    /// Number of open consoles.
    pub(crate) fn console_count(&self) -> usize {
        self.lock().consoles.len()
    }

    /// Number of consoles a staff member has open.
    pub(crate) fn staff_console_count(&self, staff_id: i64) -> usize {
        count_consoles(&self.lock(), staff_id)
    }

    /// Number of live calls in the snapshot.
    pub(crate) fn live_calls(&self) -> usize {
        self.lock().calls.len()
    }

    /// The state of a staff member (remembered across reconnects).
    pub(crate) fn operator_state(&self, staff_id: i64) -> Option<OperatorState> {
        self.lock().states.get(&staff_id).copied()
    }

    /// Staff members on duty, by staff id.
    pub(crate) fn on_duty(&self) -> Vec<OnDuty> {
        let st = self.lock();
        let mut by_staff: HashMap<i64, OnDuty> = HashMap::new();
        for c in st.consoles.values() {
            let state = st
                .states
                .get(&c.staff.id)
                .copied()
                .unwrap_or(self.cfg.initial_state);
            if !on_duty(&c.staff, state) {
                continue;
            }
            by_staff
                .entry(c.staff.id)
                .or_insert_with(|| OnDuty {
                    staff: (*c.staff).clone(),
                    state,
                    consoles: 0,
                })
                .consoles += 1;
        }
        let mut list: Vec<OnDuty> = by_staff.into_values().collect();
        list.sort_by_key(|d| d.staff.id);
        list
    }

    /// Sets a staff member's state from one of their consoles; returns the previous
    /// state. Tells their consoles and the supervisors; a console coming back on duty
    /// gets the live calls.
    pub(crate) fn set_state(&self, staff: &Staff, state: OperatorState) -> OperatorState {
        let mut st = self.lock();
        self.change_state(&mut st, staff, state)
    }

    /// Sends one frame to one console; drops the console if its queue is full.
    pub(crate) fn reply(&self, console: u64, text: String) {
        let mut st = self.lock();
        let frame = Frame {
            text: text.into(),
            t0: None,
        };
        let full = match st.consoles.get(&console) {
            Some(c) => c.tx.try_send(frame).is_err(),
            None => false,
        };
        if full {
            self.drop_console(&mut st, console, DisconnectReason::SlowConsumer);
        }
    }

    /// Disconnects every console of a session (log-out).
    pub(crate) fn kick_token(&self, token: &str) {
        let mut st = self.lock();
        let ids: Vec<u64> = st
            .consoles
            .iter()
            .filter(|(_, c)| &*c.token == token)
            .map(|(id, _)| *id)
            .collect();
        for id in ids {
            self.drop_console(&mut st, id, DisconnectReason::LoggedOut);
        }
    }

    /// Publishes an event to the consoles that should see it. Never waits.
    pub(crate) fn publish(&self, event: DeskEvent, t0: Option<Instant>) {
        self.counters.published.fetch_add(1, Ordering::Relaxed);
        let now = Utc::now();
        let frame = |text: String| Frame {
            text: text.into(),
            t0,
        };
        match event {
            DeskEvent::CallRinging {
                call_id,
                number_dialled,
                caller_raw,
                pop,
                arrived_at,
            } => {
                let ringing = |pop| {
                    Outgoing::Ringing {
                        call_id: &call_id,
                        number_dialled: &number_dialled,
                        caller_raw: &caller_raw,
                        arrived_at,
                        pop,
                    }
                    .encode()
                };
                let text = ringing(Some(&pop.0));
                let watched = ringing(None);
                let card = CallCard {
                    call_id: call_id.clone(),
                    number_dialled,
                    caller_raw,
                    arrived_at,
                    pop: pop.0,
                    status: CallStatus::Ringing,
                    queue_position: None,
                    operator: None,
                    answered_at: None,
                };
                let mut st = self.lock();
                if st.calls.len() < self.cfg.max_live_calls || st.calls.contains_key(&call_id) {
                    st.calls.insert(call_id, card);
                } else {
                    tracing::warn!(
                        live = st.calls.len(),
                        "live-call snapshot full; call not kept for late consoles"
                    );
                }
                self.deliver(&mut st, Audience::OnDuty, frame(text));
                self.deliver(&mut st, Audience::WatchersOffDuty, frame(watched));
            }
            DeskEvent::CallQueued { call_id, position } => {
                let text = Outgoing::Queued {
                    call_id: &call_id,
                    position,
                    at: now,
                }
                .encode();
                let mut st = self.lock();
                if let Some(c) = st.calls.get_mut(&call_id) {
                    c.status = CallStatus::Queued;
                    c.queue_position = Some(position);
                }
                self.deliver(&mut st, Audience::CallWatchers, frame(text));
            }
            DeskEvent::CallOffered { call_id, operator } => {
                let text = Outgoing::Offered {
                    call_id: &call_id,
                    operator: &operator,
                    at: now,
                }
                .encode();
                let mut st = self.lock();
                if let Some(c) = st.calls.get_mut(&call_id) {
                    c.status = CallStatus::Offered;
                    c.queue_position = None;
                    c.operator = Some(operator);
                }
                self.deliver(&mut st, Audience::CallWatchers, frame(text));
            }
            DeskEvent::CallAnswered { call_id, operator } => {
                let text = Outgoing::Answered {
                    call_id: &call_id,
                    operator: &operator,
                    at: now,
                }
                .encode();
                let mut st = self.lock();
                if let Some(c) = st.calls.get_mut(&call_id) {
                    c.status = CallStatus::Answered;
                    c.queue_position = None;
                    c.operator = Some(operator);
                    c.answered_at = Some(now);
                }
                self.deliver(&mut st, Audience::CallWatchers, frame(text));
            }
            DeskEvent::CallEnded {
                call_id,
                outcome,
                duration_s,
            } => {
                let text = Outgoing::Ended {
                    call_id: &call_id,
                    outcome,
                    duration_s,
                    at: now,
                }
                .encode();
                let mut st = self.lock();
                st.calls.remove(&call_id);
                self.deliver(&mut st, Audience::CallWatchers, frame(text));
            }
            DeskEvent::Campaign(update) => self.publish_campaign(update, t0),
            DeskEvent::VoicemailNew(vm) => {
                let text = Outgoing::Voicemail { voice_message: &vm }.encode();
                let mut st = self.lock();
                self.deliver(&mut st, Audience::CallTakers, frame(text));
            }
            DeskEvent::OperatorState { staff_id, state } => {
                let mut st = self.lock();
                let staff = st
                    .consoles
                    .values()
                    .find(|c| c.staff.id == staff_id)
                    .map(|c| c.staff.clone());
                match staff {
                    Some(staff) => {
                        self.change_state(&mut st, &staff, state);
                    }
                    // Not connected: remember it for when they connect.
                    None => {
                        st.states.insert(staff_id, state);
                    }
                }
            }
        }
    }

    fn change_state(
        &self,
        st: &mut HubState,
        staff: &Staff,
        state: OperatorState,
    ) -> OperatorState {
        let previous = st
            .states
            .insert(staff.id, state)
            .unwrap_or(self.cfg.initial_state);
        let connected = count_consoles(st, staff.id) > 0;
        let now_on = connected && on_duty(staff, state);
        self.deliver(
            st,
            Audience::StaffAndWatchers(staff.id),
            state_frame(staff, state, now_on),
        );
        if now_on && !on_duty(staff, previous) {
            let text = Outgoing::Snapshot {
                calls: sorted_calls(&st.calls, true),
            }
            .encode();
            self.deliver(
                st,
                Audience::Staff(staff.id),
                Frame {
                    text: text.into(),
                    t0: None,
                },
            );
        }
        previous
    }

    fn deliver(&self, st: &mut HubState, audience: Audience, frame: Frame) {
        let mut full = Vec::new();
        for (id, c) in &st.consoles {
            let state = st
                .states
                .get(&c.staff.id)
                .copied()
                .unwrap_or(self.cfg.initial_state);
            let wanted = match audience {
                Audience::OnDuty => on_duty(&c.staff, state),
                Audience::CallWatchers => sees_calls(&c.staff, state),
                Audience::WatchersOffDuty => {
                    sees_calls(&c.staff, state) && !on_duty(&c.staff, state)
                }
                Audience::CallTakers => c.staff.role.takes_calls(),
                Audience::StaffAndWatchers(s) => {
                    c.staff.id == s || c.staff.role.watches_operators()
                }
                Audience::Staff(s) => c.staff.id == s,
                Audience::Watchers { except } => {
                    c.staff.id != except && c.staff.role.watches_operators()
                }
                Audience::Campaign { owner } => crate::campaign_access::sees(&c.staff, owner),
                Audience::Request {
                    responsible,
                    captain,
                    previous,
                } => {
                    crate::request_access::receives(&c.staff, responsible, captain)
                        || previous == Some(c.staff.id)
                }
            };
            if !wanted {
                continue;
            }
            match c.tx.try_send(frame.clone()) {
                Ok(()) => {}
                Err(TrySendError::Full(_)) => full.push((*id, DisconnectReason::SlowConsumer)),
                Err(TrySendError::Closed(_)) => full.push((*id, DisconnectReason::Closed)),
            }
        }
        for (id, reason) in full {
            self.drop_console(st, id, reason);
        }
    }

    fn drop_console(&self, st: &mut HubState, id: u64, reason: DisconnectReason) {
        if let Some(c) = st.consoles.remove(&id) {
            if reason == DisconnectReason::SlowConsumer {
                self.counters.dropped_slow.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(
                    console = id,
                    staff = c.staff.id,
                    "console too slow; dropped"
                );
            }
            let _ = c.reason.set(reason);
            c.kick.cancel();
        }
    }
}

fn on_duty(staff: &Staff, state: OperatorState) -> bool {
    staff.role.takes_calls() && state != OperatorState::Away
}

/// Whether a console sees the live calls: it takes them, or it watches the desk (督导台).
fn sees_calls(staff: &Staff, state: OperatorState) -> bool {
    on_duty(staff, state) || staff.role.watches_operators()
}

fn count_consoles(st: &HubState, staff_id: i64) -> usize {
    st.consoles
        .values()
        .filter(|c| c.staff.id == staff_id)
        .count()
}

/// The live calls by arrival, with their household records when `household`.
fn sorted_calls(calls: &HashMap<String, CallCard>, household: bool) -> Vec<CallView<'_>> {
    let mut list: Vec<&CallCard> = calls.values().collect();
    list.sort_by(|a, b| {
        a.arrived_at
            .cmp(&b.arrived_at)
            .then_with(|| a.call_id.cmp(&b.call_id))
    });
    list.into_iter().map(|c| c.view(household)).collect()
}

fn state_frame(staff: &Staff, state: OperatorState, on_duty: bool) -> Frame {
    let text = Outgoing::OperatorState {
        staff_id: staff.id,
        display_name: &staff.display_name,
        state,
        on_duty,
        at: Utc::now(),
    }
    .encode();
    Frame {
        text: text.into(),
        t0: None,
    }
}

#[cfg(test)]
mod tests {
    use super::test_kit::{drain, hub, staff};
    use super::*;
    use crate::event::Pop;
    use lianxin_store::{CallOutcome, Role};
    use serde_json::Value;

    fn types(frames: &[Value]) -> Vec<&str> {
        frames.iter().map(|f| f["type"].as_str().unwrap()).collect()
    }

    fn ringing(id: &str) -> DeskEvent {
        DeskEvent::CallRinging {
            call_id: id.into(),
            number_dialled: "51663371".into(),
            caller_raw: "010-65123456".into(),
            pop: Pop::unknown(),
            arrived_at: Utc::now(),
        }
    }

    #[test]
    fn call_events_reach_on_duty_call_takers_only() {
        let h = hub(16);
        let mut op = h.register(staff(1, Role::Operator), "t1".into()).unwrap();
        let mut away = h.register(staff(2, Role::Operator), "t2".into()).unwrap();
        let mut captain = h.register(staff(3, Role::Captain), "t3".into()).unwrap();
        h.set_state(&staff(2, Role::Operator), OperatorState::Away);
        drain(&mut op.rx);
        drain(&mut away.rx);
        drain(&mut captain.rx);

        h.publish(ringing("c1"), None);
        assert_eq!(types(&drain(&mut op.rx)), ["call.ringing"]);
        assert!(drain(&mut away.rx).is_empty());
        assert!(drain(&mut captain.rx).is_empty());
        assert_eq!(h.live_calls(), 1);

        // coming back on duty brings the live call
        h.set_state(&staff(2, Role::Operator), OperatorState::Available);
        let got = drain(&mut away.rx);
        assert_eq!(types(&got), ["operator.state", "calls.snapshot"]);
        assert_eq!(got[1]["calls"][0]["call_id"], "c1");

        h.publish(
            DeskEvent::CallEnded {
                call_id: "c1".into(),
                outcome: CallOutcome::Abandoned,
                duration_s: 3,
            },
            None,
        );
        assert_eq!(h.live_calls(), 0);
        assert_eq!(types(&drain(&mut away.rx)), ["call.ended"]);
    }

    #[test]
    fn late_console_gets_live_calls_in_hello() {
        let h = hub(16);
        h.publish(ringing("c1"), None);
        h.publish(
            DeskEvent::CallAnswered {
                call_id: "c1".into(),
                operator: (&*staff(9, Role::Operator)).into(),
            },
            None,
        );
        let mut late = h.register(staff(1, Role::Operator), "t".into()).unwrap();
        let hello = drain(&mut late.rx);
        assert_eq!(types(&hello), ["hello"]);
        assert_eq!(hello[0]["v"], 1);
        assert_eq!(hello[0]["calls"][0]["status"], "answered");
        assert_eq!(hello[0]["calls"][0]["operator"]["staff_id"], 9);
    }

    #[test]
    fn full_queue_drops_console_without_waiting() {
        let h = hub(4);
        let slow = h.register(staff(1, Role::Operator), "t".into()).unwrap();
        for i in 0..10 {
            h.publish(ringing(&format!("c{i}")), None);
        }
        assert!(slow.kick.is_cancelled());
        assert_eq!(slow.reason.get(), Some(&DisconnectReason::SlowConsumer));
        assert_eq!(h.console_count(), 0);
        assert_eq!(h.counters.dropped_slow.load(Ordering::Relaxed), 1);
        assert_eq!(h.unregister(slow.id, &staff(1, Role::Operator)), 0);
    }

    #[test]
    fn hotline_state_changes_reach_the_console_and_duty_list() {
        let h = hub(16);
        let mut op = h.register(staff(1, Role::Operator), "t".into()).unwrap();
        drain(&mut op.rx);
        h.publish(
            DeskEvent::OperatorState {
                staff_id: 1,
                state: OperatorState::Away,
            },
            None,
        );
        let got = drain(&mut op.rx);
        assert_eq!(types(&got), ["operator.state"]);
        assert_eq!(got[0]["on_duty"], false);
        assert!(h.on_duty().is_empty());
        // a state for someone not connected is remembered for their connection
        h.publish(
            DeskEvent::OperatorState {
                staff_id: 7,
                state: OperatorState::Busy,
            },
            None,
        );
        let mut late = h.register(staff(7, Role::Operator), "u".into()).unwrap();
        assert_eq!(drain(&mut late.rx)[0]["state"], "busy");
    }

    #[test]
    fn supervisors_see_state_changes_and_state_survives_reconnect() {
        let h = hub(16);
        let mut sup = h.register(staff(5, Role::Supervisor), "s".into()).unwrap();
        drain(&mut sup.rx);
        let op = h.register(staff(1, Role::Operator), "t".into()).unwrap();
        assert_eq!(types(&drain(&mut sup.rx)), ["operator.state"]);
        let prev = h.set_state(&staff(1, Role::Operator), OperatorState::AfterCall);
        assert_eq!(prev, OperatorState::Available);
        let got = drain(&mut sup.rx);
        assert_eq!(got[0]["state"], "after_call");
        assert_eq!(h.unregister(op.id, &staff(1, Role::Operator)), 0);
        assert_eq!(drain(&mut sup.rx)[0]["on_duty"], false);
        let mut again = h.register(staff(1, Role::Operator), "t".into()).unwrap();
        assert_eq!(drain(&mut again.rx)[0]["state"], "after_call");
        let duty = h.on_duty();
        assert_eq!(duty.len(), 2);
        assert_eq!(duty[0].staff.id, 1);
        assert_eq!(duty[0].state, OperatorState::AfterCall);
    }
}

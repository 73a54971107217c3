//! Automatic call distribution: the queue of waiting callers and the choice of operator.
//!
//! This is a plain state machine (habit 1 of STYLE.md): the driver tells it what happened
//! (a caller joined the queue, an operator's phone rang out, an operator became free) with
//! the current time, and drains [`Acd::poll_action`] for what to do next (offer a call to an
//! operator's phone, withdraw an offer, send a caller to voice mail). It never reads a clock.
//!
//! Why a machine of its own: the rules here are what staff argue about ("why did 王丽 get
//! three calls in a row?"), so they must be testable without sockets:
//! - a waiting call is offered to the **operator who has been free longest**;
//! - an offer not answered within `ring_timeout` is withdrawn and the call re-offered to the
//!   next free operator (one who has not yet let this call ring out, while there is one);
//! - a call waiting longer than `queue_timeout` goes to voice mail;
//! - an operator's state is **derived** from the legs the driver reports as live, never
//!   stored as "busy": when the last leg goes, the operator is free again (with a fresh
//!   free-since time). The driver re-reports the live legs periodically
//!   ([`Acd::sync_legs`]) so a lost event cannot leave anyone stuck as busy or ringing.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::{Duration, Instant};

/// How long a phone that refused a call (busy, declined) is not offered that call again.
pub const REFUSAL_BACKOFF: Duration = Duration::from_secs(5);

/// Identifies a waiting caller (the driver's call key).
pub type CallKey = u64;
/// Identifies an operator (the staff id in the store).
pub type OperatorId = i64;

/// What an operator said about themselves on the console: the desk's own type (one
/// definition; the console protocol names it `OperatorState`), so a console command
/// reaches the queue without a conversion.
pub use lianxin_desk::OperatorState as Presence;

/// The state an operator is in, derived from presence, registration and live legs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OperatorState {
    /// Phone registered, presence available, no live leg.
    Idle,
    /// A call is being offered to their phone.
    Ringing,
    /// On a call.
    OnCall,
    /// Presence says busy.
    Busy,
    /// Presence says after-call work.
    AfterCall,
    /// Presence says away.
    Away,
    /// No registered phone.
    Offline,
}

/// What the driver must do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Ring `operator`'s phone with `call`.
    Offer {
        /// The waiting call.
        call: CallKey,
        /// The operator to ring.
        operator: OperatorId,
    },
    /// Stop ringing `operator`'s phone for `call` (no answer in time).
    Withdraw {
        /// The waiting call.
        call: CallKey,
        /// The operator whose phone rang out.
        operator: OperatorId,
    },
    /// `call` has waited too long: take a voice message instead.
    ToVoicemail {
        /// The waiting call.
        call: CallKey,
    },
    /// An operator's derived state changed (for the consoles).
    StateChanged {
        /// The operator.
        operator: OperatorId,
        /// The new state.
        state: OperatorState,
    },
}

/// Timing rules of the queue.
#[derive(Debug, Clone, Copy)]
pub struct AcdConfig {
    /// How long an operator's phone rings before the call is offered to the next operator.
    pub ring_timeout: Duration,
    /// How long a caller may wait in the queue before being sent to voice mail.
    pub queue_timeout: Duration,
}

#[derive(Debug)]
struct Operator {
    presence: Presence,
    registered: bool,
    ringing: BTreeSet<CallKey>,
    connected: BTreeSet<CallKey>,
    free_since: Instant,
    last_state: OperatorState,
}

impl Operator {
    fn state(&self) -> OperatorState {
        if !self.connected.is_empty() {
            OperatorState::OnCall
        } else if !self.ringing.is_empty() {
            OperatorState::Ringing
        } else if !self.registered {
            OperatorState::Offline
        } else {
            match self.presence {
                Presence::Available => OperatorState::Idle,
                Presence::Busy => OperatorState::Busy,
                Presence::AfterCall => OperatorState::AfterCall,
                Presence::Away => OperatorState::Away,
            }
        }
    }
}

#[derive(Debug)]
struct Waiting {
    key: CallKey,
    joined: Instant,
    offer: Option<(OperatorId, Instant)>,
    rang_out: BTreeSet<OperatorId>,
    /// Operators whose phone refused this call at once (busy, declined, unreachable), and
    /// until when they are not asked again for it.
    refused: BTreeMap<OperatorId, Instant>,
}

/// The queue and the operators (see the module docs).
#[derive(Debug)]
pub struct Acd {
    config: AcdConfig,
    operators: BTreeMap<OperatorId, Operator>,
    queue: VecDeque<Waiting>,
    actions: VecDeque<Action>,
}

impl Acd {
    /// An empty queue with no operators.
    pub fn new(config: AcdConfig) -> Self {
        Acd {
            config,
            operators: BTreeMap::new(),
            queue: VecDeque::new(),
            actions: VecDeque::new(),
        }
    }

    /// Adds an operator (or updates their presence); new operators start free at `now`.
    pub fn set_presence(&mut self, now: Instant, operator: OperatorId, presence: Presence) {
        let op = self.operator_mut(now, operator);
        if presence == Presence::Available && op.presence != Presence::Available {
            op.free_since = now;
        }
        op.presence = presence;
        self.after_change(now);
    }

    /// Records whether the operator's phone is registered (reachable).
    pub fn set_registered(&mut self, now: Instant, operator: OperatorId, registered: bool) {
        let op = self.operator_mut(now, operator);
        if registered && !op.registered {
            op.free_since = now;
        }
        op.registered = registered;
        self.after_change(now);
    }

    /// A caller joins the queue.
    pub fn enqueue(&mut self, now: Instant, call: CallKey) {
        if self.queue.iter().any(|w| w.key == call) {
            return;
        }
        self.queue.push_back(Waiting {
            key: call,
            joined: now,
            offer: None,
            rang_out: BTreeSet::new(),
            refused: BTreeMap::new(),
        });
        self.after_change(now);
    }

    /// The operator picked up: the call leaves the queue and the operator is on a call.
    /// Returns false when the call was not (or no longer) offered to that operator.
    pub fn answered(&mut self, now: Instant, call: CallKey, operator: OperatorId) -> bool {
        let Some(pos) = self.queue.iter().position(|w| w.key == call) else {
            return false;
        };
        if self.queue[pos].offer.map(|(o, _)| o) != Some(operator) {
            return false;
        }
        self.queue.remove(pos);
        if let Some(op) = self.operators.get_mut(&operator) {
            op.ringing.remove(&call);
            op.connected.insert(call);
        }
        self.after_change(now);
        true
    }

    /// The operator's phone refused or failed the offer (busy, declined, unreachable): the
    /// call is re-offered at once to someone else, and that phone is not asked again for
    /// this call for [`REFUSAL_BACKOFF`] (a phone on do-not-disturb must not be rung in a
    /// tight loop).
    pub fn offer_failed(&mut self, now: Instant, call: CallKey, operator: OperatorId) {
        if let Some(w) = self.queue.iter_mut().find(|w| w.key == call) {
            if w.offer.map(|(o, _)| o) == Some(operator) {
                w.offer = None;
                w.rang_out.insert(operator);
                w.refused.insert(operator, now + REFUSAL_BACKOFF);
            }
        }
        if let Some(op) = self.operators.get_mut(&operator) {
            op.ringing.remove(&call);
        }
        self.after_change(now);
    }

    /// The caller is gone (hung up, or left for voice mail / the menu): withdraw any offer.
    pub fn remove(&mut self, now: Instant, call: CallKey) {
        if let Some(pos) = self.queue.iter().position(|w| w.key == call) {
            if let Some(w) = self.queue.remove(pos) {
                if let Some((operator, _)) = w.offer {
                    self.actions.push_back(Action::Withdraw { call, operator });
                    if let Some(op) = self.operators.get_mut(&operator) {
                        op.ringing.remove(&call);
                    }
                }
            }
        }
        self.after_change(now);
    }

    /// A connected call ended: the operator is free from `now` on.
    pub fn call_ended(&mut self, now: Instant, call: CallKey) {
        for op in self.operators.values_mut() {
            if op.connected.remove(&call) && op.connected.is_empty() && op.ringing.is_empty() {
                op.free_since = now;
            }
            op.ringing.remove(&call);
        }
        self.after_change(now);
    }

    /// Replaces what the machine believes is live with what the driver actually holds:
    /// `(operator, call, connected)` for every live operator leg. Anything not listed is
    /// gone. This is the periodic re-check that keeps states honest.
    pub fn sync_legs(&mut self, now: Instant, live: &[(OperatorId, CallKey, bool)]) {
        for (id, op) in self.operators.iter_mut() {
            let connected: BTreeSet<CallKey> = live
                .iter()
                .filter(|(o, _, c)| o == id && *c)
                .map(|(_, k, _)| *k)
                .collect();
            let ringing: BTreeSet<CallKey> = live
                .iter()
                .filter(|(o, _, c)| o == id && !*c)
                .map(|(_, k, _)| *k)
                .collect();
            let was_engaged = !op.connected.is_empty() || !op.ringing.is_empty();
            op.connected = connected;
            op.ringing = ringing;
            if was_engaged && op.connected.is_empty() && op.ringing.is_empty() {
                op.free_since = now;
            }
        }
        for w in self.queue.iter_mut() {
            if let Some((o, _)) = w.offer {
                let still = live.iter().any(|(lo, k, _)| *lo == o && *k == w.key);
                if !still {
                    w.offer = None;
                    w.rang_out.insert(o);
                }
            }
        }
        self.after_change(now);
    }

    /// Advances time: ring-outs and queue timeouts.
    pub fn handle_timeout(&mut self, now: Instant) {
        let ring_timeout = self.config.ring_timeout;
        let queue_timeout = self.config.queue_timeout;
        let mut expired = Vec::new();
        for w in self.queue.iter_mut() {
            w.refused.retain(|_, until| *until > now);
            if now.saturating_duration_since(w.joined) >= queue_timeout {
                expired.push(w.key);
                continue;
            }
            if let Some((operator, at)) = w.offer {
                if now.saturating_duration_since(at) >= ring_timeout {
                    w.offer = None;
                    w.rang_out.insert(operator);
                    self.actions.push_back(Action::Withdraw {
                        call: w.key,
                        operator,
                    });
                    if let Some(op) = self.operators.get_mut(&operator) {
                        op.ringing.remove(&w.key);
                    }
                }
            }
        }
        for call in expired {
            self.remove(now, call);
            self.actions.push_back(Action::ToVoicemail { call });
        }
        self.after_change(now);
    }

    /// The earliest moment [`Acd::handle_timeout`] has something to do.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.queue
            .iter()
            .flat_map(|w| {
                let q = w.joined + self.config.queue_timeout;
                let r = w.offer.map(|(_, at)| at + self.config.ring_timeout);
                let back = w.refused.values().min().copied();
                std::iter::once(q).chain(r).chain(back)
            })
            .min()
    }

    /// The next thing the driver must do.
    pub fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }

    /// Position (1-based) of a waiting call, for "您前面还有N位" announcements.
    pub fn position(&self, call: CallKey) -> Option<usize> {
        self.queue.iter().position(|w| w.key == call).map(|p| p + 1)
    }

    /// Number of callers waiting.
    pub fn waiting(&self) -> usize {
        self.queue.len()
    }

    /// The derived state of an operator.
    pub fn state(&self, operator: OperatorId) -> Option<OperatorState> {
        self.operators.get(&operator).map(Operator::state)
    }

    fn operator_mut(&mut self, now: Instant, operator: OperatorId) -> &mut Operator {
        self.operators.entry(operator).or_insert_with(|| Operator {
            presence: Presence::Away,
            registered: false,
            ringing: BTreeSet::new(),
            connected: BTreeSet::new(),
            free_since: now,
            last_state: OperatorState::Offline,
        })
    }

    /// Matches waiting calls with free operators and reports state changes.
    fn after_change(&mut self, now: Instant) {
        // Oldest waiting call first; each takes the longest-idle free operator it has not
        // already rung out on (or, when everyone has, the longest-idle of all).
        for i in 0..self.queue.len() {
            if self.queue[i].offer.is_some() {
                continue;
            }
            let Some(operator) = self.pick(&self.queue[i].rang_out, &self.queue[i].refused) else {
                continue;
            };
            let w = &mut self.queue[i];
            w.offer = Some((operator, now));
            let call = w.key;
            if let Some(op) = self.operators.get_mut(&operator) {
                op.ringing.insert(call);
            }
            self.actions.push_back(Action::Offer { call, operator });
        }
        for (id, op) in self.operators.iter_mut() {
            let state = op.state();
            if state != op.last_state {
                op.last_state = state;
                self.actions.push_back(Action::StateChanged {
                    operator: *id,
                    state,
                });
            }
        }
    }

    fn pick(
        &self,
        rang_out: &BTreeSet<OperatorId>,
        refused: &BTreeMap<OperatorId, Instant>,
    ) -> Option<OperatorId> {
        let free = || {
            self.operators
                .iter()
                .filter(|(id, op)| op.state() == OperatorState::Idle && !refused.contains_key(id))
        };
        let longest = |it: &mut dyn Iterator<Item = (&OperatorId, &Operator)>| {
            it.min_by_key(|(id, op)| (op.free_since, **id))
                .map(|(id, _)| *id)
        };
        longest(&mut free().filter(|(id, _)| !rang_out.contains(id)))
            .or_else(|| longest(&mut free()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RING: Duration = Duration::from_secs(15);
    const QUEUE: Duration = Duration::from_secs(120);

    #[allow(clippy::disallowed_methods)] // one epoch for the test; all later times are offsets
    fn acd() -> (Acd, Instant) {
        let acd = Acd::new(AcdConfig {
            ring_timeout: RING,
            queue_timeout: QUEUE,
        });
        (acd, Instant::now())
    }

    fn offers(acd: &mut Acd) -> Vec<Action> {
        std::iter::from_fn(|| acd.poll_action())
            .filter(|a| !matches!(a, Action::StateChanged { .. }))
            .collect()
    }

    fn ready(acd: &mut Acd, at: Instant, op: OperatorId) {
        acd.set_registered(at, op, true);
        acd.set_presence(at, op, Presence::Available);
    }

    #[test]
    fn longest_idle_operator_gets_the_call() {
        let (mut acd, t0) = acd();
        ready(&mut acd, t0 + Duration::from_secs(5), 2);
        ready(&mut acd, t0, 1);
        ready(&mut acd, t0 + Duration::from_secs(9), 3);
        offers(&mut acd);
        acd.enqueue(t0 + Duration::from_secs(20), 77);
        assert_eq!(
            offers(&mut acd),
            vec![Action::Offer {
                call: 77,
                operator: 1
            }]
        );
        assert_eq!(acd.state(1), Some(OperatorState::Ringing));
    }

    #[test]
    fn ring_out_reoffers_to_next_operator() {
        let (mut acd, t0) = acd();
        ready(&mut acd, t0, 1);
        ready(&mut acd, t0 + Duration::from_secs(1), 2);
        acd.enqueue(t0 + Duration::from_secs(2), 5);
        offers(&mut acd);
        let due = acd.poll_timeout().expect("a ring timeout");
        assert_eq!(due, t0 + Duration::from_secs(2) + RING);
        acd.handle_timeout(due);
        assert_eq!(
            offers(&mut acd),
            vec![
                Action::Withdraw {
                    call: 5,
                    operator: 1
                },
                Action::Offer {
                    call: 5,
                    operator: 2
                }
            ]
        );
        assert!(acd.answered(due, 5, 2));
        assert_eq!(acd.state(2), Some(OperatorState::OnCall));
        assert_eq!(acd.state(1), Some(OperatorState::Idle));
        assert_eq!(acd.waiting(), 0);
    }

    #[test]
    fn single_operator_is_rung_again_after_ring_out() {
        let (mut acd, t0) = acd();
        ready(&mut acd, t0, 1);
        acd.enqueue(t0, 5);
        offers(&mut acd);
        acd.handle_timeout(t0 + RING);
        assert_eq!(
            offers(&mut acd),
            vec![
                Action::Withdraw {
                    call: 5,
                    operator: 1
                },
                Action::Offer {
                    call: 5,
                    operator: 1
                }
            ]
        );
    }

    #[test]
    fn queue_timeout_sends_caller_to_voicemail() {
        let (mut acd, t0) = acd();
        acd.enqueue(t0, 9);
        assert_eq!(acd.poll_timeout(), Some(t0 + QUEUE));
        acd.handle_timeout(t0 + QUEUE - Duration::from_millis(1));
        assert!(offers(&mut acd).is_empty());
        acd.handle_timeout(t0 + QUEUE);
        assert_eq!(offers(&mut acd), vec![Action::ToVoicemail { call: 9 }]);
        assert_eq!(acd.waiting(), 0);
    }

    #[test]
    fn caller_hangup_withdraws_offer_and_frees_operator() {
        let (mut acd, t0) = acd();
        ready(&mut acd, t0, 1);
        acd.enqueue(t0, 3);
        offers(&mut acd);
        acd.remove(t0 + Duration::from_secs(3), 3);
        assert_eq!(
            offers(&mut acd),
            vec![Action::Withdraw {
                call: 3,
                operator: 1
            }]
        );
        assert_eq!(acd.state(1), Some(OperatorState::Idle));
    }

    #[test]
    fn away_and_unregistered_operators_are_skipped() {
        let (mut acd, t0) = acd();
        ready(&mut acd, t0, 1);
        acd.set_presence(t0, 1, Presence::Away);
        acd.set_presence(t0, 2, Presence::Available); // never registered
        acd.enqueue(t0, 4);
        assert!(offers(&mut acd).is_empty());
        assert_eq!(acd.state(2), Some(OperatorState::Offline));
        acd.set_presence(t0 + Duration::from_secs(1), 1, Presence::Available);
        assert_eq!(
            offers(&mut acd),
            vec![Action::Offer {
                call: 4,
                operator: 1
            }]
        );
    }

    #[test]
    fn lost_hangup_event_cannot_leave_operator_busy() {
        let (mut acd, t0) = acd();
        ready(&mut acd, t0, 1);
        acd.enqueue(t0, 8);
        offers(&mut acd);
        assert!(acd.answered(t0, 8, 1));
        assert_eq!(acd.state(1), Some(OperatorState::OnCall));
        // The BYE event was lost; the periodic re-check reports no live legs.
        acd.sync_legs(t0 + Duration::from_secs(30), &[]);
        assert_eq!(acd.state(1), Some(OperatorState::Idle));
        acd.enqueue(t0 + Duration::from_secs(31), 9);
        assert_eq!(
            offers(&mut acd),
            vec![Action::Offer {
                call: 9,
                operator: 1
            }]
        );
    }

    #[test]
    fn operator_freed_after_call_is_last_in_line() {
        let (mut acd, t0) = acd();
        ready(&mut acd, t0, 1);
        ready(&mut acd, t0 + Duration::from_secs(1), 2);
        acd.enqueue(t0 + Duration::from_secs(2), 1);
        offers(&mut acd);
        assert!(acd.answered(t0 + Duration::from_secs(3), 1, 1));
        acd.call_ended(t0 + Duration::from_secs(60), 1);
        acd.enqueue(t0 + Duration::from_secs(61), 2);
        assert_eq!(
            offers(&mut acd),
            vec![Action::Offer {
                call: 2,
                operator: 2
            }]
        );
    }

    #[test]
    fn positions_follow_arrival_order() {
        let (mut acd, t0) = acd();
        acd.enqueue(t0, 10);
        acd.enqueue(t0, 11);
        acd.enqueue(t0, 10); // duplicate ignored
        assert_eq!(acd.position(10), Some(1));
        assert_eq!(acd.position(11), Some(2));
        acd.remove(t0, 10);
        assert_eq!(acd.position(11), Some(1));
    }

    /// Regression (found with baresip and a sipp phone answering 486): a phone that
    /// refuses at once was offered the same call again in the same instant, about one
    /// INVITE per millisecond.
    #[test]
    fn refusing_phone_is_not_rung_in_a_loop() {
        let (mut acd, t0) = acd();
        ready(&mut acd, t0, 1);
        acd.enqueue(t0, 5);
        assert_eq!(
            offers(&mut acd),
            vec![Action::Offer {
                call: 5,
                operator: 1
            }]
        );
        acd.offer_failed(t0, 5, 1);
        assert!(offers(&mut acd).is_empty(), "no immediate re-offer");
        assert_eq!(acd.poll_timeout(), Some(t0 + REFUSAL_BACKOFF));
        acd.handle_timeout(t0 + REFUSAL_BACKOFF);
        assert_eq!(
            offers(&mut acd),
            vec![Action::Offer {
                call: 5,
                operator: 1
            }]
        );
    }

    #[test]
    fn refusal_moves_the_call_to_another_free_operator_at_once() {
        let (mut acd, t0) = acd();
        ready(&mut acd, t0, 1);
        ready(&mut acd, t0 + Duration::from_secs(1), 2);
        acd.enqueue(t0 + Duration::from_secs(2), 5);
        offers(&mut acd);
        acd.offer_failed(t0 + Duration::from_secs(2), 5, 1);
        assert_eq!(
            offers(&mut acd),
            vec![Action::Offer {
                call: 5,
                operator: 2
            }]
        );
    }
}

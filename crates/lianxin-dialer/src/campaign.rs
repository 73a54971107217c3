//! The campaign machine: which household and number next, attempts, retries, pause,
//! resume, cancel, stop, and when it is finished.
//!
//! It is built from the store's saved state ([`lianxin_store::SavedCampaign`]) — a new
//! campaign is simply one without attempts — so starting and resuming after a crash are
//! the same path: in-flight attempts of a crashed run are recorded as interrupted and the
//! households' plans are rebuilt by replaying their saved outcomes ([`crate::plan`]).
//! Attempt numbers only grow, and the store's UNIQUE (campaign, household, attempt) key
//! backs that up, so no household gets the notice twice for the same attempt.
//!
//! # One attempt
//! 1. A household is due, the campaign runs, the window is open and the governor has a
//!    channel and a token: the machine emits [`Event::AttemptStarted`].
//! 2. The driver writes that row and reports it stored ([`Campaign::handle_logged`]);
//!    only then comes [`Command::Dial`] — the per-household log is written before the
//!    INVITE leaves. The ring timeout starts.
//! 3. 18x → ringing. 200 OK → answered ([`Event::AttemptAnswered`]); the driver plays the
//!    notice and reports how it ended ([`Campaign::handle_ended`]). A final error response
//!    ([`Campaign::handle_rejected`]) or no response at all ([`Campaign::handle_failed`])
//!    ends it unanswered. At the ring timeout the machine says [`Command::Cancel`].
//! 4. [`Event::AttemptEnded`], then the household's next step: done
//!    ([`Event::HouseholdFinished`]), its next number now, or a retry after the pause.

use crate::dialrule::DialRule;
use crate::governor::Governor;
use crate::options::{CampaignOptions, OptionsError};
use crate::outcome::{self, Cancelled, Outcome};
use crate::plan::{Plan, Step};
use crate::progress::Progress;
pub use crate::state::State;
use crate::Now;
use chrono::{DateTime, Utc};
use lianxin_store::{AttemptEnd, AttemptStart, CampaignStatus, HouseholdFinal, SavedCampaign};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::{Duration, Instant};

/// The machine's name for one call attempt; the driver maps it to a UA call.
pub type CallId = u64;

/// How long a final response may take after the dialer's CANCEL (RFC 3261 Timer B).
pub const CANCEL_GRACE: Duration = Duration::from_secs(32);
/// How long the log may take to confirm an attempt row before the attempt is given up.
pub const LOG_TIMEOUT: Duration = Duration::from_secs(30);

/// What the driver must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Place the call (its attempt row is stored).
    Dial {
        /// The attempt.
        call: CallId,
        /// Household id.
        household: i64,
        /// Attempt number.
        attempt: u32,
        /// Number as stored.
        number: String,
        /// Number to dial (after the dial rule).
        dialled: String,
    },
    /// Cancel an unanswered call (CANCEL).
    Cancel {
        /// The attempt.
        call: CallId,
    },
    /// Hang up an answered call (BYE).
    Hangup {
        /// The attempt.
        call: CallId,
    },
}

/// What happened, for the log and the consoles.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// An attempt is about to be dialled: write its row, then [`Campaign::handle_logged`].
    AttemptStarted {
        /// The attempt.
        call: CallId,
        /// The row.
        start: AttemptStart,
    },
    /// A household answered (200 OK).
    AttemptAnswered {
        /// The attempt.
        call: CallId,
        /// Household id.
        household: i64,
        /// Attempt number.
        attempt: u32,
        /// When.
        at: DateTime<Utc>,
    },
    /// An attempt ended.
    AttemptEnded(AttemptEnd),
    /// A household has its final outcome.
    HouseholdFinished(HouseholdFinal),
    /// The campaign's state changed.
    State(State),
}

/// How an answered call ended, as the driver saw it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ended {
    /// Seconds of the notice played before the end.
    pub seconds_heard: f64,
    /// The notice played to the end (and the confirmation wait, if any, passed).
    pub heard_to_end: bool,
    /// Key pressed to confirm.
    pub confirm_key: Option<char>,
}

/// A campaign that cannot be run.
#[derive(Debug, thiserror::Error)]
pub enum CampaignError {
    /// Its stored options are not valid.
    #[error("campaign options: {0}")]
    Options(#[from] OptionsError),
    /// It is already finished or cancelled.
    #[error("the campaign is already {}", .0.as_str())]
    Over(CampaignStatus),
}

#[derive(Debug)]
struct Household {
    id: i64,
    plan: Plan,
    done: Option<Outcome>,
    seconds_heard: Option<f64>,
    confirmed: Option<char>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Logging,
    Dialling,
    Ringing,
    Answered,
}

#[derive(Debug)]
struct Call {
    household: usize,
    attempt: u32,
    number: String,
    dialled: String,
    phase: Phase,
    answered: Option<DateTime<Utc>>,
    deadline: Option<Instant>,
    cancelled: Option<Cancelled>,
}

/// One campaign's dialling logic (see the module documentation).
#[derive(Debug)]
pub struct Campaign {
    id: i64,
    options: CampaignOptions,
    rule: DialRule,
    state: State,
    households: Vec<Household>,
    /// Households due for an attempt: (due, order, index).
    queue: BTreeSet<(Instant, u64, usize)>,
    order: u64,
    calls: BTreeMap<CallId, Call>,
    next_call: CallId,
    governor: Governor,
    events: VecDeque<Event>,
    commands: VecDeque<Command>,
    now: Now,
    dialled: u32,
    reached: u32,
    not_reached: u32,
    waiting_for_window: bool,
}

impl Campaign {
    /// A campaign from its saved state, ready to run (state [`State::Running`]; a campaign
    /// saved as paused is paused by the driver at once).
    pub fn new(now: Now, saved: &SavedCampaign, rule: DialRule) -> Result<Campaign, CampaignError> {
        if saved.campaign.status.is_over() {
            return Err(CampaignError::Over(saved.campaign.status));
        }
        let options = CampaignOptions::from_settings(&saved.campaign.settings)?;
        let mut c = Campaign {
            id: saved.campaign.id,
            governor: Governor::new(options.max_calls, options.calls_per_second),
            rule,
            state: State::Running,
            households: Vec::with_capacity(saved.households.len()),
            queue: BTreeSet::new(),
            order: 0,
            calls: BTreeMap::new(),
            next_call: 1,
            events: VecDeque::new(),
            commands: VecDeque::new(),
            now,
            dialled: 0,
            reached: 0,
            not_reached: 0,
            waiting_for_window: false,
            options,
        };
        c.events.push_back(Event::State(State::Running));
        for h in &saved.households {
            c.restore(now, h);
        }
        c.check_finished();
        c.pump(now);
        Ok(c)
    }

    fn restore(&mut self, now: Now, saved: &lianxin_store::SavedHousehold) {
        let idx = self.households.len();
        let mut plan = Plan::new(&saved.numbers, self.options.strategy, self.options.retries);
        let mut step = None;
        let (mut heard, mut key, mut last_end) = (None, None, now.utc);
        for a in &saved.attempts {
            plan.started(a.attempt);
            self.dialled += 1;
            let outcome = a.outcome.unwrap_or_else(|| {
                // In flight when the server died: it did not finish; say so, once.
                self.events.push_back(Event::AttemptEnded(AttemptEnd {
                    campaign_id: self.id,
                    household_id: saved.household_id,
                    attempt: a.attempt,
                    outcome: Outcome::Interrupted,
                    sip_code: None,
                    reason: "server stopped during the call".into(),
                    answered: None,
                    seconds_heard: None,
                    confirm_key: None,
                    at: now.utc,
                }));
                Outcome::Interrupted
            });
            if outcome.reached() {
                (heard, key) = (a.seconds_heard, a.confirm_key);
            }
            last_end = a.ended.unwrap_or(now.utc);
            if saved.outcome.is_none() && !matches!(step, Some(Step::Done(_))) {
                step = Some(plan.record(outcome));
            }
        }
        self.households.push(Household {
            id: saved.household_id,
            plan,
            done: None,
            seconds_heard: heard,
            confirmed: key,
        });
        if let Some(o) = saved.outcome {
            self.households[idx].done = Some(o);
            self.count(o);
            return;
        }
        if saved.opted_out {
            return self.finish(now, idx, Outcome::OptedOut);
        }
        if self.households[idx].plan.number().is_none() {
            let o = match step {
                Some(Step::Done(o)) => o,
                _ => Outcome::NoNumber,
            };
            return self.finish(now, idx, o);
        }
        match step {
            Some(Step::Done(o)) => self.finish(now, idx, o),
            Some(Step::Retry) => {
                let pause =
                    chrono::Duration::from_std(self.options.retry_pause).unwrap_or_default();
                self.schedule(now.instant_of(last_end + pause), idx);
            }
            None | Some(Step::Next) | Some(Step::RetryNow) => self.schedule(now.at, idx),
        }
    }

    /// The campaign id.
    pub fn id(&self) -> i64 {
        self.id
    }

    /// Where it is.
    pub fn state(&self) -> State {
        self.state
    }

    /// Its options.
    pub fn options(&self) -> &CampaignOptions {
        &self.options
    }

    /// The attempt row of `call` is stored: the INVITE may leave.
    pub fn handle_logged(&mut self, now: Now, call: CallId) {
        self.now = now;
        let Some(c) = self.calls.get_mut(&call) else {
            return;
        };
        if c.phase != Phase::Logging {
            return;
        }
        c.phase = Phase::Dialling;
        c.deadline = Some(now.at + self.options.ring_timeout);
        self.commands.push_back(Command::Dial {
            call,
            household: self.households[c.household].id,
            attempt: c.attempt,
            number: c.number.clone(),
            dialled: c.dialled.clone(),
        });
    }

    /// The attempt row of `call` could not be stored: the call is not placed, and the
    /// household is tried again after the retry pause. The attempt does not count against
    /// its retries, but its number is not used again (the row may exist after all, e.g.
    /// when a duplicate was refused), so attempt numbers may have a gap.
    pub fn handle_log_failed(&mut self, now: Now, call: CallId) {
        self.now = now;
        let Some(c) = self.calls.remove(&call) else {
            return;
        };
        self.governor.finished();
        self.dialled = self.dialled.saturating_sub(1);
        self.schedule(now.at + self.options.retry_pause, c.household);
        self.pump(now);
    }

    /// A provisional response (180 Ringing, 183 Session Progress: not an answer).
    pub fn handle_progress(&mut self, now: Now, call: CallId, code: u16) {
        self.now = now;
        if let Some(c) = self.calls.get_mut(&call) {
            if c.phase == Phase::Dialling && (180..200).contains(&code) {
                c.phase = Phase::Ringing;
            }
        }
    }

    /// The household answered: a 200 OK (only that is an answer).
    pub fn handle_answered(&mut self, now: Now, call: CallId) {
        self.now = now;
        let Some(c) = self.calls.get_mut(&call) else {
            return;
        };
        if !matches!(c.phase, Phase::Dialling | Phase::Ringing) {
            return;
        }
        // A 200 that crossed our CANCEL: someone did pick up.
        c.cancelled = None;
        c.phase = Phase::Answered;
        c.answered = Some(now.utc);
        c.deadline = None;
        self.events.push_back(Event::AttemptAnswered {
            call,
            household: self.households[c.household].id,
            attempt: c.attempt,
            at: now.utc,
        });
    }

    /// The call ended unanswered with a final response (`Retry-After` if the trunk gave one).
    pub fn handle_rejected(
        &mut self,
        now: Now,
        call: CallId,
        code: u16,
        reason: &str,
        retry_after: Option<Duration>,
    ) {
        self.now = now;
        self.governor.handle_response(now.at, code, retry_after);
        let Some(c) = self.calls.remove(&call) else {
            return;
        };
        if c.phase == Phase::Answered {
            // Cannot happen after a 200; treat as an early hang-up rather than lose it.
            return self.end(now, c, Outcome::HungUpEarly, Some(code), reason, None);
        }
        let o = outcome::rejected(Some(code), c.cancelled);
        self.end(now, c, o, Some(code), reason, None);
    }

    /// The call failed without a final response (transport error, timeout).
    pub fn handle_failed(&mut self, now: Now, call: CallId, reason: &str) {
        self.now = now;
        let Some(c) = self.calls.remove(&call) else {
            return;
        };
        let o = match c.phase {
            Phase::Answered => Outcome::HungUpEarly,
            _ => outcome::rejected(None, c.cancelled),
        };
        self.end(now, c, o, None, reason, None);
    }

    /// An answered call ended (the notice finished, or the household hung up).
    pub fn handle_ended(&mut self, now: Now, call: CallId, ended: Ended) {
        self.now = now;
        let Some(c) = self.calls.remove(&call) else {
            return;
        };
        if c.phase != Phase::Answered {
            let o = outcome::rejected(None, c.cancelled);
            return self.end(now, c, o, None, "ended before it was answered", None);
        }
        let o = outcome::answered(ended.heard_to_end);
        self.end(now, c, o, Some(200), "OK", Some(ended));
    }

    /// Time passed: ring timeouts, retries falling due, the window opening, the governor.
    pub fn handle_timeout(&mut self, now: Now) {
        self.now = now;
        self.governor.handle_timeout(now.at);
        let due: Vec<CallId> = self
            .calls
            .iter()
            .filter(|(_, c)| c.deadline.is_some_and(|d| d <= now.at))
            .map(|(id, _)| *id)
            .collect();
        for id in due {
            let Some(c) = self.calls.get_mut(&id) else {
                continue;
            };
            match (c.phase, c.cancelled) {
                (Phase::Logging, _) => {
                    // The log did not confirm in time. If the row is written after all,
                    // this closes it (the journal writes in order); the call never leaves.
                    self.events.push_back(Event::AttemptEnded(AttemptEnd {
                        campaign_id: self.id,
                        household_id: self.households[c.household].id,
                        attempt: c.attempt,
                        outcome: Outcome::Failed,
                        sip_code: None,
                        reason: "attempt row not stored in time; not dialled".into(),
                        answered: None,
                        seconds_heard: None,
                        confirm_key: None,
                        at: now.utc,
                    }));
                    self.handle_log_failed(now, id);
                }
                (Phase::Dialling | Phase::Ringing, None) => {
                    c.cancelled = Some(Cancelled::RingTimeout);
                    c.deadline = Some(now.at + CANCEL_GRACE);
                    self.commands.push_back(Command::Cancel { call: id });
                }
                (_, Some(_)) => {
                    if let Some(c) = self.calls.remove(&id) {
                        let o = outcome::rejected(None, c.cancelled);
                        self.end(now, c, o, None, "no final response after CANCEL", None);
                    }
                }
                (Phase::Answered, None) => c.deadline = None,
            }
        }
        self.pump(now);
    }

    /// Staff paused the campaign: no new calls; calls in flight finish.
    pub fn pause(&mut self, now: Now) {
        self.now = now;
        if self.state == State::Running {
            self.set_state(State::Paused);
        }
    }

    /// Staff resumed a paused campaign.
    pub fn resume(&mut self, now: Now) {
        self.now = now;
        if self.state == State::Paused {
            self.set_state(State::Running);
            self.check_finished();
            self.pump(now);
        }
    }

    /// Staff cancelled the campaign: calls in flight end (cancelled), and every household
    /// without an outcome gets "cancelled".
    pub fn cancel(&mut self, now: Now) {
        self.now = now;
        if !self.state.active() {
            return;
        }
        for idx in self.drop_calls(now, Outcome::Cancelled, "campaign cancelled") {
            self.finish(now, idx, Outcome::HungUpEarly);
        }
        for idx in 0..self.households.len() {
            if self.households[idx].done.is_none() {
                self.finish(now, idx, Outcome::Cancelled);
            }
        }
        self.queue.clear();
        self.set_state(State::Cancelled);
    }

    /// The server is stopping: calls in flight end (interrupted); households keep their
    /// plans, and the campaign resumes from the log when the server starts again.
    pub fn stop(&mut self, now: Now) {
        self.now = now;
        if !self.state.active() {
            return;
        }
        let _ = self.drop_calls(now, Outcome::Interrupted, "server stopped during the call");
        self.queue.clear();
        self.set_state(State::Stopped);
    }

    /// The next thing to write to the log or tell the consoles.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// The next call to place or end.
    pub fn poll_command(&mut self) -> Option<Command> {
        self.commands.pop_front()
    }

    /// When to call [`Campaign::handle_timeout`] next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let mut next: Option<Instant> = None;
        let mut consider = |t: Option<Instant>| {
            if let Some(t) = t {
                next = Some(next.map_or(t, |n| n.min(t)));
            }
        };
        for c in self.calls.values() {
            consider(c.deadline);
        }
        if self.state == State::Running {
            let first = self.queue.first().map(|q| q.0);
            if self.waiting_for_window && first.is_some() {
                if let Some(w) = self.options.window {
                    consider(Some(self.now.instant_of(w.next_open(self.now.utc))));
                }
            } else if let Some(due) = first {
                if due > self.now.at {
                    consider(Some(due));
                }
            }
            let waiting = first.is_some_and(|d| d <= self.now.at) && !self.waiting_for_window;
            consider(self.governor.poll_timeout(waiting));
        }
        next
    }

    /// The live figures.
    pub fn progress(&self) -> Progress {
        let count = |p: Phase| self.calls.values().filter(|c| c.phase == p).count() as u32;
        let households = self.households.len() as u32;
        Progress {
            campaign_id: self.id,
            state: self.state,
            households,
            dialled: self.dialled,
            ringing: count(Phase::Ringing),
            in_call: count(Phase::Answered),
            in_flight: self.calls.len() as u32,
            reached: self.reached,
            not_reached: self.not_reached,
            remaining: households.saturating_sub(self.reached + self.not_reached),
            calls_per_second: self.governor.calls_per_second(self.now.at),
            rate_limit: self.governor.limit(),
            backing_off: self.governor.backing_off(),
            waiting_for_window: self.waiting_for_window,
        }
    }

    /// Starts every attempt that may start now.
    fn pump(&mut self, now: Now) {
        self.now = now;
        if self.state != State::Running {
            return;
        }
        let closed =
            !self.options.urgent && self.options.window.is_some_and(|w| !w.contains(now.utc));
        self.waiting_for_window = closed && !self.queue.is_empty();
        if closed {
            return;
        }
        while let Some(&(due, order, idx)) = self.queue.first() {
            if due > now.at || !self.governor.try_start(now.at) {
                break;
            }
            self.queue.remove(&(due, order, idx));
            self.start(now, idx);
        }
    }

    fn start(&mut self, now: Now, idx: usize) {
        let h = &mut self.households[idx];
        let Some(number) = h.plan.number().map(str::to_owned) else {
            self.governor.finished();
            return self.finish(now, idx, Outcome::NoNumber);
        };
        let attempt = h.plan.next_attempt();
        h.plan.started(attempt);
        let call = self.next_call;
        self.next_call += 1;
        self.dialled += 1;
        let dialled = self.rule.apply(&number);
        self.calls.insert(
            call,
            Call {
                household: idx,
                attempt,
                number: number.clone(),
                dialled: dialled.clone(),
                phase: Phase::Logging,
                answered: None,
                deadline: Some(now.at + LOG_TIMEOUT),
                cancelled: None,
            },
        );
        self.events.push_back(Event::AttemptStarted {
            call,
            start: AttemptStart {
                campaign_id: self.id,
                household_id: h.id,
                attempt,
                dialled,
                number,
                at: now.utc,
            },
        });
    }

    fn end(
        &mut self,
        now: Now,
        c: Call,
        outcome: Outcome,
        sip_code: Option<u16>,
        reason: &str,
        ended: Option<Ended>,
    ) {
        self.governor.finished();
        let h = &mut self.households[c.household];
        self.events.push_back(Event::AttemptEnded(AttemptEnd {
            campaign_id: self.id,
            household_id: h.id,
            attempt: c.attempt,
            outcome,
            sip_code,
            reason: reason.to_owned(),
            answered: c.answered,
            seconds_heard: ended.map(|e| e.seconds_heard),
            confirm_key: ended.and_then(|e| e.confirm_key),
            at: now.utc,
        }));
        if outcome.reached() {
            h.seconds_heard = ended.map(|e| e.seconds_heard);
            h.confirmed = ended.and_then(|e| e.confirm_key);
        }
        if h.done.is_none() && self.state.active() {
            match h.plan.record(outcome) {
                Step::Done(o) => self.finish(now, c.household, o),
                Step::Next | Step::RetryNow => self.schedule(now.at, c.household),
                Step::Retry => self.schedule(now.at + self.options.retry_pause, c.household),
            }
        }
        self.check_finished();
        self.pump(now);
    }

    /// Ends every call in flight with `outcome` (cancel or stop).
    /// Ends every call in flight with `outcome`; returns the households whose call had
    /// been answered (cancelling does not undo that someone heard part of the notice).
    fn drop_calls(&mut self, now: Now, outcome: Outcome, reason: &str) -> Vec<usize> {
        let calls = std::mem::take(&mut self.calls);
        let mut answered = Vec::new();
        for (id, c) in calls {
            match c.phase {
                Phase::Logging => {}
                Phase::Dialling | Phase::Ringing => {
                    self.commands.push_back(Command::Cancel { call: id })
                }
                Phase::Answered => self.commands.push_back(Command::Hangup { call: id }),
            }
            self.governor.finished();
            let heard = c
                .answered
                .map(|a| (now.utc - a).num_milliseconds().max(0) as f64 / 1000.0);
            // A cancelled campaign hangs up on people listening: they were reached and
            // heard this much. A server stopping interrupts them (retried later).
            let this = match (outcome, c.answered) {
                (Outcome::Cancelled, Some(_)) => {
                    answered.push(c.household);
                    self.households[c.household].seconds_heard = heard;
                    Outcome::HungUpEarly
                }
                _ => outcome,
            };
            let h = &self.households[c.household];
            self.events.push_back(Event::AttemptEnded(AttemptEnd {
                campaign_id: self.id,
                household_id: h.id,
                attempt: c.attempt,
                outcome: this,
                sip_code: c.answered.map(|_| 200),
                reason: reason.to_owned(),
                answered: c.answered,
                seconds_heard: heard,
                confirm_key: None,
                at: now.utc,
            }));
        }
        answered
    }

    fn schedule(&mut self, due: Instant, idx: usize) {
        self.order += 1;
        self.queue.insert((due, self.order, idx));
    }

    fn finish(&mut self, now: Now, idx: usize, outcome: Outcome) {
        let h = &mut self.households[idx];
        if h.done.is_some() {
            return;
        }
        h.done = Some(outcome);
        let fin = HouseholdFinal {
            campaign_id: self.id,
            household_id: h.id,
            outcome,
            attempts: h.plan.attempts(),
            seconds_heard: if outcome.reached() {
                h.seconds_heard
            } else {
                None
            },
            confirmed: if outcome.reached() { h.confirmed } else { None },
            at: now.utc,
        };
        self.count(outcome);
        self.events.push_back(Event::HouseholdFinished(fin));
    }

    fn count(&mut self, outcome: Outcome) {
        if outcome.reached() {
            self.reached += 1;
        } else {
            self.not_reached += 1;
        }
    }

    fn check_finished(&mut self) {
        let all_done = self.households.iter().all(|h| h.done.is_some());
        if self.state.active() && all_done && self.calls.is_empty() {
            self.set_state(State::Finished);
        }
    }

    fn set_state(&mut self, state: State) {
        if self.state != state {
            self.state = state;
            self.events.push_back(Event::State(state));
        }
    }
}

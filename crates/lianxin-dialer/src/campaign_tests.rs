//! Tests of the campaign machine with injected time: the order of log and INVITE,
//! outcomes, retries, number strategy, channels and rate, window, pause/resume/cancel/stop,
//! resume after a crash — and one run against a real store with a crash in the middle.

use crate::campaign::{CallId, Campaign, Command, Ended, Event, State, CANCEL_GRACE};
use crate::{DialRule, Now, Outcome};
use chrono::{NaiveTime, TimeZone, Utc};
use chrono_tz::Asia::Shanghai;
use lianxin_store::{
    CampaignRecord, CampaignSettings, CampaignStatus, NumberKind, NumberStrategy, SavedAttempt,
    SavedCampaign, SavedHousehold, TargetNumber,
};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

#[allow(clippy::disallowed_methods)] // one epoch for the test; all later times are offsets
fn epoch() -> Instant {
    Instant::now()
}

/// 10:00 in Beijing, inside the default window.
fn t0() -> Now {
    let utc = Shanghai
        .with_ymd_and_hms(2026, 7, 10, 10, 0, 0)
        .unwrap()
        .with_timezone(&Utc);
    Now::new(epoch(), utc)
}

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

fn landline(n: &str) -> TargetNumber {
    TargetNumber {
        number: n.into(),
        kind: NumberKind::Landline,
    }
}

fn mobile(n: &str) -> TargetNumber {
    TargetNumber {
        number: n.into(),
        kind: NumberKind::Mobile,
    }
}

fn household(id: i64, numbers: Vec<TargetNumber>) -> SavedHousehold {
    SavedHousehold {
        household_id: id,
        opted_out: false,
        numbers,
        outcome: None,
        attempts: Vec::new(),
    }
}

/// Households 1..=n, each with one landline 0106500000<id>.
fn households(n: i64) -> Vec<SavedHousehold> {
    (1..=n)
        .map(|i| household(i, vec![landline(&format!("01065{i:06}"))]))
        .collect()
}

fn settings() -> CampaignSettings {
    CampaignSettings {
        max_calls: 800,
        ring_timeout: secs(30),
        retries: 1,
        retry_pause: secs(300),
        window: Some((
            NaiveTime::from_hms_opt(8, 0, 0).unwrap(),
            NaiveTime::from_hms_opt(20, 0, 0).unwrap(),
        )),
        ..Default::default()
    }
}

fn saved(settings: CampaignSettings, households: Vec<SavedHousehold>) -> SavedCampaign {
    SavedCampaign {
        campaign: CampaignRecord {
            id: 7,
            name: "测试".into(),
            notice: "notice-security".into(),
            created_by: None,
            created: t0().utc,
            status: CampaignStatus::Running,
            started: None,
            finished: None,
            groups: Vec::new(),
            settings,
            kind: Default::default(),
        },
        households,
    }
}

/// The machine with its outputs collected, and "the log": every attempt row written.
struct Sim {
    c: Campaign,
    now: Now,
    events: Vec<Event>,
    commands: Vec<Command>,
    /// call → (household, attempt), for calls whose row is logged.
    calls: BTreeMap<CallId, (i64, u32)>,
    /// Rows started but not yet confirmed to the machine.
    unlogged: Vec<CallId>,
    auto_log: bool,
}

impl Sim {
    fn new(s: CampaignSettings, hh: Vec<SavedHousehold>) -> Sim {
        Sim::from_saved(t0(), &saved(s, hh))
    }

    fn from_saved(now: Now, saved: &SavedCampaign) -> Sim {
        Sim::build(now, saved, true)
    }

    /// A campaign of `households` whose attempt rows the test confirms itself.
    fn logged_by_hand(households: Vec<SavedHousehold>) -> Sim {
        Sim::build(t0(), &saved(settings(), households), false)
    }

    fn build(now: Now, saved: &SavedCampaign, auto_log: bool) -> Sim {
        let c = Campaign::new(now, saved, DialRule::default()).unwrap();
        let mut sim = Sim {
            c,
            now,
            events: Vec::new(),
            commands: Vec::new(),
            calls: BTreeMap::new(),
            unlogged: Vec::new(),
            auto_log,
        };
        sim.drain();
        sim
    }

    /// Drains events, then commands; logs started rows at once unless told not to.
    fn drain(&mut self) {
        loop {
            let mut any = false;
            while let Some(e) = self.c.poll_event() {
                any = true;
                if let Event::AttemptStarted { call, start } = &e {
                    self.calls
                        .insert(*call, (start.household_id, start.attempt));
                    self.unlogged.push(*call);
                }
                self.events.push(e);
            }
            if self.auto_log {
                for call in std::mem::take(&mut self.unlogged) {
                    self.c.handle_logged(self.now, call);
                    any = true;
                }
            }
            while let Some(cmd) = self.c.poll_command() {
                any = true;
                self.commands.push(cmd);
            }
            if !any {
                break;
            }
        }
    }

    fn advance(&mut self, d: Duration) {
        let target = self.now.plus(d);
        // Step through every deadline on the way, as a driver would.
        while let Some(t) = self.c.poll_timeout() {
            if t > target.at {
                break;
            }
            let step = t.saturating_duration_since(self.now.at);
            self.now = self.now.plus(step);
            self.c.handle_timeout(self.now);
            self.drain();
        }
        self.now = target;
        self.c.handle_timeout(self.now);
        self.drain();
    }

    fn dials(&self) -> Vec<(i64, u32, String)> {
        self.commands
            .iter()
            .filter_map(|c| match c {
                Command::Dial {
                    household,
                    attempt,
                    number,
                    ..
                } => Some((*household, *attempt, number.clone())),
                _ => None,
            })
            .collect()
    }

    /// The call id of `household`'s attempt `attempt`.
    fn call(&self, household: i64, attempt: u32) -> CallId {
        *self
            .calls
            .iter()
            .find(|(_, v)| **v == (household, attempt))
            .unwrap_or_else(|| panic!("no attempt {attempt} for household {household}"))
            .0
    }

    fn reject(&mut self, household: i64, attempt: u32, code: u16) {
        let call = self.call(household, attempt);
        self.c.handle_rejected(self.now, call, code, "reason", None);
        self.drain();
    }

    fn answer(&mut self, household: i64, attempt: u32, heard: f64, to_end: bool) {
        let call = self.call(household, attempt);
        self.c.handle_progress(self.now, call, 180);
        self.c.handle_answered(self.now, call);
        self.drain();
        self.c.handle_ended(
            self.now,
            call,
            Ended {
                seconds_heard: heard,
                heard_to_end: to_end,
                confirm_key: to_end.then_some('1'),
            },
        );
        self.drain();
    }

    fn ended(&self) -> Vec<(i64, u32, Outcome)> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::AttemptEnded(a) => Some((a.household_id, a.attempt, a.outcome)),
                _ => None,
            })
            .collect()
    }

    fn finals(&self) -> BTreeMap<i64, Outcome> {
        let mut out = BTreeMap::new();
        for e in &self.events {
            if let Event::HouseholdFinished(f) = e {
                assert!(
                    out.insert(f.household_id, f.outcome).is_none(),
                    "one final outcome each"
                );
            }
        }
        out
    }

    fn states(&self) -> Vec<State> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::State(s) => Some(*s),
                _ => None,
            })
            .collect()
    }
}

#[test]
fn the_attempt_row_is_written_before_the_invite_leaves() {
    let mut sim = Sim::logged_by_hand(households(2));
    assert_eq!(sim.calls.len(), 2, "both rows asked for");
    assert!(sim.dials().is_empty(), "no INVITE before the row is stored");
    let first = sim.unlogged[0];
    sim.c.handle_logged(sim.now, first);
    sim.drain();
    assert_eq!(sim.dials(), [(1, 1, "01065000001".to_string())]);
    // A row that cannot be written is never dialled; the household waits for the pause.
    let second = sim.unlogged[1];
    sim.c.handle_log_failed(sim.now, second);
    sim.drain();
    assert_eq!(sim.dials().len(), 1);
    assert_eq!(sim.c.progress().dialled, 1);
    // After the pause it is tried again with a new attempt number, never a reused one.
    sim.advance(secs(300));
    let again = *sim.unlogged.last().unwrap();
    assert_eq!(sim.calls[&again], (2, 2));
}

#[test]
fn an_attempt_row_not_confirmed_in_time_is_closed_and_not_dialled() {
    let mut sim = Sim::logged_by_hand(households(1));
    let call = sim.unlogged[0];
    sim.advance(crate::campaign::LOG_TIMEOUT);
    assert_eq!(sim.ended(), [(1, 1, Outcome::Failed)]);
    sim.c.handle_logged(sim.now, call); // too late: ignored
    sim.drain();
    assert!(sim.dials().is_empty());
    assert!(sim.finals().is_empty(), "not counted against the household");
}

#[test]
fn every_answer_becomes_its_outcome() {
    let mut s = settings();
    s.retries = 0;
    let mut sim = Sim::new(s, households(8));
    assert_eq!(sim.dials().len(), 8, "unlimited rate: all at once");
    sim.answer(1, 1, 35.0, true);
    sim.answer(2, 1, 3.0, false);
    sim.reject(3, 1, 486);
    sim.reject(4, 1, 603);
    sim.reject(5, 1, 404);
    // 183 with early media is not an answer; the 480 that follows is a failure.
    let c6 = sim.call(6, 1);
    sim.c.handle_progress(sim.now, c6, 183);
    sim.drain();
    assert_eq!(sim.c.progress().ringing, 1);
    sim.reject(6, 1, 480);
    sim.reject(7, 1, 600);
    sim.reject(8, 1, 484);
    let f = sim.finals();
    let want = [
        Outcome::Heard,
        Outcome::HungUpEarly,
        Outcome::Busy,
        Outcome::Declined,
        Outcome::InvalidNumber,
        Outcome::Failed,
        Outcome::Busy,
        Outcome::InvalidNumber,
    ];
    assert_eq!(f.values().copied().collect::<Vec<_>>(), want);
    let heard = sim
        .events
        .iter()
        .find_map(|e| match e {
            Event::HouseholdFinished(h) if h.household_id == 2 => Some(h.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!((heard.seconds_heard, heard.attempts), (Some(3.0), 1));
    let p = sim.c.progress();
    assert_eq!((p.reached, p.not_reached, p.remaining), (2, 6, 0));
    assert_eq!(sim.c.state(), State::Finished);
    assert_eq!(sim.states(), [State::Running, State::Finished]);
}

#[test]
fn ring_timeout_cancels_and_the_retry_waits_for_the_pause() {
    let mut sim = Sim::new(settings(), households(1));
    let call = sim.call(1, 1);
    sim.advance(secs(30) - Duration::from_millis(1));
    assert!(!sim.commands.contains(&Command::Cancel { call }));
    sim.advance(Duration::from_millis(1));
    assert!(
        sim.commands.contains(&Command::Cancel { call }),
        "CANCEL at the ring timeout"
    );
    // The 487 that answers our CANCEL means "no answer".
    sim.c
        .handle_rejected(sim.now, call, 487, "Request Terminated", None);
    sim.drain();
    assert_eq!(sim.ended(), [(1, 1, Outcome::NoAnswer)]);
    sim.advance(secs(300) - Duration::from_millis(1));
    assert_eq!(sim.dials().len(), 1, "not before the pause is over");
    sim.advance(Duration::from_millis(1));
    assert_eq!(sim.dials().len(), 2);
    assert_eq!(sim.dials()[1].1, 2, "attempt 2");
    // The second also rings out, and no final response comes to the CANCEL at all.
    sim.advance(secs(30) + CANCEL_GRACE);
    assert_eq!(sim.finals()[&1], Outcome::NoAnswer, "retries used up");
    assert_eq!(sim.c.state(), State::Finished);
}

#[test]
fn each_number_in_turn_landline_first_until_one_answers() {
    let mut s = settings();
    s.strategy = NumberStrategy::Each;
    let hh = vec![household(
        1,
        vec![mobile("13912345678"), landline("01065123456")],
    )];
    let mut sim = Sim::new(s, hh);
    assert_eq!(sim.dials()[0].2, "01065123456");
    sim.reject(1, 1, 486);
    assert_eq!(
        sim.dials()[1].2,
        "13912345678",
        "the mobile at once, no pause"
    );
    sim.answer(1, 2, 40.0, true);
    assert_eq!(sim.finals()[&1], Outcome::Heard);
}

#[test]
fn channels_and_rate_are_kept() {
    let mut s = settings();
    s.max_calls = 3;
    let mut sim = Sim::new(s, households(5));
    assert_eq!(sim.dials().len(), 3);
    assert_eq!(
        sim.c.poll_timeout(),
        Some(sim.now.at + secs(30)),
        "only ring timeouts"
    );
    sim.reject(1, 1, 603);
    assert_eq!(sim.dials().len(), 4, "a freed channel is used at once");

    let mut s = settings();
    s.calls_per_second = 2.0;
    let mut sim = Sim::new(s, households(5));
    assert_eq!(sim.dials().len(), 1);
    sim.advance(Duration::from_millis(499));
    assert_eq!(sim.dials().len(), 1);
    sim.advance(Duration::from_millis(1));
    assert_eq!(sim.dials().len(), 2);
    sim.advance(secs(1));
    assert_eq!(sim.dials().len(), 4);
}

#[test]
fn a_503_with_retry_after_holds_new_calls() {
    let mut s = settings();
    s.max_calls = 2;
    s.retries = 1;
    s.retry_pause = secs(0);
    let mut sim = Sim::new(s, households(4));
    let call = sim.call(1, 1);
    sim.c
        .handle_rejected(sim.now, call, 503, "Service Unavailable", Some(secs(4)));
    sim.drain();
    assert_eq!(sim.dials().len(), 2, "no new call during Retry-After");
    assert!(sim.c.progress().backing_off);
    sim.advance(secs(4));
    assert_eq!(sim.dials().len(), 3);
}

#[test]
fn no_calls_at_night_unless_urgent() {
    let night = Now::new(
        epoch(),
        Shanghai
            .with_ymd_and_hms(2026, 7, 10, 22, 0, 0)
            .unwrap()
            .with_timezone(&Utc),
    );
    let mut sim = Sim::from_saved(night, &saved(settings(), households(2)));
    assert!(sim.dials().is_empty());
    assert!(sim.c.progress().waiting_for_window);
    assert_eq!(
        sim.c.poll_timeout(),
        Some(night.at + secs(10 * 3600)),
        "08:00 next morning"
    );
    sim.advance(secs(10 * 3600) - Duration::from_millis(1));
    assert!(sim.dials().is_empty());
    sim.advance(Duration::from_millis(1));
    assert_eq!(sim.dials().len(), 2);

    let mut s = settings();
    s.urgent = true;
    let sim = Sim::from_saved(night, &saved(s, households(2)));
    assert_eq!(sim.dials().len(), 2, "urgent notices go out at night");
}

#[test]
fn opted_out_and_numberless_households_are_not_called() {
    let mut hh = households(1);
    let mut out = household(2, vec![landline("01065000002")]);
    out.opted_out = true;
    hh.push(out);
    hh.push(household(3, Vec::new()));
    let sim = Sim::new(settings(), hh);
    assert_eq!(sim.dials().len(), 1);
    let f = sim.finals();
    assert_eq!((f[&2], f[&3]), (Outcome::OptedOut, Outcome::NoNumber));
    assert_eq!(sim.c.progress().remaining, 1);
}

#[test]
fn pause_holds_new_calls_and_resume_goes_on() {
    let mut s = settings();
    s.max_calls = 1;
    let mut sim = Sim::new(s, households(3));
    sim.c.pause(sim.now);
    sim.drain();
    sim.answer(1, 1, 30.0, true);
    assert_eq!(
        sim.dials().len(),
        1,
        "the call in flight finished; no new one"
    );
    assert_eq!(sim.c.state(), State::Paused);
    assert_eq!(sim.c.poll_timeout(), None);
    sim.c.resume(sim.now);
    sim.drain();
    assert_eq!(sim.dials().len(), 2);
    assert_eq!(
        sim.states(),
        [State::Running, State::Paused, State::Running]
    );
}

#[test]
fn cancel_ends_calls_and_every_household_without_an_outcome() {
    let mut s = settings();
    s.max_calls = 2;
    let mut sim = Sim::new(s, households(4));
    let (c1, c2) = (sim.call(1, 1), sim.call(2, 1));
    sim.c.handle_answered(sim.now, c1);
    sim.drain();
    sim.c.cancel(sim.now);
    sim.drain();
    assert!(sim.commands.contains(&Command::Hangup { call: c1 }));
    assert!(sim.commands.contains(&Command::Cancel { call: c2 }));
    let f = sim.finals();
    assert_eq!(f.len(), 4);
    assert_eq!(
        f[&1],
        Outcome::HungUpEarly,
        "household 1 was listening: reached"
    );
    assert!([2, 3, 4].iter().all(|h| f[h] == Outcome::Cancelled));
    assert_eq!(sim.c.state(), State::Cancelled);
    // Late answers for those calls change nothing.
    sim.c
        .handle_rejected(sim.now, c2, 487, "Request Terminated", None);
    sim.drain();
    assert_eq!(sim.ended().len(), 2);
    assert_eq!(sim.dials().len(), 2);
}

#[test]
fn stop_interrupts_calls_and_leaves_households_to_resume() {
    let mut sim = Sim::new(settings(), households(2));
    let c1 = sim.call(1, 1);
    sim.c.handle_answered(sim.now, c1);
    sim.drain();
    sim.advance(secs(4));
    sim.c.stop(sim.now);
    sim.drain();
    let ended: Vec<_> = sim.ended();
    assert_eq!(
        ended,
        [(1, 1, Outcome::Interrupted), (2, 1, Outcome::Interrupted)]
    );
    assert!(sim.finals().is_empty(), "no final outcome: they resume");
    assert_eq!(sim.c.state(), State::Stopped);
    assert_eq!(State::Stopped.status(), None);
    assert!(sim.commands.contains(&Command::Hangup { call: c1 }));
}

#[test]
fn resume_after_a_crash_interrupts_in_flight_attempts_and_retries_them() {
    let t = t0();
    let at = |s: i64| t.utc - chrono::Duration::seconds(s);
    let attempt = |n: u32, outcome: Option<Outcome>, ended: Option<i64>| SavedAttempt {
        attempt: n,
        number: "01065000001".into(),
        outcome,
        started: at(600),
        ended: ended.map(at),
        seconds_heard: None,
        confirm_key: None,
    };
    let mut hh = households(4);
    // 1: in flight at the crash, first attempt → interrupted, retried now as attempt 2.
    hh[0].attempts = vec![attempt(1, None, None)];
    // 2: already heard: untouched.
    hh[1].attempts = vec![attempt(1, Some(Outcome::Heard), Some(500))];
    hh[1].outcome = Some(Outcome::Heard);
    // 3: no answer 60 s ago: the retry waits out the rest of the 300 s pause.
    hh[2].attempts = vec![attempt(1, Some(Outcome::NoAnswer), Some(60))];
    // 4: its last retry was in flight: interrupted and done (retries = 1).
    hh[3].attempts = vec![
        attempt(1, Some(Outcome::Busy), Some(400)),
        attempt(2, None, None),
    ];
    let mut sim = Sim::from_saved(t, &saved(settings(), hh));
    assert_eq!(
        sim.ended(),
        [(1, 1, Outcome::Interrupted), (4, 2, Outcome::Interrupted)]
    );
    assert_eq!(
        sim.dials(),
        [(1, 2, "01065000001".to_string())],
        "never attempt 1 again"
    );
    let f = sim.finals();
    assert_eq!(f.get(&4), Some(&Outcome::Interrupted));
    assert_eq!(f.get(&2), None, "its outcome was already saved");
    assert_eq!(sim.c.progress().reached, 1);
    sim.advance(secs(240) - Duration::from_millis(1));
    assert_eq!(sim.dials().len(), 1);
    sim.advance(Duration::from_millis(1));
    assert_eq!(sim.dials()[1], (3, 2, "01065000003".to_string()));
}

#[test]
fn a_finished_campaign_is_not_run_again() {
    let mut s = saved(settings(), households(1));
    s.campaign.status = CampaignStatus::Finished;
    assert!(Campaign::new(t0(), &s, DialRule::default()).is_err());
    let mut s = saved(settings(), households(1));
    s.campaign.settings.max_calls = 0;
    assert!(
        Campaign::new(t0(), &s, DialRule::default()).is_err(),
        "bad options"
    );
}

#[test]
fn the_dial_rule_rewrites_what_is_dialled_not_what_is_logged() {
    let rule = DialRule {
        local_area: "010".into(),
        prefix: "9".into(),
        ..Default::default()
    };
    let mut c = Campaign::new(t0(), &saved(settings(), households(1)), rule).unwrap();
    let mut call = 0;
    while let Some(e) = c.poll_event() {
        if let Event::AttemptStarted { call: id, start } = e {
            assert_eq!(
                (start.number.as_str(), start.dialled.as_str()),
                ("01065000001", "965000001")
            );
            call = id;
        }
    }
    c.handle_logged(t0(), call);
    assert!(
        matches!(c.poll_command(), Some(Command::Dial { dialled, .. }) if dialled == "965000001")
    );
}

//! The campaign machine against a real store, in virtual time: a few hundred households
//! answer by a script, the log is written in batches (rows before INVITEs), the "server"
//! dies midway losing its unwritten batch, and a new machine resumes from the database.
//! Every household must end with exactly one final outcome, none may hear the notice
//! twice, and attempt numbers must run 1, 2, … without a gap or a repeat.

use chrono::{TimeZone, Utc};
use chrono_tz::Asia::Shanghai;
use lianxin_dialer::{CallId, Campaign, Command, DialRule, Ended, Event, Now, Outcome, State};
use lianxin_store::demo::{DemoOptions, GROUPS};
use lianxin_store::{
    CampaignSettings, CampaignStatus, NewCampaign, NumberStrategy, Store, TargetSpec,
};
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

#[allow(clippy::disallowed_methods)] // one epoch for the test; all later times are offsets
fn epoch() -> Instant {
    Instant::now()
}

/// What household `h` does whenever it is rung.
fn script(h: i64) -> Outcome {
    [
        Outcome::Heard,
        Outcome::HungUpEarly,
        Outcome::NoAnswer,
        Outcome::Busy,
        Outcome::Declined,
        Outcome::InvalidNumber,
        Outcome::Failed,
    ][(h % 7) as usize]
}

#[derive(Debug)]
enum Reply {
    Answer(CallId),
    Ended(CallId, f64, bool),
    Reject(CallId, u16),
}

/// One run of "the server": a machine, the far ends, and a log writer.
struct Server<'a> {
    store: &'a Store,
    c: Campaign,
    now: Now,
    /// Far-end replies due: (time, order) → reply.
    replies: BTreeMap<(Instant, u64), Reply>,
    order: u64,
    household_of: BTreeMap<CallId, i64>,
    batches: u32,
}

impl<'a> Server<'a> {
    fn start(store: &'a Store, id: i64, now: Now) -> Server<'a> {
        let saved = store.campaign_saved(id).unwrap().unwrap();
        let c = Campaign::new(now, &saved, DialRule::default()).unwrap();
        Server {
            store,
            c,
            now,
            replies: BTreeMap::new(),
            order: 0,
            household_of: BTreeMap::new(),
            batches: 0,
        }
    }

    fn at(&mut self, after: Duration, r: Reply) {
        self.order += 1;
        self.replies.insert((self.now.at + after, self.order), r);
    }

    /// Writes the drained events in one batch (one transaction), then confirms the rows
    /// to the machine and carries out its commands.
    fn drain(&mut self) {
        loop {
            let mut events = Vec::new();
            while let Some(e) = self.c.poll_event() {
                events.push(e);
            }
            let mut logged = Vec::new();
            if !events.is_empty() {
                self.batches += 1;
                let id = self.c.id();
                let mut end = None;
                self.store
                    .campaign_log_batch(|b| {
                        for e in &events {
                            match e {
                                Event::AttemptStarted { call, start } => {
                                    b.attempt_started(start)?;
                                    logged.push((*call, start.household_id));
                                }
                                Event::AttemptEnded(a) => b.attempt_ended(a)?,
                                Event::HouseholdFinished(f) => b.household_finished(f)?,
                                Event::State(s) => end = Some(*s),
                                Event::AttemptAnswered { .. } => {}
                            }
                        }
                        Ok(())
                    })
                    .unwrap();
                match end.and_then(State::status) {
                    Some(s) if s.is_over() => {
                        self.store.end_campaign(id, s, None, self.now.utc).unwrap();
                    }
                    Some(s) => self
                        .store
                        .set_campaign_status(id, s, None, self.now.utc)
                        .unwrap(),
                    None => {}
                }
            }
            for (call, h) in &logged {
                self.household_of.insert(*call, *h);
                self.c.handle_logged(self.now, *call);
            }
            let mut commands = Vec::new();
            while let Some(cmd) = self.c.poll_command() {
                commands.push(cmd);
            }
            if events.is_empty() && commands.is_empty() && logged.is_empty() {
                return;
            }
            for cmd in commands {
                self.carry_out(cmd);
            }
        }
    }

    fn carry_out(&mut self, cmd: Command) {
        let ms = Duration::from_millis;
        match cmd {
            Command::Dial {
                call, household, ..
            } => match script(household) {
                Outcome::Heard => self.at(ms(2000), Reply::Answer(call)),
                Outcome::HungUpEarly => self.at(ms(1500), Reply::Answer(call)),
                Outcome::NoAnswer => {} // rings until the dialer cancels
                Outcome::Busy => self.at(ms(300), Reply::Reject(call, 486)),
                Outcome::Declined => self.at(ms(4000), Reply::Reject(call, 603)),
                Outcome::InvalidNumber => self.at(ms(200), Reply::Reject(call, 404)),
                _ => self.at(ms(900), Reply::Reject(call, 480)),
            },
            Command::Cancel { call } => self.at(ms(100), Reply::Reject(call, 487)),
            Command::Hangup { .. } => {}
        }
    }

    fn reply(&mut self, r: Reply) {
        let now = self.now;
        match r {
            Reply::Answer(call) => {
                self.c.handle_progress(now, call, 180);
                self.c.handle_answered(now, call);
                let h = self.household_of[&call];
                let (secs, to_end) = if script(h) == Outcome::Heard {
                    (30.0, true)
                } else {
                    (3.0, false)
                };
                self.at(
                    Duration::from_secs_f64(secs),
                    Reply::Ended(call, secs, to_end),
                );
            }
            Reply::Ended(call, seconds_heard, heard_to_end) => self.c.handle_ended(
                now,
                call,
                Ended {
                    seconds_heard,
                    heard_to_end,
                    confirm_key: None,
                },
            ),
            Reply::Reject(call, code) => self.c.handle_rejected(now, call, code, "script", None),
        }
    }

    /// Runs until `until` (virtual) or the campaign is over.
    fn run(&mut self, until: Instant) {
        self.drain();
        loop {
            let timer = self.c.poll_timeout();
            let reply = self.replies.keys().next().map(|k| k.0);
            let next = match (timer, reply) {
                (Some(a), Some(b)) => a.min(b),
                (Some(a), None) | (None, Some(a)) => a,
                (None, None) => break,
            };
            if next > until {
                break;
            }
            self.now = self.now.plus(next.saturating_duration_since(self.now.at));
            while let Some(entry) = self.replies.first_entry() {
                if entry.key().0 > self.now.at {
                    break;
                }
                let r = entry.remove();
                self.reply(r);
                self.drain();
            }
            self.c.handle_timeout(self.now);
            self.drain();
            if !matches!(self.c.state(), State::Running | State::Paused) {
                break;
            }
        }
    }
}

#[test]
fn a_campaign_killed_midway_resumes_and_every_household_ends_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("t.db")).unwrap();
    let start = Now::new(
        epoch(),
        Shanghai
            .with_ymd_and_hms(2026, 7, 10, 10, 0, 0)
            .unwrap()
            .with_timezone(&Utc),
    );
    store
        .generate_demo(
            &DemoOptions {
                seed: 5,
                households: 400,
                now: start.utc,
            },
            &mut |_| {},
        )
        .unwrap();
    let targets = TargetSpec {
        groups: GROUPS[..6].iter().map(|g| g.to_string()).collect(),
        households: Vec::new(),
    };
    let settings = CampaignSettings {
        max_calls: 50,
        calls_per_second: 40.0,
        ring_timeout: Duration::from_secs(20),
        retries: 1,
        retry_pause: Duration::from_secs(60),
        strategy: NumberStrategy::Each,
        ..Default::default()
    };
    let id = store
        .create_campaign(
            &NewCampaign {
                name: "断电测试".into(),
                notice: "notice-fraud".into(),
                created_by: None,
                targets,
                settings,
            },
            start.utc,
        )
        .unwrap();
    let households = store.campaign_saved(id).unwrap().unwrap().households.len();
    assert!(households > 100, "{households} households");

    // First run: killed after 25 s, in the middle of everything; its last batch is lost.
    let mut first = Server::start(&store, id, start);
    first.run(start.at + Duration::from_secs(25));
    let in_flight = first.c.progress().in_flight;
    assert!(in_flight > 0, "calls were in flight at the crash");
    let done_before = first.c.progress().reached + first.c.progress().not_reached;
    assert!(done_before > 0 && (done_before as usize) < households);
    // The server dies just after one more reply came in, before writing what followed.
    if let Some(((at, _), reply)) = first.replies.pop_first() {
        first.now = first.now.plus(at.saturating_duration_since(first.now.at));
        first.reply(reply);
    }
    let lost = std::iter::from_fn(|| first.c.poll_event()).count();
    assert!(lost > 0, "the last batch is lost");
    let crash = first.now;
    drop(first);

    // Restart 10 s later; run to the end.
    let mut second = Server::start(&store, id, crash.plus(Duration::from_secs(10)));
    second.run(crash.at + Duration::from_secs(3600));
    assert_eq!(second.c.state(), State::Finished);
    assert!(second.batches > 10);

    let campaign = store.campaign(id).unwrap().unwrap();
    assert_eq!(campaign.status, CampaignStatus::Finished);
    let report = store.campaign_report(id).unwrap();
    assert_eq!(report.len(), households);
    let attempts = store.campaign_attempts(id).unwrap();
    let mut by_household: BTreeMap<i64, Vec<_>> = BTreeMap::new();
    for a in &attempts {
        by_household.entry(a.household_id).or_default().push(a);
    }
    let mut interrupted = BTreeSet::new();
    for r in &report {
        let outcome = r
            .outcome
            .unwrap_or_else(|| panic!("household {} has no outcome", r.household_id));
        let mine = by_household.remove(&r.household_id).unwrap_or_default();
        let numbers: Vec<u32> = mine.iter().map(|a| a.attempt).collect();
        let want: Vec<u32> = (1..=mine.len() as u32).collect();
        assert_eq!(numbers, want, "attempts of {} run 1, 2, …", r.household_id);
        assert!(
            mine.iter().all(|a| a.outcome.is_some()),
            "no attempt left dialling"
        );
        let heard = mine
            .iter()
            .filter(|a| a.outcome.is_some_and(Outcome::reached))
            .count();
        assert!(
            heard <= 1,
            "household {} heard the notice {heard} times",
            r.household_id
        );
        assert_eq!(r.reached, Some(outcome.reached()));
        if mine.iter().any(|a| a.outcome == Some(Outcome::Interrupted)) {
            interrupted.insert(r.household_id);
        }
        match outcome {
            Outcome::NoNumber => assert!(mine.is_empty()),
            Outcome::Interrupted => assert!(interrupted.contains(&r.household_id)),
            o => assert_eq!(o, script(r.household_id), "household {}", r.household_id),
        }
    }
    assert!(
        by_household.is_empty(),
        "attempts only for the campaign's households"
    );
    assert!(!interrupted.is_empty(), "the crash interrupted calls");
    let unreached = report.iter().filter(|r| r.reached == Some(false)).count();
    let follow_ups = store.follow_ups(None, true).unwrap();
    let ours = follow_ups.iter().filter(|f| f.campaign_id == id).count();
    assert_eq!(
        ours, unreached,
        "every unreached household is on a captain's list"
    );
}

//! Store tests of the automatic return visit (回访): queued by resolving on any path,
//! withdrawn by reopening, the number to call, the campaign it runs as (kept out of the
//! group-call lists and follow-ups), the key recorded as feedback through the workflow
//! rules with its timeline entry and audit row, and the captain's manual list. Times are
//! given, never read.

use chrono::{DateTime, Duration, TimeZone, Utc};

use crate::campaign_log::{AttemptStart, HouseholdFinal};
use crate::request_rules::{Action, Actor};
use crate::return_visits::{feedback_for, HOW};
use crate::*;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 2, 0, 0).unwrap()
}

struct World {
    _dir: tempfile::TempDir,
    s: Store,
    captain: i64,
}

/// Two households of the captain's block: H1 with two phones and a call from its second
/// one, H2 with no phone.
fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open(dir.path().join("t.db")).unwrap();
    let captain = s
        .create_staff(
            &NewStaff {
                username: "cap",
                display_name: "李建国",
                role: Role::Captain,
                extension: None,
                phone: None,
                password: Some("password-1"),
            },
            None,
        )
        .unwrap();
    s.write(|tx| {
        tx.execute_batch(&format!(
            "INSERT INTO blocks (id, name, captain_staff_id) VALUES (1, '第一片区', {captain});
             INSERT INTO households (id, code, street, number, dwelling, block_id, created_ms) VALUES
                (1, 'H1', '内务部街', '27', 'bungalow', 1, 0), (2, 'H2', '内务部街', '29', 'bungalow', 1, 0);
             INSERT INTO phones (household_id, raw, normalized, kind, created_ms) VALUES
                (1, '65123456', '01065123456', 'landline', 0), (1, '13900000001', '13900000001', 'mobile', 0);
             INSERT INTO calls (id, sip_call_id, direction, caller_raw, caller_normalized, household_id, arrived_ms, desk_call_id)
                VALUES (7, 'c7@x', 'in', '13900000001', '13900000001', 1, 0, 'desk-7');"
        ))?;
        Ok(())
    })
    .unwrap();
    World {
        _dir: dir,
        s,
        captain,
    }
}

impl World {
    /// A request of household `h` (from call 7 if `from_call`), resolved by the captain
    /// at `now()`.
    fn resolved(&self, h: i64, from_call: bool) -> i64 {
        let new = NewRequest {
            household_id: Some(h),
            desk_call_id: from_call.then(|| "desk-7".to_string()),
            ..NewRequest::new(Channel::Phone, "设施维修", "胡同口路灯不亮")
        };
        let cap = Actor::staff(self.captain, Role::Captain);
        let id = self.s.create_request(&new, &cap, now()).unwrap();
        let resolve = Action::Resolve {
            result: "路灯已修复".into(),
        };
        self.s
            .apply_request_action(id, &cap, &resolve, "", now())
            .unwrap();
        id
    }

    fn campaign(&self, visit: &DueReturnVisit) -> i64 {
        let new = NewCampaign {
            name: format!("回访 诉求#{}", visit.request_id),
            notice: "return-visit".into(),
            created_by: None,
            targets: TargetSpec::default(),
            settings: CampaignSettings {
                retries: 1,
                confirm_key: true,
                ..Default::default()
            },
        };
        let number = visit.number.clone().unwrap();
        self.s
            .start_return_visit(visit, &number, &new, now())
            .unwrap()
    }

    /// The campaign's household ends with `outcome` after `attempts`, key `key`, and
    /// the campaign is `status`.
    fn ends(&self, campaign: i64, outcome: Outcome, key: Option<char>, status: CampaignStatus) {
        let saved = self.s.campaign_saved(campaign).unwrap().unwrap();
        let h = saved.households[0].household_id;
        let number = saved.households[0].numbers[0].number.clone();
        self.s
            .campaign_log_batch(|b| {
                b.attempt_started(&AttemptStart {
                    campaign_id: campaign,
                    household_id: h,
                    attempt: 1,
                    number: number.clone(),
                    dialled: number.clone(),
                    at: now(),
                })?;
                if status == CampaignStatus::Finished {
                    b.household_finished(&HouseholdFinal {
                        campaign_id: campaign,
                        household_id: h,
                        outcome,
                        attempts: 1,
                        seconds_heard: outcome.reached().then_some(8.0),
                        confirmed: key,
                        at: now(),
                    })?;
                }
                Ok(())
            })
            .unwrap();
        self.s
            .set_campaign_status(campaign, CampaignStatus::Running, None, now())
            .unwrap();
        self.s.end_campaign(campaign, status, None, now()).unwrap();
    }

    fn manual_list(&self) -> Vec<i64> {
        let f = RequestFilter {
            return_visit_due: true,
            ..RequestFilter::default()
        };
        let list = self.s.list_requests(&f, now()).unwrap();
        list.iter().map(|r| r.id).collect()
    }
}

#[test]
fn keys_map_to_feedback_and_anything_else_is_not_reached() {
    use FeedbackResult::*;
    let heard = Some(Outcome::Heard);
    assert_eq!(feedback_for(heard, 1, Some('1')).0, Satisfied);
    assert_eq!(feedback_for(heard, 1, Some('2')).0, NotSatisfied);
    assert_eq!(
        feedback_for(Some(Outcome::HungUpEarly), 1, Some('2')).0,
        NotSatisfied
    );
    for key in [Some('3'), Some('*'), Some('0'), None] {
        let (f, note) = feedback_for(heard, 1, key);
        assert_eq!(f, NotReached, "{key:?}");
        assert!(note.contains("请人工回访"), "{note}");
    }
    for o in [
        Outcome::NoAnswer,
        Outcome::Busy,
        Outcome::Failed,
        Outcome::Cancelled,
    ] {
        let (f, note) = feedback_for(Some(o), 2, Some('1'));
        assert_eq!(f, NotReached, "a key without an answer does not count");
        assert!(note.contains("呼叫2次未接通"), "{note}");
    }
    assert_eq!(feedback_for(None, 0, None).0, NotReached);
}

#[test]
fn resolving_queues_one_visit_to_the_calls_number_and_reopening_withdraws_it() {
    let w = world();
    let from_call = w.resolved(1, true);
    let walk_in = w.resolved(1, false);
    let no_phone = w.resolved(2, false);
    // Due at the resolution: nothing before it.
    assert!(w
        .s
        .due_return_visits(now() - Duration::seconds(1))
        .unwrap()
        .is_empty());
    let due = w.s.due_return_visits(now()).unwrap();
    let of = |r: i64| due.iter().find(|v| v.request_id == r).unwrap().clone();
    assert_eq!(due.len(), 3);
    assert_eq!(
        of(from_call).number.as_deref(),
        Some("13900000001"),
        "the caller's number"
    );
    assert_eq!(
        of(walk_in).number.as_deref(),
        Some("01065123456"),
        "the first phone"
    );
    assert_eq!(of(no_phone).number, None);
    assert!(due
        .iter()
        .all(|v| v.awaiting_feedback && v.household_id.is_some()));
    // Waiting for the automatic visit: not on the manual list yet.
    assert!(w.manual_list().is_empty());
    // Reopened: the visit is withdrawn; resolved again: a new one.
    let cap = Actor::staff(w.captain, Role::Captain);
    w.s.apply_request_action(walk_in, &cap, &Action::Reopen, "居民说还是不亮", now())
        .unwrap();
    let due = w.s.due_return_visits(now()).unwrap();
    assert!(due.iter().all(|v| v.request_id != walk_in));
    // Skipped (no number): on the manual list.
    w.s.skip_return_visit(of(no_phone).id, "没有可拨打的电话", now())
        .unwrap();
    assert_eq!(w.manual_list(), vec![no_phone]);
    assert!(w
        .s
        .skip_return_visit(of(no_phone).id, "again", now())
        .is_err());
}

#[test]
fn key_1_records_satisfied_as_the_automatic_return_visit() {
    let w = world();
    let id = w.resolved(1, true);
    let visit = w.s.due_return_visits(now()).unwrap().remove(0);
    let campaign = w.campaign(&visit);
    // The campaign: one household, the call's number, kind return_visit, out of lists.
    let saved = w.s.campaign_saved(campaign).unwrap().unwrap();
    assert_eq!(saved.campaign.kind, CampaignKind::ReturnVisit);
    assert_eq!(saved.households.len(), 1);
    assert_eq!(saved.households[0].numbers.len(), 1);
    assert_eq!(saved.households[0].numbers[0].number, "13900000001");
    assert_eq!(saved.households[0].numbers[0].kind, NumberKind::Mobile);
    assert!(w.s.campaigns(50).unwrap().is_empty(), "not a group call");
    assert!(
        w.s.due_return_visits(now()).unwrap().is_empty(),
        "not twice"
    );
    assert_eq!(w.s.calling_return_visits().unwrap().len(), 1);
    assert!(w.manual_list().is_empty(), "being called");
    // Not over yet: nothing to finish.
    assert!(w.s.finish_return_visit(visit.id, now()).is_err());
    w.ends(
        campaign,
        Outcome::Heard,
        Some('1'),
        CampaignStatus::Finished,
    );
    assert!(
        w.s.follow_ups(None, false).unwrap().is_empty(),
        "no group-call follow-up"
    );
    let later = now() + Duration::minutes(1);
    let end = w.s.finish_return_visit(visit.id, later).unwrap();
    let ReturnVisitEnd::Recorded(r) = end else {
        panic!("{end:?}")
    };
    assert_eq!(r.stage, Stage::FeedbackGiven);
    assert_eq!(r.feedback_result, Some(FeedbackResult::Satisfied));
    assert_eq!(r.feedback_how.as_deref(), Some(HOW));
    assert_eq!(r.feedback_by, None, "the system, no staff member");
    assert_eq!(r.feedback_at, Some(later));
    let d = w.s.request_detail(id, later).unwrap().unwrap();
    let last = d.events.last().unwrap();
    assert_eq!(last.kind, "feedback");
    assert_eq!(last.staff_id, None);
    assert!(last.note.starts_with("自动回访"), "{}", last.note);
    let audit: String =
        w.s.read(|c| {
            Ok(c.query_row(
                "SELECT detail FROM audit WHERE action = 'request.feedback' AND entity = ?1",
                [format!("request:{id}")],
                |r| r.get(0),
            )?)
        })
        .unwrap();
    assert!(audit.contains("自动回访"), "{audit}");
    assert!(w.s.calling_return_visits().unwrap().is_empty());
    assert!(w.s.finish_return_visit(visit.id, later).is_err(), "once");
}

#[test]
fn not_reached_stays_resolved_on_the_captains_manual_list() {
    let w = world();
    let id = w.resolved(1, false);
    let visit = w.s.due_return_visits(now()).unwrap().remove(0);
    let campaign = w.campaign(&visit);
    w.ends(campaign, Outcome::Busy, None, CampaignStatus::Finished);
    let ReturnVisitEnd::Recorded(r) = w.s.finish_return_visit(visit.id, now()).unwrap() else {
        panic!("recorded")
    };
    assert_eq!(r.stage, Stage::Resolved);
    assert_eq!(r.feedback_result, Some(FeedbackResult::NotReached));
    assert_eq!(w.manual_list(), vec![id]);
    // The captain's own list (their block) has it too.
    let mine = RequestFilter {
        visible_to_captain: Some(w.captain),
        return_visit_due: true,
        ..RequestFilter::default()
    };
    assert_eq!(w.s.list_requests(&mine, now()).unwrap().len(), 1);
    // The captain calls by hand and records it: off the list.
    let cap = Actor::staff(w.captain, Role::Captain);
    let fb = Action::Feedback {
        result: FeedbackResult::Satisfied,
        how: "电话回访".into(),
    };
    w.s.apply_request_action(id, &cap, &fb, "", now()).unwrap();
    assert!(w.manual_list().is_empty());
}

#[test]
fn a_request_changed_meanwhile_or_a_cancelled_call_records_nothing() {
    let w = world();
    let first = w.resolved(1, true);
    let second = w.resolved(1, false);
    let due = w.s.due_return_visits(now()).unwrap();
    let (a, b) = (due[0].clone(), due[1].clone());
    assert_eq!((a.request_id, b.request_id), (first, second));
    let ca = w.campaign(&a);
    let cb = w.campaign(&b);
    // The captain recorded feedback by hand while the first was being called.
    let cap = Actor::staff(w.captain, Role::Captain);
    let fb = Action::Feedback {
        result: FeedbackResult::NotSatisfied,
        how: "上门".into(),
    };
    w.s.apply_request_action(first, &cap, &fb, "", now())
        .unwrap();
    w.ends(ca, Outcome::Heard, Some('1'), CampaignStatus::Finished);
    assert!(matches!(
        w.s.finish_return_visit(a.id, now()).unwrap(),
        ReturnVisitEnd::Dropped(_)
    ));
    let r = w.s.request(first, now()).unwrap().unwrap();
    assert_eq!(
        r.feedback_result,
        Some(FeedbackResult::NotSatisfied),
        "kept"
    );
    // Staff cancelled the second call: nothing recorded, on the manual list.
    w.ends(cb, Outcome::Cancelled, None, CampaignStatus::Cancelled);
    assert!(matches!(
        w.s.finish_return_visit(b.id, now()).unwrap(),
        ReturnVisitEnd::Dropped(_)
    ));
    assert_eq!(w.manual_list(), vec![second]);
}

#[test]
fn a_resolve_and_a_campaigns_end_wake_the_watchers_and_the_next_due_is_the_oldest() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    let w = world();
    let woken = Arc::new(AtomicUsize::new(0));
    w.s.watch_return_visits({
        let woken = woken.clone();
        move || {
            woken.fetch_add(1, Ordering::SeqCst);
        }
    });
    assert_eq!(w.s.next_return_visit_due().unwrap(), None);
    let id = w.resolved(1, true);
    assert_eq!(woken.load(Ordering::SeqCst), 1, "resolving queued a visit");
    assert_eq!(w.s.next_return_visit_due().unwrap(), Some(now()));
    // Reopening withdraws it and wakes nobody.
    let cap = Actor::staff(w.captain, Role::Captain);
    w.s.apply_request_action(id, &cap, &Action::Reopen, "居民说还是不亮", now())
        .unwrap();
    assert_eq!(woken.load(Ordering::SeqCst), 1);
    assert_eq!(w.s.next_return_visit_due().unwrap(), None);
    w.resolved(1, true);
    let visit = w.s.due_return_visits(now()).unwrap().remove(0);
    let campaign = w.campaign(&visit);
    assert_eq!(w.s.next_return_visit_due().unwrap(), None, "calling");
    let before = woken.load(Ordering::SeqCst);
    w.s.end_campaign(campaign, CampaignStatus::Finished, None, now())
        .unwrap();
    assert_eq!(woken.load(Ordering::SeqCst), before + 1, "a campaign ended");
}

//! Tests of campaigns: targets, preview, the batched attempt log, resume state, reports,
//! follow-ups, and the screen-pop's view of campaign results.

use crate::demo::DemoOptions;
use crate::import::{ImportKind, ImportOptions};
use crate::*;
use chrono::{DateTime, Duration, TimeZone, Utc};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 2, 0, 0).unwrap()
}

const HEADER: &str = "household,street,number,building,unit,room,dwelling,block,household_notes,home_phones,name,sex,dob,work,skills,notes,mobiles\n";

/// Four households: H1 (landline + mobile, two groups), H2 (mobile only), H3 (no number),
/// H4 (landline, asked for no notices); a captain account for 第一片区.
fn community() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let s = community_at(&dir.path().join("t.db"));
    (dir, s)
}

fn community_at(path: &std::path::Path) -> Store {
    let s = Store::open(path).unwrap();
    let csv = format!(
        "{HEADER}{}\n{}\n{}\n{}\n",
        "H1,内务部街,27,,,,平房,第一片区,,010-6512 3456,范先翔,女,1982-03-10,帮厨,烹饪,,139 1234 5678",
        "H2,朝阳门北小街,8,3,2,501,flat,第一片区,,,王伟,M,1950-05-05,退休,,,13800001111",
        "H3,内务部街,29,,,,平房,第二片区,,,李娜,女,1990-01-01,,,,",
        "H4,内务部街,31,,,,平房,第二片区,,65129999,赵强,男,1960-01-01,,,,",
    );
    let opts = ImportOptions {
        skip_bad: false,
        staff_id: None,
        source: "test".into(),
    };
    s.import_csv(ImportKind::Residents, csv.as_bytes(), &opts, &mut |_| {})
        .unwrap();
    let groups =
        "group,household\n平房住户,H1\n平房住户,H3\n平房住户,H4\n社区车主,H1\n社区车主,H2\n";
    s.import_csv(ImportKind::Groups, groups.as_bytes(), &opts, &mut |_| {})
        .unwrap();
    let captain = s
        .create_staff(
            &NewStaff {
                username: "cap1",
                display_name: "王队长",
                role: Role::Captain,
                extension: None,
                phone: None,
                password: None,
            },
            None,
        )
        .unwrap();
    s.write(|tx| {
        tx.execute(
            "UPDATE blocks SET captain_staff_id = ?1 WHERE name = '第一片区'",
            [captain],
        )?;
        Ok(())
    })
    .unwrap();
    let h4 = id(&s, "H4");
    s.set_no_notices(h4, true, None).unwrap();
    s
}

fn id(s: &Store, code: &str) -> i64 {
    s.read(|c| {
        Ok(
            c.query_row("SELECT id FROM households WHERE code = ?1", [code], |r| {
                r.get(0)
            })?,
        )
    })
    .unwrap()
}

fn both_groups() -> TargetSpec {
    TargetSpec {
        groups: vec!["平房住户".into(), "社区车主".into()],
        households: Vec::new(),
    }
}

#[test]
fn targets_are_each_household_once_with_its_numbers() {
    let (_d, s) = community();
    let (h1, h2) = (id(&s, "H1"), id(&s, "H2"));
    let mut spec = both_groups();
    spec.households = vec![h1, h2];
    let t = s.campaign_targets(&spec).unwrap();
    let codes: Vec<i64> = t.iter().map(|t| t.household_id).collect();
    assert_eq!(codes.len(), 4, "H1 is in two groups and named again: once");
    let first = t.iter().find(|t| t.household_id == h1).unwrap();
    let numbers: Vec<(&str, NumberKind)> = first
        .numbers
        .iter()
        .map(|n| (n.number.as_str(), n.kind))
        .collect();
    assert_eq!(
        numbers,
        [
            ("01065123456", NumberKind::Landline),
            ("13912345678", NumberKind::Mobile)
        ]
    );
    assert!(t.iter().any(|t| t.no_notices));
    // Unknown names and ids are errors that name them.
    let bad = TargetSpec {
        groups: vec!["没有这个组".into()],
        households: vec![],
    };
    assert!(
        matches!(s.campaign_targets(&bad), Err(StoreError::NotFound(m)) if m.contains("没有这个组"))
    );
    let bad = TargetSpec {
        groups: vec![],
        households: vec![h1, 999_999],
    };
    assert!(
        matches!(s.campaign_targets(&bad), Err(StoreError::NotFound(m)) if m.contains("999999"))
    );
}

#[test]
fn preview_counts_calls_and_shows_opted_out_households() {
    let (_d, s) = community();
    let mut settings = CampaignSettings {
        retries: 2,
        ..Default::default()
    };
    let p = s.campaign_preview(&both_groups(), &settings).unwrap();
    assert_eq!(
        (p.households, p.numbers, p.calls, p.without_number),
        (4, 4, 2, 1)
    );
    assert_eq!(p.max_calls, 2 * 3);
    assert_eq!(p.opted_out.len(), 1);
    assert_eq!(p.opted_out[0].code, "H4");
    assert_eq!(p.opted_out[0].address, "内务部街31号");
    settings.strategy = NumberStrategy::Each;
    settings.urgent = true;
    let p = s.campaign_preview(&both_groups(), &settings).unwrap();
    assert_eq!((p.calls, p.max_calls), (3, (2 + 1 + 1) * 3));
    assert!(p.opted_out.is_empty(), "urgent notices reach everyone");
}

fn new_campaign(settings: CampaignSettings) -> NewCampaign {
    NewCampaign {
        name: "夏夜治安提示".into(),
        notice: "notice-security".into(),
        created_by: None,
        targets: both_groups(),
        settings,
    }
}

fn start(c: i64, h: i64, attempt: u32, at: DateTime<Utc>) -> AttemptStart {
    AttemptStart {
        campaign_id: c,
        household_id: h,
        attempt,
        number: "01065123456".into(),
        dialled: "65123456".into(),
        at,
    }
}

fn end(c: i64, h: i64, attempt: u32, outcome: Outcome, at: DateTime<Utc>) -> AttemptEnd {
    AttemptEnd {
        campaign_id: c,
        household_id: h,
        attempt,
        outcome,
        sip_code: Some(200),
        reason: "OK".into(),
        answered: outcome.reached().then_some(at - Duration::seconds(30)),
        seconds_heard: outcome.reached().then_some(30.5),
        confirm_key: None,
        at,
    }
}

#[test]
fn campaign_is_created_with_options_and_households_fixed() {
    let (_d, s) = community();
    let settings = CampaignSettings {
        caller_id: "51663371".into(),
        max_calls: 800,
        calls_per_second: 50.0,
        retries: 1,
        strategy: NumberStrategy::Each,
        window: Some((
            chrono::NaiveTime::from_hms_opt(8, 0, 0).unwrap(),
            chrono::NaiveTime::from_hms_opt(21, 0, 0).unwrap(),
        )),
        confirm_key: true,
        ..Default::default()
    };
    let c = s
        .create_campaign(&new_campaign(settings.clone()), now())
        .unwrap();
    let rec = s.campaign(c).unwrap().unwrap();
    assert_eq!(rec.status, CampaignStatus::Draft);
    assert_eq!(rec.settings, settings);
    assert_eq!(rec.groups, ["平房住户", "社区车主"]);
    s.set_campaign_status(c, CampaignStatus::Running, None, now())
        .unwrap();
    s.set_campaign_status(
        c,
        CampaignStatus::Paused,
        None,
        now() + Duration::seconds(5),
    )
    .unwrap();
    s.set_campaign_status(
        c,
        CampaignStatus::Running,
        None,
        now() + Duration::seconds(9),
    )
    .unwrap();
    let rec = s.campaign(c).unwrap().unwrap();
    assert_eq!(rec.started, Some(now()), "the first start is kept");
    assert_eq!(s.unfinished_campaigns().unwrap(), [c]);
    // Households are fixed: a household added to the group later is not in it.
    let saved = s.campaign_saved(c).unwrap().unwrap();
    assert_eq!(saved.households.len(), 4);
    assert_eq!(saved.households.iter().filter(|h| h.opted_out).count(), 1);
    // A campaign with nobody to call, or no notice, is refused.
    let mut empty = new_campaign(CampaignSettings::default());
    empty.targets = TargetSpec::default();
    assert!(matches!(
        s.create_campaign(&empty, now()),
        Err(StoreError::Invalid(_))
    ));
}

#[test]
fn attempts_are_logged_in_batches_and_read_back_for_resume() {
    let (_d, s) = community();
    let c = s
        .create_campaign(&new_campaign(Default::default()), now())
        .unwrap();
    let (h1, h2) = (id(&s, "H1"), id(&s, "H2"));
    let t0 = now();
    s.campaign_log_batch(|b| {
        b.attempt_started(&start(c, h1, 1, t0))?;
        b.attempt_started(&start(c, h2, 1, t0))?;
        b.attempt_ended(&AttemptEnd {
            sip_code: Some(486),
            reason: "Busy Here".into(),
            ..end(c, h2, 1, Outcome::Busy, t0 + Duration::seconds(2))
        })
    })
    .unwrap();
    // The same attempt cannot start twice: no household hears a notice twice for one
    // attempt. The whole batch is rolled back.
    let twice = s.campaign_log_batch(|b| {
        b.attempt_started(&start(c, h2, 2, t0))?;
        b.attempt_started(&start(c, h1, 1, t0))
    });
    assert!(twice.is_err());
    let saved = s.campaign_saved(c).unwrap().unwrap();
    let hh = |h| {
        saved
            .households
            .iter()
            .find(|x| x.household_id == h)
            .unwrap()
    };
    assert_eq!(hh(h1).attempts.len(), 1);
    assert_eq!(hh(h1).attempts[0].outcome, None, "in flight");
    assert_eq!(hh(h2).attempts.len(), 1, "the failed batch left nothing");
    assert_eq!(hh(h2).attempts[0].outcome, Some(Outcome::Busy));
    assert_eq!(hh(h1).numbers.len(), 2);

    s.campaign_log_batch(|b| {
        b.attempt_ended(&end(c, h1, 1, Outcome::Heard, t0 + Duration::seconds(40)))?;
        b.household_finished(&HouseholdFinal {
            campaign_id: c,
            household_id: h1,
            outcome: Outcome::Heard,
            attempts: 1,
            seconds_heard: Some(30.5),
            confirmed: Some('1'),
            at: t0 + Duration::seconds(40),
        })
    })
    .unwrap();
    let report = s.campaign_report(c).unwrap();
    let r1 = report.iter().find(|r| r.household_id == h1).unwrap();
    assert_eq!(r1.reached, Some(true));
    assert_eq!(r1.outcome, Some(Outcome::Heard));
    assert_eq!(r1.confirmed.as_deref(), Some("1"));
    assert_eq!(r1.captain.as_deref(), Some("王队长"));
    assert_eq!(r1.address, "内务部街27号");
    let r2 = report.iter().find(|r| r.household_id == h2).unwrap();
    assert_eq!((r2.reached, r2.attempts), (None, 1));
    let attempts = s.campaign_attempts(c).unwrap();
    assert_eq!(attempts.len(), 2);
    let a1 = attempts.iter().find(|a| a.household_id == h1).unwrap();
    assert_eq!(a1.dialled, "65123456");
    assert_eq!(a1.sip_code, Some(200));
    assert!(a1.answered.is_some());
    // Ending an attempt that was never started is an error, not a silent no-op.
    let ghost = s.campaign_log_batch(|b| b.attempt_ended(&end(c, h1, 7, Outcome::Busy, t0)));
    assert!(matches!(ghost, Err(StoreError::NotFound(_))));
}

#[test]
fn attempt_row_written_before_the_invite_survives_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let (c, h1) = {
        let s = community_at(&path);
        let c = s
            .create_campaign(&new_campaign(Default::default()), now())
            .unwrap();
        let h1 = id(&s, "H1");
        s.campaign_log_batch(|b| b.attempt_started(&start(c, h1, 1, now())))
            .unwrap();
        // The process dies here: no clean close, no checkpoint; the WAL holds the row.
        std::mem::forget(s);
        (c, h1)
    };
    let s = Store::open(&path).unwrap();
    s.integrity_check().unwrap();
    let saved = s.campaign_saved(c).unwrap().unwrap();
    let h = saved
        .households
        .iter()
        .find(|x| x.household_id == h1)
        .unwrap();
    assert_eq!(h.attempts.len(), 1);
    assert_eq!(h.attempts[0].attempt, 1);
    assert_eq!(
        h.attempts[0].outcome, None,
        "in flight when it died: the dialer marks it interrupted"
    );
    // Resuming writes the interruption and the next attempt, never attempt 1 again.
    s.campaign_log_batch(|b| {
        b.attempt_ended(&end(c, h1, 1, Outcome::Interrupted, now()))?;
        b.attempt_started(&start(c, h1, 2, now()))
    })
    .unwrap();
    assert!(s
        .campaign_log_batch(|b| b.attempt_started(&start(c, h1, 1, now())))
        .is_err());
}

#[test]
fn finished_campaign_puts_unreached_households_on_captains_lists() {
    let (_d, s) = community();
    let c = s
        .create_campaign(&new_campaign(Default::default()), now())
        .unwrap();
    let (h1, h2, h3, h4) = (id(&s, "H1"), id(&s, "H2"), id(&s, "H3"), id(&s, "H4"));
    let fin = |h, outcome| HouseholdFinal {
        campaign_id: c,
        household_id: h,
        outcome,
        attempts: 1,
        seconds_heard: None,
        confirmed: None,
        at: now(),
    };
    s.campaign_log_batch(|b| {
        b.household_finished(&fin(h1, Outcome::Heard))?;
        b.household_finished(&fin(h2, Outcome::NoAnswer))?;
        b.household_finished(&fin(h3, Outcome::NoNumber))?;
        b.household_finished(&fin(h4, Outcome::OptedOut))
    })
    .unwrap();
    let summary = &s.campaigns(10).unwrap()[0];
    assert_eq!(
        (
            summary.households,
            summary.reached,
            summary.not_reached,
            summary.remaining
        ),
        (4, 1, 3, 0)
    );
    let added = s
        .end_campaign(c, CampaignStatus::Finished, None, now())
        .unwrap();
    assert_eq!(added, 3);
    assert!(s.unfinished_campaigns().unwrap().is_empty());
    let captain: i64 = s
        .read(|c| {
            Ok(
                c.query_row("SELECT id FROM staff WHERE username = 'cap1'", [], |r| {
                    r.get(0)
                })?,
            )
        })
        .unwrap();
    let mine = s.follow_ups(Some(captain), true).unwrap();
    assert_eq!(
        mine.len(),
        1,
        "H2 is in 第一片区; H3 and H4 have no captain account"
    );
    assert_eq!(mine[0].household_id, h2);
    assert_eq!(mine[0].outcome, Some(Outcome::NoAnswer));
    assert_eq!(mine[0].campaign_name, "夏夜治安提示");
    assert_eq!(s.follow_ups(None, true).unwrap().len(), 3);
    s.close_follow_up(mine[0].id, Some(captain), "上门告知", now())
        .unwrap();
    assert!(s.follow_ups(Some(captain), true).unwrap().is_empty());
    assert!(s.follow_ups(Some(captain), false).unwrap()[0].done);
    // A status cannot change once over; a cancelled campaign leaves no follow-ups.
    assert!(s
        .set_campaign_status(c, CampaignStatus::Running, None, now())
        .is_err());
    let c2 = s
        .create_campaign(&new_campaign(Default::default()), now())
        .unwrap();
    assert_eq!(
        s.end_campaign(c2, CampaignStatus::Cancelled, None, now())
            .unwrap(),
        0
    );
}

#[test]
fn screen_pop_shows_campaign_results_in_the_new_states() {
    let (_d, s) = community();
    let c = s
        .create_campaign(&new_campaign(Default::default()), now())
        .unwrap();
    let h1 = id(&s, "H1");
    s.campaign_log_batch(|b| {
        b.attempt_started(&start(c, h1, 1, now()))?;
        b.attempt_ended(&end(c, h1, 1, Outcome::NoAnswer, now()))?;
        b.attempt_started(&start(c, h1, 2, now() + Duration::seconds(300)))?;
        b.attempt_ended(&end(
            c,
            h1,
            2,
            Outcome::HungUpEarly,
            now() + Duration::seconds(330),
        ))
    })
    .unwrap();
    let card = s.household(h1, now()).unwrap().unwrap();
    let states: Vec<(&str, bool)> = card
        .campaign_results
        .iter()
        .map(|k| (k.state.as_str(), k.heard))
        .collect();
    assert_eq!(states, [("hung_up_early", true), ("no_answer", false)]);
}

#[test]
fn demo_campaigns_have_a_final_outcome_for_every_household() {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open(dir.path().join("demo.db")).unwrap();
    s.generate_demo(
        &DemoOptions {
            seed: 1,
            households: 300,
            now: now(),
        },
        &mut |_| {},
    )
    .unwrap();
    let list = s.campaigns(10).unwrap();
    assert_eq!(list.len(), 3);
    let notices: Vec<&str> = list.iter().map(|c| c.campaign.notice.as_str()).collect();
    assert!(notices.contains(&"notice-heating"));
    for c in &list {
        assert_eq!(c.campaign.status, CampaignStatus::Finished);
        assert_eq!(c.remaining, 0);
        assert!(c.reached > 0 && c.households > 0);
    }
    let fu = s.follow_ups(None, true).unwrap();
    let unreached: u64 = list.iter().map(|c| c.not_reached).sum();
    assert_eq!(fu.len() as u64, unreached);
}

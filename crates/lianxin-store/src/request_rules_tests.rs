//! Table-driven tests of the request workflow (`request_rules`): every action in every
//! stage, the role checks, and the alarm colour at its boundaries.

use chrono::{DateTime, Duration, TimeZone, Utc};

use crate::request_rules::{decide, Action, Actor, DepartmentRef, RequestRefused, RequestState};
use crate::request_stage::{FeedbackResult, Stage};
use crate::screen::Alarm;
use crate::staff::Role;

const CAPTAIN: i64 = 4;
const OTHER_CAPTAIN: i64 = 5;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 1, 0, 0).unwrap()
}

fn state(stage: Stage) -> RequestState {
    let closed = !stage.is_open();
    RequestState {
        stage,
        responsible_staff_id: (stage != Stage::New).then_some(CAPTAIN),
        captain_staff_id: Some(CAPTAIN),
        escalation_level: i64::from(stage == Stage::Escalated),
        department_id: None,
        department_due: None,
        level1: t0() + Duration::days(5),
        deadline: t0() + Duration::days(8),
        result: if closed {
            "已修好".into()
        } else {
            String::new()
        },
        closed: closed.then(|| t0() + Duration::days(1)),
        closed_by: closed.then_some(CAPTAIN),
        feedback: (stage == Stage::FeedbackGiven).then_some(FeedbackResult::Satisfied),
        feedback_how: (stage == Stage::FeedbackGiven).then(|| "电话回访".into()),
        feedback_by: (stage == Stage::FeedbackGiven).then_some(CAPTAIN),
        feedback_at: (stage == Stage::FeedbackGiven).then(|| t0() + Duration::days(2)),
    }
}

fn dept() -> DepartmentRef {
    DepartmentRef {
        id: 9,
        answer_days: 3,
    }
}

/// The actions of the table, with a name for failure messages and the note they need.
fn actions() -> Vec<(&'static str, Action, &'static str)> {
    vec![
        ("assign", Action::Assign { staff_id: 7 }, ""),
        ("start", Action::Start, ""),
        (
            "escalate-committee",
            Action::Escalate { department: None },
            "",
        ),
        (
            "escalate-department",
            Action::Escalate {
                department: Some(dept()),
            },
            "",
        ),
        (
            "resolve",
            Action::Resolve {
                result: "已联系物业修复".into(),
            },
            "",
        ),
        (
            "feedback-satisfied",
            Action::Feedback {
                result: FeedbackResult::Satisfied,
                how: "电话回访".into(),
            },
            "",
        ),
        (
            "feedback-not-reached",
            Action::Feedback {
                result: FeedbackResult::NotReached,
                how: "电话回访".into(),
            },
            "",
        ),
        ("reopen", Action::Reopen, "居民反映又坏了"),
        (
            "thresholds",
            Action::Thresholds {
                level1: t0() + Duration::days(6),
                deadline: t0() + Duration::days(10),
            },
            "",
        ),
        ("note", Action::Note, "已电话联系居民"),
    ]
}

/// For each action, the stage it leads to from each stage (in `Stage::ALL` order:
/// new, assigned, in progress, escalated, resolved, feedback given, reopened), `None`
/// when refused.
fn table() -> Vec<(&'static str, [Option<Stage>; 7])> {
    use Stage::*;
    vec![
        (
            "assign",
            [
                Some(Assigned),
                Some(Assigned),
                Some(Assigned),
                Some(Assigned),
                None,
                None,
                Some(Assigned),
            ],
        ),
        (
            "start",
            [
                Some(InProgress),
                Some(InProgress),
                None,
                Some(InProgress),
                None,
                None,
                Some(InProgress),
            ],
        ),
        (
            "escalate-committee",
            [
                Some(Escalated),
                Some(Escalated),
                Some(Escalated),
                None,
                None,
                None,
                Some(Escalated),
            ],
        ),
        (
            "escalate-department",
            [
                Some(Escalated),
                Some(Escalated),
                Some(Escalated),
                Some(Escalated),
                None,
                None,
                Some(Escalated),
            ],
        ),
        (
            "resolve",
            [
                Some(Resolved),
                Some(Resolved),
                Some(Resolved),
                Some(Resolved),
                None,
                None,
                Some(Resolved),
            ],
        ),
        (
            "feedback-satisfied",
            [None, None, None, None, Some(FeedbackGiven), None, None],
        ),
        (
            "feedback-not-reached",
            [None, None, None, None, Some(Resolved), None, None],
        ),
        (
            "reopen",
            [None, None, None, None, Some(Reopened), Some(Reopened), None],
        ),
        (
            "thresholds",
            [
                Some(New),
                Some(Assigned),
                Some(InProgress),
                Some(Escalated),
                None,
                None,
                Some(Reopened),
            ],
        ),
        (
            "note",
            [
                Some(New),
                Some(Assigned),
                Some(InProgress),
                Some(Escalated),
                Some(Resolved),
                Some(FeedbackGiven),
                Some(Reopened),
            ],
        ),
    ]
}

#[test]
fn every_action_in_every_stage() {
    let admin = Actor::staff(1, Role::Admin);
    let actions = actions();
    for (name, row) in table() {
        let (_, action, note) = actions.iter().find(|(n, _, _)| *n == name).unwrap();
        for (from, want) in Stage::ALL.into_iter().zip(row) {
            let before = state(from);
            let got = decide(&before, &admin, action, note, t0() + Duration::days(3));
            match (want, got) {
                (Some(to), Ok(d)) => {
                    assert_eq!(d.next.stage, to, "{name} from {from:?}");
                    assert_eq!(
                        d.next.stage.is_open(),
                        d.next.closed.is_none(),
                        "{name} from {from:?}: closed time in step with the stage"
                    );
                    if to != from {
                        assert!(d.changes.get("stage").is_some(), "{name} from {from:?}");
                    }
                }
                (None, Err(e)) => {
                    assert!(
                        matches!(
                            e,
                            RequestRefused::Stage { .. } | RequestRefused::Invalid { .. }
                        ),
                        "{name} from {from:?}: {e:?}"
                    );
                    assert!(!e.to_string().is_empty());
                }
                (want, got) => panic!("{name} from {from:?}: wanted {want:?}, got {got:?}"),
            }
        }
    }
}

#[test]
fn every_pair_of_stages_is_covered() {
    // Every stage is reached by some action, and every stage allows some move out.
    let reached: std::collections::HashSet<Stage> = table()
        .iter()
        .flat_map(|(_, row)| row.iter().flatten().copied())
        .collect();
    for s in Stage::ALL {
        assert!(reached.contains(&s), "{s:?} is never reached");
    }
}

#[test]
fn refusals_name_the_field_in_chinese() {
    let admin = Actor::command_line();
    let e = decide(
        &state(Stage::Assigned),
        &admin,
        &Action::Resolve { result: " ".into() },
        "",
        t0(),
    )
    .unwrap_err();
    assert_eq!(e.field(), "result");
    assert_eq!(e.to_string(), "请填写办理结果");
    let e = decide(&state(Stage::Resolved), &admin, &Action::Reopen, "", t0()).unwrap_err();
    assert_eq!(e.field(), "note");
    let e = decide(&state(Stage::Resolved), &admin, &Action::Start, "", t0()).unwrap_err();
    assert_eq!(e.field(), "stage");
    assert!(e.to_string().contains("已办结"), "{e}");
    let e = decide(
        &state(Stage::Assigned),
        &admin,
        &Action::Thresholds {
            level1: t0() + Duration::days(5),
            deadline: t0() + Duration::days(4),
        },
        "",
        t0(),
    )
    .unwrap_err();
    assert_eq!(e.field(), "deadline_at");
    // The command line cannot take a request with nobody responsible.
    let e = decide(&state(Stage::New), &admin, &Action::Start, "", t0()).unwrap_err();
    assert_eq!(e.field(), "responsible_staff_id");
}

#[test]
fn only_committee_supervisors_and_admins_escalate_to_a_department() {
    let to_dept = Action::Escalate {
        department: Some(dept()),
    };
    for (role, ok) in [
        (Role::Operator, false),
        (Role::Captain, false),
        (Role::Committee, true),
        (Role::Supervisor, true),
        (Role::Admin, true),
    ] {
        let got = decide(
            &state(Stage::Assigned),
            &Actor::staff(CAPTAIN, role),
            &to_dept,
            "",
            t0(),
        );
        match got {
            Ok(d) => {
                assert!(ok, "{role:?}");
                assert_eq!(d.next.escalation_level, 2);
                assert_eq!(d.next.department_id, Some(9));
                assert_eq!(d.next.department_due, Some(t0() + Duration::days(3)));
            }
            Err(e) => {
                assert!(!ok, "{role:?}: {e}");
                assert_eq!(e.field(), "department_id");
                assert!(matches!(e, RequestRefused::Forbidden { .. }));
            }
        }
        // Everyone may hand it up to the committee.
        let d = decide(
            &state(Stage::Assigned),
            &Actor::staff(CAPTAIN, role),
            &Action::Escalate { department: None },
            "",
            t0(),
        )
        .unwrap();
        assert_eq!(d.next.escalation_level, 1);
    }
}

#[test]
fn only_supervisors_and_admins_change_thresholds() {
    let action = Action::Thresholds {
        level1: t0() + Duration::days(1),
        deadline: t0() + Duration::days(2),
    };
    for (role, ok) in [
        (Role::Operator, false),
        (Role::Captain, false),
        (Role::Committee, false),
        (Role::Supervisor, true),
        (Role::Admin, true),
    ] {
        let got = decide(
            &state(Stage::Assigned),
            &Actor::staff(CAPTAIN, role),
            &action,
            "",
            t0(),
        );
        assert_eq!(got.is_ok(), ok, "{role:?}");
        if let Err(e) = got {
            assert_eq!(e.field(), "level1_at");
        }
    }
}

#[test]
fn a_captain_acts_only_on_their_block_unless_assigned() {
    let note = Action::Note;
    let mine = state(Stage::Assigned);
    let me = Actor::staff(CAPTAIN, Role::Captain);
    let other = Actor::staff(OTHER_CAPTAIN, Role::Captain);
    assert!(decide(&mine, &me, &note, "看过了", t0()).is_ok());
    let e = decide(&mine, &other, &note, "看过了", t0()).unwrap_err();
    assert!(matches!(e, RequestRefused::Forbidden { field: "id", .. }));
    // Assigned to the other captain: now they may.
    let mut assigned = mine.clone();
    assigned.responsible_staff_id = Some(OTHER_CAPTAIN);
    assert!(decide(&assigned, &other, &note, "看过了", t0()).is_ok());
    // Operators and committee staff see every request.
    for role in [Role::Operator, Role::Committee] {
        assert!(decide(&mine, &Actor::staff(99, role), &note, "x", t0()).is_ok());
    }
    assert!(crate::request_rules::may_create(
        &me,
        Some(1),
        Some(CAPTAIN)
    ));
    assert!(!crate::request_rules::may_create(
        &other,
        Some(1),
        Some(CAPTAIN)
    ));
    assert!(crate::request_rules::may_create(&other, None, None));
}

#[test]
fn start_from_new_takes_the_request() {
    let d = decide(
        &state(Stage::New),
        &Actor::staff(12, Role::Operator),
        &Action::Start,
        "",
        t0(),
    )
    .unwrap();
    assert_eq!(d.next.responsible_staff_id, Some(12));
    assert_eq!(
        d.changes["responsible_staff_id"],
        serde_json::json!([null, 12])
    );
}

#[test]
fn reopening_clears_the_result_and_feedback() {
    let d = decide(
        &state(Stage::FeedbackGiven),
        &Actor::command_line(),
        &Action::Reopen,
        "居民说又坏了",
        t0(),
    )
    .unwrap();
    assert_eq!(d.next.closed, None);
    assert_eq!(d.next.result, "");
    assert_eq!(d.next.feedback, None);
    assert_eq!(d.kind, "reopened");
}

#[test]
fn alarm_colour_at_the_boundaries() {
    let s = state(Stage::Assigned);
    let ms = Duration::milliseconds(1);
    assert_eq!(s.alarm(t0()), Alarm::Green);
    assert_eq!(s.alarm(s.level1 - ms), Alarm::Green);
    assert_eq!(s.alarm(s.level1), Alarm::Orange);
    assert_eq!(s.alarm(s.level1 + ms), Alarm::Orange);
    assert_eq!(s.alarm(s.deadline - ms), Alarm::Orange);
    assert_eq!(s.alarm(s.deadline), Alarm::Orange);
    assert_eq!(s.alarm(s.deadline + ms), Alarm::Red);
    assert_eq!(s.alarm(s.deadline + Duration::days(300)), Alarm::Red);
    // Closed before level 1: green forever.
    let closed = state(Stage::Resolved);
    assert_eq!(closed.alarm(t0() + Duration::days(300)), Alarm::Green);
}

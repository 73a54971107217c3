//! Store tests of requests: intake from the three channels, actions with their timeline
//! and audit rows, refusals that change nothing, lists, categories and departments,
//! voice messages made into requests, visits and the work log.

use chrono::{DateTime, Duration, TimeZone, Utc};

use crate::calls::{NewCall, NewVoiceMessage};
use crate::request_rules::{Action, Actor, DepartmentRef};
use crate::visits::{VisitFrequency, WorkKind};
use crate::*;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 2, 0, 0).unwrap()
}

struct World {
    _dir: tempfile::TempDir,
    s: Store,
    captain: i64,
    other_captain: i64,
    operator: i64,
    supervisor: i64,
    mine: i64,
    theirs: i64,
}

fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open(dir.path().join("t.db")).unwrap();
    let staff = |u: &str, role: Role| {
        s.create_staff(
            &NewStaff {
                username: u,
                display_name: u,
                role,
                extension: None,
                phone: None,
                password: Some("password-1"),
            },
            None,
        )
        .unwrap()
    };
    let captain = staff("cap1", Role::Captain);
    let other_captain = staff("cap2", Role::Captain);
    let operator = staff("op", Role::Operator);
    let supervisor = staff("sup", Role::Supervisor);
    s.write(|tx| {
        tx.execute_batch(&format!(
            "INSERT INTO blocks (id, name, captain_staff_id) VALUES (1, '第一片区', {captain}), (2, '第二片区', {other_captain});
             INSERT INTO households (id, code, street, number, dwelling, block_id, created_ms) VALUES
                (1, 'H1', '内务部街', '27', 'bungalow', 1, 0), (2, 'H2', '内务部街', '29', 'bungalow', 2, 0);
             INSERT INTO residents (id, household_id, name, sex) VALUES (1, 1, '范先翔', 'F'), (2, 2, '王伟', 'M');"
        ))?;
        Ok(())
    })
    .unwrap();
    World {
        _dir: dir,
        s,
        captain,
        other_captain,
        operator,
        supervisor,
        mine: 1,
        theirs: 2,
    }
}

fn phone_request(household: i64) -> NewRequest {
    NewRequest {
        household_id: Some(household),
        resident_id: Some(household),
        category_class: "路灯".into(),
        ..NewRequest::new(Channel::Phone, "设施维修", "胡同口路灯不亮")
    }
}

fn refused_field(e: StoreError) -> &'static str {
    match e {
        StoreError::Refused(r) => r.field(),
        e => panic!("not a refusal: {e}"),
    }
}

#[test]
fn intake_defaults_to_the_block_captain_and_the_category_thresholds() {
    let w = world();
    let op = Actor::staff(w.operator, Role::Operator);
    let id =
        w.s.create_request(&phone_request(w.mine), &op, now())
            .unwrap();
    let d = w.s.request_detail(id, now()).unwrap().unwrap();
    let r = &d.request;
    assert_eq!(r.responsible_staff_id, Some(w.captain));
    assert_eq!(r.captain_staff_id, Some(w.captain));
    assert_eq!(r.stage, Stage::Assigned);
    assert_eq!(r.alarm, Alarm::Green);
    assert_eq!(r.address.as_deref(), Some("内务部街27号"));
    assert_eq!(r.resident_name.as_deref(), Some("范先翔"));
    // 设施维修.路灯: level 1 at 3 days, deadline 5 days.
    assert_eq!(r.level1_at, now() + Duration::days(3));
    assert_eq!(r.deadline_at, now() + Duration::days(5));
    assert_eq!(d.events.len(), 1);
    assert_eq!(d.events[0].kind, "created");
    assert_eq!(d.events[0].staff_id, Some(w.operator));
    // Walk-in of an unknown caller: nobody responsible yet.
    let walk_in = NewRequest {
        caller_name: "路人甲".into(),
        caller_number: "13700001111".into(),
        ..NewRequest::new(Channel::WalkIn, "其他", "问路")
    };
    let id = w.s.create_request(&walk_in, &op, now()).unwrap();
    let r = w.s.request(id, now()).unwrap().unwrap();
    assert_eq!((r.stage, r.responsible_staff_id), (Stage::New, None));
    assert_eq!(r.caller_name, "路人甲");
    // A captain's visit in their own block; not in another's.
    let cap = Actor::staff(w.captain, Role::Captain);
    let visit = NewRequest {
        channel: Channel::Visit,
        ..phone_request(w.mine)
    };
    w.s.create_request(&visit, &cap, now()).unwrap();
    let e =
        w.s.create_request(&phone_request(w.theirs), &cap, now())
            .unwrap_err();
    assert_eq!(refused_field(e), "household_id");
}

#[test]
fn bad_intake_names_the_field_and_writes_nothing() {
    let w = world();
    let op = Actor::staff(w.operator, Role::Operator);
    let before = w.s.counts().unwrap();
    let cases: Vec<(NewRequest, &str)> = vec![
        (
            NewRequest {
                content: " ".into(),
                ..phone_request(1)
            },
            "content",
        ),
        (
            NewRequest {
                grade: 7,
                ..phone_request(1)
            },
            "grade",
        ),
        (
            NewRequest {
                category_item: "算命".into(),
                ..phone_request(1)
            },
            "category_item",
        ),
        (
            NewRequest {
                household_id: Some(99),
                ..phone_request(1)
            },
            "household_id",
        ),
        (
            NewRequest {
                resident_id: Some(2),
                ..phone_request(1)
            },
            "resident_id",
        ),
        (
            NewRequest {
                responsible_staff_id: Some(999),
                ..phone_request(1)
            },
            "responsible_staff_id",
        ),
        (
            NewRequest::new(Channel::Phone, "其他", "无名氏"),
            "household_id",
        ),
    ];
    for (new, field) in cases {
        let e = w.s.create_request(&new, &op, now()).unwrap_err();
        assert_eq!(refused_field(e), field);
    }
    assert_eq!(w.s.counts().unwrap(), before);
}

#[test]
fn actions_write_the_timeline_and_audit_and_refusals_change_nothing() {
    let w = world();
    let op = Actor::staff(w.operator, Role::Operator);
    let cap = Actor::staff(w.captain, Role::Captain);
    let id =
        w.s.create_request(&phone_request(w.mine), &op, now())
            .unwrap();
    let t1 = now() + Duration::hours(2);
    let r =
        w.s.apply_request_action(id, &cap, &Action::Start, "", t1)
            .unwrap();
    assert_eq!(r.stage, Stage::InProgress);
    // The operator may not send it to a department; nothing changes.
    let dept =
        w.s.create_department(
            "城管科",
            None,
            &Actor::staff(w.supervisor, Role::Supervisor),
        )
        .unwrap();
    let audit_before = w.s.counts().unwrap().audit;
    let to_dept = Action::Escalate {
        department: Some(DepartmentRef {
            id: dept.id,
            answer_days: 0,
        }),
    };
    let e =
        w.s.apply_request_action(id, &op, &to_dept, "", t1)
            .unwrap_err();
    assert_eq!(refused_field(e), "department_id");
    assert_eq!(w.s.counts().unwrap().audit, audit_before);
    assert_eq!(
        w.s.request(id, t1).unwrap().unwrap().stage,
        Stage::InProgress
    );
    // Another block's captain may not touch it.
    let other = Actor::staff(w.other_captain, Role::Captain);
    let e =
        w.s.apply_request_action(id, &other, &Action::Note, "看看", t1)
            .unwrap_err();
    assert_eq!(refused_field(e), "id");
    // The supervisor escalates: the department's 3 days run from now.
    let sup = Actor::staff(w.supervisor, Role::Supervisor);
    let r =
        w.s.apply_request_action(id, &sup, &to_dept, "转城管", t1)
            .unwrap();
    assert_eq!(r.stage, Stage::Escalated);
    assert_eq!(r.department_name.as_deref(), Some("城管科"));
    assert_eq!(r.department_due_at, Some(t1 + Duration::days(3)));
    let t2 = now() + Duration::days(1);
    let r =
        w.s.apply_request_action(
            id,
            &cap,
            &Action::Resolve {
                result: "路灯已修复".into(),
            },
            "",
            t2,
        )
        .unwrap();
    assert!(!r.open);
    assert_eq!(r.closed_at, Some(t2));
    let r =
        w.s.apply_request_action(
            id,
            &cap,
            &Action::Feedback {
                result: FeedbackResult::Satisfied,
                how: "电话回访".into(),
            },
            "",
            t2,
        )
        .unwrap();
    assert_eq!(r.stage, Stage::FeedbackGiven);
    let d = w.s.request_detail(id, t2).unwrap().unwrap();
    let kinds: Vec<&str> = d.events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        ["created", "started", "escalated", "resolved", "feedback"]
    );
    assert_eq!(d.events[2].note, "转城管");
    assert_eq!(
        d.events[3].changes["stage"],
        serde_json::json!(["escalated", "resolved"])
    );
    // Status in step, and the old feedback column too (the pop and benchmarks use them).
    let (status, satisfied): (String, Option<i64>) =
        w.s.read(|c| {
            Ok(c.query_row(
                "SELECT status, feedback_satisfied FROM requests WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?)
        })
        .unwrap();
    assert_eq!((status.as_str(), satisfied), ("closed", Some(1)));
    let audits: i64 =
        w.s.read(|c| {
            Ok(c.query_row(
                "SELECT count(*) FROM audit WHERE entity = ?1",
                [format!("request:{id}")],
                |r| r.get(0),
            )?)
        })
        .unwrap();
    assert_eq!(audits, 5);
    // The household's pop shows it with its result.
    let card = w.s.household(w.mine, t2).unwrap().unwrap();
    assert_eq!(card.requests[0].result, "路灯已修复");
    assert!(!card.requests[0].open);
    assert_eq!(card.requests[0].stage, Stage::FeedbackGiven);
    assert_eq!(card.requests[0].feedback, Some(FeedbackResult::Satisfied));
}

#[test]
fn lists_by_person_household_and_colour() {
    let w = world();
    let op = Actor::staff(w.operator, Role::Operator);
    let a =
        w.s.create_request(&phone_request(w.mine), &op, now())
            .unwrap();
    let b =
        w.s.create_request(&phone_request(w.theirs), &op, now() - Duration::days(4))
            .unwrap();
    let c =
        w.s.create_request(&phone_request(w.theirs), &op, now() - Duration::days(9))
            .unwrap();
    let ids = |f: RequestFilter| -> Vec<i64> {
        w.s.list_requests(&f, now())
            .unwrap()
            .iter()
            .map(|r| r.id)
            .collect()
    };
    assert_eq!(ids(RequestFilter::default()), vec![a, b, c]);
    assert_eq!(
        ids(RequestFilter {
            visible_to_captain: Some(w.captain),
            ..Default::default()
        }),
        vec![a]
    );
    assert_eq!(
        ids(RequestFilter {
            responsible: Some(w.other_captain),
            ..Default::default()
        }),
        vec![b, c]
    );
    assert_eq!(
        ids(RequestFilter {
            household_id: Some(w.theirs),
            ..Default::default()
        }),
        vec![b, c]
    );
    // Level 1 at 3 days, deadline 5: b is orange, c red (most urgent first).
    assert_eq!(
        ids(RequestFilter {
            alarms: vec![Alarm::Orange, Alarm::Red],
            ..Default::default()
        }),
        vec![c, b]
    );
    assert_eq!(
        ids(RequestFilter {
            alarms: vec![Alarm::Red],
            ..Default::default()
        }),
        vec![c]
    );
    let open = w.s.open_requests().unwrap();
    assert_eq!(open.len(), 3);
    // Assigned to the first captain, the other block's request becomes visible to them;
    // the same transaction says who had it before.
    let change =
        w.s.apply_request_change(
            b,
            &op,
            &Action::Assign {
                staff_id: w.captain,
            },
            "",
            now(),
        )
        .unwrap();
    assert_eq!(change.previous_responsible, Some(w.other_captain));
    assert_eq!(change.record.responsible_staff_id, Some(w.captain));
    assert_eq!(
        ids(RequestFilter {
            visible_to_captain: Some(w.captain),
            ..Default::default()
        }),
        vec![a, b]
    );
}

#[test]
fn categories_and_departments_are_managed_by_supervisors() {
    let w = world();
    let op = Actor::staff(w.operator, Role::Operator);
    let sup = Actor::staff(w.supervisor, Role::Supervisor);
    let all = w.s.request_categories(true).unwrap();
    assert!(all
        .iter()
        .any(|c| c.item == "职业介绍" && c.class == "就业"));
    assert_eq!(
        refused_field(w.s.create_category("新类", "", 1, 2, &op).unwrap_err()),
        "role"
    );
    let c = w.s.create_category("新类", "", 1, 2, &sup).unwrap();
    assert_eq!(
        refused_field(w.s.create_category("新类", "", 1, 2, &sup).unwrap_err()),
        "class"
    );
    assert_eq!(
        refused_field(w.s.update_category(c.id, 3, 2, true, &sup).unwrap_err()),
        "deadline_days"
    );
    let c = w.s.update_category(c.id, 2, 4, false, &sup).unwrap();
    assert!(!c.active);
    assert!(!w
        .s
        .request_categories(true)
        .unwrap()
        .iter()
        .any(|x| x.id == c.id));
    // An inactive category is not offered for new requests.
    let e =
        w.s.create_request(
            &NewRequest {
                household_id: Some(1),
                ..NewRequest::new(Channel::Phone, "新类", "x")
            },
            &op,
            now(),
        )
        .unwrap_err();
    assert_eq!(refused_field(e), "category_item");
    let d =
        w.s.create_department("民政科", None, &Actor::command_line())
            .unwrap();
    assert_eq!(d.answer_days, 3);
    let d = w.s.update_department(d.id, 2, true, &sup).unwrap();
    assert_eq!(d.answer_days, 2);
    assert_eq!(
        refused_field(w.s.update_department(d.id, 2, true, &op).unwrap_err()),
        "role"
    );
}

#[test]
fn a_voice_message_becomes_a_request_from_when_it_was_left() {
    let w = world();
    let left = now() - Duration::days(2);
    let call =
        w.s.insert_call(&NewCall {
            sip_call_id: "x@y".into(),
            direction: Direction::In,
            caller_raw: "65123456".into(),
            caller_normalized: Some("01065123456".into()),
            household_id: Some(w.mine),
            arrived: left,
            desk_call_id: Some("20260530020000-3".into()),
        })
        .unwrap();
    let vm =
        w.s.insert_voice_message(&NewVoiceMessage {
            call_id: Some(call),
            household_id: Some(w.mine),
            caller_raw: "65123456".into(),
            caller_normalized: Some("01065123456".into()),
            created: left,
            duration_ms: 9000,
            path: "x.wav".into(),
        })
        .unwrap();
    let op = Actor::staff(w.operator, Role::Operator);
    let new = NewRequest {
        voice_message_id: Some(vm),
        ..NewRequest::new(Channel::Phone, "其他", "留言：家里暖气不热")
    };
    let id = w.s.create_request(&new, &op, now()).unwrap();
    let r = w.s.request(id, now()).unwrap().unwrap();
    assert_eq!(r.created_at, left);
    assert_eq!(r.household_id, Some(w.mine));
    assert_eq!(r.call_id.as_deref(), Some("20260530020000-3"));
    assert_eq!(r.caller_number, "65123456");
    let m = w.s.voice_message(vm).unwrap().unwrap();
    assert!(!m.open);
    assert_eq!(m.request_id, Some(id));
    // Once handled, it cannot become a second request.
    let e = w.s.create_request(&new, &op, now()).unwrap_err();
    assert_eq!(refused_field(e), "voice_message_id");
    // A request made from the pop finds its call by the consoles' id.
    let new = NewRequest {
        desk_call_id: Some("20260530020000-3".into()),
        ..phone_request(w.mine)
    };
    let id = w.s.create_request(&new, &op, now()).unwrap();
    let call_row: Option<i64> =
        w.s.read(|c| {
            Ok(
                c.query_row("SELECT call_id FROM requests WHERE id = ?1", [id], |r| {
                    r.get(0)
                })?,
            )
        })
        .unwrap();
    assert_eq!(call_row, Some(call));
}

#[test]
fn visits_work_log_and_visits_due() {
    let w = world();
    let cap = Actor::staff(w.captain, Role::Captain);
    let id =
        w.s.create_request(&phone_request(w.mine), &cap, now())
            .unwrap();
    w.s.set_visit_frequency(w.mine, Some(VisitFrequency::Weekly), &cap)
        .unwrap();
    let due = w.s.visits_due(w.captain, now()).unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].last_visit, None);
    let v =
        w.s.create_visit(
            w.mine,
            now() - Duration::days(1),
            "老人身体不错",
            &[id],
            &cap,
            now(),
        )
        .unwrap();
    assert!(w.s.visits_due(w.captain, now()).unwrap().is_empty());
    assert_eq!(
        w.s.visits_due(w.captain, now() + Duration::days(7))
            .unwrap()
            .len(),
        1
    );
    let visits = w.s.visits(w.mine).unwrap();
    assert_eq!((visits[0].id, visits[0].request_ids.clone()), (v, vec![id]));
    assert!(!visits[0].address.is_empty());
    let log =
        w.s.visits_by(w.captain, now() - Duration::days(30), now(), 10)
            .unwrap();
    assert_eq!(log, visits, "the captain's visit log");
    assert!(w
        .s
        .visits_by(w.captain, now(), now() + Duration::days(1), 10)
        .unwrap()
        .is_empty());
    assert_eq!(
        w.s.visit_frequency(w.mine).unwrap(),
        Some(Some(VisitFrequency::Weekly))
    );
    assert_eq!(w.s.visit_frequency(w.theirs).unwrap(), Some(None));
    assert_eq!(w.s.visit_frequency(999_999).unwrap(), None);
    assert!(w
        .s
        .create_visit(w.theirs, now(), "", &[id], &cap, now())
        .is_err());
    w.s.add_work_log(now(), WorkKind::Meeting, "居委会例会", &cap, now())
        .unwrap();
    let log =
        w.s.work_log(
            Some(w.captain),
            now() - Duration::days(1),
            now() + Duration::days(1),
        )
        .unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].kind, WorkKind::Meeting);
}

//! Who sees the live calls, and who sees the household record with them: the watchers
//! of 督导台 (admins, supervisors whatever their state) get every `call.*` frame, but
//! only consoles on duty (who may answer) get the pop.

use std::sync::Arc;

use chrono::Utc;
use lianxin_store::{CallOutcome, Role};
use serde_json::{json, Value};
use tokio::sync::mpsc;

use super::test_kit::{drain, hub, staff};
use super::Frame;
use crate::directory::Staff;
use crate::event::{DeskEvent, OperatorState, Pop};

/// Only the frames about calls (`call.*`, `calls.snapshot`).
fn call_frames(rx: &mut mpsc::Receiver<Frame>) -> Vec<Value> {
    drain(rx)
        .into_iter()
        .filter(|f| {
            let t = f["type"].as_str().unwrap_or_default();
            t.starts_with("call.") || t == "calls.snapshot"
        })
        .collect()
}

fn types(frames: &[Value]) -> Vec<&str> {
    frames.iter().map(|f| f["type"].as_str().unwrap()).collect()
}

/// A known caller: the pop names the household and its members.
fn ringing(id: &str) -> DeskEvent {
    let pop = json!({"matches": [{"household_id": 1, "address": "演乐胡同38号",
        "members": [{"name": "范先翔", "owns_number": true}]}]});
    DeskEvent::CallRinging {
        call_id: id.into(),
        number_dialled: "51663371".into(),
        caller_raw: "65123456".into(),
        pop: Pop::new(&pop).unwrap(),
        arrived_at: Utc::now(),
    }
}

fn answered(id: &str, by: &Staff) -> DeskEvent {
    DeskEvent::CallAnswered {
        call_id: id.into(),
        operator: by.into(),
    }
}

/// No field of a frame (at any depth) names the household.
fn has_household(frame: &Value) -> bool {
    frame.to_string().contains("范先翔") || frame.to_string().contains("演乐胡同")
}

#[test]
fn watchers_get_every_call_frame_and_only_those_on_duty_the_household() {
    let h = hub(32);
    let mut op = h.register(staff(1, Role::Operator), "a".into()).unwrap();
    let mut sup = h.register(staff(2, Role::Supervisor), "b".into()).unwrap();
    let mut away = h.register(staff(3, Role::Supervisor), "c".into()).unwrap();
    let mut admin = h.register(staff(4, Role::Admin), "d".into()).unwrap();
    let mut captain = h.register(staff(5, Role::Captain), "e".into()).unwrap();
    let mut committee = h.register(staff(6, Role::Committee), "f".into()).unwrap();
    h.set_state(&staff(3, Role::Supervisor), OperatorState::Away);
    for rx in [
        &mut op.rx,
        &mut sup.rx,
        &mut away.rx,
        &mut admin.rx,
        &mut captain.rx,
        &mut committee.rx,
    ] {
        drain(rx);
    }

    h.publish(ringing("c1"), None);
    for (who, rx) in [("operator", &mut op.rx), ("supervisor", &mut sup.rx)] {
        let got = call_frames(rx);
        assert_eq!(types(&got), ["call.ringing"], "{who}");
        assert!(
            has_household(&got[0]),
            "{who} on duty gets the pop: {got:?}"
        );
    }
    for (who, rx) in [("away supervisor", &mut away.rx), ("admin", &mut admin.rx)] {
        let got = call_frames(rx);
        assert_eq!(types(&got), ["call.ringing"], "{who}");
        let f = &got[0];
        assert!(f.get("pop").is_none(), "{who}: no pop field: {f}");
        assert!(!has_household(f), "{who}: no household: {f}");
        assert_eq!(
            (&f["call_id"], &f["caller_raw"], &f["number_dialled"]),
            (&json!("c1"), &json!("65123456"), &json!("51663371")),
            "{who}: what the live-calls table needs"
        );
        assert!(f["arrived_at"].is_string(), "{who}: {f}");
    }
    assert!(
        call_frames(&mut captain.rx).is_empty(),
        "captains see no calls"
    );
    assert!(
        call_frames(&mut committee.rx).is_empty(),
        "committee neither"
    );

    // The rest of the call reaches every console that saw it ring.
    h.publish(
        DeskEvent::CallQueued {
            call_id: "c1".into(),
            position: 1,
        },
        None,
    );
    h.publish(answered("c1", &staff(1, Role::Operator)), None);
    h.publish(
        DeskEvent::CallEnded {
            call_id: "c1".into(),
            outcome: CallOutcome::Answered,
            duration_s: 30,
        },
        None,
    );
    for rx in [&mut op.rx, &mut sup.rx, &mut away.rx, &mut admin.rx] {
        let got = call_frames(rx);
        assert_eq!(
            types(&got),
            ["call.queued", "call.answered", "call.ended"],
            "{got:?}"
        );
        assert_eq!(got[1]["operator"]["staff_id"], 1);
        assert!(got.iter().all(|f| !has_household(f)));
    }
    assert!(call_frames(&mut captain.rx).is_empty());
}

#[test]
fn hello_gives_watchers_the_live_calls_without_the_household_unless_on_duty() {
    let h = hub(32);
    h.publish(ringing("c1"), None);
    h.publish(answered("c1", &staff(1, Role::Operator)), None);
    let hello = |who: Arc<Staff>| {
        let mut reg = h.register(who, "t".into()).unwrap();
        let frames = drain(&mut reg.rx);
        assert_eq!(types(&frames), ["hello"]);
        frames[0].clone()
    };

    let admin = hello(staff(4, Role::Admin));
    let calls = admin["calls"].as_array().unwrap();
    assert_eq!(calls.len(), 1, "{admin}");
    assert_eq!(calls[0]["call_id"], "c1");
    assert_eq!(calls[0]["status"], "answered");
    assert_eq!(calls[0]["operator"]["staff_id"], 1);
    assert!(calls[0]["answered_at"].is_string());
    assert!(calls[0].get("pop").is_none(), "admin: no pop: {admin}");
    assert!(!has_household(&admin), "admin hello has no household");

    let sup = hello(staff(2, Role::Supervisor));
    assert!(has_household(&sup["calls"][0]), "supervisor on duty: {sup}");
    let op = hello(staff(1, Role::Operator));
    assert!(has_household(&op["calls"][0]), "operator on duty: {op}");
    assert_eq!(
        hello(staff(5, Role::Captain))["calls"],
        json!([]),
        "captains see no calls"
    );

    // A supervisor who is away still has the table, without households.
    h.publish(
        DeskEvent::OperatorState {
            staff_id: 3,
            state: OperatorState::Away,
        },
        None,
    );
    let away = hello(staff(3, Role::Supervisor));
    assert_eq!(away["on_duty"], false);
    assert_eq!(away["calls"][0]["call_id"], "c1");
    assert!(!has_household(&away), "away: {away}");
}

#[test]
fn a_supervisor_back_on_duty_gets_the_households_in_a_snapshot() {
    let h = hub(32);
    let who = staff(3, Role::Supervisor);
    let mut sup = h.register(who.clone(), "t".into()).unwrap();
    h.set_state(&who, OperatorState::Away);
    drain(&mut sup.rx);
    h.publish(ringing("c1"), None);
    let got = call_frames(&mut sup.rx);
    assert!(!has_household(&got[0]), "away: {got:?}");

    h.set_state(&who, OperatorState::Available);
    let got = call_frames(&mut sup.rx);
    assert_eq!(types(&got), ["calls.snapshot"]);
    assert!(has_household(&got[0]), "on duty again: {got:?}");
    // An admin changing its own state never gets households.
    let admin = staff(4, Role::Admin);
    let mut adm = h.register(admin.clone(), "u".into()).unwrap();
    h.set_state(&admin, OperatorState::Busy);
    assert!(drain(&mut adm.rx).iter().all(|f| !has_household(f)));
}

//! `lianxin request` against a demo database: create, list, resolve, feedback, show (the
//! task sheet), and refusals that name the field (issue 11).

mod support;

use std::path::Path;

use support::{lianxin as run, lianxin_ok as ok};

fn refused(db: &Path, args: &[&str]) -> String {
    let out = run(db, args);
    assert!(!out.status.success(), "{args:?} succeeded");
    String::from_utf8(out.stderr).unwrap()
}

#[test]
fn a_request_from_the_command_line_to_its_task_sheet() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    ok(&db, &["demo-data", "--households", "20", "--seed", "3"]);
    let id = ok(
        &db,
        &[
            "request",
            "create",
            "--household",
            "1",
            "--channel",
            "walk-in",
            "--category",
            "设施维修.路灯",
            "--content",
            "胡同口路灯不亮",
        ],
    );
    let id = id.trim().to_owned();
    assert!(id.parse::<i64>().is_ok(), "{id}");
    let list = ok(&db, &["request", "list", "--open", "--household", "1"]);
    assert!(list.contains("胡同口路灯不亮"), "{list}");
    // Feedback before the result: refused, the stage named.
    let err = refused(&db, &["request", "feedback", &id, "--result", "satisfied"]);
    assert!(err.contains("尚未办结") && err.contains("(stage)"), "{err}");
    let err = refused(
        &db,
        &[
            "request",
            "create",
            "--household",
            "1",
            "--category",
            "算命",
            "--content",
            "x",
        ],
    );
    assert!(err.contains("(category_item)"), "{err}");
    ok(
        &db,
        &["request", "resolve", &id, "--result", "已联系路灯所修复"],
    );
    // Resolved from the command line: queued for the server's automatic return visit,
    // so not on the manual list.
    let due = ok(&db, &["request", "list", "--return-visit-due", "--json"]);
    assert!(!due.contains("胡同口路灯不亮"), "{due}");
    ok(
        &db,
        &[
            "request",
            "feedback",
            &id,
            "--result",
            "satisfied",
            "--how",
            "电话回访",
        ],
    );
    let sheet = ok(&db, &["request", "show", &id]);
    for want in [
        "任务单",
        "胡同口路灯不亮",
        "设施维修.路灯",
        "已联系路灯所修复",
        "满意",
        "已反馈",
        "resolved",
    ] {
        assert!(sheet.contains(want), "{want} missing from\n{sheet}");
    }
    let json: serde_json::Value =
        serde_json::from_str(&ok(&db, &["request", "show", &id, "--json"])).unwrap();
    assert_eq!(json["request"]["stage"], "feedback_given");
    assert_eq!(json["events"].as_array().unwrap().len(), 3);
}

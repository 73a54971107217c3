//! `lianxin staff`: accounts are created, listed, re-passworded, and bad input is refused
//! with a message that says what to do.

use std::process::{Command, Output};

fn lianxin(db: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lianxin"))
        .arg("--db")
        .arg(db)
        .args(args)
        .env_remove("LIANXIN_PASSWORD")
        .output()
        .expect("run lianxin")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn staff_accounts_are_created_listed_and_checked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("staff.db");
    assert!(lianxin(&db, &["db", "init"]).status.success());
    let add = [
        "staff",
        "add",
        "8004",
        "--name",
        "孙丽",
        "--role",
        "operator",
        "--extension",
        "8004",
        "--password",
        "secret-8004",
    ];
    let o = lianxin(&db, &add);
    assert!(o.status.success(), "{}", text(&o));
    let list = lianxin(&db, &["staff", "list"]);
    let out = text(&list);
    assert!(
        out.contains("8004") && out.contains("孙丽") && out.contains("operator"),
        "{out}"
    );

    let again = lianxin(&db, &add);
    assert!(!again.status.success());
    assert!(text(&again).contains("staff passwd"), "{}", text(&again));

    let short = lianxin(&db, &["staff", "passwd", "8004", "--password", "short"]);
    assert!(!short.status.success());
    assert!(text(&short).contains("at least 8"), "{}", text(&short));

    let ok = lianxin(
        &db,
        &["staff", "passwd", "8004", "--password", "another-8004"],
    );
    assert!(ok.status.success(), "{}", text(&ok));

    let nobody = lianxin(
        &db,
        &["staff", "passwd", "9999", "--password", "whatever-1"],
    );
    assert!(!nobody.status.success());
    assert!(text(&nobody).contains("staff list"), "{}", text(&nobody));

    let role = lianxin(
        &db,
        &[
            "staff",
            "add",
            "x",
            "--name",
            "X",
            "--role",
            "boss",
            "--password",
            "12345678",
        ],
    );
    assert!(!role.status.success());
    assert!(text(&role).contains("not a role"), "{}", text(&role));
}

//! `lianxin lookup` finds 范先翔's household from every caller-ID form (issue 2).

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::OnceLock;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_lianxin"))
}

/// One small demo database shared by the tests of this file.
fn demo_db() -> &'static PathBuf {
    static DB: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &DB.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("demo.db");
        let out = bin()
            .arg("--db")
            .arg(&db)
            .args(["demo-data", "--households", "40", "--seed", "7"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "demo-data failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        (dir, db)
    })
    .1
}

fn lookup(phone: &str, json: bool) -> Output {
    let mut c = bin();
    c.arg("--db").arg(demo_db()).args(["lookup", phone]);
    if json {
        c.arg("--json");
    }
    c.env_remove("LIANXIN_DB").output().unwrap()
}

fn pop(phone: &str) -> serde_json::Value {
    let out = lookup(phone, true);
    assert!(
        out.status.success(),
        "{phone}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn every_caller_id_form_finds_fan_xianxiang() {
    let landline = [
        "65123456",
        "6512-3456",
        "6512 3456",
        "010-65123456",
        "01065123456",
        "(010) 6512 3456",
        "+861065123456",
        "+86 10 6512 3456",
        "+86-10-6512-3456",
        "0086 10 6512 3456",
        "00861065123456",
        "861065123456",
        "sip:+861065123456@trunk.example;user=phone",
        "sip:65123456@192.0.2.1",
        "sips:01065123456@pbx",
        "tel:+86-10-6512-3456",
        "\"Fan\" <sip:65123456@trunk>",
        "<sip:+861065123456@trunk>;tag=9f",
    ];
    for raw in landline {
        let p = pop(raw);
        assert_eq!(p["caller"]["number"], "01065123456", "{raw}");
        assert_eq!(p["caller"]["kind"], "landline", "{raw}");
        let m = p["matches"].as_array().unwrap();
        assert_eq!(m.len(), 1, "{raw}");
        assert_eq!(m[0]["members"][0]["name"], "范先翔", "{raw}");
        assert_eq!(m[0]["members"][0]["sex"], "female");
        assert_eq!(m[0]["members"][0]["age"], 44);
        assert_eq!(
            m[0]["members"][0]["owns_number"], false,
            "the landline is the household's"
        );
    }
    for raw in [
        "13912345678",
        "139 1234 5678",
        "+8613912345678",
        "+86 139-1234-5678",
        "008613912345678",
        "8613912345678",
        "sip:+8613912345678@trunk",
        "tel:+8613912345678",
    ] {
        let p = pop(raw);
        assert_eq!(p["caller"]["number"], "13912345678", "{raw}");
        let m = p["matches"].as_array().unwrap();
        assert_eq!(m.len(), 1, "{raw}");
        assert_eq!(m[0]["members"][0]["name"], "范先翔");
        assert_eq!(m[0]["members"][0]["owns_number"], true, "her own mobile");
    }
}

#[test]
fn screen_pop_carries_history_groups_and_captain() {
    let p = pop("65123456");
    let card = &p["matches"][0];
    assert_eq!(card["address"], "内务部街27号");
    assert_eq!(card["block"]["captain_name"], "李建国");
    let requests = card["requests"].as_array().unwrap();
    assert!(requests
        .iter()
        .any(|r| r["category_item"] == "职业介绍" && r["open"] == false));
    assert!(requests
        .iter()
        .any(|r| r["open"] == true && r["alarm"] == "green"));
    assert!(!card["groups"].as_array().unwrap().is_empty());
    assert!(!card["calls"].as_array().unwrap().is_empty());
}

#[test]
fn table_output_is_readable() {
    let out = lookup("65123456", false);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("范先翔"), "{text}");
    assert!(text.contains("内务部街27号"));
    assert!(text.contains("李建国"));
    assert!(text.contains("职业介绍.就业"));
}

#[test]
fn unknown_shared_anonymous_and_invalid() {
    let unknown = pop("65999999");
    assert_eq!(unknown["matches"].as_array().unwrap().len(), 0);
    let text = String::from_utf8(lookup("65999999", false).stdout).unwrap();
    assert!(text.contains("Unknown caller"), "{text}");
    assert_eq!(pop("010-6512-0000")["matches"].as_array().unwrap().len(), 2);
    let anon = pop("sip:anonymous@anonymous.invalid");
    assert_eq!(anon["caller"]["type"], "anonymous");
    let bad = lookup("not-a-number", false);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not a phone number"));
}

#[test]
fn missing_database_is_an_error_not_a_new_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("none.db");
    let out = bin()
        .arg("--db")
        .arg(&db)
        .args(["lookup", "65123456"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not exist"));
    assert!(!db.exists());
}

#[test]
fn help_explains_commands() {
    let out = bin().arg("--help").output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    for word in [
        "import",
        "export",
        "lookup",
        "demo-data",
        "bench-db",
        "serve",
        "--db",
        "--config",
    ] {
        assert!(text.contains(word), "--help lacks {word}: {text}");
    }
}

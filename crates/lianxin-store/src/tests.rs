//! Store-level tests that cross modules: import, screen pop, demo data.

use crate::demo::DemoOptions;
use crate::import::{ImportKind, ImportOptions};
use crate::screen::{Alarm, Sex};
use crate::*;
use chrono::{DateTime, TimeZone, Utc};

fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open(dir.path().join("t.db")).unwrap();
    (dir, s)
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 2, 0, 0).unwrap()
}

fn opts() -> ImportOptions {
    ImportOptions {
        skip_bad: false,
        staff_id: None,
        source: "test".into(),
    }
}

const HEADER: &str = "household,street,number,building,unit,room,dwelling,block,household_notes,home_phones,name,sex,dob,work,skills,notes,mobiles\n";

fn residents_csv(rows: &[&str]) -> String {
    let mut s = String::from(HEADER);
    for r in rows {
        s.push_str(r);
        s.push('\n');
    }
    s
}

fn import(s: &Store, kind: ImportKind, text: &str) -> Result<ImportReport> {
    s.import_csv(kind, text.as_bytes(), &opts(), &mut |_| {})
}

#[test]
fn import_then_screen_pop_by_every_form() {
    let (_d, s) = store();
    let csv = residents_csv(&[
        "H1,内务部街,27,,,,平房,第一片区,,010-6512 3456,范先翔,女,1982-03-10,帮厨,烹饪,,139 1234 5678",
        "H1,,,,,,,,,,陈志刚,男,1979-01-02,司机,,,",
        "H2,朝阳门北小街,8,3,2,501,flat,第五片区,,,王伟,M,1950-05-05,退休,,,13800001111",
    ]);
    let r = import(&s, ImportKind::Residents, &csv).unwrap();
    assert_eq!((r.rows, r.households, r.residents, r.phones), (3, 2, 3, 3));
    import(
        &s,
        ImportKind::Groups,
        "group,household\n平房住户,H1\n社区车主,H1\n平房住户,H1\n",
    )
    .unwrap();
    for raw in [
        "65123456",
        "01065123456",
        "+861065123456",
        "0086 10 6512 3456",
        "sip:+861065123456@trunk;user=phone",
        "\"Fan\" <sip:65123456@trunk>",
        "tel:+86-10-6512-3456",
    ] {
        let pop = s.screen_pop(&s.normalize(raw), now()).unwrap();
        assert_eq!(pop.matches.len(), 1, "{raw}");
        let card = &pop.matches[0];
        assert_eq!(card.code, "H1");
        assert_eq!(card.address, "内务部街27号");
        assert_eq!(card.members.len(), 2);
        assert_eq!(card.members[0].name, "范先翔");
        assert_eq!(card.members[0].sex, Sex::Female);
        assert_eq!(card.members[0].age, Some(44));
        assert!(
            card.members.iter().all(|m| !m.owns_number),
            "landline belongs to the household"
        );
        assert_eq!(
            card.groups,
            vec!["平房住户".to_string(), "社区车主".to_string()]
        );
        assert_eq!(
            card.block.as_ref().map(|b| b.name.as_str()),
            Some("第一片区")
        );
    }
    let pop = s
        .screen_pop(&s.normalize("+86 139-1234-5678"), now())
        .unwrap();
    assert_eq!(pop.matches.len(), 1);
    assert!(pop.matches[0].members[0].owns_number);
    assert!(!pop.matches[0].members[1].owns_number);
}

#[test]
fn unknown_anonymous_and_shared_numbers() {
    let (_d, s) = store();
    let csv = residents_csv(&[
        "A,演乐胡同,甲12,,,东屋,bungalow,,,65120000,宋桂英,F,1945-01-01,,,,",
        "B,演乐胡同,甲12,,,西屋,bungalow,,,65120000,孟凡军,M,1968-01-01,,,,",
    ]);
    import(&s, ImportKind::Residents, &csv).unwrap();
    let shared = s.screen_pop(&s.normalize("65120000"), now()).unwrap();
    assert_eq!(shared.matches.len(), 2);
    assert_eq!(shared.matches[0].code, "A");
    assert_eq!(shared.matches[1].code, "B");
    let unknown = s.screen_pop(&s.normalize("65999999"), now()).unwrap();
    assert!(unknown.matches.is_empty());
    assert!(unknown.caller.number().is_some());
    let anon = s
        .screen_pop(&s.normalize("sip:anonymous@anonymous.invalid"), now())
        .unwrap();
    assert_eq!(anon.caller, CallerId::Anonymous);
    assert!(anon.matches.is_empty());
    // The operator recognises the unknown caller and attaches the number.
    let staff = s
        .create_staff(
            &NewStaff {
                username: "8001",
                display_name: "于燕妮",
                role: Role::Operator,
                extension: None,
                phone: None,
                password: None,
            },
            None,
        )
        .unwrap();
    let hh = shared.matches[0].household_id;
    let audit_before = s.counts().unwrap().audit;
    s.attach_number(hh, "65999999", staff).unwrap();
    assert_eq!(s.counts().unwrap().audit, audit_before + 1);
    assert_eq!(
        s.screen_pop(&s.normalize("010-65999999"), now())
            .unwrap()
            .matches
            .len(),
        1
    );
    assert!(matches!(
        s.attach_number(hh, "nonsense", staff),
        Err(StoreError::InvalidNumber(_))
    ));
    assert!(matches!(
        s.attach_number(9999, "65999998", staff),
        Err(StoreError::NotFound(_))
    ));
    // Search by name, address, code and number.
    let hits = s.search_households("宋桂", 10).unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].members, vec!["宋桂英".to_string()]);
    assert_eq!(
        hits[0].numbers,
        vec!["01065120000".to_string(), "01065999999".to_string()]
    );
    assert_eq!(hits[0].block, None);
    assert_eq!(s.search_households("演乐胡同甲12", 10).unwrap().len(), 2);
    assert_eq!(s.search_households("B", 10).unwrap()[0].code, "B");
    assert_eq!(s.search_households("6512 0000", 10).unwrap().len(), 2);
    assert!(s.search_households("%", 10).unwrap().is_empty());
}

#[test]
fn bad_row_rejects_whole_file_and_names_its_line() {
    let (_d, s) = store();
    import(
        &s,
        ImportKind::Residents,
        &residents_csv(&["H0,内务部街,1,,,,平房,,,,甲,F,1970-01-01,,,,"]),
    )
    .unwrap();
    let before = s.counts().unwrap();
    let mut rows: Vec<String> = (1..=20)
        .map(|i| format!("H{i},内务部街,{i},,,,平房,,,6600{i:04},居民{i},M,1960-01-01,,,,"))
        .collect();
    rows[9] = "H10,内务部街,10,,,,平房,,,6600abcd,居民10,M,1960-01-01,,,,".into(); // line 11
    rows[14] = "H15,内务部街,15,,,,平房,,,,居民15,X,1960-01-01,,,,".into(); // line 16
    let refs: Vec<&str> = rows.iter().map(String::as_str).collect();
    let csv = residents_csv(&refs);
    match import(&s, ImportKind::Residents, &csv) {
        Err(StoreError::ImportRejected(bad)) => {
            assert_eq!(bad.len(), 2);
            assert_eq!(bad[0].line, 11);
            assert!(bad[0].reason.contains("6600abcd"), "{}", bad[0].reason);
            assert_eq!(bad[1].line, 16);
            assert!(bad[1].reason.contains("sex"), "{}", bad[1].reason);
        }
        other => panic!("expected rejection, got {other:?}"),
    }
    assert_eq!(s.counts().unwrap(), before, "nothing changed");
    // With skip_bad the 18 good rows go in.
    let r = s
        .import_csv(
            ImportKind::Residents,
            csv.as_bytes(),
            &ImportOptions {
                skip_bad: true,
                ..opts()
            },
            &mut |_| {},
        )
        .unwrap();
    assert_eq!(r.rows, 18);
    assert_eq!(r.bad.len(), 2);
    assert_eq!(s.counts().unwrap().residents, before.residents + 18);
}

#[test]
fn import_checks() {
    let (_d, s) = store();
    // BOM, Chinese headers missing → clear error.
    let bom = format!(
        "\u{feff}{}",
        residents_csv(&["H1,内务部街,1,,,,平房,,,,甲,F,,,,,"])
    );
    assert_eq!(
        import(&s, ImportKind::Residents, &bom).unwrap().residents,
        1
    );
    assert!(matches!(
        import(&s, ImportKind::Residents, "a,b\n1,2\n"),
        Err(StoreError::ImportFile(_))
    ));
    let bad = |row: &str| match import(&s, ImportKind::Residents, &residents_csv(&[row])) {
        Err(StoreError::ImportRejected(b)) => b[0].reason.clone(),
        other => panic!("{row}: {other:?}"),
    };
    assert!(bad(",内务部街,1,,,,平房,,,,甲,F,,,,,").contains("household"));
    assert!(bad("H9,,1,,,,平房,,,,甲,F,,,,,").contains("street"));
    assert!(bad("H9,街,1,,,,窑洞,,,,甲,F,,,,,").contains("dwelling"));
    assert!(bad("H9,街,1,,,,平房,,,,甲,F,1970-13-01,,,,").contains("date"));
    assert!(bad("H1,,,,,,,,,,甲,F,,,,,").contains("already"));
    assert!(bad("H9,街,1,,,,平房,,,,,,,,,,13800001111").contains("mobiles"));
    // Units and groups.
    import(
        &s,
        ImportKind::Units,
        "name,address,contact,phone,jobs,notes\n外交部食堂,朝阳门南大街2号,孙,65961114,帮厨,\n",
    )
    .unwrap();
    assert!(matches!(
        import(&s, ImportKind::Units, "name\n外交部食堂\n"),
        Err(StoreError::ImportRejected(_))
    ));
    assert!(matches!(
        import(
            &s,
            ImportKind::Groups,
            "group,household\n低保人员家庭,NOPE\n"
        ),
        Err(StoreError::ImportRejected(_))
    ));
}

#[test]
fn export_round_trips() {
    let (_d, s) = store();
    s.generate_demo(
        &DemoOptions {
            seed: 3,
            households: 60,
            now: now(),
        },
        &mut |_| {},
    )
    .unwrap();
    let (_d2, t) = store();
    for kind in [ImportKind::Residents, ImportKind::Units, ImportKind::Groups] {
        let mut buf = Vec::new();
        s.export_csv(kind, &mut buf).unwrap();
        t.import_csv(kind, buf.as_slice(), &opts(), &mut |_| {})
            .unwrap();
        let mut again = Vec::new();
        t.export_csv(kind, &mut again).unwrap();
        assert_eq!(
            String::from_utf8(buf).unwrap(),
            String::from_utf8(again).unwrap(),
            "{kind:?}"
        );
    }
    let (a, b) = (s.counts().unwrap(), t.counts().unwrap());
    assert_eq!(
        (
            a.households,
            a.residents,
            a.phones,
            a.units,
            a.group_members
        ),
        (
            b.households,
            b.residents,
            b.phones,
            b.units,
            b.group_members
        )
    );
}

#[test]
fn demo_has_fan_xianxiang_and_is_deterministic() {
    let (_d, s) = store();
    let sum = s
        .generate_demo(
            &DemoOptions {
                seed: 1,
                households: 300,
                now: now(),
            },
            &mut |_| {},
        )
        .unwrap();
    assert_eq!(sum.households, 303);
    for raw in ["65123456", "13912345678", "+86 10 6512 3456"] {
        let pop = s.screen_pop(&s.normalize(raw), now()).unwrap();
        assert_eq!(pop.matches.len(), 1, "{raw}");
        let card = &pop.matches[0];
        let fan = &card.members[0];
        assert_eq!(
            (fan.name.as_str(), fan.sex, fan.age),
            ("范先翔", Sex::Female, Some(44))
        );
        assert_eq!(
            card.block.as_ref().and_then(|b| b.captain_name.as_deref()),
            Some("李建国")
        );
        assert!(card
            .requests
            .iter()
            .any(|r| r.category_item == "职业介绍" && !r.open));
        let open: Vec<_> = card.requests.iter().filter(|r| r.open).collect();
        assert_eq!(open.len(), 1);
        assert_eq!(open[0].alarm, Alarm::Green);
        assert!(card.calls.len() >= 2);
        assert!(!card.voice_messages.is_empty());
    }
    assert_eq!(
        s.screen_pop(&s.normalize("65120000"), now())
            .unwrap()
            .matches
            .len(),
        2
    );
    assert!(s.verify_login("8001", "demo8001").unwrap().is_some());
    assert!(
        s.verify_login("admin", "demo-admin")
            .unwrap()
            .map(|st| st.role)
            == Some(Role::Admin)
    );
    let groups: i64 = s
        .read(|c| Ok(c.query_row("SELECT count(*) FROM phone_groups", [], |r| r.get(0))?))
        .unwrap();
    assert_eq!(groups, 23);
    // Same seed, same community.
    let (_d2, t) = store();
    t.generate_demo(
        &DemoOptions {
            seed: 1,
            households: 300,
            now: now(),
        },
        &mut |_| {},
    )
    .unwrap();
    let (mut a, mut b) = (Vec::new(), Vec::new());
    s.export_csv(ImportKind::Residents, &mut a).unwrap();
    t.export_csv(ImportKind::Residents, &mut b).unwrap();
    assert_eq!(a, b);
    assert_eq!(s.counts().unwrap().requests, t.counts().unwrap().requests);
    // Not twice into the same database.
    assert!(s
        .generate_demo(
            &DemoOptions {
                seed: 1,
                households: 3,
                now: now()
            },
            &mut |_| {}
        )
        .is_err());
}

#[test]
fn store_is_send_sync_and_readers_run_concurrently() {
    fn assert_send_sync<T: Send + Sync + Clone>() {}
    assert_send_sync::<Store>();
    let (_d, s) = store();
    import(
        &s,
        ImportKind::Residents,
        &residents_csv(&["H1,内务部街,1,,,,平房,,,65123456,甲,F,,,,,"]),
    )
    .unwrap();
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let s = s.clone();
            std::thread::spawn(move || {
                for _ in 0..50 {
                    assert_eq!(
                        s.screen_pop(&s.normalize("65123456"), now())
                            .unwrap()
                            .matches
                            .len(),
                        1
                    );
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
}

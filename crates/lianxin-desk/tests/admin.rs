//! The admins' endpoints over real HTTP on the demo community in a real store
//! (`docs/desk-protocol.md` §13): staff accounts (passwords generated and shown once,
//! refusals naming the field, the last admin, sessions ended by a change), phone groups
//! (add, rename, retire, members) and the opening hours (stored, handed to the hotline as
//! `DeskCommand::OpeningHours`). Every change is audited; other roles get `403 role`.

mod demo;
mod http;
use demo::{demo_desk, DemoDesk};
use http::{assert_refused, call, login, try_login};
use std::time::Duration;

use chrono::Utc;
use lianxin_desk::DeskCommand;
use lianxin_store::Store;
use serde_json::{json, Value};
use tokio::time::timeout;

const WAIT: Duration = Duration::from_secs(20);

async fn world() -> DemoDesk {
    demo_desk(7, 60, Utc::now()).await
}

fn audits(store: &Store) -> u64 {
    store.counts().unwrap().audit
}

#[tokio::test]
async fn admins_manage_staff_accounts() {
    let w = world().await;
    let addr = w.addr();
    let (admin, admin_id) = login(addr, "admin", "demo-admin").await;
    let (staff, _) = login(addr, "staff", "demo-staff").await;
    let (sup, _) = login(addr, "super", "demo-super").await;

    // Only admins: the list, a new account, a change.
    for token in [&staff, &sup] {
        assert_refused(
            call(addr, "GET", "/api/staff", token, Value::Null).await,
            403,
            "role",
        );
        assert_refused(
            call(addr, "POST", "/api/staff", token, json!({"username": "x"})).await,
            403,
            "role",
        );
    }
    let (status, list) = call(addr, "GET", "/api/staff", &admin, Value::Null).await;
    assert_eq!(status, 200, "{list}");
    let captain = list["staff"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["username"] == "captain")
        .unwrap()
        .clone();
    assert_eq!(captain["role"], "captain");
    assert!(
        !captain["blocks"].as_array().unwrap().is_empty(),
        "{captain}"
    );
    assert_eq!(captain["active"], true);
    let blocks = list["blocks"].as_array().unwrap();
    let free_block = blocks
        .iter()
        .find(|b| b["captain_staff_id"].is_null())
        .or(blocks.last())
        .unwrap()["name"]
        .as_str()
        .unwrap()
        .to_owned();

    // Add a captain: both passwords generated, answered once, and they work.
    let before = audits(&w.store);
    let (status, made) = call(
        addr,
        "POST",
        "/api/staff",
        &admin,
        json!({"username": "cap7", "display_name": "周红", "role": "captain",
               "phone": "13800001111", "blocks": [free_block]}),
    )
    .await;
    assert_eq!(status, 201, "{made}");
    let password = made["password"].as_str().unwrap().to_owned();
    let sip = made["sip_password"].as_str().unwrap();
    assert_ne!(password, sip);
    assert_eq!(made["realm"], "lianxin");
    assert_eq!(made["staff"]["blocks"], json!([free_block]));
    let new_id = made["staff"]["id"].as_i64().unwrap();
    let (cap7, _) = login(addr, "cap7", &password).await;
    assert!(w.store.sip_credentials("cap7").unwrap().is_some());
    assert!(audits(&w.store) > before, "the new account is audited");
    // Passwords are never listed.
    let (_, list) = call(addr, "GET", "/api/staff", &admin, Value::Null).await;
    assert!(!list.to_string().contains(&password));

    // Refusals name the field, in Chinese, and change nothing.
    let n = w.store.staff_accounts().unwrap().len();
    let bad = [
        (
            json!({"username": "cap7", "display_name": "重名", "role": "operator"}),
            409,
            "username",
        ),
        (
            json!({"username": "8010", "display_name": "孙丽", "role": "operator", "extension": "80a"}),
            400,
            "extension",
        ),
        (
            json!({"username": "8010", "display_name": "孙丽", "role": "operator", "extension": "8001"}),
            409,
            "extension",
        ),
        (
            json!({"username": "cap8", "display_name": "孙丽", "role": "captain", "blocks": ["没有这个片"]}),
            400,
            "blocks",
        ),
        (
            json!({"username": "8010", "display_name": "孙丽", "role": "boss"}),
            400,
            "role",
        ),
        (
            json!({"username": "8010", "display_name": "", "role": "operator"}),
            400,
            "display_name",
        ),
        (
            json!({"username": "8010", "display_name": "孙丽", "role": "operator", "pin": 1}),
            400,
            "pin",
        ),
    ];
    for (body, status, field) in bad {
        assert_refused(
            call(addr, "POST", "/api/staff", &admin, body).await,
            status,
            field,
        );
    }
    assert_eq!(w.store.staff_accounts().unwrap().len(), n);

    // Change the role: their session ends at once.
    let (status, changed) = call(
        addr,
        "PUT",
        &format!("/api/staff/{new_id}"),
        &admin,
        json!({"role": "committee", "display_name": "周红英"}),
    )
    .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["staff"]["role"], "committee");
    assert_eq!(changed["staff"]["blocks"], json!([]));
    assert_refused(
        call(addr, "GET", "/api/session", &cap7, Value::Null).await,
        401,
        "token",
    );

    // Disable: they cannot log in; enable again.
    let (status, off) = call(
        addr,
        "PUT",
        &format!("/api/staff/{new_id}"),
        &admin,
        json!({"active": false}),
    )
    .await;
    assert_eq!(status, 200, "{off}");
    assert_eq!(off["staff"]["active"], false);
    assert_eq!(try_login(addr, "cap7", &password).await.0, 401);
    call(
        addr,
        "PUT",
        &format!("/api/staff/{new_id}"),
        &admin,
        json!({"active": true}),
    )
    .await;

    // A new console password (shown once) ends the old one; a new SIP password does not.
    let (status, pw) = call(
        addr,
        "POST",
        &format!("/api/staff/{new_id}/password"),
        &admin,
        Value::Null,
    )
    .await;
    assert_eq!(status, 200, "{pw}");
    let new_pw = pw["password"].as_str().unwrap();
    assert_eq!(try_login(addr, "cap7", &password).await.0, 401);
    let (cap7, _) = login(addr, "cap7", new_pw).await;
    let (status, sp) = call(
        addr,
        "POST",
        &format!("/api/staff/{new_id}/sip-password"),
        &admin,
        Value::Null,
    )
    .await;
    assert_eq!(status, 200, "{sp}");
    assert_ne!(sp["sip_password"], made["sip_password"]);
    assert_eq!(
        call(addr, "GET", "/api/session", &cap7, Value::Null)
            .await
            .0,
        200
    );

    // An admin cannot disable themselves, nor make the last admin something else.
    assert_refused(
        call(
            addr,
            "PUT",
            &format!("/api/staff/{admin_id}"),
            &admin,
            json!({"active": false}),
        )
        .await,
        409,
        "active",
    );
    assert_refused(
        call(
            addr,
            "PUT",
            &format!("/api/staff/{admin_id}"),
            &admin,
            json!({"role": "operator"}),
        )
        .await,
        409,
        "role",
    );
    assert_refused(
        call(
            addr,
            "PUT",
            "/api/staff/9999",
            &admin,
            json!({"active": false}),
        )
        .await,
        404,
        "id",
    );
    assert_refused(
        call(addr, "PUT", "/api/staff/abc", &admin, json!({})).await,
        400,
        "id",
    );
}

#[tokio::test]
async fn admins_keep_the_phone_groups() {
    let w = world().await;
    let addr = w.addr();
    let (admin, _) = login(addr, "admin", "demo-admin").await;
    let (staff, _) = login(addr, "staff", "demo-staff").await;
    let (status, all) = call(
        addr,
        "GET",
        "/api/phone-groups?all=true",
        &admin,
        Value::Null,
    )
    .await;
    assert_eq!(status, 200, "{all}");
    let groups = all["groups"].as_array().unwrap().clone();
    assert!(groups
        .iter()
        .all(|g| g["id"].is_i64() && g["retired"] == false));
    assert_refused(
        call(
            addr,
            "GET",
            "/api/phone-groups?all=true",
            &staff,
            Value::Null,
        )
        .await,
        403,
        "role",
    );
    assert_refused(
        call(
            addr,
            "POST",
            "/api/phone-groups",
            &staff,
            json!({"name": "x"}),
        )
        .await,
        403,
        "role",
    );

    let (status, made) = call(
        addr,
        "POST",
        "/api/phone-groups",
        &admin,
        json!({"name": "冬季巡查", "description": "独居老人冬季巡查"}),
    )
    .await;
    assert_eq!(status, 201, "{made}");
    let id = made["group"]["id"].as_i64().unwrap();
    assert_refused(
        call(
            addr,
            "POST",
            "/api/phone-groups",
            &admin,
            json!({"name": "冬季巡查"}),
        )
        .await,
        409,
        "name",
    );
    assert_refused(
        call(
            addr,
            "POST",
            "/api/phone-groups",
            &admin,
            json!({"name": " "}),
        )
        .await,
        400,
        "name",
    );

    for h in [1, 2, 3] {
        let (status, g) = call(
            addr,
            "PUT",
            &format!("/api/phone-groups/{id}/households/{h}"),
            &admin,
            Value::Null,
        )
        .await;
        assert_eq!(status, 200, "{g}");
    }
    let (_, g) = call(
        addr,
        "DELETE",
        &format!("/api/phone-groups/{id}/households/2"),
        &admin,
        Value::Null,
    )
    .await;
    assert_eq!(g["group"]["households"], 2);
    assert_refused(
        call(
            addr,
            "PUT",
            &format!("/api/phone-groups/{id}/households/999999"),
            &admin,
            Value::Null,
        )
        .await,
        400,
        "household_id",
    );
    let (_, members) = call(
        addr,
        "GET",
        &format!("/api/phone-groups/{id}/households"),
        &admin,
        Value::Null,
    )
    .await;
    let ids: Vec<i64> = members["households"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["household_id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [1, 3]);

    // Renamed, then retired: still listed for admins, no longer offered for group calls.
    let (status, g) = call(
        addr,
        "PUT",
        &format!("/api/phone-groups/{id}"),
        &admin,
        json!({"name": "冬季巡查组"}),
    )
    .await;
    assert_eq!(
        (status, g["group"]["name"].clone()),
        (200, json!("冬季巡查组"))
    );
    let (_, offered) = call(addr, "GET", "/api/phone-groups", &staff, Value::Null).await;
    assert!(offered.to_string().contains("冬季巡查组"));
    let (_, g) = call(
        addr,
        "PUT",
        &format!("/api/phone-groups/{id}"),
        &admin,
        json!({"retired": true}),
    )
    .await;
    assert_eq!(g["group"]["retired"], true);
    let (_, offered) = call(addr, "GET", "/api/phone-groups", &staff, Value::Null).await;
    assert!(!offered.to_string().contains("冬季巡查组"), "{offered}");
    let (_, all) = call(
        addr,
        "GET",
        "/api/phone-groups?all=true",
        &admin,
        Value::Null,
    )
    .await;
    assert_eq!(all["groups"].as_array().unwrap().len(), groups.len() + 1);
    assert_refused(
        call(
            addr,
            "PUT",
            "/api/phone-groups/99999",
            &admin,
            json!({"retired": true}),
        )
        .await,
        404,
        "id",
    );
}

#[tokio::test]
async fn an_admin_changes_the_opening_hours_and_the_hotline_hears_it() {
    let mut w = world().await;
    let addr = w.addr();
    let (admin, admin_id) = login(addr, "admin", "demo-admin").await;
    let (op, _) = login(addr, "8001", "demo8001").await;
    // Everyone reads them; none stored yet reads as always open.
    let (status, h) = call(addr, "GET", "/api/opening-hours", &op, Value::Null).await;
    assert_eq!(status, 200, "{h}");
    assert_eq!(h["hours"]["always"], true);
    let hours = json!({"always": false,
        "weekdays": {"open": "08:30", "close": "17:30"}, "weekends": null,
        "holidays": ["2027-01-01", "2026-10-01", "2026-10-01"], "working_days": []});
    assert_refused(
        call(addr, "PUT", "/api/opening-hours", &op, hours.clone()).await,
        403,
        "role",
    );
    assert_refused(
        call(
            addr,
            "PUT",
            "/api/opening-hours",
            &admin,
            json!({"always": false, "weekdays": {"open": "18:00", "close": "08:00"}}),
        )
        .await,
        400,
        "weekdays",
    );
    assert_refused(
        call(
            addr,
            "PUT",
            "/api/opening-hours",
            &admin,
            json!({"holidays": ["十月一日"]}),
        )
        .await,
        400,
        "holidays",
    );
    let before = audits(&w.store);
    let (status, h) = call(addr, "PUT", "/api/opening-hours", &admin, hours).await;
    assert_eq!(status, 200, "{h}");
    assert_eq!(h["hours"]["holidays"], json!(["2026-10-01", "2027-01-01"]));
    assert_eq!(audits(&w.store), before + 1);
    // Stored (a restart reads them) and handed to the hotline.
    let stored = w.store.opening_hours().unwrap().unwrap();
    assert!(!stored.always && stored.weekends.is_none());
    let cmd = timeout(WAIT, async {
        loop {
            match w.commands.recv().await {
                Some(DeskCommand::OpeningHours(h)) => return h,
                Some(_) => continue,
                None => panic!("desk gone"),
            }
        }
    })
    .await
    .expect("the hotline is told");
    assert_eq!(cmd, stored);
    let (_, h) = call(addr, "GET", "/api/opening-hours", &op, Value::Null).await;
    assert_eq!(h["hours"]["weekdays"]["close"], "17:30");
    let _ = admin_id;
}

/// Listening to a notice needs the dialer (503 without it); a bad name is 404 `name`.
#[tokio::test]
async fn notice_audio_needs_a_dialer_and_a_plain_name() {
    let w = world().await;
    let addr = w.addr();
    let (op, _) = login(addr, "8001", "demo8001").await;
    assert_refused(
        call(addr, "GET", "/api/notices/Bad.Name/audio", &op, Value::Null).await,
        404,
        "name",
    );
    assert_refused(
        call(
            addr,
            "GET",
            "/api/notices/notice-security/audio",
            &op,
            Value::Null,
        )
        .await,
        503,
        "campaign",
    );
}

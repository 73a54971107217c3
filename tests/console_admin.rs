//! The admins' screens in a real browser (issue 12, "Admins"): headless Chromium against
//! `lianxin serve --demo` on 127.0.0.1. An admin adds a captain (both passwords shown once,
//! a duplicate user name refused next to its field) and disables an operator; keeps the
//! phone groups and their households; and changes the opening hours, after which the
//! next sipp call is answered as after hours (it ends in a voice message) without a
//! restart. Screenshots at 1366×768 and 375 px. The harness is in `browser/`.

mod browser;
mod support;

use std::time::Duration;

use browser::{Browser, Server};
use serde_json::{json, Value};

/// Sets an input's or select's value as a user would (and fires `change`).
async fn set(b: &Browser, css: &str, value: &str) {
    b.js(
        "const e = document.querySelector(arguments[0]); e.value = arguments[1]; e.dispatchEvent(new Event('change', {bubbles: true}));",
        vec![json!(css), json!(value)],
    )
    .await;
}

/// Ticks or unticks a checkbox (and fires `change`).
async fn tick(b: &Browser, css: &str, on: bool) {
    b.js(
        "const e = document.querySelector(arguments[0]); e.checked = arguments[1]; e.dispatchEvent(new Event('change', {bubbles: true}));",
        vec![json!(css), json!(on)],
    )
    .await;
}

/// The staff table's row id of user `username`.
async fn staff_row(b: &Browser, username: &str) -> String {
    b.js(
        "const r = [...document.querySelectorAll('.staff-table tbody tr')].find((tr) => tr.children[1] && tr.children[1].textContent === arguments[0]); return r ? r.dataset.staff : '';",
        vec![json!(username)],
    )
    .await
    .as_str()
    .unwrap_or_default()
    .to_string()
}

/// A hotline caller (sipp) with caller ID `cid` who speaks from 1.2 s on (a tone) and
/// hangs up 2.5 s later.
fn after_hours_caller(server: &Server, cid: &str) -> support::Sipp {
    let dir = server.dir.path().join("closed");
    let voice = server.dir.path().join("voice.ulaw");
    std::fs::write(&voice, support::audio::ulaw_tone(440.0, 1, 8000.0)).expect("voice file");
    let sc = support::scenario(
        "hotline/caller_talks_hangup.xml",
        &[
            ("CID", cid.to_string()),
            (
                "KEY_PCAP",
                "/usr/share/sip-tester/dtmf_2833_1.pcap".to_string(),
            ),
            ("DELAY_MS", "600".to_string()),
            ("HOLD_MS", "2500".to_string()),
            ("AUDIO", voice.display().to_string()),
        ],
        &dir,
    );
    let args = vec![
        format!("127.0.0.1:{}", server.sip),
        "-sf".into(),
        sc.display().to_string(),
        "-i".into(),
        "127.0.0.1".into(),
        "-mi".into(),
        "127.0.0.1".into(),
        "-m".into(),
        "1".into(),
        "-s".into(),
        "51663371".into(),
        "-p".into(),
        support::free_port().to_string(),
        "-mp".into(),
        support::free_rtp_port().to_string(),
    ];
    support::Sipp::start("closed", server.dir.path(), &args)
}

async fn open_panel(b: &Browser, panel: &str, ready: &str) {
    b.click(&format!("#admin-nav button[data-panel={panel}]"))
        .await;
    b.until(&format!("the {panel} panel"), ready).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_adds_a_captain_and_disables_an_operator() {
    let server = Server::start();
    let b = Browser::open(&server.url(), 1366, 768).await;
    b.login("admin", "demo-admin").await;
    b.until(
        "the staff list on the admin screen",
        "!document.querySelector('#admin-screen').hidden && document.querySelectorAll('.staff-table tbody tr').length >= 7",
    )
    .await;
    assert!(b.text("#tabs").await.contains("系统设置"));
    assert!(b.text(".staff-table").await.contains("包片主任"));
    b.screenshot("admin-staff-1366").await;

    // A user name that exists is refused next to its field.
    b.fill(".add-staff input[name=username]", "8001").await;
    b.fill(".add-staff input[name=display_name]", "孙丽").await;
    b.click(".add-staff button[type=submit]").await;
    b.until(
        "the error next to 用户名",
        "document.querySelector('.add-staff .err[data-for=username]').textContent.includes('已经有人使用')",
    )
    .await;

    // A captain with a block: both passwords shown once, and they work.
    b.fill(".add-staff input[name=username]", "cap7").await;
    set(&b, ".add-staff select[name=role]", "captain").await;
    b.until(
        "the block picker",
        "!document.querySelector('.add-staff .block-picker').closest('div[hidden]')",
    )
    .await;
    tick(&b, ".add-staff .block-picker input", true).await;
    b.click(".add-staff button[type=submit]").await;
    b.until(
        "the passwords shown once",
        "document.querySelectorAll('#staff-secrets .secret code').length === 4",
    )
    .await;
    let codes = b
        .js(
            "return [...document.querySelectorAll('#staff-secrets .secret code')].map((c) => c.textContent);",
            vec![],
        )
        .await;
    let password = codes[1].as_str().expect("password").to_string();
    assert_eq!(codes[0], "cap7");
    assert_ne!(codes[1], codes[2], "the phone's password is its own");
    b.screenshot("admin-staff-added-1366").await;
    let token = server.token("cap7", &password);
    let (status, session) = support::http_get(server.http, "/api/session", Some(&token));
    assert_eq!(status, 200, "{session}");
    assert!(session.contains("\"role\":\"captain\""), "{session}");
    b.click("#staff-secrets .dismiss").await;
    b.until(
        "the passwords gone",
        "!document.querySelector('#staff-secrets .secret')",
    )
    .await;
    assert!(!b.text("body").await.contains(&password));

    // Disable operator 8003 (two clicks): the row says so and the log-in is refused.
    let row = staff_row(&b, "8003").await;
    assert!(!row.is_empty());
    let toggle = format!(".staff-table tr[data-staff=\"{row}\"] .toggle-active");
    b.click(&toggle).await;
    b.until(
        "the confirm step",
        &format!("document.querySelector('{toggle}').textContent.includes('确认')"),
    )
    .await;
    b.click(&toggle).await;
    b.until(
        "the row shows 已停用",
        &format!("(document.querySelector('.staff-table tr[data-staff=\"{row}\"]') || {{}}).className === 'inactive'"),
    )
    .await;
    let (status, _) = support::http_post(
        server.http,
        "/api/login",
        &json!({"username": "8003", "password": "demo8003"}).to_string(),
        None,
    );
    assert_eq!(status, 401);
    // The refused duplicate is a 409 the browser logs.
    b.finish(&["/api/staff - Failed to load resource: the server responded with a status of 409"])
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_phone_an_admin_keeps_groups_and_categories() {
    let server = Server::start();
    let b = Browser::open(&server.url(), 375, 740).await;
    b.login("admin", "demo-admin").await;
    b.until(
        "the staff list",
        "document.querySelectorAll('.staff-table tbody tr').length >= 7",
    )
    .await;
    b.screenshot("admin-staff-375").await;

    open_panel(
        &b,
        "groups",
        "document.querySelectorAll('table.groups tbody tr').length >= 20",
    )
    .await;
    assert!(b.text("table.groups").await.contains("特困家庭"));
    b.fill(".add-group input[name=name]", "冬季巡查").await;
    b.click(".add-group button[type=submit]").await;
    b.until(
        "the new group's households",
        "document.querySelector('#group-members h3') && document.querySelector('#group-members h3').textContent.includes('冬季巡查')",
    )
    .await;
    b.fill(".member-search input[name=q]", "范").await;
    b.click(".member-search button[type=submit]").await;
    b.until(
        "search hits",
        "document.querySelector('#group-members .add-member')",
    )
    .await;
    b.click("#group-members .add-member").await;
    b.until(
        "the household in the group",
        "document.querySelectorAll('table.group-members tbody tr').length === 1",
    )
    .await;
    b.screenshot("admin-groups-375").await;
    // A taken name is refused next to the field.
    b.fill(".add-group input[name=name]", "特困家庭").await;
    b.click(".add-group button[type=submit]").await;
    b.until(
        "the error next to the name",
        "document.querySelector('.add-group .err[data-for=name]').textContent.length > 0",
    )
    .await;
    let token = server.token("admin", "demo-admin");
    let (_, all) = support::http_get(server.http, "/api/phone-groups?all=true", Some(&token));
    let all: Value = serde_json::from_str(&all).expect("json");
    let made = all["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .find(|g| g["name"] == "冬季巡查")
        .expect("the new group")
        .clone();
    assert_eq!(made["households"], 1);

    open_panel(
        &b,
        "categories",
        "document.querySelectorAll('table.categories tbody tr').length >= 12",
    )
    .await;
    set(
        &b,
        "table.categories tbody tr input[name=deadline_days]",
        "2",
    )
    .await;
    b.click("table.categories tbody tr button.save").await;
    b.until(
        "the error next to 办结期限",
        "document.querySelector('table.categories tbody tr .err[data-for=deadline_days]').textContent.length > 0",
    )
    .await;
    b.screenshot("admin-categories-375").await;
    // The refused name (409) and the refused days (400) are logged by the browser.
    b.finish(&[
        "/api/phone-groups - Failed to load resource: the server responded with a status of 409",
        "/api/request-categories/",
    ])
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_opening_hours_apply_to_the_next_call() {
    let server = Server::start();
    let b = Browser::open(&server.url(), 1366, 768).await;
    b.login("admin", "demo-admin").await;
    // Any notice plays back in the page (fetched with the token into a blob).
    open_panel(
        &b,
        "notices",
        "document.querySelectorAll('table.notices tbody tr').length >= 3",
    )
    .await;
    b.click("table.notices tr[data-notice=notice-security] button.listen")
        .await;
    b.until(
        "the notice loaded in a player",
        "(() => { const a = document.querySelector('table.notices tr[data-notice=notice-security] audio'); return a && a.src.startsWith('blob:') && a.duration > 1.5; })()",
    )
    .await;
    b.screenshot("admin-notices-1366").await;
    open_panel(&b, "hours", "document.querySelector('.hours-form')").await;
    // The demo answers around the clock; close the hotline except on weekday evenings
    // that never come (a bad span first: refused next to its field).
    tick(&b, ".hours-form input[name=always]", false).await;
    tick(&b, ".hours-form input[name=weekdays-on]", true).await;
    set(&b, ".hours-form input[name=weekdays-open]", "18:00").await;
    set(&b, ".hours-form input[name=weekdays-close]", "08:00").await;
    tick(&b, ".hours-form input[name=weekends-on]", false).await;
    b.click(".hours-form button[type=submit]").await;
    b.until(
        "the error next to 工作日",
        "document.querySelector('.hours-form .err[data-for=weekdays]').textContent.includes('早于')",
    )
    .await;
    tick(&b, ".hours-form input[name=weekdays-on]", false).await;
    set(&b, ".hours-form input[name=holidays-pick]", "2026-10-01").await;
    b.click(".hours-form .add-date").await;
    b.click(".hours-form button[type=submit]").await;
    b.until(
        "saved",
        "document.querySelector('.hours-form .saved').textContent.includes('已保存')",
    )
    .await;
    b.screenshot("admin-hours-1366").await;
    let token = server.token("8001", "demo8001");
    let (_, hours) = support::http_get(server.http, "/api/opening-hours", Some(&token));
    let hours: Value = serde_json::from_str(&hours).expect("json");
    assert_eq!(hours["hours"]["always"], false, "{hours}");
    assert_eq!(hours["hours"]["holidays"], json!(["2026-10-01"]));

    // The next call, without a restart: after hours, straight to a voice message (the
    // caller speaks for 2.5 s and hangs up).
    let caller = "59999998";
    let _sipp = after_hours_caller(&server, caller);
    let left = support::eventually(Duration::from_secs(40), || {
        let (_, list) = support::http_get(server.http, "/api/voice-messages", Some(&token));
        list.contains(caller)
    });
    assert!(
        left,
        "no voice message from the after-hours call; server log:\n{}",
        server.log()
    );
    // The refused span is a 400 the browser logs.
    b.finish(&[
        "/api/opening-hours - Failed to load resource: the server responded with a status of 400",
    ])
    .await;
}

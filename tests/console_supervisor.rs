//! The statistics screen (统计盘点) and the supervisors' screen (督导台) in a real browser
//! (issue 12): headless Chromium against `lianxin serve --demo` on 127.0.0.1, the numbers
//! on screen checked against the report JSON the test fetches itself, and live calls from
//! sipp callers and a sipp operator phone. The harness is in `browser/`.

mod browser;
mod support;

use browser::{Browser, Server};
use chrono::{Datelike, Duration, TimeZone, Utc};
use lianxin_store::{Actor, Role, Store};
use serde_json::{json, Value};

/// Home visits by the demo's captain in `year` (the demo community has none), written
/// straight to the running server's database: four visits to three households.
fn add_visits(server: &Server, year: i32) {
    let store = Store::open(server.dir.path().join("demo.db")).expect("the server's database");
    let staff = store.staff_list().expect("staff");
    let captain = staff
        .iter()
        .find(|s| s.username == "captain")
        .expect("the demo captain");
    let actor = Actor {
        staff_id: Some(captain.id),
        role: Role::Captain,
    };
    for (day, household) in [(1, 1), (2, 2), (3, 3), (4, 2)] {
        let at = Utc
            .with_ymd_and_hms(year, 3, day, 2, 0, 0)
            .single()
            .expect("a date");
        store
            .create_visit(household, at, "入户走访", &[], &actor, at)
            .expect("a visit");
    }
}

/// A share (0–1) as the page shows it: a percentage with two decimals, "—" when null.
fn pct(v: &Value) -> String {
    v.as_f64()
        .map_or_else(|| "—".to_string(), |f| format!("{:.2}%", f * 100.0))
}

/// A number as JavaScript's `String(n)` shows it, "—" when null.
fn num(v: &Value) -> String {
    match v.as_f64() {
        None => "—".to_string(),
        Some(f) if f.fract() == 0.0 => format!("{}", f as i64),
        Some(f) => format!("{f}"),
    }
}

/// What the requests table shows for a group of the report, after its first column.
fn request_cells(g: &Value) -> Vec<String> {
    vec![
        num(&g["count"]),
        num(&g["closed"]),
        num(&g["closed_by_deadline"]),
        pct(&g["share_closed_by_deadline"]),
        num(&g["avg_hours_to_close"]),
        num(&g["p90_hours_to_close"]),
        num(&g["satisfied"]),
        num(&g["not_satisfied"]),
        pct(&g["satisfaction_rate"]),
    ]
}

fn get_json(server: &Server, path: &str, token: &str) -> Value {
    let (status, body) = support::http_get(server.http, path, Some(token));
    assert_eq!(status, 200, "{path}: {body}");
    serde_json::from_str(&body).expect("report json")
}

/// The rows of a report table on screen: `[data-group, cell texts…]`, total row last
/// (its data-group `null`).
async fn table(b: &Browser, key: &str) -> Vec<Vec<Value>> {
    let v = b
        .js(
            "return [...document.querySelectorAll(`[data-report=${arguments[0]}] tbody tr`)]
               .map((tr) => [tr.dataset.group === undefined ? null : tr.dataset.group, ...[...tr.children].map((td) => td.textContent)]);",
            vec![json!(key)],
        )
        .await;
    serde_json::from_value(v).expect("rows")
}

/// The bars of a report's chart: `[label, value]`.
async fn bars(b: &Browser, key: &str) -> Vec<(String, f64)> {
    let v = b
        .js(
            "return [...document.querySelectorAll(`[data-report=${arguments[0]}] svg rect.bar`)]
               .map((r) => [r.dataset.label, Number(r.dataset.value)]);",
            vec![json!(key)],
        )
        .await;
    serde_json::from_value(v).expect("bars")
}

/// Waits for the statistics screen to show `from`..`to` grouped `by`.
async fn wait_loaded(b: &Browser, by: &str) {
    b.until(
        &format!("the statistics grouped by {by}"),
        &format!("(document.querySelector('#stats').dataset.loaded || '').endsWith('~{by}')"),
    )
    .await;
}

/// Checks the requests block against the report JSON: one row and one bar per group,
/// every figure as the JSON says, and the total row.
async fn check_requests(b: &Browser, report: &Value) {
    let groups = report["groups"].as_array().expect("groups");
    assert!(!groups.is_empty(), "the demo has requests in the period");
    let rows = table(b, "requests").await;
    assert_eq!(
        rows.len(),
        groups.len() + 1,
        "one row per group and a total"
    );
    for (row, g) in rows.iter().zip(groups) {
        assert_eq!(row[0], g["group"], "groups in the report's order");
        let cells: Vec<String> = row[2..]
            .iter()
            .map(|c| c.as_str().unwrap_or_default().to_string())
            .collect();
        assert_eq!(cells, request_cells(g), "figures of {}", g["group"]);
    }
    let total = rows.last().expect("total row");
    assert_eq!(total[1], "合计");
    let cells: Vec<String> = total[2..]
        .iter()
        .map(|c| c.as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(cells, request_cells(&report["total"]), "the total row");
    let bars = bars(b, "requests").await;
    assert_eq!(bars.len(), groups.len(), "one bar per group");
    for ((_, v), g) in bars.iter().zip(groups) {
        assert_eq!(Some(*v), g["count"].as_f64(), "bar of {}", g["group"]);
    }
}

/// Clicks the CSV button of report `key` and returns the downloaded bytes (the page's
/// `URL.createObjectURL` is watched to catch the blob) and the file name.
async fn csv_of(b: &Browser, key: &str) -> (Vec<u8>, String) {
    b.js(
        "window.__blobs = [];
         if (!window.__watching) {
           window.__watching = true;
           const make = URL.createObjectURL;
           URL.createObjectURL = (x) => { window.__blobs.push(x); return make.call(URL, x); };
           const click = HTMLAnchorElement.prototype.click;
           HTMLAnchorElement.prototype.click = function () { window.__download = this.download; if (!this.href.startsWith('blob:')) click.call(this); };
         }",
        vec![],
    )
    .await;
    b.click(&format!("[data-report={key}] button.csv")).await;
    b.until("the CSV blob", "window.__blobs.length === 1").await;
    let bytes = b
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             window.__blobs[0].arrayBuffer().then((a) => done([...new Uint8Array(a)]));",
            vec![],
        )
        .await
        .expect("blob bytes");
    let bytes: Vec<u8> = serde_json::from_value(bytes).expect("bytes");
    let name = b.js("return window.__download;", vec![]).await;
    (bytes, name.as_str().unwrap_or_default().to_string())
}

/// Parses the page's simple CSV (quoted cells only when needed).
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for line in text.split("\r\n").filter(|l| !l.is_empty()) {
        let mut cells = Vec::new();
        let mut cur = String::new();
        let mut quoted = false;
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            match (c, quoted) {
                ('"', true) if chars.peek() == Some(&'"') => {
                    cur.push('"');
                    chars.next();
                }
                ('"', _) => quoted = !quoted,
                (',', false) => cells.push(std::mem::take(&mut cur)),
                _ => cur.push(c),
            }
        }
        cells.push(cur);
        rows.push(cells);
    }
    rows
}

/// The period the statistics screen shows: its 从 and 到 dates.
async fn shown_period(b: &Browser) -> (String, String) {
    let read =
        |name: &str| format!("return document.querySelector('#stats input[name={name}]').value;");
    let from = b.js(&read("from"), vec![]).await;
    let to = b.js(&read("to"), vec![]).await;
    (
        from.as_str().unwrap_or_default().to_owned(),
        to.as_str().unwrap_or_default().to_owned(),
    )
}

/// Issue 12, statistics: committee staff pick last year; every figure of the requests
/// table (by category, block and channel), of the population tables and the visits
/// equals the report JSON; each chart has one bar per group; the CSV download is the
/// table, UTF-8 with a BOM; a period ending before it starts is refused next to 到.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statistics_show_the_report_json_with_charts_and_csv() {
    let server = Server::start();
    let token = server.token("staff", "demo-staff");
    let last_year = (Utc::now() + Duration::hours(8)).year() - 1;
    add_visits(&server, last_year);
    let b = Browser::open(&server.url(), 1366, 768).await;
    b.login_and_open("staff", "demo-staff", "stats-screen")
        .await;
    wait_loaded(&b, "category").await;
    b.click("#stats button[data-preset=last_year]").await;
    b.until(
        "last year's period",
        "(document.querySelector('#stats').dataset.loaded || '').endsWith('-12-31~category')",
    )
    .await;
    let (from, to) = shown_period(&b).await;
    let (from, to) = (from.as_str(), to.as_str());
    assert!(
        from.ends_with("-01-01") && to.ends_with("-12-31"),
        "{from}..{to}"
    );
    let q = format!("from={from}&to={to}");

    for by in ["category", "block", "channel"] {
        if by != "category" {
            b.js(
                "const s = document.querySelector('#stats select[name=by]'); s.value = arguments[0]; s.dispatchEvent(new Event('change'));",
                vec![json!(by)],
            )
            .await;
            wait_loaded(&b, by).await;
        }
        let report = get_json(
            &server,
            &format!("/api/reports/requests?{q}&by={by}"),
            &token,
        );
        check_requests(&b, &report["report"]).await;
        if by == "category" {
            assert_eq!(
                b.text("#stats .counter[data-k=count] .v").await,
                num(&report["report"]["total"]["count"]),
                "the total in the summary"
            );
            b.screenshot("stats-1366").await;
        }
    }

    let pop = get_json(&server, &format!("/api/reports/population?{q}"), &token);
    let pop = &pop["report"];
    let rows = table(&b, "blocks").await;
    let blocks = pop["blocks"].as_array().expect("blocks");
    assert_eq!(
        rows.len(),
        blocks.len() + 1,
        "a row per block and the total"
    );
    for (row, k) in rows.iter().zip(blocks.iter().chain([&pop["total"]])) {
        let want = [
            num(&k["households"]),
            num(&k["residents"]),
            num(&k["elderly"]),
            pct(&k["elderly_share"]),
            num(&k["dob_unknown"]),
        ];
        assert_eq!(
            &row[2..],
            &want.map(Value::from)[..],
            "block {}",
            k["block"]
        );
    }
    assert_eq!(
        bars(&b, "blocks").await.len(),
        blocks.len(),
        "a bar per block"
    );
    let rows = table(&b, "groups").await;
    let groups = pop["groups"].as_array().expect("groups");
    assert!(!groups.is_empty(), "the demo has phone groups");
    assert_eq!(rows.len(), groups.len());
    for (row, g) in rows.iter().zip(groups) {
        assert_eq!(row[0], g["group"]);
        assert_eq!(row[2], Value::from(num(&g["households"])));
        assert_eq!(row[3], Value::from(pct(&g["share"])));
    }
    let group_bars = bars(&b, "groups").await;
    assert_eq!(group_bars.len(), groups.len(), "a bar per phone group");
    let visits = get_json(&server, &format!("/api/reports/visits?{q}"), &token);
    assert_eq!(
        b.text("#stats .counter[data-k=visits] .v").await,
        num(&visits["report"]["total"]),
        "visits in the summary"
    );
    let visitors = visits["report"]["visitors"].as_array().expect("visitors");
    assert!(!visitors.is_empty(), "the visits added last year");
    let rows = table(&b, "visits").await;
    assert_eq!(rows.len(), visitors.len(), "a row per visitor");
    for (row, v) in rows.iter().zip(visitors) {
        assert_eq!(row[1], v["name"]);
        assert_eq!(row[2], Value::from(num(&v["count"])));
        assert_eq!(row[3], Value::from(num(&v["households"])));
    }
    assert_eq!(
        bars(&b, "visits").await.len(),
        visitors.len(),
        "a bar per visitor"
    );
    b.js(
        "document.querySelector('[data-report=visits]').scrollIntoView();",
        vec![],
    )
    .await;
    b.screenshot("stats-people-1366").await;

    // The CSV of the requests table (now by channel) is the table, with a BOM.
    let (bytes, name) = csv_of(&b, "requests").await;
    assert_eq!(&bytes[..3], b"\xEF\xBB\xBF", "UTF-8 with a BOM");
    assert!(
        name.ends_with(".csv") && name.contains(from),
        "file name {name}"
    );
    let text = String::from_utf8(bytes[3..].to_vec()).expect("UTF-8");
    let csv = parse_csv(&text);
    let head = b
        .js(
            "return [...document.querySelectorAll('[data-report=requests] thead th')].map((th) => th.textContent);",
            vec![],
        )
        .await;
    let head: Vec<String> = serde_json::from_value(head).expect("head");
    assert_eq!(csv[0], head, "the header");
    let rows = table(&b, "requests").await;
    let shown: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            r[1..]
                .iter()
                .map(|c| c.as_str().unwrap_or_default().to_string())
                .collect()
        })
        .collect();
    assert_eq!(&csv[1..], &shown[..], "the rows, total last");

    // A period that ends before it starts: the server's error next to 到.
    b.js(
        "const f = document.querySelector('#stats input[name=from]'), t = document.querySelector('#stats input[name=to]');
         f.value = '2026-02-01'; t.value = '2026-01-01';",
        vec![],
    )
    .await;
    b.click("#stats button[type=submit]").await;
    b.until(
        "the error next to 到",
        "document.querySelector('#stats .err[data-for=to]').textContent.includes('结束日期')",
    )
    .await;
    // A refused request logs a 400 in the browser console; nothing else may.
    b.finish(&["400 (Bad Request)"]).await;
}

/// On a 375 px phone a captain sees the figures of their blocks (as the API scopes them),
/// the charts fit the screen and the page does not scroll sideways.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_captain_reads_their_statistics_on_a_phone() {
    let server = Server::start();
    let token = server.token("captain", "demo-captain");
    let b = Browser::open(&server.url(), 375, 740).await;
    b.login_and_open("captain", "demo-captain", "stats-screen")
        .await;
    wait_loaded(&b, "category").await;
    b.click("#stats button[data-preset=this_year]").await;
    b.until(
        "this year's period",
        "(document.querySelector('#stats').dataset.loaded || '').includes('-01-01~')",
    )
    .await;
    let (from, to) = shown_period(&b).await;
    let report = get_json(
        &server,
        &format!("/api/reports/requests?from={}&to={}&by=category", from, to),
        &token,
    );
    check_requests(&b, &report["report"]).await;
    let wide = b
        .js(
            "return Math.max(document.documentElement.scrollWidth, ...[...document.querySelectorAll('svg.chart')].map((s) => s.getBoundingClientRect().right));",
            vec![],
        )
        .await;
    assert!(
        wide.as_f64().unwrap_or(9999.0) <= 375.0,
        "wider than the phone: {wide}"
    );
    b.screenshot("stats-375").await;
    b.finish(&[]).await;
}

const KNOWN_CALLER: &str = "65123456"; // 范先翔's landline in the demo community

/// Issue 12, 督导台: a caller presses 1 while no operator's phone is registered and waits
/// in the queue (position 1); then 8001's phone (sipp) registers, 8001 opens a console
/// and the phone answers: the live
/// call shows 通话中 with 于燕妮, the codes to listen (558001) and whisper (568001) and a
/// ticking duration; when the operator hangs up, the call leaves the list.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queued_then_answered_call_shows_live_on_the_supervisor_screen() {
    let server = Server::start();
    let b = Browser::open(&server.url(), 1366, 768).await;
    b.login("super", "demo-super").await;
    b.until(
        "the supervisor's screen first",
        "!document.querySelector('#supervisor-screen').hidden && document.querySelector('#sup-calls .empty')",
    )
    .await;
    let _caller = server.call("caller", "caller.xml", KNOWN_CALLER, '1', 800);
    b.until(
        "the call queued, first in the queue",
        "document.querySelector('#sup-calls tr[data-call]')?.dataset.state === 'queued'
         && document.querySelector('#sup-queue tr[data-call]')?.innerText.includes('第 1 位')",
    )
    .await;
    assert!(
        b.text("#sup-calls tr[data-call]").await.contains("范先翔"),
        "the caller's household: {}",
        b.text("#sup-calls").await
    );
    let phone_port = support::free_port();
    let mut phone = server.phone(
        "phone-8001",
        "operator_answer.xml",
        phone_port,
        &[("RING_MS", "300".into()), ("TALK_MS", "6000".into())],
    );
    server.register("8001", "demo8001", phone_port);
    // 8001 opens a console: available, so the queue offers the call to the phone.
    let mut op = support::console::Console::connect(server.http, "8001", "demo8001").await;
    op.next("hello", std::time::Duration::from_secs(5)).await;
    b.until(
        "于燕妮 空闲 in the operators table",
        "document.querySelector('#sup-ops tr[data-staff]')?.innerText.includes('于燕妮')",
    )
    .await;
    b.until(
        "the call answered by 于燕妮",
        "document.querySelector('#sup-calls tr[data-call]')?.dataset.state === 'answered'
         && document.querySelector('#sup-calls tr[data-call] td.operator').innerText.includes('于燕妮')",
    )
    .await;
    let row = b.text("#sup-calls tr[data-call]").await;
    assert!(row.contains("通话中"), "{row}");
    // She chose 空闲, but she is on the call: the operators table and the panel say so.
    b.until(
        "于燕妮 通话中 in the operators table and the panel",
        "document.querySelector('#sup-ops tr[data-staff]')?.dataset.callState === 'on_call'
         && document.querySelector('#sup-ops tr[data-staff] td.state').textContent === '通话中'
         && document.querySelector('#ops-list .op[data-staff]')?.textContent.startsWith('于燕妮：通话中')",
    )
    .await;
    assert!(
        row.contains("558001") && row.contains("568001"),
        "listen and whisper codes with 8001's extension: {row}"
    );
    assert!(
        !b.visible("#sup-queue tr[data-call]").await,
        "the queue is empty once answered"
    );
    let first = b.text("#sup-calls tr[data-call] .dur").await;
    b.until(
        "the duration ticks",
        &format!(
            "document.querySelector('#sup-calls tr[data-call] .dur').textContent !== {}",
            json!(first)
        ),
    )
    .await;
    b.screenshot("supervisor-desk-1366").await;
    b.until_within(
        std::time::Duration::from_secs(30),
        "the call gone when it ends",
        "!document.querySelector('#sup-calls tr[data-call]') && document.querySelector('#sup-calls .empty')",
    )
    .await;
    b.until(
        "于燕妮 no longer 通话中",
        "!document.querySelector('#sup-ops tr[data-staff]').dataset.callState
         && !document.querySelector('#sup-ops tr[data-staff] td.state').textContent.includes('通话')
         && !document.querySelector('#ops-list').textContent.includes('通话中')",
    )
    .await;
    tokio::task::spawn_blocking(move || phone.expect_success(std::time::Duration::from_secs(20)))
        .await
        .expect("phone");
    b.finish(&[]).await;
    op.close().await;
}

/// Issue 12, 督导台 for an admin: the live calls are there although an admin takes no
/// calls, but not the caller's household (the hub sends an admin no pop): a sipp caller
/// queues, the row (number, 排队中, the queue) appears without a 住户 column or the
/// resident's name, and leaves when the caller hangs up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_watches_the_live_calls_without_the_household() {
    let server = Server::start();
    let b = Browser::open(&server.url(), 1366, 768).await;
    b.login_and_open("admin", "demo-admin", "supervisor-screen")
        .await;
    b.until(
        "督导台 with no call",
        "!document.querySelector('#supervisor-screen').hidden && document.querySelector('#sup-calls .empty')",
    )
    .await;
    let mut caller =
        server.call_holding("caller", "caller_hangup.xml", KNOWN_CALLER, '1', 800, 6000);
    b.until(
        "the call queued on the admin's 督导台",
        "document.querySelector('#sup-calls tr[data-call]')?.dataset.state === 'queued'
         && document.querySelector('#sup-queue tr[data-call]')?.innerText.includes('第 1 位')",
    )
    .await;
    let row = b.text("#sup-calls tr[data-call]").await;
    assert!(
        row.contains(KNOWN_CALLER) && row.contains("排队中"),
        "number and state: {row}"
    );
    let head = b.text("#sup-calls thead").await;
    assert!(!head.contains("住户"), "no household column: {head}");
    let all = b
        .js(
            "return document.querySelector('#supervisor').textContent;",
            vec![],
        )
        .await;
    let all = all.as_str().unwrap_or_default();
    assert!(
        !all.contains("范先翔") && !all.contains("内务部街"),
        "no household on an admin's screen: {all}"
    );
    assert!(
        b.text("#sup-calls .sup-note")
            .await
            .contains("不显示来电人的住户资料"),
        "the note says why"
    );
    b.screenshot("supervisor-admin-1366").await;
    b.until_within(
        std::time::Duration::from_secs(30),
        "the call gone when the caller hangs up",
        "!document.querySelector('#sup-calls tr[data-call]') && document.querySelector('#sup-calls .empty')
         && !document.querySelector('#sup-queue tr[data-call]')",
    )
    .await;
    tokio::task::spawn_blocking(move || caller.expect_success(std::time::Duration::from_secs(20)))
        .await
        .expect("caller");
    b.finish(&[]).await;
}

/// An operator's own header says 振铃中 while her phone rings and 通话中 while she talks,
/// although the state she chose stays 空闲; it goes back when the call ends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_on_a_call_sees_it_in_her_header() {
    let server = Server::start();
    let phone_port = support::free_port();
    let mut phone = server.phone(
        "phone-8001",
        "operator_answer.xml",
        phone_port,
        &[("RING_MS", "2000".into()), ("TALK_MS", "4000".into())],
    );
    server.register("8001", "demo8001", phone_port);
    let b = Browser::open(&server.url(), 1366, 768).await;
    b.login("8001", "demo8001").await;
    b.until(
        "空闲 and on duty",
        "document.querySelector('#states button.on')?.dataset.state === 'available'
         && !document.querySelector('#duty').dataset.callState",
    )
    .await;
    let _caller = server.call("caller", "caller.xml", KNOWN_CALLER, '1', 800);
    b.until(
        "振铃中 in the header while the phone rings",
        "document.querySelector('#duty').dataset.callState === 'ringing'
         && document.querySelector('#duty').textContent.includes('振铃中')",
    )
    .await;
    b.until(
        "通话中 in the header once answered",
        "document.querySelector('#duty').dataset.callState === 'on_call'
         && document.querySelector('#duty').textContent.includes('通话中')",
    )
    .await;
    assert_eq!(
        b.js(
            "return document.querySelector('#states button.on')?.dataset.state;",
            vec![]
        )
        .await,
        json!("available"),
        "the chosen state is unchanged"
    );
    b.until_within(
        std::time::Duration::from_secs(30),
        "no call in the header once it ended",
        "!document.querySelector('#duty').dataset.callState
         && !document.querySelector('#duty').textContent.includes('通话中')",
    )
    .await;
    tokio::task::spawn_blocking(move || phone.expect_success(std::time::Duration::from_secs(20)))
        .await
        .expect("phone");
    b.finish(&[]).await;
}

/// 督导台 on a 375 px phone: the alarms list holds every open orange or red request the
/// API lists, and one resolved elsewhere leaves it at once (`request.updated`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_alarms_list_follows_the_requests_on_a_phone() {
    let server = Server::start();
    let token = server.token("super", "demo-super");
    let want = get_json(&server, "/api/requests?alarm=orange,red&limit=500", &token);
    let want: Vec<i64> = want["requests"]
        .as_array()
        .expect("requests")
        .iter()
        .filter(|r| r["open"] == true)
        .filter_map(|r| r["id"].as_i64())
        .collect();
    assert!(!want.is_empty(), "the demo has late requests");
    let b = Browser::open(&server.url(), 375, 740).await;
    b.login("super", "demo-super").await;
    b.until(
        "the alarms list",
        &format!(
            "document.querySelectorAll('#sup-alarms tr[data-request]').length === {}",
            want.len()
        ),
    )
    .await;
    let shown = b
        .js(
            "return [...document.querySelectorAll('#sup-alarms tr[data-request]')].map((tr) => [Number(tr.dataset.request), tr.dataset.alarm]);",
            vec![],
        )
        .await;
    let shown: Vec<(i64, String)> = serde_json::from_value(shown).expect("rows");
    let mut ids: Vec<i64> = shown.iter().map(|(id, _)| *id).collect();
    ids.sort();
    let mut sorted = want.clone();
    sorted.sort();
    assert_eq!(ids, sorted, "the same requests as the API");
    let reds = shown.iter().take_while(|(_, a)| a == "red").count();
    assert!(
        shown[reds..].iter().all(|(_, a)| a == "orange"),
        "red first: {shown:?}"
    );
    let wide = b
        .js("return document.documentElement.scrollWidth;", vec![])
        .await;
    assert!(
        wide.as_u64().unwrap_or(9999) <= 375,
        "page wider than the phone: {wide}"
    );
    b.screenshot("supervisor-375").await;
    let id = shown[0].0;
    let (status, body) = support::http_post(
        server.http,
        &format!("/api/requests/{id}/resolve"),
        &json!({"result": "已上门修复"}).to_string(),
        Some(&token),
    );
    assert_eq!(status, 200, "{body}");
    b.until(
        "the resolved request gone from the list",
        &format!("!document.querySelector('#sup-alarms tr[data-request=\"{id}\"]')"),
    )
    .await;
    b.finish(&[]).await;
}

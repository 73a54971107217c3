//! The desk console in a real browser (issue 12): headless Chromium driven over WebDriver
//! against `lianxin serve --demo` on 127.0.0.1, with sipp as callers and as the trunk's
//! households. Each test starts its own server and browser; every wait is bounded; each
//! ends by checking the browser logged no error (and so loaded nothing from another
//! host). The harness is in `browser/`.

mod browser;
mod support;

use browser::{Browser, Server};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_logs_in_and_out() {
    let server = Server::start();
    let b = Browser::open(&server.url(), 1366, 768).await;
    b.login("8001", "demo8001").await;
    assert!(b.text("#who").await.contains("于燕妮"));
    b.screenshot("operator-1366").await;
    // The page's files come embedded, each with its content type, and a favicon.
    let types = b
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             Promise.all(['/assets/console.css', '/assets/js/main.js', '/favicon.ico', '/assets/nope.js']
               .map((p) => fetch(p).then((r) => r.status + ' ' + r.headers.get('content-type'))))
               .then(done);",
            vec![],
        )
        .await
        .expect("fetch assets");
    assert_eq!(
        types,
        serde_json::json!([
            "200 text/css; charset=utf-8",
            "200 text/javascript; charset=utf-8",
            "200 image/svg+xml",
            "404 application/json"
        ])
    );
    b.click("#logout").await;
    b.until(
        "the log-in form after 退出",
        "!document.querySelector('#login').hidden",
    )
    .await;
    b.finish(&["nope.js"]).await;
}

const KNOWN_CALLER: &str = "65123456"; // 范先翔's landline in the demo community
const UNKNOWN_CALLER: &str = "59999999"; // demo landlines are 6xxxxxxx

/// Issue 12: `main{display:grid}` overrode `hidden`, so the desk showed under the log-in
/// form, and after 退出 the last caller's household stayed on screen.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_desk_is_hidden_before_log_in_and_cleared_after_log_out() {
    let server = Server::start();
    let b = Browser::open(&server.url(), 1366, 768).await;
    b.until(
        "the log-in form",
        "!document.querySelector('#login').hidden",
    )
    .await;
    assert!(!b.visible("#desk").await, "the desk shows before log-in");
    b.login("8002", "demo8002").await;
    let _caller = server.call("known", "caller.xml", KNOWN_CALLER, '1', 60000);
    b.until(
        "the pop of 范先翔",
        "document.querySelector('#calls').innerText.includes('范先翔')",
    )
    .await;
    b.screenshot("operator-pop-1366").await;
    b.until("the title flashes", "document.title.includes('【来电】')")
        .await;
    b.click("#logout").await;
    b.until(
        "the log-in form after 退出",
        "!document.querySelector('#login').hidden",
    )
    .await;
    assert!(!b.visible("#desk").await, "the desk shows after 退出");
    let shown = b.js("return document.body.innerText;", vec![]).await;
    assert!(
        !shown.as_str().unwrap_or_default().contains("范先翔"),
        "a household is still on screen after 退出: {shown}"
    );
    let kept = b
        .js(
            "return document.querySelector('#calls').textContent;",
            vec![],
        )
        .await;
    assert!(
        !kept.as_str().unwrap_or_default().contains("范先翔"),
        "a household is still in the page after 退出"
    );
    b.finish(&[]).await;
}

/// Issue 12: every call event redrew every card, so a queue event wiped the operator's
/// typed search and its results mid-search.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_typed_search_survives_a_queue_event() {
    let server = Server::start();
    let b = Browser::open(&server.url(), 1366, 768).await;
    b.login("8002", "demo8002").await;
    // The caller presses 1 after 5 s: queued while the operator is searching.
    let _caller = server.call("unknown", "caller.xml", UNKNOWN_CALLER, '1', 5000);
    b.until(
        "the unknown caller's card",
        "document.querySelector('.card input.q')",
    )
    .await;
    b.fill(".card input.q", "胡同").await;
    b.click(".card button.find").await;
    b.until(
        "search results",
        "document.querySelectorAll('.card .hit').length > 0",
    )
    .await;
    b.until(
        "the queue event",
        "document.querySelector('.card .status').innerText.includes('排队')",
    )
    .await;
    let value = b
        .js(
            "return document.querySelector('.card input.q').value;",
            vec![],
        )
        .await;
    assert_eq!(value, "胡同", "the typed search survives");
    let hits = b
        .js(
            "return document.querySelectorAll('.card .hit').length;",
            vec![],
        )
        .await;
    assert!(hits.as_u64().unwrap_or(0) > 0, "the results survive");
    b.finish(&[]).await;
}

/// Issue 12: after attaching an unknown number the card still said 未知来电 and the other
/// 关联此号码 buttons stayed active (a second household could take the number).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attaching_a_number_shows_the_household_and_disables_the_others() {
    let server = Server::start();
    let b = Browser::open(&server.url(), 1366, 768).await;
    b.login("8002", "demo8002").await;
    let _caller = server.call("unknown", "caller.xml", UNKNOWN_CALLER, '1', 60000);
    b.until(
        "the unknown caller's card",
        "document.querySelector('.card input.q')",
    )
    .await;
    b.fill(".card input.q", "胡同").await;
    b.click(".card button.find").await;
    b.until(
        "two results or more",
        "document.querySelectorAll('.card .hit button.attach').length > 1",
    )
    .await;
    let address = b
        .js(
            "return document.querySelector('.card .hit').dataset.address;",
            vec![],
        )
        .await;
    let address = address.as_str().expect("hit address").to_string();
    b.click(".card .hit button.attach").await;
    b.until(
        "已关联",
        "document.querySelector('.card').innerText.includes('已关联')",
    )
    .await;
    let card = b.text(".card").await;
    assert!(
        !card.contains("未知来电"),
        "the card still says 未知来电: {card}"
    );
    assert!(
        card.contains(&address),
        "the card shows the household {address}: {card}"
    );
    let active = b
        .js("return [...document.querySelectorAll('.card button.attach')].filter((x) => !x.disabled).length;", vec![])
        .await;
    assert_eq!(active, 0, "other 关联此号码 buttons are disabled");
    // The call card searches with the page's one household search, locked once attached.
    let locked = b
        .js("const s = document.querySelector('.card .unknown-caller .household-search'); return !!s && s.querySelector('input.q').disabled && s.querySelector('button.find').disabled;", vec![])
        .await;
    assert_eq!(locked, true, "the shared search, locked after attaching");
    b.finish(&[]).await;
}

/// Issue 12: the log-in form said 值班员登录 to every role.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_log_in_form_is_for_every_role() {
    let server = Server::start();
    let b = Browser::open(&server.url(), 1366, 768).await;
    b.until(
        "the log-in form",
        "!document.querySelector('#login').hidden",
    )
    .await;
    let title = b.text("#login h2").await;
    assert!(
        !title.contains("值班员"),
        "a title for every role, not {title}"
    );
    b.screenshot("login-1366").await;
    b.login("staff", "demo-staff").await;
    assert!(b.text("#who").await.contains("刘芳"));
    b.finish(&[]).await;
}

/// Issue 12: on a 375 px phone the members table broke names one character per line.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_shows_a_readable_members_table() {
    let server = Server::start();
    let b = Browser::open(&server.url(), 375, 740).await;
    b.login("8002", "demo8002").await;
    let _caller = server.call("known", "caller.xml", KNOWN_CALLER, '1', 60000);
    b.until(
        "the pop of 范先翔",
        "document.querySelector('#calls').innerText.includes('范先翔')",
    )
    .await;
    // Every name on one line: its text lies on a single line.
    let tall = b
        .js(
            "return [...document.querySelectorAll('.members td.name')].filter((td) => {
               const r = document.createRange(); r.selectNodeContents(td);
               return new Set([...r.getClientRects()].map((x) => Math.round(x.top))).size > 1;
             }).map((td) => td.innerText);",
            vec![],
        )
        .await;
    assert_eq!(tall, serde_json::json!([]), "names broken over lines");
    // The page itself does not scroll sideways.
    let wide = b
        .js("return document.documentElement.scrollWidth;", vec![])
        .await;
    assert!(
        wide.as_u64().unwrap_or(9999) <= 375,
        "page wider than the phone: {wide}"
    );
    b.screenshot("operator-pop-375").await;
    b.finish(&[]).await;
}

/// Issue 12: a supervisor's operators panel stayed empty at log-in until an operator
/// changed state.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_supervisor_sees_the_operators_at_log_in() {
    let server = Server::start();
    let mut op = support::console::Console::connect(server.http, "8001", "demo8001").await;
    op.next("hello", std::time::Duration::from_secs(5)).await;
    let b = Browser::open(&server.url(), 1366, 768).await;
    b.login("super", "demo-super").await;
    b.until(
        "于燕妮 空闲 in the operators panel",
        "document.querySelector('#ops-list').innerText.includes('于燕妮：空闲')",
    )
    .await;
    b.screenshot("supervisor-1366").await;
    b.finish(&[]).await;
    op.close().await;
}

/// Issue 12, group-call notices: committee staff pick a small demo group and a shipped
/// notice, see the preview, start, and watch the live board fill with 是 until finished
/// (sipp answers every household as the trunk).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_call_from_the_page_fills_the_live_board() {
    let sipp_dir = tempfile::tempdir().expect("sipp dir");
    let (_households, trunk) = Server::households(sipp_dir.path());
    let server = Server::start_with(Some(trunk));
    let b = Browser::open(&server.url(), 1366, 768).await;
    b.login("staff", "demo-staff").await;
    b.until(
        "the campaign screen",
        "!document.querySelector('#campaign-screen').hidden",
    )
    .await;
    b.until(
        "the phone groups",
        "document.querySelectorAll('.campaign-form .groups input').length > 0",
    )
    .await;
    b.until("the notices", "[...document.querySelectorAll('.campaign-form select[name=notice] option')].some((o) => o.value === 'notice-security')").await;
    // The smallest group that has households.
    let group = b
        .js(
            "const all = [...document.querySelectorAll('.campaign-form .groups input')]
               .filter((i) => Number(i.dataset.households) > 0)
               .sort((a, b) => a.dataset.households - b.dataset.households);
             all[0].click(); return [all[0].value, Number(all[0].dataset.households)];",
            vec![],
        )
        .await;
    let households = group[1].as_u64().expect("household count");
    assert!(households > 0 && households <= 40, "a small group: {group}");
    b.js(
        "const f = document.querySelector('.campaign-form');
         f.querySelector('select[name=notice]').value = 'notice-security';
         f.querySelector('select[name=window]').value = 'any';
         f.querySelector('select[name=window]').dispatchEvent(new Event('change'));",
        vec![],
    )
    .await;
    b.fill(".campaign-form input[name=ring_timeout_s]", "10")
        .await;
    b.fill(".campaign-form input[name=retries]", "0").await;
    b.click(".campaign-form button[name=preview]").await;
    b.until(
        "the preview",
        "document.querySelector('.preview-box .pv-households')",
    )
    .await;
    assert_eq!(
        b.text(".preview-box .pv-households").await,
        households.to_string(),
        "the preview counts the group's households"
    );
    b.screenshot("campaign-preview-1366").await;
    b.click(".preview-box button[name=start]").await;
    b.until(
        "a live board",
        "document.querySelector('#campaign-boards .board')",
    )
    .await;
    b.until_within(
        std::time::Duration::from_secs(90),
        "the campaign finished",
        "document.querySelector('#campaign-boards .board').dataset.state === 'finished'",
    )
    .await;
    b.until(
        "every household's row on the board",
        &format!(
            "document.querySelectorAll('#campaign-boards .board tbody tr').length === {households}"
        ),
    )
    .await;
    // Every household with a number answered: as many 是 rows as the reached counter.
    b.until(
        "the 是 rows agree with the reached counter",
        "(() => { const yes = [...document.querySelectorAll('#campaign-boards .board tbody tr td:nth-child(4)')].filter((td) => td.textContent === '是').length;
                  return yes > 0 && String(yes) === document.querySelector('#campaign-boards .counter[data-k=reached] .v').textContent; })()",
    )
    .await;
    b.screenshot("campaign-board-1366").await;
    b.finish(&[]).await;
}

/// Issue 12: the demo's voice messages had no recordings, so their players answered 404
/// and showed 0:00.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_demo_voice_message_plays_in_the_page() {
    let server = Server::start();
    let b = Browser::open(&server.url(), 1366, 768).await;
    b.login("8001", "demo8001").await;
    b.until(
        "the voice messages",
        "document.querySelectorAll('#vms .vm').length >= 2",
    )
    .await;
    b.click("#vms .vm button.play").await;
    b.until(
        "the recording loaded with its length",
        "(() => { const a = document.querySelector('#vms .vm audio'); return a && !a.hidden && a.duration > 10; })()",
    )
    .await;
    b.finish(&[]).await;
}

/// Issue 12: voice messages could not be marked handled. Needs
/// `POST /api/voice-messages/{id}/handled` (issue 11's request endpoints).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_voice_message_is_marked_handled() {
    let server = Server::start();
    let token = server.token("8001", "demo8001");
    let (status, body) = support::http_post(
        server.http,
        "/api/voice-messages/999999/handled",
        "",
        Some(&token),
    );
    if status == 404 && body.contains("\"path\"") {
        // The route is not in this build yet (it comes with issue 11's request endpoints).
        eprintln!("SKIPPED: POST /api/voice-messages/{{id}}/handled is not served by this build");
        return;
    }
    let b = Browser::open(&server.url(), 1366, 768).await;
    b.login("8001", "demo8001").await;
    b.until(
        "the voice messages",
        "document.querySelectorAll('#vms .vm').length >= 2",
    )
    .await;
    let id = b
        .js(
            "return document.querySelector('#vms .vm').dataset.vm;",
            vec![],
        )
        .await;
    b.click("#vms .vm button.handled").await;
    b.until(
        "the message gone from the list",
        &format!(
            "!document.querySelector('#vms [data-vm=\"{}\"]')",
            id.as_str().unwrap_or_default()
        ),
    )
    .await;
    // And from the server's open list.
    let (_, open) = support::http_get(server.http, "/api/voice-messages?open=true", Some(&token));
    let v: serde_json::Value = serde_json::from_str(&open).expect("json");
    let ids: Vec<String> = v["voice_messages"]
        .as_array()
        .map(|a| a.iter().map(|m| m["id"].to_string()).collect())
        .unwrap_or_default();
    assert!(
        !ids.contains(&id.as_str().unwrap_or_default().to_string()),
        "still open: {ids:?}"
    );
    b.finish(&[]).await;
}

/// A block captain opens on their follow-up list (households a group call did not reach)
/// and marks one visited with a note.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_captain_closes_a_follow_up() {
    let server = Server::start();
    let b = Browser::open(&server.url(), 1366, 768).await;
    b.login("captain", "demo-captain").await;
    b.until(
        "the follow-up list first",
        "!document.querySelector('#followup-screen').hidden && document.querySelectorAll('#followup-list tr[data-followup]').length > 0",
    )
    .await;
    let id = b
        .js(
            "return document.querySelector('#followup-list tr[data-followup]').dataset.followup;",
            vec![],
        )
        .await;
    let id = id.as_str().expect("follow-up id").to_string();
    let row = format!("#followup-list tr[data-followup='{id}']");
    b.fill(&format!("{row} input.note"), "已上门告知").await;
    b.click(&format!("{row} button.close-followup")).await;
    b.until(
        "the row marked 已回访",
        &format!("document.querySelector(\"{row}\").classList.contains('done')"),
    )
    .await;
    let token = server.token("captain", "demo-captain");
    let (_, body) = support::http_get(server.http, "/api/follow-ups", Some(&token));
    let v: serde_json::Value = serde_json::from_str(&body).expect("json");
    let done = v["follow_ups"]
        .as_array()
        .and_then(|a| {
            a.iter()
                .find(|f| f["id"].as_i64().map(|n| n.to_string()) == Some(id.clone()))
        })
        .map(|f| f["done"].clone());
    assert_eq!(
        done,
        Some(serde_json::Value::Bool(true)),
        "closed on the server"
    );
    b.screenshot("captain-followups-1366").await;
    b.finish(&[]).await;
}

/// Issue 11: a call from a resident unit's number (the demo's 物美超市, 65138800) pops the
/// unit with its open jobs, not 未知来电.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_from_a_unit_pops_the_unit() {
    let server = Server::start();
    let b = Browser::open(&server.url(), 1366, 768).await;
    b.login("8002", "demo8002").await;
    let _caller = server.call("unit", "caller.xml", "65138800", '1', 60000);
    b.until(
        "the unit's card",
        "document.querySelector('#calls').innerText.includes('驻区单位来电：物美超市朝阳门店')",
    )
    .await;
    let card = b.text("#calls .card").await;
    assert!(
        !card.contains("未知来电"),
        "a unit is not an unknown caller: {card}"
    );
    assert!(
        card.contains("朝阳门南小街88号"),
        "the unit's address: {card}"
    );
    b.finish(&[]).await;
}

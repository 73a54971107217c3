//! Requests over real HTTP and real WebSockets, on the demo community in a real store
//! (`docs/desk-protocol.md` §10): intake, the role checks (an operator cannot escalate to
//! a department, a captain sees and changes only their block's requests unless
//! assigned, only supervisors change thresholds and departments), Chinese errors naming
//! the field, who receives `request.created` / `request.updated`, the alarm sweep with
//! an injected clock (orange pushed after level 1), and voice messages made into
//! requests or marked handled.

mod http;
use http::{assert_refused, call, login, request};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::{SinkExt, StreamExt};
use lianxin_desk::{Clock, Desk, DeskConfig, DeskHandle};
use lianxin_store::demo::DemoOptions;
use lianxin_store::Store;
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::Message;

const WAIT: Duration = Duration::from_secs(20);

struct World {
    _tmp: tempfile::TempDir,
    store: Store,
    desk: DeskHandle,
    clock: Arc<Mutex<DateTime<Utc>>>,
}

impl World {
    fn addr(&self) -> SocketAddr {
        self.desk.local_addr()
    }

    fn advance(&self, by: chrono::Duration) {
        *self.clock.lock().unwrap() += by;
    }
}

async fn world() -> World {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path().join("demo.db")).unwrap();
    let s2 = store.clone();
    let start = Utc::now();
    tokio::task::spawn_blocking(move || {
        s2.generate_demo(
            &DemoOptions {
                seed: 7,
                households: 60,
                now: start,
            },
            &mut |_| {},
        )?;
        // The second block's captain gets a password for the tests.
        let cap2 = s2
            .staff_list()?
            .into_iter()
            .find(|s| s.username == "captain2")
            .expect("captain2");
        s2.set_staff_password(cap2.id, "demo-captain2", None)
    })
    .await
    .unwrap()
    .unwrap();
    let clock = Arc::new(Mutex::new(start));
    let c2 = clock.clone();
    let cfg = DeskConfig {
        clock: Clock::from_fn(move || *c2.lock().unwrap()),
        alarm_sweep: Duration::from_millis(50),
        ..DeskConfig::new("127.0.0.1:0".parse().unwrap())
    };
    let (desk, _commands) = Desk::start(cfg, Arc::new(store.clone())).await.unwrap();
    World {
        _tmp: tmp,
        store,
        desk,
        clock,
    }
}

/// A household of `captain`'s block and one of another captain's block.
fn households(store: &Store, captain: i64) -> (i64, i64) {
    let mut mine = None;
    let mut theirs = None;
    for id in 1..200 {
        let Some(card) = store.household(id, Utc::now()).unwrap() else {
            continue;
        };
        match card.block.and_then(|b| b.captain_staff_id) {
            Some(c) if c == captain => mine = mine.or(Some(id)),
            Some(_) => theirs = theirs.or(Some(id)),
            None => {}
        }
    }
    (mine.unwrap(), theirs.unwrap())
}

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<TcpStream>>;

async fn console(addr: SocketAddr, token: &str) -> Ws {
    let (status, v) = call(addr, "POST", "/api/ticket", token, Value::Null).await;
    assert_eq!(status, 200, "{v}");
    let ticket = v["ticket"].as_str().unwrap();
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/ws?ticket={ticket}"))
        .await
        .unwrap();
    assert_eq!(next(&mut ws).await["type"], "hello");
    ws
}

async fn next(ws: &mut Ws) -> Value {
    loop {
        match timeout(WAIT, ws.next()).await.unwrap().unwrap().unwrap() {
            Message::Text(t) => return serde_json::from_str::<Value>(t.as_str()).unwrap(),
            _ => continue,
        }
    }
}

/// The next frame of `kind` about request `id` (other frames are skipped).
async fn frame_about(ws: &mut Ws, kind: &str, id: i64) -> Value {
    loop {
        let f = next(ws).await;
        if f["type"] == kind && f["request"]["id"] == id {
            return f;
        }
    }
}

/// The request frames queued before the answer to a ping: proves what was (not) sent.
async fn request_frames(ws: &mut Ws) -> Vec<Value> {
    ws.send(Message::text(
        json!({"v":1,"type":"ping","id":"p"}).to_string(),
    ))
    .await
    .unwrap();
    let mut before = Vec::new();
    loop {
        let f = next(ws).await;
        if f["type"] == "pong" {
            return before;
        }
        if f["type"].as_str().unwrap_or("").starts_with("request.") {
            before.push(f);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_follow_the_roles_and_reach_the_right_consoles() {
    let w = world().await;
    let addr = w.addr();
    let (op, _) = login(addr, "8001", "demo8001").await;
    let (cap, cap_id) = login(addr, "captain", "demo-captain").await;
    let (cap2, _) = login(addr, "captain2", "demo-captain2").await;
    let (sup, _) = login(addr, "super", "demo-super").await;
    let (committee, _) = login(addr, "staff", "demo-staff").await;
    let (mine, theirs) = households(&w.store, cap_id);
    let mut cap_ws = console(addr, &cap).await;
    let mut cap2_ws = console(addr, &cap2).await;
    let mut sup_ws = console(addr, &sup).await;
    let mut op_ws = console(addr, &op).await;

    // Bad bodies name the field.
    let good = json!({"household_id": mine, "channel": "phone", "category_item": "设施维修",
                      "category_class": "路灯", "content": "胡同口路灯不亮", "call_id": "20260101080000-1"});
    let mut bad = good.clone();
    bad["colour"] = json!("red");
    assert_refused(
        call(addr, "POST", "/api/requests", &op, bad).await,
        400,
        "colour",
    );
    let mut bad = good.clone();
    bad["category_item"] = json!("算命");
    assert_refused(
        call(addr, "POST", "/api/requests", &op, bad).await,
        400,
        "category_item",
    );
    let mut bad = good.clone();
    bad["channel"] = json!("fax");
    assert_refused(
        call(addr, "POST", "/api/requests", &op, bad).await,
        400,
        "channel",
    );
    let mut bad = good.clone();
    bad.as_object_mut().unwrap().remove("content");
    assert_refused(
        call(addr, "POST", "/api/requests", &op, bad).await,
        400,
        "content",
    );
    // A captain records only for their own block.
    let mut foreign = good.clone();
    foreign["household_id"] = json!(theirs);
    assert_refused(
        call(addr, "POST", "/api/requests", &cap, foreign).await,
        403,
        "household_id",
    );

    // The operator records one from the pop: the block captain is responsible.
    let (status, v) = call(addr, "POST", "/api/requests", &op, good).await;
    assert_eq!(status, 201, "{v}");
    let id = v["request"]["id"].as_i64().unwrap();
    assert_eq!(v["request"]["responsible_staff_id"], cap_id);
    assert_eq!(v["request"]["stage"], "assigned");
    assert_eq!(v["request"]["alarm"], "green");
    assert_eq!(v["request"]["call_id"], "20260101080000-1");
    let f = frame_about(&mut cap_ws, "request.created", id).await;
    assert_eq!(f["v"], 1);
    frame_about(&mut sup_ws, "request.created", id).await;
    assert!(request_frames(&mut cap2_ws).await.is_empty());
    assert!(request_frames(&mut op_ws).await.is_empty());

    // Another block's captain neither sees nor changes it.
    assert_refused(
        call(
            addr,
            "GET",
            &format!("/api/requests/{id}"),
            &cap2,
            Value::Null,
        )
        .await,
        403,
        "id",
    );
    let (_, list) = call(addr, "GET", "/api/requests?open=true", &cap2, Value::Null).await;
    assert!(list["requests"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["id"] != id));
    let (_, list) = call(addr, "GET", "/api/requests?mine=true", &cap, Value::Null).await;
    assert!(list["requests"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["id"] == id));
    assert_refused(
        call(
            addr,
            "POST",
            &format!("/api/requests/{id}/resolve"),
            &cap2,
            json!({"result": "好了"}),
        )
        .await,
        403,
        "id",
    );
    assert_refused(
        call(
            addr,
            "GET",
            &format!("/api/households/{theirs}"),
            &cap,
            Value::Null,
        )
        .await,
        404,
        "id",
    );
    let (status, card) = call(
        addr,
        "GET",
        &format!("/api/households/{mine}"),
        &cap,
        Value::Null,
    )
    .await;
    assert_eq!(status, 200, "{card}");
    assert!(card["household"]["requests"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["id"] == id));

    // Departments: only supervisors and admins add them.
    assert_refused(
        call(
            addr,
            "POST",
            "/api/departments",
            &committee,
            json!({"name": "城管科"}),
        )
        .await,
        403,
        "role",
    );
    let (status, v) = call(
        addr,
        "POST",
        "/api/departments",
        &sup,
        json!({"name": "城管科"}),
    )
    .await;
    assert_eq!(status, 201, "{v}");
    assert_eq!(v["department"]["answer_days"], 3);
    let dept = v["department"]["id"].as_i64().unwrap();

    // An operator may not send it to a department; a captain hands it to the committee;
    // committee staff send it on to the department.
    let path = |a: &str| format!("/api/requests/{id}/{a}");
    assert_refused(
        call(
            addr,
            "POST",
            &path("escalate"),
            &op,
            json!({"department_id": dept}),
        )
        .await,
        403,
        "department_id",
    );
    assert_refused(
        call(
            addr,
            "POST",
            &path("escalate"),
            &cap,
            json!({"department_id": dept}),
        )
        .await,
        403,
        "department_id",
    );
    let (status, v) = call(
        addr,
        "POST",
        &path("escalate"),
        &cap,
        json!({"note": "需居委会协调"}),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["request"]["escalation_level"], 1);
    let f = frame_about(&mut cap_ws, "request.updated", id).await;
    assert_eq!(f["change"], "escalate");
    let (status, v) = call(
        addr,
        "POST",
        &path("escalate"),
        &committee,
        json!({"department_id": dept}),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["request"]["department_name"], "城管科");
    assert_eq!(v["request"]["escalation_level"], 2);

    // Thresholds: supervisors only.
    let th = json!({"level1_at": "2030-01-01T09:00:00+08:00", "deadline_at": "2030-01-03T09:00:00+08:00"});
    assert_refused(
        call(addr, "POST", &path("thresholds"), &cap, th.clone()).await,
        403,
        "level1_at",
    );
    let (status, _) = call(addr, "POST", &path("thresholds"), &sup, th).await;
    assert_eq!(status, 200);

    // Feedback before the result: refused, stage named. Then resolve and feedback.
    assert_refused(
        call(
            addr,
            "POST",
            &path("feedback"),
            &cap,
            json!({"result": "satisfied", "how": "电话回访"}),
        )
        .await,
        409,
        "stage",
    );
    assert_refused(
        call(addr, "POST", &path("resolve"), &cap, json!({})).await,
        400,
        "result",
    );
    let (status, v) = call(
        addr,
        "POST",
        &path("resolve"),
        &cap,
        json!({"result": "路灯已修复"}),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["request"]["open"], false);
    assert_refused(
        call(addr, "POST", &path("resolve"), &cap, json!({"result": "x"})).await,
        409,
        "stage",
    );
    let (status, v) = call(
        addr,
        "POST",
        &path("feedback"),
        &cap,
        json!({"result": "satisfied", "how": "电话回访"}),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["request"]["stage"], "feedback_given");
    assert_refused(
        call(addr, "POST", &path("fly"), &cap, Value::Null).await,
        404,
        "action",
    );

    // The timeline.
    let (status, v) = call(
        addr,
        "GET",
        &format!("/api/requests/{id}"),
        &cap,
        Value::Null,
    )
    .await;
    assert_eq!(status, 200, "{v}");
    let kinds: Vec<&str> = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "created",
            "escalated",
            "escalated",
            "thresholds",
            "resolved",
            "feedback"
        ]
    );
    assert_eq!(v["events"][1]["note"], "需居委会协调");

    // Categories for the intake form.
    let (_, v) = call(addr, "GET", "/api/request-categories", &op, Value::Null).await;
    assert!(v["categories"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["item"] == "职业介绍"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_alarm_sweep_pushes_orange_after_level_1() {
    let w = world().await;
    let addr = w.addr();
    let (op, _) = login(addr, "8001", "demo8001").await;
    let (cap, cap_id) = login(addr, "captain", "demo-captain").await;
    let (sup, _) = login(addr, "super", "demo-super").await;
    let (mine, _) = households(&w.store, cap_id);
    let mut cap_ws = console(addr, &cap).await;
    let body = json!({"household_id": mine, "channel": "walk_in", "category_item": "设施维修",
                      "category_class": "路灯", "content": "路灯不亮"});
    let (status, v) = call(addr, "POST", "/api/requests", &op, body).await;
    assert_eq!(status, 201, "{v}");
    let id = v["request"]["id"].as_i64().unwrap();
    frame_about(&mut cap_ws, "request.created", id).await;
    // Just before level 1 (3 days): still green, nothing pushed for it.
    w.advance(chrono::Duration::days(3) - chrono::Duration::seconds(5));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (_, v) = call(
        addr,
        "GET",
        &format!("/api/requests/{id}"),
        &cap,
        Value::Null,
    )
    .await;
    assert_eq!(v["request"]["alarm"], "green");
    assert!(request_frames(&mut cap_ws)
        .await
        .iter()
        .all(|f| f["request"]["id"] != id));
    // Past level 1: orange, pushed.
    w.advance(chrono::Duration::seconds(10));
    let f = frame_about(&mut cap_ws, "request.alarm", id).await;
    assert_eq!(
        (f["alarm"].as_str(), f["previous"].as_str()),
        (Some("orange"), Some("green"))
    );
    assert_eq!(f["id"], id);
    // The supervisor's list of orange and red requests has it.
    let (_, v) = call(
        addr,
        "GET",
        "/api/requests?alarm=orange,red",
        &sup,
        Value::Null,
    )
    .await;
    assert!(v["requests"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["id"] == id && r["alarm"] == "orange"));
    // Past the deadline (5 days): red.
    w.advance(chrono::Duration::days(2));
    let f = frame_about(&mut cap_ws, "request.alarm", id).await;
    assert_eq!(f["alarm"], "red");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn voice_messages_become_requests_or_are_marked_handled() {
    let w = world().await;
    let addr = w.addr();
    let (op, _) = login(addr, "8001", "demo8001").await;
    let (_, v) = call(
        addr,
        "GET",
        "/api/voice-messages?open=true",
        &op,
        Value::Null,
    )
    .await;
    let open: Vec<i64> = v["voice_messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_i64().unwrap())
        .collect();
    assert!(open.len() >= 2, "{v}");
    let (first, second) = (open[0], open[1]);
    // Another block's captain reaches neither (one is an unknown caller's).
    let (cap2, _) = login(addr, "captain2", "demo-captain2").await;
    for m in [first, second] {
        assert_refused(
            call(
                addr,
                "GET",
                &format!("/api/voice-messages/{m}/draft"),
                &cap2,
                Value::Null,
            )
            .await,
            403,
            "id",
        );
        assert_refused(
            call(
                addr,
                "POST",
                &format!("/api/voice-messages/{m}/handled"),
                &cap2,
                Value::Null,
            )
            .await,
            403,
            "id",
        );
    }
    let (status, v) = call(
        addr,
        "GET",
        &format!("/api/voice-messages/{first}/draft"),
        &op,
        Value::Null,
    )
    .await;
    assert_eq!(status, 200, "{v}");
    let left = v["draft"]["created_at"].as_str().unwrap().to_owned();
    let body = json!({"voice_message_id": first, "channel": "phone", "category_item": "其他",
                      "content": "留言：请回电"});
    let (status, v) = call(addr, "POST", "/api/requests", &op, body.clone()).await;
    assert_eq!(status, 201, "{v}");
    let created =
        DateTime::parse_from_rfc3339(v["request"]["created_at"].as_str().unwrap()).unwrap();
    assert_eq!(
        created,
        DateTime::parse_from_rfc3339(&left).unwrap(),
        "the clock starts when it was left"
    );
    assert_refused(
        call(addr, "POST", "/api/requests", &op, body).await,
        400,
        "voice_message_id",
    );
    assert_refused(
        call(
            addr,
            "GET",
            &format!("/api/voice-messages/{first}/draft"),
            &op,
            Value::Null,
        )
        .await,
        409,
        "id",
    );
    let (status, v) = call(
        addr,
        "POST",
        &format!("/api/voice-messages/{second}/handled"),
        &op,
        Value::Null,
    )
    .await;
    assert_eq!(status, 200, "{v}");
    assert_refused(
        call(
            addr,
            "POST",
            "/api/voice-messages/99999/handled",
            &op,
            Value::Null,
        )
        .await,
        404,
        "id",
    );
    let (_, v) = call(
        addr,
        "GET",
        "/api/voice-messages?open=true",
        &op,
        Value::Null,
    )
    .await;
    let still: Vec<i64> = v["voice_messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_i64().unwrap())
        .collect();
    assert!(!still.contains(&first) && !still.contains(&second), "{v}");
}

/// Whom a request can be assigned to: every active staff member, captains first, with
/// their role in Chinese; a session is needed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_assignees_are_the_active_staff() {
    let w = world().await;
    let addr = w.addr();
    let (op, _) = login(addr, "8001", "demo8001").await;
    let (status, v) = call(addr, "GET", "/api/assignees", &op, Value::Null).await;
    assert_eq!(status, 200, "{v}");
    let list = v["assignees"].as_array().unwrap();
    assert_eq!(list[0]["role"], "captain");
    assert_eq!(list[0]["role_label"], "包片主任");
    assert!(list.iter().any(|a| a["display_name"] == "李建国"));
    assert!(list.iter().any(|a| a["role"] == "operator"));
    let (status, _) = request(addr, "GET", "/api/assignees", None, Vec::new()).await;
    assert_eq!(status, 401);
}

/// Home visits, the 民生信号灯 rhythm and the work log (§10.8): a captain sets a rhythm
/// and records a visit (with a request raised on it) for their block only; the household
/// is then no longer due; their visit log lists it; operators get 403; bad bodies name
/// the field; the work log is everyone's own, everyone's only for managers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn captains_record_visits_and_keep_a_work_log() {
    let w = world().await;
    let addr = w.addr();
    let (op, _) = login(addr, "8001", "demo8001").await;
    let (cap, cap_id) = login(addr, "captain", "demo-captain").await;
    let (cap2, _) = login(addr, "captain2", "demo-captain2").await;
    let (sup, _) = login(addr, "super", "demo-super").await;
    let (mine, theirs) = households(&w.store, cap_id);

    // The rhythm: a captain's own household only; a bad value names the field.
    let path = format!("/api/households/{mine}/visit-frequency");
    assert_refused(
        call(addr, "PUT", &path, &cap, json!({"frequency": "daily"})).await,
        400,
        "frequency",
    );
    assert_refused(
        call(addr, "PUT", &path, &cap2, json!({"frequency": "weekly"})).await,
        403,
        "id",
    );
    assert_refused(
        call(addr, "PUT", &path, &op, json!({"frequency": "weekly"})).await,
        403,
        "role",
    );
    assert_refused(
        call(
            addr,
            "PUT",
            "/api/households/999999/visit-frequency",
            &sup,
            json!({"frequency": "weekly"}),
        )
        .await,
        404,
        "id",
    );
    let (status, v) = call(addr, "PUT", &path, &cap, json!({"frequency": "weekly"})).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["frequency"], "weekly");
    let (status, v) = call(addr, "GET", "/api/visits/due", &cap, Value::Null).await;
    assert_eq!(status, 200, "{v}");
    let due = v["visits_due"].as_array().unwrap();
    assert!(due.iter().any(|d| d["household_id"] == mine), "{v}");
    assert_refused(
        call(addr, "GET", "/api/visits/due?captain=1", &cap, Value::Null).await,
        403,
        "captain",
    );
    let (status, v) = call(
        addr,
        "GET",
        &format!("/api/visits/due?captain={cap_id}"),
        &sup,
        Value::Null,
    )
    .await;
    assert_eq!(status, 200, "{v}");
    assert!(!v["visits_due"].as_array().unwrap().is_empty());

    // A visit with a request raised on it.
    let (status, v) = call(
        addr,
        "POST",
        "/api/requests",
        &cap,
        json!({"household_id": mine, "channel": "visit", "category_item": "养老服务",
               "content": "老人想申请助餐"}),
    )
    .await;
    assert_eq!(status, 201, "{v}");
    let raised = v["request"]["id"].as_i64().unwrap();
    for (body, field) in [
        (json!({"notes": "x"}), "household_id"),
        (json!({"household_id": mine, "mood": "good"}), "mood"),
        (
            json!({"household_id": mine, "request_ids": ["a"]}),
            "request_ids",
        ),
        (
            json!({"household_id": mine, "visited_at": "yesterday"}),
            "visited_at",
        ),
    ] {
        assert_refused(
            call(addr, "POST", "/api/visits", &cap, body).await,
            400,
            field,
        );
    }
    assert_refused(
        call(
            addr,
            "POST",
            "/api/visits",
            &cap,
            json!({"household_id": theirs, "notes": "x"}),
        )
        .await,
        403,
        "household_id",
    );
    assert_refused(
        call(
            addr,
            "POST",
            "/api/visits",
            &op,
            json!({"household_id": mine, "notes": "x"}),
        )
        .await,
        403,
        "role",
    );
    // A request of another household is refused, nothing recorded.
    let (status, v) = call(
        addr,
        "POST",
        "/api/visits",
        &sup,
        json!({"household_id": theirs, "request_ids": [raised]}),
    )
    .await;
    assert_eq!(
        (status, v["field"].clone()),
        (400, json!("request_ids")),
        "{v}"
    );
    let (status, v) = call(
        addr,
        "POST",
        "/api/visits",
        &cap,
        json!({"household_id": mine, "notes": "老人身体不错，想申请助餐", "request_ids": [raised]}),
    )
    .await;
    assert_eq!(status, 201, "{v}");
    assert_eq!(v["visit"]["request_ids"], json!([raised]));
    assert_eq!(v["visit"]["staff_id"], cap_id);
    let (_, v) = call(addr, "GET", "/api/visits/due", &cap, Value::Null).await;
    assert!(
        !v["visits_due"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["household_id"] == mine),
        "visited, so no longer due: {v}"
    );
    let (status, v) = call(addr, "GET", "/api/visits?days=7", &cap, Value::Null).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["visits"][0]["household_id"], mine);
    assert!(v["visits"][0]["address"]
        .as_str()
        .is_some_and(|a| !a.is_empty()));
    let (status, v) = call(
        addr,
        "GET",
        &format!("/api/visits?household={mine}"),
        &cap,
        Value::Null,
    )
    .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["frequency"], "weekly");
    assert_eq!(v["visits"].as_array().unwrap().len(), 1);
    assert_refused(
        call(
            addr,
            "GET",
            &format!("/api/visits?household={mine}"),
            &cap2,
            Value::Null,
        )
        .await,
        403,
        "household",
    );
    assert_refused(
        call(addr, "GET", "/api/visits?days=0", &cap, Value::Null).await,
        400,
        "days",
    );

    // The work log.
    assert_refused(
        call(
            addr,
            "POST",
            "/api/work-log",
            &cap,
            json!({"kind": "party", "text": "x"}),
        )
        .await,
        400,
        "kind",
    );
    assert_refused(
        call(
            addr,
            "POST",
            "/api/work-log",
            &cap,
            json!({"kind": "meeting", "text": " "}),
        )
        .await,
        400,
        "text",
    );
    let (status, v) = call(
        addr,
        "POST",
        "/api/work-log",
        &cap,
        json!({"kind": "meeting", "text": "居委会例会"}),
    )
    .await;
    assert_eq!(status, 201, "{v}");
    assert_eq!(v["entry"]["kind"], "meeting");
    let (_, v) = call(addr, "GET", "/api/work-log", &cap, Value::Null).await;
    assert_eq!(v["entries"].as_array().unwrap().len(), 1, "{v}");
    let (_, v) = call(addr, "GET", "/api/work-log", &cap2, Value::Null).await;
    assert!(
        v["entries"].as_array().unwrap().is_empty(),
        "only one's own: {v}"
    );
    assert_refused(
        call(addr, "GET", "/api/work-log?all=true", &cap2, Value::Null).await,
        403,
        "all",
    );
    let (status, v) = call(addr, "GET", "/api/work-log?all=true", &sup, Value::Null).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["entries"].as_array().unwrap().len(), 1, "{v}");
}

/// Whoever was responsible before an assign hears that the request left them (the frame
/// carries the new responsible), and hears nothing of it afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_previous_responsible_hears_of_an_assign_away() {
    let w = world().await;
    let addr = w.addr();
    let (op, op_id) = login(addr, "8001", "demo8001").await;
    let (sup, _) = login(addr, "super", "demo-super").await;
    let (_, committee_id) = login(addr, "staff", "demo-staff").await;
    let (_, cap_id) = login(addr, "captain", "demo-captain").await;
    let (mine, _) = households(&w.store, cap_id);
    let mut op_ws = console(addr, &op).await;
    let (status, v) = call(
        addr,
        "POST",
        "/api/requests",
        &sup,
        json!({"household_id": mine, "channel": "walk_in", "category_item": "环境卫生",
               "content": "楼道堆放杂物"}),
    )
    .await;
    assert_eq!(status, 201, "{v}");
    let id = v["request"]["id"].as_i64().unwrap();
    let assign = |to: i64| json!({ "staff_id": to });
    let path = format!("/api/requests/{id}/assign");
    let (status, v) = call(addr, "POST", &path, &sup, assign(op_id)).await;
    assert_eq!(status, 200, "{v}");
    let f = frame_about(&mut op_ws, "request.updated", id).await;
    assert_eq!(f["request"]["responsible_staff_id"], op_id);
    let (status, v) = call(addr, "POST", &path, &sup, assign(committee_id)).await;
    assert_eq!(status, 200, "{v}");
    let f = frame_about(&mut op_ws, "request.updated", id).await;
    assert_eq!(f["change"], "assign");
    assert_eq!(f["request"]["responsible_staff_id"], committee_id);
    // No longer theirs: a later change does not reach the operator.
    let (status, _) = call(
        addr,
        "POST",
        &format!("/api/requests/{id}/note"),
        &sup,
        json!({"note": "已电话联系物业"}),
    )
    .await;
    assert_eq!(status, 200);
    assert!(request_frames(&mut op_ws).await.is_empty());
}

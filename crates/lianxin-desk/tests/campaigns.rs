//! The campaign API over real HTTP and a real WebSocket: the demo community in a real
//! store, and a fake dialer (`CampaignControl`) that records what it is asked (the dialer
//! has its own sipp tests). Checks the contract of `docs/desk-protocol.md` §9: options
//! and their defaults, field-naming 400s, role checks (operators, captains' blocks),
//! pause/resume/cancel reaching the dialer, 503 without one, notice names and upload
//! limits, follow-ups, and who receives `campaign.*` frames and `hello.campaigns`.

mod http;
use http::{call, login, request};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use futures_util::{SinkExt, StreamExt};
use lianxin_desk::campaigns::BoxFuture;
use lianxin_desk::{
    CampaignControl, CampaignCounters, CampaignHouseholdRow, CampaignLive, CampaignRefused,
    CampaignState, CampaignUpdate, Desk, DeskConfig, DeskEvent, DeskHandle, NoticeInfo,
    NoticeSource,
};
use lianxin_store::demo::{DemoOptions, GROUPS};
use lianxin_store::{CampaignSettings, NewCampaign, NumberStrategy, Store, TargetSpec};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::Message;

const WAIT: Duration = Duration::from_secs(20);

/// A dialer that creates campaigns in the store and records every request.
struct FakeDialer {
    store: Store,
    calls: Mutex<Vec<String>>,
    started: Mutex<Vec<NewCampaign>>,
    live: Mutex<Vec<CampaignLive>>,
}

impl FakeDialer {
    fn new(store: Store) -> Arc<FakeDialer> {
        Arc::new(FakeDialer {
            store,
            calls: Mutex::default(),
            started: Mutex::default(),
            live: Mutex::default(),
        })
    }

    fn calls(&self) -> Vec<String> {
        self.calls.lock().unwrap().clone()
    }

    fn record(&self, call: String) {
        self.calls.lock().unwrap().push(call);
    }
}

fn defaults() -> CampaignSettings {
    CampaignSettings {
        caller_id: "51663371".into(),
        max_calls: 321,
        calls_per_second: 40.0,
        retries: 1,
        strategy: NumberStrategy::Each,
        ..CampaignSettings::default()
    }
}

impl CampaignControl for FakeDialer {
    fn start(&self, new: NewCampaign) -> BoxFuture<'_, Result<i64, CampaignRefused>> {
        Box::pin(async move {
            let id = self
                .store
                .create_campaign(&new, Utc::now())
                .map_err(|e| CampaignRefused {
                    status: 400,
                    field: None,
                    message: e.to_string(),
                })?;
            self.record(format!("start {id}"));
            self.started.lock().unwrap().push(new);
            Ok(id)
        })
    }
    fn pause(&self, id: i64) -> BoxFuture<'_, Result<(), CampaignRefused>> {
        self.record(format!("pause {id}"));
        Box::pin(async { Ok(()) })
    }
    fn resume(&self, id: i64) -> BoxFuture<'_, Result<(), CampaignRefused>> {
        self.record(format!("resume {id}"));
        Box::pin(async { Ok(()) })
    }
    fn cancel(&self, id: i64) -> BoxFuture<'_, Result<(), CampaignRefused>> {
        self.record(format!("cancel {id}"));
        Box::pin(async { Ok(()) })
    }
    fn live(&self) -> Vec<CampaignLive> {
        self.live.lock().unwrap().clone()
    }
    fn defaults(&self) -> CampaignSettings {
        defaults()
    }
    fn notices(&self) -> Vec<NoticeInfo> {
        ["notice-security", "notice-heating", "notice-fraud"]
            .into_iter()
            .map(|n| NoticeInfo {
                name: n.into(),
                seconds: 20,
                source: NoticeSource::Prompt,
            })
            .collect()
    }
    fn add_notice(
        &self,
        name: String,
        audio: Vec<u8>,
    ) -> BoxFuture<'_, Result<NoticeInfo, CampaignRefused>> {
        self.record(format!("add_notice {name} {}", audio.len()));
        Box::pin(async move {
            Ok(NoticeInfo {
                name,
                seconds: 3,
                source: NoticeSource::Uploaded,
            })
        })
    }
    fn retire_notice(&self, name: String) -> BoxFuture<'_, Result<(), CampaignRefused>> {
        self.record(format!("retire_notice {name}"));
        Box::pin(async move {
            if name == "notice-security" {
                return Err(CampaignRefused {
                    status: 409,
                    field: Some("name".into()),
                    message: "群拨任务正在使用这段通知录音".into(),
                });
            }
            Ok(())
        })
    }
}

fn live(id: i64) -> CampaignLive {
    CampaignLive {
        id,
        name: "测试".into(),
        state: CampaignState::Running,
        counters: CampaignCounters {
            households: 5,
            dialled: 2,
            ringing: 1,
            in_call: 1,
            reached: 1,
            not_reached: 0,
            remaining: 4,
            calls_per_second: 2,
            backing_off: false,
            waiting_for_window: false,
        },
    }
}

async fn demo() -> (tempfile::TempDir, Store, DeskHandle) {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path().join("demo.db")).unwrap();
    let s2 = store.clone();
    tokio::task::spawn_blocking(move || {
        s2.generate_demo(
            &DemoOptions {
                seed: 7,
                households: 60,
                now: Utc::now(),
            },
            &mut |_| {},
        )
    })
    .await
    .unwrap()
    .unwrap();
    let (desk, _commands) = Desk::start(
        DeskConfig::new("127.0.0.1:0".parse().unwrap()),
        Arc::new(store.clone()),
    )
    .await
    .unwrap();
    (tmp, store, desk)
}

fn assert_refused(got: (u16, Value), status: u16, field: &str) -> String {
    assert_eq!(got.0, status, "{}", got.1);
    assert_eq!(got.1["field"], field, "{}", got.1);
    let msg = got.1["error"].as_str().unwrap().to_owned();
    assert!(!msg.is_empty());
    msg
}

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<TcpStream>>;

async fn console(addr: SocketAddr, token: &str) -> Ws {
    let (status, v) = call(addr, "POST", "/api/ticket", token, Value::Null).await;
    assert_eq!(status, 200, "{v}");
    let ticket = v["ticket"].as_str().unwrap();
    let (ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/ws?ticket={ticket}"))
        .await
        .unwrap();
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

/// Every frame queued before the answer to a ping: proves what was (not) sent.
async fn frames_before_pong(ws: &mut Ws) -> Vec<Value> {
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
        before.push(f);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn campaign_api_checks_options_roles_and_reaches_the_dialer() {
    let (_tmp, store, desk) = demo().await;
    let addr = desk.local_addr();
    let (staff, staff_id) = login(addr, "staff", "demo-staff").await;
    let (op, _) = login(addr, "8001", "demo8001").await;
    let group = GROUPS[3];
    let body = json!({"groups": [group], "notice": "notice-security"});

    // No dialer yet: 503, with a message.
    assert_refused(
        call(addr, "POST", "/api/campaigns/preview", &staff, body.clone()).await,
        503,
        "campaign",
    );
    assert_refused(
        call(addr, "POST", "/api/campaigns", &staff, body.clone()).await,
        503,
        "campaign",
    );
    assert_refused(
        call(addr, "GET", "/api/notices", &staff, Value::Null).await,
        503,
        "campaign",
    );
    assert_refused(
        call(addr, "POST", "/api/campaigns/1/pause", &staff, Value::Null).await,
        503,
        "campaign",
    );

    let dialer = FakeDialer::new(store.clone());
    desk.set_campaigns(dialer.clone());

    // Operators: 403 on every campaign path.
    for (method, path) in [
        ("POST", "/api/campaigns/preview"),
        ("POST", "/api/campaigns"),
        ("GET", "/api/campaigns"),
        ("GET", "/api/campaigns/1"),
        ("POST", "/api/campaigns/1/pause"),
        ("GET", "/api/campaigns/1/report"),
        ("GET", "/api/follow-ups"),
        ("POST", "/api/follow-ups/1/close"),
    ] {
        assert_refused(
            call(addr, method, path, &op, body.clone()).await,
            403,
            "role",
        );
    }
    let (status, v) = request(
        addr,
        "PUT",
        "/api/notices/mine",
        Some(&op),
        b"RIFF".to_vec(),
    )
    .await;
    assert_eq!((status, v["field"].as_str()), (403, Some("role")), "{v}");

    // Preview with every option omitted: the dialer's defaults, the store's figures.
    let (status, p) = call(addr, "POST", "/api/campaigns/preview", &staff, body.clone()).await;
    assert_eq!(status, 200, "{p}");
    let spec = TargetSpec {
        groups: vec![group.into()],
        households: vec![],
    };
    let want = store.campaign_preview(&spec, &defaults()).unwrap();
    assert!(want.households > 0);
    assert_eq!(p["households"], want.households);
    assert_eq!(p["numbers"], want.numbers);
    assert_eq!(p["calls"], want.calls);
    assert_eq!(p["max_calls"], want.max_calls);
    assert_eq!(p["without_number"], want.without_number);
    assert_eq!(
        p["opted_out"].as_array().unwrap().len(),
        want.opted_out.len()
    );
    assert_eq!(
        p["settings"],
        json!({"caller_id": "51663371", "max_calls": 321, "calls_per_second": 40,
               "ring_timeout_s": 30, "retries": 1, "retry_pause_s": 300, "strategy": "each",
               "window": null, "urgent": false, "confirm_key": false})
    );
    assert!(p["name"]
        .as_str()
        .unwrap()
        .starts_with(&format!("{group} 通知 ")));

    // Strict bodies: the field at fault is named.
    let with = |extra: Value| {
        let mut b = body.clone();
        b.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        b
    };
    let path = "/api/campaigns/preview";
    let msg = assert_refused(
        call(addr, "POST", path, &staff, with(json!({"max_call": 5}))).await,
        400,
        "max_call",
    );
    assert!(msg.contains("max_call"), "{msg}");
    let msg = assert_refused(
        call(addr, "POST", path, &staff, with(json!({"max_calls": 801}))).await,
        400,
        "max_calls",
    );
    assert!(msg.contains("800"), "{msg}");
    assert_refused(
        call(
            addr,
            "POST",
            "/api/campaigns",
            &staff,
            with(json!({"max_calls": 0})),
        )
        .await,
        400,
        "max_calls",
    );
    let msg = assert_refused(
        call(
            addr,
            "POST",
            path,
            &staff,
            with(json!({"groups": ["没有这个组"]})),
        )
        .await,
        400,
        "groups",
    );
    assert!(msg.contains("没有这个组"), "{msg}");
    assert_refused(
        call(
            addr,
            "POST",
            path,
            &staff,
            with(json!({"households": [999999]})),
        )
        .await,
        400,
        "households",
    );
    assert_refused(
        call(
            addr,
            "POST",
            path,
            &staff,
            with(json!({"notice": "/etc/passwd"})),
        )
        .await,
        400,
        "notice",
    );
    assert_refused(
        call(
            addr,
            "POST",
            path,
            &staff,
            with(json!({"notice": "../prompts/x"})),
        )
        .await,
        400,
        "notice",
    );
    assert_refused(
        call(
            addr,
            "POST",
            path,
            &staff,
            with(json!({"notice": "notice-nothing"})),
        )
        .await,
        400,
        "notice",
    );
    assert!(
        dialer.calls().is_empty(),
        "nothing refused reached the dialer"
    );

    // Start: defaults for what is omitted, the creator is the staff member.
    let (status, v) = call(
        addr,
        "POST",
        "/api/campaigns",
        &staff,
        with(json!({"name": "供暖", "urgent": true})),
    )
    .await;
    assert_eq!(status, 201, "{v}");
    let id = v["id"].as_i64().unwrap();
    assert_eq!(v["households"], want.households);
    assert_eq!(v["state"], "running");
    {
        let started = dialer.started.lock().unwrap();
        let new = &started[0];
        assert_eq!(new.created_by, Some(staff_id));
        assert_eq!(new.name, "供暖");
        assert_eq!(new.notice, "notice-security");
        assert_eq!(new.targets, spec);
        assert_eq!(
            new.settings,
            CampaignSettings {
                urgent: true,
                ..defaults()
            }
        );
    }

    // Pause, resume, cancel go to the dialer.
    for (action, state) in [
        ("pause", "paused"),
        ("resume", "running"),
        ("cancel", "cancelled"),
    ] {
        let (status, v) = call(
            addr,
            "POST",
            &format!("/api/campaigns/{id}/{action}"),
            &staff,
            Value::Null,
        )
        .await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(v, json!({"id": id, "state": state}));
    }
    assert_eq!(
        dialer.calls(),
        [
            format!("start {id}"),
            format!("pause {id}"),
            format!("resume {id}"),
            format!("cancel {id}")
        ]
    );
    assert_refused(
        call(
            addr,
            "POST",
            "/api/campaigns/999/pause",
            &staff,
            Value::Null,
        )
        .await,
        404,
        "id",
    );
    assert_refused(
        call(
            addr,
            "POST",
            "/api/campaigns/abc/pause",
            &staff,
            Value::Null,
        )
        .await,
        400,
        "id",
    );

    // List (live counters for a live one), status, report.
    *dialer.live.lock().unwrap() = vec![live(id)];
    let (status, v) = call(addr, "GET", "/api/campaigns?limit=10", &staff, Value::Null).await;
    assert_eq!(status, 200, "{v}");
    let list = v["campaigns"].as_array().unwrap();
    assert_eq!(list.len(), 4, "three demo campaigns and ours: {v}");
    assert_eq!(list[0]["id"], id);
    assert_eq!(list[0]["state"], "running");
    assert_eq!(list[0]["reached"], 1);
    assert_eq!(list[0]["remaining"], 4);
    assert!(list[0]["finished_at"].is_null());
    assert!(list[1]["created_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(list[1]["state"], "finished");
    let (status, v) = call(
        addr,
        "GET",
        &format!("/api/campaigns/{id}"),
        &staff,
        Value::Null,
    )
    .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["counters"]["in_call"], 1);
    assert_eq!(v["settings"]["max_calls"], 321);
    assert_eq!(v["settings"]["urgent"], true);
    let demo_id = list[1]["id"].as_i64().unwrap();
    let (status, v) = call(
        addr,
        "GET",
        &format!("/api/campaigns/{demo_id}"),
        &staff,
        Value::Null,
    )
    .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["state"], "finished");
    let households = v["counters"]["households"].as_u64().unwrap();
    assert_eq!(
        households,
        v["counters"]["reached"].as_u64().unwrap() + v["counters"]["not_reached"].as_u64().unwrap()
    );
    let (status, v) = call(
        addr,
        "GET",
        &format!("/api/campaigns/{demo_id}/report"),
        &staff,
        Value::Null,
    )
    .await;
    assert_eq!(status, 200, "{v}");
    let rows = v["households"].as_array().unwrap();
    assert_eq!(rows.len() as u64, households);
    for key in [
        "household_id",
        "code",
        "address",
        "block",
        "captain",
        "reached",
        "outcome",
        "attempts",
        "seconds_heard",
        "confirmed",
    ] {
        assert!(
            rows[0].get(key).is_some(),
            "report row lacks {key}: {}",
            rows[0]
        );
    }
    let (status, v) = call(
        addr,
        "GET",
        &format!("/api/campaigns/{demo_id}/attempts"),
        &staff,
        Value::Null,
    )
    .await;
    assert_eq!(status, 200, "{v}");
    let a = &v["attempts"][0];
    for key in [
        "household_id",
        "number",
        "attempt",
        "started_at",
        "ended_at",
        "outcome",
        "answered",
        "sip_status",
        "reason",
        "seconds_heard",
        "confirmed",
    ] {
        assert!(a.get(key).is_some(), "attempt row lacks {key}: {a}");
    }
    assert!(a["answered"].is_boolean());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn captains_reach_only_their_blocks_and_see_only_their_campaigns() {
    let (_tmp, store, desk) = demo().await;
    let addr = desk.local_addr();
    let dialer = FakeDialer::new(store.clone());
    desk.set_campaigns(dialer.clone());
    let (cap, cap_id) = login(addr, "captain", "demo-captain").await;
    let (staff, _) = login(addr, "staff", "demo-staff").await;

    let everyone = store
        .campaign_blocks(&TargetSpec {
            groups: vec![GROUPS[6].into(), GROUPS[7].into()],
            households: vec![],
        })
        .unwrap();
    let mine: Vec<i64> = everyone
        .iter()
        .filter(|h| h.captain_staff_id == Some(cap_id))
        .map(|h| h.household_id)
        .collect();
    let other = everyone
        .iter()
        .find(|h| h.captain_staff_id != Some(cap_id))
        .unwrap();
    assert!(!mine.is_empty());

    // A group spanning blocks is refused, naming the group; so is another block's household.
    let msg = assert_refused(
        call(
            addr,
            "POST",
            "/api/campaigns",
            &cap,
            json!({"groups": [GROUPS[7]], "notice": "notice-fraud"}),
        )
        .await,
        403,
        "groups",
    );
    assert!(msg.contains(GROUPS[7]), "{msg}");
    let mut list = mine.clone();
    list.push(other.household_id);
    let msg = assert_refused(
        call(
            addr,
            "POST",
            "/api/campaigns/preview",
            &cap,
            json!({"households": list, "notice": "notice-fraud"}),
        )
        .await,
        403,
        "households",
    );
    assert!(msg.contains(&other.household_id.to_string()), "{msg}");
    assert!(dialer.calls().is_empty());

    // Their own block's households: allowed.
    let (status, v) = call(
        addr,
        "POST",
        "/api/campaigns/preview",
        &cap,
        json!({"households": mine, "notice": "notice-fraud"}),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["households"], mine.len());
    let (status, v) = call(
        addr,
        "POST",
        "/api/campaigns",
        &cap,
        json!({"households": mine, "notice": "notice-fraud"}),
    )
    .await;
    assert_eq!(status, 201, "{v}");
    let own = v["id"].as_i64().unwrap();
    assert_eq!(dialer.started.lock().unwrap()[0].created_by, Some(cap_id));

    // They list only their own campaign; the committee's are refused to them.
    let (status, v) = call(addr, "GET", "/api/campaigns", &cap, Value::Null).await;
    assert_eq!(status, 200, "{v}");
    let ids: Vec<i64> = v["campaigns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [own]);
    let (_, v) = call(addr, "GET", "/api/campaigns", &staff, Value::Null).await;
    let demo_id = v["campaigns"][1]["id"].as_i64().unwrap();
    assert_refused(
        call(
            addr,
            "GET",
            &format!("/api/campaigns/{demo_id}/report"),
            &cap,
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
            &format!("/api/campaigns/{demo_id}/cancel"),
            &cap,
            Value::Null,
        )
        .await,
        403,
        "id",
    );
    let (status, _) = call(
        addr,
        "POST",
        &format!("/api/campaigns/{own}/pause"),
        &cap,
        Value::Null,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(dialer.calls().last().unwrap(), &format!("pause {own}"));

    // Follow-ups: the captain's own blocks only, and only theirs to close.
    let (status, v) = call(
        addr,
        "GET",
        "/api/follow-ups?open=true",
        &staff,
        Value::Null,
    )
    .await;
    assert_eq!(status, 200, "{v}");
    let all = v["follow_ups"].as_array().unwrap().clone();
    let (status, v) = call(addr, "GET", "/api/follow-ups?open=true", &cap, Value::Null).await;
    assert_eq!(status, 200, "{v}");
    let theirs = v["follow_ups"].as_array().unwrap().clone();
    assert!(
        !theirs.is_empty() && theirs.len() < all.len(),
        "{} of {}",
        theirs.len(),
        all.len()
    );
    assert!(theirs.iter().all(|f| f["captain_staff_id"] == cap_id));
    let foreign = all
        .iter()
        .find(|f| f["captain_staff_id"] != cap_id)
        .unwrap();
    let path = format!("/api/follow-ups/{}/close", foreign["id"]);
    assert_refused(
        call(addr, "POST", &path, &cap, json!({"note": "x"})).await,
        403,
        "id",
    );
    let path = format!("/api/follow-ups/{}/close", theirs[0]["id"]);
    assert_refused(
        call(addr, "POST", &path, &cap, json!({"nota": "x"})).await,
        400,
        "nota",
    );
    let (status, v) = call(addr, "POST", &path, &cap, json!({"note": "已上门告知"})).await;
    assert_eq!(status, 200, "{v}");
    let (_, v) = call(addr, "GET", "/api/follow-ups?open=true", &cap, Value::Null).await;
    assert_eq!(v["follow_ups"].as_array().unwrap().len(), theirs.len() - 1);
    assert_refused(
        call(
            addr,
            "POST",
            "/api/follow-ups/999999/close",
            &staff,
            Value::Null,
        )
        .await,
        404,
        "id",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notices_are_names_and_uploads_are_bounded() {
    let (_tmp, store, desk) = demo().await;
    let addr = desk.local_addr();
    let dialer = FakeDialer::new(store.clone());
    desk.set_campaigns(dialer.clone());
    let (staff, _) = login(addr, "staff", "demo-staff").await;

    let (status, v) = call(addr, "GET", "/api/notices", &staff, Value::Null).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(
        v["notices"][0],
        json!({"name": "notice-security", "seconds": 20, "source": "prompt"})
    );

    // Names only: never a path.
    for bad in ["..%2F..%2Fetc%2Fpasswd", "Notice", "a.wav", "-x"] {
        let (status, v) = request(
            addr,
            "PUT",
            &format!("/api/notices/{bad}"),
            Some(&staff),
            b"RIFF".to_vec(),
        )
        .await;
        assert_eq!(
            (status, v["field"].as_str()),
            (400, Some("name")),
            "{bad}: {v}"
        );
    }
    // Bigger than the API's usual 64 KiB is fine on this route...
    let (status, v) = request(
        addr,
        "PUT",
        "/api/notices/water-cut",
        Some(&staff),
        vec![7u8; 1 << 20],
    )
    .await;
    assert_eq!(status, 201, "{v}");
    assert_eq!(v, json!({"name": "water-cut", "seconds": 3}));
    // ... up to 20 MiB.
    let (status, v) = request(
        addr,
        "PUT",
        "/api/notices/huge",
        Some(&staff),
        vec![7u8; 21 << 20],
    )
    .await;
    assert_eq!(status, 413, "{v}");
    assert_eq!(
        dialer.calls(),
        [format!("add_notice water-cut {}", 1 << 20)]
    );
    // Retiring (停用): the staff who may upload; names only; the dialer's refusal (a
    // campaign plays it) reaches the page with its field; every retirement audited.
    let (op, _) = login(addr, "8001", "demo8001").await;
    let (status, v) = call(addr, "DELETE", "/api/notices/water-cut", &op, Value::Null).await;
    assert_eq!((status, v["field"].as_str()), (403, Some("role")), "{v}");
    let (status, v) = call(addr, "DELETE", "/api/notices/Bad.Name", &staff, Value::Null).await;
    assert_eq!((status, v["field"].as_str()), (404, Some("name")), "{v}");
    let before = store.counts().unwrap().audit;
    let (status, v) = call(
        addr,
        "DELETE",
        "/api/notices/water-cut",
        &staff,
        Value::Null,
    )
    .await;
    assert_eq!(status, 204, "{v}");
    assert_eq!(store.counts().unwrap().audit, before + 1);
    let (status, v) = call(
        addr,
        "DELETE",
        "/api/notices/notice-security",
        &staff,
        Value::Null,
    )
    .await;
    assert_eq!((status, v["field"].as_str()), (409, Some("name")), "{v}");
    assert_eq!(store.counts().unwrap().audit, before + 1);
    assert_eq!(
        dialer.calls()[1..],
        [
            "retire_notice water-cut".to_string(),
            "retire_notice notice-security".to_string()
        ]
    );
    // Other routes keep the small limit.
    let big =
        json!({"groups": [GROUPS[3]], "notice": "notice-security", "name": "x".repeat(70_000)});
    let (status, _) = call(addr, "POST", "/api/campaigns/preview", &staff, big).await;
    assert_eq!(status, 413);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn campaign_frames_reach_committee_consoles_not_operators() {
    let (_tmp, store, desk) = demo().await;
    let addr = desk.local_addr();
    let dialer = FakeDialer::new(store.clone());
    *dialer.live.lock().unwrap() = vec![live(1)];
    desk.set_campaigns(dialer.clone());
    let (staff, _) = login(addr, "staff", "demo-staff").await;
    let (op, _) = login(addr, "8001", "demo8001").await;
    let (cap, _) = login(addr, "captain", "demo-captain").await;

    let mut committee = console(addr, &staff).await;
    let hello = next(&mut committee).await;
    assert_eq!(hello["type"], "hello");
    assert_eq!(hello["campaigns"][0]["id"], 1, "{hello}");
    assert_eq!(hello["campaigns"][0]["counters"]["remaining"], 4);
    let mut operator = console(addr, &op).await;
    let hello = next(&mut operator).await;
    assert_eq!(hello["type"], "hello");
    assert!(hello.get("campaigns").is_none(), "{hello}");
    let mut captain = console(addr, &cap).await;
    let hello = next(&mut captain).await;
    assert_eq!(
        hello["campaigns"],
        json!([]),
        "demo campaign 1 is the committee's"
    );
    frames_before_pong(&mut committee).await;

    // Campaign 1 is a demo campaign created by the committee account.
    let rows: Vec<CampaignHouseholdRow> = (1..=800)
        .map(|h| CampaignHouseholdRow {
            household_id: h,
            reached: Some(h % 4 != 0),
            outcome: if h % 4 != 0 {
                "heard".into()
            } else {
                "busy".into()
            },
            attempts: 1,
            seconds_heard: 20,
            confirmed: None,
        })
        .collect();
    desk.publish(DeskEvent::Campaign(CampaignUpdate::Started(live(1))));
    desk.publish(DeskEvent::Campaign(CampaignUpdate::Progress(live(1))));
    desk.publish(DeskEvent::Campaign(CampaignUpdate::Households {
        id: 1,
        rows,
    }));
    desk.publish(DeskEvent::Campaign(CampaignUpdate::Finished(
        CampaignLive {
            state: CampaignState::Finished,
            ..live(1)
        },
    )));
    let got = frames_before_pong(&mut committee).await;
    let types: Vec<&str> = got.iter().map(|f| f["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        [
            "campaign.started",
            "campaign.progress",
            "campaign.household",
            "campaign.finished"
        ]
    );
    assert_eq!(got[0]["v"], 1);
    assert_eq!(got[0]["campaign"]["counters"]["dialled"], 2);
    assert_eq!(got[2]["id"], 1);
    assert_eq!(
        got[2]["rows"].as_array().unwrap().len(),
        800,
        "one batch, one frame"
    );
    assert_eq!(got[2]["rows"][3]["outcome"], "busy");
    assert_eq!(got[3]["campaign"]["state"], "finished");
    assert!(frames_before_pong(&mut operator).await.is_empty());
    assert!(frames_before_pong(&mut captain).await.is_empty());

    // A captain's own campaign reaches their console (and the committee's).
    let (_, cap_id) = login(addr, "captain", "demo-captain").await;
    let everyone = store
        .campaign_blocks(&TargetSpec {
            groups: vec![GROUPS[6].into(), GROUPS[7].into()],
            households: vec![],
        })
        .unwrap();
    let mine: Vec<i64> = everyone
        .iter()
        .filter(|h| h.captain_staff_id == Some(cap_id))
        .map(|h| h.household_id)
        .take(3)
        .collect();
    let (status, v) = call(
        addr,
        "POST",
        "/api/campaigns",
        &cap,
        json!({"households": mine, "notice": "notice-fraud"}),
    )
    .await;
    assert_eq!(status, 201, "{v}");
    let own = v["id"].as_i64().unwrap();
    desk.publish(DeskEvent::Campaign(CampaignUpdate::Started(live(own))));
    let got = frames_before_pong(&mut captain).await;
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0]["campaign"]["id"], own);
    assert_eq!(frames_before_pong(&mut committee).await.len(), 1);
    assert!(frames_before_pong(&mut operator).await.is_empty());
    // A console connecting now lists it in hello.
    *dialer.live.lock().unwrap() = vec![live(1), live(own)];
    let mut again = console(addr, &cap).await;
    let hello = next(&mut again).await;
    assert_eq!(hello["campaigns"].as_array().unwrap().len(), 1, "{hello}");
    assert_eq!(hello["campaigns"][0]["id"], own);
    assert_eq!(desk.stats().dropped_slow, 0);
}

//! The desk over real sockets on 127.0.0.1: HTTP log-in and look-ups with a tiny HTTP
//! client, consoles with tokio-tungstenite, and the in-memory directory.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use futures_util::{SinkExt, StreamExt};
use lianxin_desk::{
    CallOutcome, Desk, DeskCommand, DeskConfig, DeskEvent, DeskHandle, DisconnectReason,
    HouseholdHit, MemoryDirectory, OperatorRef, OperatorState, Role, Staff, VoiceMessage,
};
use serde::Serialize;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::mpsc;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

const WAIT: Duration = Duration::from_secs(10);

/// How long ago the test pretends the INVITE behind a timed pop arrived.
const POP_AGE: Duration = Duration::from_millis(30);

fn staff(id: i64, username: &str, name: &str, role: Role) -> Staff {
    Staff {
        id,
        username: username.into(),
        display_name: name.into(),
        role,
        extension: Some(format!("80{id}")),
    }
}

fn directory() -> Arc<MemoryDirectory> {
    let dir = MemoryDirectory::new();
    dir.add_staff(staff(1, "wangli", "王丽", Role::Operator), "mima1");
    dir.add_staff(staff(2, "zhaogang", "赵刚", Role::Operator), "mima2");
    dir.add_staff(staff(3, "sunmei", "孙梅", Role::Captain), "mima3");
    dir.add_staff(staff(4, "liuzhu", "刘主任", Role::Supervisor), "mima4");
    dir.add_household(HouseholdHit {
        id: 10,
        code: "HP0010".into(),
        address: "和平街12号院3号楼2单元501".into(),
        block: Some("第三片区".into()),
        captain: Some("孙梅".into()),
        members: vec!["范先翔".into(), "李强".into()],
        numbers: vec!["65123456".into()],
    });
    Arc::new(dir)
}

async fn start(
    cfg: impl FnOnce(&mut DeskConfig),
) -> (
    DeskHandle,
    mpsc::Receiver<DeskCommand>,
    Arc<MemoryDirectory>,
) {
    let mut config = DeskConfig::new("127.0.0.1:0".parse().unwrap());
    cfg(&mut config);
    let dir = directory();
    let (desk, commands) = Desk::start(config, dir.clone()).await.unwrap();
    (desk, commands, dir)
}

/// A minimal HTTP/1.1 client: one request per connection.
async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> (u16, Vec<u8>) {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n");
    if let Some(t) = token {
        req.push_str(&format!("Authorization: Bearer {t}\r\n"));
    }
    let body = body.unwrap_or("");
    req.push_str(&format!(
        "Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    ));
    s.write_all(req.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    timeout(WAIT, s.read_to_end(&mut raw))
        .await
        .unwrap()
        .unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&raw[..split]).to_lowercase();
    let status: u16 = head.split(' ').nth(1).unwrap().parse().unwrap();
    let mut body = raw[split + 4..].to_vec();
    if head.contains("transfer-encoding: chunked") {
        body = unchunk(&body);
    }
    (status, body)
}

fn unchunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let eol = data.windows(2).position(|w| w == b"\r\n").unwrap();
        let len =
            usize::from_str_radix(std::str::from_utf8(&data[..eol]).unwrap().trim(), 16).unwrap();
        if len == 0 {
            return out;
        }
        out.extend_from_slice(&data[eol + 2..eol + 2 + len]);
        data = &data[eol + 2 + len + 2..];
    }
}

async fn http_json(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> (u16, Value) {
    let (status, body) = http(addr, method, path, token, body).await;
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

async fn login(addr: SocketAddr, user: &str, password: &str) -> String {
    let body = json!({ "username": user, "password": password }).to_string();
    let (status, v) = http_json(addr, "POST", "/api/login", None, Some(&body)).await;
    assert_eq!(status, 200, "{v}");
    v["token"].as_str().unwrap().to_owned()
}

/// A one-use ticket for a URL (`POST /api/ticket` with the token in the header).
async fn ticket(addr: SocketAddr, token: &str) -> String {
    let (status, v) = http_json(addr, "POST", "/api/ticket", Some(token), None).await;
    assert_eq!(status, 200, "{v}");
    v["ticket"].as_str().unwrap().to_owned()
}

async fn connect(addr: SocketAddr, token: &str) -> Ws {
    let ticket = ticket(addr, token).await;
    let (ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/ws?ticket={ticket}"))
        .await
        .unwrap();
    ws
}

/// The next JSON frame (control frames skipped).
async fn next(ws: &mut Ws) -> Value {
    loop {
        let msg = timeout(WAIT, ws.next())
            .await
            .expect("frame in time")
            .unwrap()
            .unwrap();
        match msg {
            Message::Text(t) => return serde_json::from_str(t.as_str()).unwrap(),
            Message::Ping(_) | Message::Pong(_) => continue,
            other => panic!("unexpected frame {other:?}"),
        }
    }
}

async fn send(ws: &mut Ws, v: Value) {
    ws.send(Message::text(v.to_string())).await.unwrap();
}

/// Sends a ping and returns every frame before the pong: proves what was (not) queued.
async fn frames_before_pong(ws: &mut Ws) -> Vec<Value> {
    send(ws, json!({"v":1,"type":"ping","id":"p"})).await;
    let mut before = Vec::new();
    loop {
        let f = next(ws).await;
        if f["type"] == "pong" {
            assert_eq!(f["id"], "p");
            return before;
        }
        before.push(f);
    }
}

async fn command(
    rx: &mut mpsc::Receiver<DeskCommand>,
    want: impl Fn(&DeskCommand) -> bool,
) -> DeskCommand {
    loop {
        let c = timeout(WAIT, rx.recv())
            .await
            .expect("command in time")
            .unwrap();
        if want(&c) {
            return c;
        }
    }
}

#[derive(Serialize)]
struct FakePop {
    households: Vec<Value>,
    note: String,
}

fn ringing(call_id: &str) -> DeskEvent {
    let pop = FakePop {
        households: vec![
            json!({"id": 10, "address": "和平街12号院", "members": [{"name": "范先翔", "sex": "female", "age": 44}]}),
        ],
        note: String::new(),
    };
    DeskEvent::ringing(call_id, "51663371", "010-65123456", Utc::now(), &pop).unwrap()
}

#[tokio::test]
async fn login_names_the_bad_field() {
    let (desk, _rx, _) = start(|_| {}).await;
    let addr = desk.local_addr();
    let (s, v) = http_json(
        addr,
        "POST",
        "/api/login",
        None,
        Some(r#"{"username":"wangli","password":"wrong"}"#),
    )
    .await;
    assert_eq!(s, 401);
    assert_eq!(v["field"], "password");
    assert!(!v["error"].as_str().unwrap().is_empty());
    let (s, v) = http_json(
        addr,
        "POST",
        "/api/login",
        None,
        Some(r#"{"password":"x"}"#),
    )
    .await;
    assert_eq!((s, v["field"].as_str()), (400, Some("username")));
    let (s, v) = http_json(
        addr,
        "POST",
        "/api/login",
        None,
        Some(r#"{"username":"wangli","password":""}"#),
    )
    .await;
    assert_eq!((s, v["field"].as_str()), (400, Some("password")));
    let (s, v) = http_json(addr, "POST", "/api/login", None, Some("{not json")).await;
    assert_eq!((s, v["field"].as_str()), (400, Some("body")));

    let (s, v) = http_json(
        addr,
        "POST",
        "/api/login",
        None,
        Some(r#"{"username":"wangli","password":"mima1"}"#),
    )
    .await;
    assert_eq!(s, 200);
    let token = v["token"].as_str().unwrap();
    assert_eq!(token.len(), 32);
    assert!(token.chars().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(v["staff"]["display_name"], "王丽");
    assert_eq!(v["staff"]["role"], "operator");
    let (s, v) = http_json(addr, "GET", "/api/session", Some(token), None).await;
    assert_eq!((s, v["staff"]["id"].as_i64()), (200, Some(1)));

    let (s, _) = http(addr, "POST", "/api/logout", Some(token), None).await;
    assert_eq!(s, 204);
    let (s, v) = http_json(addr, "GET", "/api/session", Some(token), None).await;
    assert_eq!((s, v["field"].as_str()), (401, Some("token")));
    desk.shutdown().await;
}

#[tokio::test]
async fn resident_records_only_for_logged_in_staff() {
    let (desk, _rx, dir) = start(|_| {}).await;
    let addr = desk.local_addr();
    let q = "/api/households/search?q=%E8%8C%83"; // 范
    let (s, v) = http_json(addr, "GET", q, None, None).await;
    assert_eq!((s, v["field"].as_str()), (401, Some("token")));
    let (s, _) = http_json(
        addr,
        "GET",
        q,
        Some("0123456789abcdef0123456789abcdef"),
        None,
    )
    .await;
    assert_eq!(s, 401);

    let token = login(addr, "wangli", "mima1").await;
    let (s, v) = http_json(addr, "GET", q, Some(&token), None).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["households"][0]["id"], 10);
    let (s, v) = http_json(addr, "GET", "/api/households/search?q=", Some(&token), None).await;
    assert_eq!((s, v["field"].as_str()), (400, Some("q")));
    let (s, v) = http_json(addr, "GET", &format!("{q}&limit=0"), Some(&token), None).await;
    assert_eq!((s, v["field"].as_str()), (400, Some("limit")));

    // attach the unknown caller's number
    let path = "/api/households/10/numbers";
    let (s, v) = http_json(
        addr,
        "POST",
        path,
        None,
        Some(r#"{"number":"13912345678"}"#),
    )
    .await;
    assert_eq!(s, 401, "{v}");
    let (s, v) = http_json(
        addr,
        "POST",
        path,
        Some(&token),
        Some(r#"{"number":"139 1234 5678"}"#),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["normalized"], "13912345678");
    assert_eq!(dir.attached("13912345678"), Some(10));
    let (s, v) = http_json(addr, "POST", path, Some(&token), Some(r#"{"number":"12"}"#)).await;
    assert_eq!((s, v["field"].as_str()), (400, Some("number")));
    let (s, v) = http_json(addr, "POST", path, Some(&token), Some("{}")).await;
    assert_eq!((s, v["field"].as_str()), (400, Some("number")));
    let (s, v) = http_json(
        addr,
        "POST",
        "/api/households/99/numbers",
        Some(&token),
        Some(r#"{"number":"13912345678"}"#),
    )
    .await;
    assert_eq!((s, v["field"].as_str()), (404, Some("id")));
    let (s, v) = http_json(
        addr,
        "POST",
        "/api/households/abc/numbers",
        Some(&token),
        Some(r#"{"number":"13912345678"}"#),
    )
    .await;
    assert_eq!((s, v["field"].as_str()), (400, Some("id")));
    let (s, v) = http_json(addr, "GET", path, Some(&token), None).await;
    assert_eq!((s, v["field"].as_str()), (405, Some("method")));
    let (s, v) = http_json(addr, "GET", "/nothing", None, None).await;
    assert_eq!((s, v["field"].as_str()), (404, Some("path")));
    desk.shutdown().await;
}

#[tokio::test]
async fn voice_messages_are_listed_and_played() {
    let (desk, _rx, dir) = start(|_| {}).await;
    let addr = desk.local_addr();
    let tmp = tempfile::tempdir().unwrap();
    let wav = tmp.path().join("vm1.wav");
    let audio: Vec<u8> = b"RIFF"
        .iter()
        .copied()
        .chain((0..100_000u32).map(|i| (i % 251) as u8))
        .collect();
    std::fs::write(&wav, &audio).unwrap();
    dir.add_voice_message(
        VoiceMessage {
            id: 1,
            call_id: Some("c9".into()),
            caller_raw: Some("65123456".into()),
            household_id: Some(10),
            household_label: Some("和平街12号院".into()),
            received_at: Utc::now(),
            duration_s: 12,
            handled: false,
        },
        wav,
    );
    let (s, _) = http(addr, "GET", "/api/voice-messages/1/audio", None, None).await;
    assert_eq!(s, 401);
    let token = login(addr, "wangli", "mima1").await;
    let (s, v) = http_json(
        addr,
        "GET",
        "/api/voice-messages?open=true",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(v["voice_messages"][0]["id"], 1);
    let (s, body) = http(
        addr,
        "GET",
        "/api/voice-messages/1/audio",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(body, audio);
    let t = ticket(addr, &token).await;
    let (s, body) = http(
        addr,
        "GET",
        &format!("/api/voice-messages/1/audio?ticket={t}"),
        None,
        None,
    )
    .await;
    assert_eq!((s, body.len()), (200, audio.len()));
    let (s, v) = http_json(
        addr,
        "GET",
        "/api/voice-messages/2/audio",
        Some(&token),
        None,
    )
    .await;
    assert_eq!((s, v["field"].as_str()), (404, Some("id")));
    desk.shutdown().await;
}

#[tokio::test]
async fn console_page_is_served_in_chinese() {
    let (desk, _rx, _) = start(|_| {}).await;
    let (s, body) = http(desk.local_addr(), "GET", "/", None, None).await;
    assert_eq!(s, 200);
    let page = String::from_utf8(body).unwrap();
    assert!(page.contains("登录"));
    // The screens are modules of their own (`assets/js/`).
    let (s, body) = http(desk.local_addr(), "GET", "/assets/js/calls.js", None, None).await;
    assert_eq!(s, 200);
    assert!(String::from_utf8(body).unwrap().contains("未知来电"));
    desk.shutdown().await;
}

#[tokio::test]
async fn websocket_without_valid_token_is_refused() {
    use tokio_tungstenite::tungstenite::Error;
    let (desk, _rx, _) = start(|_| {}).await;
    let addr = desk.local_addr();
    for url in [
        format!("ws://{addr}/ws"),
        format!("ws://{addr}/ws?token=00112233445566778899aabbccddeeff"),
    ] {
        match tokio_tungstenite::connect_async(url).await {
            Err(Error::Http(resp)) => {
                assert_eq!(resp.status(), 401);
                let body: Value = serde_json::from_slice(resp.body().as_deref().unwrap()).unwrap();
                assert_eq!(body["field"], "token");
            }
            other => panic!("expected 401, got {:?}", other.map(|_| ())),
        }
    }
    desk.shutdown().await;
}

#[tokio::test]
async fn pop_reaches_on_duty_console_and_not_away_console() {
    let (desk, mut rx, _) = start(|_| {}).await;
    let addr = desk.local_addr();
    let mut on = connect(addr, &login(addr, "wangli", "mima1").await).await;
    let mut away = connect(addr, &login(addr, "zhaogang", "mima2").await).await;
    let mut captain = connect(addr, &login(addr, "sunmei", "mima3").await).await;
    let hello = next(&mut on).await;
    assert_eq!(
        (hello["v"].as_i64(), hello["type"].as_str()),
        (Some(1), Some("hello"))
    );
    assert_eq!(hello["on_duty"], true);
    assert_eq!(next(&mut away).await["type"], "hello");
    assert_eq!(next(&mut captain).await["on_duty"], false);

    send(&mut away, json!({"v":1,"type":"state.set","state":"away"})).await;
    let ack = next(&mut away).await;
    assert_eq!(
        (ack["type"].as_str(), ack["state"].as_str()),
        (Some("operator.state"), Some("away"))
    );
    assert_eq!(ack["on_duty"], false);
    let cmd = command(&mut rx, |c| matches!(c, DeskCommand::SetState { .. })).await;
    let DeskCommand::SetState {
        staff,
        state,
        previous,
    } = cmd
    else {
        unreachable!()
    };
    assert_eq!(
        (staff.id, state, previous),
        (2, OperatorState::Away, OperatorState::Available)
    );
    let duty: Vec<i64> = desk.on_duty().iter().map(|d| d.staff.id).collect();
    assert_eq!(duty, [1]);

    // Published as if the INVITE had arrived 30 ms ago: the pop's one sample must count
    // from that instant to the frame's write, no less and no more.
    let invite_at = Instant::now() - POP_AGE;
    desk.publish_at(ringing("call-1"), invite_at);
    let pop = next(&mut on).await;
    assert_eq!(pop["type"], "call.ringing");
    assert_eq!(pop["call_id"], "call-1");
    assert_eq!(pop["number_dialled"], "51663371");
    assert_eq!(pop["caller_raw"], "010-65123456");
    assert_eq!(pop["pop"]["households"][0]["members"][0]["name"], "范先翔");
    assert!(pop["arrived_at"].as_str().unwrap().ends_with('Z'));
    assert!(frames_before_pong(&mut away).await.is_empty());
    assert!(frames_before_pong(&mut captain).await.is_empty());

    let operator = OperatorRef {
        staff_id: 1,
        display_name: "王丽".into(),
        extension: Some("801".into()),
    };
    desk.publish(DeskEvent::CallOffered {
        call_id: "call-1".into(),
        operator: operator.clone(),
    });
    desk.publish(DeskEvent::CallAnswered {
        call_id: "call-1".into(),
        operator,
    });
    desk.publish(DeskEvent::CallEnded {
        call_id: "call-1".into(),
        outcome: CallOutcome::Answered,
        duration_s: 42,
    });
    assert_eq!(next(&mut on).await["type"], "call.offered");
    let answered = next(&mut on).await;
    assert_eq!(
        (
            answered["type"].as_str(),
            answered["operator"]["staff_id"].as_i64()
        ),
        (Some("call.answered"), Some(1))
    );
    let ended = next(&mut on).await;
    assert_eq!(
        (ended["outcome"].as_str(), ended["duration_s"].as_u64()),
        (Some("answered"), Some(42))
    );

    // the pop's write was timed: one sample (the on-duty console's frame), from the
    // INVITE's instant to the write
    let lat = desk.pop_latencies();
    let since_invite = invite_at.elapsed();
    assert_eq!(lat.count, 1, "{lat:?}");
    assert_eq!(lat.min, lat.max, "one sample: {lat:?}");
    assert!(
        lat.min >= POP_AGE && lat.max <= since_invite,
        "the sample must lie between {POP_AGE:?} and {since_invite:?}: {lat:?}"
    );
    desk.shutdown().await;
}

#[tokio::test]
async fn reconnecting_console_gets_the_call_in_progress() {
    let (desk, _rx, _) = start(|_| {}).await;
    let addr = desk.local_addr();
    let token = login(addr, "wangli", "mima1").await;
    let mut ws = connect(addr, &token).await;
    assert_eq!(next(&mut ws).await["calls"], json!([]));
    desk.publish(ringing("call-7"));
    desk.publish(DeskEvent::CallQueued {
        call_id: "call-7".into(),
        position: 2,
    });
    assert_eq!(next(&mut ws).await["type"], "call.ringing");
    assert_eq!(next(&mut ws).await["position"], 2);
    ws.close(None).await.unwrap();
    drop(ws);

    let mut again = connect(addr, &token).await;
    let hello = next(&mut again).await;
    assert_eq!(hello["type"], "hello");
    let calls = hello["calls"].as_array().unwrap();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0]["call_id"], "call-7");
    assert_eq!(calls[0]["status"], "queued");
    assert_eq!(calls[0]["queue_position"], 2);
    assert_eq!(calls[0]["pop"]["households"][0]["id"], 10);

    desk.publish(DeskEvent::CallEnded {
        call_id: "call-7".into(),
        outcome: CallOutcome::Abandoned,
        duration_s: 9,
    });
    assert_eq!(next(&mut again).await["type"], "call.ended");
    let mut third = connect(addr, &token).await;
    assert_eq!(next(&mut third).await["calls"], json!([]));
    desk.shutdown().await;
}

#[tokio::test]
async fn stalled_console_is_dropped_without_holding_up_others() {
    let (desk, mut rx, _) = start(|c| {
        c.console_queue = 8;
        c.write_timeout = Duration::from_secs(60);
    })
    .await;
    let addr = desk.local_addr();
    let mut healthy = connect(addr, &login(addr, "wangli", "mima1").await).await;
    assert_eq!(next(&mut healthy).await["type"], "hello");

    // The stalled console: a small receive buffer, and it never reads.
    let token = login(addr, "zhaogang", "mima2").await;
    let sock = TcpSocket::new_v4().unwrap();
    sock.set_recv_buffer_size(4096).unwrap();
    let stream = sock.connect(addr).await.unwrap();
    let t = ticket(addr, &token).await;
    let (_stalled, _) =
        tokio_tungstenite::client_async(format!("ws://{addr}/ws?ticket={t}"), stream)
            .await
            .unwrap();
    command(
        &mut rx,
        |c| matches!(c, DeskCommand::ConsoleConnected { staff, .. } if staff.id == 2),
    )
    .await;

    let big = "居".repeat(20_000); // ~60 KB per pop
    let mut published = 0;
    while desk.stats().dropped_slow == 0 {
        assert!(published < 2_000, "stalled console never dropped");
        let pop = json!({ "households": [], "note": big });
        desk.publish(
            DeskEvent::ringing(format!("c{published}"), "51663371", "", Utc::now(), &pop).unwrap(),
        );
        published += 1;
        // the healthy console keeps up and gets every pop, in order
        let f = next(&mut healthy).await;
        assert_eq!(f["call_id"], format!("c{}", published - 1));
    }
    let gone = command(
        &mut rx,
        |c| matches!(c, DeskCommand::ConsoleDisconnected { staff, .. } if staff.id == 2),
    )
    .await;
    let DeskCommand::ConsoleDisconnected {
        reason, consoles, ..
    } = gone
    else {
        unreachable!()
    };
    assert_eq!((reason, consoles), (DisconnectReason::SlowConsumer, 0));
    let duty: Vec<i64> = desk.on_duty().iter().map(|d| d.staff.id).collect();
    assert_eq!(duty, [1]);
    // the healthy console is still served
    desk.publish(DeskEvent::CallEnded {
        call_id: "c0".into(),
        outcome: CallOutcome::Abandoned,
        duration_s: 1,
    });
    assert_eq!(next(&mut healthy).await["type"], "call.ended");
    desk.shutdown().await;
}

#[tokio::test]
async fn silent_console_is_dropped_after_ping_timeout() {
    let (desk, mut rx, _) = start(|c| {
        c.ping_interval = Duration::from_millis(100);
        c.pong_timeout = Duration::from_millis(400);
    })
    .await;
    let addr = desk.local_addr();
    // Never reads, so never answers the server's pings.
    let _silent = connect(addr, &login(addr, "wangli", "mima1").await).await;
    let gone = command(&mut rx, |c| {
        matches!(c, DeskCommand::ConsoleDisconnected { .. })
    })
    .await;
    let DeskCommand::ConsoleDisconnected { reason, .. } = gone else {
        unreachable!()
    };
    assert_eq!(reason, DisconnectReason::PingTimeout);
    assert_eq!(desk.stats().consoles, 0);
    desk.shutdown().await;
}

#[tokio::test]
async fn bad_commands_get_an_error_naming_the_field() {
    let (desk, mut rx, _) = start(|_| {}).await;
    let addr = desk.local_addr();
    let mut ws = connect(addr, &login(addr, "wangli", "mima1").await).await;
    next(&mut ws).await;
    for (frame, field) in [
        (
            json!({"v":1,"type":"state.set","state":"sleeping","id":"a"}),
            "state",
        ),
        (json!({"v":1,"type":"state.set"}), "state"),
        (json!({"v":1,"type":"dance"}), "type"),
        (json!({"v":1}), "type"),
        (json!({"v":9,"type":"ping"}), "v"),
    ] {
        send(&mut ws, frame).await;
        let e = next(&mut ws).await;
        assert_eq!(
            (e["type"].as_str(), e["field"].as_str()),
            (Some("error"), Some(field))
        );
        assert!(!e["message"].as_str().unwrap().is_empty());
    }
    ws.send(Message::text("{oops")).await.unwrap();
    assert_eq!(next(&mut ws).await["field"], "json");
    // still usable afterwards
    send(
        &mut ws,
        json!({"v":1,"type":"state.set","state":"after_call"}),
    )
    .await;
    assert_eq!(next(&mut ws).await["state"], "after_call");
    let c = command(&mut rx, |c| matches!(c, DeskCommand::SetState { .. })).await;
    assert!(matches!(
        c,
        DeskCommand::SetState {
            state: OperatorState::AfterCall,
            ..
        }
    ));
    assert_eq!(desk.operator_state(1), Some(OperatorState::AfterCall));
    desk.shutdown().await;
}

#[tokio::test]
async fn supervisor_sees_operators_and_logout_closes_console() {
    let (desk, _rx, _) = start(|_| {}).await;
    let addr = desk.local_addr();
    let mut sup = connect(addr, &login(addr, "liuzhu", "mima4").await).await;
    assert_eq!(next(&mut sup).await["staff"]["role"], "supervisor");
    let token = login(addr, "wangli", "mima1").await;
    let mut op = connect(addr, &token).await;
    next(&mut op).await;
    let seen = next(&mut sup).await;
    assert_eq!(
        (
            seen["type"].as_str(),
            seen["staff_id"].as_i64(),
            seen["on_duty"].as_bool()
        ),
        (Some("operator.state"), Some(1), Some(true))
    );

    let (s, _) = http(addr, "POST", "/api/logout", Some(&token), None).await;
    assert_eq!(s, 204);
    // the operator's console is closed by the server
    loop {
        match timeout(WAIT, op.next()).await.expect("closed in time") {
            None | Some(Err(_)) | Some(Ok(Message::Close(_))) => break,
            Some(Ok(_)) => continue,
        }
    }
    let off = next(&mut sup).await;
    assert_eq!(
        (off["staff_id"].as_i64(), off["on_duty"].as_bool()),
        (Some(1), Some(false))
    );
    desk.shutdown().await;
}

/// `GET /api/stats` until the pop latency count reaches `count` (frames are timed just
/// after their flush, so a console can read a frame a moment before it is counted).
async fn stats_with_pops(addr: SocketAddr, token: &str, count: u64) -> Value {
    let deadline = Instant::now() + WAIT;
    loop {
        let (s, v) = http_json(addr, "GET", "/api/stats", Some(token), None).await;
        assert_eq!(s, 200, "{v}");
        if v["pop_latency_us"]["count"].as_u64() == Some(count) || Instant::now() > deadline {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn stats_only_for_supervisors_and_admins() {
    let (desk, _rx, dir) = start(|_| {}).await;
    dir.add_staff(staff(5, "guanli", "管理员", Role::Admin), "mima5");
    let addr = desk.local_addr();

    let (s, v) = http_json(addr, "GET", "/api/stats", None, None).await;
    assert_eq!((s, v["field"].as_str()), (401, Some("token")));
    for (user, pw) in [("wangli", "mima1"), ("sunmei", "mima3")] {
        let token = login(addr, user, pw).await;
        for (method, path) in [("GET", "/api/stats"), ("POST", "/api/stats/reset")] {
            let (s, v) = http_json(addr, method, path, Some(&token), None).await;
            assert_eq!(s, 403, "{user} {method} {path}: {v}");
            assert_eq!(v["field"], "role");
            assert_eq!(v["error"], "只有督导或管理员可以查看服务器统计");
        }
    }
    for (user, pw) in [("liuzhu", "mima4"), ("guanli", "mima5")] {
        let token = login(addr, user, pw).await;
        let (s, v) = http_json(addr, "GET", "/api/stats", Some(&token), None).await;
        assert_eq!(s, 200, "{user}: {v}");
        assert_eq!(v["pop_latency_us"]["count"], 0);
        assert_eq!(v["consoles"], 0);
    }
    desk.shutdown().await;
}

#[tokio::test]
async fn stats_count_pops_and_reset_forgets_them() {
    let (desk, _rx, _) = start(|_| {}).await;
    let addr = desk.local_addr();
    let mut a = connect(addr, &login(addr, "wangli", "mima1").await).await;
    let mut b = connect(addr, &login(addr, "zhaogang", "mima2").await).await;
    assert_eq!(next(&mut a).await["type"], "hello");
    assert_eq!(next(&mut b).await["type"], "hello");
    let boss = login(addr, "liuzhu", "mima4").await;

    // published with t0 10 s ago: every sample is at least 10,000,000 µs
    let t0 = Instant::now() - Duration::from_secs(10);
    desk.publish_at(ringing("call-1"), t0);
    desk.publish_at(ringing("call-2"), t0);
    for ws in [&mut a, &mut b] {
        assert_eq!(next(ws).await["call_id"], "call-1");
        assert_eq!(next(ws).await["call_id"], "call-2");
    }
    let v = stats_with_pops(addr, &boss, 4).await;
    let lat = &v["pop_latency_us"];
    assert_eq!(lat["count"], 4, "{v}");
    let figure = |k: &str| lat[k].as_u64().unwrap();
    assert!(figure("min") >= 10_000_000, "{v}");
    assert!(figure("min") <= figure("median"));
    assert!(figure("median") <= figure("p99"));
    assert!(figure("p99") <= figure("max"));
    assert!(figure("mean") >= figure("min") && figure("mean") <= figure("max"));
    assert_eq!(v["consoles"], 2);
    assert_eq!(v["live_calls"], 2);
    assert_eq!(v["published"], 2);
    assert!(
        v["frames_written"].as_u64().unwrap() >= 6,
        "hellos and pops: {v}"
    );
    assert_eq!(v["dropped_slow"], 0);

    // reset forgets the samples but not the counters
    let (s, v) = http_json(addr, "POST", "/api/stats/reset", Some(&boss), None).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["pop_latency_us"]["count"], 0);
    assert_eq!(v["pop_latency_us"]["max"], 0);
    assert_eq!(v["published"], 2);
    assert_eq!(desk.pop_latencies().count, 0);

    desk.publish_at(ringing("call-3"), Instant::now());
    for ws in [&mut a, &mut b] {
        assert_eq!(next(ws).await["call_id"], "call-3");
    }
    let v = stats_with_pops(addr, &boss, 2).await;
    assert_eq!(v["pop_latency_us"]["count"], 2, "{v}");
    assert!(
        v["pop_latency_us"]["max"].as_u64().unwrap() < 10_000_000,
        "old samples forgotten: {v}"
    );
    assert_eq!(v["live_calls"], 3);
    desk.shutdown().await;
}

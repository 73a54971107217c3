//! The desk on the real database: the demo community from `lianxin-store`, reached through
//! `impl Directory for Store`, with a console on a WebSocket.

mod http;
use http::request;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use futures_util::StreamExt;
use lianxin_desk::{Desk, DeskConfig, DeskEvent, Pop};
use lianxin_store::demo::DemoOptions;
use lianxin_store::Store;
use serde_json::Value;
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::Message;

const WAIT: Duration = Duration::from_secs(20);

async fn http_json(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: &str,
) -> (u16, Value) {
    request(addr, method, path, token, body.as_bytes().to_vec()).await
}

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<TcpStream>>;

async fn next(ws: &mut Ws) -> Value {
    loop {
        match timeout(WAIT, ws.next()).await.unwrap().unwrap().unwrap() {
            Message::Text(t) => return serde_json::from_str::<Value>(t.as_str()).unwrap(),
            _ => continue,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_database_pops_known_and_unknown_callers() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path().join("demo.db")).unwrap();
    let s2 = store.clone();
    tokio::task::spawn_blocking(move || {
        s2.generate_demo(
            &DemoOptions {
                seed: 7,
                households: 50,
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
    let addr = desk.local_addr();

    let (status, v) = http_json(
        addr,
        "POST",
        "/api/login",
        None,
        r#"{"username":"8001","password":"wrong"}"#,
    )
    .await;
    assert_eq!((status, v["field"].as_str()), (401, Some("password")));
    let (status, v) = http_json(
        addr,
        "POST",
        "/api/login",
        None,
        r#"{"username":"8001","password":"demo8001"}"#,
    )
    .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["staff"]["role"], "operator");
    let token = v["token"].as_str().unwrap().to_owned();

    let (status, v) = http_json(addr, "POST", "/api/ticket", Some(&token), "").await;
    assert_eq!(status, 200, "{v}");
    let ticket = v["ticket"].as_str().unwrap().to_owned();
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/ws?ticket={ticket}"))
        .await
        .unwrap();
    assert_eq!(next(&mut ws).await["type"], "hello");

    // 范先翔's household (seed 000), from the landline as the trunk sends it.
    let caller = store.normalize("+86 10 6512 3456");
    let pop = store.screen_pop(&caller, Utc::now()).unwrap();
    desk.publish_at(
        DeskEvent::ringing("k1", "51663371", "+861065123456", Utc::now(), &pop).unwrap(),
        Instant::now(),
    );
    let f = next(&mut ws).await;
    assert_eq!(f["type"], "call.ringing");
    let names: Vec<&str> = f["pop"]["matches"][0]["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"范先翔"), "{names:?}");
    assert!(f["pop"]["matches"][0]["block"]["captain_name"].is_string());

    // An unknown number pops as such; the operator finds the household and attaches it.
    let caller = store.normalize("13700000001");
    let pop = store.screen_pop(&caller, Utc::now()).unwrap();
    desk.publish(DeskEvent::CallRinging {
        call_id: "k2".into(),
        number_dialled: "51663371".into(),
        caller_raw: "13700000001".into(),
        pop: Pop::lossy(&pop),
        arrived_at: Utc::now(),
    });
    let f = next(&mut ws).await;
    assert_eq!(f["pop"]["matches"], serde_json::json!([]));
    let q = "/api/households/search?q=%E8%8C%83%E5%85%88%E7%BF%94"; // 范先翔
    let (status, v) = http_json(addr, "GET", q, Some(&token), "").await;
    assert_eq!(status, 200, "{v}");
    let id = v["households"][0]["id"].as_i64().unwrap();
    let (status, v) = http_json(
        addr,
        "POST",
        &format!("/api/households/{id}/numbers"),
        Some(&token),
        r#"{"number":"13700000001"}"#,
    )
    .await;
    assert_eq!(status, 201, "{v}");
    assert_eq!(v["normalized"], "13700000001");
    let again = store.screen_pop(&caller, Utc::now()).unwrap();
    assert_eq!(again.matches.len(), 1);
    let (status, v) = http_json(
        addr,
        "POST",
        &format!("/api/households/{id}/numbers"),
        Some(&token),
        r#"{"number":"abc"}"#,
    )
    .await;
    assert_eq!((status, v["field"].as_str()), (400, Some("number")));
    let (status, v) = http_json(
        addr,
        "POST",
        "/api/households/999999/numbers",
        Some(&token),
        r#"{"number":"13700000002"}"#,
    )
    .await;
    assert_eq!((status, v["field"].as_str()), (404, Some("id")));

    let (status, v) = http_json(addr, "GET", "/api/voice-messages", Some(&token), "").await;
    assert_eq!(status, 200, "{v}");
    assert!(v["voice_messages"].is_array());
    assert_eq!(desk.pop_latencies().count, 1);
    desk.shutdown().await;
}

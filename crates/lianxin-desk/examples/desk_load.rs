//! Load check of the desk alone: N consoles on 127.0.0.1, screen-pops published at R calls
//! per second, each call ending 2 s later. Prints the time from `publish_at` to the frame
//! written on each console's socket (min / median / p99 / max) and whether every console
//! got every pop. The hotline's benchmark adds the INVITE parsing and database lookup in
//! front of this.
//!
//! ```sh
//! cargo run --release -p lianxin-desk --example desk_load -- 50 200 10
//! #                                                    consoles rate seconds
//! ```

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use futures_util::StreamExt;
use lianxin_desk::{CallOutcome, Desk, DeskConfig, DeskEvent, MemoryDirectory, Role, Staff};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

#[tokio::main]
async fn main() {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .map(|a| a.parse().expect("numbers: consoles rate seconds"))
        .collect();
    let consoles = args.first().copied().unwrap_or(50);
    let rate = args.get(1).copied().unwrap_or(200).max(1);
    let seconds = args.get(2).copied().unwrap_or(10);

    let dir = MemoryDirectory::new();
    for i in 0..consoles {
        dir.add_staff(
            Staff {
                id: i as i64 + 1,
                username: format!("op{i}"),
                display_name: format!("值班员{i}"),
                role: Role::Operator,
                extension: Some(format!("{}", 8000 + i)),
            },
            "pw",
        );
    }
    // Every console comes from 127.0.0.1: lift the per-address connection cap.
    let mut config = DeskConfig::new("127.0.0.1:0".parse().unwrap());
    config.max_connections_per_source = config.max_connections;
    let (desk, mut commands) = Desk::start(config, Arc::new(dir))
        .await
        .expect("desk starts");
    tokio::spawn(async move { while commands.recv().await.is_some() {} });
    let addr = desk.local_addr();

    let received = Arc::new(AtomicU64::new(0));
    let mut readers = Vec::new();
    for i in 0..consoles {
        let token = login(addr, &format!("op{i}")).await;
        // The token goes in the header, never in the URL.
        let mut req = format!("ws://{addr}/ws")
            .into_client_request()
            .expect("ws request");
        req.headers_mut().insert(
            "authorization",
            format!("Bearer {token}").parse().expect("header"),
        );
        let (mut ws, _) = tokio_tungstenite::connect_async(req)
            .await
            .expect("console connects");
        let received = received.clone();
        readers.push(tokio::spawn(async move {
            while let Some(Ok(msg)) = ws.next().await {
                if let Message::Text(t) = msg {
                    if t.as_str().contains("\"call.ringing\"") {
                        received.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;

    // A realistic pop: one household, three members, five requests, some history.
    let pop = json!({
        "caller": {"type": "number", "number": "01065123456", "kind": "landline"},
        "matches": [{
            "household_id": 1, "code": "CYM000001", "address": "内务部街27号院3号楼2单元501",
            "dwelling": "flat", "notes": "",
            "block": {"id": 1, "name": "第一片区", "captain_name": "李建国", "captain_phone": "13801010001"},
            "members": (0..3).map(|k| json!({"name": format!("居民{k}"), "sex": "female", "age": 40 + k, "work": "退休", "skills": "书法", "notes": ""})).collect::<Vec<_>>(),
            "groups": ["低保人员家庭", "社区车主"],
            "requests": (0..5).map(|k| json!({"id": k, "created": "2026-11-10T01:00:00Z", "category_item": "就业", "category_class": "求职", "content": "想找一份离家近的工作，最好是白班", "open": k == 0, "alarm": "orange", "deadline": "2026-11-18T01:00:00Z", "result": "已推荐到社区食堂"})).collect::<Vec<_>>(),
            "calls": (0..5).map(|k| json!({"id": k, "arrived": "2026-11-10T00:58:00Z", "direction": "in", "outcome": "answered", "operator": "王丽"})).collect::<Vec<_>>(),
            "voice_messages": [], "campaign_results": []
        }]
    });
    let pop_bytes = pop.to_string().len();

    let total = rate * seconds;
    let start = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / rate as f64));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let live = (2 * rate) as usize;
    for n in 0..total {
        tick.tick().await;
        let event = DeskEvent::ringing(
            format!("call-{n}"),
            "51663371",
            "65123456",
            Utc::now(),
            &pop,
        )
        .expect("pop serializes");
        desk.publish_at(event, Instant::now());
        if n as usize >= live {
            desk.publish(DeskEvent::CallEnded {
                call_id: format!("call-{}", n as usize - live),
                outcome: CallOutcome::Answered,
                duration_s: 2,
            });
        }
    }
    let took = start.elapsed();
    tokio::time::sleep(Duration::from_secs(1)).await;

    let s = desk.pop_latencies();
    let st = desk.stats();
    println!(
        "desk_load: {consoles} consoles, {total} calls at {rate}/s in {:.1} s, pop {pop_bytes} bytes",
        took.as_secs_f64()
    );
    println!(
        "publish -> frame written: n={} min={:?} median={:?} p99={:?} max={:?} mean={:?}",
        s.count, s.min, s.median, s.p99, s.max, s.mean
    );
    println!(
        "ringing frames received {} of {}; consoles dropped as slow: {}; consoles now {}",
        received.load(Ordering::Relaxed),
        total * consoles,
        st.dropped_slow,
        st.consoles
    );
    desk.shutdown().await;
    for r in readers {
        r.abort();
    }
}

async fn login(addr: SocketAddr, user: &str) -> String {
    let body = json!({"username": user, "password": "pw"}).to_string();
    let mut s = TcpStream::connect(addr).await.expect("connect");
    let req = format!(
        "POST /api/login HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.expect("write");
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).await.expect("read");
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("http head");
    let v: serde_json::Value = serde_json::from_slice(&raw[split + 4..]).expect("json");
    v["token"].as_str().expect("token").to_owned()
}

//! The console side of the hotline benchmark (`deploy/bench/hotline_pop.sh`): logs in to a
//! running `lianxin serve`, opens N WebSocket consoles (round-robin over the given
//! log-ins, so several consoles share one operator), and counts the frames each console
//! receives until a stop file appears. Then it prints one line per console and a summary
//! the script reads:
//!
//! ```text
//! consoles=50 open_at_end=50 ringing_min=4000 ringing_max=4000 ringing_total=200000 unknown_max=400 ended_total=200000 distinct_calls=4000
//! ```
//!
//! ```sh
//! cargo run --release -p lianxin-desk --example pop_consoles -- \
//!     127.0.0.1:18080 50 /tmp/stop-file 8001:demo8001 8002:demo8002 8003:demo8003
//! ```
//!
//! It writes `ready` on standard output once every console has its `hello`.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

/// What one console saw.
#[derive(Debug, Default, Clone)]
struct Seen {
    ringing: u64,
    /// Pops of callers with no household (unknown or withheld numbers).
    unknown: u64,
    ended: u64,
    other: u64,
    /// The socket was closed (by the server or an error) before the stop file appeared.
    closed: Option<String>,
}

fn usage() -> ! {
    eprintln!("usage: pop_consoles HTTP_ADDR CONSOLES STOP_FILE USER:PASSWORD...");
    std::process::exit(2)
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 4 {
        usage();
    }
    let addr: SocketAddr = args[0].parse().unwrap_or_else(|_| usage());
    let n: usize = args[1].parse().unwrap_or_else(|_| usage());
    let stop = PathBuf::from(&args[2]);
    let logins: Vec<(String, String)> = args[3..]
        .iter()
        .map(|a| match a.split_once(':') {
            Some((u, p)) => (u.to_owned(), p.to_owned()),
            None => usage(),
        })
        .collect();

    let mut tokens = Vec::new();
    for (user, pw) in &logins {
        match login(addr, user, pw).await {
            Ok(t) => tokens.push(t),
            Err(e) => {
                eprintln!("pop_consoles: log-in of {user} failed: {e}");
                std::process::exit(1);
            }
        }
    }

    let calls = Arc::new(Mutex::new(HashSet::<String>::new()));
    let mut consoles = Vec::new();
    let mut hellos = Vec::new();
    for i in 0..n {
        let token = &tokens[i % tokens.len()];
        // The token goes in the header, never in the URL.
        let mut req = match format!("ws://{addr}/ws").into_client_request() {
            Ok(r) => r,
            Err(e) => {
                eprintln!("pop_consoles: bad address {addr}: {e}");
                std::process::exit(1);
            }
        };
        if let Ok(v) = format!("Bearer {token}").parse() {
            req.headers_mut().insert("authorization", v);
        }
        let (mut ws, _) = match tokio_tungstenite::connect_async(req).await {
            Ok(x) => x,
            Err(e) => {
                eprintln!("pop_consoles: console {i} cannot connect: {e}");
                std::process::exit(1);
            }
        };
        let (hello_tx, hello_rx) = oneshot::channel::<()>();
        hellos.push(hello_rx);
        let calls = calls.clone();
        let cell = Arc::new(Mutex::new(Seen::default()));
        consoles.push(cell.clone());
        tokio::spawn(async move {
            let lock = || cell.lock().unwrap_or_else(|e| e.into_inner());
            let mut hello = Some(hello_tx);
            loop {
                match ws.next().await {
                    Some(Ok(Message::Text(t))) => {
                        let v: Value = serde_json::from_str(t.as_str()).unwrap_or(Value::Null);
                        match v["type"].as_str() {
                            Some("hello") => {
                                if let Some(h) = hello.take() {
                                    let _ = h.send(());
                                }
                            }
                            Some("call.ringing") => {
                                let unknown =
                                    v["pop"]["matches"].as_array().is_none_or(|m| m.is_empty());
                                {
                                    let mut s = lock();
                                    s.ringing += 1;
                                    s.unknown += u64::from(unknown);
                                }
                                if let Some(id) = v["call_id"].as_str() {
                                    let mut c = calls.lock().unwrap_or_else(|e| e.into_inner());
                                    if !c.contains(id) {
                                        c.insert(id.to_owned());
                                    }
                                }
                            }
                            Some("call.ended") => lock().ended += 1,
                            _ => lock().other += 1,
                        }
                    }
                    // tungstenite answers pings by itself while we read
                    Some(Ok(_)) => {}
                    Some(Err(e)) => {
                        lock().closed = Some(e.to_string());
                        return;
                    }
                    None => {
                        lock().closed = Some("closed by the server".into());
                        return;
                    }
                }
            }
        });
    }
    for (i, h) in hellos.into_iter().enumerate() {
        if tokio::time::timeout(Duration::from_secs(10), h)
            .await
            .is_err()
        {
            eprintln!("pop_consoles: console {i} got no hello within 10 s");
            std::process::exit(1);
        }
    }
    println!("ready");

    while !stop.exists() {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The consoles are still reading; take their counts as they are now.
    let results: Vec<Seen> = consoles
        .iter()
        .map(|c| c.lock().unwrap_or_else(|e| e.into_inner()).clone())
        .collect();
    print_results(&results, &calls);
}

fn print_results(results: &[Seen], calls: &Mutex<HashSet<String>>) {
    for (i, s) in results.iter().enumerate() {
        println!(
            "console {i:>3}: call.ringing {} (unknown callers {}) call.ended {} other {}{}",
            s.ringing,
            s.unknown,
            s.ended,
            s.other,
            s.closed
                .as_deref()
                .map(|c| format!(" CLOSED: {c}"))
                .unwrap_or_default()
        );
    }
    let ringing: Vec<u64> = results.iter().map(|s| s.ringing).collect();
    println!(
        "consoles={} open_at_end={} ringing_min={} ringing_max={} ringing_total={} unknown_max={} ended_total={} distinct_calls={}",
        results.len(),
        results.iter().filter(|s| s.closed.is_none()).count(),
        ringing.iter().min().copied().unwrap_or(0),
        ringing.iter().max().copied().unwrap_or(0),
        ringing.iter().sum::<u64>(),
        results.iter().map(|s| s.unknown).max().unwrap_or(0),
        results.iter().map(|s| s.ended).sum::<u64>(),
        calls.lock().unwrap_or_else(|e| e.into_inner()).len()
    );
}

async fn login(addr: SocketAddr, user: &str, password: &str) -> Result<String, String> {
    let body = json!({"username": user, "password": password}).to_string();
    let mut s = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    let req = format!(
        "POST /api/login HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).await.map_err(|e| e.to_string())?;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("no HTTP head")?;
    let v: Value = serde_json::from_slice(&raw[split + 4..]).map_err(|e| e.to_string())?;
    v["token"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("no token in {v}"))
}

//! `/healthz` and the ticket lifetime at the desk's level, with the in-memory directory:
//! a part that is not alive (or does not answer) turns the answer into 503, and a ticket
//! older than `ticket_ttl` is refused.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use lianxin_desk::{Desk, DeskConfig, HealthProbe, MemoryDirectory, Role, Staff};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

struct Switch(Arc<AtomicBool>);

impl HealthProbe for Switch {
    fn name(&self) -> &'static str {
        "sip"
    }

    fn alive(&self) -> Pin<Box<dyn Future<Output = bool> + Send + '_>> {
        let up = self.0.load(Ordering::SeqCst);
        Box::pin(async move { up })
    }
}

struct Stuck;

impl HealthProbe for Stuck {
    fn name(&self) -> &'static str {
        "hotline"
    }

    fn alive(&self) -> Pin<Box<dyn Future<Output = bool> + Send + '_>> {
        Box::pin(std::future::pending())
    }
}

async fn http(addr: SocketAddr, method: &str, path: &str, token: Option<&str>) -> (u16, Value) {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let body = if path == "/api/login" {
        r#"{"username":"wangli","password":"mima1"}"#
    } else {
        ""
    };
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n{auth}Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut raw))
        .await
        .unwrap()
        .unwrap();
    let text = String::from_utf8_lossy(&raw).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

fn directory() -> Arc<MemoryDirectory> {
    let dir = MemoryDirectory::new();
    dir.add_staff(
        Staff {
            id: 1,
            username: "wangli".into(),
            display_name: "王丽".into(),
            role: Role::Operator,
            extension: None,
        },
        "mima1",
    );
    Arc::new(dir)
}

#[tokio::test]
async fn healthz_is_503_while_a_part_is_down_or_silent() {
    let mut cfg = DeskConfig::new("127.0.0.1:0".parse().unwrap());
    cfg.ticket_ttl = Duration::from_millis(300);
    let (desk, _rx) = Desk::start(cfg, directory()).await.unwrap();
    let addr = desk.local_addr();
    let (s, v) = http(addr, "GET", "/healthz", None).await;
    assert_eq!((s, v["parts"]["store"].as_bool()), (200, Some(true)), "{v}");

    let up = Arc::new(AtomicBool::new(true));
    desk.add_health_probe(Arc::new(Switch(up.clone())));
    let (s, v) = http(addr, "GET", "/healthz", None).await;
    assert_eq!((s, v["parts"]["sip"].as_bool()), (200, Some(true)), "{v}");
    up.store(false, Ordering::SeqCst);
    let (s, v) = http(addr, "GET", "/healthz", None).await;
    assert_eq!(s, 503, "{v}");
    assert_eq!(v["status"], "failing");
    assert_eq!(v["parts"]["sip"], false);
    up.store(true, Ordering::SeqCst);
    assert_eq!(http(addr, "GET", "/healthz", None).await.0, 200);

    // A part that never answers counts as dead after the probe timeout.
    desk.add_health_probe(Arc::new(Stuck));
    let (s, v) = http(addr, "GET", "/healthz", None).await;
    assert_eq!(
        (s, v["parts"]["hotline"].as_bool()),
        (503, Some(false)),
        "{v}"
    );
    desk.shutdown().await;
}

#[tokio::test]
async fn an_expired_ticket_is_refused() {
    let mut cfg = DeskConfig::new("127.0.0.1:0".parse().unwrap());
    cfg.ticket_ttl = Duration::from_millis(300);
    let (desk, _rx) = Desk::start(cfg, directory()).await.unwrap();
    let addr = desk.local_addr();
    let (s, v) = http(addr, "POST", "/api/login", None).await;
    assert_eq!(s, 200, "{v}");
    let token = v["token"].as_str().unwrap().to_owned();
    let (s, v) = http(addr, "POST", "/api/ticket", Some(&token)).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["expires_in_s"], 0);
    let ticket = v["ticket"].as_str().unwrap().to_owned();
    tokio::time::sleep(Duration::from_millis(400)).await;
    match tokio_tungstenite::connect_async(format!("ws://{addr}/ws?ticket={ticket}")).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => assert_eq!(resp.status(), 401),
        other => panic!("expected 401, got {:?}", other.map(|_| ())),
    }
    desk.shutdown().await;
}

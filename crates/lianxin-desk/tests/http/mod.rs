//! A plain HTTP/1.1 client for the desk's tests: one request per connection, the body
//! written while the answer is read (a refused upload may be answered, and closed,
//! before it is all sent), every wait bounded. Shared by the test files so that each
//! says only what it checks.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

/// How long an answer may take (an upload of a register is checked row by row).
pub const WAIT: Duration = Duration::from_secs(30);

/// An answer: status, head as text, body as bytes.
pub struct Answer {
    pub status: u16,
    pub head: String,
    pub body: Vec<u8>,
}

impl Answer {
    /// The body as JSON (`Null` when it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

/// Sends one request with this content type and body.
pub async fn send(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    content_type: &str,
    body: &[u8],
) -> Answer {
    let s = TcpStream::connect(addr).await.unwrap();
    let (mut rd, mut wr) = s.into_split();
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n{auth}Content-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let body = body.to_vec();
    let writer = tokio::spawn(async move {
        let _ = wr.write_all(head.as_bytes()).await;
        let _ = wr.write_all(&body).await;
        wr
    });
    let mut raw = Vec::new();
    let mut buf = vec![0u8; 64 << 10];
    loop {
        match timeout(WAIT, rd.read(&mut buf))
            .await
            .expect("answer in time")
        {
            Ok(0) | Err(_) => break,
            Ok(n) => raw.extend_from_slice(&buf[..n]),
        }
    }
    drop(writer);
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a head");
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    Answer {
        status,
        head,
        body: raw[split + 4..].to_vec(),
    }
}

/// A JSON request: status and JSON answer (`Null` when the body is not JSON).
pub async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Vec<u8>,
) -> (u16, Value) {
    let a = send(addr, method, path, token, "application/json", &body).await;
    (a.status, a.json())
}

/// A JSON request as `token`; a `Null` body sends nothing.
pub async fn call(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: &str,
    body: Value,
) -> (u16, Value) {
    let body = if body.is_null() {
        Vec::new()
    } else {
        body.to_string().into_bytes()
    };
    request(addr, method, path, Some(token), body).await
}

/// `POST /api/login` as it answers.
pub async fn try_login(addr: SocketAddr, user: &str, password: &str) -> (u16, Value) {
    let body = json!({ "username": user, "password": password }).to_string();
    request(addr, "POST", "/api/login", None, body.into_bytes()).await
}

/// Logs in (it must succeed): the token and the staff id.
pub async fn login(addr: SocketAddr, user: &str, password: &str) -> (String, i64) {
    let (status, v) = try_login(addr, user, password).await;
    assert_eq!(status, 200, "{v}");
    (
        v["token"].as_str().unwrap().to_owned(),
        v["staff"]["id"].as_i64().unwrap(),
    )
}

/// Asserts a refusal with this status naming `field`, in Chinese; returns the message.
pub fn assert_refused(got: (u16, Value), status: u16, field: &str) -> String {
    assert_eq!(got.0, status, "{}", got.1);
    assert_eq!(got.1["field"], field, "{}", got.1);
    let msg = got.1["error"].as_str().unwrap().to_owned();
    assert!(
        msg.chars().any(|c| c > '\u{2e80}'),
        "Chinese message: {msg}"
    );
    msg
}

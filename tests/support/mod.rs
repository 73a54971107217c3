//! Shared helpers for the integration tests that talk to real peers on 127.0.0.1:
//! free ports, sipp runs from templated scenarios, a minimal HTTP client for the console API,
//! and a WebSocket console client. Every wait is bounded.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A free UDP+TCP port on 127.0.0.1 (both protocols checked).
pub fn free_port() -> u16 {
    for _ in 0..200 {
        let udp = UdpSocket::bind("127.0.0.1:0").expect("bind udp");
        let port = udp.local_addr().expect("addr").port();
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free port found");
}

/// A free even UDP port with port+1 free too (for RTP/RTCP pairs).
pub fn free_rtp_port() -> u16 {
    for _ in 0..500 {
        let a = UdpSocket::bind("127.0.0.1:0").expect("bind udp");
        let p = a.local_addr().expect("addr").port();
        if p.is_multiple_of(2) && p < 65000 && UdpSocket::bind(("127.0.0.1", p + 1)).is_ok() {
            return p;
        }
    }
    panic!("no free rtp port found");
}

/// A sipp scenario from `tests/<dir>/<name>` with `@KEY@` placeholders filled in, written
/// to `dir`.
pub fn scenario(src: &str, vars: &[(&str, String)], dir: &Path) -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(src);
    let mut text = std::fs::read_to_string(&path).expect("read scenario");
    for (k, v) in vars {
        text = text.replace(&format!("@{k}@"), v);
    }
    assert!(
        !text.contains("@DELAY_MS@") && !text.contains("@CID@"),
        "unfilled placeholder in {src}"
    );
    std::fs::create_dir_all(dir).expect("scenario dir");
    let out = dir.join(Path::new(src).file_name().expect("file name"));
    std::fs::write(&out, text).expect("write scenario");
    out
}

/// A running sipp.
pub struct Sipp {
    child: Child,
    name: String,
    log: PathBuf,
}

impl Sipp {
    /// Starts sipp with `args` (scenario, addresses...) plus common flags; logs go to `dir`.
    pub fn start(name: &str, dir: &Path, args: &[String]) -> Sipp {
        let log = dir.join(format!("{name}.log"));
        let errs = dir.join(format!("{name}_errors.log"));
        let mut cmd = Command::new("sipp");
        cmd.args(args)
            .args(["-nostdin", "-trace_err", "-error_file"])
            .arg(&errs)
            .args(["-trace_msg", "-message_file"])
            .arg(&log)
            .current_dir(dir)
            .env("TZ", "UTC")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let child = cmd
            .spawn()
            .expect("start sipp (apt-get install sip-tester)");
        Sipp {
            child,
            name: name.to_string(),
            log,
        }
    }

    /// Waits up to `limit` for sipp to exit; returns its exit code (None on timeout, when
    /// it is killed).
    pub fn wait(&mut self, limit: Duration) -> Option<i32> {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        None
    }

    /// Waits and asserts a clean exit (0 = all calls successful), printing sipp's logs if not.
    pub fn expect_success(&mut self, limit: Duration) {
        let code = self.wait(limit);
        if code != Some(0) {
            let log = std::fs::read_to_string(&self.log).unwrap_or_default();
            let tail: String = log
                .chars()
                .rev()
                .take(6000)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            panic!(
                "sipp {} exited with {:?}; message log tail:\n{tail}",
                self.name, code
            );
        }
    }

    /// The message log (what sipp sent and received, with timestamps).
    pub fn messages(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Sipp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// POSTs a JSON body to the console API; returns (status, body).
pub fn http_post(port: u16, path: &str, body: &str, token: Option<&str>) -> (u16, String) {
    http(port, "POST", path, Some(body), token)
}

/// GETs a path from the console API; returns (status, body).
pub fn http_get(port: u16, path: &str, token: Option<&str>) -> (u16, String) {
    http(port, "GET", path, None, token)
}

fn http(
    port: u16,
    method: &str,
    path: &str,
    body: Option<&str>,
    token: Option<&str>,
) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect http");
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let body = body.unwrap_or("");
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).expect("write http");
    let mut resp = Vec::new();
    let _ = s.read_to_end(&mut resp);
    let text = String::from_utf8_lossy(&resp).to_string();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

/// The console WebSocket's URL with a fresh one-use ticket (`POST /api/ticket`, the token
/// in the header): session tokens never go in URLs.
pub fn ws_url(port: u16, token: &str) -> String {
    let (status, body) = http_post(port, "/api/ticket", "", Some(token));
    assert_eq!(status, 200, "ticket refused: {body}");
    let v: serde_json::Value = serde_json::from_str(&body).expect("ticket json");
    let ticket = v["ticket"].as_str().expect("ticket");
    format!("ws://127.0.0.1:{port}/ws?ticket={ticket}")
}

/// Waits until `f` is true, polling every 50 ms, at most `limit`.
pub fn eventually(limit: Duration, mut f: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

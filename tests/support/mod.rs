//! Shared helpers for the integration tests that talk to real peers on 127.0.0.1:
//! free ports, sipp runs from templated scenarios, a minimal HTTP client for the console API,
//! a WebSocket console client (`console`) and known audio in and out (`audio`). Every wait
//! is bounded, and waits are for a condition (a port bound, an event), not a fixed time.
#![allow(dead_code)]

pub mod audio;
pub mod console;

use std::io::{Read, Write};
use std::net::{TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

/// Builds `dir/demo.db`, a demo community of `households` households, with the real
/// binary (`lianxin demo-data`), ignoring any `LIANXIN_DB`/`LIANXIN_CONFIG` of the caller.
/// A database left in `dir` by an earlier run (folders named by process id meet again
/// once ids wrap around) is removed first: demo data needs an empty database.
pub fn demo_database(dir: &Path, households: u32) -> PathBuf {
    let db = dir.join("demo.db");
    for stale in ["demo.db", "demo.db-wal", "demo.db-shm"] {
        let _ = std::fs::remove_file(dir.join(stale));
    }
    let status = Command::new(env!("CARGO_BIN_EXE_lianxin"))
        .env_remove("LIANXIN_DB")
        .env_remove("LIANXIN_CONFIG")
        .arg("--db")
        .arg(&db)
        .args(["demo-data", "--households", &households.to_string()])
        .stdout(Stdio::null())
        .status()
        .expect("run lianxin demo-data");
    assert!(status.success(), "demo-data failed");
    db
}

/// Runs `lianxin --db DB ARGS…` (ignoring any `LIANXIN_DB`/`LIANXIN_CONFIG` of the
/// caller) to the end.
pub fn lianxin(db: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_lianxin"))
        .arg("--db")
        .arg(db)
        .args(args)
        .env_remove("LIANXIN_DB")
        .env_remove("LIANXIN_CONFIG")
        .output()
        .unwrap()
}

/// [`lianxin`] that must succeed: its standard output.
pub fn lianxin_ok(db: &Path, args: &[&str]) -> String {
    let out = lianxin(db, args);
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

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

    /// Waits up to `limit` until this sipp has bound its UDP port `port` (it listens), and
    /// panics if it has not (or exited first).
    pub fn wait_listening(&mut self, port: u16, limit: Duration) {
        let bound = eventually(limit, || {
            UdpSocket::bind(("127.0.0.1", port)).is_err()
                || matches!(self.child.try_wait(), Ok(Some(_)))
        });
        if let Ok(Some(status)) = self.child.try_wait() {
            panic!("sipp {} exited before listening: {status}", self.name);
        }
        assert!(
            bound,
            "sipp {} not listening on {port} within {limit:?}",
            self.name
        );
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

    /// When this sipp logged the first INVITE it received (it runs with TZ=UTC).
    pub fn invite_received_at(&self) -> Option<SystemTime> {
        let log = self.messages();
        let mut stamp = None;
        let mut lines = log.lines().peekable();
        while let Some(line) = lines.next() {
            if let Some(ts) = line.strip_prefix("----------------------------------------------- ")
            {
                stamp = Some(ts.trim().to_string());
                continue;
            }
            if line.contains("message received") {
                let first = lines.by_ref().find(|l| !l.trim().is_empty());
                if first.is_some_and(|l| l.starts_with("INVITE ")) {
                    let ts = stamp.as_deref()?;
                    let dt =
                        chrono::NaiveDateTime::parse_from_str(ts, "%Y-%m-%d %H:%M:%S%.f").ok()?;
                    return Some(SystemTime::from(dt.and_utc()));
                }
            }
        }
        None
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

/// GETs a binary body (a WAV file) from the console API; returns (status, body bytes).
pub fn http_get_bytes(port: u16, path: &str, token: Option<&str>) -> (u16, Vec<u8>) {
    let (status, head, body) = http_raw(port, "GET", path, None, token);
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    (status, if chunked { dechunk(&body) } else { body })
}

/// The payload of a `Transfer-Encoding: chunked` body.
fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = body.windows(2).position(|w| w == b"\r\n") {
        let size = std::str::from_utf8(&body[..eol])
            .ok()
            .and_then(|l| usize::from_str_radix(l.split(';').next()?.trim(), 16).ok())
            .expect("chunk size");
        if size == 0 {
            break;
        }
        let start = eol + 2;
        out.extend_from_slice(&body[start..start + size]);
        body = &body[start + size + 2..];
    }
    out
}

fn http(
    port: u16,
    method: &str,
    path: &str,
    body: Option<&str>,
    token: Option<&str>,
) -> (u16, String) {
    let (status, _, body) = http_raw(port, method, path, body, token);
    (status, String::from_utf8_lossy(&body).to_string())
}

/// One request on its own connection: (status, header text, body bytes).
fn http_raw(
    port: u16,
    method: &str,
    path: &str,
    body: Option<&str>,
    token: Option<&str>,
) -> (u16, String, Vec<u8>) {
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
    let split = resp
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(resp.len());
    let head = String::from_utf8_lossy(&resp[..split]).to_string();
    let body = resp.get(split + 4..).unwrap_or_default().to_vec();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, head, body)
}

/// Waits until the `lianxin serve` in `child` (its stderr going to `log`) says it is ready:
/// Ok, or Err with its log when it exited first or was not ready within 60 s (then it is
/// killed). Ready is the server's own word, not "something answers on its port": a port
/// can be taken by another test's server.
pub fn serve_ready(child: &mut Child, log: &Path) -> Result<(), String> {
    let read = || std::fs::read_to_string(log).unwrap_or_default();
    let mut exited = false;
    let ready = eventually(Duration::from_secs(60), || {
        exited = matches!(child.try_wait(), Ok(Some(_)));
        exited || read().contains("lianxin: ready")
    });
    if ready && !exited && read().contains("lianxin: ready") {
        return Ok(());
    }
    let _ = child.kill();
    let _ = child.wait();
    Err(read())
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

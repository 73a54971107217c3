//! sipp as a peer on 127.0.0.1: free ports, scenarios from the workspace's `tests/sipp/`,
//! bounded waits. Every sipp gets `-m 1` and a 20 s timeout, and is killed after 40 s.
#![allow(dead_code)]

use std::net::{SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use lianxin_ua::Transport;

/// A UDP port that is free for UDP and TCP on 127.0.0.1.
pub fn free_udp_port() -> u16 {
    for _ in 0..200 {
        let s = UdpSocket::bind("127.0.0.1:0").expect("bind");
        let p = s.local_addr().expect("addr").port();
        if p != 5060 && std::net::TcpListener::bind(("127.0.0.1", p)).is_ok() {
            return p;
        }
    }
    panic!("no free port");
}

/// A free block of four UDP ports (sipp's audio and video RTP/RTCP at `-mp`, +1, +2, +3).
pub fn free_media_ports() -> u16 {
    for _ in 0..500 {
        let first = UdpSocket::bind("127.0.0.1:0").expect("bind");
        let p = first.local_addr().expect("addr").port();
        if p & 1 == 1 || p > 65_000 {
            continue;
        }
        let rest: Vec<_> = (1..4)
            .map(|i| UdpSocket::bind(("127.0.0.1", p + i)))
            .collect();
        if rest.iter().all(Result::is_ok) {
            return p;
        }
    }
    panic!("no free media ports");
}

/// `tests/sipp/<name>.xml` at the workspace root, found from this package's directory
/// upwards.
pub fn scenario(name: &str) -> PathBuf {
    let mut dir: Option<&Path> = Some(Path::new(env!("CARGO_MANIFEST_DIR")));
    while let Some(d) = dir {
        let p = d.join("tests/sipp").join(format!("{name}.xml"));
        if p.exists() {
            return p;
        }
        dir = d.parent();
    }
    panic!("scenario {name} not found");
}

/// How a sipp run ended.
pub struct SippRun {
    /// Exit code (`None`: killed).
    pub code: Option<i32>,
    dir: tempfile::TempDir,
}

impl SippRun {
    /// Reads a column of the last line of the `-trace_counts` CSV.
    pub fn count(&self, column: &str) -> u64 {
        let file = std::fs::read_dir(self.dir.path())
            .expect("dir")
            .filter_map(Result::ok)
            .find(|e| e.file_name().to_string_lossy().ends_with("_counts.csv"))
            .expect("counts file");
        let text = std::fs::read_to_string(file.path()).expect("read counts");
        let mut lines = text.lines();
        let header: Vec<&str> = lines.next().expect("header").split(';').collect();
        let last: Vec<&str> = lines.last().expect("row").split(';').collect();
        let i = header.iter().position(|h| *h == column).expect("column");
        last[i].parse().expect("number")
    }

    pub fn errors(&self) -> String {
        std::fs::read_dir(self.dir.path())
            .map(|d| {
                d.filter_map(Result::ok)
                    .filter(|e| e.file_name().to_string_lossy().ends_with("_errors.log"))
                    .filter_map(|e| std::fs::read_to_string(e.path()).ok())
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .unwrap_or_default()
    }
}

/// Runs one sipp call of `name` against `server`; `extra` are more sipp arguments.
pub fn sipp(server: SocketAddr, name: &str, extra: &[&str]) -> SippRun {
    let mut args = vec![server.to_string()];
    args.extend(extra.iter().map(|a| a.to_string()));
    let port = free_udp_port();
    SippChild::spawn(name, port, &args).wait()
}

/// A running sipp.
pub struct SippChild {
    child: std::process::Child,
    dir: tempfile::TempDir,
}

impl SippChild {
    /// Starts sipp with scenario `name` (empty: a built-in one given in `args`) on local
    /// port `port`; `args` are appended.
    pub fn spawn(name: &str, port: u16, args: &[String]) -> SippChild {
        let dir = tempfile::tempdir().expect("tempdir");
        let media = free_media_ports().to_string();
        let control = free_udp_port().to_string();
        let port = port.to_string();
        let mut cmd = Command::new("sipp");
        cmd.current_dir(dir.path());
        if !name.is_empty() {
            cmd.arg("-sf").arg(scenario(name));
        }
        let child = cmd
            .args([
                "-m",
                "1",
                "-i",
                "127.0.0.1",
                "-p",
                &port,
                "-mp",
                &media,
                "-cp",
                &control,
            ])
            .args(["-s", "100", "-timeout", "20s", "-timeout_error", "-nostdin"])
            .args(["-trace_err", "-trace_counts"])
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("sipp is installed (Debian package sip-tester)");
        SippChild { child, dir }
    }

    /// Waits for sipp to end (killed after 40 s).
    pub fn wait(mut self) -> SippRun {
        let deadline = Instant::now() + Duration::from_secs(40);
        let code = loop {
            if let Some(status) = self.child.try_wait().expect("wait sipp") {
                break status.code();
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                break None;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        SippRun {
            code,
            dir: self.dir,
        }
    }
}

/// Asserts sipp exited 0, with its error log otherwise.
pub fn assert_ok(run: &SippRun) {
    assert_eq!(run.code, Some(0), "sipp failed:\n{}", run.errors());
}

/// Waits until something listens on 127.0.0.1:`port` (a sipp UAS we are about to call;
/// TCP connects are not retried), at most 30 s: sipp takes seconds to start when the
/// machine is busy compiling.
pub fn wait_listening(port: u16, transport: Transport) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let taken = match transport {
            Transport::Udp => UdpSocket::bind(("127.0.0.1", port)).is_err(),
            Transport::Tcp => std::net::TcpListener::bind(("127.0.0.1", port)).is_err(),
        };
        if taken {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "nothing listens on port {port} ({transport:?}) after 30 s"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

//! `lianxin serve --demo` creates the demo database when it is absent, prints the demo
//! accounts, and stops cleanly on SIGINT (issue 2).

use std::io::{BufRead, BufReader, Read};
use std::net::{TcpListener, UdpSocket};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// A loopback port free for both TCP and UDP (SIP listens on both).
fn free_port() -> u16 {
    loop {
        let tcp = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = tcp.local_addr().unwrap().port();
        if UdpSocket::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

#[test]
fn serve_demo_creates_database_and_stops_on_sigint() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let sip = format!("127.0.0.1:{}", free_port());
    let http = format!("127.0.0.1:{}", free_port());
    let base = 40_000 + (std::process::id() % 400) as u16 * 50;
    let rtp = format!("{base}-{}", base + 49);
    let mut child = Command::new(env!("CARGO_BIN_EXE_lianxin"))
        .env_remove("LIANXIN_DB")
        .env_remove("LIANXIN_CONFIG")
        .arg("--db")
        .arg(&db)
        .args([
            "serve",
            "--demo",
            "--sip",
            &sip,
            "--http",
            &http,
            "--rtp-ports",
            &rtp,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut seen = Vec::new();
    loop {
        match rx.recv_timeout(Duration::from_secs(180)) {
            Ok(line) => {
                let ready = line.contains("Press Ctrl-C");
                seen.push(line);
                if ready {
                    break;
                }
            }
            Err(e) => {
                let _ = child.kill();
                panic!("serve --demo did not become ready ({e}); stderr so far: {seen:?}");
            }
        }
    }
    assert!(
        seen.iter().any(|l| l.contains("creating demo database")),
        "{seen:?}"
    );
    assert!(db.exists());
    let status = Command::new("kill")
        .arg("-INT")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    assert!(exit.success(), "exit {exit:?}");
    for account in [
        "8001",
        "demo8001",
        "于燕妮",
        "captain",
        "demo-captain",
        "admin",
        "demo-admin",
    ] {
        assert!(
            out.contains(account),
            "accounts list lacks {account}: {out}"
        );
    }
    // The second start reuses the database (no regeneration).
    let out = Command::new(env!("CARGO_BIN_EXE_lianxin"))
        .arg("--db")
        .arg(&db)
        .args(["lookup", "65123456"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("范先翔"));
}

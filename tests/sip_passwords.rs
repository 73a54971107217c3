//! Issue 10, point 9: the desk phone's SIP password is not the console password.
//!
//! Against the real `lianxin serve --demo`, with a real phone (sipp registering with
//! digest): after `lianxin staff passwd` (the console password) the phone still registers
//! with its old SIP password; after `lianxin staff sip-passwd` the old one is refused
//! (403) and the new one — printed once — works; `--password` sets a chosen one.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use support::{free_port, free_rtp_port, scenario, Sipp};

struct Server {
    child: Child,
    dir: PathBuf,
    db: PathBuf,
    sip: u16,
}

impl Server {
    fn start() -> Server {
        let dir = std::env::temp_dir().join(format!(
            "lianxin-sip-passwords-{}-{}",
            std::process::id(),
            free_port()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("test dir");
        let db = support::demo_database(&dir, 50);
        for _ in 0..3 {
            let (sip, http, rtp) = (free_port(), free_port(), free_rtp_port());
            let log = std::fs::File::create(dir.join("server.log")).expect("log file");
            let mut child = Command::new(env!("CARGO_BIN_EXE_lianxin"))
                .env_remove("LIANXIN_DB")
                .env_remove("LIANXIN_CONFIG")
                .arg("--db")
                .arg(&db)
                .args(["serve", "--demo", "--sip"])
                .arg(format!("127.0.0.1:{sip}"))
                .arg("--http")
                .arg(format!("127.0.0.1:{http}"))
                .arg("--rtp-ports")
                .arg(format!("{rtp}-{}", rtp + 9))
                .env("LIANXIN_LOG", "info")
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .expect("start lianxin serve");
            match support::serve_ready(&mut child, &dir.join("server.log")) {
                Ok(()) => {
                    return Server {
                        child,
                        dir,
                        db,
                        sip,
                    }
                }
                Err(log) if log.contains("in use") => continue,
                Err(log) => panic!("server did not start:\n{log}"),
            }
        }
        panic!("no free ports for the server in three tries");
    }

    /// Registers `user` with `password` (digest); Ok, or Err with what the phone saw.
    fn register(&self, name: &str, user: &str, password: &str) -> Result<(), String> {
        let dir = self.dir.join(name);
        let sc = scenario(
            "hotline/operator_register.xml",
            &[
                ("USER", user.to_string()),
                ("CONTACT_PORT", free_port().to_string()),
            ],
            &dir,
        );
        let mut sipp = Sipp::start(
            name,
            &dir,
            &[
                format!("127.0.0.1:{}", self.sip),
                "-sf".into(),
                sc.display().to_string(),
                "-i".into(),
                "127.0.0.1".into(),
                "-au".into(),
                user.into(),
                "-ap".into(),
                password.into(),
                "-m".into(),
                "1".into(),
                "-p".into(),
                free_port().to_string(),
            ],
        );
        match sipp.wait(Duration::from_secs(20)) {
            Some(0) => Ok(()),
            code => Err(format!("sipp exit {code:?}:\n{}", sipp.messages())),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `lianxin --db DB staff ARGS`; its standard output.
fn staff(db: &Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_lianxin"))
        .env_remove("LIANXIN_CONFIG")
        .env_remove("LIANXIN_PASSWORD")
        .arg("--db")
        .arg(db)
        .arg("staff")
        .args(args)
        .output()
        .expect("run lianxin staff");
    assert!(
        out.status.success(),
        "staff {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// The SIP password in `staff add` / `staff sip-passwd` output.
fn printed_sip_password(out: &str) -> String {
    out.split("desk phone (SIP): ")
        .nth(1)
        .and_then(|line| line.split(", password ").nth(1))
        .and_then(|rest| rest.split(',').next())
        .map(str::to_string)
        .unwrap_or_else(|| panic!("no SIP password in: {out}"))
}

fn refused(r: Result<(), String>) {
    let err = r.expect_err("registration accepted");
    assert!(err.contains("SIP/2.0 403"), "not refused with 403: {err}");
}

#[test]
fn sip_password_is_separate_from_the_console_password() {
    let server = Server::start();
    // The demo's documented phone password.
    server
        .register("demo", "8001", "demo8001")
        .expect("demo phone");

    // A new console password leaves the phone alone.
    let out = staff(
        &server.db,
        &["passwd", "8001", "--password", "another-8001"],
    );
    assert!(out.contains("SIP password is unchanged"), "{out}");
    server
        .register("after-passwd", "8001", "demo8001")
        .expect("the phone keeps its SIP password");
    refused(server.register("console-password", "8001", "another-8001"));

    // A new SIP password: the old one is refused, the printed one works.
    let out = staff(&server.db, &["sip-passwd", "8001"]);
    let sip = printed_sip_password(&out);
    assert_eq!(sip.len(), 12, "{out}");
    refused(server.register("old-sip", "8001", "demo8001"));
    server
        .register("new-sip", "8001", &sip)
        .expect("the new SIP password");

    // A chosen one.
    let out = staff(
        &server.db,
        &["sip-passwd", "8001", "--password", "chosen-sip-8001"],
    );
    assert_eq!(printed_sip_password(&out), "chosen-sip-8001");
    refused(server.register("replaced", "8001", &sip));
    server
        .register("chosen", "8001", "chosen-sip-8001")
        .expect("the chosen SIP password");

    // A new account gets a generated SIP password, not its console password.
    let out = staff(
        &server.db,
        &[
            "add",
            "8005",
            "--name",
            "周文",
            "--role",
            "operator",
            "--extension",
            "8005",
            "--password",
            "console-8005",
        ],
    );
    let sip = printed_sip_password(&out);
    refused(server.register("new-console", "8005", "console-8005"));
    server
        .register("new-phone", "8005", &sip)
        .expect("the new account's SIP password");
}

//! The browser-test harness: a real `lianxin serve --demo` on free 127.0.0.1 ports (a
//! small copy of the demo community, short prompts), Debian's chromedriver and headless
//! Chromium, driven over WebDriver with fantoccini. Every wait is bounded. Chromium may
//! reach 127.0.0.1 only (`--host-resolver-rules`), so a request to any other host fails
//! and shows in the browser log, which each test checks for errors at the end.
//!
//! Without `/usr/bin/chromium` or `/usr/bin/chromedriver` the tests fail with a message
//! saying what to install: they never pass silently.
#![allow(dead_code)]

use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

use crate::support::{free_port, free_rtp_port, http_post, scenario, serve_ready, Sipp};

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// How long any one wait in the page may take.
pub const WAIT: Duration = Duration::from_secs(15);

/// One demo database (300 households) per test binary; each server gets a copy.
fn demo_db() -> &'static Path {
    static DB: OnceLock<PathBuf> = OnceLock::new();
    DB.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("lianxin-browser-demo-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        crate::support::demo_database(&dir, 300)
    })
}

/// Short prompts (0.2 s tones) under every name the call flow uses; notices last 2 s.
fn write_prompts(dir: &Path) {
    std::fs::create_dir_all(dir).expect("prompts dir");
    let mut names: Vec<(String, usize)> = [
        "greeting",
        "menu",
        "please_hold",
        "all_busy",
        "after_hours",
        "leave_message",
        "tone",
        "goodbye",
        "confirm_heard",
        "queue_ahead_many",
    ]
    .iter()
    .map(|n| (n.to_string(), 1600))
    .collect();
    names.extend((1..=5).map(|n| (format!("queue_ahead_{n}"), 1600)));
    names.extend(
        ["notice_security", "notice_heating", "notice_fraud"]
            .iter()
            .map(|n| (n.to_string(), 16000)),
    );
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 8000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    for (name, samples) in names {
        let mut w = hound::WavWriter::create(dir.join(format!("{name}.wav")), spec).expect("wav");
        for i in 0..samples {
            let s = (i as f32 * 2.0 * std::f32::consts::PI * 440.0 / 8000.0).sin() * 8000.0;
            w.write_sample(s as i16).expect("sample");
        }
        w.finalize().expect("finalize");
    }
}

/// A running `lianxin serve --demo` with its own folder, database and ports.
pub struct Server {
    child: Child,
    pub dir: tempfile::TempDir,
    pub sip: u16,
    pub http: u16,
}

impl Server {
    /// A server whose trunk is a free port nobody answers (no test here places a group
    /// call through it; the dialer is there, so the group-call screen works).
    pub fn start() -> Server {
        Server::start_with(Some(free_port()))
    }

    /// A server whose group calls go to the trunk on 127.0.0.1:`trunk`.
    pub fn start_with(trunk: Option<u16>) -> Server {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = dir.path().join("demo.db");
        std::fs::copy(demo_db(), &db).expect("copy demo db");
        write_prompts(&dir.path().join("prompts"));
        std::fs::write(
            dir.path().join("lianxin.toml"),
            "[hotline]\nring_timeout_secs = 3\nqueue_timeout_secs = 60\n\n[hotline.flow]\nposition_every_secs = 0\nmenu_timeout_secs = 10\nvoicemail_max_secs = 3\n",
        )
        .expect("config");
        for _ in 0..3 {
            let sip = free_port();
            let http = free_port();
            let rtp = free_rtp_port();
            let log = dir.path().join("server.log");
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_lianxin"));
            cmd.env_remove("LIANXIN_DB")
                .env("LIANXIN_LOG", "info")
                .arg("--config")
                .arg(dir.path().join("lianxin.toml"))
                .arg("--db")
                .arg(&db)
                .args(["serve", "--demo", "--sip"])
                .arg(format!("127.0.0.1:{sip}"))
                .arg("--http")
                .arg(format!("127.0.0.1:{http}"))
                .arg("--rtp-ports")
                .arg(format!("{rtp}-{}", rtp + 60))
                .arg("--prompts")
                .arg(dir.path().join("prompts"))
                .current_dir(dir.path())
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(&log).expect("log file"));
            if let Some(t) = trunk {
                cmd.arg("--trunk").arg(format!("127.0.0.1:{t}"));
            }
            let mut child = cmd.spawn().expect("start lianxin serve");
            match serve_ready(&mut child, &log) {
                Ok(()) => {
                    return Server {
                        child,
                        dir,
                        sip,
                        http,
                    }
                }
                Err(log) if log.contains("in use") => continue,
                Err(log) => panic!("server did not start:\n{log}"),
            }
        }
        panic!("no free ports for the server in three tries");
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.http)
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    /// Logs in over the API; the session token.
    pub fn token(&self, user: &str, password: &str) -> String {
        let (status, body) = http_post(
            self.http,
            "/api/login",
            &json!({"username": user, "password": password}).to_string(),
            None,
        );
        assert_eq!(status, 200, "log-in of {user}: {body}");
        let v: Value = serde_json::from_str(&body).expect("login json");
        v["token"].as_str().expect("token").to_string()
    }

    /// sipp answering every group call on a free port, as the trunk and its households
    /// (`tests/sipp/uas_households.xml`); the port is where the server sends them.
    pub fn households(dir: &Path) -> (Sipp, u16) {
        let trunk = free_port();
        let mut sipp = Sipp::start(
            "households",
            dir,
            &[
                "-sf".into(),
                Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("tests/sipp/uas_households.xml")
                    .display()
                    .to_string(),
                "-i".into(),
                "127.0.0.1".into(),
                "-p".into(),
                trunk.to_string(),
                "-mp".into(),
                free_rtp_port().to_string(),
            ],
        );
        sipp.wait_listening(trunk, Duration::from_secs(10));
        (sipp, trunk)
    }

    /// Registers `user`'s phone (sipp, digest auth; `tests/hotline/operator_register.xml`)
    /// with its contact on 127.0.0.1:`contact_port`, and waits for the 200.
    pub fn register(&self, user: &str, password: &str, contact_port: u16) {
        let dir = self.dir.path().join(format!("reg-{user}"));
        let sc = scenario(
            "hotline/operator_register.xml",
            &[
                ("USER", user.to_string()),
                ("CONTACT_PORT", contact_port.to_string()),
            ],
            &dir,
        );
        let args: Vec<String> = vec![
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
        ];
        Sipp::start(&format!("register-{user}"), self.dir.path(), &args)
            .expect_success(Duration::from_secs(20));
    }

    /// An operator's phone: sipp as a UAS on `port` running `tests/hotline/<file>`
    /// (`operator_answer.xml` takes `RING_MS` and `TALK_MS`), listening when this returns.
    pub fn phone(&self, name: &str, file: &str, port: u16, vars: &[(&str, String)]) -> Sipp {
        let sc = scenario(
            &format!("hotline/{file}"),
            vars,
            &self.dir.path().join(name),
        );
        let args: Vec<String> = vec![
            "-sf".into(),
            sc.display().to_string(),
            "-i".into(),
            "127.0.0.1".into(),
            "-p".into(),
            port.to_string(),
            "-mi".into(),
            "127.0.0.1".into(),
            "-mp".into(),
            free_rtp_port().to_string(),
            "-m".into(),
            "1".into(),
        ];
        let mut phone = Sipp::start(name, self.dir.path(), &args);
        phone.wait_listening(port, Duration::from_secs(10));
        phone
    }

    /// A hotline caller (sipp, `tests/hotline/<file>`) with caller ID `cid` who presses
    /// `key` after `delay_ms`.
    pub fn call(&self, name: &str, file: &str, cid: &str, key: char, delay_ms: u32) -> Sipp {
        self.call_holding(name, file, cid, key, delay_ms, 60_000)
    }

    /// [`Server::call`] with the time the caller stays on after pressing the key
    /// (`caller_hangup.xml` then hangs up itself).
    pub fn call_holding(
        &self,
        name: &str,
        file: &str,
        cid: &str,
        key: char,
        delay_ms: u32,
        hold_ms: u32,
    ) -> Sipp {
        let dir = self.dir.path().join(name);
        let pcap = format!("/usr/share/sip-tester/dtmf_2833_{key}.pcap");
        let sc = scenario(
            &format!("hotline/{file}"),
            &[
                ("CID", cid.to_string()),
                ("KEY_PCAP", pcap),
                ("DELAY_MS", delay_ms.to_string()),
                ("HOLD_MS", hold_ms.to_string()),
            ],
            &dir,
        );
        let args = vec![
            format!("127.0.0.1:{}", self.sip),
            "-sf".into(),
            sc.display().to_string(),
            "-i".into(),
            "127.0.0.1".into(),
            "-mi".into(),
            "127.0.0.1".into(),
            "-m".into(),
            "1".into(),
            "-s".into(),
            "51663371".into(),
            "-p".into(),
            free_port().to_string(),
            "-mp".into(),
            free_rtp_port().to_string(),
        ];
        Sipp::start(name, self.dir.path(), &args)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            let log = self.log();
            let tail: String = log
                .chars()
                .rev()
                .take(8000)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            eprintln!("server log tail:\n{tail}");
        }
    }
}

/// Panics with what to install when Chromium or its driver is missing.
fn require_browser() {
    for (path, package) in [(CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")] {
        assert!(
            Path::new(path).exists(),
            "browser tests need {path} (Debian package {package}): \
             apt-get install -y chromium chromium-driver fonts-wqy-zenhei \
             (bash .ci/run installs them)"
        );
    }
}

/// chromedriver in a process group of its own, so that dropping it ends Chromium too.
struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    fn start() -> Driver {
        require_browser();
        let port = free_port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("start chromedriver");
        let mut driver = Driver { child, port };
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = driver.child.try_wait() {
                panic!("chromedriver exited at start: {status}");
            }
            assert!(
                Instant::now() < deadline,
                "chromedriver not listening within 20 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        driver
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // The group: chromedriver and the Chromium it started.
        let pid = self.child.id() as i32;
        // SAFETY: kill(2) on a process group we created; no memory is touched.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
        let _ = self.child.wait();
    }
}

/// A headless Chromium window on the server's page.
pub struct Browser {
    pub client: Client,
    driver: Driver,
    _profile: tempfile::TempDir,
    session: String,
}

impl Browser {
    /// Opens Chromium with a `width`×`height` window on `url`.
    pub async fn open(url: &str, width: u32, height: u32) -> Browser {
        let driver = Driver::start();
        let profile = tempfile::tempdir().expect("profile dir");
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--no-first-run", "--disable-extensions",
                    "--autoplay-policy=no-user-gesture-required",
                    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                    format!("--window-size={width},{height}"),
                    format!("--user-data-dir={}", profile.path().display()),
                ],
            },
            "goog:loggingPrefs": {"browser": "ALL"},
        });
        let caps = match caps {
            Value::Object(m) => m,
            _ => unreachable!(),
        };
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = tokio::time::timeout(
            Duration::from_secs(60),
            ClientBuilder::new(connector)
                .capabilities(caps)
                .connect(&format!("http://127.0.0.1:{}", driver.port)),
        )
        .await
        .expect("chromium started within 60 s")
        .expect("webdriver session");
        let session = client
            .session_id()
            .await
            .expect("session id")
            .expect("a session");
        // The viewport, not the window, is width×height.
        client
            .set_window_size(width, height)
            .await
            .expect("window size");
        let inner = client
            .execute("return [window.innerWidth, window.innerHeight];", vec![])
            .await
            .expect("viewport size");
        let short =
            |i: usize, want: u32| want.saturating_sub(inner[i].as_u64().unwrap_or(0) as u32);
        if short(0, width) > 0 || short(1, height) > 0 {
            client
                .set_window_size(width + short(0, width), height + short(1, height))
                .await
                .expect("window size");
        }
        client.goto(url).await.expect("open the console page");
        Browser {
            client,
            driver,
            _profile: profile,
            session,
        }
    }

    /// Runs `script` (a function body; `arguments` are `args`) in the page.
    pub async fn js(&self, script: &str, args: Vec<Value>) -> Value {
        self.client
            .execute(script, args)
            .await
            .expect("run script in the page")
    }

    /// Waits until `expr` (a JavaScript expression) is truthy; panics with `what` if not
    /// within [`WAIT`].
    pub async fn until(&self, what: &str, expr: &str) {
        self.until_within(WAIT, what, expr).await
    }

    /// [`Browser::until`] with its own limit.
    pub async fn until_within(&self, limit: Duration, what: &str, expr: &str) {
        let deadline = Instant::now() + limit;
        let script = format!("try {{ return !!({expr}); }} catch (e) {{ return false; }}");
        loop {
            if self.js(&script, vec![]).await == Value::Bool(true) {
                return;
            }
            if Instant::now() > deadline {
                let body = self.text("body").await;
                panic!("not within {limit:?}: {what}\n(page text: {body})");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Whether the element `css` exists and is shown (has a layout box).
    pub async fn visible(&self, css: &str) -> bool {
        self.js(
            "const e = document.querySelector(arguments[0]); return !!(e && e.getClientRects().length && getComputedStyle(e).visibility !== 'hidden');",
            vec![json!(css)],
        )
        .await
            == Value::Bool(true)
    }

    /// The visible text of `css` (`innerText`), empty when absent.
    pub async fn text(&self, css: &str) -> String {
        self.js(
            "const e = document.querySelector(arguments[0]); return e ? e.innerText : '';",
            vec![json!(css)],
        )
        .await
        .as_str()
        .unwrap_or_default()
        .to_string()
    }

    /// Clicks `css` (waiting for it first).
    pub async fn click(&self, css: &str) {
        let e = self
            .client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css} not found: {e}"));
        e.click()
            .await
            .unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    /// Types `text` into `css` (after clearing it).
    pub async fn fill(&self, css: &str, text: &str) {
        let e = self
            .client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css} not found: {e}"));
        e.clear().await.expect("clear field");
        e.send_keys(text).await.expect("type");
    }

    /// Logs in through the form and waits for the desk.
    pub async fn login(&self, user: &str, password: &str) {
        self.until(
            "the log-in form",
            "document.querySelector('#login') && !document.querySelector('#login').hidden",
        )
        .await;
        self.fill("#username", user).await;
        self.fill("#password", password).await;
        self.click("#login button[type=submit]").await;
        self.until(
            "the desk after log-in",
            "document.querySelector('#logout') && !document.querySelector('#logout').hidden && document.querySelector('#conn').textContent === '已连接'",
        )
        .await;
    }

    /// Logs in and opens the screen `screen` (the `id` of its section, e.g.
    /// `stats-screen`) with its tab button; returns once it is shown.
    pub async fn login_and_open(&self, user: &str, password: &str, screen: &str) {
        self.login(user, password).await;
        self.click(&format!("#tabs button[data-screen={screen}]"))
            .await;
        self.until(
            &format!("the screen {screen}"),
            &format!("document.querySelector('#{screen}') && !document.querySelector('#{screen}').hidden"),
        )
        .await;
    }

    /// Saves a screenshot as `name`.png under the test's target folder (and returns its
    /// path); `docs/screenshots/` holds copies of the main screens.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.client.screenshot().await.expect("screenshot");
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).expect("write screenshot");
        path
    }

    /// The browser log's errors (console errors, failed loads).
    pub async fn errors(&self) -> Vec<String> {
        let (status, body) = http_post(
            self.driver.port,
            &format!("/session/{}/se/log", self.session),
            r#"{"type":"browser"}"#,
            None,
        );
        assert_eq!(status, 200, "browser log: {body}");
        let v: Value = serde_json::from_str(&body).expect("log json");
        v["value"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter(|e| e["level"] == "SEVERE")
                    .map(|e| e["message"].as_str().unwrap_or_default().to_string())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Asserts the browser logged no error other than those containing one of `allowed`,
    /// then closes the window.
    pub async fn finish(self, allowed: &[&str]) {
        let errors: Vec<String> = self
            .errors()
            .await
            .into_iter()
            .filter(|e| !allowed.iter().any(|a| e.contains(a)))
            .collect();
        let _ = self.client.clone().close().await;
        assert!(errors.is_empty(), "errors in the browser log: {errors:#?}");
    }
}

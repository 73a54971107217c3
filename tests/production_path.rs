//! The production path end to end, as an installation runs it — no `--demo` anywhere: a
//! config file names the database, the addresses, the hotline number, the prompts shipped
//! in `prompts/` and the opening hours; `lianxin db init` creates the database,
//! `lianxin import residents` loads the community from a CSV and `lianxin staff add`
//! creates an operator; then plain `lianxin --config FILE serve`. A call from an imported
//! resident's landline pops that resident on the added operator's console before the
//! operator's phone (registered with the SIP password `staff add` printed) rings and answers.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use support::console::Console;
use support::{free_port, free_rtp_port, scenario, serve_ready, Sipp};

/// The hotline number of this installation (not one of the demo numbers).
const HOTLINE: &str = "51669900";
/// The operator created with `lianxin staff add`.
const OPERATOR: &str = "8004";
const OPERATOR_PASSWORD: &str = "secret-8004";
/// The resident whose landline calls.
const CALLER: &str = "65550002";

const CSV: &str = "household,street,number,building,unit,room,dwelling,block,household_notes,home_phones,name,sex,dob,work,skills,notes,mobiles
P0000001,朝阳门北小街,5,2,1,301,楼房,第五片区,,65550001,王秀英,女,1950-03-12,退休,,,13900000001
P0000002,朝阳门北小街,7,3,2,502,楼房,第五片区,独居老人,65550002,李建国,男,1941-11-02,退休,,,13900000002
P0000002,朝阳门北小街,7,3,2,502,楼房,第五片区,,,李明,男,1970-06-30,工程师,,,13900000003
P0000003,朝阳门南大街,2,1,1,101,平房,第六片区,,65550003,张桂兰,女,1948-01-20,退休,,,
";

/// `lianxin --config CONFIG ARGS`, with nothing from the environment.
fn lianxin(config: &Path, args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_lianxin"))
        .env_remove("LIANXIN_DB")
        .env_remove("LIANXIN_CONFIG")
        .env_remove("LIANXIN_PASSWORD")
        .arg("--config")
        .arg(config)
        .args(args)
        .output()
        .expect("run lianxin");
    assert!(
        out.status.success(),
        "lianxin {args:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// An installation in a temp folder: config file, database, voicemail folder.
struct Installation {
    dir: PathBuf,
    config: PathBuf,
    sip: u16,
    http: u16,
    server: Option<Child>,
}

impl Installation {
    fn new() -> Installation {
        let dir = std::env::temp_dir().join(format!(
            "lianxin-production-{}-{}",
            std::process::id(),
            free_port()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("test dir");
        let mut site = Installation {
            config: dir.join("lianxin.toml"),
            dir,
            sip: 0,
            http: 0,
            server: None,
        };
        site.configure();
        site
    }

    /// Writes the config file, with free ports.
    fn configure(&mut self) {
        let (sip, http, rtp) = (free_port(), free_port(), free_rtp_port());
        let prompts = Path::new(env!("CARGO_MANIFEST_DIR")).join("prompts");
        let text = format!(
            r#"# as deploy/lianxin.example.toml, with this test's paths and ports
database = "{db}"
local_area = "010"
sip_listen = "127.0.0.1:{sip}"
http_listen = "127.0.0.1:{http}"
rtp_ports = [{rtp}, {rtp_hi}]
hotline_numbers = ["{HOTLINE}"]
prompts_dir = "{prompts}"
voicemail_dir = "{voicemail}"

[hotline]
ring_timeout_secs = 10
queue_timeout_secs = 60

[hotline.hours]
always = true
"#,
            db = self.dir.join("lianxin.db").display(),
            rtp_hi = rtp + 40,
            prompts = prompts.display(),
            voicemail = self.dir.join("voicemail").display(),
        );
        std::fs::write(&self.config, text).expect("config file");
        (self.sip, self.http) = (sip, http);
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
    }

    /// `lianxin serve` with nothing but the config file; returns once it is ready. A port
    /// taken meanwhile by another test means a new config with other ports.
    fn serve(&mut self) {
        for _ in 0..3 {
            let log = std::fs::File::create(self.dir.join("server.log")).expect("log file");
            let mut child = Command::new(env!("CARGO_BIN_EXE_lianxin"))
                .env_remove("LIANXIN_DB")
                .env_remove("LIANXIN_CONFIG")
                .arg("--config")
                .arg(&self.config)
                .arg("serve")
                .env("LIANXIN_LOG", "info,lianxin_hotline=debug")
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .expect("start lianxin serve");
            match serve_ready(&mut child, &self.dir.join("server.log")) {
                Ok(()) => {
                    self.server = Some(child);
                    return;
                }
                Err(log) if log.contains("in use") => self.configure(),
                Err(log) => panic!("lianxin serve did not become ready:\n{log}"),
            }
        }
        panic!("no free ports for the server in three tries");
    }

    fn sipp_args(&self, scenario: &Path, extra: &[&str]) -> Vec<String> {
        let mut v = vec![
            format!("127.0.0.1:{}", self.sip),
            "-sf".into(),
            scenario.display().to_string(),
            "-i".into(),
            "127.0.0.1".into(),
            "-mi".into(),
            "127.0.0.1".into(),
        ];
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    }
}

impl Drop for Installation {
    fn drop(&mut self) {
        if let Some(mut child) = self.server.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        } else {
            eprintln!("server log ({}):\n{}", self.dir.display(), self.log());
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imported_resident_calling_pops_on_the_added_operators_console() {
    let mut site = Installation::new();
    // The administrator's set-up, each step a plain CLI command on the config file.
    let out = lianxin(&site.config, &["db", "init"]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("0 households"),
        "a fresh, empty database: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    let csv = site.dir.join("residents.csv");
    std::fs::write(&csv, CSV).expect("csv");
    let out = lianxin(
        &site.config,
        &["import", "residents", csv.to_str().expect("utf-8 path")],
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("imported 4 rows"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let added = lianxin(
        &site.config,
        &[
            "staff",
            "add",
            OPERATOR,
            "--name",
            "孙丽",
            "--role",
            "operator",
            "--extension",
            OPERATOR,
            "--password",
            OPERATOR_PASSWORD,
        ],
    );
    // The phone's own SIP password, printed once by `staff add` (issue 10 §9).
    let added = String::from_utf8_lossy(&added.stdout).to_string();
    let sip_password = added
        .split("desk phone (SIP): ")
        .nth(1)
        .and_then(|line| line.split(", password ").nth(1))
        .and_then(|rest| rest.split(',').next())
        .map(str::to_string)
        .unwrap_or_else(|| panic!("no SIP password in: {added}"));
    assert_ne!(sip_password, OPERATOR_PASSWORD);
    site.serve();

    // The operator's desk phone registers with its SIP password; the console logs in.
    let dir = site.dir.clone();
    let phone_port = free_port();
    let reg = scenario(
        "hotline/operator_register.xml",
        &[
            ("USER", OPERATOR.to_string()),
            ("CONTACT_PORT", phone_port.to_string()),
        ],
        &dir.join("register"),
    );
    let mut register = Sipp::start(
        "register",
        &dir,
        &site.sipp_args(
            &reg,
            &[
                "-au",
                OPERATOR,
                "-ap",
                &sip_password,
                "-m",
                "1",
                "-p",
                &free_port().to_string(),
            ],
        ),
    );
    tokio::task::spawn_blocking(move || register.expect_success(Duration::from_secs(20)))
        .await
        .expect("register");
    let answer = scenario(
        "hotline/operator_answer.xml",
        &[("RING_MS", "300".into()), ("TALK_MS", "1000".into())],
        &dir.join("phone"),
    );
    let mut phone = Sipp::start(
        "phone",
        &dir,
        &[
            "-sf".into(),
            answer.display().to_string(),
            "-i".into(),
            "127.0.0.1".into(),
            "-p".into(),
            phone_port.to_string(),
            "-mi".into(),
            "127.0.0.1".into(),
            "-mp".into(),
            free_rtp_port().to_string(),
            "-m".into(),
            "1".into(),
        ],
    );
    phone.wait_listening(phone_port, Duration::from_secs(10));
    let mut console = Console::connect(site.http, OPERATOR, OPERATOR_PASSWORD).await;
    let (hello, _) = console.next("hello", Duration::from_secs(5)).await;
    assert_eq!(
        hello["on_duty"], true,
        "the added operator takes calls: {hello}"
    );

    // The resident calls the hotline and presses 1 for an operator.
    let call = scenario(
        "hotline/caller.xml",
        &[
            ("CID", CALLER.to_string()),
            (
                "KEY_PCAP",
                "/usr/share/sip-tester/dtmf_2833_1.pcap".to_string(),
            ),
            ("DELAY_MS", "800".into()),
        ],
        &dir.join("caller"),
    );
    let mut caller = Sipp::start(
        "caller",
        &dir,
        &site.sipp_args(
            &call,
            &[
                "-m",
                "1",
                "-s",
                HOTLINE,
                "-p",
                &free_port().to_string(),
                "-mp",
                &free_rtp_port().to_string(),
            ],
        ),
    );
    let (pop, popped_at) = console.next("call.ringing", Duration::from_secs(10)).await;
    assert_eq!(pop["pop"]["caller"]["number"], "01065550002", "{pop}");
    let matches = pop["pop"]["matches"].as_array().expect("matches");
    assert_eq!(matches.len(), 1, "one household: {pop}");
    let names: Vec<&str> = matches[0]["members"]
        .as_array()
        .expect("members")
        .iter()
        .filter_map(|m| m["name"].as_str())
        .collect();
    assert!(
        names.contains(&"李建国") && names.contains(&"李明"),
        "the imported household of {CALLER}: {names:?}"
    );
    assert!(
        !names.contains(&"王秀英") && !names.contains(&"张桂兰"),
        "only the caller's household: {names:?}"
    );
    let (answered, _) = console.next("call.answered", Duration::from_secs(20)).await;
    assert_eq!(answered["operator"]["extension"], OPERATOR);
    let (ended, _) = console.next("call.ended", Duration::from_secs(20)).await;
    assert_eq!(ended["outcome"], "answered");
    tokio::task::spawn_blocking(move || {
        phone.expect_success(Duration::from_secs(20));
        caller.expect_success(Duration::from_secs(20));
        let rang = phone.invite_received_at().expect("the phone got an INVITE");
        assert!(
            popped_at < rang,
            "the pop ({popped_at:?}) must reach the console before the phone rings ({rang:?})"
        );
    })
    .await
    .expect("sipp checks");
    console.close().await;
    // Nothing of the demo was involved: the database holds only what was imported.
    let check = lianxin(&site.config, &["db", "check"]);
    let counts: serde_json::Value = serde_json::from_str(
        String::from_utf8_lossy(&check.stdout)
            .split("integrity")
            .next()
            .expect("counts"),
    )
    .expect("db check json");
    assert_eq!(
        (
            counts["households"].as_i64(),
            counts["residents"].as_i64(),
            counts["staff"].as_i64()
        ),
        (Some(3), Some(4), Some(1)),
        "{counts}"
    );
}

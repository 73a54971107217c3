//! A group call survives `kill -9`: the real `lianxin serve` runs a campaign of 300
//! households (sipp is the trunk and answers every call), is killed with SIGKILL while
//! calls are up, and is started again on the same database. The restarted server resumes
//! the campaign by itself and finishes it. Then every household has exactly one final
//! outcome (all heard: sipp answers everyone), the calls that were up at the kill are
//! logged as interrupted and called again, and no attempt was ever dialled twice (the
//! trunk sees each `X-Lianxin-Attempt` on one call only, and none it was not told of).

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use lianxin_store::import::{ImportKind, ImportOptions};
use lianxin_store::{CampaignSettings, CampaignStatus, NewCampaign, Outcome, Store, TargetSpec};
use support::{eventually, free_port, free_rtp_port, serve_ready, Sipp};

const HOUSEHOLDS: usize = 300;
const HEADER: &str = "household,street,number,building,unit,room,dwelling,block,household_notes,home_phones,name,sex,dob,work,skills,notes,mobiles\n";

/// The database: 300 households in group 丁组, and a campaign to them a staff member
/// started (stored as running, as `POST /api/campaigns` leaves it) with a 3 s notice.
fn community(db: &Path) -> i64 {
    let store = Store::open(db).expect("store opens");
    let mut csv = HEADER.to_owned();
    let mut groups = "group,household\n".to_owned();
    for i in 1..=HOUSEHOLDS {
        csv.push_str(&format!(
            "K{i:04},内务部街,{i},,,,平房,第三片区,,,住户{i},女,1970-01-01,,,,13920000{i:03}\n"
        ));
        groups.push_str(&format!("丁组,K{i:04}\n"));
    }
    let opts = ImportOptions {
        skip_bad: false,
        staff_id: None,
        source: "test".into(),
    };
    store
        .import_csv(ImportKind::Residents, csv.as_bytes(), &opts, &mut |_| {})
        .expect("residents imported");
    store
        .import_csv(ImportKind::Groups, groups.as_bytes(), &opts, &mut |_| {})
        .expect("groups imported");
    let now = chrono::Utc::now();
    let id = store
        .create_campaign(
            &NewCampaign {
                name: "崩溃测试".into(),
                notice: "notice-crash".into(),
                created_by: None,
                targets: TargetSpec {
                    groups: vec!["丁组".into()],
                    households: Vec::new(),
                },
                settings: CampaignSettings {
                    max_calls: 40,
                    retries: 2,
                    retry_pause: Duration::from_secs(1),
                    window: None,
                    ..Default::default()
                },
            },
            now,
        )
        .expect("campaign created");
    store
        .set_campaign_status(id, CampaignStatus::Running, None, now)
        .expect("campaign running");
    id
}

/// The shipped prompts plus a 3 s notice `notice_crash.wav`.
fn prompts(dir: &Path) -> PathBuf {
    let out = dir.join("prompts");
    std::fs::create_dir_all(&out).expect("prompts dir");
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("prompts");
    for entry in std::fs::read_dir(&shipped).expect("shipped prompts") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "wav") {
            std::fs::copy(&path, out.join(path.file_name().expect("name"))).expect("copy");
        }
    }
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 8000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(out.join("notice_crash.wav"), spec).expect("wav");
    for n in 0..3 * 8000 {
        let v = (n as f64 * 2.0 * std::f64::consts::PI * 440.0 / 8000.0).sin() * 8000.0;
        w.write_sample(v as i16).expect("sample");
    }
    w.finalize().expect("wav written");
    out
}

struct Server {
    child: Child,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(dir: &Path, db: &Path, prompts: &Path, trunk: u16, run: u32) -> Server {
    let sip = free_port();
    let http = free_port();
    let rtp = free_rtp_port();
    let log = dir.join(format!("server-{run}.log"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_lianxin"))
        .env_remove("LIANXIN_CONFIG")
        .env("RUST_LOG", "info")
        .arg("--db")
        .arg(db)
        .arg("serve")
        .args(["--sip", &format!("127.0.0.1:{sip}")])
        .args(["--http", &format!("127.0.0.1:{http}")])
        .args(["--rtp-ports", &format!("{rtp}-{}", rtp + 399)])
        .args(["--trunk", &format!("127.0.0.1:{trunk}")])
        .arg("--prompts")
        .arg(prompts)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).expect("log file"))
        .spawn()
        .expect("lianxin serve starts");
    if let Err(text) = serve_ready(&mut child, &log) {
        panic!("server {run} not ready:\n{text}");
    }
    Server { child }
}

#[test]
fn a_campaign_survives_kill_9_and_every_household_gets_one_outcome() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("crash.db");
    let id = community(&db);
    let prompts = prompts(dir.path());

    let trunk = free_port();
    let media = free_rtp_port();
    let mut households = Sipp::start(
        "households",
        dir.path(),
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
            media.to_string(),
            "-max_socket".into(),
            "2000".into(),
        ],
    );
    households.wait_listening(trunk, Duration::from_secs(10));
    let store = Store::open(&db).expect("store opens");
    let done = |store: &Store| {
        store
            .campaign_report(id)
            .expect("report")
            .iter()
            .filter(|r| r.outcome.is_some())
            .count()
    };

    // First run: killed with calls up, a third of the way in.
    let mut first = serve(dir.path(), &db, &prompts, trunk, 1);
    let midway = eventually(Duration::from_secs(60), || done(&store) >= HOUSEHOLDS / 3);
    assert!(midway, "a third of the households done within 60 s");
    first.child.kill().expect("kill -9");
    let _ = first.child.wait();
    let at_kill = store.campaign_attempts(id).expect("attempts");
    let open = at_kill.iter().filter(|a| a.outcome.is_none()).count();
    eprintln!(
        "killed with {open} calls up, {} households done",
        done(&store)
    );
    assert!(open > 0, "calls were up when the server was killed");
    assert!(done(&store) < HOUSEHOLDS, "the kill came before the end");

    // Second run: resumes by itself and finishes.
    let _second = serve(dir.path(), &db, &prompts, trunk, 2);
    let finished = eventually(Duration::from_secs(120), || {
        store
            .campaign(id)
            .ok()
            .flatten()
            .is_some_and(|c| c.status == CampaignStatus::Finished)
    });
    assert!(finished, "the resumed campaign finished within 120 s");

    let report = store.campaign_report(id).expect("report");
    assert_eq!(report.len(), HOUSEHOLDS, "every household, once");
    for r in &report {
        assert_eq!(r.outcome, Some(Outcome::Heard), "{r:?}");
        assert_eq!(r.reached, Some(true), "{r:?}");
    }
    let attempts = store.campaign_attempts(id).expect("attempts");
    assert!(
        attempts.iter().all(|a| a.outcome.is_some()),
        "no attempt is left open"
    );
    let interrupted = attempts
        .iter()
        .filter(|a| a.outcome == Some(Outcome::Interrupted))
        .count();
    assert_eq!(
        interrupted, open,
        "the calls up at the kill are logged interrupted, once each"
    );
    for r in &report {
        let heard = attempts
            .iter()
            .filter(|a| a.household_id == r.household_id && a.outcome == Some(Outcome::Heard))
            .count();
        assert_eq!(heard, 1, "household {} heard the notice once", r.code);
    }

    // The trunk's side: every attempt went out on one call only.
    let _ = households.wait(Duration::from_millis(100));
    let log = households.messages();
    let mut calls: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let (mut attempt, mut call_id) = (None, None);
    for line in log.lines() {
        if line.starts_with("INVITE sip:") {
            (attempt, call_id) = (None, None);
        } else if let Some(v) = line.strip_prefix("X-Lianxin-Attempt:") {
            attempt = Some(v.trim().to_owned());
        } else if let Some(v) = line.strip_prefix("Call-ID:") {
            call_id = Some(v.trim().to_owned());
        }
        if let (Some(a), Some(c)) = (&attempt, &call_id) {
            calls.entry(a.clone()).or_default().insert(c.clone());
            (attempt, call_id) = (None, None);
        }
    }
    // An attempt is logged before its INVITE leaves, so one logged just before the kill
    // may never have reached the trunk; but nothing reaches the trunk unlogged.
    let logged: BTreeSet<String> = attempts
        .iter()
        .map(|a| format!("{}.{}", a.household_id, a.attempt))
        .collect();
    assert!(
        calls.len() + open >= attempts.len(),
        "the trunk saw the attempts ({} of {})",
        calls.len(),
        attempts.len()
    );
    for a in calls.keys() {
        assert!(logged.contains(a), "attempt {a} reached the trunk unlogged");
    }
    for (a, ids) in &calls {
        assert_eq!(ids.len(), 1, "attempt {a} dialled on {} calls", ids.len());
    }
}

//! The dialer end to end on 127.0.0.1: a temp store with households in phone
//! groups, a real UA and media engine, the [`Dialer`], and sipp as the trunk and the
//! households (`tests/sipp/households.xml` branches on the dialled number). Each
//! household's logged outcome must be what its sipp branch did. Every wait is bounded.

use std::net::{SocketAddr, UdpSocket};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

use lianxin_desk::CampaignControl;
use lianxin_dialer::{DialRule, Dialer, DialerHandle, DriverConfig, OutboundTrunk};
use lianxin_media::{MediaConfig, MediaEngine, Prompt, PromptLibrary};
use lianxin_store::import::{ImportKind, ImportOptions};
use lianxin_store::{CampaignSettings, CampaignStatus, NewCampaign, Outcome, Store, TargetSpec};
use lianxin_ua::{StaticCredentials, Ua, UaConfig};

const HEADER: &str = "household,street,number,building,unit,room,dwelling,block,household_notes,home_phones,name,sex,dob,work,skills,notes,mobiles\n";

/// The trunk answers the first 20 INVITEs with 503 and `Retry-After: 2`: the dialer stops
/// sending for those two seconds (shows "backing off"), then retries the 20 and finishes
/// with all 60 households heard.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_overloaded_trunk_slows_the_dialer_down_and_every_household_is_still_called() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(dir.path().join("t.db")).expect("store opens");
    let mut csv = HEADER.to_owned();
    let mut groups = "group,household\n".to_owned();
    for i in 1..=60 {
        csv.push_str(&format!(
            "G{i},内务部街,{i},,,,平房,第一片区,,,住户{i},女,1970-01-01,,,,139100000{i:02}\n"
        ));
        groups.push_str(&format!("丙组,G{i}\n"));
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

    let port = free_udp_port();
    let log = dir.path().join("trunk.log");
    let log_arg = log.display().to_string();
    let mut sipp = sipp_running(
        "trunk_503.xml",
        port,
        80,
        &["-trace_logs", "-log_file", &log_arg],
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let dialer = dialer(&store, port, 47600).await;
    let id = dialer
        .start_campaign(&NewCampaign {
            name: "线路拥塞".into(),
            notice: "notice-test".into(),
            created_by: None,
            targets: TargetSpec {
                groups: vec!["丙组".into()],
                households: Vec::new(),
            },
            settings: CampaignSettings {
                max_calls: 60,
                retries: 2,
                retry_pause: Duration::from_secs(1),
                ..Default::default()
            },
        })
        .expect("campaign starts");

    let mut backed_off = false;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        backed_off |= dialer
            .live_campaigns()
            .iter()
            .any(|c| c.id == id && c.counters.backing_off);
        let done = store
            .campaign(id)
            .expect("store reads")
            .is_some_and(|c| c.status == CampaignStatus::Finished);
        if done && !dialer.is_running(id) {
            break;
        }
        assert!(Instant::now() < deadline, "campaign finished within 60 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(backed_off, "consoles were shown that the dialer backs off");

    let report = store.campaign_report(id).expect("report");
    assert_eq!(report.len(), 60);
    for r in &report {
        assert_eq!(r.outcome, Some(Outcome::Heard), "{r:?}");
    }
    let attempts = store.campaign_attempts(id).expect("attempts");
    let refused: Vec<_> = attempts
        .iter()
        .filter(|a| a.sip_code == Some(503))
        .collect();
    assert_eq!(refused.len(), 20, "the 503s are logged with their code");
    assert_eq!(
        attempts.len(),
        80,
        "each refused household was called again once"
    );

    // Nothing was sent while the trunk had asked for two seconds of quiet.
    assert!(sipp_passed(&mut sipp).await, "every sipp call passed");
    let text = std::fs::read_to_string(&log).expect("sipp log");
    let mut last_503 = 0u64;
    let mut retries_from = u64::MAX;
    for line in text.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["503", ms] => last_503 = last_503.max(ms.parse().expect("ms")),
            ["INVITE", ms, n] if n.parse::<u32>().expect("call number") > 60 => {
                retries_from = retries_from.min(ms.parse().expect("ms"));
            }
            _ => {}
        }
    }
    assert!(last_503 > 0 && retries_from < u64::MAX, "{text}");
    assert!(
        retries_from >= last_503 + 1500,
        "retries began {} ms after the last 503 (Retry-After: 2)",
        retries_from - last_503
    );
}

/// H1 answers (in both groups), H2 is busy, H3 does not exist, H4 rings out, H5 hangs
/// up after 3 s, H6 declines, H7 plays early media then 480, H8 answers after 3 s, H9
/// presses 1.
fn community(path: &Path) -> Store {
    let s = Store::open(path).expect("store opens");
    let csv = format!(
        "{HEADER}{}\n{}\n{}\n{}\n",
        "H1,内务部街,27,,,,平房,第一片区,,,范先翔,女,1982-03-10,,,,13900000001",
        "H2,内务部街,28,,,,平房,第一片区,,,王伟,男,1950-05-05,,,,13900000002",
        "H3,内务部街,29,,,,平房,第二片区,,,李娜,女,1990-01-01,,,,13900000003",
        "H4,内务部街,31,,,,平房,第二片区,,,赵强,男,1960-01-01,,,,13900000004",
    ) + &[
        "H5,内务部街,33,,,,平房,第二片区,,,钱芳,女,1970-02-02,,,,13900000005",
        "H6,内务部街,35,,,,平房,第二片区,,,孙磊,男,1980-03-03,,,,13900000006",
        "H7,内务部街,37,,,,平房,第二片区,,,周敏,女,1975-04-04,,,,13900000007",
        "H8,内务部街,39,,,,平房,第二片区,,,吴刚,男,1965-05-05,,,,13900000008",
        "H9,内务部街,41,,,,平房,第二片区,,,郑洁,女,1985-06-06,,,,13900000009",
    ]
    .join("\n")
        + "\n";
    let opts = ImportOptions {
        skip_bad: false,
        staff_id: None,
        source: "test".into(),
    };
    s.import_csv(ImportKind::Residents, csv.as_bytes(), &opts, &mut |_| {})
        .expect("residents imported");
    let groups = "group,household\n甲组,H1\n甲组,H2\n甲组,H3\n乙组,H1\n乙组,H4\n\
                  乙组,H5\n乙组,H6\n乙组,H7\n乙组,H8\n乙组,H9\n";
    s.import_csv(ImportKind::Groups, groups.as_bytes(), &opts, &mut |_| {})
        .expect("groups imported");
    s
}

fn free_udp_port() -> u16 {
    let s = UdpSocket::bind("127.0.0.1:0").expect("a free port");
    s.local_addr().expect("bound").port()
}

struct Sipp(Child);

impl Drop for Sipp {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn sipp(port: u16, calls: u32) -> Sipp {
    sipp_running("households.xml", port, calls, &[])
}

/// sipp running `tests/sipp/<scenario>` on `port` for `calls` calls.
fn sipp_running(scenario: &str, port: u16, calls: u32, extra: &[&str]) -> Sipp {
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/sipp")
        .join(scenario);
    let child = Command::new("sipp")
        .arg("-sf")
        .arg(&scenario)
        .args(["-i", "127.0.0.1", "-p", &port.to_string()])
        .args(["-m", &calls.to_string(), "-timeout", "60s", "-nostdin"])
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("sipp runs");
    Sipp(child)
}

/// A UA, a media engine (RTP ports from `first_rtp`) with a 5 s `notice-test`, and the
/// dialer with sipp on `port` as its trunk.
async fn dialer(store: &Store, port: u16, first_rtp: u16) -> DialerHandle {
    dialer_keeping(store, port, first_rtp, None).await
}

/// [`dialer`], keeping uploaded notices in `notices_dir`.
async fn dialer_keeping(
    store: &Store,
    port: u16,
    first_rtp: u16,
    notices_dir: Option<std::path::PathBuf>,
) -> DialerHandle {
    let mut config = UaConfig::new("127.0.0.1:0".parse().expect("addr"));
    config.tcp = false;
    let (ua, mut inbound) = Ua::start(config, Arc::new(StaticCredentials::default()))
        .await
        .expect("UA starts");
    tokio::spawn(async move { while inbound.recv().await.is_some() {} });
    let mut prompts = PromptLibrary::new();
    prompts.insert(Prompt::from_pcm("notice-test", &vec![0i16; 5 * 8000]));
    prompts.insert(Prompt::from_pcm("confirm_heard", &vec![0i16; 8000]));
    let mut mc = MediaConfig::new("127.0.0.1".parse().expect("ip"), Arc::new(prompts));
    mc.port_range = (first_rtp, first_rtp + 199);
    let media = MediaEngine::start(mc).expect("media engine starts");
    let trunk: SocketAddr = format!("127.0.0.1:{port}").parse().expect("addr");
    Dialer::start(
        store.clone(),
        ua,
        media,
        OutboundTrunk::at(trunk),
        DriverConfig {
            rule: DialRule::default(),
            media_ip: "127.0.0.1".parse().expect("ip"),
            desk: None,
            defaults: Default::default(),
            notices_dir,
        },
    )
    .expect("dialer starts")
}

/// The wall clock, for rows a previous server would have written.
#[allow(clippy::disallowed_methods)] // the test stands in for a server that ran before
fn wall_clock() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now()
}

/// Waits (at most `secs`) until `done`.
async fn until(secs: u64, what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !done() {
        assert!(Instant::now() < deadline, "{what} within {secs} s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits (at most 60 s: sipp is slow to finish on a busy machine) for sipp to end;
/// whether every call passed its scenario.
async fn sipp_passed(sipp: &mut Sipp) -> bool {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(s) = sipp.0.try_wait().expect("sipp status") {
            return s.success();
        }
        assert!(Instant::now() < deadline, "sipp done within 60 s");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_campaign_left_running_resumes_at_start_and_cancels_a_ringing_call() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = community(&dir.path().join("t.db"));
    let port = free_udp_port();
    let mut sipp = sipp(port, 1);
    tokio::time::sleep(Duration::from_millis(500)).await;

    // A campaign a previous server had started (running, no attempts yet): H4 rings out.
    let targets = store
        .campaign_targets(&TargetSpec {
            groups: vec!["乙组".into()],
            households: Vec::new(),
        })
        .expect("targets");
    let h4 = targets
        .iter()
        .find(|t| t.numbers.iter().any(|n| n.number == "13900000004"))
        .expect("H4 is a target")
        .household_id;
    let t0 = wall_clock();
    let id = store
        .create_campaign(
            &NewCampaign {
                name: "重启后继续".into(),
                notice: "notice-test".into(),
                created_by: None,
                targets: TargetSpec {
                    groups: Vec::new(),
                    households: vec![h4],
                },
                settings: CampaignSettings {
                    retries: 0,
                    ring_timeout: Duration::from_secs(60),
                    ..Default::default()
                },
            },
            t0,
        )
        .expect("campaign created");
    store
        .set_campaign_status(id, CampaignStatus::Running, None, t0)
        .expect("status set");

    let dialer = dialer(&store, port, 47400).await;
    until(10, "the resumed campaign rings", || {
        dialer
            .live_campaigns()
            .iter()
            .any(|c| c.id == id && c.counters.ringing == 1)
    })
    .await;
    dialer.cancel_campaign(id).expect("cancel accepted");
    until(10, "the cancel is stored", || {
        store
            .campaign(id)
            .ok()
            .flatten()
            .is_some_and(|c| c.status == CampaignStatus::Cancelled)
            && !dialer.is_running(id)
    })
    .await;
    let report = store.campaign_report(id).expect("report");
    assert_eq!(report.len(), 1);
    assert_eq!(report[0].outcome, Some(Outcome::Cancelled));
    assert_eq!(report[0].reached, Some(false));
    assert!(
        sipp_passed(&mut sipp).await,
        "sipp saw the CANCEL and sent 487"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn households_get_the_outcome_their_phone_gave() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = community(&dir.path().join("t.db"));

    let port = free_udp_port();
    let mut sipp = sipp(port, 9);
    tokio::time::sleep(Duration::from_millis(500)).await;

    let dialer = dialer(&store, port, 47000).await;

    let id = dialer
        .start_campaign(&NewCampaign {
            name: "测试群拨".into(),
            notice: "notice-test".into(),
            created_by: None,
            targets: TargetSpec {
                groups: vec!["甲组".into(), "乙组".into()],
                households: Vec::new(),
            },
            settings: CampaignSettings {
                retries: 0,
                ring_timeout: Duration::from_secs(5),
                max_calls: 10,
                confirm_key: true,
                ..Default::default()
            },
        })
        .expect("campaign starts");

    // The campaign ends and its end is stored.
    let deadline = Instant::now() + Duration::from_secs(45);
    loop {
        let done = store
            .campaign(id)
            .expect("store reads")
            .is_some_and(|c| c.status == CampaignStatus::Finished);
        if done && !dialer.is_running(id) {
            break;
        }
        assert!(Instant::now() < deadline, "campaign finished within 45 s");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let report = store.campaign_report(id).expect("report");
    let by_code = |code: &str| {
        report
            .iter()
            .find(|r| r.code == code)
            .unwrap_or_else(|| panic!("household {code} in the report"))
    };
    let attempts = store.campaign_attempts(id).expect("attempts");
    eprintln!("report {report:#?}\nattempts {attempts:#?}");
    assert_eq!(report.len(), 9, "H1 is in two groups and counted once");
    let expected = [
        ("H1", Outcome::Heard, true),
        ("H2", Outcome::Busy, false),
        ("H3", Outcome::InvalidNumber, false),
        ("H4", Outcome::NoAnswer, false),
        ("H5", Outcome::HungUpEarly, true),
        ("H6", Outcome::Declined, false),
        ("H7", Outcome::Failed, false),
        ("H8", Outcome::Heard, true),
        ("H9", Outcome::Heard, true),
    ];
    for (code, outcome, reached) in expected {
        assert_eq!(by_code(code).outcome, Some(outcome), "{code}'s outcome");
        assert_eq!(by_code(code).reached, Some(reached), "{code} reached");
    }
    assert_eq!(attempts.len(), 9, "one attempt per household: {attempts:?}");
    let attempt = |code: &str| {
        let h = by_code(code).household_id;
        attempts
            .iter()
            .find(|a| a.household_id == h)
            .unwrap_or_else(|| panic!("{code}'s attempt"))
    };
    assert_eq!(attempt("H1").dialled, "13900000001");
    assert_eq!(
        attempt("H1").sip_code,
        Some(200),
        "the answer's code is kept"
    );
    for code in ["H1", "H8"] {
        let heard = attempt(code).seconds_heard.unwrap_or(0.0);
        assert!(heard >= 4.9, "{code} heard the 5 s notice: {heard}");
    }
    let early = attempt("H5").seconds_heard.unwrap_or(0.0);
    assert!(
        (2.5..4.5).contains(&early),
        "H5 hung up after about 3 s: {early}"
    );
    // Early media is not an answer: H7's 183 then 480 is a failure with its code.
    let h7 = attempt("H7");
    assert_eq!(h7.sip_code, Some(480), "{h7:?}");
    assert!(h7.answered.is_none(), "183 is not an answer: {h7:?}");
    assert_eq!(attempt("H6").sip_code, Some(603));
    // The campaign asked for a key: H9 pressed 1, H1 did not (and was hung up after the
    // wait).
    assert_eq!(attempt("H9").confirm_key.as_deref(), Some("1"));
    assert_eq!(by_code("H9").confirmed.as_deref(), Some("1"));
    assert_eq!(attempt("H1").confirm_key, None);

    // sipp saw every call through its scenario, the CANCEL included.
    assert!(sipp_passed(&mut sipp).await, "every sipp call passed");
}

/// One second of a 440 Hz tone as a 16 kHz WAV file's bytes (an upload).
fn wav_upload() -> Vec<u8> {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 16000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut out = std::io::Cursor::new(Vec::new());
    let mut w = hound::WavWriter::new(&mut out, spec).expect("wav");
    for i in 0..16000 {
        let s = (i as f32 * 2.0 * std::f32::consts::PI * 440.0 / 16000.0).sin() * 8000.0;
        w.write_sample(s as i16).expect("sample");
    }
    w.finalize().expect("finalize");
    out.into_inner()
}

/// Issue 12, retiring a notice (停用): refused while a campaign plays it; once retired it
/// leaves the list and new campaigns may not name it, but it still plays back (a past
/// campaign's record names it); uploading the name again brings it back. A shipped notice
/// is retired with a marker, its file untouched.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retired_notice_leaves_the_list_but_not_the_campaigns_that_play_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = community(&dir.path().join("t.db"));
    let notices = dir.path().join("notices");
    let dialer = dialer_keeping(&store, free_udp_port(), 47800, Some(notices.clone())).await;
    let listed =
        |d: &DialerHandle| -> Vec<String> { d.notices().into_iter().map(|n| n.name).collect() };
    dialer
        .add_notice("water-cut".into(), wav_upload())
        .await
        .expect("upload");
    assert_eq!(listed(&dialer), ["notice-test", "water-cut"]);

    // A paused campaign plays it: retiring is refused, naming the campaign.
    let campaign = |notice: &str| NewCampaign {
        name: "停水通知".into(),
        notice: notice.into(),
        created_by: None,
        targets: TargetSpec {
            groups: vec!["甲组".into()],
            households: Vec::new(),
        },
        settings: CampaignSettings::default(),
    };
    let id = store
        .create_campaign(&campaign("water-cut"), wall_clock())
        .expect("campaign");
    store
        .set_campaign_status(id, CampaignStatus::Paused, None, wall_clock())
        .expect("paused");
    let busy = dialer.retire_notice("water-cut".into()).await.unwrap_err();
    assert_eq!((busy.status, busy.field.as_deref()), (409, Some("name")));
    assert!(busy.message.contains("停水通知"), "{}", busy.message);

    store
        .end_campaign(id, CampaignStatus::Cancelled, None, wall_clock())
        .expect("cancelled");
    dialer
        .retire_notice("water-cut".into())
        .await
        .expect("retired");
    assert_eq!(listed(&dialer), ["notice-test"]);
    assert!(!notices.join("water-cut.wav").exists());
    let again = dialer.retire_notice("water-cut".into()).await.unwrap_err();
    assert_eq!(again.status, 404);
    // Still plays back (the cancelled campaign names it) and still resolves for it.
    let wav = dialer
        .notice_audio("water-cut".into())
        .await
        .expect("a retired notice plays back");
    assert!(wav.len() > 15_000, "{} bytes", wav.len());
    let refused = dialer.start_campaign(&campaign("water-cut")).unwrap_err();
    assert_eq!(
        (refused.status, refused.field.as_deref()),
        (400, Some("notice"))
    );
    assert!(refused.message.contains("已停用"), "{}", refused.message);

    // Uploading the name again brings it back with the new recording.
    dialer
        .add_notice("water-cut".into(), wav_upload())
        .await
        .expect("upload again");
    assert_eq!(listed(&dialer), ["notice-test", "water-cut"]);

    // A shipped notice: a marker, the prompt itself untouched.
    dialer
        .retire_notice("notice-test".into())
        .await
        .expect("shipped notice retired");
    assert_eq!(listed(&dialer), ["water-cut"]);
    assert!(notices.join("retired/notice-test.retired").is_file());
    assert!(dialer.notice_audio("notice-test".into()).await.is_ok());
    dialer.stop();
}

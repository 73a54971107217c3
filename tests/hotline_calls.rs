//! The hotline end to end, against real peers on 127.0.0.1: the `lianxin serve` binary,
//! sipp as the caller and as the operators' phones (registered with digest auth), and a
//! WebSocket client as the operators' consoles.
//!
//! Each test starts its own server on its own ports with a copy of one small demo
//! database and short generated prompts, so the flows run in seconds.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use support::audio::{tone_frames, ulaw_decode, ulaw_tone, FRAME};
use support::console::Console;
use support::{free_port, free_rtp_port, http_get, http_get_bytes, http_post, scenario, Sipp};

const KNOWN_CALLER: &str = "65123456"; // 范先翔's landline in the demo community
const UNKNOWN_CALLER: &str = "59999999"; // demo landlines are 6xxxxxxx
/// The callers' voice: a tone no prompt has (the test prompts are 440 Hz).
const VOICE_HZ: f64 = 1000.0;

/// One second of a `freq` Hz tone as raw μ-law in `dir`, for sipp's `rtp_stream` (looped).
fn write_voice(dir: &Path, freq: f64) -> PathBuf {
    let path = dir.join(format!("voice-{freq}.ulaw"));
    std::fs::write(&path, ulaw_tone(freq, 1, 8000.0)).expect("voice file");
    path
}

/// One demo database per test binary; each server gets a copy.
fn demo_db() -> &'static Path {
    static DB: OnceLock<PathBuf> = OnceLock::new();
    DB.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("lianxin-hotline-demo-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        support::demo_database(&dir, 300)
    })
}

/// Short prompts (0.2 s tones) under every name the call flow uses.
fn write_prompts(dir: &Path) {
    std::fs::create_dir_all(dir).expect("prompts dir");
    let mut names = vec![
        "greeting",
        "menu",
        "please_hold",
        "all_busy",
        "after_hours",
        "leave_message",
        "tone",
        "goodbye",
        "notice_security",
        "queue_ahead_many",
        "return_visit",
    ]
    .into_iter()
    .map(String::from)
    .collect::<Vec<_>>();
    names.extend((1..=5).map(|n| format!("queue_ahead_{n}")));
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 8000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    for name in names {
        let mut w = hound::WavWriter::create(dir.join(format!("{name}.wav")), spec).expect("wav");
        for i in 0..1600 {
            let s = (i as f32 * 2.0 * std::f32::consts::PI * 440.0 / 8000.0).sin() * 8000.0;
            w.write_sample(s as i16).expect("sample");
        }
        w.finalize().expect("finalize");
    }
}

struct Server {
    child: Child,
    dir: PathBuf,
    sip: u16,
    http: u16,
}

impl Server {
    fn start(name: &str) -> Server {
        Server::start_with(name, "", &[])
    }

    /// A server with `config` added to the test config and `args` to `serve`'s flags.
    fn start_with(name: &str, config: &str, args: &[String]) -> Server {
        let dir = std::env::temp_dir().join(format!(
            "lianxin-hotline-{name}-{}-{}",
            std::process::id(),
            free_port()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("test dir");
        let db = dir.join("hotline.db");
        std::fs::copy(demo_db(), &db).expect("copy demo db");
        write_prompts(&dir.join("prompts"));
        std::fs::write(
            dir.join("lianxin.toml"),
            format!("[hotline]\nring_timeout_secs = 3\nqueue_timeout_secs = 60\n\n[hotline.announcements]\n\"100\" = \"notice_security\"\n\n[hotline.flow]\nposition_every_secs = 0\nmenu_timeout_secs = 10\nvoicemail_max_secs = 3\n\n{config}"),
        )
        .expect("config");
        // Free ports are only free until someone else binds them: a server that lost one
        // to a parallel test says so and exits, and is started again on other ports.
        for _ in 0..3 {
            let sip = free_port();
            let http = free_port();
            let rtp = free_rtp_port();
            let log = std::fs::File::create(dir.join("server.log")).expect("log file");
            let mut child = Command::new(env!("CARGO_BIN_EXE_lianxin"))
                .arg("--config")
                .arg(dir.join("lianxin.toml"))
                .arg("--db")
                .arg(&db)
                .args(["serve", "--demo", "--sip"])
                .arg(format!("127.0.0.1:{sip}"))
                .arg("--http")
                .arg(format!("127.0.0.1:{http}"))
                .arg("--rtp-ports")
                .arg(format!("{}-{}", rtp, rtp + 40))
                .arg("--prompts")
                .arg(dir.join("prompts"))
                .args(args)
                .env("LIANXIN_LOG", "info,lianxin_hotline=debug,lianxin_ua=debug")
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .expect("start lianxin serve");
            match support::serve_ready(&mut child, &dir.join("server.log")) {
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

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
    }

    /// Registers an operator's phone (sipp, digest auth) whose calls go to `contact_port`.
    fn register(&self, user: &str, password: &str, contact_port: u16) {
        self.register_from(user, password, contact_port, free_port());
    }

    /// Registers from a given local port (a phone that later calls from that port).
    fn register_from(&self, user: &str, password: &str, contact_port: u16, local_port: u16) {
        let sc = scenario(
            "hotline/operator_register.xml",
            &[
                ("USER", user.to_string()),
                ("CONTACT_PORT", contact_port.to_string()),
            ],
            &self.dir.join(format!("reg-{user}")),
        );
        let mut sipp = Sipp::start(
            &format!("register-{user}"),
            &self.dir,
            &sipp_args(
                &sc,
                self.sip,
                &[
                    "-au",
                    user,
                    "-ap",
                    password,
                    "-m",
                    "1",
                    "-p",
                    &local_port.to_string(),
                ],
            ),
        );
        sipp.expect_success(Duration::from_secs(20));
    }

    /// An operator phone (sipp UAS) on `port` running `file` (answer / no-answer).
    fn phone(&self, name: &str, file: &str, port: u16, vars: &[(&str, String)]) -> Sipp {
        let dir = self.dir.join(name);
        let sc = scenario(file, vars, &dir);
        let mp = free_rtp_port();
        let mut phone = Sipp::start(
            name,
            &self.dir,
            &[
                "-sf".into(),
                sc.display().to_string(),
                "-i".into(),
                "127.0.0.1".into(),
                "-p".into(),
                port.to_string(),
                "-mi".into(),
                "127.0.0.1".into(),
                "-mp".into(),
                mp.to_string(),
                "-m".into(),
                "1".into(),
            ],
        );
        phone.wait_listening(port, Duration::from_secs(10));
        phone
    }

    /// A caller (sipp UAC) dialling the demo hotline number.
    fn call(
        &self,
        name: &str,
        file: &str,
        caller: &str,
        key: char,
        vars: &[(&str, String)],
    ) -> Sipp {
        self.dial("51663371", name, file, caller, key, vars)
    }

    /// A caller (sipp UAC) dialling `number`.
    fn dial(
        &self,
        number: &str,
        name: &str,
        file: &str,
        caller: &str,
        key: char,
        vars: &[(&str, String)],
    ) -> Sipp {
        let dir = self.dir.join(name);
        let pcap = format!("/usr/share/sip-tester/dtmf_2833_{key}.pcap");
        let mut all = vec![("CID", caller.to_string()), ("KEY_PCAP", pcap)];
        all.extend(vars.iter().map(|(k, v)| (*k, v.clone())));
        let sc = scenario(file, &all, &dir);
        let port = free_port();
        let mp = free_rtp_port();
        let mut args = sipp_args(&sc, self.sip, &["-m", "1", "-s", number]);
        args.extend(["-p".into(), port.to_string(), "-mp".into(), mp.to_string()]);
        Sipp::start(name, &self.dir, &args)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        } else {
            eprintln!("server log ({}):\n{}", self.dir.display(), self.log());
        }
    }
}

fn sipp_args(scenario: &Path, server_port: u16, extra: &[&str]) -> Vec<String> {
    let mut v = vec![
        format!("127.0.0.1:{server_port}"),
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn known_caller_pops_the_right_record_before_the_phone_rings() {
    let server = Server::start("known");
    let phone_port = free_port();
    server.register("8001", "demo8001", phone_port);
    let mut op = server.phone(
        "phone-8001",
        "hotline/operator_answer.xml",
        phone_port,
        &[("RING_MS", "300".into()), ("TALK_MS", "1000".into())],
    );
    let mut console = Console::connect(server.http, "8001", "demo8001").await;
    console.next("hello", Duration::from_secs(5)).await;
    let mut caller = server.call(
        "caller",
        "hotline/caller.xml",
        KNOWN_CALLER,
        '1',
        &[("DELAY_MS", "800".into())],
    );
    let (pop, popped_at) = console.next("call.ringing", Duration::from_secs(10)).await;
    let matches = pop["pop"]["matches"].as_array().expect("matches");
    assert_eq!(matches.len(), 1, "one household: {pop}");
    let names: Vec<&str> = matches[0]["members"]
        .as_array()
        .expect("members")
        .iter()
        .filter_map(|m| m["name"].as_str())
        .collect();
    assert!(names.contains(&"范先翔"), "范先翔 in {names:?}");
    assert_eq!(pop["pop"]["caller"]["number"], "01065123456");
    assert!(
        !matches[0]["requests"]
            .as_array()
            .expect("requests")
            .is_empty(),
        "service history is in the pop"
    );
    let call_id = pop["call_id"].as_str().expect("call id").to_string();
    let (offered, _) = console.next("call.offered", Duration::from_secs(15)).await;
    assert_eq!(offered["call_id"], call_id.as_str());
    let (answered, _) = console.next("call.answered", Duration::from_secs(15)).await;
    assert_eq!(answered["operator"]["extension"], "8001");
    let (ended, _) = console.next("call.ended", Duration::from_secs(20)).await;
    assert_eq!(ended["outcome"], "answered");
    tokio::task::spawn_blocking(move || {
        op.expect_success(Duration::from_secs(20));
        caller.expect_success(Duration::from_secs(20));
        let rang = op
            .invite_received_at()
            .expect("operator phone got an INVITE");
        assert!(
            popped_at < rang,
            "the pop ({popped_at:?}) must reach the console before the phone rings ({rang:?})"
        );
    })
    .await
    .expect("sipp checks");
    console.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_caller_pops_as_unknown() {
    let server = Server::start("unknown");
    let mut console = Console::connect(server.http, "8002", "demo8002").await;
    console.next("hello", Duration::from_secs(5)).await;
    let mut caller = server.call(
        "caller",
        "hotline/caller_hangup.xml",
        UNKNOWN_CALLER,
        '9',
        &[("DELAY_MS", "300".into()), ("HOLD_MS", "300".into())],
    );
    let (pop, _) = console.next("call.ringing", Duration::from_secs(10)).await;
    assert_eq!(pop["pop"]["caller"]["number"], "01059999999");
    assert_eq!(pop["pop"]["matches"].as_array().map(Vec::len), Some(0));
    let (ended, _) = console.next("call.ended", Duration::from_secs(15)).await;
    assert_eq!(ended["outcome"], "abandoned");
    tokio::task::spawn_blocking(move || caller.expect_success(Duration::from_secs(20)))
        .await
        .expect("sipp");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acd_picks_longest_idle_operator_and_reoffers_on_no_answer() {
    let server = Server::start("acd");
    let port_a = free_port();
    let port_b = free_port();
    server.register("8001", "demo8001", port_a);
    server.register("8002", "demo8002", port_b);
    // 8002 becomes available first: longest idle, so it is offered the call first. Its
    // phone never answers; after the ring timeout the call goes to 8001, who answers.
    // (The pause below is the difference in idle time under test, not a wait for a
    // condition: without it both consoles could become available within one instant.)
    let mut c2 = Console::connect(server.http, "8002", "demo8002").await;
    c2.next("hello", Duration::from_secs(5)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut c1 = Console::connect(server.http, "8001", "demo8001").await;
    c1.next("hello", Duration::from_secs(5)).await;
    let mut phone_b = server.phone("phone-8002", "hotline/operator_no_answer.xml", port_b, &[]);
    let mut phone_a = server.phone(
        "phone-8001",
        "hotline/operator_answer.xml",
        port_a,
        &[("RING_MS", "200".into()), ("TALK_MS", "800".into())],
    );
    let mut caller = server.call(
        "caller",
        "hotline/caller.xml",
        KNOWN_CALLER,
        '1',
        &[("DELAY_MS", "800".into())],
    );
    let (first, _) = c1.next("call.offered", Duration::from_secs(15)).await;
    assert_eq!(
        first["operator"]["extension"], "8002",
        "longest idle first: {first}"
    );
    let (second, _) = c1.next("call.offered", Duration::from_secs(15)).await;
    assert_eq!(
        second["operator"]["extension"], "8001",
        "re-offered: {second}"
    );
    let (answered, _) = c1.next("call.answered", Duration::from_secs(10)).await;
    assert_eq!(answered["operator"]["extension"], "8001");
    let (ended, _) = c1.next("call.ended", Duration::from_secs(20)).await;
    assert_eq!(ended["outcome"], "answered");
    tokio::task::spawn_blocking(move || {
        phone_b.expect_success(Duration::from_secs(20));
        phone_a.expect_success(Duration::from_secs(20));
        caller.expect_success(Duration::from_secs(20));
    })
    .await
    .expect("sipp checks");
    c2.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn caller_hangs_up_in_queue_and_reconnecting_console_gets_the_call() {
    let server = Server::start("queue");
    // Nobody's phone is registered: the caller waits in the queue.
    let mut console = Console::connect(server.http, "8003", "demo8003").await;
    console.next("hello", Duration::from_secs(5)).await;
    let mut caller = server.call(
        "caller",
        "hotline/caller_hangup.xml",
        KNOWN_CALLER,
        '1',
        &[("DELAY_MS", "600".into()), ("HOLD_MS", "4000".into())],
    );
    let (pop, _) = console.next("call.ringing", Duration::from_secs(10)).await;
    let call_id = pop["call_id"].as_str().expect("call id").to_string();
    let (queued, _) = console.next("call.queued", Duration::from_secs(10)).await;
    assert_eq!(queued["call_id"], call_id.as_str());
    assert_eq!(queued["position"], 1);
    // The console drops and comes back while the caller is still waiting.
    let token = console.token.clone();
    console.close().await;
    let mut again = Console::with_token(server.http, token).await;
    let (hello, _) = again.next("hello", Duration::from_secs(5)).await;
    let calls = hello["calls"].as_array().expect("calls in hello");
    assert!(
        calls
            .iter()
            .any(|c| c["call_id"] == call_id.as_str() && c["status"] == "queued"),
        "reconnected console must get the waiting call: {hello}"
    );
    let (ended, _) = again.next("call.ended", Duration::from_secs(15)).await;
    assert_eq!(ended["call_id"], call_id.as_str());
    assert_eq!(ended["outcome"], "abandoned");
    tokio::task::spawn_blocking(move || caller.expect_success(Duration::from_secs(20)))
        .await
        .expect("sipp");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn voice_message_is_recorded_and_listed() {
    let server = Server::start("voicemail");
    let mut console = Console::connect(server.http, "8001", "demo8001").await;
    console.next("hello", Duration::from_secs(5)).await;
    // Key 2: leave a message. The caller speaks (sipp streams a 1 kHz tone as PCMU from
    // 600 ms after the key) for 2.5 s and hangs up.
    let voice = write_voice(&server.dir, VOICE_HZ);
    let mut caller = server.call(
        "caller",
        "hotline/caller_talks_hangup.xml",
        KNOWN_CALLER,
        '2',
        &[
            ("DELAY_MS", "600".into()),
            ("HOLD_MS", "2500".into()),
            ("AUDIO", voice.display().to_string()),
        ],
    );
    // The message is stored when the caller hangs up, so it may be announced after the call
    // ended.
    let got = console
        .each(&["voicemail.new", "call.ended"], Duration::from_secs(20))
        .await;
    let id = got[0]["voice_message"]["id"]
        .as_i64()
        .expect("voice message id");
    assert_eq!(got[1]["outcome"], "voice_message");
    let token = console.token.clone();
    let (status, list) = http_get(server.http, "/api/voice-messages", Some(&token));
    assert_eq!(status, 200, "{list}");
    assert!(list.contains(&format!("\"id\":{id}")), "listed: {list}");
    // The list carries the same call id as voicemail.new (the consoles' id of the call).
    let listed: serde_json::Value = serde_json::from_str(&list).expect("json");
    let listed = listed["voice_messages"]
        .as_array()
        .expect("list")
        .iter()
        .find(|m| m["id"] == id)
        .expect("listed")
        .clone();
    assert!(got[0]["voice_message"]["call_id"].is_string(), "{}", got[0]);
    assert_eq!(listed["call_id"], got[0]["voice_message"]["call_id"]);
    let (status, wav) = http_get_bytes(
        server.http,
        &format!("/api/voice-messages/{id}/audio"),
        Some(&token),
    );
    assert_eq!(status, 200);
    // What the caller said is in the message: at least 1 s of 20 ms frames carrying the
    // caller's tone (the recording holds about 2 s of it).
    let mut reader = hound::WavReader::new(std::io::Cursor::new(wav)).expect("a WAV file");
    let spec = reader.spec();
    assert_eq!((spec.sample_rate, spec.channels), (8000, 1), "{spec:?}");
    let samples: Vec<i16> = reader
        .samples::<i16>()
        .collect::<Result<_, _>>()
        .expect("16-bit samples");
    let toned = tone_frames(&samples, VOICE_HZ);
    assert!(
        toned >= 50,
        "the caller's {VOICE_HZ} Hz voice must be in the message: {toned} of {} frames",
        samples.len() / FRAME
    );
    let (status, _) = http_get(server.http, "/api/voice-messages", None);
    assert_eq!(status, 401, "voice messages only for logged-in staff");
    tokio::task::spawn_blocking(move || caller.expect_success(Duration::from_secs(20)))
        .await
        .expect("sipp");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn supervisor_listens_to_a_live_call() {
    let server = Server::start("supervise");
    let phone_port = free_port();
    server.register("8001", "demo8001", phone_port);
    // The supervisor's phone registers, then dials 55 + 8001 from the same port.
    let sup_port = free_port();
    server.register_from("super", "demo-super", sup_port, sup_port);
    let mut op = server.phone(
        "phone-8001",
        "hotline/operator_answer.xml",
        phone_port,
        &[("RING_MS", "200".into()), ("TALK_MS", "6000".into())],
    );
    let mut console = Console::connect(server.http, "8001", "demo8001").await;
    console.next("hello", Duration::from_secs(5)).await;
    // The caller's voice: a 1 kHz tone, looped by sipp. The operator's phone sends no
    // audio, so what the supervisor hears of the call is the caller's tone.
    let voice = write_voice(&server.dir, VOICE_HZ);
    let mut caller = server.call(
        "caller",
        "hotline/caller_talks.xml",
        KNOWN_CALLER,
        '1',
        &[
            ("DELAY_MS", "800".into()),
            ("AUDIO", voice.display().to_string()),
        ],
    );
    console.next("call.answered", Duration::from_secs(15)).await;
    let media = std::net::UdpSocket::bind("127.0.0.1:0").expect("supervisor media socket");
    media
        .set_read_timeout(Some(Duration::from_millis(200)))
        .expect("timeout");
    let media_port = media.local_addr().expect("addr").port();
    let sc = scenario(
        "hotline/supervisor.xml",
        &[
            ("CODE", "558001".into()),
            ("USER", "super".into()),
            ("MEDIA_PORT", media_port.to_string()),
            ("HOLD_MS", "3000".into()),
        ],
        &server.dir.join("supervisor"),
    );
    let mut sup = Sipp::start(
        "supervisor",
        &server.dir,
        &sipp_args(&sc, server.sip, &["-m", "1", "-p", &sup_port.to_string()]),
    );
    // Decode what reaches the supervisor's phone until 0.8 s of the caller's tone has
    // arrived (the supervisor stays 3 s), at most 5 s.
    let (toned, packets) = tokio::task::spawn_blocking(move || {
        let mut buf = [0u8; 2048];
        let mut pcm = Vec::new();
        let mut packets = 0;
        let until = Instant::now() + Duration::from_secs(5);
        while Instant::now() < until && tone_frames(&pcm, VOICE_HZ) < 40 {
            if let Ok(n) = media.recv(&mut buf) {
                if n > 12 && buf[1] & 0x7f == 0 {
                    packets += 1;
                    pcm.extend(buf[12..n].iter().map(|&b| ulaw_decode(b)));
                }
            }
        }
        (tone_frames(&pcm, VOICE_HZ), packets)
    })
    .await
    .expect("listen as the supervisor");
    assert!(
        toned >= 40,
        "the supervisor must hear the caller's {VOICE_HZ} Hz voice: {toned} frames with it in {packets} PCMU packets"
    );
    let (ended, _) = console.next("call.ended", Duration::from_secs(20)).await;
    assert_eq!(ended["outcome"], "answered");
    tokio::task::spawn_blocking(move || {
        sup.expect_success(Duration::from_secs(20));
        op.expect_success(Duration::from_secs(20));
        caller.expect_success(Duration::from_secs(20));
    })
    .await
    .expect("sipp checks");
    assert!(server.log().contains("supervisor joined the call"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn information_line_plays_its_recording_and_hangs_up() {
    let server = Server::start("info");
    let mut console = Console::connect(server.http, "8001", "demo8001").await;
    console.next("hello", Duration::from_secs(5)).await;
    // caller.xml waits for the server's BYE: it only succeeds if the line hangs up by itself.
    let mut caller = server.dial(
        "100",
        "caller",
        "hotline/caller.xml",
        KNOWN_CALLER,
        '5',
        &[("DELAY_MS", "100".into())],
    );
    tokio::task::spawn_blocking(move || caller.expect_success(Duration::from_secs(20)))
        .await
        .expect("sipp");
    // Not a call for the operators: no pop reached the console.
    assert!(
        !console
            .gets("call.ringing", Duration::from_millis(500))
            .await,
        "an information-line call must not pop"
    );
    assert!(server.log().contains("outcome=Answered"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_voice_message_stops_at_its_maximum_and_the_line_says_goodbye() {
    let server = Server::start("vmlong");
    let mut console = Console::connect(server.http, "8002", "demo8002").await;
    console.next("hello", Duration::from_secs(5)).await;
    let voice = server.dir.join("voice.ulaw");
    let talk: Vec<u8> = (0..8000)
        .map(|i| if (i / 8) % 2 == 0 { 0x20 } else { 0xA0 })
        .collect();
    std::fs::write(&voice, talk).expect("voice file");
    // The caller keeps talking; the test server stops messages at 3 s, says goodbye and
    // hangs up (caller_talks.xml only succeeds if the server sends BYE).
    let mut caller = server.call(
        "caller",
        "hotline/caller_talks.xml",
        KNOWN_CALLER,
        '2',
        &[
            ("DELAY_MS", "600".into()),
            ("AUDIO", voice.display().to_string()),
        ],
    );
    let got = console
        .each(&["voicemail.new", "call.ended"], Duration::from_secs(25))
        .await;
    let secs = got[0]["voice_message"]["duration_s"]
        .as_u64()
        .expect("duration");
    assert!(
        (2..=3).contains(&secs),
        "message cut at its 3 s maximum: {secs} s"
    );
    assert_eq!(got[1]["outcome"], "voice_message");
    tokio::task::spawn_blocking(move || caller.expect_success(Duration::from_secs(20)))
        .await
        .expect("sipp");
}

/// Issue 11: a request made from the pop over HTTP reaches the captain's console, keeps
/// the call's id, is resolved and reported back, and the next call from the same number
/// pops with it, its result and its feedback in the history.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_from_the_pop_reaches_the_captain_and_the_next_pop() {
    let server = Server::start("request");
    let mut op = Console::connect(server.http, "8001", "demo8001").await;
    op.next("hello", Duration::from_secs(5)).await;
    let mut captain = Console::connect(server.http, "captain", "demo-captain").await;
    captain.next("hello", Duration::from_secs(5)).await;
    let (id, frame) = request_from_a_pop(&server, &mut op, &mut captain).await;
    assert_eq!(frame["request"]["call_id"], frame["call_id"]);
    // The captain resolves it and reports back.
    let path = |a: &str| format!("/api/requests/{id}/{a}");
    let (status, r) = http_post(
        server.http,
        &path("resolve"),
        r#"{"result":"路灯已修复"}"#,
        Some(&captain.token),
    );
    assert_eq!(status, 200, "{r}");
    let (status, r) = http_post(
        server.http,
        &path("feedback"),
        r#"{"result":"satisfied","how":"电话回访"}"#,
        Some(&captain.token),
    );
    assert_eq!(status, 200, "{r}");
    // The next call pops with it.
    let mine = next_pop_entry(&server, &mut op, id).await;
    assert_eq!(mine["result"], "路灯已修复");
    assert_eq!(mine["stage"], "feedback_given");
    assert_eq!(mine["feedback"], "satisfied");
    assert_eq!(mine["open"], false);
}

/// The trunk for return visits: sipp running `tests/sipp/<file>` on a free port, for
/// `calls` calls; its port.
fn resident(
    dir: &Path,
    name: &str,
    file: &str,
    calls: u32,
    vars: &[(&str, String)],
) -> (Sipp, u16) {
    let sc = scenario(file, vars, &dir.join(name));
    let port = free_port();
    let mut sipp = Sipp::start(
        name,
        dir,
        &[
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
            calls.to_string(),
        ],
    );
    sipp.wait_listening(port, Duration::from_secs(10));
    (sipp, port)
}

/// Return visits at any time of day (the test may run outside 08:00–20:00 China time),
/// two attempts a second apart.
const REVISIT_CONFIG: &str = "[dialer]\nwindow_open = \"\"\nwindow_close = \"\"\n\n[requests]\nreturn_visit_attempts = 2\nreturn_visit_retry_secs = 1\n\n[desk]\nalarm_sweep_secs = 1\n";

/// A request made from a pop of the known caller over HTTP, as the operator; its id and
/// the captain's console having seen `request.created`.
/// A known caller pops, the operator records a request from the pop over HTTP, the
/// captain's console receives `request.created`: its id and that frame, with the pop's
/// `call_id` added beside it.
async fn request_from_a_pop(
    server: &Server,
    op: &mut Console,
    captain: &mut Console,
) -> (i64, serde_json::Value) {
    let mut caller = server.call(
        "caller",
        "hotline/caller_hangup.xml",
        KNOWN_CALLER,
        '1',
        &[("DELAY_MS", "500".into()), ("HOLD_MS", "1500".into())],
    );
    let (pop, _) = op.next("call.ringing", Duration::from_secs(10)).await;
    let call_id = pop["call_id"].as_str().expect("call id").to_string();
    let household = pop["pop"]["matches"][0]["household_id"]
        .as_i64()
        .expect("household");
    let body = serde_json::json!({
        "household_id": household, "channel": "phone", "category_item": "设施维修",
        "category_class": "路灯", "content": "胡同口路灯不亮", "call_id": call_id,
    });
    let (status, created) = http_post(
        server.http,
        "/api/requests",
        &body.to_string(),
        Some(&op.token),
    );
    assert_eq!(status, 201, "{created}");
    let created: serde_json::Value = serde_json::from_str(&created).expect("json");
    let id = created["request"]["id"].as_i64().expect("id");
    let (mut frame, _) = captain
        .next("request.created", Duration::from_secs(10))
        .await;
    assert_eq!(frame["request"]["id"], id);
    frame["call_id"] = call_id.into();
    tokio::task::spawn_blocking(move || caller.wait(Duration::from_secs(30)))
        .await
        .expect("caller");
    (id, frame)
}

/// The entry of request `id` in the history of the next pop of the known caller (who
/// then hangs up).
async fn next_pop_entry(server: &Server, op: &mut Console, id: i64) -> serde_json::Value {
    let mut again = server.call(
        "again",
        "hotline/caller_hangup.xml",
        KNOWN_CALLER,
        '1',
        &[("DELAY_MS", "500".into()), ("HOLD_MS", "1000".into())],
    );
    let (pop, _) = op.next("call.ringing", Duration::from_secs(10)).await;
    let mine = pop["pop"]["matches"][0]["requests"]
        .as_array()
        .expect("requests")
        .iter()
        .find(|r| r["id"] == id)
        .expect("the request in the history")
        .clone();
    tokio::task::spawn_blocking(move || again.wait(Duration::from_secs(30)))
        .await
        .expect("caller");
    mine
}

/// The next `request.updated` of request `id` with change `change`.
async fn updated(
    console: &mut Console,
    id: i64,
    change: &str,
    limit: Duration,
) -> serde_json::Value {
    let deadline = Instant::now() + limit;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let (frame, _) = console.next("request.updated", left).await;
        if frame["request"]["id"] == id && frame["change"] == change {
            return frame;
        }
    }
}

/// Issue 11 end to end: the captain resolves a request made from a pop; the automatic
/// return visit calls the resident's number (sipp standing for it answers and presses 1),
/// records "satisfied" as the system, pushes `request.updated`; the next call from the
/// same number pops with the request, its result and its feedback in the history.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_return_visit_records_the_residents_key_and_the_next_pop_shows_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (mut resident, trunk) = resident(
        dir.path(),
        "resident",
        "sipp/uas_return_visit.xml",
        1,
        &[
            ("KEY", "1".into()),
            ("NUMBER", format!("010{KNOWN_CALLER}")),
        ],
    );
    let server = Server::start_with(
        "revisit",
        REVISIT_CONFIG,
        &["--trunk".into(), format!("127.0.0.1:{trunk}")],
    );
    let mut op = Console::connect(server.http, "8001", "demo8001").await;
    op.next("hello", Duration::from_secs(5)).await;
    let mut captain = Console::connect(server.http, "captain", "demo-captain").await;
    captain.next("hello", Duration::from_secs(5)).await;
    let (id, _) = request_from_a_pop(&server, &mut op, &mut captain).await;
    // Level 1 passes (a supervisor moves it to a minute ago, the deadline a day ahead):
    // the alarm sweep pushes orange to the captain's console.
    let mut supervisor = Console::connect(server.http, "super", "demo-super").await;
    supervisor.next("hello", Duration::from_secs(5)).await;
    let now = chrono::Utc::now();
    let body = serde_json::json!({
        "level1_at": (now - chrono::Duration::minutes(1)).to_rfc3339(),
        "deadline_at": (now + chrono::Duration::days(1)).to_rfc3339(),
    });
    let (status, r) = http_post(
        server.http,
        &format!("/api/requests/{id}/thresholds"),
        &body.to_string(),
        Some(&supervisor.token),
    );
    assert_eq!(status, 200, "{r}");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let (alarm, _) = captain.next("request.alarm", left).await;
        if alarm["id"] == id {
            assert_eq!(alarm["alarm"], "orange", "{alarm}");
            assert_eq!(alarm["previous"], "green", "{alarm}");
            break;
        }
    }
    let (status, r) = http_post(
        server.http,
        &format!("/api/requests/{id}/resolve"),
        r#"{"result":"路灯已修复"}"#,
        Some(&captain.token),
    );
    assert_eq!(status, 200, "{r}");
    // The return visit: called, key 1, recorded by the system — promptly: the resolve and
    // the campaign's end wake the return-visit task (its safety look is 30 s).
    let frame = updated(&mut captain, id, "feedback", Duration::from_secs(20)).await;
    assert_eq!(frame["by"], serde_json::Value::Null, "{frame}");
    let request = &frame["request"];
    assert_eq!(request["feedback_result"], "satisfied", "{frame}");
    assert_eq!(request["feedback_how"], "自动回访");
    assert_eq!(request["feedback_by"], serde_json::Value::Null);
    assert_eq!(request["stage"], "feedback_given");
    let (status, detail) = http_get(
        server.http,
        &format!("/api/requests/{id}"),
        Some(&captain.token),
    );
    assert_eq!(status, 200, "{detail}");
    let detail: serde_json::Value = serde_json::from_str(&detail).expect("json");
    let last = detail["events"]
        .as_array()
        .and_then(|e| e.last())
        .expect("events")
        .clone();
    assert_eq!(last["kind"], "feedback");
    assert_eq!(last["staff_id"], serde_json::Value::Null);
    assert!(
        last["note"]
            .as_str()
            .is_some_and(|n| n.starts_with("自动回访")),
        "{last}"
    );
    tokio::task::spawn_blocking(move || resident.expect_success(Duration::from_secs(20)))
        .await
        .expect("resident");
    // The return visit is no group call.
    let (status, list) = http_get(server.http, "/api/campaigns", Some(&captain.token));
    assert_eq!(status, 200, "{list}");
    assert!(!list.contains("回访"), "{list}");
    // The next call pops with it.
    let mine = next_pop_entry(&server, &mut op, id).await;
    assert_eq!(mine["result"], "路灯已修复");
    assert_eq!(mine["stage"], "feedback_given");
    assert_eq!(mine["feedback"], "satisfied");
}

/// A return visit that reaches nobody (busy at both attempts) records `not_reached` and
/// leaves the request resolved, on the captain's manual return-visit list.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_return_visit_not_reached_stays_on_the_captains_list() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (mut busy, trunk) = resident(dir.path(), "busy", "sipp/uas_busy.xml", 2, &[]);
    let server = Server::start_with(
        "revisit-busy",
        REVISIT_CONFIG,
        &["--trunk".into(), format!("127.0.0.1:{trunk}")],
    );
    let mut op = Console::connect(server.http, "8001", "demo8001").await;
    op.next("hello", Duration::from_secs(5)).await;
    let mut captain = Console::connect(server.http, "captain", "demo-captain").await;
    captain.next("hello", Duration::from_secs(5)).await;
    let (id, _) = request_from_a_pop(&server, &mut op, &mut captain).await;
    let (status, r) = http_post(
        server.http,
        &format!("/api/requests/{id}/resolve"),
        r#"{"result":"路灯已修复"}"#,
        Some(&captain.token),
    );
    assert_eq!(status, 200, "{r}");
    // Two busy attempts a moment apart; woken by the campaign's end, not the 30 s look.
    let frame = updated(&mut captain, id, "feedback", Duration::from_secs(20)).await;
    assert_eq!(
        frame["request"]["feedback_result"], "not_reached",
        "{frame}"
    );
    assert_eq!(frame["request"]["stage"], "resolved");
    tokio::task::spawn_blocking(move || busy.expect_success(Duration::from_secs(20)))
        .await
        .expect("busy");
    let (status, list) = http_get(
        server.http,
        "/api/requests?return_visit=due",
        Some(&captain.token),
    );
    assert_eq!(status, 200, "{list}");
    let list: serde_json::Value = serde_json::from_str(&list).expect("json");
    let ids: Vec<i64> = list["requests"]
        .as_array()
        .expect("requests")
        .iter()
        .filter_map(|r| r["id"].as_i64())
        .collect();
    assert!(ids.contains(&id), "on the manual list: {ids:?}");
    let (status, _) = http_get(
        server.http,
        "/api/requests?return_visit=soon",
        Some(&captain.token),
    );
    assert_eq!(status, 400);
}

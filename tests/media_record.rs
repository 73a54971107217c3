//! Recording: known RTP sent into a session lands in the WAV file sample for sample (through
//! the jitter buffer, which puts reordered packets back in order); a recording whose process
//! is killed is still readable up to its last flush; two bridged sessions relay audio with
//! transcoding.

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, UdpSocket};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use lianxin_media::g711::{alaw_decode, alaw_encode, ulaw_decode, ulaw_encode, G711};
use lianxin_media::{
    Channels, Codec, MediaConfig, MediaEngine, MediaEvent, MediaHandle, MediaSession,
    PromptLibrary, SessionParams,
};

fn engine(first_port: u16) -> MediaHandle {
    let mut config = MediaConfig::new("127.0.0.1".parse().unwrap(), Arc::new(PromptLibrary::new()));
    config.port_range = (first_port, first_port + 999);
    // 100 ms of play-out delay: the swapped frames 5 and 6 must never count as lost, even
    // when this machine is busy and the sending thread runs late.
    config.jitter_frames = (16, 5);
    MediaEngine::start(config).expect("engine starts")
}

/// Frame `n` of a known signal: a 440 Hz tone whose level changes every frame.
fn frame_pcm(n: usize) -> Vec<i16> {
    (0..160)
        .map(|i| {
            let t = (n * 160 + i) as f64 / 8000.0;
            let level = 2000.0 + 300.0 * (n % 20) as f64;
            (level * (2.0 * std::f64::consts::PI * 440.0 * t).sin()) as i16
        })
        .collect()
}

fn rtp(seq: u16, ts: u32, pt: u8, payload: &[u8]) -> Vec<u8> {
    let mut p = vec![0x80, pt, 0, 0, 0, 0, 0, 0, 0, 0, 0x12, 0x34];
    p[2..4].copy_from_slice(&seq.to_be_bytes());
    p[4..8].copy_from_slice(&ts.to_be_bytes());
    p.extend_from_slice(payload);
    p
}

/// Sends frames `0..n` as μ-law at 20 ms pace (frames 5 and 6 swapped in order).
fn send_frames(sock: &UdpSocket, to: SocketAddr, n: usize) {
    send_frames_as(sock, to, n, Codec::Pcmu, 0);
}

/// Sends frames `first..first + n` in `codec` at 20 ms pace (frames 5 and 6 swapped).
fn send_frames_as(sock: &UdpSocket, to: SocketAddr, n: usize, codec: Codec, first: usize) {
    let start = Instant::now();
    let mut order: Vec<usize> = (0..n).collect();
    if n > 7 {
        order.swap(5, 6);
    }
    for (slot, &f) in order.iter().enumerate() {
        let due = start + Duration::from_millis(20 * slot as u64);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        let f = first + f;
        let payload: Vec<u8> = frame_pcm(f).into_iter().map(|s| codec.encode(s)).collect();
        let pt = codec.payload_type();
        sock.send_to(&rtp(1000 + f as u16, 160 * f as u32, pt, &payload), to)
            .unwrap();
    }
}

fn expected(n: usize) -> Vec<i16> {
    (0..n)
        .flat_map(frame_pcm)
        .map(|s| ulaw_decode(ulaw_encode(s)))
        .collect()
}

/// Waits (at most 5 s) until `session` has received `n` RTP packets.
async fn received(session: &MediaSession, n: u64) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let got = session.stats().await.unwrap().packets_received;
        if got >= n {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "only {got} of {n} packets received"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn read_wav(path: &Path) -> (hound::WavSpec, Vec<i16>) {
    let mut r = hound::WavReader::open(path).unwrap();
    (r.spec(), r.samples::<i16>().map(|s| s.unwrap()).collect())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn received_rtp_is_recorded_sample_for_sample() {
    let media = engine(34000);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("message.wav");
    let phone = UdpSocket::bind("127.0.0.1:0").unwrap();
    let (session, mut events) = media
        .open(SessionParams {
            codec: Codec::Pcmu,
            telephone_event_pt: None,
            remote: Some(phone.local_addr().unwrap()),
        })
        .unwrap();
    session
        .record(&path, Duration::from_secs(60), Channels::Mono)
        .unwrap();
    let to = session.local_addr();
    tokio::task::spawn_blocking(move || {
        send_frames(&phone, to, 50);
    })
    .await
    .unwrap();
    // Every packet has reached the session (what is still in the jitter buffer is written
    // when the recording stops).
    received(&session, 50).await;
    session.stop_recording().unwrap();
    let ev = tokio::time::timeout(Duration::from_secs(5), events.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        ev,
        MediaEvent::RecordingStopped {
            path: path.clone(),
            duration: Duration::from_secs(1)
        }
    );
    let (spec, samples) = read_wav(&path);
    assert_eq!(
        (spec.sample_rate, spec.channels, spec.bits_per_sample),
        (8000, 1, 16)
    );
    assert_eq!(samples.len(), 50 * 160);
    assert!(
        samples == expected(50),
        "recorded audio differs from what was sent"
    );
    let stats = session.close().await;
    assert_eq!(stats.packets_received, 50);
    assert_eq!(stats.packets_lost, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recording_stops_at_its_maximum_length() {
    let media = engine(35000);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("short.wav");
    let phone = UdpSocket::bind("127.0.0.1:0").unwrap();
    let (session, mut events) = media
        .open(SessionParams {
            codec: Codec::Pcmu,
            telephone_event_pt: None,
            remote: Some(phone.local_addr().unwrap()),
        })
        .unwrap();
    session
        .record(&path, Duration::from_millis(400), Channels::Mono)
        .unwrap();
    let to = session.local_addr();
    tokio::task::spawn_blocking(move || {
        send_frames(&phone, to, 40);
    });
    let ev = tokio::time::timeout(Duration::from_secs(5), events.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        ev,
        MediaEvent::RecordingStopped {
            path: path.clone(),
            duration: Duration::from_millis(400)
        }
    );
    let (_, samples) = read_wav(&path);
    assert!(samples == expected(20));
    session.close().await;
}

/// The test re-runs its own binary with only itself selected and this variable naming the
/// WAV file: that child process records until it is killed.
const CHILD_RECORDS_TO: &str = "LIANXIN_MEDIA_TEST_RECORD";
/// ... and this one the phone's address (the child's session takes RTP only from there).
const CHILD_PHONE: &str = "LIANXIN_MEDIA_TEST_PHONE";

/// The child's part of `killed_recording_is_readable_up_to_last_flush`: records into `path`,
/// prints its port, and waits to be killed (it fails if nobody kills it within 30 s).
fn record_until_killed(path: &Path) {
    let phone: SocketAddr = std::env::var(CHILD_PHONE)
        .expect("the parent names the phone")
        .parse()
        .unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let media = engine(36000);
        let (session, _events) = media
            .open(SessionParams {
                codec: Codec::Pcmu,
                telephone_event_pt: None,
                remote: Some(phone),
            })
            .unwrap();
        session
            .record(path, Duration::from_secs(60), Channels::Mono)
            .unwrap();
        println!("PORT {}", session.local_port());
        tokio::time::sleep(Duration::from_secs(30)).await;
    });
    panic!("the recording child was not killed within 30 s");
}

#[test]
fn killed_recording_is_readable_up_to_last_flush() {
    if let Some(path) = std::env::var_os(CHILD_RECORDS_TO) {
        return record_until_killed(Path::new(&path));
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crash.wav");
    let phone = UdpSocket::bind("127.0.0.1:0").unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "killed_recording_is_readable_up_to_last_flush",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env(CHILD_RECORDS_TO, &path)
        .env(CHILD_PHONE, phone.local_addr().unwrap().to_string())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let port: u16 = loop {
        let line = lines.next().expect("child prints its port").unwrap();
        // The test harness prints "test killed_recording_... ... " on the same line.
        if let Some(at) = line.find("PORT ") {
            break line[at + 5..].trim().parse().unwrap();
        }
    };
    let to: SocketAddr = ([127, 0, 0, 1], port).into();
    // 2.5 s of audio, then SIGKILL: no finalize, no destructor.
    send_frames(&phone, to, 125);
    child.kill().unwrap();
    child.wait().unwrap();
    let (spec, samples) = read_wav(&path);
    assert_eq!(spec.sample_rate, 8000);
    // Flushed every second: at least the first 2 s are there, and they are right.
    assert!(
        samples.len() >= 2 * 8000,
        "only {} samples survived",
        samples.len()
    );
    assert!(samples.len() <= 125 * 160);
    let want = expected(125);
    assert!(
        samples[..] == want[..samples.len()],
        "surviving audio differs"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bridged_sessions_relay_and_transcode() {
    let media = engine(37000);
    let caller_phone = UdpSocket::bind("127.0.0.1:0").unwrap();
    let operator_phone = UdpSocket::bind("127.0.0.1:0").unwrap();
    let (caller, _ce) = media
        .open(SessionParams {
            codec: Codec::Pcmu,
            telephone_event_pt: None,
            remote: Some(caller_phone.local_addr().unwrap()),
        })
        .unwrap();
    let (operator, _oe) = media
        .open(SessionParams {
            codec: Codec::Pcma,
            telephone_event_pt: None,
            remote: Some(operator_phone.local_addr().unwrap()),
        })
        .unwrap();
    caller.bridge(&operator).unwrap();
    let to = caller.local_addr();
    let got = tokio::task::spawn_blocking(move || {
        send_frames(&caller_phone, to, 30);
        operator_phone
            .set_read_timeout(Some(Duration::from_millis(300)))
            .unwrap();
        let mut out = Vec::new();
        let mut buf = [0u8; 1500];
        while let Ok((n, _)) = operator_phone.recv_from(&mut buf) {
            assert_eq!(buf[1] & 0x7F, 8, "operator leg is A-law");
            out.extend(buf[12..n].iter().map(|&c| alaw_decode(c)));
        }
        out
    })
    .await
    .unwrap();
    // The operator hears what the caller said, transcoded μ-law → A-law.
    let want: Vec<i16> = expected(30)
        .into_iter()
        .map(|s| alaw_decode(alaw_encode(s)))
        .collect();
    assert_eq!(got.len(), want.len());
    assert!(got == want, "relayed audio differs");
    caller.close().await;
    operator.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn call_recording_has_caller_left_and_operator_right() {
    let media = engine(39000);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("call.wav");
    let caller_phone = UdpSocket::bind("127.0.0.1:0").unwrap();
    let operator_phone = UdpSocket::bind("127.0.0.1:0").unwrap();
    let (caller, mut events) = media
        .open(SessionParams {
            codec: Codec::Pcmu,
            telephone_event_pt: None,
            remote: Some(caller_phone.local_addr().unwrap()),
        })
        .unwrap();
    let (operator, _oe) = media
        .open(SessionParams {
            codec: Codec::Pcma,
            telephone_event_pt: None,
            remote: Some(operator_phone.local_addr().unwrap()),
        })
        .unwrap();
    caller.bridge(&operator).unwrap();
    caller
        .record(&path, Duration::from_secs(60), Channels::CallerOperator)
        .unwrap();
    let (to_caller, to_operator) = (caller.local_addr(), operator.local_addr());
    let a = std::thread::spawn(move || {
        send_frames_as(&caller_phone, to_caller, 30, Codec::Pcmu, 0);
        caller_phone
    });
    let b = std::thread::spawn(move || {
        send_frames_as(&operator_phone, to_operator, 30, Codec::Pcma, 100);
        operator_phone
    });
    let (caller_phone, operator_phone) = (a.join().unwrap(), b.join().unwrap());
    // The engine records each side in the tick it relays it to the other phone: once both
    // phones have heard all 30 frames of the other, the recording holds them too.
    tokio::task::spawn_blocking(move || {
        for (phone, name) in [(&caller_phone, "caller"), (&operator_phone, "operator")] {
            let heard = voiced_frames(phone, 30);
            assert_eq!(heard, 30, "the {name}'s phone heard {heard} of 30 frames");
        }
    })
    .await
    .unwrap();
    caller.stop_recording().unwrap();
    let ev = tokio::time::timeout(Duration::from_secs(5), events.recv())
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(ev, MediaEvent::RecordingStopped { .. }), "{ev:?}");
    let (spec, samples) = read_wav(&path);
    assert_eq!(spec.channels, 2);
    let left: Vec<i16> = samples.iter().step_by(2).copied().collect();
    let right: Vec<i16> = samples.iter().skip(1).step_by(2).copied().collect();
    let voiced = |ch: &[i16]| -> Vec<i16> {
        ch.chunks(160)
            .filter(|f| f.iter().any(|&s| s != 0))
            .flatten()
            .copied()
            .collect()
    };
    // Left: the caller, as received (μ-law).
    assert!(voiced(&left) == expected(30), "caller channel differs");
    // Right: the operator as relayed to the caller: A-law in, μ-law out.
    let operator_heard: Vec<i16> = (100..130)
        .flat_map(frame_pcm)
        .map(|s| ulaw_decode(ulaw_encode(alaw_decode(alaw_encode(s)))))
        .collect();
    assert!(voiced(&right) == operator_heard, "operator channel differs");
    caller.close().await;
    operator.close().await;
}

/// Counts the non-silent frames arriving on `sock` (either G.711 law) until `n` have come
/// or it is quiet for 2 s.
fn voiced_frames(sock: &UdpSocket, n: usize) -> usize {
    sock.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let mut buf = [0u8; 1500];
    let mut voiced = 0;
    while voiced < n {
        let Ok((len, _)) = sock.recv_from(&mut buf) else {
            break;
        };
        // A-law has no zero: its silence decodes to ±8.
        let decode = if buf[1] & 0x7F == 8 {
            alaw_decode
        } else {
            ulaw_decode
        };
        let silent = buf[12..len].iter().all(|&c| decode(c).abs() <= 8);
        if !silent {
            voiced += 1;
        }
    }
    voiced
}

/// Collects what arrives on `sock`, decoded μ-law with silent frames left out, until
/// `want` samples have come or it is quiet for 2 s; with `want` 0 (nothing should come)
/// until it is quiet for 300 ms. A busy machine may stall the media thread for a few
/// hundred milliseconds, so a wanted stream is not cut at its first gap.
fn voiced_ulaw(sock: &UdpSocket, want: usize) -> Vec<i16> {
    let quiet = if want == 0 {
        Duration::from_millis(300)
    } else {
        Duration::from_secs(2)
    };
    sock.set_read_timeout(Some(quiet)).unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 1500];
    while want == 0 || out.len() < want {
        let Ok((n, _)) = sock.recv_from(&mut buf) else {
            break;
        };
        let pcm: Vec<i16> = buf[12..n].iter().map(|&c| ulaw_decode(c)).collect();
        if pcm.iter().any(|&s| s != 0) {
            out.extend(pcm);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn supervisor_listens_and_whispers_to_the_operator_only() {
    let media = engine(39500);
    let phones: Vec<UdpSocket> = (0..3)
        .map(|_| UdpSocket::bind("127.0.0.1:0").unwrap())
        .collect();
    let open = |phone: &UdpSocket| {
        media
            .open(SessionParams {
                codec: Codec::Pcmu,
                telephone_event_pt: None,
                remote: Some(phone.local_addr().unwrap()),
            })
            .unwrap()
    };
    let (caller, _ce) = open(&phones[0]);
    let (operator, _oe) = open(&phones[1]);
    let (supervisor, _se) = open(&phones[2]);
    caller.bridge(&operator).unwrap();
    supervisor.monitor(&caller, &operator, false).unwrap();
    let [caller_phone, operator_phone, supervisor_phone]: [UdpSocket; 3] =
        phones.try_into().unwrap();

    // The caller speaks: the supervisor hears it (the operator is silent, so the mix is
    // the caller alone).
    let to_caller = caller.local_addr();
    let (caller_phone, operator_phone, supervisor_phone, heard, op_heard) =
        tokio::task::spawn_blocking(move || {
            send_frames(&caller_phone, to_caller, 30);
            let heard = voiced_ulaw(&supervisor_phone, expected(30).len());
            let op_heard = voiced_ulaw(&operator_phone, expected(30).len());
            (
                caller_phone,
                operator_phone,
                supervisor_phone,
                heard,
                op_heard,
            )
        })
        .await
        .unwrap();
    assert!(op_heard == expected(30), "operator did not hear the caller");
    assert!(heard == expected(30), "supervisor did not hear the caller");

    // Whisper: the supervisor speaks (from its phone, the address its session was opened
    // with); the operator hears it, the caller does not.
    supervisor.monitor(&caller, &operator, true).unwrap();
    let to_supervisor = supervisor.local_addr();
    let (op_heard, caller_heard) = tokio::task::spawn_blocking(move || {
        send_frames(&supervisor_phone, to_supervisor, 30);
        (
            voiced_ulaw(&operator_phone, expected(30).len()),
            voiced_ulaw(&caller_phone, 0),
        )
    })
    .await
    .unwrap();
    assert!(
        op_heard == expected(30),
        "operator did not hear the whisper"
    );
    assert!(caller_heard.is_empty(), "the caller heard the whisper");
    caller.close().await;
    operator.close().await;
    supervisor.close().await;
}

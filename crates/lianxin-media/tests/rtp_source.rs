//! Regression tests for issue 10, point 2 ("RTP latches onto any source"), against the real
//! engine on 127.0.0.1: an attacker who sends packets to every port of the RTP range, then
//! streams well-formed audio and key presses at a live call, gets nothing in (no key press,
//! nothing recorded, nothing relayed to the bridged party) and nothing out (no audio sent to
//! it), and is counted; the signalled peer's audio still flows, sample for sample. And port
//! pairs are handed out at random, not in order.
#![allow(clippy::disallowed_methods)] // real sockets and real time: the test paces itself

use std::net::{SocketAddr, UdpSocket};
use std::sync::Arc;
use std::time::{Duration, Instant};

use lianxin_media::g711::{ulaw_decode, ulaw_encode};
use lianxin_media::{
    Channels, Codec, MediaConfig, MediaEngine, MediaEvent, MediaHandle, MediaSession, PlayItem,
    Prompt, PromptLibrary, SessionParams,
};

const RANGE: (u16, u16) = (51200, 51399);

fn engine(range: (u16, u16), seed: u64) -> MediaHandle {
    let mut config = MediaConfig::new("127.0.0.1".parse().unwrap(), Arc::new(PromptLibrary::new()));
    config.port_range = range;
    config.jitter_frames = (16, 5);
    config.rng_seed = Some(seed);
    config.realtime = false;
    MediaEngine::start(config).expect("engine starts")
}

/// Frame `n` of the peer's voice: a quiet 440 Hz tone whose level changes every frame.
fn frame_pcm(n: usize) -> Vec<i16> {
    (0..160)
        .map(|i| {
            let t = (n * 160 + i) as f64 / 8000.0;
            let level = 2000.0 + 300.0 * (n % 20) as f64;
            (level * (2.0 * std::f64::consts::PI * 440.0 * t).sin()) as i16
        })
        .collect()
}

fn expected(n: usize) -> Vec<i16> {
    (0..n)
        .flat_map(frame_pcm)
        .map(|s| ulaw_decode(ulaw_encode(s)))
        .collect()
}

fn rtp(seq: u16, ts: u32, pt: u8, ssrc: u32, payload: &[u8]) -> Vec<u8> {
    let mut p = vec![0x80, pt, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    p[2..4].copy_from_slice(&seq.to_be_bytes());
    p[4..8].copy_from_slice(&ts.to_be_bytes());
    p[8..12].copy_from_slice(&ssrc.to_be_bytes());
    p.extend_from_slice(payload);
    p
}

/// The attacker's audio: full-scale μ-law (0x00), which no frame of the peer's contains.
const LOUD: u8 = 0x00;

/// The attacker's packets for round `k`: audio, and a key press (RFC 4733, event 9, end),
/// with consecutive sequence numbers of one SSRC, as a careful attacker would send them.
fn attack(k: u16) -> [Vec<u8>; 2] {
    [
        rtp(2 * k, 160 * k as u32, 0, 0x0BAD, &[LOUD; 160]),
        rtp(
            2 * k + 1,
            160 * k as u32,
            101,
            0x0BAD,
            &[9, 0x8A, 0x03, 0x20],
        ),
    ]
}

/// The peer sends frames `0..n` at 20 ms pace while the attacker streams at the session
/// (two packets per frame, consecutive sequence numbers, one SSRC); returns how many
/// attacker packets were sent.
fn talk_under_attack(peer: &UdpSocket, attacker: &UdpSocket, to: SocketAddr, n: usize) -> u64 {
    let start = Instant::now();
    let mut sent = 0;
    for f in 0..n {
        let due = start + Duration::from_millis(20 * f as u64);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        let payload: Vec<u8> = frame_pcm(f).into_iter().map(ulaw_encode).collect();
        peer.send_to(
            &rtp(1000 + f as u16, 160 * f as u32, 0, 0x1234, &payload),
            to,
        )
        .unwrap();
        for pkt in attack(100 + f as u16) {
            attacker.send_to(&pkt, to).unwrap();
            sent += 1;
        }
    }
    sent
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

/// Every μ-law payload that arrives on `sock` until it is quiet for `quiet`.
fn payloads(sock: &UdpSocket, quiet: Duration) -> Vec<Vec<u8>> {
    sock.set_read_timeout(Some(quiet)).unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 1500];
    while let Ok((len, _)) = sock.recv_from(&mut buf) {
        if len > 12 {
            out.push(buf[12..len].to_vec());
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_attacker_gets_nothing_in_and_nothing_out_and_the_peer_still_talks() {
    let media = engine(RANGE, 7);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("call.wav");
    let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
    let bridged_phone = UdpSocket::bind("127.0.0.1:0").unwrap();
    let attacker = UdpSocket::bind("127.0.0.1:0").unwrap();
    let params = |remote: SocketAddr| SessionParams {
        codec: Codec::Pcmu,
        telephone_event_pt: Some(101),
        remote: Some(remote),
    };
    let (call, mut events) = media.open(params(peer.local_addr().unwrap())).unwrap();
    let (other, _other_events) = media
        .open(params(bridged_phone.local_addr().unwrap()))
        .unwrap();
    call.bridge(&other).unwrap();
    call.record(&path, Duration::from_secs(60), Channels::Mono)
        .unwrap();
    let to = call.local_addr();

    // 1. What was reproduced: one packet (audio, then a key press) to every port of the
    //    range, before the peer's media starts, inside the latch window.
    for port in RANGE.0..=RANGE.1 {
        for pkt in attack(1) {
            attacker.send_to(&pkt, ("127.0.0.1", port)).unwrap();
        }
    }
    // 2. The peer talks for a second while the attacker streams at the call.
    let (peer, attacker, streamed) = tokio::task::spawn_blocking(move || {
        let n = talk_under_attack(&peer, &attacker, to, 50);
        (peer, attacker, n)
    })
    .await
    .unwrap();
    received(&call, 50).await;
    // 3. We speak: the peer hears it, the attacker hears nothing.
    let beep: Vec<i16> = (0..1600)
        .map(|i| if i % 16 < 8 { 3000 } else { -3000 })
        .collect();
    call.play(vec![PlayItem::Prompt(Arc::new(Prompt::from_pcm(
        "beep", &beep,
    )))])
    .unwrap();
    let (peer_heard, attacker_heard, bridged_heard) = tokio::task::spawn_blocking(move || {
        let quiet = Duration::from_millis(500);
        let bridged = payloads(&bridged_phone, quiet);
        (payloads(&peer, quiet), payloads(&attacker, quiet), bridged)
    })
    .await
    .unwrap();
    assert!(
        attacker_heard.is_empty(),
        "the attacker received {} packets",
        attacker_heard.len()
    );
    assert!(
        peer_heard.len() >= 10,
        "the peer heard {} packets of ours",
        peer_heard.len()
    );
    // The bridged party heard the peer, never the attacker.
    assert!(!bridged_heard.is_empty(), "nothing relayed from the peer");
    assert!(
        bridged_heard.iter().all(|p| !p.contains(&LOUD)),
        "the attacker's audio was relayed"
    );

    // No key press reached the call's owner.
    call.stop_recording().unwrap();
    let mut recorded = None;
    while let Ok(Some(ev)) = tokio::time::timeout(Duration::from_secs(2), events.recv()).await {
        match ev {
            MediaEvent::Dtmf(k) => panic!("the attacker's key {k} was heard"),
            MediaEvent::RecordingStopped { path, .. } => {
                recorded = Some(path);
                break;
            }
            _ => {}
        }
    }
    // The recording is the peer's voice, sample for sample, and nothing else.
    let recorded = recorded.expect("recording stopped");
    let samples: Vec<i16> = hound::WavReader::open(&recorded)
        .unwrap()
        .samples::<i16>()
        .map(|s| s.unwrap())
        .collect();
    assert!(
        samples == expected(50),
        "the recording is not exactly the peer's voice"
    );

    // Counted: the spray's two packets to this port and everything streamed.
    let stats = call.close().await;
    assert_eq!(stats.packets_received, 50);
    assert_eq!(stats.packets_foreign, 2 + streamed, "{stats:?}");
    other.close().await;
}

/// After the latch window a quiet peer's address is not up for grabs either.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_the_window_a_silent_call_cannot_be_taken_over() {
    let mut config = MediaConfig::new("127.0.0.1".parse().unwrap(), Arc::new(PromptLibrary::new()));
    config.port_range = (51400, 51499);
    config.latch.window = Duration::from_millis(300);
    config.realtime = false;
    let media = MediaEngine::start(config).unwrap();
    let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
    let attacker = UdpSocket::bind("127.0.0.1:0").unwrap();
    let (call, mut events) = media
        .open(SessionParams {
            codec: Codec::Pcmu,
            telephone_event_pt: Some(101),
            remote: Some(peer.local_addr().unwrap()),
        })
        .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let to = call.local_addr();
    for k in 0..20u16 {
        for pkt in attack(k) {
            attacker.send_to(&pkt, to).unwrap();
        }
    }
    let beep: Vec<i16> = (0..800)
        .map(|i| if i % 16 < 8 { 3000 } else { -3000 })
        .collect();
    call.play(vec![PlayItem::Prompt(Arc::new(Prompt::from_pcm(
        "beep", &beep,
    )))])
    .unwrap();
    let (peer_heard, attacker_heard) = tokio::task::spawn_blocking(move || {
        let quiet = Duration::from_millis(400);
        (payloads(&peer, quiet), payloads(&attacker, quiet))
    })
    .await
    .unwrap();
    assert!(attacker_heard.is_empty(), "the attacker took the call over");
    assert_eq!(peer_heard.len(), 5, "the peer hears the beep");
    let ev = tokio::time::timeout(Duration::from_millis(200), events.recv()).await;
    assert!(
        !matches!(ev, Ok(Some(MediaEvent::Dtmf(_)))),
        "a key press was heard"
    );
    let stats = call.close().await;
    assert_eq!((stats.packets_received, stats.packets_foreign), (0, 40));
}

/// Regression: ports were handed out in order, so one call's port told the next one's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn port_pairs_are_drawn_at_random() {
    let range = (51600, 51999);
    let media = engine(range, 42);
    let mut sessions = Vec::new();
    for _ in 0..30 {
        let (s, _ev) = media
            .open(SessionParams {
                codec: Codec::Pcmu,
                telephone_event_pt: None,
                remote: None,
            })
            .unwrap();
        sessions.push(s);
    }
    let ports: Vec<u16> = sessions.iter().map(|s| s.local_port()).collect();
    assert!(
        ports
            .iter()
            .all(|p| p % 2 == 0 && *p >= range.0 && *p < range.1),
        "{ports:?}"
    );
    let adjacent = ports
        .windows(2)
        .filter(|w| w[0].abs_diff(w[1]) == 2)
        .count();
    assert!(
        adjacent <= 3,
        "{adjacent} of 29 consecutive opens got neighbouring pairs: {ports:?}"
    );
    let ascending = ports.windows(2).filter(|w| w[1] > w[0]).count();
    assert!((5..=24).contains(&ascending), "not in order: {ports:?}");
    let mut distinct = ports.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(distinct.len(), ports.len(), "each session its own pair");
    for s in sessions {
        s.close().await;
    }
}

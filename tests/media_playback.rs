//! The media engine plays a shipped prompt over RTP to a plain UDP receiver on 127.0.0.1;
//! the received audio is decoded and compared with the source WAV (same length within one
//! frame, same samples after G.711). Also: chained play lists, A-law, symmetric RTP (a NAT'd
//! peer learned after its probation) and key presses from the peer.

use std::net::{SocketAddr, UdpSocket};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use lianxin_media::g711::{alaw_decode, alaw_encode, ulaw_decode, ulaw_encode};
use lianxin_media::{
    Codec, MediaConfig, MediaEngine, MediaEvent, MediaHandle, PlayItem, PromptLibrary,
    SessionParams,
};

fn prompts_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("prompts")
}

fn engine(first_port: u16) -> MediaHandle {
    let lib = PromptLibrary::load_dir(&prompts_dir(), &Default::default()).expect("prompts load");
    let mut config = MediaConfig::new("127.0.0.1".parse().unwrap(), Arc::new(lib));
    config.port_range = (first_port, first_port + 999);
    MediaEngine::start(config).expect("engine starts")
}

struct Packet {
    pt: u8,
    marker: bool,
    seq: u16,
    ts: u32,
    ssrc: u32,
    payload: Vec<u8>,
}

fn parse(b: &[u8]) -> Packet {
    assert!(b.len() >= 12, "short RTP packet");
    assert_eq!(b[0] >> 6, 2, "RTP version");
    assert_eq!(b[0] & 0x3F, 0, "no padding, extension or CSRC expected");
    Packet {
        pt: b[1] & 0x7F,
        marker: b[1] & 0x80 != 0,
        seq: u16::from_be_bytes([b[2], b[3]]),
        ts: u32::from_be_bytes([b[4], b[5], b[6], b[7]]),
        ssrc: u32::from_be_bytes([b[8], b[9], b[10], b[11]]),
        payload: b[12..].to_vec(),
    }
}

/// Receives until the stream has been quiet for `quiet`.
fn receive_all(sock: &UdpSocket, quiet: Duration) -> Vec<(Packet, SocketAddr)> {
    sock.set_read_timeout(Some(quiet)).unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 2048];
    // The first packet may take a moment (engine start, first tick).
    sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    while let Ok((n, from)) = sock.recv_from(&mut buf) {
        out.push((parse(&buf[..n]), from));
        sock.set_read_timeout(Some(quiet)).unwrap();
    }
    out
}

/// Receives `n` packets, or what arrives within `limit` if fewer come.
fn receive_n(sock: &UdpSocket, n: usize, limit: Duration) -> Vec<(Packet, SocketAddr)> {
    let deadline = std::time::Instant::now() + limit;
    let mut out = Vec::new();
    let mut buf = [0u8; 2048];
    while out.len() < n {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            break;
        }
        sock.set_read_timeout(Some(left)).unwrap();
        if let Ok((len, from)) = sock.recv_from(&mut buf) {
            out.push((parse(&buf[..len]), from));
        }
    }
    out
}

fn wav_samples(name: &str) -> Vec<i16> {
    let mut r = hound::WavReader::open(prompts_dir().join(format!("{name}.wav"))).unwrap();
    let spec = r.spec();
    assert_eq!(
        (spec.sample_rate, spec.channels, spec.bits_per_sample),
        (8000, 1, 16)
    );
    r.samples::<i16>().map(|s| s.unwrap()).collect()
}

async fn next_event(rx: &mut tokio::sync::mpsc::Receiver<MediaEvent>) -> MediaEvent {
    tokio::time::timeout(Duration::from_secs(15), rx.recv())
        .await
        .expect("event in time")
        .expect("channel open")
}

fn check_stream(packets: &[(Packet, SocketAddr)], pt: u8) {
    let first = &packets[0].0;
    assert!(first.marker, "marker bit on the talk-spurt's first packet");
    for (i, (p, _)) in packets.iter().enumerate() {
        assert_eq!(p.pt, pt);
        assert_eq!(p.ssrc, first.ssrc);
        assert_eq!(
            p.seq,
            first.seq.wrapping_add(i as u16),
            "consecutive sequence numbers"
        );
        assert_eq!(
            p.ts,
            first.ts.wrapping_add(160 * i as u32),
            "20 ms timestamps"
        );
        assert_eq!(p.payload.len(), 160);
        if i > 0 {
            assert!(!p.marker, "marker only on the first packet");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn played_prompt_arrives_intact_in_both_laws() {
    let media = engine(31000);
    for (codec, pt) in [(Codec::Pcmu, 0u8), (Codec::Pcma, 8u8)] {
        let receiver = UdpSocket::bind("127.0.0.1:0").unwrap();
        let (session, mut events) = media
            .open(SessionParams {
                codec,
                telephone_event_pt: Some(101),
                remote: Some(receiver.local_addr().unwrap()),
            })
            .unwrap();
        assert_eq!(session.local_port() % 2, 0, "RTP on an even port");
        let prompt = media.prompt("queue_ahead_1").unwrap();
        session
            .play(vec![PlayItem::Prompt(prompt.clone())])
            .unwrap();
        let rx =
            tokio::task::spawn_blocking(move || receive_all(&receiver, Duration::from_millis(500)));
        assert_eq!(next_event(&mut events).await, MediaEvent::PlaybackFinished);
        let packets = rx.await.unwrap();
        check_stream(&packets, pt);
        assert_eq!(
            packets[0].1.port(),
            session.local_port(),
            "sent from the session's port"
        );

        let source = wav_samples("queue_ahead_1");
        let received: Vec<i16> = packets
            .iter()
            .flat_map(|(p, _)| p.payload.clone())
            .map(|c| match codec {
                Codec::Pcmu => ulaw_decode(c),
                Codec::Pcma => alaw_decode(c),
            })
            .collect();
        // Same length within one frame.
        assert!(
            received.len() >= source.len() && received.len() - source.len() < 160,
            "{codec:?}: received {} samples, source {}",
            received.len(),
            source.len()
        );
        // Same samples after G.711.
        for (i, (&got, &src)) in received.iter().zip(&source).enumerate() {
            let want = match codec {
                Codec::Pcmu => ulaw_decode(ulaw_encode(src)),
                Codec::Pcma => alaw_decode(alaw_encode(src)),
            };
            assert_eq!(got, want, "{codec:?} sample {i}");
        }
        // The padding of the last frame is silence.
        assert!(received[source.len()..].iter().all(|&s| s.abs() <= 8));

        let stats = session.close().await;
        assert_eq!(stats.packets_sent as usize, packets.len());
        assert_eq!(stats.octets_sent as usize, 160 * packets.len());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chained_play_list_and_stop() {
    let media = engine(32000);
    let receiver = UdpSocket::bind("127.0.0.1:0").unwrap();
    let (session, mut events) = media
        .open(SessionParams {
            codec: Codec::Pcmu,
            telephone_event_pt: None,
            remote: Some(receiver.local_addr().unwrap()),
        })
        .unwrap();
    let tone = media.prompt("tone").unwrap();
    assert_eq!(tone.frames(), 20);
    session
        .play(vec![
            PlayItem::Prompt(tone.clone()),
            PlayItem::Silence(Duration::from_millis(100)),
            PlayItem::Prompt(tone.clone()),
        ])
        .unwrap();
    let rx = tokio::task::spawn_blocking(move || {
        let p = receive_all(&receiver, Duration::from_millis(400));
        (p, receiver)
    });
    assert_eq!(next_event(&mut events).await, MediaEvent::PlaybackFinished);
    let (packets, receiver) = rx.await.unwrap();
    assert_eq!(packets.len(), 20 + 5 + 20);
    check_stream(&packets, 0);
    assert!(packets[20..25]
        .iter()
        .all(|(p, _)| p.payload.iter().all(|&c| c == 0xFF)));

    // A looping item plays until stopped; no PlaybackFinished follows a stop.
    session.play(vec![PlayItem::Loop(tone.clone())]).unwrap();
    // Stop once the loop has gone past the tone's 20 frames.
    let (mut packets, receiver) = tokio::task::spawn_blocking(move || {
        (receive_n(&receiver, 26, Duration::from_secs(5)), receiver)
    })
    .await
    .unwrap();
    session.stop_playback().unwrap();
    packets.extend(
        tokio::task::spawn_blocking(move || receive_all(&receiver, Duration::from_millis(300)))
            .await
            .unwrap(),
    );
    assert!(
        packets.len() > 25,
        "looped past the 20-frame tone: {}",
        packets.len()
    );
    assert!(
        packets[0].0.marker,
        "a new talk-spurt starts with the marker bit"
    );
    assert!(
        tokio::time::timeout(Duration::from_millis(300), events.recv())
            .await
            .is_err(),
        "no event after stop_playback"
    );
    session.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn symmetric_rtp_and_key_presses() {
    let media = engine(33000);
    let phone = UdpSocket::bind("127.0.0.1:0").unwrap();
    // The SDP names an address the phone does not really use (as behind NAT).
    let signalled: SocketAddr = "127.0.0.1:9".parse().unwrap();
    let (session, mut events) = media
        .open(SessionParams {
            codec: Codec::Pcmu,
            telephone_event_pt: Some(101),
            remote: Some(signalled),
        })
        .unwrap();
    let to = session.local_addr();
    // Key 5 pressed: three updates and three end packets, all with the event's timestamp.
    for (seq, (end, dur)) in (100u16..).zip([
        (false, 160u16),
        (false, 320),
        (false, 480),
        (true, 640),
        (true, 640),
        (true, 640),
    ]) {
        let mut pkt = vec![0x80, 101, 0, 0, 0, 0, 0x1F, 0x40, 0, 0, 0, 42];
        pkt[2..4].copy_from_slice(&seq.to_be_bytes());
        pkt.extend_from_slice(&[
            5,
            if end { 0x8A } else { 0x0A },
            (dur >> 8) as u8,
            dur as u8,
        ]);
        phone.send_to(&pkt, to).unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(next_event(&mut events).await, MediaEvent::Dtmf('5'));
    // Now playback goes to where the phone's packets came from, not to the SDP address.
    session
        .play(vec![PlayItem::Prompt(media.prompt("tone").unwrap())])
        .unwrap();
    let packets =
        tokio::task::spawn_blocking(move || receive_all(&phone, Duration::from_millis(400)))
            .await
            .unwrap();
    assert_eq!(packets.len(), 20);
    assert_eq!(next_event(&mut events).await, MediaEvent::PlaybackFinished);
    let stats = session.close().await;
    // A source other than the signalled one is learned after a probation of three packets
    // in a row; the first two are dropped (counted as foreign), the key press still comes.
    assert_eq!(stats.packets_received, 4);
    assert_eq!(stats.packets_foreign, 2);
    assert_eq!(stats.packets_lost, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silence_from_the_peer_is_reported_once() {
    let lib = PromptLibrary::new();
    let mut config = MediaConfig::new("127.0.0.1".parse().unwrap(), Arc::new(lib));
    config.port_range = (38000, 38999);
    config.no_media_timeout = Duration::from_millis(300);
    let media = MediaEngine::start(config).unwrap();
    let (session, mut events) = media
        .open(SessionParams {
            codec: Codec::Pcma,
            telephone_event_pt: None,
            remote: Some("127.0.0.1:9".parse().unwrap()),
        })
        .unwrap();
    assert_eq!(next_event(&mut events).await, MediaEvent::NoMedia);
    assert!(
        tokio::time::timeout(Duration::from_millis(800), events.recv())
            .await
            .is_err(),
        "reported once per silence"
    );
    assert_eq!(media.open_sessions(), 1);
    let stats = session.close().await;
    assert_eq!(stats.packets_received, 0);
    assert_eq!(media.open_sessions(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tagged_play_lists_report_their_own_end() {
    let media = engine(35000);
    let receiver = UdpSocket::bind("127.0.0.1:0").unwrap();
    let (session, mut events) = media
        .open(SessionParams {
            codec: Codec::Pcmu,
            telephone_event_pt: None,
            remote: Some(receiver.local_addr().unwrap()),
        })
        .unwrap();
    let tone = media.prompt("tone").unwrap();
    session
        .play_tagged(vec![PlayItem::Prompt(tone.clone())], 7)
        .unwrap();
    assert_eq!(next_event(&mut events).await, MediaEvent::PlaybackDone(7));
    // A list replaced before its end never reports; only the replacement does.
    session
        .play_tagged(vec![PlayItem::Prompt(tone.clone())], 8)
        .unwrap();
    session
        .play_tagged(vec![PlayItem::Prompt(tone.clone())], 9)
        .unwrap();
    assert_eq!(next_event(&mut events).await, MediaEvent::PlaybackDone(9));
    session.close().await;
}

/// Packets arriving on `sock` during `window` (bounded, unlike `receive_all`).
fn count_for(sock: &UdpSocket, window: Duration) -> usize {
    let mut buf = [0u8; 2048];
    let until = std::time::Instant::now() + window;
    let mut n = 0;
    while std::time::Instant::now() < until {
        if sock.recv(&mut buf).is_ok() {
            n += 1;
        }
    }
    n
}

/// Reads `sock` until nothing has arrived for `gap`, at most `limit`.
fn quiet_for(sock: &UdpSocket, gap: Duration, limit: Duration) {
    let until = std::time::Instant::now() + limit;
    let mut last = std::time::Instant::now();
    let mut buf = [0u8; 2048];
    while last.elapsed() < gap && std::time::Instant::now() < until {
        if sock.recv(&mut buf).is_ok() {
            last = std::time::Instant::now();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_is_sent_while_the_peer_holds_the_call() {
    let media = engine(36000);
    let receiver = UdpSocket::bind("127.0.0.1:0").unwrap();
    receiver
        .set_read_timeout(Some(Duration::from_millis(50)))
        .unwrap();
    let (session, _events) = media
        .open(SessionParams {
            codec: Codec::Pcmu,
            telephone_event_pt: None,
            remote: Some(receiver.local_addr().unwrap()),
        })
        .unwrap();
    let tone = media.prompt("tone").unwrap();
    session.play(vec![PlayItem::Loop(tone)]).unwrap();
    session.set_sending(false).unwrap();
    let (held, receiver) = tokio::task::spawn_blocking(move || {
        // What was sent before the hold took effect: until the stream pauses for 100 ms
        // (at most 2 s; a hold that is not honoured then shows in the count below).
        quiet_for(
            &receiver,
            Duration::from_millis(100),
            Duration::from_secs(2),
        );
        (count_for(&receiver, Duration::from_millis(400)), receiver)
    })
    .await
    .unwrap();
    assert_eq!(held, 0, "packets sent while held");
    session.set_sending(true).unwrap();
    let resumed =
        tokio::task::spawn_blocking(move || count_for(&receiver, Duration::from_millis(400)))
            .await
            .unwrap();
    assert!(resumed > 10, "audio resumes: {resumed} packets");
    session.close().await;
}

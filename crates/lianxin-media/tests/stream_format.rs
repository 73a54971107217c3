//! A placed call offers PCMU and PCMA and learns from the answer which one the far end
//! chose (carriers in China mostly answer A-law). The engine must then send A-law with
//! payload type 8, on the same stream (SSRC and sequence numbers run on): before this, an
//! answer choosing PCMA got μ-law bytes labelled as it pleased the engine, i.e. noise.
#![allow(clippy::disallowed_methods)] // real sockets and real time: the test paces itself

use std::net::UdpSocket;
use std::sync::Arc;
use std::time::{Duration, Instant};

use lianxin_media::{Codec, MediaConfig, MediaEngine, PlayItem, PromptLibrary, SessionParams};

/// (payload type, SSRC, sequence number, first payload byte) of each packet that arrives
/// until `until`.
fn packets(sock: &UdpSocket, until: Instant) -> Vec<(u8, u32, u16, u8)> {
    let mut out = Vec::new();
    let mut buf = [0u8; 1500];
    while Instant::now() < until {
        sock.set_read_timeout(Some(Duration::from_millis(50)))
            .unwrap();
        if let Ok((len, _)) = sock.recv_from(&mut buf) {
            if len > 12 {
                let ssrc = u32::from_be_bytes([buf[8], buf[9], buf[10], buf[11]]);
                let seq = u16::from_be_bytes([buf[2], buf[3]]);
                out.push((buf[1] & 0x7f, ssrc, seq, buf[12]));
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_choosing_pcma_switches_the_stream_to_a_law() {
    let mut config = MediaConfig::new("127.0.0.1".parse().unwrap(), Arc::new(PromptLibrary::new()));
    config.port_range = (51600, 51699);
    config.realtime = false;
    let media = MediaEngine::start(config).expect("engine starts");
    let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
    let (session, _events) = media
        .open(SessionParams {
            codec: Codec::Pcmu,
            telephone_event_pt: Some(101),
            remote: Some(peer.local_addr().unwrap()),
        })
        .expect("session opens");
    session
        .play(vec![PlayItem::Silence(Duration::from_secs(3))])
        .expect("plays");
    let before = packets(&peer, Instant::now() + Duration::from_millis(400));
    session
        .set_format(Codec::Pcma, Some(101))
        .expect("format set");
    // Packets already in flight may still be μ-law; look at what comes after.
    let _ = packets(&peer, Instant::now() + Duration::from_millis(100));
    let after = packets(&peer, Instant::now() + Duration::from_millis(400));
    session.close().await;

    assert!(
        before.len() >= 10 && after.len() >= 10,
        "{} / {} packets",
        before.len(),
        after.len()
    );
    // μ-law silence is 0xFF, A-law silence 0xD5.
    assert!(
        before.iter().all(|p| p.0 == 0 && p.3 == 0xFF),
        "before: {before:?}"
    );
    assert!(
        after.iter().all(|p| p.0 == 8 && p.3 == 0xD5),
        "after: {after:?}"
    );
    assert_eq!(before[0].1, after[0].1, "same SSRC");
    let gap = after[0].2.wrapping_sub(before[before.len() - 1].2);
    assert!(
        (1..=10).contains(&gap),
        "sequence numbers run on (gap {gap})"
    );
}

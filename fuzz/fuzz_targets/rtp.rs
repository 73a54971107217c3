//! RTP as a call receives it (from the signalled peer, so every packet is parsed:
//! header, sequence tracking, jitter, RFC 4733 key presses), the RFC 4733 payload
//! parser, and the RTCP report parser. The input is split at `0xFF 0x00` into packets.
//! Nothing may panic.
#![no_main]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use lianxin_media::dtmf::TelephoneEvent;
use lianxin_media::latch::LatchConfig;
use lianxin_media::rtcp::parse_reports;
use lianxin_media::rtp::{RtpConfig, RtpSession};
use lianxin_media::Codec;
use libfuzzer_sys::fuzz_target;
use rand::SeedableRng;

fuzz_target!(|data: &[u8]| {
    let peer: SocketAddr = "198.51.100.7:40000".parse().expect("address");
    let t0 = Instant::now();
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let mut session = RtpSession::new(
        RtpConfig {
            codec: Codec::Pcmu,
            telephone_event_pt: Some(101),
            no_media_timeout: Duration::from_secs(10),
            latch: LatchConfig::default(),
        },
        &mut rng,
        Some(peer),
        t0,
        0,
    );
    let mut i = 0u64;
    let mut rest = data;
    while !rest.is_empty() {
        let end = rest
            .windows(2)
            .position(|w| w == [0xFF, 0x00])
            .unwrap_or(rest.len());
        let packet = &rest[..end];
        rest = rest.get(end + 2..).unwrap_or_default();
        i += 1;
        let _ = session.handle_packet(t0 + Duration::from_millis(i * 20), peer, packet);
        let _ = TelephoneEvent::parse(packet);
        let _ = parse_reports(packet);
    }
    let _ = session.handle_timeout(t0 + Duration::from_secs(30));
    let _ = session.stats();
});

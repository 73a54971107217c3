//! Micro-benchmark of the wire layer: parse and re-serialize a typical INVITE.
//!
//! `cargo run --release -p lianxin-sip --example parse_bench`

use lianxin_sip::wire;
use std::time::Instant;

#[allow(clippy::disallowed_methods)]
fn now() -> Instant {
    Instant::now()
}

const INVITE: &str = "INVITE sip:110@10.0.0.2:5060 SIP/2.0\r\n\
Via: SIP/2.0/UDP 192.0.2.7:5062;branch=z9hG4bK-17287-1-0;rport\r\n\
From: \"Zhang San\" <sip:13800138000@192.0.2.7:5062>;tag=17287SIPpTag001\r\n\
To: sut <sip:110@10.0.0.2:5060>\r\n\
Call-ID: 1-17287@192.0.2.7\r\n\
CSeq: 1 INVITE\r\n\
Contact: sip:sipp@192.0.2.7:5062\r\n\
Max-Forwards: 70\r\n\
Subject: Performance Test\r\n\
Content-Type: application/sdp\r\n\
Content-Length: 129\r\n\r\n\
v=0\r\no=user1 53655765 2353687637 IN IP4 192.0.2.7\r\ns=-\r\nc=IN IP4 192.0.2.7\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";

fn main() {
    let n = 200_000;
    let start = now();
    let mut bytes = 0;
    for _ in 0..n {
        if let Ok(wire::Message::Request(r)) = wire::parse(INVITE.as_bytes()) {
            bytes += r.body.len();
        }
    }
    let parse = start.elapsed().as_secs_f64() / f64::from(n) * 1e6;
    let Ok(wire::Message::Request(r)) = wire::parse(INVITE.as_bytes()) else {
        return;
    };
    let start = now();
    for _ in 0..n {
        bytes += r.to_bytes().len();
    }
    let ser = start.elapsed().as_secs_f64() / f64::from(n) * 1e6;
    println!("parse {parse:.2} us, serialize {ser:.2} us per INVITE ({bytes} bytes touched)");
}

//! The SDP parser, and offer/answer on whatever it accepts. Nothing may panic.
#![no_main]

use std::net::{IpAddr, Ipv4Addr};

use lianxin_sdp::{answer, SessionDescription};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(offer) = SessionDescription::parse_bytes(data) else {
        return;
    };
    let _ = offer.to_string();
    let local = lianxin_sdp::LocalMedia::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)), 20000, 1);
    let _ = answer(&offer, &local);
});

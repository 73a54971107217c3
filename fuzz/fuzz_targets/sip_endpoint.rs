//! The whole sans-IO SIP endpoint (routing, transactions, dialogs, registrar replies):
//! the input is split at NUL bytes into datagrams from two sources, each handled, then
//! the timers run out. Nothing may panic.
#![no_main]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use lianxin_sip::{Endpoint, EndpointConfig, Transport};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut ep = Endpoint::new(EndpointConfig {
        seed: 7,
        contact_host: "192.0.2.1".into(),
        contact_port: 5060,
        ..EndpointConfig::default()
    });
    let local: SocketAddr = "192.0.2.1:5060".parse().expect("address");
    let peers: [SocketAddr; 2] = [
        "198.51.100.7:5060".parse().expect("address"),
        "203.0.113.9:5070".parse().expect("address"),
    ];
    let t0 = Instant::now();
    for (i, datagram) in data.split(|b| *b == 0).enumerate() {
        let now = t0 + Duration::from_millis(i as u64 * 100);
        let transport = if i % 3 == 2 {
            Transport::Tcp
        } else {
            Transport::Udp
        };
        ep.handle_message(now, transport, local, peers[i % 2], datagram);
        while ep.poll_transmit().is_some() {}
        while ep.poll_event().is_some() {}
    }
    let end = t0 + Duration::from_secs(120);
    while let Some(at) = ep.poll_timeout() {
        if at > end {
            break;
        }
        ep.handle_timeout(at);
        while ep.poll_transmit().is_some() {}
        while ep.poll_event().is_some() {}
    }
});

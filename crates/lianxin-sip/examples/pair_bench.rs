//! Signalling-only benchmark of the sans-IO core: a UAC endpoint and a UAS endpoint wired
//! back to back in memory (no sockets). Each call is INVITE / 100 / 180 / 200 / ACK / BYE /
//! 200, at a virtual call rate with a hold time (so ~rate*hold calls are up at once). Prints call setups+teardowns per second of
//! CPU on one core, i.e. the cost the driver pays on top of socket I/O.
//!
//! `cargo run --release -p lianxin-sip --example pair_bench [calls] [rate] [hold_ms]`

use lianxin_sip::{Endpoint, EndpointConfig, Event, OutgoingInvite, Transport};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

#[allow(clippy::disallowed_methods)]
fn now() -> Instant {
    Instant::now()
}

fn rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| {
            s.split_whitespace()
                .nth(1)
                .and_then(|p| p.parse::<f64>().ok())
        })
        .map_or(0.0, |pages| pages * 4096.0 / 1e6)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let calls: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(60_000);
    let rate: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1000);
    let hold_ms: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(800);
    let a_addr: SocketAddr = ([10, 0, 0, 1], 5060).into();
    let b_addr: SocketAddr = ([10, 0, 0, 2], 5060).into();
    let cfg = |seed, host: &str| EndpointConfig {
        seed,
        contact_host: host.into(),
        contact_port: 5060,
        ..EndpointConfig::default()
    };
    let mut a = Endpoint::new(cfg(1, "10.0.0.1"));
    let mut b = Endpoint::new(cfg(2, "10.0.0.2"));
    let sdp = b"v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0 8 101\r\n".to_vec();
    // Virtual time: 1 ms per round, `rate` calls started per virtual second, each held
    // `hold_ms` (so about rate*hold_ms/1000 calls are up at once), timers firing as live.
    let mut vnow = now();
    let start = now();
    let per_ms = (rate / 1000).max(1);
    let (mut started, mut done, mut failed, mut messages, mut peak) = (0usize, 0, 0, 0, 0);
    let mut answered: std::collections::VecDeque<(Instant, lianxin_sip::CallHandle)> =
        Default::default();
    let mut peak_rss = 0.0f64;
    while done < calls {
        for _ in 0..per_ms {
            if started >= calls {
                break;
            }
            let inv = OutgoingInvite {
                target: format!("sip:{}@10.0.0.2", 13_800_000_000u64 + started as u64),
                from: "sip:dialer@10.0.0.1".into(),
                from_display: None,
                to: None,
                destination: b_addr,
                transport: Transport::Udp,
                sdp: Some(sdp.clone()),
                credentials: None,
                headers: Vec::new(),
            };
            if a.invite(vnow, inv).is_ok() {
                started += 1;
            }
        }
        while let Some(&(t, call)) = answered.front() {
            if t + Duration::from_millis(hold_ms) > vnow {
                break;
            }
            answered.pop_front();
            let _ = a.bye(vnow, call);
        }
        let mut moved = true;
        while moved {
            moved = false;
            while let Some(t) = a.poll_transmit() {
                messages += 1;
                moved = true;
                b.handle_message(vnow, t.transport, b_addr, a_addr, &t.payload);
            }
            while let Some(t) = b.poll_transmit() {
                messages += 1;
                moved = true;
                a.handle_message(vnow, t.transport, a_addr, b_addr, &t.payload);
            }
            while let Some(e) = b.poll_event() {
                if let Event::IncomingCall { call, .. } = e {
                    let _ = b.send_provisional(vnow, call, 180, None);
                    let _ = b.accept(vnow, call, Some(sdp.clone()));
                }
                moved = true;
            }
            while let Some(e) = a.poll_event() {
                match e {
                    Event::Answered { call, .. } => answered.push_back((vnow, call)),
                    Event::CallTerminated { .. } => done += 1,
                    Event::Failed { .. } => {
                        done += 1;
                        failed += 1;
                    }
                    _ => {}
                }
                moved = true;
            }
        }
        peak = peak.max(answered.len());
        if started % 5000 == 0 {
            peak_rss = peak_rss.max(rss_mb());
        }
        vnow += Duration::from_millis(1);
        a.handle_timeout(vnow);
        b.handle_timeout(vnow);
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{calls} calls ({failed} failed), virtual rate {rate}/s held {hold_ms} ms (peak {peak} \
         up at once) in {secs:.2} s CPU: {:.0} call setups+teardowns/s, {:.0} messages/s, \
         UAC and UAS together on one core; peak RSS {peak_rss:.0} MB; live at end: \
         uac {} calls / {} txs, uas {} calls / {} txs",
        calls as f64 / secs,
        messages as f64 / secs,
        a.calls(),
        a.transactions(),
        b.calls(),
        b.transactions()
    );
}

//! Signalling-only benchmark of the sans-IO core: a UAC endpoint and a UAS endpoint wired
//! back to back in memory (no sockets). Each call is INVITE / 100 / 180 / 200 / ACK / BYE /
//! 200, with `CONCURRENT` calls kept up at once. Prints call setups+teardowns per second of
//! CPU on one core, i.e. the cost the driver pays on top of socket I/O.
//!
//! `cargo run --release -p lianxin-sip --example pair_bench [calls] [concurrent]`

use lianxin_sip::{Endpoint, EndpointConfig, Event, OutgoingInvite, Transport};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

#[allow(clippy::disallowed_methods)]
fn now() -> Instant {
    Instant::now()
}

fn main() {
    let mut args = std::env::args().skip(1);
    let calls: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(50_000);
    let concurrent: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(800);
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
    // virtual time advances 1 ms per round so timers behave as on a live system
    let mut vnow = now();
    let start = now();
    let (mut started, mut done, mut messages, mut peak) = (0usize, 0usize, 0usize, 0usize);
    let mut live = 0usize;
    while done < calls {
        while live < concurrent && started < calls {
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
                live += 1;
            }
        }
        peak = peak.max(a.calls());
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
                    Event::Answered { call, .. } => {
                        let _ = a.bye(vnow, call);
                    }
                    Event::CallTerminated { .. } | Event::Failed { .. } => {
                        live -= 1;
                        done += 1;
                    }
                    _ => {}
                }
                moved = true;
            }
        }
        vnow += Duration::from_millis(1);
        a.handle_timeout(vnow);
        b.handle_timeout(vnow);
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{calls} calls ({concurrent} concurrent, peak {peak} live at the UAC) in {secs:.2} s: \
         {:.0} call setups+teardowns/s, {:.0} messages/s (both endpoints on one core); \
         live after: uac {} calls / {} txs, uas {} calls / {} txs",
        calls as f64 / secs,
        messages as f64 / secs,
        a.calls(),
        a.transactions(),
        b.calls(),
        b.transactions()
    );
}

//! A minimal blocking UDP driver placing outgoing calls, for interop smoke tests of the UAC
//! side with sipp (`sipp -sn uas -p 5196`). Each answered call is hung up after `hold_ms`.
//!
//! `cargo run -p lianxin-sip --example udp_uac -- 127.0.0.1:5195 127.0.0.1:5196 [calls] [rate] [hold_ms]`

use lianxin_sip::{CallHandle, Endpoint, EndpointConfig, Event, OutgoingInvite, Transport};
use std::collections::VecDeque;
use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

#[allow(clippy::disallowed_methods)]
fn now() -> Instant {
    Instant::now()
}

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let local: SocketAddr = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 5195)));
    let peer: SocketAddr = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 5196)));
    let calls: u32 = args.next().and_then(|a| a.parse().ok()).unwrap_or(100);
    let rate: u32 = args.next().and_then(|a| a.parse().ok()).unwrap_or(50);
    let hold = Duration::from_millis(args.next().and_then(|a| a.parse().ok()).unwrap_or(500));
    let sock = UdpSocket::bind(local)?;
    let mut ep = Endpoint::new(EndpointConfig {
        seed: 8,
        contact_host: local.ip().to_string(),
        contact_port: local.port(),
        ..EndpointConfig::default()
    });
    let sdp = format!(
        "v=0\r\no=- 1 1 IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\nm=audio 6002 RTP/AVP 0\r\n",
        ip = local.ip()
    );
    let start = now();
    let mut buf = vec![0u8; 65535];
    let (mut placed, mut answered, mut failed, mut ended) = (0u32, 0u32, 0u32, 0u32);
    let mut up: VecDeque<(Instant, CallHandle)> = VecDeque::new();
    while ended + failed < calls && now() < start + Duration::from_secs(120) {
        let due = (start.elapsed().as_secs_f64() * f64::from(rate)) as u32;
        while placed < calls && placed < due {
            let inv = OutgoingInvite {
                target: format!("sip:{}@{}", 13_800_000_000u64 + u64::from(placed), peer),
                from: format!("sip:dialer@{local}"),
                from_display: Some("Lianxin".into()),
                to: None,
                destination: peer,
                transport: Transport::Udp,
                sdp: Some(sdp.clone().into_bytes()),
                credentials: None,
                headers: Vec::new(),
            };
            if ep.invite(now(), inv).is_ok() {
                placed += 1;
            }
        }
        while let Some(&(t, call)) = up.front() {
            if t + hold > now() {
                break;
            }
            up.pop_front();
            let _ = ep.bye(now(), call);
        }
        sock.set_read_timeout(Some(Duration::from_millis(2)))?;
        if let Ok((n, from)) = sock.recv_from(&mut buf) {
            ep.handle_message(now(), Transport::Udp, local, from, &buf[..n]);
        }
        ep.handle_timeout(now());
        loop {
            while let Some(t) = ep.poll_transmit() {
                sock.send_to(&t.payload, t.destination)?;
            }
            let Some(e) = ep.poll_event() else { break };
            match e {
                Event::Answered { call, .. } => {
                    answered += 1;
                    up.push_back((now(), call));
                }
                Event::Failed { code, .. } => {
                    failed += 1;
                    eprintln!("failed: {code}");
                }
                Event::CallTerminated { .. } => ended += 1,
                _ => {}
            }
        }
    }
    println!(
        "placed {placed} answered {answered} failed {failed} ended {ended} in {:.1} s; live calls {}",
        start.elapsed().as_secs_f64(),
        ep.calls()
    );
    Ok(())
}

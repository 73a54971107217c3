//! A minimal blocking UDP driver around the sans-IO endpoint, for interop smoke tests with
//! sipp (the real driver is `lianxin-ua`). Answers every INVITE with 180 then 200 + SDP.
//!
//! `cargo run -p lianxin-sip --example udp_uas -- 127.0.0.1:5099 [seconds]`
//! then e.g. `sipp -sn uac -m 100 -r 50 127.0.0.1:5099`. REGISTERs go through the
//! registrar with digest auth: every user's password is `secret`.

use lianxin_sip::auth::{self, Algorithm};
use lianxin_sip::registrar::{CredentialStore, Registrar, RegistrarConfig};
use lianxin_sip::{Endpoint, EndpointConfig, Event, Transport};
use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

#[allow(clippy::disallowed_methods)]
fn now() -> Instant {
    Instant::now()
}

struct Everyone;

impl CredentialStore for Everyone {
    fn ha1(&self, username: &str, realm: &str, algorithm: Algorithm) -> Option<String> {
        Some(auth::ha1(algorithm, username, realm, "secret"))
    }
}

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let addr: SocketAddr = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 5099)));
    let secs: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(30);
    let sock = UdpSocket::bind(addr)?;
    let mut ep = Endpoint::new(EndpointConfig {
        seed: 7,
        contact_host: addr.ip().to_string(),
        contact_port: addr.port(),
        ..EndpointConfig::default()
    });
    let sdp = format!(
        "v=0\r\no=- 1 1 IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n",
        ip = addr.ip()
    );
    let mut registrar = Registrar::new(
        RegistrarConfig {
            secret: 42,
            ..RegistrarConfig::default()
        },
        now(),
    );
    let (mut registered, mut refused) = (0u32, 0u32);
    let mut random = 0u64;
    let end = now() + Duration::from_secs(secs);
    let mut buf = vec![0u8; 65535];
    let (mut calls, mut acked, mut ended) = (0u32, 0u32, 0u32);
    while now() < end {
        let wait = ep
            .poll_timeout()
            .map(|t| t.saturating_duration_since(now()))
            .unwrap_or(Duration::from_millis(100))
            .clamp(Duration::from_millis(1), Duration::from_millis(100));
        sock.set_read_timeout(Some(wait))?;
        if let Ok((n, from)) = sock.recv_from(&mut buf) {
            ep.handle_message(now(), Transport::Udp, addr, from, &buf[..n]);
        }
        ep.handle_timeout(now());
        loop {
            while let Some(t) = ep.poll_transmit() {
                sock.send_to(&t.payload, t.destination)?;
            }
            let Some(e) = ep.poll_event() else { break };
            match e {
                Event::IncomingCall { call, .. } => {
                    calls += 1;
                    let t = now();
                    let _ = ep.send_provisional(t, call, 180, None);
                    let _ = ep.accept(t, call, Some(sdp.clone().into_bytes()));
                }
                Event::CallAcked { .. } => acked += 1,
                Event::CallTerminated { .. } => ended += 1,
                Event::IncomingRequest {
                    request,
                    message,
                    source,
                    transport,
                } => {
                    let reply = if message.method == lianxin_sip::Method::Register {
                        random += 1;
                        let r = registrar.handle_register(
                            now(),
                            &message,
                            source,
                            transport,
                            &Everyone,
                            random,
                        );
                        match r.code {
                            200 => registered += 1,
                            401 => {}
                            _ => refused += 1,
                        }
                        r
                    } else {
                        lianxin_sip::registrar::Reply {
                            code: 200,
                            headers: Vec::new(),
                            user: None,
                        }
                    };
                    let _ = ep.respond(now(), request, reply.code, reply.headers, None);
                }
                _ => {}
            }
        }
    }
    println!(
        "calls {calls} acked {acked} ended {ended}; registered {registered} refused {refused}; \
         live calls {} transactions {}",
        ep.calls(),
        ep.transactions()
    );
    Ok(())
}

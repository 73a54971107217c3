//! Test helpers: one `check` helper for raw-SIP-in / transmits+events-out tests, and a
//! `Pair` of endpoints on a seeded lossy virtual network with virtual time.
#![allow(dead_code, unreachable_pub)]

use lianxin_sip::{Endpoint, EndpointConfig, Event, Transmit, Transport};
use rand::{rngs::StdRng, Rng, SeedableRng};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// The only clock read in the tests: the origin of virtual time.
#[allow(clippy::disallowed_methods)]
pub fn epoch() -> Instant {
    Instant::now()
}

pub fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
}

pub const LOCAL: &str = "10.0.0.2:5060";

pub fn endpoint(seed: u64, host: &str, port: u16) -> Endpoint {
    Endpoint::new(EndpointConfig {
        seed,
        contact_host: host.into(),
        contact_port: port,
        ..EndpointConfig::default()
    })
}

/// Turn `\n` line ends into CRLF (test texts are written with plain newlines) and fix up
/// Content-Length placeholders `Content-Length: *` to the body length.
pub fn sip(text: &str) -> Vec<u8> {
    let text = text.trim_start_matches('\n');
    let (head, body) = match text.split_once("\n\n") {
        Some((h, b)) => (h, b),
        None => (text, ""),
    };
    let body = body.replace('\n', "\r\n");
    let head = head
        .replace(
            "Content-Length: *",
            &format!("Content-Length: {}", body.len()),
        )
        .replace('\n', "\r\n");
    format!("{head}\r\n\r\n{body}").into_bytes()
}

/// Everything an input produced.
#[derive(Debug, Default)]
pub struct Out {
    pub transmits: Vec<Transmit>,
    pub events: Vec<Event>,
}

impl Out {
    /// First lines of the transmitted messages.
    pub fn lines(&self) -> Vec<String> {
        self.transmits
            .iter()
            .map(|t| {
                String::from_utf8_lossy(&t.payload)
                    .lines()
                    .next()
                    .unwrap_or("")
                    .to_string()
            })
            .collect()
    }
    pub fn text(&self, i: usize) -> String {
        self.transmits
            .get(i)
            .map(|t| String::from_utf8_lossy(&t.payload).into_owned())
            .unwrap_or_default()
    }
}

pub fn drain(ep: &mut Endpoint) -> Out {
    let mut out = Out::default();
    while let Some(t) = ep.poll_transmit() {
        out.transmits.push(t);
    }
    while let Some(e) = ep.poll_event() {
        out.events.push(e);
    }
    out
}

/// Feed raw SIP text from `remote` over UDP and return what came out.
pub fn check(ep: &mut Endpoint, now: Instant, remote: &str, text: &str) -> Out {
    ep.handle_message(now, Transport::Udp, addr(LOCAL), addr(remote), &sip(text));
    drain(ep)
}

/// Advance virtual time to `until`, firing timers, collecting outputs with their times.
pub fn run_timers(ep: &mut Endpoint, t0: Instant, until: Duration) -> Vec<(u128, Out)> {
    let mut log = Vec::new();
    while let Some(at) = ep.poll_timeout() {
        if at > t0 + until {
            break;
        }
        ep.handle_timeout(at);
        let out = drain(ep);
        if !out.transmits.is_empty() || !out.events.is_empty() {
            log.push(((at - t0).as_millis(), out));
        }
    }
    log
}

/// Two endpoints on a virtual network that drops packets with probability `loss` and
/// delays each by `delay`.
pub struct Pair {
    pub a: Endpoint,
    pub b: Endpoint,
    pub a_addr: SocketAddr,
    pub b_addr: SocketAddr,
    pub now: Instant,
    pub t0: Instant,
    rng: StdRng,
    pub loss: f64,
    pub delay: Duration,
    in_flight: Vec<(Instant, bool, Transmit)>,
    pub a_events: Vec<(Duration, Event)>,
    pub b_events: Vec<(Duration, Event)>,
    pub dropped: usize,
    pub delivered: usize,
}

impl Pair {
    pub fn new(seed: u64, loss: f64) -> Pair {
        let t0 = epoch();
        Pair {
            a: endpoint(seed, "10.0.0.1", 5060),
            b: endpoint(seed + 1, "10.0.0.2", 5060),
            a_addr: addr("10.0.0.1:5060"),
            b_addr: addr("10.0.0.2:5060"),
            now: t0,
            t0,
            rng: StdRng::seed_from_u64(seed),
            loss,
            delay: Duration::from_millis(20),
            in_flight: Vec::new(),
            a_events: Vec::new(),
            b_events: Vec::new(),
            dropped: 0,
            delivered: 0,
        }
    }

    fn collect(&mut self) {
        let elapsed = self.now - self.t0;
        while let Some(t) = self.a.poll_transmit() {
            self.send(true, t);
        }
        while let Some(t) = self.b.poll_transmit() {
            self.send(false, t);
        }
        while let Some(e) = self.a.poll_event() {
            self.a_events.push((elapsed, e));
        }
        while let Some(e) = self.b.poll_event() {
            self.b_events.push((elapsed, e));
        }
    }

    fn send(&mut self, from_a: bool, t: Transmit) {
        if self.rng.random_bool(self.loss) {
            self.dropped += 1;
            return;
        }
        self.in_flight.push((self.now + self.delay, from_a, t));
    }

    /// Run one step: deliver the earliest packet or fire the earliest timer, up to `until`.
    /// Returns false when nothing is left before `until`.
    pub fn step(&mut self, until: Instant) -> bool {
        self.collect();
        let next_pkt = self.in_flight.iter().map(|p| p.0).min();
        let next_timer = [self.a.poll_timeout(), self.b.poll_timeout()]
            .into_iter()
            .flatten()
            .min();
        let next = match (next_pkt, next_timer) {
            (Some(a), Some(b)) => a.min(b),
            (Some(a), None) | (None, Some(a)) => a,
            (None, None) => return false,
        };
        if next > until {
            return false;
        }
        self.now = self.now.max(next);
        if next_pkt == Some(next) {
            let idx = self.in_flight.iter().position(|p| p.0 == next).unwrap_or(0);
            let (_, from_a, t) = self.in_flight.remove(idx);
            self.delivered += 1;
            let (src, dst) = if from_a {
                (self.a_addr, &mut self.b)
            } else {
                (self.b_addr, &mut self.a)
            };
            let local = t.destination;
            dst.handle_message(self.now, t.transport, local, src, &t.payload);
        } else {
            self.a.handle_timeout(self.now);
            self.b.handle_timeout(self.now);
        }
        self.collect();
        true
    }
}

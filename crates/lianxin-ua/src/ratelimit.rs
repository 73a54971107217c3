//! Per-source-IP admission control for new SIP requests, as a sans-IO token bucket.
//!
//! A SIP scanner (sipvicious, friendly-scanner) sends thousands of OPTIONS, REGISTER and
//! INVITE requests per second from one address. Each of them would create a server
//! transaction, and REGISTER floods also cost a digest computation. The driver asks
//! [`RateLimiter::check`] before handing an out-of-dialog request to the SIP core; over the
//! limit, the datagram is dropped without an answer, and at most one log line per source
//! per [`LOG_INTERVAL`] says how many were dropped.
//!
//! Responses, retransmissions and requests of a dialog that exists in the endpoint (ACK,
//! BYE, re-INVITE of an established call) are not limited: they belong to calls already
//! admitted. Which is which the SIP core decides on the parsed message
//! (`Endpoint::knows`), never the text: a `;tag=` anywhere in the To line once made any
//! request "in-dialog" and exempt (issue 10, point 4). REGISTER has its own,
//! smaller bucket so registration storms cannot eat the budget for calls. Time is an input
//! (`now`), so the tests run without sleeping.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use lianxin_sip::wire::{Message, Method};

/// How often, per source, a "dropping" log line may be written.
pub const LOG_INTERVAL: Duration = Duration::from_secs(10);

/// Token-bucket parameters for one class of request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bucket {
    /// Sustained requests per second.
    pub per_second: f64,
    /// Burst size (bucket depth).
    pub burst: f64,
}

/// Rate-limit settings.
#[derive(Debug, Clone, PartialEq)]
pub struct RateLimitConfig {
    /// Budget for new out-of-dialog requests other than REGISTER (INVITE, OPTIONS, …).
    pub requests: Bucket,
    /// Budget for REGISTER.
    pub register: Bucket,
    /// Sources never limited (the carrier trunk, a load generator).
    pub exempt: Vec<IpAddr>,
    /// Most sources tracked at once; idle ones are forgotten first.
    pub max_sources: usize,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        RateLimitConfig {
            requests: Bucket {
                per_second: 100.0,
                burst: 200.0,
            },
            register: Bucket {
                per_second: 10.0,
                burst: 30.0,
            },
            exempt: Vec::new(),
            max_sources: 65_536,
        }
    }
}

impl RateLimitConfig {
    /// A configuration that admits everything (tests, benchmarks).
    pub fn unlimited() -> Self {
        let b = Bucket {
            per_second: f64::INFINITY,
            burst: f64::INFINITY,
        };
        RateLimitConfig {
            requests: b,
            register: b,
            ..Default::default()
        }
    }
}

/// The class of a received message, found by [`classify`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// A response, or a request inside a dialog: never limited.
    Free,
    /// An out-of-dialog REGISTER.
    Register,
    /// Any other out-of-dialog request.
    Request,
}

/// What to do with a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Hand it to the SIP core.
    Admit,
    /// Drop it silently.
    Drop,
    /// Drop it and write a log line: `dropped` messages from this source since the last one.
    DropAndLog {
        /// Messages dropped since the last log line for this source (this one included).
        dropped: u64,
    },
}

#[derive(Debug, Clone)]
struct State {
    requests: f64,
    register: f64,
    last: Instant,
    dropped: u64,
    last_log: Option<Instant>,
}

/// Per-source token buckets.
#[derive(Debug)]
pub struct RateLimiter {
    config: RateLimitConfig,
    sources: HashMap<IpAddr, State>,
}

impl RateLimiter {
    /// A limiter with these settings.
    pub fn new(config: RateLimitConfig) -> Self {
        RateLimiter {
            config,
            sources: HashMap::new(),
        }
    }

    /// Number of sources currently tracked.
    pub fn tracked(&self) -> usize {
        self.sources.len()
    }

    /// Decides about one message of `class` from `ip` at `now`.
    pub fn check(&mut self, now: Instant, ip: IpAddr, class: Class) -> Verdict {
        if class == Class::Free || self.config.exempt.contains(&ip) {
            return Verdict::Admit;
        }
        let (req, reg) = (self.config.requests, self.config.register);
        if req.per_second.is_infinite() && reg.per_second.is_infinite() {
            return Verdict::Admit;
        }
        if !self.sources.contains_key(&ip) && self.sources.len() >= self.config.max_sources {
            self.evict_idle(now);
        }
        let state = self.sources.entry(ip).or_insert(State {
            requests: req.burst,
            register: reg.burst,
            last: now,
            dropped: 0,
            last_log: None,
        });
        let dt = now.saturating_duration_since(state.last).as_secs_f64();
        state.last = now;
        state.requests = (state.requests + dt * req.per_second).min(req.burst);
        state.register = (state.register + dt * reg.per_second).min(reg.burst);
        let tokens = match class {
            Class::Register => &mut state.register,
            _ => &mut state.requests,
        };
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            return Verdict::Admit;
        }
        state.dropped += 1;
        let due = state
            .last_log
            .is_none_or(|t| now.saturating_duration_since(t) >= LOG_INTERVAL);
        if due {
            state.last_log = Some(now);
            let dropped = std::mem::take(&mut state.dropped);
            Verdict::DropAndLog { dropped }
        } else {
            Verdict::Drop
        }
    }

    /// Forgets sources whose buckets have refilled (idle long enough to be harmless); if
    /// none are idle, forgets the least recently seen half.
    fn evict_idle(&mut self, now: Instant) {
        let (req, reg) = (self.config.requests, self.config.register);
        let refill = (req.burst / req.per_second).max(reg.burst / reg.per_second);
        let idle = Duration::from_secs_f64(refill.clamp(0.0, 3600.0));
        self.sources
            .retain(|_, s| now.saturating_duration_since(s.last) < idle);
        if self.sources.len() >= self.config.max_sources {
            let mut ages: Vec<Instant> = self.sources.values().map(|s| s.last).collect();
            ages.sort_unstable();
            let cut = ages[ages.len() / 2];
            self.sources.retain(|_, s| s.last > cut);
        }
    }
}

/// Classifies a received message: `known` is the endpoint's answer
/// (`Endpoint::knows`: a response, a retransmission, or a request of a dialog that
/// exists), which makes it [`Class::Free`]; otherwise a REGISTER is [`Class::Register`]
/// and anything else (a new request, a tagged request of no dialog, a message that does
/// not parse) is [`Class::Request`]. No text matching: a `;tag=` inside a URI, or a To
/// tag of a dialog that does not exist, buys nothing.
pub fn classify(message: Option<&Message>, known: bool) -> Class {
    if known {
        return Class::Free;
    }
    match message {
        Some(Message::Request(r)) if r.method == Method::Register => Class::Register,
        _ => Class::Request,
    }
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // tests need a base instant
mod tests {
    use super::*;

    fn cfg() -> RateLimitConfig {
        RateLimitConfig {
            requests: Bucket {
                per_second: 10.0,
                burst: 5.0,
            },
            register: Bucket {
                per_second: 1.0,
                burst: 2.0,
            },
            exempt: vec!["10.0.0.1".parse().unwrap()],
            max_sources: 4,
        }
    }

    #[test]
    fn burst_then_refill() {
        let t0 = Instant::now();
        let mut rl = RateLimiter::new(cfg());
        let ip = "192.0.2.1".parse().unwrap();
        for _ in 0..5 {
            assert_eq!(rl.check(t0, ip, Class::Request), Verdict::Admit);
        }
        assert_eq!(
            rl.check(t0, ip, Class::Request),
            Verdict::DropAndLog { dropped: 1 }
        );
        assert_eq!(rl.check(t0, ip, Class::Request), Verdict::Drop);
        // 100 ms refills one token.
        let t1 = t0 + Duration::from_millis(100);
        assert_eq!(rl.check(t1, ip, Class::Request), Verdict::Admit);
        assert_eq!(rl.check(t1, ip, Class::Request), Verdict::Drop);
        // Log again only after the interval, with the count since the last line.
        let t2 = t0 + LOG_INTERVAL;
        for _ in 0..5 {
            rl.check(t2, ip, Class::Request);
        }
        assert_eq!(
            rl.check(t2, ip, Class::Request),
            Verdict::DropAndLog { dropped: 3 }
        );
    }

    #[test]
    fn register_has_its_own_bucket() {
        let t0 = Instant::now();
        let mut rl = RateLimiter::new(cfg());
        let ip = "192.0.2.1".parse().unwrap();
        assert_eq!(rl.check(t0, ip, Class::Register), Verdict::Admit);
        assert_eq!(rl.check(t0, ip, Class::Register), Verdict::Admit);
        assert!(matches!(
            rl.check(t0, ip, Class::Register),
            Verdict::DropAndLog { .. }
        ));
        // The REGISTER flood did not use the call budget.
        assert_eq!(rl.check(t0, ip, Class::Request), Verdict::Admit);
    }

    #[test]
    fn flood_from_one_source_does_not_starve_another() {
        let t0 = Instant::now();
        let mut rl = RateLimiter::new(cfg());
        let scanner = "198.51.100.7".parse().unwrap();
        let caller = "192.0.2.1".parse().unwrap();
        let mut admitted = 0;
        for i in 0..10_000u32 {
            let now = t0 + Duration::from_micros(u64::from(i) * 100); // 10,000/s for 1 s
            if rl.check(now, scanner, Class::Request) == Verdict::Admit {
                admitted += 1;
            }
        }
        assert!(admitted <= 5 + 10 + 1, "scanner admitted {admitted}");
        assert_eq!(
            rl.check(t0 + Duration::from_secs(1), caller, Class::Request),
            Verdict::Admit
        );
    }

    #[test]
    fn free_and_exempt_are_never_limited() {
        let t0 = Instant::now();
        let mut rl = RateLimiter::new(cfg());
        let ip = "192.0.2.1".parse().unwrap();
        let trunk = "10.0.0.1".parse().unwrap();
        for _ in 0..100 {
            assert_eq!(rl.check(t0, ip, Class::Free), Verdict::Admit);
            assert_eq!(rl.check(t0, trunk, Class::Request), Verdict::Admit);
        }
        let mut un = RateLimiter::new(RateLimitConfig::unlimited());
        for _ in 0..1000 {
            assert_eq!(un.check(t0, ip, Class::Register), Verdict::Admit);
        }
        assert_eq!(un.tracked(), 0);
    }

    #[test]
    fn source_table_is_bounded() {
        let t0 = Instant::now();
        let mut rl = RateLimiter::new(cfg());
        for i in 0..100u8 {
            let ip = IpAddr::from([192, 0, 2, i]);
            rl.check(t0 + Duration::from_millis(u64::from(i)), ip, Class::Request);
            assert!(rl.tracked() <= 4);
        }
    }

    #[test]
    fn classify_messages() {
        let parse = |b: &[u8]| lianxin_sip::wire::parse(b).ok();
        let invite = parse(
            b"INVITE sip:1@x SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:1@x;tag=abc>\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\n\r\n",
        );
        assert!(invite.is_some());
        assert_eq!(classify(invite.as_ref(), false), Class::Request);
        assert_eq!(classify(invite.as_ref(), true), Class::Free);
        let register = parse(
            b"REGISTER sip:x SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK2\r\nFrom: <sip:1@x>;tag=1\r\nTo: <sip:1@x>\r\nCall-ID: c\r\nCSeq: 1 REGISTER\r\n\r\n",
        );
        assert!(register.is_some());
        assert_eq!(classify(register.as_ref(), false), Class::Register);
        assert_eq!(classify(None, false), Class::Request);
    }
}

//! The governor: how many calls at once, how many new calls a second, and backing off
//! by itself when the trunk is overloaded — so staff never tune dial levels by hand.
//!
//! - **Channels**: at most `max_calls` attempts in flight (≤ 800).
//! - **Rate**: a token bucket of `calls_per_second` (0 = unlimited). It holds a twentieth
//!   of a second's worth of tokens (at least one), so calls leave evenly spaced and a
//!   driver that wakes a little late still keeps the rate.
//! - **Back-off**: a `503 Service Unavailable` from the trunk stops new calls until its
//!   `Retry-After` (1 s when absent, at most [`MAX_PAUSE`]) and halves the rate; so does a
//!   burst of `408 Request Timeout`s ([`TIMEOUT_BURST`] within [`TIMEOUT_SPAN`]). The
//!   answers to one burst of INVITEs arrive together, so the rate is halved at most once
//!   per [`BACKOFF_HOLD`]; an unlimited rate is first capped at what was being sent.
//! - **Recovery**: after [`RECOVERY_QUIET`] without trouble the rate grows by half every
//!   [`RECOVERY_STEP`] until it is back where staff set it.
//!
//! Time is an input; [`Governor::poll_timeout`] says when the governor next has
//! something to say (a token, the end of a pause, a recovery step).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// The most simultaneous calls a campaign may have.
pub const MAX_CALLS: u32 = 800;
/// The longest a Retry-After is honoured.
pub const MAX_PAUSE: Duration = Duration::from_secs(300);
/// Pause after a 503 without Retry-After (and after a burst of 408s).
pub const DEFAULT_PAUSE: Duration = Duration::from_secs(1);
/// This many 408s …
pub const TIMEOUT_BURST: usize = 5;
/// … within this span are a burst.
pub const TIMEOUT_SPAN: Duration = Duration::from_secs(2);
/// The rate is halved at most once per this span.
pub const BACKOFF_HOLD: Duration = Duration::from_secs(1);
/// Trouble-free time before the rate starts to recover.
pub const RECOVERY_QUIET: Duration = Duration::from_secs(5);
/// Time between recovery steps.
pub const RECOVERY_STEP: Duration = Duration::from_secs(2);
/// The rate never goes below this.
pub const MIN_RATE: f64 = 1.0;
/// An unlimited rate that was capped is unlimited again once the cap reaches this.
pub const UNLIMITED_AGAIN: f64 = 1000.0;

/// Channel and rate keeper for one campaign.
#[derive(Debug, Clone)]
pub struct Governor {
    max_calls: u32,
    /// Staff's rate (`None` = unlimited).
    configured: Option<f64>,
    /// The rate now (`None` = unlimited).
    limit: Option<f64>,
    tokens: f64,
    refilled: Option<Instant>,
    in_flight: u32,
    paused_until: Option<Instant>,
    last_backoff: Option<Instant>,
    last_trouble: Option<Instant>,
    next_recovery: Option<Instant>,
    timeouts: VecDeque<Instant>,
    starts: VecDeque<Instant>,
    backoffs: u32,
}

impl Governor {
    /// A governor for `max_calls` simultaneous calls (clamped to 1..=800) and
    /// `calls_per_second` new calls a second (0 or less = unlimited).
    pub fn new(max_calls: u32, calls_per_second: f64) -> Governor {
        let configured = (calls_per_second.is_finite() && calls_per_second > 0.0)
            .then_some(calls_per_second.max(MIN_RATE / 10.0));
        Governor {
            max_calls: max_calls.clamp(1, MAX_CALLS),
            configured,
            limit: configured,
            tokens: configured.map_or(0.0, capacity),
            refilled: None,
            in_flight: 0,
            paused_until: None,
            last_backoff: None,
            last_trouble: None,
            next_recovery: None,
            timeouts: VecDeque::new(),
            starts: VecDeque::new(),
            backoffs: 0,
        }
    }

    /// Takes a channel and a token for a new call if both are free now.
    pub fn try_start(&mut self, now: Instant) -> bool {
        if self.in_flight >= self.max_calls || self.paused_until.is_some_and(|t| now < t) {
            return false;
        }
        self.refill(now);
        if self.limit.is_some() {
            if self.tokens < 1.0 - EPSILON {
                return false;
            }
            self.tokens = (self.tokens - 1.0).max(0.0);
        }
        self.in_flight += 1;
        self.starts.push_back(now);
        self.trim_starts(now);
        true
    }

    /// A call that [`Governor::try_start`] let through has ended; its channel is free.
    pub fn finished(&mut self) {
        self.in_flight = self.in_flight.saturating_sub(1);
    }

    /// A final response from the trunk: 503 and bursts of 408 slow the dialer down.
    pub fn handle_response(&mut self, now: Instant, code: u16, retry_after: Option<Duration>) {
        match code {
            503 => {
                let pause = retry_after.unwrap_or(DEFAULT_PAUSE).min(MAX_PAUSE);
                self.back_off(now, pause);
            }
            408 => {
                self.timeouts.push_back(now);
                while self
                    .timeouts
                    .front()
                    .is_some_and(|t| now.saturating_duration_since(*t) > TIMEOUT_SPAN)
                {
                    self.timeouts.pop_front();
                }
                if self.timeouts.len() >= TIMEOUT_BURST {
                    self.timeouts.clear();
                    self.back_off(now, DEFAULT_PAUSE);
                }
            }
            _ => {}
        }
    }

    /// Advances recovery; call when [`Governor::poll_timeout`] has passed.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.paused_until.is_some_and(|t| now >= t) {
            self.paused_until = None;
        }
        let Some(due) = self.next_recovery else {
            return;
        };
        if now < due {
            return;
        }
        match (self.limit, self.configured) {
            (Some(rate), configured) => {
                self.refill(now);
                let grown = rate * 1.5;
                self.limit = match configured {
                    Some(c) if grown >= c => Some(c),
                    None if grown >= UNLIMITED_AGAIN => None,
                    _ => Some(grown),
                };
                if self.limit == configured {
                    self.next_recovery = None;
                } else {
                    self.next_recovery = Some(now + RECOVERY_STEP);
                }
                if self.limit.is_none() {
                    self.tokens = 0.0;
                }
            }
            (None, _) => self.next_recovery = None,
        }
    }

    /// When the governor next changes by itself: a recovery step, and — when a call is
    /// `waiting` to start — the next token or the end of a pause. `None` when only a call
    /// ending can free a channel.
    pub fn poll_timeout(&self, waiting: bool) -> Option<Instant> {
        let mut next = self.next_recovery;
        let mut consider = |t: Option<Instant>| {
            if let Some(t) = t {
                next = Some(next.map_or(t, |n| n.min(t)));
            }
        };
        if !waiting {
            return next;
        }
        consider(self.paused_until);
        if self.in_flight < self.max_calls && self.paused_until.is_none() {
            if let (Some(rate), Some(at)) = (self.limit, self.refilled) {
                if self.tokens < 1.0 - EPSILON {
                    let wait = (1.0 - self.tokens) / rate;
                    consider(Some(at + Duration::from_secs_f64(wait.max(0.0))));
                }
            }
        }
        next
    }

    /// Whether a call could start now as far as the governor is concerned.
    pub fn ready(&self, now: Instant) -> bool {
        if self.in_flight >= self.max_calls || self.paused_until.is_some_and(|t| now < t) {
            return false;
        }
        match (self.limit, self.refilled) {
            (Some(rate), Some(at)) => {
                self.tokens + now.saturating_duration_since(at).as_secs_f64() * rate
                    >= 1.0 - EPSILON
            }
            _ => true,
        }
    }

    /// Calls in flight.
    pub fn in_flight(&self) -> u32 {
        self.in_flight
    }

    /// Calls started in the second before `now`.
    pub fn calls_per_second(&self, now: Instant) -> u32 {
        self.starts
            .iter()
            .filter(|t| now.saturating_duration_since(**t) < Duration::from_secs(1))
            .count() as u32
    }

    /// The rate now (`None` = unlimited).
    pub fn limit(&self) -> Option<f64> {
        self.limit
    }

    /// Whether the governor has slowed down below what staff set.
    pub fn backing_off(&self) -> bool {
        self.limit != self.configured || self.paused_until.is_some()
    }

    /// How many times it backed off.
    pub fn backoffs(&self) -> u32 {
        self.backoffs
    }

    fn back_off(&mut self, now: Instant, pause: Duration) {
        let until = now + pause;
        self.paused_until = Some(self.paused_until.map_or(until, |t| t.max(until)));
        self.last_trouble = Some(now);
        self.next_recovery = Some(until.max(now + RECOVERY_QUIET));
        if self
            .last_backoff
            .is_some_and(|t| now.saturating_duration_since(t) < BACKOFF_HOLD)
        {
            return;
        }
        self.last_backoff = Some(now);
        self.backoffs += 1;
        let current = match self.limit {
            Some(rate) => rate,
            None => f64::from(self.calls_per_second(now)).max(MIN_RATE),
        };
        self.refill(now);
        self.limit = Some((current / 2.0).max(MIN_RATE));
        self.tokens = self.tokens.min(self.limit.map_or(0.0, capacity));
    }

    fn refill(&mut self, now: Instant) {
        if let (Some(rate), Some(at)) = (self.limit, self.refilled) {
            let gained = now.saturating_duration_since(at).as_secs_f64() * rate;
            self.tokens = (self.tokens + gained).min(capacity(rate));
        }
        self.refilled = Some(now);
    }

    fn trim_starts(&mut self, now: Instant) {
        while self
            .starts
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) >= Duration::from_secs(1))
        {
            self.starts.pop_front();
        }
    }
}

/// Rounding slack for token sums (a token is a token even if a float says 0.999…).
const EPSILON: f64 = 1e-9;

/// Tokens the bucket holds at `rate`: a twentieth of a second's worth, at least one.
fn capacity(rate: f64) -> f64 {
    (rate / 20.0).max(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(clippy::disallowed_methods)] // one epoch for the test; all later times are offsets
    fn t0() -> Instant {
        Instant::now()
    }

    fn ms(t: Instant, n: u64) -> Instant {
        t + Duration::from_millis(n)
    }

    /// Starts as many calls as the governor allows, every millisecond for `span` ms.
    fn run(g: &mut Governor, from: Instant, span: u64) -> u32 {
        let mut n = 0;
        for i in 0..span {
            let now = ms(from, i);
            g.handle_timeout(now);
            while g.try_start(now) {
                n += 1;
                g.finished();
            }
        }
        n
    }

    #[test]
    fn channels_cap_simultaneous_calls() {
        let t = t0();
        let mut g = Governor::new(3, 0.0);
        assert!(g.try_start(t) && g.try_start(t) && g.try_start(t));
        assert!(!g.try_start(t), "three channels in use");
        assert!(!g.ready(t));
        assert_eq!(
            g.poll_timeout(true),
            None,
            "only a call ending frees a channel"
        );
        g.finished();
        assert!(g.try_start(t));
        assert_eq!(Governor::new(5000, 0.0).max_calls, MAX_CALLS);
    }

    #[test]
    fn rate_is_kept_evenly() {
        let t = t0();
        let mut g = Governor::new(800, 10.0);
        // One token at start, then one every 100 ms: 10 calls in the first second.
        assert_eq!(run(&mut g, t, 1000), 10);
        assert_eq!(run(&mut g, ms(t, 1000), 2000), 20);
        let mut g = Governor::new(800, 200.0);
        let n = run(&mut g, t, 1000);
        assert!((200..=211).contains(&n), "{n}");
    }

    #[test]
    fn next_token_time_is_announced() {
        let t = t0();
        let mut g = Governor::new(800, 4.0);
        assert!(g.try_start(t));
        assert!(!g.try_start(t));
        assert_eq!(g.poll_timeout(true), Some(ms(t, 250)));
        assert!(!g.ready(ms(t, 249)));
        assert!(g.ready(ms(t, 250)));
        assert!(g.try_start(ms(t, 250)));
    }

    #[test]
    fn unlimited_rate_starts_everything_at_once() {
        let t = t0();
        let mut g = Governor::new(800, 0.0);
        let n = (0..1000).take_while(|_| g.try_start(t)).count();
        assert_eq!(n, 800);
        assert_eq!(g.calls_per_second(t), 800);
        assert_eq!(g.calls_per_second(ms(t, 1000)), 0);
    }

    #[test]
    fn a_503_pauses_for_retry_after_and_halves_the_rate() {
        let t = t0();
        let mut g = Governor::new(800, 100.0);
        run(&mut g, t, 100);
        g.handle_response(ms(t, 100), 503, Some(Duration::from_secs(3)));
        assert_eq!(g.limit(), Some(50.0));
        assert!(g.backing_off());
        // The other 503s of the same burst of INVITEs do not halve it again.
        g.handle_response(ms(t, 150), 503, None);
        g.handle_response(ms(t, 300), 503, None);
        assert_eq!((g.limit(), g.backoffs()), (Some(50.0), 1));
        assert!(!g.try_start(ms(t, 3099)), "Retry-After is honoured");
        assert_eq!(g.poll_timeout(true), Some(ms(t, 3100)));
        g.handle_timeout(ms(t, 3100));
        assert!(g.try_start(ms(t, 3100)));
        g.handle_response(ms(t, 3200), 503, None);
        assert_eq!(g.limit(), Some(25.0));
    }

    #[test]
    fn retry_after_is_capped() {
        let t = t0();
        let mut g = Governor::new(10, 0.0);
        g.handle_response(t, 503, Some(Duration::from_secs(86_400)));
        assert!(!g.try_start(t + MAX_PAUSE - Duration::from_millis(1)));
        g.handle_timeout(t + MAX_PAUSE);
        assert!(g.try_start(t + MAX_PAUSE));
    }

    #[test]
    fn unlimited_rate_is_capped_at_what_was_sent_then_halved() {
        let t = t0();
        let mut g = Governor::new(800, 0.0);
        for _ in 0..300 {
            assert!(g.try_start(t));
            g.finished();
        }
        g.handle_response(ms(t, 500), 503, None);
        assert_eq!(g.limit(), Some(150.0));
    }

    #[test]
    fn a_burst_of_408s_backs_off_but_single_ones_do_not() {
        let t = t0();
        let mut g = Governor::new(800, 100.0);
        for i in 0..4 {
            g.handle_response(ms(t, i * 1000), 408, None);
        }
        assert_eq!(
            g.limit(),
            Some(100.0),
            "four 408s over four seconds are no burst"
        );
        for i in 0..5 {
            g.handle_response(ms(t, 5000 + i * 100), 408, None);
        }
        assert_eq!(g.limit(), Some(50.0));
        assert!(!g.try_start(ms(t, 5500)));
    }

    #[test]
    fn rate_recovers_step_by_step_to_what_staff_set() {
        let t = t0();
        let mut g = Governor::new(800, 100.0);
        g.handle_response(t, 503, None);
        g.handle_response(ms(t, 1000), 503, None);
        assert_eq!(g.limit(), Some(25.0));
        // Quiet from 1 s: recovery starts 5 s later, then every 2 s, by half.
        assert_eq!(
            g.poll_timeout(true),
            Some(ms(t, 2000)),
            "end of the pause first"
        );
        g.handle_timeout(ms(t, 2000));
        assert_eq!(g.poll_timeout(true), Some(ms(t, 6000)));
        let mut steps = Vec::new();
        let mut now = ms(t, 6000);
        while g.backing_off() {
            g.handle_timeout(now);
            steps.push(g.limit().unwrap_or(0.0));
            now += RECOVERY_STEP;
        }
        assert_eq!(steps, [37.5, 56.25, 84.375, 100.0]);
        assert_eq!(g.poll_timeout(true), None);
    }

    #[test]
    fn unlimited_rate_recovers_to_unlimited() {
        let t = t0();
        let mut g = Governor::new(800, 0.0);
        g.handle_response(t, 503, None);
        assert_eq!(g.limit(), Some(MIN_RATE));
        let mut now = t + RECOVERY_QUIET;
        let mut steps = 0;
        while g.backing_off() && steps < 100 {
            g.handle_timeout(now);
            now += RECOVERY_STEP;
            steps += 1;
        }
        assert_eq!(g.limit(), None);
        assert!(steps < 20, "{steps} steps");
    }
}

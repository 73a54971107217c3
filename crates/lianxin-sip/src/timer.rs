//! The timer table: RFC 3261 timers as enum keys in a small array.
//!
//! Each transaction owns one [`TimerTable`]; its next deadline is the minimum entry. Nothing
//! here reads a clock: deadlines are computed from the `now` the caller passes in.

use std::time::{Duration, Instant};

/// RFC 3261 timer base values (§17.1.1.1, Table 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimerConfig {
    /// RTT estimate (default 500 ms).
    pub t1: Duration,
    /// Maximum retransmit interval for non-INVITE requests and INVITE responses (default 4 s).
    pub t2: Duration,
    /// Maximum time a message stays in the network (default 5 s).
    pub t4: Duration,
}

impl Default for TimerConfig {
    fn default() -> Self {
        TimerConfig {
            t1: Duration::from_millis(500),
            t2: Duration::from_secs(4),
            t4: Duration::from_secs(5),
        }
    }
}

impl TimerConfig {
    /// 64*T1: timers B, F, H, J and the UAS 2xx give-up time.
    pub fn t1x64(&self) -> Duration {
        self.t1 * 64
    }
}

/// The RFC 3261 transaction timers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Timer {
    /// INVITE client: request retransmit (UDP).
    A,
    /// INVITE client: transaction timeout.
    B,
    /// INVITE client: wait for response retransmits in Completed.
    D,
    /// Non-INVITE client: request retransmit (UDP).
    E,
    /// Non-INVITE client: transaction timeout.
    F,
    /// INVITE server: final response retransmit (UDP).
    G,
    /// INVITE server: wait for ACK.
    H,
    /// INVITE server: wait for ACK retransmits in Confirmed.
    I,
    /// Non-INVITE server: wait for request retransmits in Completed.
    J,
    /// Non-INVITE client: wait for response retransmits in Completed.
    K,
    /// INVITE server (RFC 6026): absorb INVITE retransmits after a 2xx (Accepted).
    L,
}

impl Timer {
    const ALL: [Timer; 11] = [
        Timer::A,
        Timer::B,
        Timer::D,
        Timer::E,
        Timer::F,
        Timer::G,
        Timer::H,
        Timer::I,
        Timer::J,
        Timer::K,
        Timer::L,
    ];

    fn index(self) -> usize {
        self as usize
    }
}

/// Deadlines keyed by [`Timer`]; the next deadline is the minimum.
#[derive(Debug, Clone, Default)]
pub struct TimerTable {
    at: [Option<Instant>; 11],
}

impl TimerTable {
    /// Arm (or re-arm) a timer.
    pub fn set(&mut self, timer: Timer, at: Instant) {
        self.at[timer.index()] = Some(at);
    }

    /// Disarm a timer.
    pub fn stop(&mut self, timer: Timer) {
        self.at[timer.index()] = None;
    }

    /// Disarm every timer.
    pub fn stop_all(&mut self) {
        self.at = [None; 11];
    }

    /// The deadline of one timer.
    pub fn get(&self, timer: Timer) -> Option<Instant> {
        self.at[timer.index()]
    }

    /// The earliest deadline.
    pub fn next(&self) -> Option<Instant> {
        self.at.iter().flatten().min().copied()
    }

    /// The earliest timer whose deadline is at or before `now`, disarmed as it is returned.
    pub fn pop_expired(&mut self, now: Instant) -> Option<Timer> {
        let mut best: Option<(Instant, Timer)> = None;
        for t in Timer::ALL {
            if let Some(at) = self.at[t.index()] {
                if at <= now && best.is_none_or(|(b, _)| at < b) {
                    best = Some((at, t));
                }
            }
        }
        let (_, t) = best?;
        self.stop(t);
        Some(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_is_min_and_pop_in_order() {
        let t0 = crate::test_epoch();
        let mut t = TimerTable::default();
        t.set(Timer::B, t0 + Duration::from_secs(32));
        t.set(Timer::A, t0 + Duration::from_millis(500));
        assert_eq!(t.next(), Some(t0 + Duration::from_millis(500)));
        assert_eq!(t.pop_expired(t0), None);
        assert_eq!(t.pop_expired(t0 + Duration::from_secs(40)), Some(Timer::A));
        assert_eq!(t.pop_expired(t0 + Duration::from_secs(40)), Some(Timer::B));
        assert_eq!(t.next(), None);
    }
}

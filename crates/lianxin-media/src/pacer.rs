//! The single send schedule shared by every stream.
//!
//! All streams live on one 20 ms grid: tick `n` is due at `start + n × 20 ms`, computed from
//! the start each time (never by adding to the previous wake-up), so the schedule does not
//! drift however late the driver wakes. Every stream due at a tick is sent in the same pass,
//! which is what lets one task serve 800 notice calls: one timer, one wake-up per 20 ms.
//!
//! When the driver wakes late it is told how many ticks are due; up to `max_burst` of them are
//! sent back to back (the receivers' jitter buffers absorb that), older ones are skipped so a
//! long stall does not turn into a flood.
//!
//! Sans-IO: `now` is always an argument.

use std::time::{Duration, Instant};

/// What a wake-up should do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Due {
    /// Index of the first tick to send now.
    pub first: u64,
    /// How many consecutive ticks to send, starting with `first` (0 when woken early).
    pub count: u64,
    /// Ticks given up before `first` because the driver was too late for them.
    pub skipped: u64,
}

impl Due {
    /// The tick indices to send, in order.
    pub fn ticks(&self) -> std::ops::Range<u64> {
        self.first..self.first + self.count
    }
}

/// The shared 20 ms schedule.
#[derive(Debug, Clone)]
pub struct Pacer {
    start: Instant,
    period: Duration,
    next: u64,
    max_burst: u64,
    skipped_total: u64,
}

impl Pacer {
    /// A schedule whose tick 0 is due at `start`.
    pub fn new(start: Instant, period: Duration, max_burst: u64) -> Pacer {
        Pacer {
            start,
            period,
            next: 0,
            max_burst: max_burst.max(1),
            skipped_total: 0,
        }
    }

    /// When tick `n` is due.
    pub fn deadline(&self, n: u64) -> Instant {
        // u32 multiplications keep this exact; a tick index past u32 is 2.7 years away.
        let n32 = u32::try_from(n).unwrap_or(u32::MAX);
        self.start + self.period * n32
    }

    /// When the driver should wake next.
    pub fn poll_timeout(&self) -> Instant {
        self.deadline(self.next)
    }

    /// The next tick not yet handed out.
    pub fn next_tick(&self) -> u64 {
        self.next
    }

    /// Total ticks skipped since start (a health figure: should stay 0).
    pub fn skipped_total(&self) -> u64 {
        self.skipped_total
    }

    /// Hands out every tick due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) -> Due {
        if now < self.deadline(self.next) {
            return Due {
                first: self.next,
                count: 0,
                skipped: 0,
            };
        }
        let elapsed = now.duration_since(self.start);
        let last_due = (elapsed.as_nanos() / self.period.as_nanos().max(1)) as u64;
        let pending = last_due + 1 - self.next;
        let skipped = pending.saturating_sub(self.max_burst);
        let first = self.next + skipped;
        let count = pending - skipped;
        self.next = first + count;
        self.skipped_total += skipped;
        Due {
            first,
            count,
            skipped,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: Duration = Duration::from_millis(20);

    #[test]
    fn on_time_wakeups_get_one_tick_each() {
        let t0 = crate::test_util::t0();
        let mut p = Pacer::new(t0, P, 5);
        for n in 0..1000u64 {
            let deadline = p.poll_timeout();
            assert_eq!(deadline, t0 + P * n as u32);
            // Woken a little late each time: still exactly one tick.
            let due = p.handle_timeout(deadline + Duration::from_micros(700));
            assert_eq!(
                due,
                Due {
                    first: n,
                    count: 1,
                    skipped: 0
                }
            );
        }
    }

    #[test]
    fn no_drift_over_a_day() {
        let t0 = crate::test_util::t0();
        let mut p = Pacer::new(t0, P, 5);
        let ticks_per_day = 24 * 3600 * 50;
        // Late wake-ups never accumulate: the deadline comes from the start.
        for _ in 0..ticks_per_day {
            let d = p.poll_timeout();
            p.handle_timeout(d + Duration::from_micros(900));
        }
        assert_eq!(p.poll_timeout(), t0 + Duration::from_secs(24 * 3600));
    }

    #[test]
    fn early_wakeup_sends_nothing() {
        let t0 = crate::test_util::t0();
        let mut p = Pacer::new(t0, P, 5);
        p.handle_timeout(t0);
        let due = p.handle_timeout(t0 + Duration::from_millis(19));
        assert_eq!(due.count, 0);
        assert_eq!(p.poll_timeout(), t0 + P);
    }

    #[test]
    fn late_wakeup_sends_a_burst_then_skips() {
        let t0 = crate::test_util::t0();
        let mut p = Pacer::new(t0, P, 5);
        p.handle_timeout(t0);
        // 3 ticks late: ticks 1..=4 due at 80 ms.
        let due = p.handle_timeout(t0 + Duration::from_millis(81));
        assert_eq!(due.ticks(), 1..5);
        assert_eq!(due.skipped, 0);
        // A 1 s stall: ticks 5..=55 due; only the last 5 are sent.
        let due = p.handle_timeout(t0 + Duration::from_millis(1100));
        assert_eq!(due.ticks(), 51..56);
        assert_eq!(due.skipped, 46);
        assert_eq!(p.skipped_total(), 46);
        assert_eq!(p.poll_timeout(), t0 + Duration::from_millis(1120));
    }
}

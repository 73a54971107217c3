//! A lock-free latency histogram for "event published → frame written to the socket".
//!
//! Console writer tasks record into it concurrently with plain atomic adds; readers take
//! a [`LatencySummary`] at any time. Values are microseconds in log-linear buckets (exact
//! below 64 µs, then 32 sub-buckets per power of two: under 3.2 % error); min and max are
//! exact.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

const SUB_BITS: u32 = 5;
const SUB: u64 = 1 << SUB_BITS; // 32 sub-buckets per octave
const LINEAR: u64 = 2 * SUB; // values below 64 µs are exact
const MAX_EXP: u32 = 40; // ~12.7 days; larger values are clamped
const BUCKETS: usize = (LINEAR + (MAX_EXP as u64 - SUB_BITS as u64) * SUB) as usize;

/// Concurrent histogram of durations.
#[derive(Debug)]
pub struct LatencyHistogram {
    buckets: Box<[AtomicU64]>,
    count: AtomicU64,
    sum_us: AtomicU64,
    min_us: AtomicU64,
    max_us: AtomicU64,
}

/// Figures taken from a [`LatencyHistogram`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LatencySummary {
    /// Number of samples.
    pub count: u64,
    /// Smallest sample.
    pub min: Duration,
    /// Median (bucket upper bound, at most `max`).
    pub median: Duration,
    /// 99th percentile (bucket upper bound, at most `max`).
    pub p99: Duration,
    /// Largest sample.
    pub max: Duration,
    /// Arithmetic mean.
    pub mean: Duration,
}

impl Default for LatencyHistogram {
    fn default() -> Self {
        Self::new()
    }
}

impl LatencyHistogram {
    /// An empty histogram.
    pub fn new() -> Self {
        LatencyHistogram {
            buckets: (0..BUCKETS).map(|_| AtomicU64::new(0)).collect(),
            count: AtomicU64::new(0),
            sum_us: AtomicU64::new(0),
            min_us: AtomicU64::new(u64::MAX),
            max_us: AtomicU64::new(0),
        }
    }

    /// Records one sample.
    pub fn record(&self, d: Duration) {
        let us = u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
        self.buckets[index(us)].fetch_add(1, Ordering::Relaxed);
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_us.fetch_add(us, Ordering::Relaxed);
        self.min_us.fetch_min(us, Ordering::Relaxed);
        self.max_us.fetch_max(us, Ordering::Relaxed);
    }

    /// Forgets every sample (e.g. after a warm-up).
    pub fn reset(&self) {
        for b in self.buckets.iter() {
            b.store(0, Ordering::Relaxed);
        }
        self.count.store(0, Ordering::Relaxed);
        self.sum_us.store(0, Ordering::Relaxed);
        self.min_us.store(u64::MAX, Ordering::Relaxed);
        self.max_us.store(0, Ordering::Relaxed);
    }

    /// The figures so far (all zero when empty).
    pub fn summary(&self) -> LatencySummary {
        let counts: Vec<u64> = self
            .buckets
            .iter()
            .map(|b| b.load(Ordering::Relaxed))
            .collect();
        let total: u64 = counts.iter().sum();
        if total == 0 {
            return LatencySummary::default();
        }
        let min = self.min_us.load(Ordering::Relaxed);
        let max = self.max_us.load(Ordering::Relaxed);
        let quantile = |q: f64| -> Duration {
            // Rank of the sample at quantile q, 1-based.
            let rank = ((q * total as f64).ceil() as u64).clamp(1, total);
            let mut seen = 0;
            for (i, c) in counts.iter().enumerate() {
                seen += c;
                if seen >= rank {
                    return Duration::from_micros(upper(i).clamp(min, max));
                }
            }
            Duration::from_micros(max)
        };
        let count = self.count.load(Ordering::Relaxed).max(1);
        LatencySummary {
            count: total,
            min: Duration::from_micros(min),
            median: quantile(0.5),
            p99: quantile(0.99),
            max: Duration::from_micros(max),
            mean: Duration::from_micros(self.sum_us.load(Ordering::Relaxed) / count),
        }
    }
}

fn index(us: u64) -> usize {
    if us < LINEAR {
        return us as usize;
    }
    let exp = (63 - us.leading_zeros()).min(MAX_EXP - 1);
    let us = us.min((1u64 << (exp + 1)) - 1);
    let mantissa = (us >> (exp - SUB_BITS)) - SUB; // 0..32
    (LINEAR + u64::from(exp - SUB_BITS - 1) * SUB + mantissa) as usize
}

/// The largest value that falls in bucket `i`.
fn upper(i: usize) -> u64 {
    let i = i as u64;
    if i < LINEAR {
        return i;
    }
    let exp = (i - LINEAR) / SUB + u64::from(SUB_BITS) + 1;
    let mantissa = (i - LINEAR) % SUB + SUB;
    ((mantissa + 1) << (exp - u64::from(SUB_BITS))) - 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_cover_their_values() {
        for us in (0..5000u64).chain([1 << 20, (1 << 30) + 12345, u64::MAX / 2]) {
            let i = index(us);
            assert!(i < BUCKETS);
            let clamped = us.min((1u64 << MAX_EXP) - 1);
            assert!(upper(i) >= clamped, "{us} in bucket {i} up to {}", upper(i));
            if i > 0 && clamped < (1u64 << MAX_EXP) - 1 {
                assert!(upper(i - 1) < clamped, "{us} belongs in an earlier bucket");
            }
            // relative error under 1/32
            assert!((upper(i) - clamped) as f64 <= clamped as f64 / 32.0 + 1.0);
        }
    }

    #[test]
    fn summary_figures() {
        let h = LatencyHistogram::new();
        assert_eq!(h.summary(), LatencySummary::default());
        for us in 1..=1000u64 {
            h.record(Duration::from_micros(us));
        }
        let s = h.summary();
        assert_eq!(s.count, 1000);
        assert_eq!(s.min, Duration::from_micros(1));
        assert_eq!(s.max, Duration::from_micros(1000));
        let med = s.median.as_micros() as f64;
        assert!((500.0..=520.0).contains(&med), "median {med}");
        let p99 = s.p99.as_micros() as f64;
        assert!((990.0..=1000.0).contains(&p99), "p99 {p99}");
        assert_eq!(s.mean, Duration::from_micros(500));
        h.reset();
        assert_eq!(h.summary().count, 0);
    }
}

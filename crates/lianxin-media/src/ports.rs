//! Which RTP/RTCP port pair a new session gets: one drawn at random from the configured
//! range, not the next in order.
//!
//! Why: ports handed out in order tell anyone who sees one call's port (in its SDP, or by
//! probing) which port the next call will get, and make a scan of the range find the live
//! calls at its start. A random draw gives nothing away (the [`latch`](crate::latch) rules
//! are what keep a sprayed packet out; this only stops making it easy).
//!
//! How, without a free-list: each open walks every pair of the range once, starting at a
//! random pair with a random stride coprime with the number of pairs (so the walk visits
//! each pair exactly once and a full range is still searched to the end); the first pair
//! whose two ports bind is used. Each open draws a new start and stride, so consecutive
//! sessions land anywhere. The randomness is given (seeded in tests).
//!
//! Sans-IO: yields port numbers; the engine binds them.

use rand::{Rng, RngCore};

/// The even RTP ports of a range whose odd port above (RTCP) is also in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortPairs {
    first: u16,
    pairs: u16,
}

impl PortPairs {
    /// The pairs of the inclusive range `(first, last)`: from the first even port up to the
    /// last even port whose odd neighbour is still in the range.
    pub fn new((first, last): (u16, u16)) -> PortPairs {
        let first = first.saturating_add(first % 2);
        let pairs = last.saturating_sub(first).div_ceil(2);
        PortPairs { first, pairs }
    }

    /// The first RTP port (even).
    pub fn first(&self) -> u16 {
        self.first
    }

    /// Number of pairs.
    pub fn len(&self) -> usize {
        self.pairs as usize
    }

    /// True when the range holds no pair.
    pub fn is_empty(&self) -> bool {
        self.pairs == 0
    }

    /// Every pair's RTP port once, in an order drawn from `rng`.
    pub fn shuffled(&self, rng: &mut impl RngCore) -> impl Iterator<Item = u16> {
        let n = u32::from(self.pairs);
        let (start, stride) = if n == 0 {
            (0, 1)
        } else {
            (rng.random_range(0..n), coprime_stride(n, rng))
        };
        let first = u32::from(self.first);
        (0..n).map(move |k| {
            let index = (u64::from(start) + u64::from(k) * u64::from(stride)) % u64::from(n);
            // first + 2 × index ≤ last by construction, so it fits in a u16.
            (first + 2 * index as u32) as u16
        })
    }
}

/// A random stride in `1..n` sharing no factor with `n` (1 if none is found quickly).
fn coprime_stride(n: u32, rng: &mut impl RngCore) -> u32 {
    if n <= 2 {
        return 1;
    }
    for _ in 0..32 {
        let s = rng.random_range(1..n);
        if gcd(s, n) == 1 {
            return s;
        }
    }
    1
}

fn gcd(mut a: u32, mut b: u32) -> u32 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn every_pair_is_visited_once() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        for range in [
            (20000, 29999),
            (20001, 20010),
            (30000, 30001),
            (30000, 30000),
            (7, 96),
        ] {
            let pairs = PortPairs::new(range);
            for _ in 0..20 {
                let mut ports: Vec<u16> = pairs.shuffled(&mut rng).collect();
                assert_eq!(ports.len(), pairs.len(), "{range:?}");
                assert!(ports
                    .iter()
                    .all(|p| p % 2 == 0 && *p >= range.0 && *p < range.1));
                ports.sort_unstable();
                ports.dedup();
                assert_eq!(ports.len(), pairs.len(), "{range:?}: each pair once");
            }
        }
        assert_eq!(PortPairs::new((20000, 29999)).len(), 5000);
        assert!(PortPairs::new((30000, 30000)).is_empty());
        assert_eq!(PortPairs::new((65534, 65535)).len(), 1);
    }

    /// Regression (issue 10, point 2): ports were handed out in order.
    #[test]
    fn consecutive_opens_are_not_neighbours() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(10);
        let pairs = PortPairs::new((20000, 29999));
        let firsts: Vec<u16> = (0..1000)
            .map(|_| pairs.shuffled(&mut rng).next().unwrap_or(0))
            .collect();
        let adjacent = firsts
            .windows(2)
            .filter(|w| w[0].abs_diff(w[1]) == 2)
            .count();
        assert!(
            adjacent < 10,
            "{adjacent} of 999 consecutive opens were neighbours"
        );
        // And they spread over the range.
        let low = firsts.iter().filter(|p| **p < 25000).count();
        assert!((400..600).contains(&low), "{low} of 1000 in the lower half");
        // The walk after a busy port is not in order either.
        let walk: Vec<u16> = pairs.shuffled(&mut rng).take(10).collect();
        assert!(
            walk.windows(2).any(|w| w[0].abs_diff(w[1]) != 2),
            "{walk:?}"
        );
    }
}

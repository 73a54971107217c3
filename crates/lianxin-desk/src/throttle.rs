//! Log-in throttling: failed log-ins are counted per source address and per user name,
//! and past a few free failures each further one makes that key wait longer
//! (1 s, 2 s, 4 s, … up to a cap) before it may try again.
//!
//! Why both keys: per address stops one host from guessing many accounts; per user name
//! stops many hosts from guessing one account. A refused attempt never reaches the
//! password check, so it costs the server nothing; the log-in handler answers it `429`
//! with `Retry-After`. A success forgets the user name's failures (not the address's, so
//! a valid account cannot be used to reset an address between guesses). Failures are
//! forgotten after `forget` without a new one.
//!
//! The tables are bounded: when one is full, stale keys are swept, and if it is still
//! full a new key is not tracked (logged), the other table still applies. Time is an
//! input (`now`), so the schedule is tested without waiting.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How failed log-ins slow down one key (a source address or a user name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottlePolicy {
    /// Failures allowed before any waiting.
    pub free: u32,
    /// The first wait; each further failure doubles it.
    pub base: Duration,
    /// The longest wait.
    pub max_wait: Duration,
    /// Failures are forgotten after this long without a new one.
    pub forget: Duration,
    /// Most keys remembered.
    pub max_keys: usize,
}

impl ThrottlePolicy {
    /// The wait after the `failures`-th failure in a row.
    fn wait_after(&self, failures: u32) -> Duration {
        let Some(over) = failures.checked_sub(self.free + 1) else {
            return Duration::ZERO;
        };
        let factor = 1u32.checked_shl(over.min(31)).unwrap_or(u32::MAX);
        self.base.saturating_mul(factor).min(self.max_wait)
    }
}

#[derive(Debug, Clone, Copy)]
struct Record {
    failures: u32,
    last: Instant,
    blocked_until: Instant,
}

#[derive(Debug)]
struct Table<K> {
    policy: ThrottlePolicy,
    keys: HashMap<K, Record>,
}

impl<K: Hash + Eq> Table<K> {
    fn new(policy: ThrottlePolicy) -> Self {
        Table {
            policy,
            keys: HashMap::new(),
        }
    }

    fn wait(&self, key: &K, now: Instant) -> Duration {
        self.keys
            .get(key)
            .map(|r| r.blocked_until.saturating_duration_since(now))
            .unwrap_or_default()
    }

    /// Records a failure; returns false if the key could not be tracked (table full).
    fn fail(&mut self, key: K, now: Instant) -> bool {
        let forget = self.policy.forget;
        if !self.keys.contains_key(&key) && self.keys.len() >= self.policy.max_keys {
            self.keys
                .retain(|_, r| r.blocked_until > now || r.last + forget > now);
            if self.keys.len() >= self.policy.max_keys {
                return false;
            }
        }
        let r = self.keys.entry(key).or_insert(Record {
            failures: 0,
            last: now,
            blocked_until: now,
        });
        if r.last + forget <= now {
            r.failures = 0;
        }
        r.failures = r.failures.saturating_add(1);
        r.last = now;
        r.blocked_until = now + self.policy.wait_after(r.failures);
        true
    }
}

/// Failed log-ins per source address and per user name.
#[derive(Debug)]
pub(crate) struct LoginThrottle {
    by_addr: Mutex<Table<IpAddr>>,
    by_user: Mutex<Table<String>>,
}

impl LoginThrottle {
    pub(crate) fn new(by_addr: ThrottlePolicy, by_user: ThrottlePolicy) -> Self {
        LoginThrottle {
            by_addr: Mutex::new(Table::new(by_addr)),
            by_user: Mutex::new(Table::new(by_user)),
        }
    }

    /// How long `addr` trying `user` must still wait; zero when it may try now.
    pub(crate) fn wait(&self, addr: IpAddr, user: &str, now: Instant) -> Duration {
        let a = lock(&self.by_addr).wait(&addr, now);
        let u = lock(&self.by_user).wait(&user_key(user), now);
        a.max(u)
    }

    /// Records a wrong password (or unknown user).
    pub(crate) fn failed(&self, addr: IpAddr, user: &str, now: Instant) {
        if !lock(&self.by_addr).fail(addr, now) {
            tracing::warn!("log-in throttle: address table full; address not tracked");
        }
        if !lock(&self.by_user).fail(user_key(user), now) {
            tracing::warn!("log-in throttle: user-name table full; user name not tracked");
        }
    }

    /// Records a successful log-in: the user name's failures are forgotten.
    pub(crate) fn succeeded(&self, user: &str) {
        lock(&self.by_user).keys.remove(&user_key(user));
    }
}

/// User names are compared as the store does, but case-folded so `Admin` and `admin`
/// share one counter.
fn user_key(user: &str) -> String {
    user.trim().to_lowercase()
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(free: u32) -> ThrottlePolicy {
        ThrottlePolicy {
            free,
            base: Duration::from_secs(1),
            max_wait: Duration::from_secs(60),
            forget: Duration::from_secs(600),
            max_keys: 3,
        }
    }

    const A: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 1));
    const B: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 2));

    #[test]
    fn waits_grow_after_the_free_failures_up_to_the_cap() {
        let p = policy(5);
        let waits: Vec<u64> = (1..=13).map(|n| p.wait_after(n).as_secs()).collect();
        assert_eq!(waits, [0, 0, 0, 0, 0, 1, 2, 4, 8, 16, 32, 60, 60]);
        assert_eq!(p.wait_after(u32::MAX), Duration::from_secs(60));
    }

    #[test]
    fn per_user_limit_holds_across_addresses_and_success_resets_it() {
        let t0 = Instant::now();
        let t = LoginThrottle::new(policy(100), policy(2));
        for _ in 0..2 {
            t.failed(A, "8001", t0);
        }
        assert_eq!(t.wait(B, "8001", t0), Duration::ZERO);
        t.failed(A, "8001", t0);
        // another address, same (case-folded) user: also waits
        assert_eq!(t.wait(B, "8001", t0), Duration::from_secs(1));
        assert_eq!(t.wait(B, "other", t0), Duration::ZERO);
        assert_eq!(
            t.wait(B, "8001", t0 + Duration::from_millis(400)),
            Duration::from_millis(600)
        );
        t.succeeded("8001");
        assert_eq!(t.wait(B, "8001", t0), Duration::ZERO);
    }

    #[test]
    fn per_address_limit_holds_across_user_names_and_is_forgotten() {
        let t0 = Instant::now();
        let t = LoginThrottle::new(policy(1), policy(100));
        t.failed(A, "u1", t0);
        t.failed(A, "u2", t0);
        assert_eq!(t.wait(A, "u3", t0), Duration::from_secs(1));
        assert_eq!(t.wait(B, "u3", t0), Duration::ZERO);
        // a long quiet time later the count starts again
        let later = t0 + Duration::from_secs(601);
        t.failed(A, "u4", later);
        assert_eq!(t.wait(A, "u5", later), Duration::ZERO);
    }

    #[test]
    fn full_table_sweeps_stale_keys_and_never_grows_past_its_bound() {
        let t0 = Instant::now();
        let mut table = Table::new(policy(0));
        for (i, user) in ["a", "b", "c"].into_iter().enumerate() {
            assert!(table.fail(user.to_string(), t0 + Duration::from_secs(i as u64)));
        }
        assert!(!table.fail("d".into(), t0 + Duration::from_secs(3)));
        assert_eq!(table.keys.len(), 3);
        assert!(table.fail("d".into(), t0 + Duration::from_secs(700)));
        assert_eq!(table.keys.len(), 1);
    }
}

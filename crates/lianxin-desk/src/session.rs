//! Log-in sessions: random 128-bit tokens that expire when idle, kept in memory.
//!
//! Sessions do not survive a restart (staff log in again). The table is bounded: expired
//! sessions are swept when it is full, and a log-in is refused if it is still full. Time
//! is an input (`now`) so expiry is tested without waiting.
//!
//! Each session remembers the fingerprint of its staff row at log-in (password hash,
//! role, active flag). Whoever notices that the row changed — a request re-checking it, or
//! the periodic `recheck` task — calls [`Sessions::revoke_stale`], which ends every
//! session of that person opened under another fingerprint.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::Rng;

use crate::directory::Staff;

/// An authenticated session.
#[derive(Debug, Clone)]
pub(crate) struct Session {
    pub(crate) token: Arc<str>,
    pub(crate) staff: Arc<Staff>,
    /// The staff row's fingerprint when the session was opened.
    pub(crate) fingerprint: Arc<str>,
}

#[derive(Debug)]
struct Entry {
    staff: Arc<Staff>,
    token: Arc<str>,
    fingerprint: Arc<str>,
    expires: Instant,
}

/// The session table.
#[derive(Debug)]
pub(crate) struct Sessions {
    ttl: Duration,
    max: usize,
    table: Mutex<HashMap<Arc<str>, Entry>>,
}

/// The table is full of live sessions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SessionsFull;

impl Sessions {
    pub(crate) fn new(ttl: Duration, max: usize) -> Self {
        Sessions {
            ttl,
            max: max.max(1),
            table: Mutex::new(HashMap::new()),
        }
    }

    /// Opens a session for `staff`; returns its token.
    pub(crate) fn open(
        &self,
        staff: Staff,
        fingerprint: &str,
        now: Instant,
    ) -> Result<Session, SessionsFull> {
        let mut table = self.lock();
        if table.len() >= self.max {
            table.retain(|_, e| e.expires > now);
            if table.len() >= self.max {
                return Err(SessionsFull);
            }
        }
        let token: Arc<str> = hex::encode(rand::rng().random::<u128>().to_be_bytes()).into();
        let staff = Arc::new(staff);
        let fingerprint: Arc<str> = fingerprint.into();
        table.insert(
            token.clone(),
            Entry {
                staff: staff.clone(),
                token: token.clone(),
                fingerprint: fingerprint.clone(),
                expires: now + self.ttl,
            },
        );
        Ok(Session {
            token,
            staff,
            fingerprint,
        })
    }

    /// The live session for `token`, extending its life.
    pub(crate) fn check(&self, token: &str, now: Instant) -> Option<Session> {
        let mut table = self.lock();
        let entry = table.get_mut(token)?;
        if entry.expires <= now {
            table.remove(token);
            return None;
        }
        entry.expires = now + self.ttl;
        Some(Session {
            token: entry.token.clone(),
            staff: entry.staff.clone(),
            fingerprint: entry.fingerprint.clone(),
        })
    }

    /// Ends every session of `staff_id` whose fingerprint is not `current` (`None`: the
    /// account is gone or disabled, so all of them); returns their tokens.
    pub(crate) fn revoke_stale(&self, staff_id: i64, current: Option<&str>) -> Vec<Arc<str>> {
        let mut table = self.lock();
        let stale: Vec<Arc<str>> = table
            .values()
            .filter(|e| e.staff.id == staff_id && Some(&*e.fingerprint) != current)
            .map(|e| e.token.clone())
            .collect();
        for t in &stale {
            table.remove(t);
        }
        stale
    }

    /// The staff ids with a live session, each once.
    pub(crate) fn staff_ids(&self, now: Instant) -> Vec<i64> {
        let table = self.lock();
        let mut ids: Vec<i64> = table
            .values()
            .filter(|e| e.expires > now)
            .map(|e| e.staff.id)
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// Ends a session; true if it existed.
    pub(crate) fn close(&self, token: &str) -> bool {
        self.lock().remove(token).is_some()
    }

    /// How long a session lives without use.
    pub(crate) fn ttl(&self) -> Duration {
        self.ttl
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Arc<str>, Entry>> {
        self.table.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lianxin_store::Role;

    fn staff(id: i64) -> Staff {
        Staff {
            id,
            username: format!("u{id}"),
            display_name: format!("员工{id}"),
            role: Role::Operator,
            extension: None,
        }
    }

    #[test]
    fn tokens_are_random_and_expire_when_idle() {
        let t0 = Instant::now();
        let s = Sessions::new(Duration::from_secs(60), 10);
        let a = s.open(staff(1), "f", t0).unwrap();
        let b = s.open(staff(1), "f", t0).unwrap();
        assert_ne!(a.token, b.token);
        assert_eq!(a.token.len(), 32);
        // used at 50 s: extended to 110 s
        assert!(s.check(&a.token, t0 + Duration::from_secs(50)).is_some());
        assert!(s.check(&a.token, t0 + Duration::from_secs(100)).is_some());
        // b was never used: gone at 60 s
        assert!(s.check(&b.token, t0 + Duration::from_secs(60)).is_none());
        assert!(s.check("nope", t0).is_none());
        assert!(s.close(&a.token));
        assert!(s.check(&a.token, t0).is_none());
    }

    #[test]
    fn full_table_sweeps_then_refuses() {
        let t0 = Instant::now();
        let s = Sessions::new(Duration::from_secs(10), 2);
        s.open(staff(1), "f", t0).unwrap();
        s.open(staff(2), "f", t0).unwrap();
        assert_eq!(s.open(staff(3), "f", t0).unwrap_err(), SessionsFull);
        // after expiry, the sweep makes room
        assert!(s.open(staff(3), "f", t0 + Duration::from_secs(11)).is_ok());
    }

    #[test]
    fn a_changed_fingerprint_ends_that_persons_old_sessions_only() {
        let t0 = Instant::now();
        let s = Sessions::new(Duration::from_secs(60), 10);
        let old = s.open(staff(1), "v1", t0).unwrap();
        let new = s.open(staff(1), "v2", t0).unwrap();
        let other = s.open(staff(2), "v1", t0).unwrap();
        assert_eq!(s.staff_ids(t0), vec![1, 2]);
        assert_eq!(s.revoke_stale(1, Some("v2")), vec![old.token.clone()]);
        assert!(s.check(&old.token, t0).is_none());
        assert!(s.check(&new.token, t0).is_some());
        assert!(s.check(&other.token, t0).is_some());
        assert_eq!(s.revoke_stale(1, None), vec![new.token.clone()]);
        assert!(s.check(&new.token, t0).is_none());
    }
}

//! Log-in sessions: random 128-bit tokens that expire when idle, kept in memory.
//!
//! Sessions do not survive a restart (staff log in again). The table is bounded: expired
//! sessions are swept when it is full, and a log-in is refused if it is still full. Time
//! is an input (`now`) so expiry is tested without waiting.

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
}

#[derive(Debug)]
struct Entry {
    staff: Arc<Staff>,
    token: Arc<str>,
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
    pub(crate) fn open(&self, staff: Staff, now: Instant) -> Result<Session, SessionsFull> {
        let mut table = self.lock();
        if table.len() >= self.max {
            table.retain(|_, e| e.expires > now);
            if table.len() >= self.max {
                return Err(SessionsFull);
            }
        }
        let token: Arc<str> = hex::encode(rand::rng().random::<u128>().to_be_bytes()).into();
        let staff = Arc::new(staff);
        table.insert(
            token.clone(),
            Entry {
                staff: staff.clone(),
                token: token.clone(),
                expires: now + self.ttl,
            },
        );
        Ok(Session { token, staff })
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
        })
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
        let a = s.open(staff(1), t0).unwrap();
        let b = s.open(staff(1), t0).unwrap();
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
        s.open(staff(1), t0).unwrap();
        s.open(staff(2), t0).unwrap();
        assert_eq!(s.open(staff(3), t0).unwrap_err(), SessionsFull);
        // after expiry, the sweep makes room
        assert!(s.open(staff(3), t0 + Duration::from_secs(11)).is_ok());
    }
}

//! One-use tickets: what a browser puts in a URL instead of its session token.
//!
//! A WebSocket upgrade and an `<audio src>` cannot carry an `Authorization` header, and a
//! token in a URL ends up in proxy and server logs, where it stays valid for hours. So
//! the console asks `POST /api/ticket` (token in the header) for a random ticket, valid
//! for `ttl` (30 s by default) and for one use, and puts that in the URL. Redeeming a
//! ticket removes it; an expired one is refused. The table is bounded: when full, expired
//! tickets are swept, and if it is still full no ticket is issued.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::Rng;

#[derive(Debug)]
struct Entry {
    token: Arc<str>,
    expires: Instant,
}

/// Outstanding tickets.
#[derive(Debug)]
pub(crate) struct Tickets {
    ttl: Duration,
    max: usize,
    table: Mutex<HashMap<String, Entry>>,
}

/// The ticket table is full of live tickets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TicketsFull;

impl Tickets {
    pub(crate) fn new(ttl: Duration, max: usize) -> Self {
        Tickets {
            ttl,
            max: max.max(1),
            table: Mutex::new(HashMap::new()),
        }
    }

    /// A new ticket standing for the session `token`.
    pub(crate) fn issue(&self, token: Arc<str>, now: Instant) -> Result<String, TicketsFull> {
        let mut table = self.lock();
        if table.len() >= self.max {
            table.retain(|_, e| e.expires > now);
            if table.len() >= self.max {
                return Err(TicketsFull);
            }
        }
        let ticket = hex::encode(rand::rng().random::<u128>().to_be_bytes());
        table.insert(
            ticket.clone(),
            Entry {
                token,
                expires: now + self.ttl,
            },
        );
        Ok(ticket)
    }

    /// The session token a ticket stands for, if it is live; the ticket is used up.
    pub(crate) fn redeem(&self, ticket: &str, now: Instant) -> Option<Arc<str>> {
        let entry = self.lock().remove(ticket)?;
        (entry.expires > now).then_some(entry.token)
    }

    /// How long a ticket lives.
    pub(crate) fn ttl(&self) -> Duration {
        self.ttl
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.table.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ticket_works_once_and_not_after_it_expires() {
        let t0 = Instant::now();
        let t = Tickets::new(Duration::from_secs(30), 10);
        let a = t.issue("tok".into(), t0).unwrap();
        assert_eq!(a.len(), 32);
        assert_eq!(t.redeem(&a, t0).as_deref(), Some("tok"));
        assert_eq!(t.redeem(&a, t0), None);
        let b = t.issue("tok".into(), t0).unwrap();
        assert_ne!(a, b);
        assert_eq!(t.redeem(&b, t0 + Duration::from_secs(30)), None);
        assert_eq!(t.redeem("nope", t0), None);
    }

    #[test]
    fn full_table_sweeps_then_refuses() {
        let t0 = Instant::now();
        let t = Tickets::new(Duration::from_secs(30), 2);
        t.issue("a".into(), t0).unwrap();
        t.issue("a".into(), t0).unwrap();
        assert_eq!(t.issue("a".into(), t0), Err(TicketsFull));
        assert!(t.issue("a".into(), t0 + Duration::from_secs(31)).is_ok());
    }
}

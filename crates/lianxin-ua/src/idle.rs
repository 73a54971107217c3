//! Which SIP TCP connections have been idle too long (issue 10, point 6), as a sans-IO
//! table: the UA task [`IdleTracker::touch`]es a connection on every message, asks for
//! [`IdleTracker::idle`] ones at [`IdleTracker::poll_timeout`], and closes those that
//! carry no registration and no call (that check needs the registrar and the endpoint,
//! so it stays in the driver). A connection that was spared is touched again, so it is
//! looked at once per timeout, not on every sweep.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// Last activity per connection.
#[derive(Debug)]
pub(crate) struct IdleTracker {
    timeout: Duration,
    seen: HashMap<SocketAddr, Instant>,
    next: Option<Instant>,
}

impl IdleTracker {
    /// Connections silent for `timeout` are idle.
    pub(crate) fn new(timeout: Duration) -> IdleTracker {
        IdleTracker {
            timeout,
            seen: HashMap::new(),
            next: None,
        }
    }

    /// `peer` sent something (or just connected) at `now`.
    pub(crate) fn touch(&mut self, now: Instant, peer: SocketAddr) {
        self.seen.insert(peer, now);
        let due = now + self.timeout;
        self.next = Some(self.next.map_or(due, |n| n.min(due)));
    }

    /// `peer` is gone.
    pub(crate) fn forget(&mut self, peer: SocketAddr) {
        self.seen.remove(&peer);
    }

    /// When to call [`IdleTracker::idle`] next.
    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        self.next
    }

    /// Connections idle at `now` (forgotten here: the caller closes them or touches
    /// them again).
    pub(crate) fn idle(&mut self, now: Instant) -> Vec<SocketAddr> {
        if self.next.is_none_or(|n| n > now) {
            return Vec::new();
        }
        let timeout = self.timeout;
        let mut out = Vec::new();
        self.seen.retain(|peer, t| {
            let idle = now.saturating_duration_since(*t) >= timeout;
            if idle {
                out.push(*peer);
            }
            !idle
        });
        self.next = self.seen.values().min().map(|t| *t + timeout);
        out
    }
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // tests need a base instant
mod tests {
    use super::*;

    #[test]
    fn idle_after_timeout_and_touch_resets() {
        let t0 = Instant::now();
        let mut t = IdleTracker::new(Duration::from_secs(60));
        let a: SocketAddr = "192.0.2.1:5060".parse().unwrap_or_else(|e| panic!("{e}"));
        let b: SocketAddr = "192.0.2.2:5060".parse().unwrap_or_else(|e| panic!("{e}"));
        t.touch(t0, a);
        t.touch(t0 + Duration::from_secs(30), b);
        assert_eq!(t.poll_timeout(), Some(t0 + Duration::from_secs(60)));
        assert!(t.idle(t0 + Duration::from_secs(59)).is_empty());
        t.touch(t0 + Duration::from_secs(59), a);
        assert_eq!(t.idle(t0 + Duration::from_secs(90)), vec![b]);
        assert_eq!(t.poll_timeout(), Some(t0 + Duration::from_secs(119)));
        t.forget(a);
        assert!(t.idle(t0 + Duration::from_secs(200)).is_empty());
        assert_eq!(t.poll_timeout(), None);
    }
}

//! Who may fill the hotline (issue 10, points 3 and 11): which sources may call in, how
//! many live calls one source may hold, and whose P-Asserted-Identity is believed.
//!
//! Why: 560 never-ACKed INVITEs from one address, under the rate limit, once held every
//! RTP port for 32 s, and anybody could claim any caller ID in P-Asserted-Identity. The
//! policy, in order:
//! - **Trusted sources** (`RateLimitConfig::exempt` and the trunk's address: a carrier
//!   trunk or a SIP proxy in front carries every caller from one address) are always
//!   accepted, never capped per source, and only their P-Asserted-Identity is passed on.
//! - **`UaConfig::accept_from`**: when not empty, only these addresses (and registered
//!   phones, always) may call in; anyone else gets `403`.
//! - **`UaConfig::max_calls_per_source`**: beyond this many live incoming calls from one
//!   address (ringing, answered but not ACKed, or up), a new one gets `486 Busy Here`.
//!
//! What it is not: the rate limit of new requests ([`crate::ratelimit`]) and the global
//! call cap (`UaConfig::max_calls`, `503`) live elsewhere. Pure: the driver passes what
//! it knows (is the source registered, how many calls it holds) as closures, computed
//! only when needed.

use std::net::IpAddr;

/// What to do with a new incoming call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Hand it to the owner.
    Accept,
    /// The source is not in `accept_from` and holds no registration: 403.
    NotAllowed,
    /// The source already holds `max_calls_per_source` calls: 486.
    TooManyFromSource,
}

impl Decision {
    /// The status code of a refusal.
    pub(crate) fn code(self) -> Option<u16> {
        match self {
            Decision::Accept => None,
            Decision::NotAllowed => Some(403),
            Decision::TooManyFromSource => Some(486),
        }
    }
}

/// The admission policy of incoming calls.
#[derive(Debug, Clone)]
pub(crate) struct Admission {
    accept_from: Vec<IpAddr>,
    trusted: Vec<IpAddr>,
    max_per_source: usize,
}

impl Admission {
    /// `trusted`: the rate-limit exempt addresses, the trunk's included.
    pub(crate) fn new(
        accept_from: Vec<IpAddr>,
        trusted: Vec<IpAddr>,
        max_per_source: usize,
    ) -> Admission {
        Admission {
            accept_from,
            trusted,
            max_per_source,
        }
    }

    /// Is `ip` a trusted source (its P-Asserted-Identity is believed)?
    pub(crate) fn trusts(&self, ip: IpAddr) -> bool {
        self.trusted.contains(&ip)
    }

    /// Decides about a new call from `ip`; `calls_from` counts the live incoming calls
    /// from `ip`, the new one included.
    pub(crate) fn check(
        &self,
        ip: IpAddr,
        registered: impl FnOnce() -> bool,
        calls_from: impl FnOnce() -> usize,
    ) -> Decision {
        if self.trusts(ip) {
            return Decision::Accept;
        }
        if !self.accept_from.is_empty() && !self.accept_from.contains(&ip) && !registered() {
            return Decision::NotAllowed;
        }
        if calls_from() > self.max_per_source {
            return Decision::TooManyFromSource;
        }
        Decision::Accept
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))
    }

    #[test]
    fn trusted_listed_registered_and_capped() {
        let a = Admission::new(vec![ip("10.0.0.2")], vec![ip("10.0.0.1")], 2);
        assert_eq!(a.check(ip("10.0.0.1"), || false, || 99), Decision::Accept);
        assert!(a.trusts(ip("10.0.0.1")) && !a.trusts(ip("10.0.0.2")));
        assert_eq!(a.check(ip("10.0.0.2"), || false, || 2), Decision::Accept);
        assert_eq!(
            a.check(ip("10.0.0.2"), || false, || 3),
            Decision::TooManyFromSource
        );
        assert_eq!(
            a.check(ip("10.0.0.9"), || false, || 1),
            Decision::NotAllowed
        );
        assert_eq!(a.check(ip("10.0.0.9"), || true, || 1), Decision::Accept);
        let anywhere = Admission::new(Vec::new(), Vec::new(), 1);
        assert_eq!(
            anywhere.check(ip("192.0.2.1"), || false, || 1),
            Decision::Accept
        );
        assert_eq!(Decision::NotAllowed.code(), Some(403));
        assert_eq!(Decision::TooManyFromSource.code(), Some(486));
    }
}

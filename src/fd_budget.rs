//! Open files: the limit raised at start-up, and split so the consoles' HTTP side can
//! never take the descriptors SIP and RTP need.
//!
//! Why: every RTP and RTCP port of a call is a socket, so is every SIP TCP connection and
//! every console's connection. With the default soft limit (often 1,024) the server ran
//! out with idle HTTP connections, and hotline calls got 503 for what the log called a
//! lack of RTP ports (issue 10, point 6). So `serve` raises the soft limit to the hard
//! one (`LimitNOFILE` in `deploy/lianxin.service` sets both), then gives RTP its whole
//! port range and SIP TCP its connection cap first, keeps a reserve for the database,
//! prompts, recordings and logs, and lets HTTP have what is left, up to its own cap.
//! The split is printed at start.

/// Descriptors kept for the database (and its WAL), prompts, recordings, voice messages,
/// logs and the runtime itself.
pub const RESERVE: u64 = 512;
/// HTTP gets at least this many connections, however tight the limit (the consoles must
/// still be reachable; a warning says the limit is too low).
pub const MIN_HTTP: u64 = 32;
/// The soft limit is not raised beyond this, even when the hard limit is unlimited.
const CEILING: u64 = 1 << 20;

/// How the open-files limit is shared out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FdBudget {
    /// The soft limit in force.
    pub limit: u64,
    /// The soft limit before it was raised (equal to `limit` when it was not).
    pub before: u64,
    /// RTP and RTCP: one per port of the range.
    pub rtp: u64,
    /// SIP TCP connections.
    pub sip_tcp: u64,
    /// Kept for files and the runtime.
    pub reserve: u64,
    /// HTTP connections (consoles' pages, API and WebSockets).
    pub http: u64,
    /// The limit cannot hold RTP, SIP TCP and the reserve together.
    pub short: bool,
}

impl FdBudget {
    /// Splits `limit`: RTP (`rtp_ports`), SIP TCP (`sip_tcp`) and the reserve first, then
    /// HTTP up to `http_wanted`, never under [`MIN_HTTP`].
    pub fn split(
        limit: u64,
        before: u64,
        rtp_ports: u64,
        sip_tcp: u64,
        http_wanted: u64,
    ) -> FdBudget {
        let first = rtp_ports + sip_tcp + RESERVE;
        let left = limit.saturating_sub(first);
        FdBudget {
            limit,
            before,
            rtp: rtp_ports,
            sip_tcp,
            reserve: RESERVE,
            http: http_wanted.min(left).max(MIN_HTTP.min(http_wanted)),
            short: limit < first + MIN_HTTP.min(http_wanted),
        }
    }

    /// One line for the start-up banner.
    pub fn describe(&self) -> String {
        let raised = if self.limit > self.before {
            format!(" (raised from {})", self.before)
        } else {
            String::new()
        };
        format!(
            "open files: limit {}{raised}; RTP ports {}, SIP TCP connections {}, console HTTP connections {}, {} kept for files",
            self.limit, self.rtp, self.sip_tcp, self.http, self.reserve
        )
    }
}

/// At start-up: raises the limit where allowed and splits it (a limit that cannot be
/// read or raised is logged and the current one split).
pub fn prepare(rtp_ports: u64, sip_tcp: u64, http_wanted: u64) -> FdBudget {
    let (before, limit) = match raise_nofile() {
        Ok(b) => b,
        Err(e) => {
            tracing::warn!(error = %e, "cannot raise the open-files limit");
            (1_024, 1_024)
        }
    };
    let budget = FdBudget::split(limit, before, rtp_ports, sip_tcp, http_wanted);
    tracing::info!(
        limit,
        before,
        rtp = budget.rtp,
        sip_tcp = budget.sip_tcp,
        http = budget.http,
        reserve = budget.reserve,
        "open-files budget"
    );
    if budget.short {
        tracing::warn!(
            limit,
            "the open-files limit is too low for the RTP port range and SIP TCP connections: raise LimitNOFILE (deploy/lianxin.service) or narrow rtp_ports"
        );
    }
    budget
}

/// Raises the soft `RLIMIT_NOFILE` to the hard limit (at most 2^20). Returns (before,
/// now); when it cannot be raised, both are the current soft limit.
#[allow(clippy::unnecessary_cast)] // rlim_t is u64 here, not on every platform
pub fn raise_nofile() -> std::io::Result<(u64, u64)> {
    let mut rl = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes into the struct we own.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut rl) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    let before = rl.rlim_cur as u64;
    let target = (rl.rlim_max as u64).min(CEILING);
    if target <= before {
        return Ok((before, before));
    }
    let raised = libc::rlimit {
        rlim_cur: target as libc::rlim_t,
        rlim_max: rl.rlim_max,
    };
    // SAFETY: setrlimit only reads the struct.
    if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok((before, target))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sip_and_rtp_come_first_and_http_gets_the_rest_up_to_its_cap() {
        // A generous limit: HTTP gets its cap.
        let b = FdBudget::split(65_536, 1_024, 10_001, 4_096, 2_048);
        assert_eq!(b.http, 2_048);
        assert!(!b.short);
        // The default 1,024 with a small RTP range: HTTP gets what is left.
        let b = FdBudget::split(1_024, 1_024, 100, 64, 2_048);
        assert_eq!(b.http, 1_024 - 100 - 64 - RESERVE);
        assert!(!b.short);
        // Too small for everything: HTTP keeps its floor and the budget says it is short.
        let b = FdBudget::split(1_024, 1_024, 10_001, 4_096, 2_048);
        assert_eq!(b.http, MIN_HTTP);
        assert!(b.short);
        assert!(b.describe().contains("limit 1024;"));
        let b = FdBudget::split(65_536, 1_024, 10, 10, 100);
        assert!(
            b.describe().contains("(raised from 1024)"),
            "{}",
            b.describe()
        );
    }

    #[test]
    fn raising_the_limit_never_lowers_it() {
        let (before, now) = raise_nofile().expect("getrlimit");
        assert!(now >= before);
        let (_, again) = raise_nofile().expect("getrlimit");
        assert_eq!(again, now);
    }
}

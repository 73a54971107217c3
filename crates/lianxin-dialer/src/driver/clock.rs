//! The one place the driver reads the clock (STYLE.md: the machines take `now` as an
//! input; only the driver, once per input, asks the system).

use std::time::Instant;

use crate::Now;

/// Both clocks, read once for one input.
#[allow(clippy::disallowed_methods)] // the one place the dialer reads the clock
pub(crate) fn now() -> Now {
    Now::new(Instant::now(), chrono::Utc::now())
}

/// The monotonic clock alone (a call's timings).
#[allow(clippy::disallowed_methods)] // the one place the dialer reads the clock
pub(crate) fn instant() -> Instant {
    Instant::now()
}

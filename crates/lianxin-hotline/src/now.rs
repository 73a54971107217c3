//! [`Now`]: the clock, read once per input and passed down.
//!
//! Everything the hotline does for one input (a SIP event, a media event, a console
//! command, a timer) sees the same instant, so the flow, the queue and the call log agree
//! on when it happened.

use std::time::Instant;

use chrono::{DateTime, Utc};

/// The time of the input being handled, monotonic and wall-clock.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Now {
    /// For deadlines and durations.
    pub(crate) mono: Instant,
    /// For the call log and consoles (UTC).
    pub(crate) wall: DateTime<Utc>,
}

impl Now {
    /// Reads both clocks.
    #[allow(clippy::disallowed_methods)] // the one place the hotline reads the clock
    pub(crate) fn read() -> Now {
        Now {
            mono: Instant::now(),
            wall: Utc::now(),
        }
    }
}

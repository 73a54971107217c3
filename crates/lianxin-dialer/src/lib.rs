//! lianxin-dialer: group-call notices (电话群拨) — the campaign logic, without I/O.
//!
//! Staff choose phone groups and a recorded notice; the dialer calls every household
//! (up to 800 calls at once), plays the notice to whoever answers, and logs per household
//! whether it was heard (是/否). That log is the product, so the rules that decide it —
//! which household and number next, how many calls at once, when to retry, what counts as
//! answered — live here as plain state machines that take the time as an input and can be
//! tested to the millisecond without sockets (STYLE.md habits 1, 2 and 4).
//!
//! # Layout
//! - [`campaign`]: the machine. `handle_*(now, …)` in; [`Campaign::poll_event`] (what to
//!   write to the log), [`Campaign::poll_command`] (calls to place or end) and
//!   [`Campaign::poll_timeout`] out, drained in that order after every input.
//! - [`plan`]: one household's way through its numbers and retries.
//! - [`outcome`]: what a SIP answer means for an attempt (only 200 OK is an answer).
//! - [`governor`]: simultaneous calls, calls per second, and back-off when the trunk
//!   says 503 or times out.
//! - [`window`]: the calling window in China time.
//! - [`dialrule`]: how a stored number is dialled on the trunk.
//! - [`options`]: a campaign's options and the `[dialer]` defaults, validated.
//! - [`progress`]: the counters consoles show; [`state`]: where a campaign is.
//! - [`return_visit`]: the automatic return visit (回访) of a resolved request — whether a
//!   queued visit is called, and the one-household campaign that calls it.
//! - [`driver`]: the tokio driver — [`Dialer`], one task per campaign and per call.
//! - [`journal`]: the thread that writes the events in batched transactions and confirms
//!   attempt rows (the crate's one I/O module; it reads no clock).
//!
//! # Driving it
//! The driver ([`driver`]) creates a [`Campaign`] from the store's saved state
//! (`Store::campaign_saved`; a new campaign is one with no attempts yet), then loops:
//! feed what happened (`handle_logged`, `handle_progress`, `handle_answered`,
//! `handle_rejected`, `handle_ended`, `handle_failed`, `handle_timeout`, or staff's
//! `pause`/`resume`/`cancel`, or `stop` when the server stops), then drain
//! events — queueing them on the [`Journal`], which writes them in batches — then
//! commands, then sleep until `poll_timeout`. An attempt's row is written **before** its INVITE leaves:
//! the machine emits [`Event::AttemptStarted`] and only gives the matching
//! [`Command::Dial`] once the driver reports the row stored ([`Campaign::handle_logged`]).
//!
//! # What it is not
//! The machines have no sockets, no clock, no SQL and no tasks; they do not play audio or
//! speak SIP, and name calls by [`CallId`]. Only [`driver`] (tasks, the clock, legs) and
//! [`journal`] (its writer thread) do I/O, and neither decides an outcome.
#![deny(missing_docs)]
#![warn(unreachable_pub)]

pub mod campaign;
pub mod dialrule;
pub mod driver;
pub mod governor;
pub mod journal;
pub mod options;
pub mod outcome;
pub mod plan;
pub mod progress;
pub mod return_visit;
pub mod state;
pub mod window;

pub use campaign::{CallId, Campaign, CampaignError, Command, Ended, Event, State};
pub use dialrule::DialRule;
pub use driver::{
    Dialer, DialerError, DialerHandle, DriverConfig, OutboundTrunk, ReturnVisits, MAX_NOTICE_UPLOAD,
};
pub use governor::Governor;
pub use journal::{Journal, Stored};
pub use options::{CampaignOptions, DialerConfig, Notice, OptionsError};
pub use outcome::Outcome;
pub use progress::Progress;
pub use return_visit::ReturnVisitConfig;
pub use window::CallingWindow;

use chrono::{DateTime, Utc};
use std::time::{Duration, Instant};

/// The current time, as the driver read it once for one input: a monotonic instant for
/// timers and the wall-clock time for the calling window and the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Now {
    /// Monotonic time (timers, rates).
    pub at: Instant,
    /// Wall-clock time, UTC (window, log rows).
    pub utc: DateTime<Utc>,
}

impl Now {
    /// Both clocks.
    pub fn new(at: Instant, utc: DateTime<Utc>) -> Now {
        Now { at, utc }
    }

    /// This time plus `d` on both clocks (tests and simulations).
    pub fn plus(self, d: Duration) -> Now {
        Now {
            at: self.at + d,
            utc: self.utc + chrono::Duration::from_std(d).unwrap_or_default(),
        }
    }

    /// The monotonic instant at which the wall clock reads `utc` (now if it is past).
    pub fn instant_of(self, utc: DateTime<Utc>) -> Instant {
        self.at + (utc - self.utc).to_std().unwrap_or_default()
    }
}

#[cfg(test)]
mod campaign_tests;

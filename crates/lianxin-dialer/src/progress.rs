//! The counters a console shows while a campaign runs (`campaign.progress`).
//!
//! Computed on demand from the machine's state ([`crate::Campaign::progress`]), so the
//! driver throttles how often it publishes them (twice a second is plenty) without the
//! machine knowing.

use crate::state::State;
use serde::Serialize;

/// A campaign's live figures.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Progress {
    /// The campaign id.
    pub campaign_id: i64,
    /// Running, paused, …
    pub state: State,
    /// Households in the campaign.
    pub households: u32,
    /// Attempts started (saved ones included).
    pub dialled: u32,
    /// Calls ringing (a 180/183 came, no answer yet).
    pub ringing: u32,
    /// Calls answered and playing the notice.
    pub in_call: u32,
    /// Calls in flight (logging, dialling, ringing or answered).
    pub in_flight: u32,
    /// Households reached (是).
    pub reached: u32,
    /// Households done and not reached (否).
    pub not_reached: u32,
    /// Households without a final outcome yet.
    pub remaining: u32,
    /// Calls started in the last second.
    pub calls_per_second: u32,
    /// The governor's rate now (`None` = unlimited).
    pub rate_limit: Option<f64>,
    /// The governor has slowed down (503 or 408 from the trunk).
    pub backing_off: bool,
    /// New calls wait for the calling window to open.
    pub waiting_for_window: bool,
}

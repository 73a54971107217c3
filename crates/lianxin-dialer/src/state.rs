//! Where a campaign is in its life, as the machine sees it (the store keeps the
//! persistent part as `CampaignStatus`).

use lianxin_store::CampaignStatus;
use serde::Serialize;

/// Where the campaign is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Dialling (or waiting for the calling window).
    Running,
    /// No new calls; calls in flight finish.
    Paused,
    /// Every household has a final outcome.
    Finished,
    /// Cancelled by staff.
    Cancelled,
    /// The server is stopping; the campaign resumes when it starts again.
    Stopped,
}

impl State {
    /// The status to store (`None` for stopped: the stored one stays, to resume).
    pub fn status(self) -> Option<CampaignStatus> {
        match self {
            State::Running => Some(CampaignStatus::Running),
            State::Paused => Some(CampaignStatus::Paused),
            State::Finished => Some(CampaignStatus::Finished),
            State::Cancelled => Some(CampaignStatus::Cancelled),
            State::Stopped => None,
        }
    }

    pub(crate) fn active(self) -> bool {
        matches!(self, State::Running | State::Paused)
    }
}

//! The words a group-call campaign is logged in: attempt outcomes, campaign states and the
//! number strategy.
//!
//! They are stored as text (`heard`, `no_answer`, `paused`, …) and checked by the schema;
//! this module is the one place that maps them to Rust and back, so the dialer, the
//! screen-pop and the reports all speak the same vocabulary. No SQL here.

use serde::{Deserialize, Serialize};

/// How one call attempt (or, for the last two, a household) ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Answered (200 OK) and the notice played to the end.
    Heard,
    /// Answered, but the resident hung up before the end (seconds heard are kept).
    HungUpEarly,
    /// Rang until the ring timeout; the dialer sent CANCEL.
    NoAnswer,
    /// 486 Busy Here or 600 Busy Everywhere.
    Busy,
    /// 603 Decline.
    Declined,
    /// 404 Not Found or 484 Address Incomplete.
    InvalidNumber,
    /// Any other failure (the SIP code and reason are kept).
    Failed,
    /// The server stopped (or crashed) while the call was in flight.
    Interrupted,
    /// The campaign was cancelled.
    Cancelled,
    /// The household asked for no non-urgent notices; not called (households only).
    OptedOut,
    /// The household has no phone number; not called (households only).
    NoNumber,
}

impl Outcome {
    /// Every outcome, in the order above.
    pub const ALL: [Outcome; 11] = [
        Outcome::Heard,
        Outcome::HungUpEarly,
        Outcome::NoAnswer,
        Outcome::Busy,
        Outcome::Declined,
        Outcome::InvalidNumber,
        Outcome::Failed,
        Outcome::Interrupted,
        Outcome::Cancelled,
        Outcome::OptedOut,
        Outcome::NoNumber,
    ];

    /// The text stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Heard => "heard",
            Outcome::HungUpEarly => "hung_up_early",
            Outcome::NoAnswer => "no_answer",
            Outcome::Busy => "busy",
            Outcome::Declined => "declined",
            Outcome::InvalidNumber => "invalid_number",
            Outcome::Failed => "failed",
            Outcome::Interrupted => "interrupted",
            Outcome::Cancelled => "cancelled",
            Outcome::OptedOut => "opted_out",
            Outcome::NoNumber => "no_number",
        }
    }

    /// The stored text back; `None` for anything else (`dialing` included).
    pub fn parse(s: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.as_str() == s)
    }

    /// Someone answered (a 200 OK): the household counts as reached (是).
    pub fn reached(self) -> bool {
        matches!(self, Outcome::Heard | Outcome::HungUpEarly)
    }

    /// Label for consoles and reports (Simplified Chinese).
    pub fn label_zh(self) -> &'static str {
        match self {
            Outcome::Heard => "已收听",
            Outcome::HungUpEarly => "接听后提前挂断",
            Outcome::NoAnswer => "无人接听",
            Outcome::Busy => "占线",
            Outcome::Declined => "拒接",
            Outcome::InvalidNumber => "空号",
            Outcome::Failed => "呼叫失败",
            Outcome::Interrupted => "中断",
            Outcome::Cancelled => "已取消",
            Outcome::OptedOut => "不接收通知",
            Outcome::NoNumber => "无电话",
        }
    }
}

/// Where a campaign is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CampaignStatus {
    /// Created, not started.
    Draft,
    /// Dialling (or waiting for its calling window).
    Running,
    /// Paused by staff: no new calls; calls in flight finish.
    Paused,
    /// Every household has a final outcome.
    Finished,
    /// Cancelled by staff.
    Cancelled,
}

impl CampaignStatus {
    /// The text stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            CampaignStatus::Draft => "draft",
            CampaignStatus::Running => "running",
            CampaignStatus::Paused => "paused",
            CampaignStatus::Finished => "finished",
            CampaignStatus::Cancelled => "cancelled",
        }
    }

    /// The stored text back.
    pub fn parse(s: &str) -> Option<CampaignStatus> {
        [
            CampaignStatus::Draft,
            CampaignStatus::Running,
            CampaignStatus::Paused,
            CampaignStatus::Finished,
            CampaignStatus::Cancelled,
        ]
        .into_iter()
        .find(|c| c.as_str() == s)
    }

    /// Finished or cancelled: nothing more will happen.
    pub fn is_over(self) -> bool {
        matches!(self, CampaignStatus::Finished | CampaignStatus::Cancelled)
    }
}

/// What a campaign is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CampaignKind {
    /// A group-call notice (电话群拨), made by staff.
    #[default]
    Notice,
    /// The automatic return visit (回访) of one resolved request: one household, made by
    /// the server, kept out of the staff's group-call lists.
    ReturnVisit,
}

impl CampaignKind {
    /// The text stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            CampaignKind::Notice => "notice",
            CampaignKind::ReturnVisit => "return_visit",
        }
    }

    /// The stored text back (anything unknown is a notice).
    pub fn parse(s: &str) -> CampaignKind {
        match s {
            "return_visit" => CampaignKind::ReturnVisit,
            _ => CampaignKind::Notice,
        }
    }
}

/// Which of a household's numbers the dialer tries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NumberStrategy {
    /// Only the first number, landlines before mobiles.
    #[default]
    First,
    /// Each number in turn (landlines first) until one answers.
    Each,
}

impl NumberStrategy {
    /// The text stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            NumberStrategy::First => "first",
            NumberStrategy::Each => "each",
        }
    }

    /// The stored text back.
    pub fn parse(s: &str) -> Option<NumberStrategy> {
        match s {
            "first" => Some(NumberStrategy::First),
            "each" => Some(NumberStrategy::Each),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_round_trip() {
        for o in Outcome::ALL {
            assert_eq!(Outcome::parse(o.as_str()), Some(o));
        }
        assert_eq!(Outcome::parse("dialing"), None);
        for s in ["draft", "running", "paused", "finished", "cancelled"] {
            assert_eq!(CampaignStatus::parse(s).map(|c| c.as_str()), Some(s));
        }
        assert_eq!(NumberStrategy::parse("each"), Some(NumberStrategy::Each));
    }

    #[test]
    fn only_answered_outcomes_reach_a_household() {
        let reached: Vec<_> = Outcome::ALL.into_iter().filter(|o| o.reached()).collect();
        assert_eq!(reached, [Outcome::Heard, Outcome::HungUpEarly]);
    }
}

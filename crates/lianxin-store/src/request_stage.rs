//! The words a request is tracked in: its workflow [`Stage`], the [`Channel`] it came
//! in by and the [`FeedbackResult`] of reporting back to the resident.
//!
//! Each has one database spelling (`as_str`, `parse`) that is also its wire form
//! (serde, snake_case), and a Chinese label for screens and the task sheet.

use serde::Serialize;

/// Where a request stands (issue 11). `status` in the database is `closed` exactly when
/// the stage is [`Resolved`](Stage::Resolved) or [`FeedbackGiven`](Stage::FeedbackGiven).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Recorded, nobody responsible yet (or a draft from a voice message).
    New,
    /// Handed to a responsible staff member.
    Assigned,
    /// The responsible person is working on it.
    InProgress,
    /// Handed up: to the committee, or through the street office to a department.
    Escalated,
    /// Result entered; the request closed itself (自动消单).
    Resolved,
    /// The result was reported back to the resident, who said whether they are satisfied.
    FeedbackGiven,
    /// Opened again after it was closed.
    Reopened,
}

impl Stage {
    /// Every stage, in workflow order.
    pub const ALL: [Stage; 7] = [
        Stage::New,
        Stage::Assigned,
        Stage::InProgress,
        Stage::Escalated,
        Stage::Resolved,
        Stage::FeedbackGiven,
        Stage::Reopened,
    ];

    /// Database text.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::New => "new",
            Stage::Assigned => "assigned",
            Stage::InProgress => "in_progress",
            Stage::Escalated => "escalated",
            Stage::Resolved => "resolved",
            Stage::FeedbackGiven => "feedback_given",
            Stage::Reopened => "reopened",
        }
    }

    /// Parses database text.
    pub fn parse(s: &str) -> Option<Stage> {
        Stage::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            Stage::New => "新登记",
            Stage::Assigned => "已分派",
            Stage::InProgress => "办理中",
            Stage::Escalated => "已上报",
            Stage::Resolved => "已办结",
            Stage::FeedbackGiven => "已反馈",
            Stage::Reopened => "重新办理",
        }
    }

    /// Whether a request in this stage is still open (its alarm still runs).
    pub fn is_open(self) -> bool {
        !matches!(self, Stage::Resolved | Stage::FeedbackGiven)
    }
}

/// How a request came in (seed 000: three ways).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// A hotline call.
    Phone,
    /// At the service station (社区居民事务办理站).
    WalkIn,
    /// Recorded by the block captain on a home visit.
    Visit,
}

impl Channel {
    /// Database text.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Phone => "phone",
            Channel::WalkIn => "walk_in",
            Channel::Visit => "visit",
        }
    }

    /// Parses database text.
    pub fn parse(s: &str) -> Option<Channel> {
        match s {
            "phone" => Some(Channel::Phone),
            "walk_in" => Some(Channel::WalkIn),
            "visit" => Some(Channel::Visit),
            _ => None,
        }
    }

    /// Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            Channel::Phone => "热线电话",
            Channel::WalkIn => "来站办理",
            Channel::Visit => "入户走访",
        }
    }
}

/// What the resident said when the result was reported back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FeedbackResult {
    /// 满意.
    Satisfied,
    /// 不满意.
    NotSatisfied,
    /// Could not be reached; the request stays on the return-visit list.
    NotReached,
}

impl FeedbackResult {
    /// Database text.
    pub fn as_str(self) -> &'static str {
        match self {
            FeedbackResult::Satisfied => "satisfied",
            FeedbackResult::NotSatisfied => "not_satisfied",
            FeedbackResult::NotReached => "not_reached",
        }
    }

    /// Parses database text.
    pub fn parse(s: &str) -> Option<FeedbackResult> {
        match s {
            "satisfied" => Some(FeedbackResult::Satisfied),
            "not_satisfied" => Some(FeedbackResult::NotSatisfied),
            "not_reached" => Some(FeedbackResult::NotReached),
            _ => None,
        }
    }

    /// Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            FeedbackResult::Satisfied => "满意",
            FeedbackResult::NotSatisfied => "不满意",
            FeedbackResult::NotReached => "未联系上",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_round_trip() {
        for s in Stage::ALL {
            assert_eq!(Stage::parse(s.as_str()), Some(s));
        }
        for c in [Channel::Phone, Channel::WalkIn, Channel::Visit] {
            assert_eq!(Channel::parse(c.as_str()), Some(c));
        }
        for f in [
            FeedbackResult::Satisfied,
            FeedbackResult::NotSatisfied,
            FeedbackResult::NotReached,
        ] {
            assert_eq!(FeedbackResult::parse(f.as_str()), Some(f));
        }
        assert_eq!(Stage::parse("closed"), None);
    }
}

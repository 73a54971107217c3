//! The automatic return visit (回访) as the dialer sees it: whether a queued visit is
//! called and with which campaign, without I/O.
//!
//! When a request is resolved the store queues a visit (`lianxin_store::return_visits`).
//! The driver (`driver::return_visits`) looks at the due ones and, by [`plan`], either
//! calls the resident through a one-household campaign of kind `return_visit` made by
//! [`campaign`] — the recorded question ([`PROMPT`]), then the campaign confirm logic's
//! wait for a key, as many attempts as configured, in the dialer's calling window — or
//! leaves the request to the captain's manual return-visit list, saying why. What the
//! key means is the store's (`return_visits::feedback_for`).

use std::time::Duration;

use lianxin_store::{CampaignSettings, DueReturnVisit, NewCampaign, NumberStrategy, TargetSpec};

use crate::{CampaignOptions, OptionsError};

/// The recorded question: `prompts/return_visit.wav` ("满意请按1，不满意请按2").
pub const PROMPT: &str = lianxin_media::prompt::names::RETURN_VISIT;

/// Most attempts a return visit may be given.
pub const MAX_ATTEMPTS: u32 = 6;

/// The `[requests]` return-visit settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReturnVisitConfig {
    /// Call residents back automatically (default true).
    pub enabled: bool,
    /// Calls before the resident counts as not reached (1–6, default 2).
    pub attempts: u32,
    /// Pause between attempts (default 30 minutes).
    pub retry_gap: Duration,
    /// How long after the resolution the call is made (default 0: at once, within the
    /// calling window).
    pub delay: Duration,
    /// The safety look at the queue (default 30 s): the task wakes when a visit is
    /// queued or a campaign ends in this process, and when the next visit comes due;
    /// this catches what another process (`lianxin request resolve`) queued.
    pub poll: Duration,
}

impl Default for ReturnVisitConfig {
    fn default() -> Self {
        ReturnVisitConfig {
            enabled: true,
            attempts: 2,
            retry_gap: Duration::from_secs(1800),
            delay: Duration::ZERO,
            poll: Duration::from_secs(30),
        }
    }
}

impl ReturnVisitConfig {
    /// Checks the settings against the dialer's `defaults` (the options a return visit's
    /// campaign starts from).
    pub fn check(&self, defaults: &CampaignSettings) -> Result<(), OptionsError> {
        if !(1..=MAX_ATTEMPTS).contains(&self.attempts) {
            return Err(OptionsError::OutOfRange {
                field: "return_visit_attempts",
                value: self.attempts.to_string(),
                min: "1".into(),
                max: MAX_ATTEMPTS.to_string(),
            });
        }
        CampaignOptions::from_settings(&settings(defaults, self)).map(|_| ())
    }
}

/// What to do with a due visit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// Call this number.
    Call {
        /// Normalized number.
        number: String,
    },
    /// Do not call; the request stays on the captain's manual list. The reason is kept.
    Skip(&'static str),
}

/// Whether `visit` is called (`enabled`: the setting, and a dialer with a trunk).
pub fn plan(visit: &DueReturnVisit, enabled: bool) -> Plan {
    if !visit.awaiting_feedback {
        return Plan::Skip("诉求已有回访结果或已重新办理");
    }
    if !enabled {
        return Plan::Skip("未开启自动回访（或没有外呼中继），请人工回访");
    }
    if visit.household_id.is_none() {
        return Plan::Skip("来电人不是登记住户，请人工回访");
    }
    match &visit.number {
        Some(n) if !n.is_empty() => Plan::Call { number: n.clone() },
        _ => Plan::Skip("没有可拨打的电话，请人工回访"),
    }
}

/// The campaign that calls `visit`: one household, the question as its notice, a key
/// waited for, `config.attempts` calls `config.retry_gap` apart, the rest (caller id,
/// ring time, calling window) from the dialer's `defaults`.
pub fn campaign(
    visit: &DueReturnVisit,
    defaults: &CampaignSettings,
    config: &ReturnVisitConfig,
) -> NewCampaign {
    NewCampaign {
        name: format!("回访 诉求#{}", visit.request_id),
        notice: PROMPT.into(),
        created_by: None,
        targets: TargetSpec {
            groups: Vec::new(),
            households: visit.household_id.into_iter().collect(),
        },
        settings: settings(defaults, config),
    }
}

fn settings(defaults: &CampaignSettings, config: &ReturnVisitConfig) -> CampaignSettings {
    CampaignSettings {
        max_calls: 1,
        calls_per_second: 0.0,
        retries: config.attempts.saturating_sub(1),
        retry_pause: config.retry_gap,
        strategy: NumberStrategy::First,
        urgent: false,
        confirm_key: true,
        ..defaults.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn visit() -> DueReturnVisit {
        DueReturnVisit {
            id: 1,
            request_id: 31,
            household_id: Some(4),
            number: Some("01065123456".into()),
            awaiting_feedback: true,
        }
    }

    #[test]
    fn a_due_visit_is_called_unless_it_cannot_or_need_not_be() {
        let call = Plan::Call {
            number: "01065123456".into(),
        };
        assert_eq!(plan(&visit(), true), call);
        assert!(matches!(plan(&visit(), false), Plan::Skip(_)));
        let answered = DueReturnVisit {
            awaiting_feedback: false,
            ..visit()
        };
        assert!(matches!(plan(&answered, true), Plan::Skip(_)));
        let unknown = DueReturnVisit {
            household_id: None,
            ..visit()
        };
        assert!(matches!(plan(&unknown, true), Plan::Skip(_)));
        let no_number = DueReturnVisit {
            number: None,
            ..visit()
        };
        assert_eq!(
            plan(&no_number, true),
            Plan::Skip("没有可拨打的电话，请人工回访")
        );
    }

    #[test]
    fn the_campaign_asks_for_a_key_with_the_configured_attempts_in_the_window() {
        let defaults = CampaignSettings {
            caller_id: "51663371".into(),
            window: Some((
                chrono::NaiveTime::from_hms_opt(8, 0, 0).unwrap(),
                chrono::NaiveTime::from_hms_opt(20, 0, 0).unwrap(),
            )),
            retries: 5,
            urgent: true,
            ..Default::default()
        };
        let config = ReturnVisitConfig {
            attempts: 3,
            retry_gap: Duration::from_secs(600),
            ..Default::default()
        };
        let c = campaign(&visit(), &defaults, &config);
        assert_eq!(c.name, "回访 诉求#31");
        assert_eq!(c.notice, PROMPT);
        assert_eq!(c.targets.households, vec![4]);
        assert!(c.targets.groups.is_empty());
        let s = &c.settings;
        assert_eq!((s.retries, s.retry_pause), (2, Duration::from_secs(600)));
        assert!(s.confirm_key && !s.urgent);
        assert_eq!(
            s.window, defaults.window,
            "the dialer's calling window applies"
        );
        assert_eq!(s.caller_id, "51663371");
        assert_eq!(config.check(&defaults), Ok(()));
        let none = ReturnVisitConfig {
            attempts: 0,
            ..config
        };
        assert!(matches!(
            none.check(&defaults),
            Err(OptionsError::OutOfRange {
                field: "return_visit_attempts",
                ..
            })
        ));
    }
}

//! A campaign's options, the `[dialer]` defaults they start from, and their validation.
//!
//! Staff (or the command line) give a few options; the rest come from the `[dialer]`
//! section of the config. Everything is checked once, before a campaign is created, and a
//! bad value is an [`OptionsError`] naming the field, so the console can say exactly what
//! to fix. The store keeps the options as [`CampaignSettings`]; a resumed campaign is
//! rebuilt from those ([`CampaignOptions::from_settings`]).

use crate::dialrule::{DialRule, DialRuleError};
use crate::governor::MAX_CALLS;
use crate::window::CallingWindow;
use chrono::NaiveTime;
use lianxin_store::{CampaignSettings, NumberStrategy};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::time::Duration;

/// Most retries after the first attempt.
pub const MAX_RETRIES: u32 = 10;
/// Shortest and longest ring timeout.
pub const RING_TIMEOUT: (Duration, Duration) = (Duration::from_secs(5), Duration::from_secs(120));
/// Longest pause between retries.
pub const MAX_RETRY_PAUSE: Duration = Duration::from_secs(24 * 3600);
/// Most new calls per second that can be asked for.
pub const MAX_RATE: f64 = 1000.0;

/// The recorded notice a campaign plays.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Notice {
    /// A prompt of `prompts/` by name (`notice-security` or `notice_security`).
    Prompt(String),
    /// An audio file (WAV of any rate and channel count, or MP3).
    File(PathBuf),
}

impl Notice {
    /// Reads `--notice`: a path (has a `/` or ends in `.wav`/`.mp3`) or a prompt name.
    pub fn parse(s: &str) -> Result<Notice, OptionsError> {
        let s = s.trim();
        let lower = s.to_ascii_lowercase();
        if s.contains('/') || lower.ends_with(".wav") || lower.ends_with(".mp3") {
            return Ok(Notice::File(PathBuf::from(s)));
        }
        let ok = !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if ok {
            Ok(Notice::Prompt(s.to_owned()))
        } else {
            Err(OptionsError::Invalid {
                field: "notice",
                reason: format!("{s:?} is neither a prompt name (letters, digits, - and _) nor a .wav/.mp3 file"),
            })
        }
    }

    /// The text the store keeps.
    pub fn as_stored(&self) -> String {
        match self {
            Notice::Prompt(name) => name.clone(),
            Notice::File(path) => path.display().to_string(),
        }
    }
}

/// A bad option; the message names the field.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OptionsError {
    /// A number outside what the dialer accepts.
    #[error("{field} = {value} is out of range ({min}–{max})")]
    OutOfRange {
        /// The option.
        field: &'static str,
        /// What was given.
        value: String,
        /// Smallest allowed.
        min: String,
        /// Largest allowed.
        max: String,
    },
    /// A value that cannot be used, and why.
    #[error("{field}: {reason}")]
    Invalid {
        /// The option.
        field: &'static str,
        /// Why.
        reason: String,
    },
    /// The dial rule is wrong.
    #[error(transparent)]
    DialRule(#[from] DialRuleError),
}

/// Everything a campaign runs with.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CampaignOptions {
    /// Number presented to households ('' = the trunk's default).
    pub caller_id: String,
    /// Most simultaneous calls (1–800).
    pub max_calls: u32,
    /// Most new calls per second; 0 = unlimited.
    pub calls_per_second: f64,
    /// How long a call rings before the dialer cancels it (no answer).
    pub ring_timeout: Duration,
    /// Further attempts after no answer, busy, failed or interrupted (0–10).
    pub retries: u32,
    /// Pause before a retry.
    pub retry_pause: Duration,
    /// The first number only (landline first), or each in turn until one answers.
    pub strategy: NumberStrategy,
    /// When calls may start; `None` = any time.
    pub window: Option<CallingWindow>,
    /// Ignores the window and households' wish for no non-urgent notices.
    pub urgent: bool,
    /// The notice ends with "press 1 to confirm you heard it"; the key is logged.
    pub confirm_key: bool,
}

impl Default for CampaignOptions {
    fn default() -> Self {
        CampaignOptions {
            caller_id: String::new(),
            max_calls: 100,
            calls_per_second: 0.0,
            ring_timeout: Duration::from_secs(30),
            retries: 2,
            retry_pause: Duration::from_secs(300),
            strategy: NumberStrategy::First,
            window: Some(CallingWindow::daytime()),
            urgent: false,
            confirm_key: false,
        }
    }
}

impl CampaignOptions {
    /// Checks every option; the first bad one is the error.
    pub fn validate(&self) -> Result<(), OptionsError> {
        range("max_calls", self.max_calls, 1, MAX_CALLS)?;
        if !self.calls_per_second.is_finite() || !(0.0..=MAX_RATE).contains(&self.calls_per_second)
        {
            return Err(OptionsError::OutOfRange {
                field: "calls_per_second",
                value: self.calls_per_second.to_string(),
                min: "0".into(),
                max: MAX_RATE.to_string(),
            });
        }
        let secs = |d: Duration| d.as_secs_f64();
        let (lo, hi) = RING_TIMEOUT;
        if self.ring_timeout < lo || self.ring_timeout > hi {
            return Err(OptionsError::OutOfRange {
                field: "ring_timeout",
                value: format!("{}s", secs(self.ring_timeout)),
                min: format!("{}s", secs(lo)),
                max: format!("{}s", secs(hi)),
            });
        }
        range("retries", self.retries, 0, MAX_RETRIES)?;
        if self.retry_pause > MAX_RETRY_PAUSE {
            return Err(OptionsError::OutOfRange {
                field: "retry_pause",
                value: format!("{}s", secs(self.retry_pause)),
                min: "0s".into(),
                max: format!("{}s", secs(MAX_RETRY_PAUSE)),
            });
        }
        let c = &self.caller_id;
        let digits = c.strip_prefix('+').unwrap_or(c);
        if c.len() > 32 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(OptionsError::Invalid {
                field: "caller_id",
                reason: format!("{c:?} must be a phone number (digits, optionally a leading +)"),
            });
        }
        Ok(())
    }

    /// The options as the store keeps them.
    pub fn to_settings(&self) -> CampaignSettings {
        CampaignSettings {
            caller_id: self.caller_id.clone(),
            max_calls: self.max_calls,
            calls_per_second: self.calls_per_second,
            ring_timeout: self.ring_timeout,
            retries: self.retries,
            retry_pause: self.retry_pause,
            strategy: self.strategy,
            window: self.window.map(|w| (w.open(), w.close())),
            urgent: self.urgent,
            confirm_key: self.confirm_key,
        }
    }

    /// The options of a stored campaign, checked again.
    pub fn from_settings(s: &CampaignSettings) -> Result<CampaignOptions, OptionsError> {
        let window = match s.window {
            Some((open, close)) => Some(CallingWindow::new(open, close).map_err(window_error)?),
            None => None,
        };
        let o = CampaignOptions {
            caller_id: s.caller_id.clone(),
            max_calls: s.max_calls,
            calls_per_second: s.calls_per_second,
            ring_timeout: s.ring_timeout,
            retries: s.retries,
            retry_pause: s.retry_pause,
            strategy: s.strategy,
            window,
            urgent: s.urgent,
            confirm_key: s.confirm_key,
        };
        o.validate()?;
        Ok(o)
    }
}

/// The `[dialer]` section of the config: the defaults of every campaign, and the dial
/// rule for the trunk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DialerConfig {
    /// Number presented to households.
    pub caller_id: String,
    /// Most simultaneous calls.
    pub max_calls: u32,
    /// Most new calls per second; 0 = unlimited.
    pub calls_per_second: f64,
    /// Ring timeout, seconds.
    pub ring_timeout_secs: u64,
    /// Retries.
    pub retries: u32,
    /// Pause between retries, seconds.
    pub retry_pause_secs: u64,
    /// `first` or `each`.
    pub number_strategy: NumberStrategy,
    /// Opening of the calling window, `HH:MM` China time; empty with `window_close` =
    /// any time.
    pub window_open: String,
    /// Closing of the calling window, `HH:MM` China time.
    pub window_close: String,
    /// How stored numbers are dialled.
    pub dial_rule: DialRule,
}

impl Default for DialerConfig {
    fn default() -> Self {
        let d = CampaignOptions::default();
        DialerConfig {
            caller_id: d.caller_id,
            max_calls: d.max_calls,
            calls_per_second: d.calls_per_second,
            ring_timeout_secs: d.ring_timeout.as_secs(),
            retries: d.retries,
            retry_pause_secs: d.retry_pause.as_secs(),
            number_strategy: d.strategy,
            window_open: "08:00".into(),
            window_close: "20:00".into(),
            dial_rule: DialRule::default(),
        }
    }
}

impl DialerConfig {
    /// The options a new campaign starts from, checked (and the dial rule with them).
    pub fn options(&self) -> Result<CampaignOptions, OptionsError> {
        self.dial_rule.validate()?;
        let window = match (self.window_open.trim(), self.window_close.trim()) {
            ("", "") => None,
            (open, close) => {
                let open = hhmm("window_open", open)?;
                let close = hhmm("window_close", close)?;
                Some(CallingWindow::new(open, close).map_err(window_error)?)
            }
        };
        let o = CampaignOptions {
            caller_id: self.caller_id.clone(),
            max_calls: self.max_calls,
            calls_per_second: self.calls_per_second,
            ring_timeout: Duration::from_secs(self.ring_timeout_secs),
            retries: self.retries,
            retry_pause: Duration::from_secs(self.retry_pause_secs),
            strategy: self.number_strategy,
            window,
            urgent: false,
            confirm_key: false,
        };
        o.validate()?;
        Ok(o)
    }
}

fn range(field: &'static str, value: u32, min: u32, max: u32) -> Result<(), OptionsError> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(OptionsError::OutOfRange {
            field,
            value: value.to_string(),
            min: min.to_string(),
            max: max.to_string(),
        })
    }
}

fn hhmm(field: &'static str, s: &str) -> Result<NaiveTime, OptionsError> {
    NaiveTime::parse_from_str(s, "%H:%M").map_err(|_| OptionsError::Invalid {
        field,
        reason: format!("{s:?} is not a time of day such as 08:00"),
    })
}

fn window_error(e: crate::window::WindowError) -> OptionsError {
    OptionsError::Invalid {
        field: "window",
        reason: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(e: OptionsError) -> &'static str {
        match e {
            OptionsError::OutOfRange { field, .. } | OptionsError::Invalid { field, .. } => field,
            OptionsError::DialRule(_) => "dial_rule",
        }
    }

    #[test]
    fn defaults_are_valid_and_round_trip_through_the_store() {
        let o = CampaignOptions::default();
        o.validate().unwrap();
        assert_eq!(CampaignOptions::from_settings(&o.to_settings()).unwrap(), o);
        let c = DialerConfig::default();
        assert_eq!(c.options().unwrap(), o);
    }

    #[test]
    fn limits_are_inclusive_and_errors_name_the_field() {
        let with = |f: &dyn Fn(&mut CampaignOptions)| {
            let mut o = CampaignOptions::default();
            f(&mut o);
            o.validate().map_err(field)
        };
        assert_eq!(with(&|o| o.max_calls = 800), Ok(()));
        assert_eq!(with(&|o| o.max_calls = 801), Err("max_calls"));
        assert_eq!(with(&|o| o.max_calls = 0), Err("max_calls"));
        assert_eq!(with(&|o| o.calls_per_second = 1000.0), Ok(()));
        assert_eq!(
            with(&|o| o.calls_per_second = -1.0),
            Err("calls_per_second")
        );
        assert_eq!(
            with(&|o| o.calls_per_second = f64::NAN),
            Err("calls_per_second")
        );
        assert_eq!(with(&|o| o.ring_timeout = Duration::from_secs(5)), Ok(()));
        assert_eq!(
            with(&|o| o.ring_timeout = Duration::from_secs(4)),
            Err("ring_timeout")
        );
        assert_eq!(
            with(&|o| o.ring_timeout = Duration::from_secs(121)),
            Err("ring_timeout")
        );
        assert_eq!(with(&|o| o.retries = 10), Ok(()));
        assert_eq!(with(&|o| o.retries = 11), Err("retries"));
        assert_eq!(
            with(&|o| o.retry_pause = MAX_RETRY_PAUSE + Duration::from_secs(1)),
            Err("retry_pause")
        );
        assert_eq!(with(&|o| o.caller_id = "+8651663371".into()), Ok(()));
        assert_eq!(
            with(&|o| o.caller_id = "5166-3371".into()),
            Err("caller_id")
        );
        let e = CampaignOptions {
            max_calls: 900,
            ..Default::default()
        }
        .validate()
        .unwrap_err();
        assert_eq!(e.to_string(), "max_calls = 900 is out of range (1–800)");
    }

    #[test]
    fn config_section_parses_times_and_checks_the_dial_rule() {
        let mut c = DialerConfig {
            window_open: "8:30".into(),
            window_close: "21:00".into(),
            ..Default::default()
        };
        let w = c.options().unwrap().window.unwrap();
        assert_eq!(w.open(), NaiveTime::from_hms_opt(8, 30, 0).unwrap());
        c.window_open = "21:00".into();
        assert_eq!(c.options().map_err(field), Err("window"));
        c.window_open = "eight".into();
        assert_eq!(c.options().map_err(field), Err("window_open"));
        c.window_open = String::new();
        c.window_close = String::new();
        assert_eq!(c.options().unwrap().window, None);
        c.dial_rule.prefix = "x".into();
        assert_eq!(c.options().map_err(field), Err("dial_rule"));
    }

    #[test]
    fn notice_is_a_prompt_name_or_a_file() {
        assert_eq!(
            Notice::parse("notice-security").unwrap(),
            Notice::Prompt("notice-security".into())
        );
        assert_eq!(
            Notice::parse("/tmp/通知.MP3").unwrap(),
            Notice::File("/tmp/通知.MP3".into())
        );
        assert_eq!(
            Notice::parse("heating.wav").unwrap(),
            Notice::File("heating.wav".into())
        );
        assert_eq!(Notice::parse("").map_err(field), Err("notice"));
        assert_eq!(Notice::parse("a b").map_err(field), Err("notice"));
    }
}

//! The hotline's opening hours (值班时间) as data: weekday and weekend spans in China
//! time, holidays and adjusted working days (调休).
//!
//! Why in the store: an admin changes them in the console, so they are kept in the
//! database ([`crate::settings`]) and travel from the desk to the hotline; the type both
//! sides share lives here, beside its validation. The decision "open at this instant?"
//! is the hotline's (`lianxin_hotline::hours::is_open`). In the config file and in JSON a
//! time is `"HH:MM"`, a date `"YYYY-MM-DD"`.

use chrono::{NaiveDate, NaiveTime};
use serde::{Deserialize, Serialize};

use crate::request_rules::RequestRefused;
use crate::{Result, StoreError};

/// Most holidays or working days one list holds (a few years' worth).
pub const MAX_DATES: usize = 400;

/// Hours of one kind of day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Span {
    /// Opening time (local).
    #[serde(with = "hhmm")]
    pub open: NaiveTime,
    /// Closing time (local, exclusive).
    #[serde(with = "hhmm")]
    pub close: NaiveTime,
}

/// When the hotline is staffed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OpeningHours {
    /// Always open (the demo default, so a demo call never lands in after-hours).
    pub always: bool,
    /// Monday to Friday.
    pub weekdays: Option<Span>,
    /// Saturday and Sunday.
    pub weekends: Option<Span>,
    /// Closed all day on these dates (local).
    pub holidays: Vec<NaiveDate>,
    /// Open on these dates with weekday hours even if they fall on a weekend
    /// (China's "adjusted working days", 调休).
    pub working_days: Vec<NaiveDate>,
}

impl Default for OpeningHours {
    fn default() -> Self {
        OpeningHours {
            always: true,
            weekdays: None,
            weekends: None,
            holidays: Vec::new(),
            working_days: Vec::new(),
        }
    }
}

impl OpeningHours {
    /// Office hours 8:30–17:30 on weekdays, 9:00–12:00 on weekends.
    pub fn office() -> Self {
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap_or(NaiveTime::MIN);
        OpeningHours {
            always: false,
            weekdays: Some(Span {
                open: t(8, 30),
                close: t(17, 30),
            }),
            weekends: Some(Span {
                open: t(9, 0),
                close: t(12, 0),
            }),
            holidays: Vec::new(),
            working_days: Vec::new(),
        }
    }

    /// Checks what an admin entered: each span opens before it closes, the date lists
    /// are not absurdly long. The error names the field (`weekdays`, `weekends`,
    /// `holidays`, `working_days`) in Chinese.
    pub fn validate(&self) -> Result<()> {
        for (field, span, label) in [
            ("weekdays", self.weekdays, "工作日"),
            ("weekends", self.weekends, "周末"),
        ] {
            if let Some(s) = span {
                if s.open >= s.close {
                    return Err(StoreError::Refused(RequestRefused::Invalid {
                        field,
                        message: format!("{label}的开始时间应早于结束时间"),
                    }));
                }
            }
        }
        for (field, list) in [
            ("holidays", &self.holidays),
            ("working_days", &self.working_days),
        ] {
            if list.len() > MAX_DATES {
                return Err(StoreError::Refused(RequestRefused::Invalid {
                    field,
                    message: format!("日期太多，最多{MAX_DATES}个"),
                }));
            }
        }
        Ok(())
    }
}

/// `"HH:MM"` in JSON and TOML (seconds are accepted when reading and dropped).
mod hhmm {
    use chrono::NaiveTime;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(t: &NaiveTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&t.format("%H:%M").to_string())
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveTime, D::Error> {
        let text = String::deserialize(d)?;
        NaiveTime::parse_from_str(&text, "%H:%M")
            .or_else(|_| NaiveTime::parse_from_str(&text, "%H:%M:%S"))
            .map_err(|_| serde::de::Error::custom(format!("{text:?} is not a time HH:MM")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_read_and_write_hh_mm() {
        let h = OpeningHours::office();
        let json = serde_json::to_value(&h).unwrap();
        assert_eq!(json["weekdays"]["open"], "08:30");
        assert_eq!(json["weekends"]["close"], "12:00");
        let back: OpeningHours = serde_json::from_value(json).unwrap();
        assert_eq!(back, h);
        let with_seconds: Span =
            serde_json::from_str(r#"{"open": "08:30:00", "close": "17:30"}"#).unwrap();
        assert_eq!(with_seconds, h.weekdays.unwrap());
        assert!(serde_json::from_str::<Span>(r#"{"open": "8点", "close": "17:30"}"#).is_err());
    }

    #[test]
    fn a_span_must_open_before_it_closes() {
        let mut h = OpeningHours::office();
        h.validate().unwrap();
        h.weekends = Some(Span {
            open: NaiveTime::from_hms_opt(12, 0, 0).unwrap(),
            close: NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
        });
        match h.validate() {
            Err(StoreError::Refused(r)) => assert_eq!(r.field(), "weekends"),
            other => panic!("{other:?}"),
        }
    }
}

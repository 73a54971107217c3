//! Opening hours of the hotline, in China time.
//!
//! The office keeps hours in Asia/Shanghai local time and closes on public holidays;
//! outside them the caller hears the after-hours prompt and can leave a message. Time
//! arrives as UTC (an input, never read here) and is converted at this one edge.

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, Utc, Weekday};
use chrono_tz::Asia::Shanghai;
use serde::Deserialize;

/// Hours of one kind of day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct Span {
    /// Opening time (local).
    pub open: NaiveTime,
    /// Closing time (local, exclusive).
    pub close: NaiveTime,
}

/// When the hotline is staffed.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
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

    /// Whether the hotline is open at `now`.
    pub fn is_open(&self, now: DateTime<Utc>) -> bool {
        if self.always {
            return true;
        }
        let local = now.with_timezone(&Shanghai);
        let date = local.date_naive();
        if self.holidays.contains(&date) {
            return false;
        }
        let weekend = matches!(local.weekday(), Weekday::Sat | Weekday::Sun);
        let span = if weekend && !self.working_days.contains(&date) {
            self.weekends
        } else {
            self.weekdays
        };
        let time = local.time();
        span.is_some_and(|s| s.open <= time && time < s.close)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Shanghai
            .with_ymd_and_hms(y, mo, d, h, mi, 0)
            .single()
            .expect("valid local time")
            .with_timezone(&Utc)
    }

    #[test]
    fn office_hours_are_china_time() {
        let h = OpeningHours::office();
        // 2026-11-23 is a Monday. 08:29 Beijing = 00:29 UTC.
        assert!(!h.is_open(at(2026, 11, 23, 8, 29)));
        assert!(h.is_open(at(2026, 11, 23, 8, 30)));
        assert!(h.is_open(at(2026, 11, 23, 17, 29)));
        assert!(!h.is_open(at(2026, 11, 23, 17, 30)));
        // Saturday morning open, afternoon closed.
        assert!(h.is_open(at(2026, 11, 21, 10, 0)));
        assert!(!h.is_open(at(2026, 11, 21, 14, 0)));
    }

    #[test]
    fn holidays_close_and_adjusted_days_open() {
        let mut h = OpeningHours::office();
        h.holidays
            .push(NaiveDate::from_ymd_opt(2026, 10, 1).expect("date"));
        h.working_days
            .push(NaiveDate::from_ymd_opt(2026, 11, 21).expect("date"));
        assert!(!h.is_open(at(2026, 10, 1, 10, 0)));
        assert!(h.is_open(at(2026, 11, 21, 14, 0)));
    }

    #[test]
    fn always_open_by_default() {
        assert!(OpeningHours::default().is_open(at(2026, 1, 1, 3, 0)));
    }
}

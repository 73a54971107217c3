//! Opening hours of the hotline, in China time.
//!
//! The office keeps hours in Asia/Shanghai local time and closes on public holidays;
//! outside them the caller hears the after-hours prompt and can leave a message. Time
//! arrives as UTC (an input, never read here) and is converted at this one edge. The
//! hours themselves can change while the server runs (an admin's console): the hotline
//! keeps the latest it was given and asks [`is_open`] once per call.

use chrono::{DateTime, Datelike, Utc, Weekday};

/// The hours as data (the store's type: an admin changes them in the console, the
/// database keeps them, the desk hands a change to the hotline).
pub use lianxin_store::opening_hours::{OpeningHours, Span};

/// Whether the hotline is open at `now` under `hours`.
pub fn is_open(hours: &OpeningHours, now: DateTime<Utc>) -> bool {
    if hours.always {
        return true;
    }
    let local = lianxin_store::china_time::china(now);
    let date = local.date_naive();
    if hours.holidays.contains(&date) {
        return false;
    }
    let weekend = matches!(local.weekday(), Weekday::Sat | Weekday::Sun);
    let span = if weekend && !hours.working_days.contains(&date) {
        hours.weekends
    } else {
        hours.weekdays
    };
    let time = local.time();
    span.is_some_and(|s| s.open <= time && time < s.close)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, TimeZone};
    use chrono_tz::Asia::Shanghai;

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
        assert!(!is_open(&h, at(2026, 11, 23, 8, 29)));
        assert!(is_open(&h, at(2026, 11, 23, 8, 30)));
        assert!(is_open(&h, at(2026, 11, 23, 17, 29)));
        assert!(!is_open(&h, at(2026, 11, 23, 17, 30)));
        // Saturday morning open, afternoon closed.
        assert!(is_open(&h, at(2026, 11, 21, 10, 0)));
        assert!(!is_open(&h, at(2026, 11, 21, 14, 0)));
    }

    #[test]
    fn holidays_close_and_adjusted_days_open() {
        let mut h = OpeningHours::office();
        h.holidays
            .push(NaiveDate::from_ymd_opt(2026, 10, 1).expect("date"));
        h.working_days
            .push(NaiveDate::from_ymd_opt(2026, 11, 21).expect("date"));
        assert!(!is_open(&h, at(2026, 10, 1, 10, 0)));
        assert!(is_open(&h, at(2026, 11, 21, 14, 0)));
    }

    #[test]
    fn always_open_by_default() {
        assert!(is_open(&OpeningHours::default(), at(2026, 1, 1, 3, 0)));
    }
}

//! Dates as the committee lives them: "today" is the date in China (UTC+8, no daylight
//! saving), and a resident's age is counted in whole years on that day.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Utc};

/// Whole years between `dob` and `today` (0 for a future date of birth).
pub fn age_on(dob: NaiveDate, today: NaiveDate) -> u32 {
    let mut years = today.year() - dob.year();
    if (today.month(), today.day()) < (dob.month(), dob.day()) {
        years -= 1;
    }
    years.max(0) as u32
}

/// China's offset from UTC.
fn china() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600)
        .unwrap_or_else(|| FixedOffset::east_opt(0).expect("zero offset"))
}

/// The date in China at `now`.
pub fn china_today(now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&china()).date_naive()
}

/// A time as staff read it: China time to the minute (`2026-11-21 10:15`).
pub fn china_minute(t: DateTime<Utc>) -> String {
    t.with_timezone(&china())
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn ages_count_birthdays_in_china_time() {
        let dob = NaiveDate::from_ymd_opt(1982, 3, 10).unwrap();
        assert_eq!(
            age_on(dob, NaiveDate::from_ymd_opt(2026, 3, 9).unwrap()),
            43
        );
        assert_eq!(
            age_on(dob, NaiveDate::from_ymd_opt(2026, 3, 10).unwrap()),
            44
        );
        assert_eq!(age_on(dob, NaiveDate::from_ymd_opt(1980, 1, 1).unwrap()), 0);
        // 2026-03-09 17:00 UTC is already 03-10 in Beijing.
        let now = Utc.with_ymd_and_hms(2026, 3, 9, 17, 0, 0).unwrap();
        assert_eq!(
            china_today(now),
            NaiveDate::from_ymd_opt(2026, 3, 10).unwrap()
        );
        assert_eq!(china_minute(now), "2026-03-10 01:00");
        let leap = NaiveDate::from_ymd_opt(2000, 2, 29).unwrap();
        assert_eq!(
            age_on(leap, NaiveDate::from_ymd_opt(2026, 2, 28).unwrap()),
            25
        );
        assert_eq!(
            age_on(leap, NaiveDate::from_ymd_opt(2026, 3, 1).unwrap()),
            26
        );
    }
}

//! Ages as the committee counts them: whole years on "today", the date in China
//! ([`crate::china_time::china_today`]).

use chrono::{Datelike, NaiveDate};

/// Whole years between `dob` and `today` (0 for a future date of birth).
pub fn age_on(dob: NaiveDate, today: NaiveDate) -> u32 {
    let mut years = today.year() - dob.year();
    if (today.month(), today.day()) < (dob.month(), dob.day()) {
        years -= 1;
    }
    years.max(0) as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::china_time::china_today;
    use chrono::{TimeZone, Utc};

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

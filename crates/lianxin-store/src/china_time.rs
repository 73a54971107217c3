//! China time in one place. The database keeps UTC (RFC 3339 text or unix milliseconds);
//! staff live in Asia/Shanghai, so every edge that shows a time, names a day or reads a
//! time of day typed by staff converts here, and nowhere else.
//!
//! Why the `Asia/Shanghai` zone rather than a hand-made `+08:00` offset: the workspace
//! already carries `chrono-tz`, and the zone is what the committee means (it has kept
//! UTC+8 without daylight saving since 1991, so the two agree on every date this system
//! stores). One module means one choice; callers never build an offset by hand.

use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

/// The committee's time zone.
pub const CHINA: Tz = chrono_tz::Asia::Shanghai;

/// `t` as China local time (format it, take its date or time of day).
pub fn china(t: DateTime<Utc>) -> DateTime<Tz> {
    t.with_timezone(&CHINA)
}

/// The date in China at `now`.
pub fn china_today(now: DateTime<Utc>) -> NaiveDate {
    china(now).date_naive()
}

/// A time as staff read it: China time to the minute (`2026-11-21 10:15`).
pub fn china_minute(t: DateTime<Utc>) -> String {
    china(t).format("%Y-%m-%d %H:%M").to_string()
}

/// The UTC instant of China local `time` on `day`. China has no daylight saving, so a
/// local time is never skipped or doubled; the earliest reading covers the impossible
/// case, and the UTC reading of the same wall clock the one after it, without a panic.
pub fn china_at(day: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
    let local = day.and_time(time);
    CHINA
        .from_local_datetime(&local)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| Utc.from_utc_datetime(&local))
}

/// 00:00 in China on `day`, in UTC.
pub fn china_midnight(day: NaiveDate) -> DateTime<Utc> {
    china_at(day, NaiveTime::MIN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn china_is_eight_hours_ahead_of_utc_all_year() {
        // 2026-03-09 17:00 UTC is already 03-10 in Beijing.
        let now = Utc.with_ymd_and_hms(2026, 3, 9, 17, 0, 0).unwrap();
        assert_eq!(
            china_today(now),
            NaiveDate::from_ymd_opt(2026, 3, 10).unwrap()
        );
        assert_eq!(china_minute(now), "2026-03-10 01:00");
        // Summer too: no daylight saving.
        let july = Utc.with_ymd_and_hms(2026, 7, 1, 23, 30, 0).unwrap();
        assert_eq!(china_minute(july), "2026-07-02 07:30");
        let day = NaiveDate::from_ymd_opt(2026, 7, 2).unwrap();
        assert_eq!(
            china_midnight(day),
            Utc.with_ymd_and_hms(2026, 7, 1, 16, 0, 0).unwrap()
        );
        assert_eq!(
            china_at(day, NaiveTime::from_hms_opt(7, 30, 0).unwrap()),
            july
        );
        assert_eq!(china(july).format("%m-%d %H:%M").to_string(), "07-02 07:30");
    }
}

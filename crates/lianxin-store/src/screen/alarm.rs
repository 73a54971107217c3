//! The tracking alarm colour of a request (seed 000): green until level 1, orange until
//! the deadline, red after it; a closed request keeps the colour it was closed in.

use chrono::{DateTime, Utc};
use serde::Serialize;

/// Tracking alarm colour of a request (seed 000: green, orange, red).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Alarm {
    /// Done (or still open) before the level-1 time.
    Green,
    /// Past level 1, not past the deadline.
    Orange,
    /// Past the deadline (and it stays red while open).
    Red,
}

impl Alarm {
    /// The colour at `now` of a request with these times; a closed request keeps the
    /// colour it had when it was closed.
    pub fn at(
        level1: DateTime<Utc>,
        deadline: DateTime<Utc>,
        closed: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Alarm {
        let t = closed.unwrap_or(now);
        if t < level1 {
            Alarm::Green
        } else if t <= deadline {
            Alarm::Orange
        } else {
            Alarm::Red
        }
    }

    /// Chinese label (绿/橙/红).
    pub fn label_zh(self) -> &'static str {
        match self {
            Alarm::Green => "绿",
            Alarm::Orange => "橙",
            Alarm::Red => "红",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(d: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + chrono::Duration::days(d)
    }

    #[test]
    fn alarm_colours_follow_seed_000() {
        // Deadline 8 days, level 1 at 5 days.
        let (l1, dl) = (t(5), t(8));
        assert_eq!(Alarm::at(l1, dl, None, t(0)), Alarm::Green);
        assert_eq!(
            Alarm::at(l1, dl, None, t(4) + chrono::Duration::hours(23)),
            Alarm::Green
        );
        assert_eq!(Alarm::at(l1, dl, None, t(5)), Alarm::Orange);
        assert_eq!(Alarm::at(l1, dl, None, t(7)), Alarm::Orange);
        assert_eq!(Alarm::at(l1, dl, None, t(8)), Alarm::Orange);
        assert_eq!(
            Alarm::at(l1, dl, None, t(8) + chrono::Duration::seconds(1)),
            Alarm::Red
        );
        assert_eq!(Alarm::at(l1, dl, None, t(400)), Alarm::Red);
        // Closed: the colour it had when closed, forever.
        assert_eq!(Alarm::at(l1, dl, Some(t(3)), t(400)), Alarm::Green);
        assert_eq!(Alarm::at(l1, dl, Some(t(6)), t(400)), Alarm::Orange);
        assert_eq!(Alarm::at(l1, dl, Some(t(9)), t(400)), Alarm::Red);
    }
}

//! The calling window: the hours of the day, in China time, when notices may be dialled.
//!
//! Residents are not rung at night with a non-urgent notice. The window is kept in
//! Asia/Shanghai local time (as staff think of it) and time arrives as UTC, converted at
//! this one edge (by [`lianxin_store::china_time`]); an urgent campaign ignores the window. Calls already up when the window
//! closes finish; only new calls wait for [`CallingWindow::next_open`].

use chrono::{DateTime, Duration, NaiveTime, Utc};
use lianxin_store::china_time::{china, china_at};
use serde::Serialize;

/// Opening and closing time of day (Asia/Shanghai); open from `open` up to, not
/// including, `close`, every day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CallingWindow {
    open: NaiveTime,
    close: NaiveTime,
}

/// A window that closes before it opens (or never opens).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the calling window must open before it closes ({open}–{close})")]
pub struct WindowError {
    /// Opening time given.
    pub open: NaiveTime,
    /// Closing time given.
    pub close: NaiveTime,
}

impl CallingWindow {
    /// A window from `open` to `close` (same day; `open` before `close`).
    pub fn new(open: NaiveTime, close: NaiveTime) -> Result<CallingWindow, WindowError> {
        if open < close {
            Ok(CallingWindow { open, close })
        } else {
            Err(WindowError { open, close })
        }
    }

    /// 08:00–20:00, the default.
    pub fn daytime() -> CallingWindow {
        let t = |h| NaiveTime::from_hms_opt(h, 0, 0).unwrap_or(NaiveTime::MIN);
        CallingWindow {
            open: t(8),
            close: t(20),
        }
    }

    /// Opening time (local).
    pub fn open(&self) -> NaiveTime {
        self.open
    }

    /// Closing time (local, exclusive).
    pub fn close(&self) -> NaiveTime {
        self.close
    }

    /// Whether a call may start at `now`.
    pub fn contains(&self, now: DateTime<Utc>) -> bool {
        let t = china(now).time();
        self.open <= t && t < self.close
    }

    /// `now` when the window is open, else the next opening.
    pub fn next_open(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        if self.contains(now) {
            return now;
        }
        let local = china(now);
        let mut day = local.date_naive();
        if local.time() >= self.close {
            day += Duration::days(1);
        }
        china_at(day, self.open)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use lianxin_store::china_time::CHINA;

    /// A UTC time given as China time (UTC+8).
    fn cst(d: u32, h: u32, m: u32, s: u32) -> DateTime<Utc> {
        CHINA
            .with_ymd_and_hms(2026, 7, d, h, m, s)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn open_from_opening_up_to_closing() {
        let w = CallingWindow::daytime();
        assert!(!w.contains(cst(10, 7, 59, 59)));
        assert!(w.contains(cst(10, 8, 0, 0)));
        assert!(w.contains(cst(10, 19, 59, 59)));
        assert!(!w.contains(cst(10, 20, 0, 0)));
        assert!(!w.contains(cst(10, 23, 30, 0)));
    }

    #[test]
    fn uses_china_time_not_utc() {
        // 01:00 UTC is 09:00 in Beijing: open. 13:00 UTC is 21:00: closed.
        let w = CallingWindow::daytime();
        assert!(w.contains(Utc.with_ymd_and_hms(2026, 7, 10, 1, 0, 0).unwrap()));
        assert!(!w.contains(Utc.with_ymd_and_hms(2026, 7, 10, 13, 0, 0).unwrap()));
    }

    #[test]
    fn next_opening_is_this_morning_or_tomorrow_morning() {
        let w = CallingWindow::daytime();
        assert_eq!(w.next_open(cst(10, 6, 30, 0)), cst(10, 8, 0, 0));
        assert_eq!(w.next_open(cst(10, 12, 0, 0)), cst(10, 12, 0, 0));
        assert_eq!(w.next_open(cst(10, 20, 0, 0)), cst(11, 8, 0, 0));
        assert_eq!(w.next_open(cst(10, 23, 59, 59)), cst(11, 8, 0, 0));
        // Just after midnight in Beijing (the previous day in UTC): this morning.
        assert_eq!(w.next_open(cst(11, 0, 0, 1)), cst(11, 8, 0, 0));
    }

    #[test]
    fn a_window_must_open_before_it_closes() {
        let t = |h| NaiveTime::from_hms_opt(h, 0, 0).unwrap();
        assert!(CallingWindow::new(t(9), t(18)).is_ok());
        assert!(CallingWindow::new(t(18), t(9)).is_err());
        assert!(CallingWindow::new(t(9), t(9)).is_err());
    }
}

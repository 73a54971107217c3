//! Plain-text tables for the terminal, shared by the commands that print rows (`lookup`,
//! `search`, `campaign`).
//!
//! Columns are padded by display width (a Chinese character takes two columns), and times
//! are shown in China time (Asia/Shanghai): the database and the HTTP API carry UTC, the
//! terminal is the edge where it is converted.

use chrono::{DateTime, Utc};
use lianxin_store::china_time::china;
use std::fmt::Write;

/// Columns `s` takes on a terminal.
pub fn width(s: &str) -> usize {
    s.chars()
        .map(|c| {
            if (c as u32) >= 0x1100 && !matches!(c as u32, 0x2000..=0x206f) {
                2
            } else {
                1
            }
        })
        .sum()
}

/// `s` followed by spaces up to `w` columns.
pub fn pad(s: &str, w: usize) -> String {
    let mut out = s.to_string();
    for _ in width(s)..w {
        out.push(' ');
    }
    out
}

/// Appends a header line and one line per row, each column as wide as its widest cell
/// plus two spaces, every line starting with `indent`.
pub fn table(out: &mut String, indent: &str, header: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = header.iter().map(|h| width(h)).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            if i < widths.len() {
                widths[i] = widths[i].max(width(c));
            }
        }
    }
    let line = |cells: Vec<&str>| {
        let n = cells.len();
        let mut s = String::from(indent);
        for (i, c) in cells.into_iter().enumerate() {
            if i + 1 == n {
                s.push_str(c);
            } else {
                s.push_str(&pad(c, widths.get(i).copied().unwrap_or(0) + 2));
            }
        }
        s.trim_end().to_string()
    };
    let _ = writeln!(out, "{}", line(header.to_vec()));
    for r in rows {
        let _ = writeln!(out, "{}", line(r.iter().map(String::as_str).collect()));
    }
}

/// A UTC time as China time to the minute (`2026-11-21 10:15`).
pub fn cst(t: DateTime<Utc>) -> String {
    lianxin_store::china_time::china_minute(t)
}

/// An RFC 3339 time from the HTTP API as China time to the second
/// (`2026-11-21 10:15:07`); `None` when it is missing or not a time.
pub fn cst_seconds(rfc3339: &str) -> Option<String> {
    let t = rfc3339.parse::<DateTime<Utc>>().ok()?;
    Some(china(t).format("%Y-%m-%d %H:%M:%S").to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pads_by_display_width() {
        assert_eq!(width("范先翔"), 6);
        assert_eq!(width("abc"), 3);
        assert_eq!(pad("王丽", 6), "王丽  ");
        assert_eq!(
            cst(DateTime::from_timestamp(0, 0).unwrap()),
            "1970-01-01 08:00"
        );
    }

    #[test]
    fn api_times_turn_into_china_time() {
        assert_eq!(
            cst_seconds("2026-11-21T02:15:07.412Z").as_deref(),
            Some("2026-11-21 10:15:07")
        );
        assert_eq!(cst_seconds("soon"), None);
    }
}

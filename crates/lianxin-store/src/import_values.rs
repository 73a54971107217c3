//! How an import reads the values of a register's cells: dates of birth in the spellings
//! Excel users produce (text in several layouts, or Excel's serial day numbers), several
//! phone numbers in one cell, and the words for sex.
//!
//! Pure functions, so the rules are tested without a database; a refusal carries the
//! English reason (for the terminal) and the Chinese one (for consoles).

use chrono::{Datelike, Days, NaiveDate};

/// Why a cell's value was refused: English for the terminal, Chinese for consoles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    /// English reason.
    pub(crate) en: String,
    /// Simplified Chinese reason.
    pub(crate) zh: String,
}

impl Refusal {
    pub(crate) fn new(en: impl Into<String>, zh: impl Into<String>) -> Refusal {
        Refusal {
            en: en.into(),
            zh: zh.into(),
        }
    }
}

/// Splits a cell holding several phone numbers.
pub(crate) fn split_numbers(s: &str) -> impl Iterator<Item = &str> {
    s.split([';', '；', '、', '|', '/', ',', '，'])
        .map(str::trim)
        .filter(|x| !x.is_empty())
}

/// The day Excel's serial day numbers count from (1900 date system, after its leap-year
/// bug: serial 61 is 1900-03-01).
fn excel_epoch() -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(1899, 12, 30)
}

/// An Excel serial day number as a date (the time of day, if any, is dropped).
pub(crate) fn excel_serial_date(serial: f64) -> Option<NaiveDate> {
    if !(1.0..=2_958_465.0).contains(&serial) {
        return None;
    }
    excel_epoch()?.checked_add_days(Days::new(serial.floor() as u64))
}

/// A date of birth as written in a register: `1956-03-02`, `1956/3/2`, `1956.3.2`,
/// `1956年3月2日`, `19560302`, a date with a time after it, or an Excel serial day number
/// (`20516`). Empty is `None`; the result is `YYYY-MM-DD`.
pub(crate) fn parse_dob(s: &str) -> Result<Option<String>, Refusal> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let not_a_date = || {
        Refusal::new(
            format!("date of birth {s:?} is not a date (use YYYY-MM-DD)"),
            format!("出生日期“{s}”不是日期，请写成 1956-03-02 这样的格式"),
        )
    };
    let d = date_of(s).ok_or_else(not_a_date)?;
    if d.year_ce().1 < 1890 || d > NaiveDate::from_ymd_opt(2200, 1, 1).unwrap_or(d) {
        return Err(Refusal::new(
            format!("date of birth {s:?} is out of range"),
            format!("出生日期“{s}”不在合理范围内"),
        ));
    }
    Ok(Some(d.format("%Y-%m-%d").to_string()))
}

fn date_of(s: &str) -> Option<NaiveDate> {
    // A date-time (`1956-03-02 00:00:00`, `1956-03-02T00:00:00`): its date.
    let day = s.split([' ', 'T']).next().unwrap_or(s);
    if day.chars().all(|c| c.is_ascii_digit()) {
        return match day.len() {
            8 => NaiveDate::parse_from_str(day, "%Y%m%d").ok(),
            1..=6 => excel_serial_date(day.parse::<f64>().ok()?),
            _ => None,
        };
    }
    // Excel's serial with a fraction (`20517.0`).
    if let Ok(serial) = day.parse::<f64>() {
        return excel_serial_date(serial);
    }
    let spelled = day
        .replace(['年', '月', '.', '/'], "-")
        .trim_end_matches('日')
        .to_string();
    NaiveDate::parse_from_str(&spelled, "%Y-%m-%d").ok()
}

/// The sex words registers use: `F`/`M`, `女`/`男`, `女性`/`男性`.
pub(crate) fn sex_word(s: &str) -> &str {
    match s.trim() {
        "女性" => "女",
        "男性" => "男",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_every_spelling() {
        for s in [
            "1956-03-02",
            "1956/3/2",
            "1956.3.2",
            "1956年3月2日",
            "19560302",
            "1956-03-02 00:00:00",
            "20516",
            "20516.0",
        ] {
            assert_eq!(parse_dob(s), Ok(Some("1956-03-02".into())), "{s}");
        }
        assert_eq!(parse_dob(" "), Ok(None));
        for s in ["1970-02-30", "1956-03", "abc", "1800-01-01", "123456789"] {
            let e = parse_dob(s).unwrap_err();
            assert!(e.en.contains(s) && e.zh.contains(s), "{s}: {e:?}");
        }
    }

    #[test]
    fn numbers_split_on_every_separator() {
        let v: Vec<&str> = split_numbers("65123456; 13912345678、010-6512 7788，1390000").collect();
        assert_eq!(v, ["65123456", "13912345678", "010-6512 7788", "1390000"]);
    }
}

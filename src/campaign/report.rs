//! `lianxin campaign report ID [--attempts] [--csv]`: who heard the notice.
//!
//! One row per household (`GET /api/campaigns/{id}/report`), or with `--attempts` one row
//! per call attempt (`GET /api/campaigns/{id}/attempts`). `--csv` writes CSV with fixed
//! English header names for spreadsheets and scripts; without it a table for the
//! terminal. Times are China time (Asia/Shanghai) in both, `YYYY-MM-DD HH:MM:SS`.

use std::io::Write;

use lianxin_store::Outcome;

use super::wire::{cell, AttemptRow, HouseholdRow};
use crate::table::{cst_seconds, table};

/// CSV header of the per-household report.
pub const HOUSEHOLD_COLUMNS: [&str; 10] = [
    "household_id",
    "code",
    "address",
    "block",
    "captain",
    "reached",
    "outcome",
    "attempts",
    "seconds_heard",
    "confirmed",
];

/// CSV header of the per-attempt report.
pub const ATTEMPT_COLUMNS: [&str; 11] = [
    "household_id",
    "number",
    "attempt",
    "started_at",
    "ended_at",
    "outcome",
    "answered",
    "sip_status",
    "reason",
    "seconds_heard",
    "confirmed",
];

/// 是 / 否, or empty while the household still has attempts to go.
fn reached(r: Option<bool>) -> &'static str {
    match r {
        Some(true) => "是",
        Some(false) => "否",
        None => "",
    }
}

fn time(t: &Option<String>) -> String {
    t.as_deref()
        .map(|s| cst_seconds(s).unwrap_or_else(|| s.to_string()))
        .unwrap_or_default()
}

fn confirmed(v: &Option<serde_json::Value>) -> String {
    v.as_ref().map(cell).unwrap_or_default()
}

/// An outcome for people: the stored word and its Chinese label (`busy 占线`).
fn outcome_label(o: &Option<String>) -> String {
    match o.as_deref() {
        None | Some("") => "-".into(),
        Some(s) => match Outcome::parse(s) {
            Some(known) => format!("{s} {}", known.label_zh()),
            None => s.to_string(),
        },
    }
}

fn household_record(r: &HouseholdRow) -> [String; 10] {
    [
        r.household_id.to_string(),
        r.code.clone(),
        r.address.clone(),
        r.block.clone().unwrap_or_default(),
        r.captain.clone().unwrap_or_default(),
        reached(r.reached).into(),
        r.outcome.clone().unwrap_or_default(),
        r.attempts.to_string(),
        r.seconds_heard.map(|s| s.to_string()).unwrap_or_default(),
        confirmed(&r.confirmed),
    ]
}

fn attempt_record(a: &AttemptRow) -> [String; 11] {
    [
        a.household_id.to_string(),
        a.number.clone(),
        a.attempt.to_string(),
        time(&a.started_at),
        time(&a.ended_at),
        a.outcome.clone().unwrap_or_default(),
        if a.answered { "yes" } else { "no" }.into(),
        a.sip_status.map(|s| s.to_string()).unwrap_or_default(),
        a.reason.clone().unwrap_or_default(),
        a.seconds_heard.map(|s| s.to_string()).unwrap_or_default(),
        confirmed(&a.confirmed),
    ]
}

/// Writes the per-household report as CSV.
pub fn households_csv<W: Write>(rows: &[HouseholdRow], w: W) -> csv::Result<()> {
    let mut out = csv::Writer::from_writer(w);
    out.write_record(HOUSEHOLD_COLUMNS)?;
    for r in rows {
        out.write_record(household_record(r))?;
    }
    out.flush()?;
    Ok(())
}

/// Writes the per-attempt report as CSV.
pub fn attempts_csv<W: Write>(rows: &[AttemptRow], w: W) -> csv::Result<()> {
    let mut out = csv::Writer::from_writer(w);
    out.write_record(ATTEMPT_COLUMNS)?;
    for a in rows {
        out.write_record(attempt_record(a))?;
    }
    out.flush()?;
    Ok(())
}

/// The per-household report as a table, with a count line.
pub fn households_table(id: i64, rows: &[HouseholdRow]) -> String {
    let yes = rows.iter().filter(|r| r.reached == Some(true)).count();
    let no = rows.iter().filter(|r| r.reached == Some(false)).count();
    let mut out = format!(
        "Campaign {id}: {} households, {yes} reached (是), {no} not reached (否){}\n",
        rows.len(),
        match rows.len() - yes - no {
            0 => String::new(),
            open => format!(", {open} still open"),
        }
    );
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let mut c = household_record(r).to_vec();
            c[5] = match reached(r.reached) {
                "" => "…".into(),
                s => s.into(),
            };
            c[6] = outcome_label(&r.outcome);
            c
        })
        .collect();
    table(
        &mut out,
        "",
        &[
            "ID", "Code", "Address", "Block", "Captain", "Reached", "Outcome", "Attempts",
            "Heard s", "Key",
        ],
        &cells,
    );
    out
}

/// The per-attempt report as a table.
pub fn attempts_table(id: i64, rows: &[AttemptRow]) -> String {
    let mut out = format!("Campaign {id}: {} attempts\n", rows.len());
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|a| {
            let r = attempt_record(a);
            vec![
                r[0].clone(),
                r[1].clone(),
                r[2].clone(),
                r[3].clone(),
                outcome_label(&a.outcome),
                r[6].clone(),
                match (&a.sip_status, &a.reason) {
                    (Some(s), Some(why)) => format!("{s} {why}"),
                    (Some(s), None) => s.to_string(),
                    (None, Some(why)) => why.clone(),
                    (None, None) => "-".into(),
                },
                r[9].clone(),
                r[10].clone(),
            ]
        })
        .collect();
    table(
        &mut out,
        "",
        &[
            "Household",
            "Number",
            "Try",
            "Started",
            "Outcome",
            "Answered",
            "SIP",
            "Heard s",
            "Key",
        ],
        &cells,
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn households() -> Vec<HouseholdRow> {
        serde_json::from_value::<super::super::wire::Report>(json!({"households": [
            {"household_id": 1, "code": "NW000001", "address": "内务部街27号", "block": "第一片区",
             "captain": "李建国", "reached": true, "outcome": "heard", "attempts": 1,
             "seconds_heard": 42, "confirmed": "1"},
            {"household_id": 2, "code": "NW000002", "address": "演乐胡同3号, 东院", "block": null,
             "captain": null, "reached": false, "outcome": "busy", "attempts": 3,
             "seconds_heard": 0, "confirmed": null},
            {"household_id": 3, "code": "NW000003", "address": "x", "reached": null,
             "outcome": null, "attempts": 0}
        ]}))
        .expect("report")
        .households
    }

    fn attempts() -> Vec<AttemptRow> {
        serde_json::from_value::<super::super::wire::Attempts>(json!({"attempts": [
            {"household_id": 1, "number": "65123456", "attempt": 1,
             "started_at": "2026-12-03T01:30:05Z", "ended_at": "2026-12-03T01:30:52.5Z",
             "outcome": "heard", "answered": true, "sip_status": 200, "reason": null,
             "seconds_heard": 42, "confirmed": "1"},
            {"household_id": 2, "number": "13912345678", "attempt": 2,
             "started_at": "2026-12-03T01:35:00Z", "ended_at": null,
             "outcome": "failed", "answered": false, "sip_status": 503,
             "reason": "Service Unavailable", "seconds_heard": 0, "confirmed": null}
        ]}))
        .expect("attempts")
        .attempts
    }

    #[test]
    fn household_csv_has_the_promised_columns_and_是否() {
        let mut buf = Vec::new();
        households_csv(&households(), &mut buf).expect("csv");
        let text = String::from_utf8(buf).expect("utf-8");
        let mut lines = text.lines();
        assert_eq!(
            lines.next(),
            Some("household_id,code,address,block,captain,reached,outcome,attempts,seconds_heard,confirmed")
        );
        assert_eq!(
            lines.next(),
            Some("1,NW000001,内务部街27号,第一片区,李建国,是,heard,1,42,1")
        );
        assert_eq!(
            lines.next(),
            Some("2,NW000002,\"演乐胡同3号, 东院\",,,否,busy,3,0,")
        );
        assert_eq!(lines.next(), Some("3,NW000003,x,,,,,0,,"));
    }

    #[test]
    fn attempt_csv_has_the_promised_columns_in_china_time() {
        let mut buf = Vec::new();
        attempts_csv(&attempts(), &mut buf).expect("csv");
        let text = String::from_utf8(buf).expect("utf-8");
        let mut r = csv::Reader::from_reader(text.as_bytes());
        let header: Vec<String> = r
            .headers()
            .expect("header")
            .iter()
            .map(String::from)
            .collect();
        for col in [
            "household_id",
            "number",
            "attempt",
            "started_at",
            "outcome",
            "answered",
            "sip_status",
            "seconds_heard",
        ] {
            assert!(
                header.iter().any(|h| h == col),
                "{col} missing in {header:?}"
            );
        }
        let rows: Vec<csv::StringRecord> = r.records().map(|x| x.expect("row")).collect();
        let get = |row: usize, col: &str| {
            let i = header.iter().position(|h| h == col).expect("column");
            rows[row][i].to_string()
        };
        assert_eq!(get(0, "started_at"), "2026-12-03 09:30:05");
        assert_eq!(get(0, "ended_at"), "2026-12-03 09:30:52");
        assert_eq!(get(0, "answered"), "yes");
        assert_eq!(get(0, "sip_status"), "200");
        assert_eq!(get(1, "answered"), "no");
        assert_eq!(get(1, "number"), "13912345678");
        assert_eq!(get(1, "reason"), "Service Unavailable");
        assert_eq!(get(1, "ended_at"), "");
    }

    #[test]
    fn household_table_counts_and_labels() {
        let text = households_table(7, &households());
        let mut lines = text.lines();
        assert_eq!(
            lines.next(),
            Some("Campaign 7: 3 households, 1 reached (是), 1 not reached (否), 1 still open")
        );
        let header = lines.next().expect("header");
        assert!(header.starts_with("ID  Code"), "{header}");
        let first = lines.next().expect("row");
        assert!(first.contains("是"), "{first}");
        assert!(first.contains("heard 已收听"), "{first}");
        assert!(lines.next().expect("row").contains("busy 占线"));
        assert!(lines.next().expect("row").contains("…"));
    }

    #[test]
    fn attempt_table_shows_sip_status_and_reason() {
        let text = attempts_table(7, &attempts());
        assert!(text.starts_with("Campaign 7: 2 attempts\n"), "{text}");
        assert!(text.contains("503 Service Unavailable"), "{text}");
        assert!(text.contains("2026-12-03 09:30:05"), "{text}");
    }
}

//! Text for `campaign list`, `status` and `notices`: tables and lines for people. `--json`
//! bypasses all of this and prints the server's JSON.

use std::fmt::Write;

use super::follow::progress_message;
use super::wire::{settings_line, List, Notices, Status};
use crate::table::{cst_seconds, table};

fn when(t: &Option<String>) -> String {
    match t.as_deref() {
        None => "-".into(),
        Some(s) => cst_seconds(s).unwrap_or_else(|| s.to_string()),
    }
}

/// `campaign list`.
pub fn list(l: &List) -> String {
    if l.campaigns.is_empty() {
        return "no campaigns yet; start one with `lianxin campaign start --group NAME --notice NAME`\n".into();
    }
    let rows: Vec<Vec<String>> = l
        .campaigns
        .iter()
        .map(|c| {
            vec![
                c.id.to_string(),
                c.state.clone(),
                when(&c.created_at),
                c.households.to_string(),
                c.reached.to_string(),
                c.not_reached.to_string(),
                c.remaining.to_string(),
                c.notice.clone(),
                c.name.clone(),
            ]
        })
        .collect();
    let mut out = String::new();
    table(
        &mut out,
        "",
        &[
            "ID",
            "State",
            "Created",
            "Households",
            "Reached",
            "Not reached",
            "Remaining",
            "Notice",
            "Name",
        ],
        &rows,
    );
    out
}

/// `campaign status`.
pub fn status(s: &Status) -> String {
    let c = &s.counters;
    let mut out = String::new();
    let _ = writeln!(out, "Campaign {}: {}", s.id, s.name);
    let _ = writeln!(out, "  state       {}", s.state);
    let _ = writeln!(out, "  notice      {}", s.notice);
    let _ = writeln!(out, "  created     {}", when(&s.created_at));
    if s.finished_at.is_some() {
        let _ = writeln!(out, "  ended       {}", when(&s.finished_at));
    }
    let _ = writeln!(
        out,
        "  households  {} ({} done, {} remaining)",
        c.households,
        c.done(),
        c.remaining
    );
    let _ = writeln!(out, "  dialled     {}", c.dialled);
    let _ = writeln!(out, "  now         {}", progress_message(c));
    if let Some(settings) = settings_line(&s.settings) {
        let _ = writeln!(out, "  settings    {settings}");
    }
    out
}

/// `campaign notices`.
pub fn notices(n: &Notices) -> String {
    let rows: Vec<Vec<String>> = n
        .notices
        .iter()
        .map(|x| vec![x.name.clone(), format!("{} s", x.seconds), x.source.clone()])
        .collect();
    let mut out = String::new();
    table(&mut out, "", &["Name", "Length", "Source"], &rows);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn list_is_a_table_in_china_time() {
        let l: List = serde_json::from_value(json!({"campaigns": [
            {"id": 7, "name": "防诈骗 通知", "state": "running", "notice": "notice-fraud",
             "created_at": "2026-12-03T01:30:00Z", "finished_at": null,
             "households": 120, "reached": 30, "not_reached": 5, "remaining": 85}
        ]}))
        .expect("list");
        let text = list(&l);
        let mut lines = text.lines();
        assert!(lines.next().expect("header").starts_with("ID  State"));
        let row = lines.next().expect("row");
        assert!(row.starts_with("7   running  2026-12-03 09:30:00"), "{row}");
        assert!(row.ends_with("notice-fraud  防诈骗 通知"), "{row}");
        assert!(list(&List::default()).starts_with("no campaigns yet"));
    }

    #[test]
    fn status_shows_state_counters_and_settings() {
        let s: Status = serde_json::from_value(json!({
            "id": 7, "name": "防诈骗", "state": "paused", "notice": "notice-fraud",
            "created_at": "2026-12-03T01:30:00Z", "finished_at": null,
            "settings": {"max_calls": 800, "window": null},
            "counters": {"households": 120, "dialled": 90, "ringing": 0, "in_call": 3,
                         "reached": 30, "not_reached": 5, "remaining": 85,
                         "calls_per_second": 0, "backing_off": false, "waiting_for_window": false}
        }))
        .expect("status");
        let text = status(&s);
        assert!(text.contains("  state       paused\n"), "{text}");
        assert!(
            text.contains("  households  120 (35 done, 85 remaining)\n"),
            "{text}"
        );
        assert!(
            text.contains("  now         reached 30, not reached 5, in call 3"),
            "{text}"
        );
        assert!(
            text.contains("  settings    max_calls 800, window none\n"),
            "{text}"
        );
        assert!(!text.contains("ended"), "{text}");
    }

    #[test]
    fn notices_table() {
        let n: Notices = serde_json::from_value(json!({"notices": [
            {"name": "notice-security", "seconds": 21, "source": "prompt"}
        ]}))
        .expect("notices");
        assert!(notices(&n).contains("notice-security  21 s    prompt"));
    }
}

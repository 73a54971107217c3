//! Plain-text rendering of screen pops and search hits for the terminal.
//!
//! Times are shown in China time (Asia/Shanghai); the tables are [`crate::table`]'s.

use crate::table::{cst, table};
use lianxin_store::screen::{HouseholdCard, HouseholdHit};
use lianxin_store::{CallerId, ScreenPop};
use std::fmt::Write;

/// The screen pop as text.
pub fn render(pop: &ScreenPop) -> String {
    let mut out = String::new();
    match &pop.caller {
        CallerId::Number(n) => {
            let _ = writeln!(out, "Caller: {} ({})", n.number, n.kind.as_str());
        }
        CallerId::Anonymous => {
            let _ = writeln!(out, "Caller: anonymous (number withheld)");
        }
        CallerId::Invalid(why) => {
            let _ = writeln!(out, "Caller: invalid ({why})");
        }
    }
    match pop.matches.len() {
        0 => {
            let _ = writeln!(
                out,
                "Unknown caller: no household has this number. Find the household with `lianxin search NAME-OR-ADDRESS`."
            );
        }
        1 => {}
        n => {
            let _ = writeln!(out, "Shared number: {n} households have it.");
        }
    }
    let total = pop.matches.len();
    for (i, card) in pop.matches.iter().enumerate() {
        let _ = writeln!(out);
        render_card(&mut out, card, i + 1, total);
    }
    out
}

fn render_card(out: &mut String, c: &HouseholdCard, i: usize, total: usize) {
    let _ = writeln!(
        out,
        "Household {i}/{total}: {}  {} ({})  [id {}]",
        c.code,
        c.address,
        c.dwelling.label_zh(),
        c.household_id
    );
    if let Some(b) = &c.block {
        let _ = writeln!(
            out,
            "  Block: {}  captain {} {}",
            b.name,
            b.captain_name.as_deref().unwrap_or("-"),
            b.captain_phone.as_deref().unwrap_or("")
        );
    }
    if !c.notes.is_empty() {
        let _ = writeln!(out, "  Notes: {}", c.notes);
    }
    let _ = writeln!(out, "  Members (* owns the number):");
    let rows: Vec<Vec<String>> = c
        .members
        .iter()
        .map(|m| {
            vec![
                if m.owns_number {
                    "*".into()
                } else {
                    " ".into()
                },
                m.name.clone(),
                m.sex.label_zh().into(),
                m.age.map(|a| a.to_string()).unwrap_or_else(|| "-".into()),
                m.work.clone(),
                m.skills.clone(),
            ]
        })
        .collect();
    table(
        out,
        "    ",
        &["", "Name", "Sex", "Age", "Work", "Skills"],
        &rows,
    );
    let phones: Vec<String> = c
        .phones
        .iter()
        .map(|p| {
            let owner = p
                .resident_id
                .and_then(|r| c.members.iter().find(|m| m.id == r))
                .map(|m| format!(", {}", m.name))
                .unwrap_or_default();
            format!("{} ({}{owner})", p.number, p.kind.as_str())
        })
        .collect();
    let _ = writeln!(
        out,
        "  Phones: {}",
        if phones.is_empty() {
            "-".into()
        } else {
            phones.join("; ")
        }
    );
    let _ = writeln!(
        out,
        "  Groups: {}",
        if c.groups.is_empty() {
            "-".into()
        } else {
            c.groups.join("、")
        }
    );
    if c.requests.is_empty() {
        let _ = writeln!(out, "  Requests: none");
    } else {
        let _ = writeln!(out, "  Requests (newest first, times in China time):");
        let rows: Vec<Vec<String>> = c
            .requests
            .iter()
            .map(|r| {
                vec![
                    r.id.to_string(),
                    cst(r.created),
                    r.channel.clone(),
                    format!("{}.{}", r.category_item, r.category_class),
                    if r.open {
                        "open".into()
                    } else {
                        "closed".into()
                    },
                    format!("{:?}", r.alarm).to_lowercase(),
                    if r.open || r.result.is_empty() {
                        r.content.clone()
                    } else {
                        format!("{} → {}", r.content, r.result)
                    },
                ]
            })
            .collect();
        table(
            out,
            "    ",
            &[
                "ID", "Created", "Channel", "Category", "Status", "Alarm", "Content",
            ],
            &rows,
        );
    }
    if !c.calls.is_empty() {
        let _ = writeln!(out, "  Calls:");
        let rows: Vec<Vec<String>> = c
            .calls
            .iter()
            .map(|k| {
                vec![
                    k.id.to_string(),
                    cst(k.arrived),
                    format!("{:?}", k.direction).to_lowercase(),
                    k.outcome
                        .map(|o| o.as_str().to_string())
                        .unwrap_or_else(|| "-".into()),
                    k.operator.clone().unwrap_or_default(),
                ]
            })
            .collect();
        table(
            out,
            "    ",
            &["ID", "Arrived", "Dir", "Outcome", "Operator"],
            &rows,
        );
    }
    if !c.voice_messages.is_empty() {
        let _ = writeln!(out, "  Voice messages:");
        let rows: Vec<Vec<String>> = c
            .voice_messages
            .iter()
            .map(|v| {
                vec![
                    v.id.to_string(),
                    cst(v.created),
                    format!("{} s", v.duration_ms / 1000),
                    if v.open {
                        "open".into()
                    } else {
                        "handled".into()
                    },
                ]
            })
            .collect();
        table(out, "    ", &["ID", "Left", "Length", "Status"], &rows);
    }
    if !c.campaign_results.is_empty() {
        let _ = writeln!(out, "  Group-call notices:");
        let rows: Vec<Vec<String>> = c
            .campaign_results
            .iter()
            .map(|k| {
                vec![
                    cst(k.created),
                    k.name.clone(),
                    k.number.clone(),
                    if k.heard { "是".into() } else { "否".into() },
                    k.state.clone(),
                ]
            })
            .collect();
        table(
            out,
            "    ",
            &["When", "Notice", "Number", "Heard", "State"],
            &rows,
        );
    }
}

/// Search hits as text.
pub fn render_search(hits: &[HouseholdHit]) -> String {
    let mut out = String::new();
    if hits.is_empty() {
        out.push_str("No household found.\n");
        return out;
    }
    let rows: Vec<Vec<String>> = hits
        .iter()
        .map(|h| {
            vec![
                h.id.to_string(),
                h.code.clone(),
                h.address.clone(),
                h.members.join("、"),
                h.numbers.join(" "),
            ]
        })
        .collect();
    table(
        &mut out,
        "",
        &["ID", "Code", "Address", "Members", "Phones"],
        &rows,
    );
    out
}

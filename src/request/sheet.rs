//! What `lianxin request` prints: the list as a table and the task sheet (任务单) of one
//! request — who asked what, the category, grade, responsible person, the alarm times
//! and colour, escalation, the result and the feedback, then the timeline. Times in
//! China time.

use std::fmt::Write;

use lianxin_store::{RequestDetail, RequestRecord};

use crate::table::{cst, pad, table};

/// The list as a table.
pub fn list(list: &[RequestRecord]) -> String {
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|r| {
            vec![
                r.id.to_string(),
                cst(r.created_at),
                r.alarm.label_zh().to_owned(),
                r.stage.label_zh().to_owned(),
                r.category_label(),
                r.responsible_name.clone().unwrap_or_else(|| "-".into()),
                r.requester_label(),
                r.content.chars().take(24).collect(),
            ]
        })
        .collect();
    let mut out = String::new();
    table(
        &mut out,
        "",
        &[
            "id",
            "recorded",
            "alarm",
            "stage",
            "category",
            "responsible",
            "resident",
            "content",
        ],
        &rows,
    );
    let _ = writeln!(out, "{} request(s)", list.len());
    out
}

/// The task sheet of one request.
pub fn task_sheet(d: &RequestDetail) -> String {
    let r = &d.request;
    let mut out = String::new();
    let mut line = |label: &str, value: String| {
        let _ = writeln!(out, "{}{value}", pad(label, 10));
    };
    line("任务单", format!("第 {} 号", r.id));
    line(
        "登记时间",
        format!("{}（{}）", cst(r.created_at), r.channel.label_zh()),
    );
    line("诉求人", r.requester_label());
    line(
        "诉求类别",
        format!("{}  等级 {}", r.category_label(), r.grade),
    );
    line("诉求内容", r.content.clone());
    line(
        "责任人",
        format!(
            "{}  包片主任 {}",
            r.responsible_name.as_deref().unwrap_or("（未分派）"),
            r.captain_name.as_deref().unwrap_or("-")
        ),
    );
    line(
        "办理时限",
        format!(
            "一级示警 {}  时限 {}  当前 {}",
            cst(r.level1_at),
            cst(r.deadline_at),
            r.alarm.label_zh()
        ),
    );
    line("办理状态", r.stage.label_zh().to_owned());
    if r.escalation_level > 0 {
        let to = match (&r.department_name, r.department_due_at) {
            (Some(d), Some(due)) => format!("街道 {d}，{} 前答复", cst(due)),
            (Some(d), None) => format!("街道 {d}"),
            _ => "居委会".to_owned(),
        };
        line("上报", to);
    }
    if let Some(closed) = r.closed_at {
        line("办理结果", format!("{}（{}）", r.result, cst(closed)));
    }
    if let Some(f) = r.feedback_result {
        line(
            "反馈",
            format!(
                "{}，{}{}",
                f.label_zh(),
                r.feedback_how.as_deref().unwrap_or(""),
                r.feedback_at
                    .map(|t| format!("（{}）", cst(t)))
                    .unwrap_or_default()
            ),
        );
    }
    let rows: Vec<Vec<String>> = d
        .events
        .iter()
        .map(|e| {
            vec![
                cst(e.at),
                e.staff_name.clone().unwrap_or_else(|| "命令行".into()),
                e.kind.clone(),
                e.note.clone(),
            ]
        })
        .collect();
    out.push('\n');
    table(&mut out, "  ", &["time", "by", "what", "note"], &rows);
    out
}

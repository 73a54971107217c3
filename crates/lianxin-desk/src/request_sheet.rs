//! `GET /api/requests/{id}/sheet`: the printable task sheet (任务单) of a request, an
//! HTML page in Chinese laid out for A4 (`@page size: A4`, black on white, no scripts):
//! who asked what, category and grade, the responsible person, the alarm times, the
//! escalation, the result and feedback, the timeline, and blank lines to sign. The same
//! read and captain check as `GET /api/requests/{id}`; times in China time. Every
//! value from the database is HTML-escaped.

use std::fmt::Write;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use lianxin_store::china_time::china_minute;
use lianxin_store::RequestDetail;

use crate::api::{id_param, ApiError};
use crate::app::App;
use crate::auth::Authed;
use crate::request_access::require_sees;
use crate::request_http::with_requests;

/// `GET /api/requests/{id}/sheet`.
pub(crate) async fn sheet(
    State(app): State<Arc<App>>,
    Authed(s): Authed,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = id_param(&id, "诉求编号不正确")?;
    let now = app.cfg.clock.now();
    let detail = with_requests(&app, move |st| st.detail(id, now))
        .await?
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "id", "找不到该诉求"))?;
    require_sees(&s.staff, &detail.request)?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        render(&detail),
    )
        .into_response())
}

/// HTML-escapes text.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "@page{size:A4;margin:18mm 16mm}\
body{font-family:'Noto Serif CJK SC','Songti SC',SimSun,serif;font-size:11pt;color:#000;background:#fff;margin:0}\
h1{text-align:center;font-size:18pt;letter-spacing:.5em;margin:0 0 4mm}\
.no{text-align:right;margin-bottom:3mm}\
table{width:100%;border-collapse:collapse;page-break-inside:auto}\
th,td{border:1px solid #000;padding:2mm 3mm;vertical-align:top;text-align:left}\
th{width:24mm;white-space:nowrap;font-weight:normal}\
tr{page-break-inside:avoid}\
h2{font-size:12pt;margin:6mm 0 2mm}\
.sign{margin-top:10mm;display:flex;justify-content:space-between}";

/// The sheet as an HTML page.
pub(crate) fn render(d: &RequestDetail) -> String {
    let r = &d.request;
    let category = r.category_label();
    let mut rows: Vec<(&str, String)> = vec![
        (
            "登记时间",
            format!("{}（{}）", china_minute(r.created_at), r.channel.label_zh()),
        ),
        ("诉求人", r.requester_label()),
        ("诉求类别", format!("{category}　等级 {}", r.grade)),
        ("诉求内容", r.content.clone()),
        (
            "责任人",
            format!(
                "{}　包片主任 {}",
                r.responsible_name.as_deref().unwrap_or("（未分派）"),
                r.captain_name.as_deref().unwrap_or("—")
            ),
        ),
        (
            "办理时限",
            format!(
                "一级示警 {}　办结时限 {}　当前 {}",
                china_minute(r.level1_at),
                china_minute(r.deadline_at),
                r.alarm.label_zh()
            ),
        ),
        ("办理状态", r.stage.label_zh().to_owned()),
    ];
    if r.escalation_level > 0 {
        rows.push((
            "上报",
            match (&r.department_name, r.department_due_at) {
                (Some(dep), Some(due)) => format!("街道 {dep}，{} 前答复", china_minute(due)),
                (Some(dep), None) => format!("街道 {dep}"),
                _ => "居委会".to_owned(),
            },
        ));
    }
    rows.push((
        "办理结果",
        match r.closed_at {
            Some(t) => format!("{}（{}）", r.result, china_minute(t)),
            None => String::new(),
        },
    ));
    rows.push((
        "回访反馈",
        match r.feedback_result {
            Some(f) => format!(
                "{}，{}{}",
                f.label_zh(),
                r.feedback_how.as_deref().unwrap_or(""),
                r.feedback_at
                    .map(|t| format!("（{}）", china_minute(t)))
                    .unwrap_or_default()
            ),
            None => String::new(),
        },
    ));
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
         <title>任务单 第{id}号</title><style>{STYLE}</style></head><body>\
         <h1>任务单</h1><div class=\"no\">第 {id} 号</div><table>",
        id = r.id
    );
    for (label, value) in &rows {
        let _ = write!(h, "<tr><th>{label}</th><td>{}</td></tr>", esc(value));
    }
    h.push_str("</table><h2>办理经过</h2><table><tr><th>时间</th><th>办理人</th><th>事项</th><th>说明</th></tr>");
    for e in &d.events {
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&china_minute(e.at)),
            esc(e.staff_name.as_deref().unwrap_or("命令行")),
            esc(&e.kind),
            esc(&e.note)
        );
    }
    h.push_str(
        "</table><div class=\"sign\"><span>经办人签字：＿＿＿＿＿＿</span>\
         <span>居民签字：＿＿＿＿＿＿</span><span>日期：＿＿＿＿＿＿</span></div></body></html>",
    );
    h
}

#[cfg(test)]
mod tests {
    use super::esc;

    #[test]
    fn values_are_escaped() {
        assert_eq!(
            esc("<script>\"a\" & 'b'</script>"),
            "&lt;script&gt;&quot;a&quot; &amp; &#39;b&#39;&lt;/script&gt;"
        );
    }
}

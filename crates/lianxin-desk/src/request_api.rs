//! The request endpoints that write (`docs/desk-protocol.md` §10): record a request
//! (`POST /api/requests`) and act on one (`POST /api/requests/{id}/{action}`: assign,
//! start, escalate, resolve, feedback, reopen, thresholds, note).
//!
//! Bodies are strict (an unknown field is a 400 naming it). The workflow rules are the
//! store's; a refusal comes back with its Chinese message and field (403 for a role or
//! block, 409 for a stage, 400 for a value) and nothing changes. Every accepted change
//! is pushed as `request.created` / `request.updated` to the consoles of the responsible
//! person, the block captain, supervisors and admins. "Now" is the desk's clock.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use lianxin_store::request_rules::{Action, DepartmentRef, MAX_TEXT};
use lianxin_store::{Channel, FeedbackResult, NewRequest};
use serde_json::{json, Value};

use crate::api::{id_param, json_object, ApiError};
use crate::app::App;
use crate::auth::Authed;
use crate::request_access::actor;
use crate::request_http::{optional_body, with_requests, Body};

/// The fields of `POST /api/requests`.
const CREATE_FIELDS: &[&str] = &[
    "household_id",
    "resident_id",
    "channel",
    "category_item",
    "category_class",
    "grade",
    "content",
    "responsible_staff_id",
    "caller_name",
    "caller_number",
    "call_id",
    "voice_message_id",
];

/// `POST /api/requests`: 201 with `{"request": …}`.
pub(crate) async fn create(
    State(app): State<Arc<App>>,
    Authed(s): Authed,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let b = Body::new(json_object(body)?, CREATE_FIELDS)?;
    let channel = match b.text("channel", 20)?.as_str() {
        "phone" => Channel::Phone,
        "walk_in" => Channel::WalkIn,
        "visit" => Channel::Visit,
        "" => {
            return Err(ApiError::bad(
                "channel",
                "请选择来源：phone、walk_in 或 visit",
            ))
        }
        _ => {
            return Err(ApiError::bad(
                "channel",
                "来源只能是 phone（热线）、walk_in（来站）或 visit（走访）",
            ))
        }
    };
    let new = NewRequest {
        household_id: b.id("household_id")?,
        resident_id: b.id("resident_id")?,
        channel,
        category_item: b.required("category_item", 40, "请选择诉求类别")?,
        category_class: b.text("category_class", 40)?,
        grade: b.int("grade")?.unwrap_or(1),
        content: b.required("content", MAX_TEXT, "请填写诉求内容")?,
        responsible_staff_id: b.id("responsible_staff_id")?,
        caller_name: b.text("caller_name", 40)?,
        caller_number: b.text("caller_number", 40)?,
        desk_call_id: Some(b.text("call_id", 64)?).filter(|c| !c.is_empty()),
        voice_message_id: b.id("voice_message_id")?,
    };
    let who = actor(&s.staff);
    let now = app.cfg.clock.now();
    let record = with_requests(&app, move |st| st.create(&new, &who, now)).await?;
    tracing::info!(staff = s.staff.id, request = record.id, "request recorded");
    app.hub.request_created(&record);
    Ok((StatusCode::CREATED, Json(json!({ "request": record }))))
}

/// `POST /api/requests/{id}/{action}`: 200 with `{"request": …}`.
pub(crate) async fn act(
    State(app): State<Arc<App>>,
    Authed(s): Authed,
    Path((id, action)): Path<(String, String)>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let id = id_param(&id, "诉求编号不正确")?;
    let obj = optional_body(body)?;
    let (action, note) = parse_action(&action, obj)?;
    let who = actor(&s.staff);
    let now = app.cfg.clock.now();
    let kind = action.name();
    let assign = matches!(action, Action::Assign { .. });
    let change = with_requests(&app, move |st| st.apply(id, &who, &action, &note, now)).await?;
    let record = change.record;
    // Whoever had it before an assign hears that it left them.
    let previous = change.previous_responsible.filter(|_| assign);
    tracing::info!(
        staff = s.staff.id,
        request = id,
        action = kind,
        "request changed"
    );
    app.hub
        .request_updated(&record, kind, Some(s.staff.id), previous);
    Ok(Json(json!({ "request": record })))
}

/// The action named in the path with its body's fields, and the note.
fn parse_action(
    name: &str,
    obj: serde_json::Map<String, Value>,
) -> Result<(Action, String), ApiError> {
    let fields: &'static [&'static str] = match name {
        "assign" => &["staff_id", "note"],
        "start" | "reopen" | "note" => &["note"],
        "escalate" => &["department_id", "note"],
        "resolve" => &["result", "note"],
        "feedback" => &["result", "how", "note"],
        "thresholds" => &["level1_at", "deadline_at", "note"],
        _ => {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "action",
                "不认识的操作；可以是 assign、start、escalate、resolve、feedback、reopen、thresholds、note",
            ))
        }
    };
    let b = Body::new(obj, fields)?;
    let note = b.text("note", MAX_TEXT)?;
    let action = match name {
        "assign" => Action::Assign {
            staff_id: b
                .id("staff_id")?
                .ok_or_else(|| ApiError::bad("staff_id", "请选择责任人"))?,
        },
        "start" => Action::Start,
        "reopen" => Action::Reopen,
        "note" => Action::Note,
        "escalate" => Action::Escalate {
            department: b.id("department_id")?.map(|id| DepartmentRef {
                id,
                answer_days: 0,
            }),
        },
        "resolve" => Action::Resolve {
            result: b.required("result", MAX_TEXT, "请填写办理结果")?,
        },
        "feedback" => Action::Feedback {
            result: match b.text("result", 20)?.as_str() {
                "satisfied" => FeedbackResult::Satisfied,
                "not_satisfied" => FeedbackResult::NotSatisfied,
                "not_reached" => FeedbackResult::NotReached,
                _ => {
                    return Err(ApiError::bad(
                        "result",
                        "反馈结果只能是 satisfied（满意）、not_satisfied（不满意）或 not_reached（未联系上）",
                    ))
                }
            },
            how: b.required("how", 100, "请填写反馈方式（如电话回访、上门）")?,
        },
        _ => {
            let level1 = b
                .time("level1_at")?
                .ok_or_else(|| ApiError::bad("level1_at", "请填写一级示警时间"))?;
            let deadline = b
                .time("deadline_at")?
                .ok_or_else(|| ApiError::bad("deadline_at", "请填写办理时限"))?;
            Action::Thresholds { level1, deadline }
        }
    };
    Ok((action, note))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(name: &str, body: Value) -> Result<Action, String> {
        let Value::Object(obj) = body else { panic!() };
        parse_action(name, obj)
            .map(|(a, _)| a)
            .map_err(|e| e.field().to_owned())
    }

    #[test]
    fn action_bodies_are_strict_and_name_the_field() {
        assert_eq!(parse("start", json!({})), Ok(Action::Start));
        assert_eq!(
            parse("assign", json!({"staff_id": 4})),
            Ok(Action::Assign { staff_id: 4 })
        );
        assert_eq!(parse("assign", json!({})), Err("staff_id".into()));
        assert_eq!(
            parse("assign", json!({"staff_id": "x"})),
            Err("staff_id".into())
        );
        assert_eq!(parse("start", json!({"colour": 1})), Err("colour".into()));
        assert_eq!(
            parse("resolve", json!({"result": ""})),
            Err("result".into())
        );
        assert_eq!(
            parse("feedback", json!({"result": "ok", "how": "电话"})),
            Err("result".into())
        );
        assert_eq!(
            parse("thresholds", json!({"level1_at": "tomorrow"})),
            Err("level1_at".into())
        );
        assert_eq!(parse("dance", json!({})), Err("action".into()));
        assert!(matches!(
            parse("escalate", json!({"department_id": 3})),
            Ok(Action::Escalate {
                department: Some(DepartmentRef { id: 3, .. })
            })
        ));
    }
}

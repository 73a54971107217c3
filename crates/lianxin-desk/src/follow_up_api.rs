//! Follow-ups over HTTP: the households a finished campaign did not reach, on their
//! block captain's list (`docs/desk-protocol.md` §9).
//!
//! A captain sees and closes only the follow-ups of their own blocks; committee staff,
//! supervisors and admins see every one; operators none.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::Json;
use lianxin_store::Role;
use serde_json::{json, Value};

use crate::api::{id_param, json_object, ApiError};
use crate::app::App;
use crate::auth::Authed;
use crate::campaign_access::require_campaign_staff;
use crate::campaign_api::with_store;

/// Longest note when closing a follow-up, in characters.
const MAX_NOTE: usize = 500;

/// `GET /api/follow-ups[?open=true]`.
pub(crate) async fn list(
    State(app): State<Arc<App>>,
    Authed(s): Authed,
    query: Result<Query<HashMap<String, String>>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    require_campaign_staff(&s.staff)?;
    let Query(params) = query.map_err(|_| ApiError::bad("open", "查询参数格式不正确"))?;
    let open_only = match params.get("open").map(String::as_str) {
        None | Some("0") | Some("false") => false,
        Some("1") | Some("true") => true,
        Some(_) => return Err(ApiError::bad("open", "open 只能是 true 或 false")),
    };
    let captain = (s.staff.role == Role::Captain).then_some(s.staff.id);
    let list = with_store(&app, move |st| st.follow_ups(captain, open_only)).await?;
    Ok(Json(json!({ "follow_ups": list })))
}

/// `POST /api/follow-ups/{id}/close` with `{"note": "..."}` (note optional).
pub(crate) async fn close(
    State(app): State<Arc<App>>,
    Authed(s): Authed,
    Path(id): Path<String>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    require_campaign_staff(&s.staff)?;
    let id = id_param(&id, "回访编号不正确")?;
    let empty = matches!(&body, Ok(b) if b.is_empty());
    let obj = if empty {
        Default::default()
    } else {
        json_object(body)?
    };
    if let Some(unknown) = obj.keys().find(|k| k.as_str() != "note") {
        return Err(ApiError::bad(
            unknown.clone(),
            format!("不认识的字段“{unknown}”；只能填写 note"),
        ));
    }
    let note = match obj.get("note") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(n)) if n.chars().count() <= MAX_NOTE => n.trim().to_owned(),
        Some(Value::String(_)) => {
            return Err(ApiError::bad(
                "note",
                format!("备注太长，最多{MAX_NOTE}个字符"),
            ))
        }
        Some(_) => return Err(ApiError::bad("note", "note 应为文字")),
    };
    let staff = s.staff.id;
    let captain = s.staff.role == Role::Captain;
    let closed = with_store(&app, move |st| {
        if captain
            && !st
                .follow_ups(Some(staff), false)?
                .iter()
                .any(|f| f.id == id)
        {
            return Ok(false);
        }
        st.close_follow_up(id, staff, &note).map(|()| true)
    })
    .await
    .map_err(|e| match e.status {
        axum::http::StatusCode::NOT_FOUND => ApiError::new(e.status, "id", "找不到该回访记录"),
        _ => e,
    })?;
    if !closed {
        return Err(ApiError::forbidden(
            "id",
            "包片主任只能处理自己片区的回访记录",
        ));
    }
    tracing::info!(staff, follow_up = id, "follow-up closed");
    Ok(Json(json!({ "id": id, "done": true })))
}

//! Voice messages into requests (`docs/desk-protocol.md` §10): the draft a console
//! fills in (`GET /api/voice-messages/{id}/draft`: the caller's household and number,
//! and the time the message was left, which is when the request's clock starts), and
//! marking a message handled without a request (`POST /api/voice-messages/{id}/handled`).
//!
//! Saving the draft is `POST /api/requests` with `voice_message_id`: the store makes the
//! request and marks the message handled, linked to it, in one transaction.
//!
//! A captain reaches only the messages of households of their blocks (`403 field=id`).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

use crate::api::{id_param, ApiError};
use crate::app::App;
use crate::auth::Authed;
use crate::directory::Staff;
use crate::request_access::require_household;
use crate::request_http::with_requests;
use crate::request_store::VoiceDraft;

/// The voice message, if `staff` may reach it (404 if there is none).
async fn reachable(app: &Arc<App>, staff: &Staff, id: i64) -> Result<VoiceDraft, ApiError> {
    let d = with_requests(app, move |st| st.voice_draft(id))
        .await?
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "id", "找不到该留言"))?;
    if staff.role == lianxin_store::Role::Captain {
        let now = app.cfg.clock.now();
        let card = match d.household_id {
            Some(h) => with_requests(app, move |st| st.household(h, now)).await?,
            None => None,
        };
        match card {
            Some(card) => require_household(staff, &card)?,
            None => {
                return Err(ApiError::forbidden(
                    "id",
                    "包片主任只能处理本片区住户的留言",
                ))
            }
        }
    }
    Ok(d)
}

/// `GET /api/voice-messages/{id}/draft`: a request body to complete and post.
pub(crate) async fn draft(
    State(app): State<Arc<App>>,
    Authed(s): Authed,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = id_param(&id, "留言编号不正确")?;
    let d = reachable(&app, &s.staff, id).await?;
    if d.handled {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "id",
            "该留言已处理过，不能再登记为诉求",
        ));
    }
    tracing::info!(
        staff = s.staff.id,
        voice_message = id,
        "voice message draft"
    );
    Ok(Json(json!({
        "draft": {
            "voice_message_id": d.voice_message_id,
            "channel": "phone",
            "household_id": d.household_id,
            "caller_number": d.caller_number,
            "call_id": d.call_id,
            "created_at": d.left_at,
            "category_item": "",
            "content": "",
        }
    })))
}

/// `POST /api/voice-messages/{id}/handled`: 200 with `{"id": …, "handled": true}`.
pub(crate) async fn handled(
    State(app): State<Arc<App>>,
    Authed(s): Authed,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = id_param(&id, "留言编号不正确")?;
    reachable(&app, &s.staff, id).await?;
    let staff = s.staff.id;
    let now = app.cfg.clock.now();
    with_requests(&app, move |st| st.mark_voice_handled(id, staff, now))
        .await
        .map_err(|e| match e.status {
            StatusCode::NOT_FOUND => ApiError::new(StatusCode::NOT_FOUND, "id", "找不到该留言"),
            _ => e,
        })?;
    tracing::info!(staff, voice_message = id, "voice message handled");
    Ok(Json(json!({ "id": id, "handled": true })))
}

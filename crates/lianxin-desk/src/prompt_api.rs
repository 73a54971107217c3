//! The hotline's prompts (提示音) over HTTP, for admins (`docs/desk-protocol.md` §13.4):
//! list them, listen to one, replace one with an uploaded recording, restore the shipped
//! one. A replacement plays from the next call on, without a restart.
//!
//! Like notices, a prompt is only ever a name from the list the implementation gives; an
//! upload takes the same bounded permit as a notice upload (`notice_api::UploadPermit`)
//! and the same body limit. Every change is audited (who, which prompt, how big).

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::admin_http::require_admin;
use crate::api::ApiError;
use crate::app::App;
use crate::auth::Authed;
use crate::campaign_api::with_store;
use crate::campaigns::CampaignRefused;
use crate::notice_api::{read_upload, UploadPermit, MAX_UPLOAD};
use crate::prompt_control::{PromptControl, PromptInfo};

/// Longest prompt name (the shipped names are far shorter).
const MAX_NAME: usize = 40;

/// The routes (merged by `http`).
pub(crate) fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/api/prompts", get(list))
        .route("/api/prompts/{name}/audio", get(audio))
        .route(
            "/api/prompts/{name}",
            put(replace)
                .delete(restore)
                .layer(axum::extract::DefaultBodyLimit::max(MAX_UPLOAD)),
        )
}

/// The prompt library, or 503 when the server runs without a hotline.
fn control(app: &App) -> Result<Arc<dyn PromptControl>, ApiError> {
    app.prompts.get().cloned().ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "prompt",
            "热线没有运行，暂时不能管理提示音",
        )
        .retry_after(30)
    })
}

/// Runs a blocking call on the library off the request task.
async fn blocking<T: Send + 'static>(
    app: &App,
    f: impl FnOnce(&dyn PromptControl) -> Result<T, CampaignRefused> + Send + 'static,
) -> Result<T, ApiError> {
    let control = control(app)?;
    tokio::task::spawn_blocking(move || f(&*control))
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "prompt library call failed");
            ApiError::internal()
        })?
        .map_err(ApiError::from)
}

/// A name from the URL: `[a-z0-9_]{1,40}`; anything else is no prompt of ours.
fn checked(name: &str) -> Result<(), ApiError> {
    let plain = !name.is_empty()
        && name.len() <= MAX_NAME
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if plain {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "name",
            "没有这个提示音",
        ))
    }
}

/// `GET /api/prompts` → `{"prompts": [{"name", "seconds", "replaced"}]}`.
async fn list(State(app): State<Arc<App>>, Authed(s): Authed) -> Result<Json<Value>, ApiError> {
    require_admin(&s)?;
    let prompts = blocking(&app, |c| Ok(c.list())).await?;
    Ok(Json(json!({ "prompts": prompts })))
}

/// `GET /api/prompts/{name}/audio` → what callers hear, as `audio/wav`.
async fn audio(
    State(app): State<Arc<App>>,
    Authed(s): Authed,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    require_admin(&s)?;
    checked(&name)?;
    let wav = blocking(&app, move |c| c.audio(&name)).await?;
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("audio/wav")),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        wav,
    )
        .into_response())
}

/// `PUT /api/prompts/{name}` with the audio file as the body → the prompt as now played.
async fn replace(
    State(app): State<Arc<App>>,
    Authed(s): Authed,
    Path(name): Path<String>,
    _permit: UploadPermit,
    body: Body,
) -> Result<Json<Value>, ApiError> {
    require_admin(&s)?;
    checked(&name)?;
    let audio = read_upload(body, "prompt").await?;
    let bytes = audio.len();
    let info = blocking(&app, move |c| c.replace(&name, &audio)).await?;
    tracing::info!(staff = s.staff.id, prompt = %info.name, bytes, seconds = info.seconds, "prompt replaced");
    audit(
        &app,
        s.staff.id,
        "prompt.replace",
        &info,
        format!("{bytes} bytes, {} s", info.seconds),
    )
    .await;
    Ok(Json(json!(info)))
}

/// `DELETE /api/prompts/{name}` → the shipped prompt again.
async fn restore(
    State(app): State<Arc<App>>,
    Authed(s): Authed,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    require_admin(&s)?;
    checked(&name)?;
    let info = blocking(&app, move |c| c.restore(&name)).await?;
    tracing::info!(staff = s.staff.id, prompt = %info.name, "prompt restored to the shipped recording");
    audit(&app, s.staff.id, "prompt.restore", &info, "shipped".into()).await;
    Ok(Json(json!(info)))
}

/// Writes the change to the audit log; a failure is logged (the change itself stands).
async fn audit(app: &App, by: i64, action: &'static str, info: &PromptInfo, detail: String) {
    let entity = format!("prompt:{}", info.name);
    if let Err(e) = with_store(app, move |st| st.audit(by, action, &entity, &detail)).await {
        tracing::warn!(status = %e.status, action, "prompt change not audited");
    }
}

#[cfg(test)]
mod tests {
    use super::checked;

    #[test]
    fn prompt_names_are_plain_words() {
        assert!(checked("greeting").is_ok());
        assert!(checked("queue_ahead_1").is_ok());
        assert!(checked("../prompts/greeting").is_err());
        assert!(checked("Greeting").is_err());
        assert!(checked("").is_err());
        assert!(checked(&"a".repeat(41)).is_err());
    }
}

//! Notices (通知录音) over HTTP: `GET /api/notices` lists what campaigns can name,
//! `PUT /api/notices/{name}` uploads an audio file under a name, `DELETE
//! /api/notices/{name}` retires one (`docs/desk-protocol.md` §9).
//!
//! A notice is only ever a name: an upload is stored by the dialer under the name the
//! URL gives, never under a path from the client. The upload routes alone accept a large
//! body (20 MiB, `MAX_UPLOAD`); a permit taken before the body is read keeps at most
//! `MAX_UPLOADS` of them in memory at once, so uploads cannot exhaust memory, and the body
//! is read only after the role and the name are checked ([`read_upload`]), so staff who
//! may not upload cannot hold those permits with large bodies.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde_json::{json, Value};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::api::ApiError;
use crate::app::App;
use crate::auth::Authed;
use crate::campaign_access::require_campaign_staff;
use crate::campaign_api::{control, notices, with_store};
use crate::campaign_request::MAX_NOTICE;
use crate::campaigns::CampaignRefused;

/// Largest audio file accepted (the route's body limit).
pub(crate) const MAX_UPLOAD: usize = 20 * 1024 * 1024;
/// Uploads read at the same time.
pub(crate) const MAX_UPLOADS: usize = 2;

/// The uploads in progress, bounded.
pub(crate) struct Uploads(Arc<Semaphore>);

impl Uploads {
    pub(crate) fn new() -> Self {
        Uploads(Arc::new(Semaphore::new(MAX_UPLOADS)))
    }
}

/// A permit to read one upload's body; 503 when `MAX_UPLOADS` are being read.
pub(crate) struct UploadPermit(#[allow(dead_code)] OwnedSemaphorePermit);

impl FromRequestParts<Arc<App>> for UploadPermit {
    type Rejection = ApiError;

    async fn from_request_parts(_: &mut Parts, app: &Arc<App>) -> Result<Self, ApiError> {
        app.uploads
            .0
            .clone()
            .try_acquire_owned()
            .map(UploadPermit)
            .map_err(|_| {
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "notice",
                    "正在上传其他录音，请稍后再试",
                )
                .retry_after(5)
            })
    }
}

/// `GET /api/notices`.
pub(crate) async fn list(
    State(app): State<Arc<App>>,
    Authed(_): Authed,
) -> Result<Json<Value>, ApiError> {
    let control = control(&app)?;
    Ok(Json(json!({ "notices": notices(&control).await? })))
}

/// `GET /api/notices/{name}/audio` → the notice as `audio/wav` (8 kHz mono), for
/// listening in the console; every signed-in role, like the list. The page fetches it
/// with the `Authorization` header into a blob (no token in a URL).
pub(crate) async fn audio(
    State(app): State<Arc<App>>,
    Authed(s): Authed,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    if !valid_upload_name(&name) {
        return Err(CampaignRefused::no_such_notice().into());
    }
    let control = control(&app)?;
    let wav = control.notice_audio(name.clone()).await?;
    tracing::info!(staff = s.staff.id, notice = %name, "notice played in a console");
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("audio/wav")),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        wav,
    )
        .into_response())
}

/// `[a-z0-9-]{1,40}`, not starting with `-`: the names the dialer keeps uploads under.
fn valid_upload_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_NOTICE
        && !name.starts_with('-')
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Reads an upload's body, at most [`MAX_UPLOAD`] bytes (`413` beyond, an empty one
/// `400`); errors name `field`. Call it after checking who asks and for what.
pub(crate) async fn read_upload(body: Body, field: &'static str) -> Result<Bytes, ApiError> {
    match Limited::new(body, MAX_UPLOAD).collect().await {
        Ok(collected) => {
            let audio = collected.to_bytes();
            if audio.is_empty() {
                Err(ApiError::bad(
                    field,
                    "上传的录音文件是空的；请上传 WAV 或 MP3 文件",
                ))
            } else {
                Ok(audio)
            }
        }
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            field,
            format!("录音文件太大，最多 {} MB", MAX_UPLOAD / 1024 / 1024),
        )),
        Err(_) => Err(ApiError::bad(field, "无法读取上传的录音文件")),
    }
}

/// `PUT /api/notices/{name}` with the audio file as the body → 201 `{"name", "seconds"}`.
pub(crate) async fn upload(
    State(app): State<Arc<App>>,
    Authed(s): Authed,
    Path(name): Path<String>,
    _permit: UploadPermit,
    body: Body,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    require_campaign_staff(&s.staff)?;
    if !valid_upload_name(&name) {
        return Err(ApiError::bad(
            "name",
            format!("录音名称只能用小写字母、数字和 -（不能以 - 开头），最多{MAX_NOTICE}个字符"),
        ));
    }
    let control = control(&app)?;
    let audio = read_upload(body, "notice").await?;
    let bytes = audio.len();
    let info = control.add_notice(name.clone(), audio.to_vec()).await?;
    tracing::info!(staff = s.staff.id, notice = %info.name, bytes, seconds = info.seconds, "notice uploaded");
    let (by, detail) = (s.staff.id, format!("{bytes} bytes, {} s", info.seconds));
    let entity = format!("notice:{}", info.name);
    if let Err(e) = with_store(&app, move |st| {
        st.audit(by, "notice.upload", &entity, &detail)
    })
    .await
    {
        tracing::warn!(status = %e.status, "notice upload not audited");
    }
    Ok((
        StatusCode::CREATED,
        Json(json!({ "name": info.name, "seconds": info.seconds })),
    ))
}

/// `DELETE /api/notices/{name}` → 204: the notice is retired (停用), by the staff who may
/// upload one.
pub(crate) async fn retire(
    State(app): State<Arc<App>>,
    Authed(s): Authed,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    require_campaign_staff(&s.staff)?;
    if !valid_upload_name(&name) {
        return Err(CampaignRefused::no_such_notice().into());
    }
    let control = control(&app)?;
    control.retire_notice(name.clone()).await?;
    tracing::info!(staff = s.staff.id, notice = %name, "notice retired");
    let by = s.staff.id;
    let entity = format!("notice:{name}");
    if let Err(e) = with_store(&app, move |st| {
        st.audit(by, "notice.retire", &entity, "retired")
    })
    .await
    {
        tracing::warn!(status = %e.status, "notice retirement not audited");
    }
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::valid_upload_name;

    #[test]
    fn upload_names_are_plain_words() {
        assert!(valid_upload_name("notice-water-2026"));
        assert!(!valid_upload_name("../etc/passwd"));
        assert!(!valid_upload_name("a/b"));
        assert!(!valid_upload_name("Notice"));
        assert!(!valid_upload_name("-x"));
        assert!(!valid_upload_name(""));
        assert!(!valid_upload_name(&"a".repeat(41)));
    }
}

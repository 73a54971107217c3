//! The shape of every API answer and the parsing of request bodies and ids, shared by
//! the handlers in `http` and `auth`.
//!
//! Every error is JSON `{"error": "<中文 message>", "field": "<field>"}` with the right
//! status, so the console can show the message next to the field at fault.

use std::borrow::Cow;

use axum::body::Bytes;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};

use crate::directory::DirectoryError;

/// An API error: status, message for the user, and the field at fault.
#[derive(Debug)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    message: Cow<'static, str>,
    field: Cow<'static, str>,
    /// Seconds for a `Retry-After` header (429 and 503 answers).
    retry_after: Option<u64>,
}

impl ApiError {
    pub(crate) fn new(
        status: StatusCode,
        field: impl Into<Cow<'static, str>>,
        message: impl Into<Cow<'static, str>>,
    ) -> Self {
        ApiError {
            status,
            message: message.into(),
            field: field.into(),
            retry_after: None,
        }
    }

    /// The same error, telling the client to retry after `secs` seconds.
    pub(crate) fn retry_after(mut self, secs: u64) -> Self {
        self.retry_after = Some(secs.max(1));
        self
    }

    pub(crate) fn bad(
        field: impl Into<Cow<'static, str>>,
        message: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self::new(StatusCode::BAD_REQUEST, field, message)
    }

    pub(crate) fn forbidden(
        field: impl Into<Cow<'static, str>>,
        message: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self::new(StatusCode::FORBIDDEN, field, message)
    }

    /// The field at fault (tests look at it).
    #[cfg(test)]
    pub(crate) fn field(&self) -> &str {
        &self.field
    }

    pub(crate) fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server",
            "服务器内部错误，请稍后再试",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut resp = (
            self.status,
            Json(json!({ "error": self.message, "field": self.field })),
        )
            .into_response();
        if let Some(secs) = self.retry_after {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        resp
    }
}

impl From<DirectoryError> for ApiError {
    fn from(e: DirectoryError) -> Self {
        match e {
            DirectoryError::NotFound { field } => {
                ApiError::new(StatusCode::NOT_FOUND, field, "找不到该记录，请确认后再试")
            }
            DirectoryError::Invalid { field, message } => ApiError::bad(field, message),
            DirectoryError::Conflict { field, message } => {
                ApiError::new(StatusCode::CONFLICT, field, message)
            }
            DirectoryError::Backend(detail) => {
                tracing::error!(%detail, "directory failed");
                ApiError::internal()
            }
        }
    }
}

/// Runs `f` with the directory on the blocking pool. `f` answers `None` when this server
/// lacks the side of the store it needs (no database): that is `503` naming `field`,
/// saying `message`. Every `with_*` helper of the endpoints (campaigns, requests,
/// reports, visits, admin, units) is this with its own side and words.
pub(crate) async fn on_directory<T, E>(
    app: &crate::app::App,
    field: &'static str,
    message: &'static str,
    f: impl FnOnce(&dyn crate::directory::Directory) -> Option<Result<T, E>> + Send + 'static,
) -> Result<T, ApiError>
where
    T: Send + 'static,
    E: Into<ApiError> + Send + 'static,
{
    let dir = app.directory.clone();
    match tokio::task::spawn_blocking(move || f(&*dir)).await {
        Ok(Some(r)) => r.map_err(Into::into),
        Ok(None) => Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            field,
            message,
        )),
        Err(e) => {
            tracing::error!(error = %e, "directory task failed");
            Err(ApiError::internal())
        }
    }
}

/// Runs a directory call on the blocking pool.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, DirectoryError> + Send + 'static,
) -> Result<T, ApiError> {
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r.map_err(ApiError::from),
        Err(e) => {
            tracing::error!(error = %e, "directory task failed");
            Err(ApiError::internal())
        }
    }
}

/// Parses a JSON object body, naming `body` on failure.
pub(crate) fn json_object(
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Map<String, Value>, ApiError> {
    let body = body.map_err(|e| ApiError::new(e.status(), "body", "请求内容过大或无法读取"))?;
    match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(ApiError::bad("body", "请求内容必须是 JSON 对象")),
    }
}

/// A required, non-empty string field of at most `max` characters.
pub(crate) fn text_field(
    obj: &Map<String, Value>,
    field: &'static str,
    missing: &'static str,
    max: usize,
) -> Result<String, ApiError> {
    match obj.get(field) {
        Some(Value::String(s)) if !s.trim().is_empty() => {
            if s.chars().count() > max {
                Err(ApiError::bad(field, format!("内容太长，最多{max}个字符")))
            } else {
                Ok(s.clone())
            }
        }
        Some(Value::String(_)) | None | Some(Value::Null) => Err(ApiError::bad(field, missing)),
        Some(_) => Err(ApiError::bad(field, "格式不正确，应为文字")),
    }
}

pub(crate) fn id_param(raw: &str, message: &'static str) -> Result<i64, ApiError> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| ApiError::bad("id", message))
}

impl From<crate::campaigns::CampaignRefused> for ApiError {
    fn from(r: crate::campaigns::CampaignRefused) -> Self {
        let status = StatusCode::from_u16(r.status)
            .ok()
            .filter(|s| s.is_client_error() || s.is_server_error())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let field = r.field.unwrap_or_else(|| "campaign".to_owned());
        ApiError::new(status, field, r.message)
    }
}

//! What the request endpoints share: running a call on the store's request side (503
//! without one), turning its errors into API answers, and reading the optional fields
//! of a strict JSON body (an unknown field is a 400 naming it).

use axum::http::StatusCode;
use serde_json::{Map, Value};

use crate::api::ApiError;
use crate::app::App;
use crate::request_store::{RequestError, RequestStore};

impl From<RequestError> for ApiError {
    fn from(e: RequestError) -> Self {
        use lianxin_store::RequestRefused as R;
        match e {
            RequestError::Refused(R::Forbidden { field, message }) => {
                ApiError::forbidden(field, message)
            }
            RequestError::Refused(R::Stage { field, message }) => {
                ApiError::new(StatusCode::CONFLICT, field, message)
            }
            RequestError::Refused(R::Invalid { field, message }) => ApiError::bad(field, message),
            RequestError::NotFound { field } => {
                ApiError::new(StatusCode::NOT_FOUND, field, "找不到该诉求")
            }
            RequestError::Backend(detail) => {
                tracing::error!(%detail, "request store failed");
                ApiError::internal()
            }
        }
    }
}

/// Runs `f` on the store's request side on the blocking pool; 503 if there is none.
pub(crate) async fn with_requests<T: Send + 'static>(
    app: &App,
    f: impl FnOnce(&dyn RequestStore) -> Result<T, RequestError> + Send + 'static,
) -> Result<T, ApiError> {
    crate::api::on_directory(
        app,
        "request",
        "该服务器没有诉求数据库，无法登记或查看诉求",
        move |d| d.requests().map(f),
    )
    .await
}

/// A strict JSON body: fields outside its list are refused, each field is read with the
/// type it must have.
pub(crate) struct Body {
    obj: Map<String, Value>,
}

impl Body {
    /// Wraps a parsed object; only `allowed` fields are accepted.
    pub(crate) fn new(
        obj: Map<String, Value>,
        allowed: &'static [&'static str],
    ) -> Result<Body, ApiError> {
        if let Some(unknown) = obj.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(ApiError::bad(
                unknown.clone(),
                format!("不认识的字段“{unknown}”；可以填写：{}", allowed.join("、")),
            ));
        }
        Ok(Body { obj })
    }

    /// An optional positive id.
    pub(crate) fn id(&self, field: &'static str) -> Result<Option<i64>, ApiError> {
        match self.obj.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v
                .as_i64()
                .filter(|i| *i > 0)
                .map(Some)
                .ok_or_else(|| ApiError::bad(field, "编号应为正整数")),
        }
    }

    /// An optional integer.
    pub(crate) fn int(&self, field: &'static str) -> Result<Option<i64>, ApiError> {
        match self.obj.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v
                .as_i64()
                .map(Some)
                .ok_or_else(|| ApiError::bad(field, "应为整数")),
        }
    }

    /// An optional boolean.
    pub(crate) fn flag(&self, field: &'static str) -> Result<Option<bool>, ApiError> {
        match self.obj.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(ApiError::bad(field, "应为 true 或 false")),
        }
    }

    /// Optional text of at most `max` characters (`""` when absent).
    pub(crate) fn text(&self, field: &'static str, max: usize) -> Result<String, ApiError> {
        match self.obj.get(field) {
            None | Some(Value::Null) => Ok(String::new()),
            Some(Value::String(s)) if s.chars().count() <= max => Ok(s.trim().to_owned()),
            Some(Value::String(_)) => {
                Err(ApiError::bad(field, format!("内容太长，最多{max}个字符")))
            }
            Some(_) => Err(ApiError::bad(field, "格式不正确，应为文字")),
        }
    }

    /// Required text.
    pub(crate) fn required(
        &self,
        field: &'static str,
        max: usize,
        missing: &'static str,
    ) -> Result<String, ApiError> {
        let t = self.text(field, max)?;
        if t.is_empty() {
            Err(ApiError::bad(field, missing))
        } else {
            Ok(t)
        }
    }

    /// An optional RFC 3339 time.
    pub(crate) fn time(
        &self,
        field: &'static str,
    ) -> Result<Option<chrono::DateTime<chrono::Utc>>, ApiError> {
        match self.obj.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => chrono::DateTime::parse_from_rfc3339(s)
                .map(|t| Some(t.to_utc()))
                .map_err(|_| {
                    ApiError::bad(field, "时间格式不正确，应如 2026-03-02T09:00:00+08:00")
                }),
            Some(_) => Err(ApiError::bad(field, "时间应为文字")),
        }
    }
}

/// An optional JSON body: empty means `{}`.
pub(crate) fn optional_body(
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Map<String, Value>, ApiError> {
    if matches!(&body, Ok(b) if b.is_empty()) {
        return Ok(Map::new());
    }
    crate::api::json_object(body)
}

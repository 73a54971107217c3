//! HTTP routes: the console page, log-in, the resident look-ups, the server figures
//! (`/api/stats`, supervisors and admins) and the WebSocket upgrade.
//!
//! Every error is JSON `{"error": "<中文 message>", "field": "<field>"}` with the right
//! status, so the console can show the message next to the field at fault. Everything
//! but `/`, `/api/login` and `/api/logout` needs a session token, given as
//! `Authorization: Bearer <token>` or `?token=<token>` (the WebSocket and `<audio>`
//! cannot set headers).

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Map, Value};

use crate::app::App;
use crate::directory::DirectoryError;
use crate::session::Session;

const CONSOLE_PAGE: &str = include_str!("console.html");

pub(crate) fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/", get(console_page))
        .route("/api/login", post(login))
        .route("/api/logout", post(logout))
        .route("/api/session", get(session_info))
        .route("/api/households/search", get(search))
        .route("/api/households/{id}/numbers", post(attach_number))
        .route("/api/voice-messages", get(voice_messages))
        .route("/api/voice-messages/{id}/audio", get(voice_audio))
        .route("/api/stats", get(stats))
        .route("/api/stats/reset", post(reset_stats))
        .route("/ws", get(websocket))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(64 * 1024))
        .with_state(app)
}

/// An API error: status, message for the user, and the field at fault.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    message: Cow<'static, str>,
    field: &'static str,
}

impl ApiError {
    fn new(status: StatusCode, field: &'static str, message: impl Into<Cow<'static, str>>) -> Self {
        ApiError {
            status,
            message: message.into(),
            field,
        }
    }

    fn bad(field: &'static str, message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, field, message)
    }

    fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server",
            "服务器内部错误，请稍后再试",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(json!({ "error": self.message, "field": self.field })),
        )
            .into_response()
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

/// Runs a directory call on the blocking pool.
async fn blocking<T: Send + 'static>(
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

/// A request from a logged-in staff member.
pub(crate) struct Authed(Session);

impl FromRequestParts<Arc<App>> for Authed {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, ApiError> {
        let token = token_of(&parts.headers, &parts.uri)
            .ok_or_else(|| ApiError::new(StatusCode::UNAUTHORIZED, "token", "请先登录"))?;
        app.sessions
            .check(token, Instant::now())
            .map(Authed)
            .ok_or_else(|| {
                ApiError::new(StatusCode::UNAUTHORIZED, "token", "登录已过期，请重新登录")
            })
    }
}

fn token_of<'a>(headers: &'a HeaderMap, uri: &'a Uri) -> Option<&'a str> {
    if let Some(h) = headers.get(header::AUTHORIZATION) {
        if let Some(t) = h.to_str().ok().and_then(|v| v.strip_prefix("Bearer ")) {
            return Some(t.trim());
        }
    }
    uri.query()?
        .split('&')
        .find_map(|kv| kv.strip_prefix("token="))
}

/// Parses a JSON object body, naming `body` on failure.
fn json_object(
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Map<String, Value>, ApiError> {
    let body = body.map_err(|e| ApiError::new(e.status(), "body", "请求内容过大或无法读取"))?;
    match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(ApiError::bad("body", "请求内容必须是 JSON 对象")),
    }
}

/// A required, non-empty string field of at most `max` characters.
fn text_field(
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

fn id_param(raw: &str, message: &'static str) -> Result<i64, ApiError> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| ApiError::bad("id", message))
}

async fn console_page() -> impl IntoResponse {
    (
        [
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            (
                header::HeaderName::from_static("x-content-type-options"),
                HeaderValue::from_static("nosniff"),
            ),
        ],
        Html(CONSOLE_PAGE),
    )
}

async fn login(
    State(app): State<Arc<App>>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let obj = json_object(body)?;
    let username = text_field(&obj, "username", "请输入用户名", 64)?;
    let password = text_field(&obj, "password", "请输入密码", 128)?;
    let dir = app.directory.clone();
    let user = username.trim().to_owned();
    let staff = blocking(move || dir.verify_login(&user, &password)).await?;
    let Some(staff) = staff else {
        tracing::info!("desk log-in refused");
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "password",
            "用户名或密码不正确",
        ));
    };
    let session = app.sessions.open(staff, Instant::now()).map_err(|_| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "username",
            "登录人数过多，请稍后再试",
        )
    })?;
    tracing::info!(staff = session.staff.id, "desk log-in");
    Ok(Json(json!({
        "token": &*session.token,
        "staff": &*session.staff,
        "expires_in_s": app.sessions.ttl().as_secs(),
    })))
}

async fn logout(State(app): State<Arc<App>>, headers: HeaderMap, uri: Uri) -> StatusCode {
    if let Some(token) = token_of(&headers, &uri) {
        if app.sessions.close(token) {
            app.hub.kick_token(token);
        }
    }
    StatusCode::NO_CONTENT
}

async fn session_info(State(app): State<Arc<App>>, Authed(s): Authed) -> Json<Value> {
    Json(json!({
        "staff": &*s.staff,
        "state": app.hub.operator_state(s.staff.id),
    }))
}

async fn search(
    State(app): State<Arc<App>>,
    Authed(s): Authed,
    query: Result<Query<HashMap<String, String>>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(params) = query.map_err(|_| ApiError::bad("q", "查询参数格式不正确"))?;
    let q = params.get("q").map(|q| q.trim()).unwrap_or("");
    if q.is_empty() {
        return Err(ApiError::bad("q", "请输入要查找的姓名、地址或电话号码"));
    }
    if q.chars().count() > 64 {
        return Err(ApiError::bad("q", "查找内容太长，最多64个字符"));
    }
    let max = app.cfg.search_limit.max(1);
    let limit = match params.get("limit") {
        None => max,
        Some(l) => l
            .parse::<usize>()
            .ok()
            .filter(|l| (1..=max).contains(l))
            .ok_or_else(|| ApiError::bad("limit", format!("limit 应在1到{max}之间")))?,
    };
    tracing::info!(staff = s.staff.id, "household search");
    let dir = app.directory.clone();
    let q = q.to_owned();
    let hits = blocking(move || dir.search_households(&q, limit)).await?;
    Ok(Json(json!({ "households": hits })))
}

async fn attach_number(
    State(app): State<Arc<App>>,
    Authed(s): Authed,
    Path(id): Path<String>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let household = id_param(&id, "住户编号不正确")?;
    let obj = json_object(body)?;
    let number = text_field(&obj, "number", "请输入电话号码", 40)?;
    let dir = app.directory.clone();
    let staff_id = s.staff.id;
    let attached = blocking(move || dir.attach_number(household, number.trim(), staff_id))
        .await
        .map_err(|e| match e.status {
            StatusCode::NOT_FOUND => ApiError::new(StatusCode::NOT_FOUND, "id", "找不到该住户"),
            _ => e,
        })?;
    tracing::info!(staff = staff_id, household, "number attached");
    Ok((StatusCode::CREATED, Json(json!(attached))))
}

async fn voice_messages(
    State(app): State<Arc<App>>,
    Authed(_): Authed,
    query: Result<Query<HashMap<String, String>>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(params) = query.map_err(|_| ApiError::bad("open", "查询参数格式不正确"))?;
    let open_only = match params.get("open").map(String::as_str) {
        None | Some("0") | Some("false") => false,
        Some("1") | Some("true") => true,
        Some(_) => return Err(ApiError::bad("open", "open 只能是 true 或 false")),
    };
    let dir = app.directory.clone();
    let list = blocking(move || dir.voice_messages(open_only)).await?;
    Ok(Json(json!({ "voice_messages": list })))
}

async fn voice_audio(
    State(app): State<Arc<App>>,
    Authed(s): Authed,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = id_param(&id, "留言编号不正确")?;
    let dir = app.directory.clone();
    let path = blocking(move || dir.voice_message_audio(id))
        .await?
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "id", "找不到该留言"))?;
    let file = tokio::fs::File::open(&path).await.map_err(|e| {
        tracing::warn!(error = %e, id, "voice message file missing");
        ApiError::new(StatusCode::NOT_FOUND, "id", "该留言的录音文件不存在")
    })?;
    let len = file.metadata().await.map(|m| m.len()).ok();
    tracing::info!(staff = s.staff.id, id, "voice message played");
    let mut resp = Body::from_stream(tokio_util::io::ReaderStream::new(file)).into_response();
    let headers = resp.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("audio/wav"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Some(len) = len {
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    }
    Ok(resp)
}

/// Refuses staff who may not see the server's figures (only supervisors and admins).
fn require_watcher(s: &Session) -> Result<(), ApiError> {
    if s.staff.role.watches_operators() {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "role",
            "只有督导或管理员可以查看服务器统计",
        ))
    }
}

async fn stats(State(app): State<Arc<App>>, Authed(s): Authed) -> Result<Json<Value>, ApiError> {
    require_watcher(&s)?;
    Ok(Json(stats_json(&app)))
}

async fn reset_stats(
    State(app): State<Arc<App>>,
    Authed(s): Authed,
) -> Result<Json<Value>, ApiError> {
    require_watcher(&s)?;
    app.hub.latency.reset();
    tracing::info!(staff = s.staff.id, "pop latency histogram reset");
    Ok(Json(stats_json(&app)))
}

/// The desk's figures: pop latency (microseconds) and the hub's counters.
fn stats_json(app: &App) -> Value {
    let l = app.hub.latency.summary();
    let us = |d: std::time::Duration| u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
    let c = &app.hub.counters;
    json!({
        "pop_latency_us": {
            "count": l.count,
            "min": us(l.min),
            "median": us(l.median),
            "p99": us(l.p99),
            "max": us(l.max),
            "mean": us(l.mean),
        },
        "consoles": app.hub.console_count(),
        "live_calls": app.hub.live_calls(),
        "published": c.published.load(Ordering::Relaxed),
        "frames_written": c.frames_written.load(Ordering::Relaxed),
        "dropped_slow": c.dropped_slow.load(Ordering::Relaxed),
    })
}

async fn websocket(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    uri: Uri,
    upgrade: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Result<Response, ApiError> {
    let token = token_of(&headers, &uri)
        .ok_or_else(|| ApiError::new(StatusCode::UNAUTHORIZED, "token", "请先登录"))?;
    let session = app.sessions.check(token, Instant::now()).ok_or_else(|| {
        ApiError::new(StatusCode::UNAUTHORIZED, "token", "登录已过期，请重新登录")
    })?;
    let upgrade = upgrade.map_err(|_| {
        ApiError::new(
            StatusCode::UPGRADE_REQUIRED,
            "upgrade",
            "此地址只接受 WebSocket 连接",
        )
    })?;
    if app.hub.console_count() >= app.cfg.max_consoles {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "ws",
            "在线控制台过多，请稍后再试",
        ));
    }
    let max_write = app.cfg.max_write_buffer.max(2 << 10);
    let max_in = app.cfg.max_incoming_message.max(1 << 10);
    let app2 = app.clone();
    Ok(upgrade
        .write_buffer_size((max_write / 2).min(128 << 10))
        .max_write_buffer_size(max_write)
        .max_message_size(max_in)
        .max_frame_size(max_in)
        .on_upgrade(move |socket| crate::ws::run(socket, app2, session)))
}

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "path", "找不到该页面")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method", "不支持该请求方式")
}

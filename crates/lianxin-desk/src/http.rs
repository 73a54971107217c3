//! HTTP routes: the console page, `/healthz`, log-in and tickets (handlers in `auth`),
//! the resident look-ups, the server figures (`/api/stats`, supervisors and admins),
//! the group-call routes (handlers in `campaign_api`, `campaign_reads`, `notice_api`,
//! `follow_up_api`) and the WebSocket upgrade. Bodies are limited to 64 KiB, except a
//! notice upload (20 MiB, that route only) and a register upload (16 MiB, `import_api`).
//!
//! Every error is JSON `{"error": "<中文 message>", "field": "<field>"}` with the right
//! status (see `api`). Everything but `/`, `/healthz`, `/api/login` and `/api/logout`
//! needs a session: the token in `Authorization: Bearer <token>`, or — for the WebSocket
//! and `<audio>`, which cannot set headers — a one-use `?ticket=` (never the token in
//! the URL). Captains read only their own blocks' households and voice messages
//! (`access`).

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::access;
use crate::api::{blocking, id_param, json_object, text_field, ApiError};
use crate::app::App;
use crate::auth::{self, Authed};
use crate::hub::Refused;
use crate::session::Session;
use crate::ws::refused_message;
use crate::{campaign_api, campaign_reads, follow_up_api, notice_api};

pub(crate) fn router(app: Arc<App>) -> Router {
    Router::new()
        .merge(crate::assets::router())
        .route("/healthz", get(healthz))
        .route("/api/login", post(auth::login))
        .route("/api/logout", post(auth::logout))
        .route("/api/ticket", post(auth::ticket))
        .route("/api/session", get(session_info))
        .route("/api/households/search", get(search))
        .route("/api/households/{id}/numbers", post(attach_number))
        .route("/api/voice-messages", get(voice_messages))
        .route("/api/voice-messages/{id}/audio", get(voice_audio))
        .route("/api/stats", get(stats))
        .route("/api/stats/reset", post(reset_stats))
        .route(
            "/api/campaigns",
            get(campaign_reads::list).post(campaign_api::start),
        )
        .route("/api/campaigns/preview", post(campaign_api::preview))
        .route("/api/campaigns/{id}", get(campaign_reads::show))
        .route("/api/campaigns/{id}/pause", post(campaign_api::pause))
        .route("/api/campaigns/{id}/resume", post(campaign_api::resume))
        .route("/api/campaigns/{id}/cancel", post(campaign_api::cancel))
        .route("/api/campaigns/{id}/report", get(campaign_reads::report))
        .route(
            "/api/campaigns/{id}/attempts",
            get(campaign_reads::attempts),
        )
        .route("/api/notices", get(notice_api::list))
        .route("/api/notices/{name}/audio", get(notice_api::audio))
        .route(
            "/api/notices/{name}",
            put(notice_api::upload)
                .delete(notice_api::retire)
                .layer(DefaultBodyLimit::max(notice_api::MAX_UPLOAD)),
        )
        .route(
            "/api/phone-groups",
            get(crate::group_api::list).post(crate::group_admin_api::create),
        )
        .route("/api/follow-ups", get(follow_up_api::list))
        .route("/api/follow-ups/{id}/close", post(follow_up_api::close))
        .route("/ws", get(websocket))
        .merge(crate::request_routes::routes())
        .merge(crate::report_api::routes())
        .merge(crate::unit_api::routes())
        .merge(crate::visit_api::routes())
        .merge(crate::import_api::routes())
        .merge(crate::staff_api::routes())
        .merge(crate::group_admin_api::routes())
        .merge(crate::hours_api::routes())
        .merge(crate::prompt_api::routes())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(64 * 1024))
        .with_state(app)
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
    let scope = access::household_scope(&s);
    let hits = blocking(move || dir.search_households_in(&q, limit, scope)).await?;
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
    let readable = access::readable_households(&app, &s).await?;
    if !access::may_read(&readable, Some(household)) {
        return Err(ApiError::new(StatusCode::NOT_FOUND, "id", "找不到该住户"));
    }
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
    Authed(s): Authed,
    query: Result<Query<HashMap<String, String>>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(params) = query.map_err(|_| ApiError::bad("open", "查询参数格式不正确"))?;
    let open_only = match params.get("open").map(String::as_str) {
        None | Some("0") | Some("false") => false,
        Some("1") | Some("true") => true,
        Some(_) => return Err(ApiError::bad("open", "open 只能是 true 或 false")),
    };
    let readable = access::readable_households(&app, &s).await?;
    let dir = app.directory.clone();
    let mut list = blocking(move || dir.voice_messages(open_only)).await?;
    list.retain(|m| access::may_read(&readable, m.household_id));
    Ok(Json(json!({ "voice_messages": list })))
}

async fn voice_audio(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let s = auth::session_of(&app, &headers, &uri).await?;
    let id = id_param(&id, "留言编号不正确")?;
    let readable = access::readable_households(&app, &s).await?;
    if readable.is_some() {
        // A captain hears only their blocks' messages; anything else does not exist.
        let dir = app.directory.clone();
        let list = blocking(move || dir.voice_messages(false)).await?;
        let household = list
            .iter()
            .find(|m| m.id == id)
            .and_then(|m| m.household_id);
        if !access::may_read(&readable, household) {
            return Err(ApiError::new(StatusCode::NOT_FOUND, "id", "找不到该留言"));
        }
    }
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
    let session = auth::session_of(&app, &headers, &uri).await?;
    let upgrade = upgrade.map_err(|_| {
        ApiError::new(
            StatusCode::UPGRADE_REQUIRED,
            "upgrade",
            "此地址只接受 WebSocket 连接",
        )
    })?;
    if app.hub.staff_console_count(session.staff.id) >= app.cfg.max_consoles_per_staff {
        tracing::info!(
            staff = session.staff.id,
            "console refused: too many of theirs"
        );
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "ws",
            refused_message(Refused::PerStaff),
        ));
    }
    if app.hub.console_count() >= app.cfg.max_consoles {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "ws",
            refused_message(Refused::Full),
        )
        .retry_after(5));
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

/// `GET /healthz`: 200 while every part answers, 503 otherwise; each part by name.
async fn healthz(State(app): State<Arc<App>>) -> Response {
    let (ok, parts) = app.health.check(app.directory.clone()).await;
    let status = if ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = json!({ "status": if ok { "ok" } else { "failing" }, "parts": parts });
    (
        status,
        [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
        Json(body),
    )
        .into_response()
}

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "path", "找不到该页面")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method", "不支持该请求方式")
}

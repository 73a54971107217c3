//! Who is asking: log-in (throttled, checked on the password threads), log-out, one-use
//! tickets, and the extractor that turns a request into a live [`Session`].
//!
//! A session token is accepted only in the `Authorization: Bearer` header; a token in the
//! URL (`?token=`) is refused, because URLs end up in proxy logs. The WebSocket and
//! `<audio>` (which cannot set headers) use `?ticket=` instead: a 30-second, one-use ticket
//! from `POST /api/ticket`. Every authenticated request re-reads the staff row's
//! fingerprint (one indexed read), so a password, role or account change — also one made
//! by `lianxin staff` in another process — ends the session at its next request; the
//! `recheck` task does the same for open WebSockets every few seconds.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::Json;
use serde_json::{json, Value};

use crate::api::{blocking, json_object, text_field, ApiError};
use crate::app::App;
use crate::checker::Busy;
use crate::session::Session;

/// A request from a logged-in staff member (token in the header).
pub(crate) struct Authed(pub(crate) Session);

impl FromRequestParts<Arc<App>> for Authed {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, ApiError> {
        refuse_token_in_url(&parts.uri)?;
        let token = bearer(&parts.headers).ok_or_else(not_logged_in)?;
        let session = app
            .sessions
            .check(token, Instant::now())
            .ok_or_else(expired)?;
        still_valid(app, session).await.map(Authed)
    }
}

/// The session of a request that may carry a one-use `?ticket=` instead of the header
/// (the WebSocket upgrade and voice-message audio).
pub(crate) async fn session_of(
    app: &Arc<App>,
    headers: &HeaderMap,
    uri: &Uri,
) -> Result<Session, ApiError> {
    refuse_token_in_url(uri)?;
    let now = Instant::now();
    let token: Arc<str> = if let Some(ticket) = query_param(uri, "ticket") {
        app.tickets.redeem(ticket, now).ok_or_else(|| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "ticket",
                "票据无效、已使用或已过期，请重新获取",
            )
        })?
    } else {
        bearer(headers).ok_or_else(not_logged_in)?.into()
    };
    let session = app.sessions.check(&token, now).ok_or_else(expired)?;
    still_valid(app, session).await
}

/// Re-reads the staff row's fingerprint; a changed or disabled account ends every
/// session opened before the change.
async fn still_valid(app: &Arc<App>, session: Session) -> Result<Session, ApiError> {
    let dir = app.directory.clone();
    let id = session.staff.id;
    let current = blocking(move || dir.fingerprint(id)).await?;
    if current.as_deref() == Some(&*session.fingerprint) {
        return Ok(session);
    }
    app.revoke_stale(id, current.as_deref());
    Err(ApiError::new(
        StatusCode::UNAUTHORIZED,
        "token",
        "账号的密码或权限已变更，请重新登录",
    ))
}

fn not_logged_in() -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, "token", "请先登录")
}

fn expired() -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, "token", "登录已过期，请重新登录")
}

fn refuse_token_in_url(uri: &Uri) -> Result<(), ApiError> {
    match query_param(uri, "token") {
        Some(_) => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "token",
            "登录令牌不能放在网址中；请用 Authorization 请求头，或先获取一次性票据（ticket）",
        )),
        None => Ok(()),
    }
}

pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    let h = headers.get(header::AUTHORIZATION)?;
    h.to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

fn query_param<'a>(uri: &'a Uri, name: &str) -> Option<&'a str> {
    uri.query()?.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        (k == name).then_some(v)
    })
}

pub(crate) async fn login(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let obj = json_object(body)?;
    let username = text_field(&obj, "username", "请输入用户名", 64)?;
    let password = text_field(&obj, "password", "请输入密码", 128)?;
    let user = username.trim().to_owned();
    let wait = app.throttle.wait(peer.ip(), &user, Instant::now());
    if !wait.is_zero() {
        let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        tracing::info!(secs, "desk log-in refused: too many failed attempts");
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "username",
            format!("登录尝试过多，请 {secs} 秒后再试"),
        )
        .retry_after(secs));
    }
    let dir = app.directory.clone();
    let name = user.clone();
    let checked = app
        .checker
        .run(move || dir.verify_login(&name, &password))
        .await
        .map_err(|Busy| {
            tracing::warn!("desk log-in refused: password checks busy");
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "username",
                "登录请求过多，请稍后再试",
            )
            .retry_after(1)
        })?;
    let Some(login) = checked? else {
        app.throttle.failed(peer.ip(), &user, Instant::now());
        tracing::info!("desk log-in refused");
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "password",
            "用户名或密码不正确",
        ));
    };
    app.throttle.succeeded(&user);
    let session = app
        .sessions
        .open(login.staff, &login.fingerprint, Instant::now())
        .map_err(|_| {
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

pub(crate) async fn logout(State(app): State<Arc<App>>, headers: HeaderMap) -> StatusCode {
    if let Some(token) = bearer(&headers) {
        if app.sessions.close(token) {
            app.hub.kick_token(token);
        }
    }
    StatusCode::NO_CONTENT
}

/// `POST /api/ticket`: a one-use ticket for the WebSocket or a voice message's audio.
pub(crate) async fn ticket(
    State(app): State<Arc<App>>,
    Authed(s): Authed,
) -> Result<Json<Value>, ApiError> {
    let ticket = app
        .tickets
        .issue(s.token.clone(), Instant::now())
        .map_err(|_| {
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "ticket",
                "服务器繁忙，请稍后再试",
            )
            .retry_after(1)
        })?;
    Ok(Json(json!({
        "ticket": ticket,
        "expires_in_s": app.tickets.ttl().as_secs(),
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_params_match_whole_names() {
        let uri: Uri = "/ws?x=1&ticket=abc&token2=z".parse().unwrap();
        assert_eq!(query_param(&uri, "ticket"), Some("abc"));
        assert_eq!(query_param(&uri, "token"), None);
        let uri: Uri = "/ws?token=abc".parse().unwrap();
        assert!(refuse_token_in_url(&uri).is_err());
    }
}

//! Home visits, the 民生信号灯 rhythm and the daily work log over HTTP
//! (`docs/desk-protocol.md` §10.8): the captains' workbench records a visit (with the
//! requests raised on it), lists a household's visits or their own visit log, sets a
//! household's visit rhythm, reads the households due for a visit, and keeps the work
//! log.
//!
//! Who: visits and rhythms are for captains (households of their blocks only, else
//! `403 field=household_id` / `id`), committee staff, supervisors and admins; operators
//! get `403 field=role`. The work log is everyone's own; `all=true` (everyone's) only
//! for committee staff, supervisors and admins. The store audits every change. "Now"
//! is the desk's clock.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, put};
use axum::{Json, Router};
use chrono::Duration;
use lianxin_store::request_rules::MAX_TEXT;
use lianxin_store::visits::{VisitFrequency, WorkKind};
use lianxin_store::Role;
use serde_json::{json, Value};

use crate::api::{id_param, json_object, ApiError};
use crate::app::App;
use crate::auth::Authed;
use crate::directory::Staff;
use crate::request_access::{actor, require_household};
use crate::request_http::{with_requests, Body};
use crate::request_store::RequestError;
use crate::visit_store::VisitStore;

type Params = Result<Query<HashMap<String, String>>, axum::extract::rejection::QueryRejection>;

/// Most visits one log returns.
const MAX_VISITS: usize = 500;

/// The visit and work-log routes (merged into the desk's router by `http`).
pub(crate) fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/api/visits", get(list).post(create))
        .route("/api/visits/due", get(due))
        .route("/api/households/{id}/visit-frequency", put(set_frequency))
        .route("/api/work-log", get(work_log).post(add_work))
}

/// Runs `f` on the store's visit side on the blocking pool; 503 if there is none.
async fn with_visits<T: Send + 'static>(
    app: &App,
    f: impl FnOnce(&dyn VisitStore) -> Result<T, RequestError> + Send + 'static,
) -> Result<T, ApiError> {
    crate::api::on_directory(
        app,
        "visit",
        "该服务器没有数据库，无法记录走访",
        move |d| d.visits().map(f),
    )
    .await
}

/// Operators do not visit households.
fn require_visitor(staff: &Staff) -> Result<(), ApiError> {
    if staff.role == Role::Operator {
        Err(ApiError::forbidden(
            "role",
            "值班员不记录走访；走访由包片主任和居委会记录",
        ))
    } else {
        Ok(())
    }
}

/// A captain may only reach households of their blocks (`field` names the household
/// in the refusal); an unknown household is `404 field`.
async fn require_reaches(
    app: &Arc<App>,
    staff: &Staff,
    household: i64,
    field: &'static str,
) -> Result<(), ApiError> {
    let now = app.cfg.clock.now();
    let card = with_requests(app, move |st| st.household(household, now))
        .await?
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, field, "找不到该住户"))?;
    require_household(staff, &card)
        .map_err(|_| ApiError::forbidden(field, "包片主任只能走访本片区的住户"))
}

/// `days=N` (1–366, default 30): how far back a log reaches.
fn days(params: &HashMap<String, String>) -> Result<i64, ApiError> {
    match params.get("days") {
        None => Ok(30),
        Some(d) => d
            .parse::<i64>()
            .ok()
            .filter(|d| (1..=366).contains(d))
            .ok_or_else(|| ApiError::bad("days", "days 应在1到366之间")),
    }
}

/// `GET /api/visits?household=ID` (that household's visits and rhythm) or
/// `GET /api/visits?days=N` (my visits of the last N days).
async fn list(
    State(app): State<Arc<App>>,
    Authed(s): Authed,
    query: Params,
) -> Result<Json<Value>, ApiError> {
    require_visitor(&s.staff)?;
    let Query(params) = query.map_err(|_| ApiError::bad("query", "查询参数格式不正确"))?;
    if let Some(h) = params.get("household") {
        let id = id_param(h, "住户编号不正确")
            .map_err(|_| ApiError::bad("household", "住户编号不正确"))?;
        require_reaches(&app, &s.staff, id, "household").await?;
        let (visits, frequency) = with_visits(&app, move |st| {
            Ok((st.visits(id)?, st.visit_frequency(id)?.flatten()))
        })
        .await?;
        return Ok(Json(
            json!({ "household_id": id, "frequency": frequency, "visits": visits }),
        ));
    }
    let back = days(&params)?;
    let now = app.cfg.clock.now();
    let me = s.staff.id;
    let visits = with_visits(&app, move |st| {
        st.visits_by(
            me,
            now - Duration::days(back),
            now + Duration::days(1),
            MAX_VISITS,
        )
    })
    .await?;
    Ok(Json(json!({ "visits": visits })))
}

/// `POST /api/visits` `{household_id, visited_at?, notes, request_ids?}`: 201 with
/// `{"visit": …}`.
async fn create(
    State(app): State<Arc<App>>,
    Authed(s): Authed,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    require_visitor(&s.staff)?;
    let mut obj = json_object(body)?;
    let request_ids = match obj.remove("request_ids") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) if a.len() <= 50 => a
            .iter()
            .map(|v| v.as_i64().filter(|i| *i > 0))
            .collect::<Option<Vec<i64>>>()
            .ok_or_else(|| ApiError::bad("request_ids", "诉求编号应为正整数"))?,
        Some(_) => {
            return Err(ApiError::bad(
                "request_ids",
                "request_ids 应为诉求编号的列表（最多50个）",
            ))
        }
    };
    let b = Body::new(obj, &["household_id", "visited_at", "notes"])?;
    let household = b
        .id("household_id")?
        .ok_or_else(|| ApiError::bad("household_id", "请选择走访的住户"))?;
    let notes = b.text("notes", MAX_TEXT)?;
    let now = app.cfg.clock.now();
    let visited = b.time("visited_at")?.unwrap_or(now);
    if visited > now + Duration::days(1) {
        return Err(ApiError::bad("visited_at", "走访时间不能晚于今天"));
    }
    require_reaches(&app, &s.staff, household, "household_id").await?;
    let who = actor(&s.staff);
    let visit = with_visits(&app, move |st| {
        st.create_visit(household, visited, &notes, &request_ids, &who, now)
    })
    .await?;
    tracing::info!(staff = s.staff.id, visit = visit.id, "visit recorded");
    Ok((StatusCode::CREATED, Json(json!({ "visit": visit }))))
}

/// `GET /api/visits/due[?captain=ID]`: the households due for a visit (a captain: their
/// own blocks; committee, supervisors and admins may name a captain).
async fn due(
    State(app): State<Arc<App>>,
    Authed(s): Authed,
    query: Params,
) -> Result<Json<Value>, ApiError> {
    require_visitor(&s.staff)?;
    let Query(params) = query.map_err(|_| ApiError::bad("query", "查询参数格式不正确"))?;
    let captain = match params.get("captain") {
        None => s.staff.id,
        Some(_) if s.staff.role == Role::Captain => {
            return Err(ApiError::forbidden(
                "captain",
                "包片主任只能查看自己片区的待走访住户",
            ))
        }
        Some(c) => id_param(c, "包片主任编号不正确")
            .map_err(|_| ApiError::bad("captain", "包片主任编号不正确"))?,
    };
    let now = app.cfg.clock.now();
    let list = with_visits(&app, move |st| st.visits_due(captain, now)).await?;
    Ok(Json(json!({ "visits_due": list })))
}

/// `PUT /api/households/{id}/visit-frequency` `{"frequency": "weekly"|"monthly"|
/// "quarterly"|null}`.
async fn set_frequency(
    State(app): State<Arc<App>>,
    Authed(s): Authed,
    Path(id): Path<String>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    require_visitor(&s.staff)?;
    let id = id_param(&id, "住户编号不正确")?;
    let b = Body::new(json_object(body)?, &["frequency"])?;
    let text = b.text("frequency", 20)?;
    let frequency = match text.as_str() {
        "" => None,
        f => Some(VisitFrequency::parse(f).ok_or_else(|| {
            ApiError::bad(
                "frequency",
                "走访频率只能是 weekly（每周）、monthly（每月）、quarterly（每季度）或 null（不定期）",
            )
        })?),
    };
    require_reaches(&app, &s.staff, id, "id").await?;
    let who = actor(&s.staff);
    with_visits(&app, move |st| st.set_visit_frequency(id, frequency, &who)).await?;
    tracing::info!(staff = s.staff.id, household = id, "visit rhythm set");
    Ok(Json(json!({ "household_id": id, "frequency": frequency })))
}

/// `GET /api/work-log?days=N[&all=true]`: my entries (everyone's with `all`), oldest
/// first.
async fn work_log(
    State(app): State<Arc<App>>,
    Authed(s): Authed,
    query: Params,
) -> Result<Json<Value>, ApiError> {
    let Query(params) = query.map_err(|_| ApiError::bad("query", "查询参数格式不正确"))?;
    let all = match params.get("all").map(String::as_str) {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err(ApiError::bad("all", "all 只能是 true 或 false")),
    };
    if all && matches!(s.staff.role, Role::Operator | Role::Captain) {
        return Err(ApiError::forbidden(
            "all",
            "只有居委会、街道督导和管理员可以查看所有人的工作日志",
        ));
    }
    let back = days(&params)?;
    let now = app.cfg.clock.now();
    let who = (!all).then_some(s.staff.id);
    let entries = with_visits(&app, move |st| {
        st.work_log(who, now - Duration::days(back), now + Duration::days(1))
    })
    .await?;
    Ok(Json(json!({ "entries": entries })))
}

/// `POST /api/work-log` `{kind, text, at?}`: 201 with `{"entry": …}`.
async fn add_work(
    State(app): State<Arc<App>>,
    Authed(s): Authed,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let b = Body::new(json_object(body)?, &["kind", "text", "at"])?;
    let kind = match b.text("kind", 20)?.as_str() {
        "" => WorkKind::Other,
        k => WorkKind::parse(k).ok_or_else(|| {
            ApiError::bad(
                "kind",
                "类别只能是 meeting（会议）、activity（活动）或 other（其他）",
            )
        })?,
    };
    let text = b.required("text", MAX_TEXT, "请填写工作内容")?;
    let now = app.cfg.clock.now();
    let at = b.time("at")?.unwrap_or(now);
    let who = actor(&s.staff);
    let entry = with_visits(&app, move |st| st.add_work_log(at, kind, &text, &who, now)).await?;
    tracing::info!(staff = s.staff.id, entry = entry.id, "work log entry added");
    Ok((StatusCode::CREATED, Json(json!({ "entry": entry }))))
}

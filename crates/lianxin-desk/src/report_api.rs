//! The statistics endpoints (`docs/desk-protocol.md` §11): `GET /api/reports/requests`,
//! `/api/reports/visits` and `/api/reports/population`, each over `from`..`to`
//! (Asia/Shanghai calendar days, both included), requests grouped by `by`.
//!
//! Who: supervisors, committee staff and admins see the whole community; a captain sees
//! their blocks only (the store applies the scope); operators are refused, since the
//! figures are the committee's stock-taking, not the hotline's work.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use chrono::NaiveDate;
use lianxin_store::{Period, RequestBy, Role};
use serde_json::{json, Value};

use crate::api::ApiError;
use crate::app::App;
use crate::auth::Authed;
use crate::directory::Staff;
use crate::report_store::ReportStore;
use crate::request_store::RequestError;

type Params = Result<Query<HashMap<String, String>>, axum::extract::rejection::QueryRejection>;

/// The report routes (merged into the desk's router by `http`).
pub(crate) fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/api/reports/requests", get(requests))
        .route("/api/reports/visits", get(visits))
        .route("/api/reports/population", get(population))
}

/// The scope of `staff`'s reports: `Some(captain)` for a captain, `None` for all;
/// operators are refused.
fn scope(staff: &Staff) -> Result<Option<i64>, ApiError> {
    match staff.role {
        Role::Captain => Ok(Some(staff.id)),
        Role::Supervisor | Role::Committee | Role::Admin => Ok(None),
        Role::Operator => Err(ApiError::forbidden(
            "role",
            "统计报表仅限街道督导、居委会工作人员、包片主任和管理员查看",
        )),
    }
}

fn date(params: &HashMap<String, String>, name: &'static str) -> Result<NaiveDate, ApiError> {
    let raw = params
        .get(name)
        .ok_or_else(|| ApiError::bad(name, format!("请填写 {name}（日期，如 2026-03-01）")))?;
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map_err(|_| ApiError::bad(name, format!("{name} 应为日期，如 2026-03-01")))
}

/// The period of a query string (`from`, `to`).
fn period(params: &HashMap<String, String>) -> Result<Period, ApiError> {
    let (from, to) = (date(params, "from")?, date(params, "to")?);
    Period::new(from, to).map_err(|_| ApiError::bad("to", "结束日期不能早于开始日期"))
}

fn query(q: Params) -> Result<HashMap<String, String>, ApiError> {
    q.map(|Query(p)| p)
        .map_err(|_| ApiError::bad("query", "查询参数格式不正确"))
}

/// Runs `f` on the store's report side on the blocking pool; 503 if there is none.
async fn with_reports<T: Send + 'static>(
    app: &App,
    f: impl FnOnce(&dyn ReportStore) -> Result<T, RequestError> + Send + 'static,
) -> Result<T, ApiError> {
    crate::api::on_directory(
        app,
        "report",
        "该服务器没有数据库，无法统计",
        move |d| d.reports().map(f),
    )
    .await
}

/// `GET /api/reports/requests?from=&to=&by=category|channel|block|stage|responsible`.
pub(crate) async fn requests(
    State(app): State<Arc<App>>,
    Authed(s): Authed,
    q: Params,
) -> Result<Json<Value>, ApiError> {
    let captain = scope(&s.staff)?;
    let params = query(q)?;
    let period = period(&params)?;
    let by = match params.get("by") {
        None => RequestBy::Category,
        Some(b) => RequestBy::parse(b).ok_or_else(|| {
            ApiError::bad(
                "by",
                "by 只能是 category、channel、block、stage、responsible",
            )
        })?,
    };
    let report = with_reports(&app, move |st| st.request_report(period, by, captain)).await?;
    Ok(Json(json!({ "report": report })))
}

/// `GET /api/reports/visits?from=&to=`: visits per visitor.
pub(crate) async fn visits(
    State(app): State<Arc<App>>,
    Authed(s): Authed,
    q: Params,
) -> Result<Json<Value>, ApiError> {
    let captain = scope(&s.staff)?;
    let period = period(&query(q)?)?;
    let report = with_reports(&app, move |st| st.visit_report(period, captain)).await?;
    Ok(Json(json!({ "report": report })))
}

/// `GET /api/reports/population?from=&to=`: elderly share per block, households per
/// phone group, on the period's last day.
pub(crate) async fn population(
    State(app): State<Arc<App>>,
    Authed(s): Authed,
    q: Params,
) -> Result<Json<Value>, ApiError> {
    let captain = scope(&s.staff)?;
    let period = period(&query(q)?)?;
    let report = with_reports(&app, move |st| st.population_report(period, captain)).await?;
    Ok(Json(json!({ "report": report })))
}

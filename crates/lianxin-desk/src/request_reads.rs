//! The request endpoints that read (`docs/desk-protocol.md` §10): lists
//! (`GET /api/requests` with filters: mine, a household's, the orange and red ones, by
//! stage or category, the manual return-visit list), one request with its timeline, a household's card
//! (`GET /api/households/{id}`: the walk-in clerk's and the visiting captain's view),
//! the category and department lists, and whom a request can be assigned to.
//!
//! A captain sees only their block's requests and households and the requests assigned
//! to them; everyone else sees all. Colours are computed at the desk's clock.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use lianxin_store::{Alarm, RequestFilter, Stage};
use serde_json::{json, Value};

use crate::api::{id_param, ApiError};
use crate::app::App;
use crate::auth::Authed;
use crate::request_access::{captain_scope, require_household, require_sees};
use crate::request_http::with_requests;

type Params = Result<Query<HashMap<String, String>>, axum::extract::rejection::QueryRejection>;

/// Most requests one list returns.
const MAX_LIST: usize = 500;

fn flag(params: &HashMap<String, String>, name: &'static str) -> Result<bool, ApiError> {
    match params.get(name).map(String::as_str) {
        None | Some("0") | Some("false") => Ok(false),
        Some("1") | Some("true") => Ok(true),
        Some(_) => Err(ApiError::bad(name, format!("{name} 只能是 true 或 false"))),
    }
}

/// The filter a query string asks for, within what `staff` may see.
fn filter(
    params: &HashMap<String, String>,
    staff: &crate::directory::Staff,
) -> Result<RequestFilter, ApiError> {
    let mut f = RequestFilter {
        visible_to_captain: captain_scope(staff),
        open_only: flag(params, "open")?,
        limit: 100,
        ..RequestFilter::default()
    };
    if flag(params, "mine")? {
        f.responsible = Some(staff.id);
    }
    if let Some(h) = params.get("household") {
        f.household_id = Some(
            id_param(h, "住户编号不正确")
                .map_err(|_| ApiError::bad("household", "住户编号不正确"))?,
        );
    }
    if let Some(s) = params.get("stage") {
        f.stage = Some(Stage::parse(s).ok_or_else(|| {
            ApiError::bad(
                "stage",
                "stage 只能是 new、assigned、in_progress、escalated、resolved、feedback_given、reopened",
            )
        })?);
    }
    if let Some(a) = params.get("alarm") {
        for part in a.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            f.alarms.push(match part {
                "green" => Alarm::Green,
                "orange" => Alarm::Orange,
                "red" => Alarm::Red,
                _ => {
                    return Err(ApiError::bad(
                        "alarm",
                        "alarm 只能是 green、orange、red，用逗号分隔",
                    ))
                }
            });
        }
    }
    match params.get("return_visit").map(String::as_str) {
        None => {}
        Some("due") => f.return_visit_due = true,
        Some(_) => {
            return Err(ApiError::bad(
                "return_visit",
                "return_visit 只能是 due（待人工回访）",
            ))
        }
    }
    if let Some(c) = params.get("category") {
        if c.chars().count() > 40 {
            return Err(ApiError::bad("category", "类别名称太长"));
        }
        f.category_item = Some(c.clone());
    }
    if let Some(l) = params.get("limit") {
        f.limit = l
            .parse::<usize>()
            .ok()
            .filter(|l| (1..=MAX_LIST).contains(l))
            .ok_or_else(|| ApiError::bad("limit", format!("limit 应在1到{MAX_LIST}之间")))?;
    }
    Ok(f)
}

/// `GET /api/requests?mine=&household=&open=&stage=&alarm=orange,red&category=&return_visit=due&limit=`.
pub(crate) async fn list(
    State(app): State<Arc<App>>,
    Authed(s): Authed,
    query: Params,
) -> Result<Json<Value>, ApiError> {
    let Query(params) = query.map_err(|_| ApiError::bad("query", "查询参数格式不正确"))?;
    let f = filter(&params, &s.staff)?;
    let now = app.cfg.clock.now();
    let list = with_requests(&app, move |st| st.list(&f, now)).await?;
    Ok(Json(json!({ "requests": list })))
}

/// `GET /api/requests/{id}`: the request and its timeline.
pub(crate) async fn show(
    State(app): State<Arc<App>>,
    Authed(s): Authed,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = id_param(&id, "诉求编号不正确")?;
    let now = app.cfg.clock.now();
    let detail = with_requests(&app, move |st| st.detail(id, now))
        .await?
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "id", "找不到该诉求"))?;
    require_sees(&s.staff, &detail.request)?;
    Ok(Json(
        json!({ "request": detail.request, "events": detail.events }),
    ))
}

/// `GET /api/households/{id}`: the household card (members, numbers, history). A
/// captain asking for a household outside their blocks gets the same 404 as for one that
/// does not exist, like every other captain-scoped read: the answer must not reveal it.
pub(crate) async fn household(
    State(app): State<Arc<App>>,
    Authed(s): Authed,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = id_param(&id, "住户编号不正确")?;
    let now = app.cfg.clock.now();
    let missing = || ApiError::new(StatusCode::NOT_FOUND, "id", "找不到该住户");
    let card = with_requests(&app, move |st| st.household(id, now))
        .await?
        .ok_or_else(missing)?;
    require_household(&s.staff, &card).map_err(|_| missing())?;
    tracing::info!(staff = s.staff.id, household = id, "household card read");
    Ok(Json(json!({ "household": card })))
}

/// `GET /api/request-categories[?all=true]` (inactive ones only with `all`).
pub(crate) async fn categories(
    State(app): State<Arc<App>>,
    Authed(_): Authed,
    query: Params,
) -> Result<Json<Value>, ApiError> {
    let Query(params) = query.map_err(|_| ApiError::bad("all", "查询参数格式不正确"))?;
    let active_only = !flag(&params, "all")?;
    let list = with_requests(&app, move |st| st.categories(active_only)).await?;
    Ok(Json(json!({ "categories": list })))
}

/// `GET /api/departments[?all=true]`.
pub(crate) async fn departments(
    State(app): State<Arc<App>>,
    Authed(_): Authed,
    query: Params,
) -> Result<Json<Value>, ApiError> {
    let Query(params) = query.map_err(|_| ApiError::bad("all", "查询参数格式不正确"))?;
    let active_only = !flag(&params, "all")?;
    let list = with_requests(&app, move |st| st.departments(active_only)).await?;
    Ok(Json(json!({ "departments": list })))
}

/// `GET /api/assignees`: every active staff member a request can be assigned to, with
/// the Chinese name of their role.
pub(crate) async fn assignees(
    State(app): State<Arc<App>>,
    Authed(_): Authed,
) -> Result<Json<Value>, ApiError> {
    let list = with_requests(&app, |st| st.assignees()).await?;
    let list: Vec<Value> = list
        .into_iter()
        .map(|a| {
            json!({"id": a.id, "display_name": a.display_name, "role": a.role,
                   "role_label": a.role.label_zh()})
        })
        .collect();
    Ok(Json(json!({ "assignees": list })))
}

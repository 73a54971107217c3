//! `GET /api/units?q=TEXT&limit=N` (`docs/desk-protocol.md` §11): resident units by name,
//! address, open jobs or number, for every signed-in staff member (the operator looking
//! for a job for a caller is the first user, seed 000). Units are public organisations,
//! so no block scope applies.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::api::ApiError;
use crate::app::App;
use crate::auth::Authed;

type Params = Result<Query<HashMap<String, String>>, axum::extract::rejection::QueryRejection>;

/// Most units one answer returns.
const MAX_UNITS: usize = 200;

/// The unit routes (merged into the desk's router by `http`).
pub(crate) fn routes() -> Router<Arc<App>> {
    Router::new().route("/api/units", get(search))
}

/// `GET /api/units?q=&limit=`.
pub(crate) async fn search(
    State(app): State<Arc<App>>,
    Authed(s): Authed,
    q: Params,
) -> Result<Json<Value>, ApiError> {
    let Query(params) = q.map_err(|_| ApiError::bad("query", "查询参数格式不正确"))?;
    let text = params.get("q").cloned().unwrap_or_default();
    if text.chars().count() > 40 {
        return Err(ApiError::bad("q", "搜索内容太长"));
    }
    let limit = match params.get("limit") {
        None => 50,
        Some(l) => l
            .parse::<usize>()
            .ok()
            .filter(|l| (1..=MAX_UNITS).contains(l))
            .ok_or_else(|| ApiError::bad("limit", format!("limit 应在1到{MAX_UNITS}之间")))?,
    };
    let found = crate::api::on_directory(
        &app,
        "units",
        "该服务器没有数据库，无法查询驻区单位",
        move |d| d.units().map(|st| st.search_units(&text, limit)),
    )
    .await?;
    tracing::info!(staff = s.staff.id, hits = found.len(), "units searched");
    Ok(Json(json!({ "units": found })))
}

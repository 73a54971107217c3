//! Phone groups (电话组) as admins keep them (`docs/desk-protocol.md` §13.2): every group
//! with its household count, retired ones too (`GET /api/phone-groups?all=true`), adding,
//! renaming, retiring or restoring a group, its households, and adding or removing one.
//!
//! A retired group keeps its members and the history of the campaigns that called it; it
//! is no longer offered for new group calls. Admins only; the store audits each change.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, put};
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::admin_http::{require_admin, with_admin};
use crate::api::{id_param, json_object, ApiError};
use crate::app::App;
use crate::auth::Authed;
use crate::request_http::Body;

type Raw = Result<Bytes, axum::extract::rejection::BytesRejection>;

/// The group routes besides `GET`/`POST /api/phone-groups` (merged by `http`).
pub(crate) fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/api/phone-groups/{id}", put(change))
        .route("/api/phone-groups/{id}/households", get(members))
        .route(
            "/api/phone-groups/{id}/households/{household}",
            put(add_member).delete(remove_member),
        )
}

/// `GET /api/phone-groups?all=true` (the plain list is `group_api`'s).
pub(crate) async fn list_all(
    app: &Arc<App>,
    s: &crate::session::Session,
) -> Result<Json<Value>, ApiError> {
    require_admin(s)?;
    let groups = with_admin(app, |st| st.phone_groups()).await?;
    Ok(Json(json!({ "groups": groups })))
}

/// Whether a query asks for every group (`all=true`).
pub(crate) fn wants_all(params: &HashMap<String, String>) -> Result<bool, ApiError> {
    match params.get("all").map(String::as_str) {
        None | Some("false") | Some("0") => Ok(false),
        Some("true") | Some("1") => Ok(true),
        Some(_) => Err(ApiError::bad("all", "all 只能是 true 或 false")),
    }
}

/// `POST /api/phone-groups` with `{name, description}` → `201 {"group"}`.
pub(crate) async fn create(
    State(app): State<Arc<App>>,
    Authed(s): Authed,
    body: Raw,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    require_admin(&s)?;
    let b = Body::new(json_object(body)?, &["name", "description"])?;
    let name = b.required("name", 30, "请填写电话组名称")?;
    let description = b.text("description", 200)?;
    let by = s.staff.id;
    let group = with_admin(&app, move |st| st.create_group(&name, &description, by)).await?;
    tracing::info!(staff = by, group = group.id, "phone group added");
    Ok((StatusCode::CREATED, Json(json!({ "group": group }))))
}

/// `PUT /api/phone-groups/{id}` with `{name?, retired?}` → `{"group"}`.
async fn change(
    State(app): State<Arc<App>>,
    Authed(s): Authed,
    Path(id): Path<String>,
    body: Raw,
) -> Result<Json<Value>, ApiError> {
    require_admin(&s)?;
    let id = id_param(&id, "电话组编号不正确")?;
    let obj = json_object(body)?;
    let named = obj.contains_key("name");
    let b = Body::new(obj, &["name", "retired"])?;
    let name = if named {
        Some(b.required("name", 30, "请填写电话组名称")?)
    } else {
        None
    };
    let retired = b.flag("retired")?;
    let by = s.staff.id;
    let group = with_admin(&app, move |st| {
        st.change_group(id, name.as_deref(), retired, by)
    })
    .await
    .map_err(not_found)?;
    tracing::info!(staff = by, group = id, "phone group changed");
    Ok(Json(json!({ "group": group })))
}

/// `GET /api/phone-groups/{id}/households` → `{"households": [...]}`.
async fn members(
    State(app): State<Arc<App>>,
    Authed(s): Authed,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    require_admin(&s)?;
    let id = id_param(&id, "电话组编号不正确")?;
    let list = with_admin(&app, move |st| st.group_members(id))
        .await
        .map_err(not_found)?;
    Ok(Json(json!({ "households": list })))
}

async fn set_member(
    app: Arc<App>,
    s: &crate::session::Session,
    id: &str,
    household: &str,
    member: bool,
) -> Result<Json<Value>, ApiError> {
    require_admin(s)?;
    let id = id_param(id, "电话组编号不正确")?;
    let household = household
        .parse::<i64>()
        .ok()
        .filter(|h| *h > 0)
        .ok_or_else(|| ApiError::bad("household_id", "住户编号不正确"))?;
    let by = s.staff.id;
    let group = with_admin(&app, move |st| {
        st.set_group_member(id, household, member, by)
    })
    .await
    .map_err(not_found)?;
    tracing::info!(
        staff = by,
        group = id,
        household,
        member,
        "phone group membership changed"
    );
    Ok(Json(json!({ "group": group })))
}

/// `PUT /api/phone-groups/{id}/households/{household}` → `{"group"}`.
async fn add_member(
    State(app): State<Arc<App>>,
    Authed(s): Authed,
    Path((id, household)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    set_member(app, &s, &id, &household, true).await
}

/// `DELETE /api/phone-groups/{id}/households/{household}` → `{"group"}`.
async fn remove_member(
    State(app): State<Arc<App>>,
    Authed(s): Authed,
    Path((id, household)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    set_member(app, &s, &id, &household, false).await
}

fn not_found(e: ApiError) -> ApiError {
    match e.status {
        StatusCode::NOT_FOUND => ApiError::new(StatusCode::NOT_FOUND, "id", "找不到该电话组"),
        _ => e,
    }
}

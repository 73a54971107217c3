//! Changing the request categories and the departments (`docs/desk-protocol.md` §10):
//! supervisors and admins only (the store checks the role too, so the CLI follows the
//! same rule). Nothing is deleted; an entry is retired with `"active": false`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

use crate::api::{id_param, json_object, ApiError};
use crate::app::App;
use crate::auth::Authed;
use crate::request_access::actor;
use crate::request_http::{with_requests, Body};

type Raw = Result<Bytes, axum::extract::rejection::BytesRejection>;

fn days(b: &Body, field: &'static str) -> Result<i64, ApiError> {
    b.int(field)?
        .ok_or_else(|| ApiError::bad(field, "请填写天数"))
}

/// `POST /api/request-categories` with `{item, class, level1_days, deadline_days}`.
pub(crate) async fn create_category(
    State(app): State<Arc<App>>,
    Authed(s): Authed,
    body: Raw,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let b = Body::new(
        json_object(body)?,
        &["item", "class", "level1_days", "deadline_days"],
    )?;
    let item = b.required("item", 40, "请填写诉求项目")?;
    let class = b.text("class", 40)?;
    let (l1, dl) = (days(&b, "level1_days")?, days(&b, "deadline_days")?);
    let who = actor(&s.staff);
    let c = with_requests(&app, move |st| {
        st.create_category(&item, &class, l1, dl, &who)
    })
    .await?;
    tracing::info!(
        staff = s.staff.id,
        category = c.id,
        "request category added"
    );
    Ok((StatusCode::CREATED, Json(json!({ "category": c }))))
}

/// `PUT /api/request-categories/{id}` with `{level1_days, deadline_days, active}`.
pub(crate) async fn update_category(
    State(app): State<Arc<App>>,
    Authed(s): Authed,
    Path(id): Path<String>,
    body: Raw,
) -> Result<Json<Value>, ApiError> {
    let id = id_param(&id, "类别编号不正确")?;
    let b = Body::new(
        json_object(body)?,
        &["level1_days", "deadline_days", "active"],
    )?;
    let (l1, dl) = (days(&b, "level1_days")?, days(&b, "deadline_days")?);
    let active = b.flag("active")?.unwrap_or(true);
    let who = actor(&s.staff);
    let c = with_requests(&app, move |st| st.update_category(id, l1, dl, active, &who))
        .await
        .map_err(not_found("找不到该诉求类别"))?;
    tracing::info!(
        staff = s.staff.id,
        category = id,
        "request category changed"
    );
    Ok(Json(json!({ "category": c })))
}

/// `POST /api/departments` with `{name, answer_days}` (3 days by default).
pub(crate) async fn create_department(
    State(app): State<Arc<App>>,
    Authed(s): Authed,
    body: Raw,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let b = Body::new(json_object(body)?, &["name", "answer_days"])?;
    let name = b.required("name", 40, "请填写部门名称")?;
    let answer = b.int("answer_days")?;
    let who = actor(&s.staff);
    let d = with_requests(&app, move |st| st.create_department(&name, answer, &who)).await?;
    tracing::info!(staff = s.staff.id, department = d.id, "department added");
    Ok((StatusCode::CREATED, Json(json!({ "department": d }))))
}

/// `PUT /api/departments/{id}` with `{answer_days, active}`.
pub(crate) async fn update_department(
    State(app): State<Arc<App>>,
    Authed(s): Authed,
    Path(id): Path<String>,
    body: Raw,
) -> Result<Json<Value>, ApiError> {
    let id = id_param(&id, "部门编号不正确")?;
    let b = Body::new(json_object(body)?, &["answer_days", "active"])?;
    let answer = days(&b, "answer_days")?;
    let active = b.flag("active")?.unwrap_or(true);
    let who = actor(&s.staff);
    let d = with_requests(&app, move |st| {
        st.update_department(id, answer, active, &who)
    })
    .await
    .map_err(not_found("找不到该部门"))?;
    tracing::info!(staff = s.staff.id, department = id, "department changed");
    Ok(Json(json!({ "department": d })))
}

fn not_found(message: &'static str) -> impl Fn(ApiError) -> ApiError {
    move |e| match e.status {
        StatusCode::NOT_FOUND => ApiError::new(StatusCode::NOT_FOUND, "id", message),
        _ => e,
    }
}

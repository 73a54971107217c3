//! Staff accounts over HTTP, for admins (`docs/desk-protocol.md` §13.1): the list with
//! each captain's blocks, adding an account (console and SIP passwords generated and
//! answered once), changing name, role, extension, phone, blocks or the active flag, and
//! new passwords.
//!
//! The rules are the store's (`lianxin_store::staff_admin`, the same code `lianxin staff`
//! runs): unique user names, extensions of digits held by one active account, blocks only
//! for captains, no admin disabling themselves, the last admin stays. An account whose
//! password, role or active flag changed loses its sessions at once (its consoles close).
//! Passwords are never logged; the audit log says who changed what.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use lianxin_store::{NewStaff, Role, StaffChange, SIP_REALM};
use serde_json::{json, Map, Value};

use crate::admin_http::{require_admin, with_admin};
use crate::api::{blocking, id_param, json_object, ApiError};
use crate::app::App;
use crate::auth::Authed;
use crate::request_http::Body;

type Raw = Result<Bytes, axum::extract::rejection::BytesRejection>;

/// The staff routes (merged into the desk's router by `http`).
pub(crate) fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/api/staff", get(list).post(add))
        .route("/api/staff/{id}", put(change))
        .route("/api/staff/{id}/password", post(new_password))
        .route("/api/staff/{id}/sip-password", post(new_sip_password))
}

/// `GET /api/staff` → `{"staff": [...], "blocks": [...]}`.
async fn list(State(app): State<Arc<App>>, Authed(s): Authed) -> Result<Json<Value>, ApiError> {
    require_admin(&s)?;
    let (staff, blocks) = with_admin(&app, |st| Ok((st.staff_accounts()?, st.blocks()?))).await?;
    Ok(Json(json!({ "staff": staff, "blocks": blocks })))
}

fn role_field(b: &Body) -> Result<Option<Role>, ApiError> {
    let text = b.text("role", 20)?;
    if text.is_empty() {
        return Ok(None);
    }
    Role::parse(&text).map(Some).ok_or_else(|| {
        ApiError::bad(
            "role",
            "角色应为值班员、包片主任、居委会、街道督导或管理员之一",
        )
    })
}

/// An optional text field that can be cleared: absent → `None`, `null` or `""` →
/// `Some(None)`.
fn clearable(
    obj: &Map<String, Value>,
    b: &Body,
    field: &'static str,
) -> Result<Option<Option<String>>, ApiError> {
    if !obj.contains_key(field) {
        return Ok(None);
    }
    let t = b.text(field, 40)?;
    Ok(Some((!t.is_empty()).then_some(t)))
}

fn blocks_field(obj: &Map<String, Value>) -> Result<Option<Vec<String>>, ApiError> {
    match obj.get("blocks") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) if items.len() <= 100 => items
            .iter()
            .map(|v| match v {
                Value::String(s) if !s.trim().is_empty() => Ok(s.trim().to_owned()),
                _ => Err(ApiError::bad("blocks", "片区应为片区名称的列表")),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(ApiError::bad("blocks", "片区应为片区名称的列表")),
    }
}

const ADD_FIELDS: &[&str] = &[
    "username",
    "display_name",
    "role",
    "extension",
    "phone",
    "blocks",
];

/// `POST /api/staff` → `201 {"staff", "password", "sip_password", "realm"}`.
async fn add(
    State(app): State<Arc<App>>,
    Authed(s): Authed,
    body: Raw,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    require_admin(&s)?;
    let obj = json_object(body)?;
    let b = Body::new(obj.clone(), ADD_FIELDS)?;
    let username = b.required("username", 32, "请填写用户名")?;
    let display_name = b.required("display_name", 20, "请填写姓名")?;
    let role = role_field(&b)?.ok_or_else(|| ApiError::bad("role", "请选择角色"))?;
    let extension = b.text("extension", 40)?;
    let phone = b.text("phone", 40)?;
    let blocks = blocks_field(&obj)?.unwrap_or_default();
    let by = s.staff.id;
    let made = with_admin(&app, move |st| {
        st.add_staff(
            &NewStaff {
                username: &username,
                display_name: &display_name,
                role,
                extension: Some(extension.as_str()),
                phone: Some(phone.as_str()),
                password: None,
            },
            &blocks,
            by,
        )
    })
    .await?;
    tracing::info!(staff = by, account = made.account.id, "staff account added");
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "staff": made.account,
            "password": made.password,
            "sip_password": made.sip_password,
            "realm": SIP_REALM,
        })),
    ))
}

const CHANGE_FIELDS: &[&str] = &[
    "display_name",
    "role",
    "extension",
    "phone",
    "blocks",
    "active",
];

/// `PUT /api/staff/{id}` with any of `display_name`, `role`, `extension`, `phone`,
/// `blocks`, `active` → `{"staff"}`.
async fn change(
    State(app): State<Arc<App>>,
    Authed(s): Authed,
    Path(id): Path<String>,
    body: Raw,
) -> Result<Json<Value>, ApiError> {
    require_admin(&s)?;
    let id = id_param(&id, "工作人员编号不正确")?;
    let obj = json_object(body)?;
    let b = Body::new(obj.clone(), CHANGE_FIELDS)?;
    let display_name = b.text("display_name", 20)?;
    if obj.contains_key("display_name") && display_name.is_empty() {
        return Err(ApiError::bad("display_name", "请填写姓名"));
    }
    let change = StaffChange {
        display_name: (!display_name.is_empty()).then_some(display_name),
        role: role_field(&b)?,
        extension: clearable(&obj, &b, "extension")?,
        phone: clearable(&obj, &b, "phone")?,
        blocks: blocks_field(&obj)?,
    };
    let active = b.flag("active")?;
    let by = s.staff.id;
    let account = with_admin(&app, move |st| {
        let mut account = st.change_staff(id, &change, by)?;
        if let Some(active) = active {
            account = st.set_staff_active(id, active, by)?;
        }
        Ok(account)
    })
    .await?;
    tracing::info!(staff = by, account = id, "staff account changed");
    end_stale_sessions(&app, id).await;
    Ok(Json(json!({ "staff": account })))
}

/// `POST /api/staff/{id}/password` → `{"password"}` (shown once; their sessions end).
async fn new_password(
    State(app): State<Arc<App>>,
    Authed(s): Authed,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    require_admin(&s)?;
    let id = id_param(&id, "工作人员编号不正确")?;
    let by = s.staff.id;
    let password = with_admin(&app, move |st| st.reset_password(id, by)).await?;
    tracing::info!(staff = by, account = id, "console password reset");
    end_stale_sessions(&app, id).await;
    Ok(Json(json!({ "password": password })))
}

/// `POST /api/staff/{id}/sip-password` → `{"sip_password", "realm"}` (shown once).
async fn new_sip_password(
    State(app): State<Arc<App>>,
    Authed(s): Authed,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    require_admin(&s)?;
    let id = id_param(&id, "工作人员编号不正确")?;
    let by = s.staff.id;
    let sip = with_admin(&app, move |st| st.reset_sip_password(id, by)).await?;
    tracing::info!(staff = by, account = id, "SIP password reset");
    Ok(Json(json!({ "sip_password": sip, "realm": SIP_REALM })))
}

/// Ends at once the sessions of an account whose password, role or active flag just
/// changed (the periodic re-check would within seconds).
async fn end_stale_sessions(app: &Arc<App>, id: i64) {
    let dir = app.directory.clone();
    match blocking(move || dir.fingerprint(id)).await {
        Ok(current) => app.revoke_stale(id, current.as_deref()),
        Err(e) => tracing::warn!(status = %e.status, account = id, "sessions not re-checked"),
    }
}

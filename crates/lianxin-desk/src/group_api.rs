//! `GET /api/phone-groups`: the phone groups with their household counts, for whoever may
//! start a group call (committee staff, supervisors, admins, captains), so the console can
//! offer them before a preview (`docs/desk-protocol.md` §9.4).

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::Json;
use serde_json::{json, Value};

use crate::api::ApiError;
use crate::app::App;
use crate::auth::Authed;
use crate::campaign_access::require_campaign_staff;
use crate::campaign_api::with_store;

/// `GET /api/phone-groups` → `{"groups": [{"name": "特困家庭", "households": 23}]}`
/// (`?all=true`: the admins' list with ids and retired groups, `group_admin_api`).
pub(crate) async fn list(
    State(app): State<Arc<App>>,
    Authed(s): Authed,
    query: Result<Query<HashMap<String, String>>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(params) = query.map_err(|_| ApiError::bad("all", "查询参数格式不正确"))?;
    if crate::group_admin_api::wants_all(&params)? {
        return crate::group_admin_api::list_all(&app, &s).await;
    }
    require_campaign_staff(&s.staff)?;
    let groups = with_store(&app, |st| st.groups()).await?;
    Ok(Json(json!({ "groups": groups })))
}

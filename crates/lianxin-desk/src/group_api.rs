//! `GET /api/phone-groups`: the phone groups with their household counts, for whoever may
//! start a group call (committee staff, supervisors, admins, captains), so the console can
//! offer them before a preview (`docs/desk-protocol.md` §9.4).

use std::sync::Arc;

use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};

use crate::api::ApiError;
use crate::app::App;
use crate::auth::Authed;
use crate::campaign_access::require_campaign_staff;
use crate::campaign_api::with_store;

/// `GET /api/phone-groups` → `{"groups": [{"name": "特困家庭", "households": 23}]}`.
pub(crate) async fn list(
    State(app): State<Arc<App>>,
    Authed(s): Authed,
) -> Result<Json<Value>, ApiError> {
    require_campaign_staff(&s.staff)?;
    let groups = with_store(&app, |st| st.groups()).await?;
    Ok(Json(json!({ "groups": groups })))
}

//! The campaign HTTP endpoints that act: preview, start, pause, resume, cancel
//! (`docs/desk-protocol.md` §9). Reads (lists, status, reports) are in `campaign_reads`.
//!
//! Each handler checks the role first (`campaign_access`), then parses the body strictly
//! (`campaign_request`), asks the store what the campaign would reach (a captain's
//! campaign must stay inside their blocks) and only then hands it to the dialer
//! ([`CampaignControl`]). Without a dialer (the server runs without one) the answer is
//! 503; without the store's campaign side the same. Every action is logged with the
//! staff id and written to the store's audit log.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::Utc;
use lianxin_store::{NewCampaign, Role, TargetSpec};
use serde_json::{json, Value};

use crate::api::{id_param, json_object, ApiError};
use crate::app::App;
use crate::auth::Authed;
use crate::campaign_access::{
    foreign_blocks, group_refused, households_refused, require_campaign_staff, require_sees,
};
use crate::campaign_request::{self, settings_json, CampaignRequest};
use crate::campaign_store::CampaignStore;
use crate::campaigns::CampaignControl;
use crate::directory::{DirectoryError, Staff};

/// The dialer, or 503 when the server runs without one.
pub(crate) fn control(app: &App) -> Result<Arc<dyn CampaignControl>, ApiError> {
    app.hub.campaigns.get().cloned().ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "campaign",
            "电话群拨服务没有运行（服务器未配置外呼中继），暂时不能发起或控制群拨",
        )
        .retry_after(30)
    })
}

/// The notices the dialer can play; listing them reads its uploads folder, so it runs on
/// the blocking pool.
pub(crate) async fn notices(
    control: &Arc<dyn CampaignControl>,
) -> Result<Vec<crate::campaigns::NoticeInfo>, ApiError> {
    let control = control.clone();
    tokio::task::spawn_blocking(move || control.notices())
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "notice listing failed");
            ApiError::internal()
        })
}

/// Runs `f` on the store's campaign side on the blocking pool; 503 if there is none.
pub(crate) async fn with_store<T: Send + 'static>(
    app: &App,
    f: impl FnOnce(&dyn CampaignStore) -> Result<T, DirectoryError> + Send + 'static,
) -> Result<T, ApiError> {
    crate::api::on_directory(
        app,
        "campaign",
        "该服务器没有群拨数据库，无法查看或发起群拨",
        move |d| d.campaigns().map(f),
    )
    .await
}

/// `POST /api/campaigns/preview`.
pub(crate) async fn preview(
    State(app): State<Arc<App>>,
    Authed(s): Authed,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let (req, _) = checked_request(&app, &s.staff, body).await?;
    let (spec, settings) = (req.targets.clone(), req.settings.clone());
    let p = with_store(&app, move |st| st.preview(&spec, &settings)).await?;
    Ok(Json(json!({
        "name": req.name,
        "notice": req.notice,
        "households": p.households,
        "numbers": p.numbers,
        "calls": p.calls,
        "max_calls": p.max_calls,
        "without_number": p.without_number,
        "opted_out": p.opted_out,
        "settings": settings_json(&req.settings),
    })))
}

/// `POST /api/campaigns` → 201 `{"id", "households", "state": "running"}`.
pub(crate) async fn start(
    State(app): State<Arc<App>>,
    Authed(s): Authed,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let (req, control) = checked_request(&app, &s.staff, body).await?;
    let (spec, settings) = (req.targets.clone(), req.settings.clone());
    let households = with_store(&app, move |st| st.preview(&spec, &settings))
        .await?
        .households;
    let staff = s.staff.id;
    let id = control
        .start(NewCampaign {
            name: req.name,
            notice: req.notice.clone(),
            created_by: Some(staff),
            targets: req.targets,
            settings: req.settings,
        })
        .await
        .map_err(|e| {
            tracing::info!(
                staff,
                status = e.status,
                "campaign start refused by the dialer"
            );
            ApiError::from(e)
        })?;
    app.hub.remember_campaign_owner(id, staff);
    tracing::info!(staff, campaign = id, households, notice = %req.notice, "campaign started");
    Ok((
        StatusCode::CREATED,
        Json(json!({ "id": id, "households": households, "state": "running" })),
    ))
}

/// Role, body, notice and (for captains) blocks: everything checked before the store
/// is asked for numbers or the dialer for calls.
async fn checked_request(
    app: &Arc<App>,
    staff: &Staff,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<(CampaignRequest, Arc<dyn CampaignControl>), ApiError> {
    require_campaign_staff(staff)?;
    let obj = json_object(body)?;
    let control = control(app)?;
    let req = campaign_request::parse(&obj, &control.defaults(), Utc::now())?;
    let wanted = req.notice.replace('_', "-");
    if !notices(&control)
        .await?
        .iter()
        .any(|n| n.name.replace('_', "-") == wanted)
    {
        return Err(ApiError::bad(
            "notice",
            format!(
                "没有名为“{}”的通知录音；请先上传录音，或从 GET /api/notices 列出的通知中选择",
                req.notice
            ),
        ));
    }
    if staff.role == Role::Captain {
        captain_scope(app, staff.id, &req.targets).await?;
    }
    Ok((req, control))
}

/// A captain's campaign reaches only households of blocks they captain: each group is
/// checked on its own so the refusal names the group at fault.
async fn captain_scope(app: &App, captain: i64, spec: &TargetSpec) -> Result<(), ApiError> {
    let spec = spec.clone();
    let refusal = with_store(app, move |st| {
        for g in &spec.groups {
            let one = TargetSpec {
                groups: vec![g.clone()],
                households: Vec::new(),
            };
            if let Some(blocks) = foreign_blocks(captain, &st.blocks(&one)?) {
                return Ok(Some(group_refused(g, &blocks)));
            }
        }
        if !spec.households.is_empty() {
            let listed = TargetSpec {
                groups: Vec::new(),
                households: spec.households.clone(),
            };
            let found = st.blocks(&listed)?;
            if let Some(blocks) = foreign_blocks(captain, &found) {
                let ids: Vec<i64> = found
                    .iter()
                    .filter(|h| h.captain_staff_id != Some(captain))
                    .map(|h| h.household_id)
                    .take(10)
                    .collect();
                return Ok(Some(households_refused(&ids, &blocks)));
            }
        }
        Ok(None)
    })
    .await?;
    match refusal {
        Some(e) => {
            tracing::info!(staff = captain, "captain's campaign refused: other blocks");
            Err(e)
        }
        None => Ok(()),
    }
}

/// What staff can do to a running campaign.
#[derive(Debug, Clone, Copy)]
enum Action {
    Pause,
    Resume,
    Cancel,
}

impl Action {
    fn name(self) -> &'static str {
        match self {
            Action::Pause => "pause",
            Action::Resume => "resume",
            Action::Cancel => "cancel",
        }
    }

    /// The state the campaign is in once the dialer took the action.
    fn state(self) -> &'static str {
        match self {
            Action::Pause => "paused",
            Action::Resume => "running",
            Action::Cancel => "cancelled",
        }
    }
}

/// `POST /api/campaigns/{id}/pause`.
pub(crate) async fn pause(
    State(app): State<Arc<App>>,
    Authed(s): Authed,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    act(&app, &s.staff, &id, Action::Pause).await
}

/// `POST /api/campaigns/{id}/resume`.
pub(crate) async fn resume(
    State(app): State<Arc<App>>,
    Authed(s): Authed,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    act(&app, &s.staff, &id, Action::Resume).await
}

/// `POST /api/campaigns/{id}/cancel`.
pub(crate) async fn cancel(
    State(app): State<Arc<App>>,
    Authed(s): Authed,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    act(&app, &s.staff, &id, Action::Cancel).await
}

async fn act(
    app: &Arc<App>,
    staff: &Staff,
    id: &str,
    action: Action,
) -> Result<Json<Value>, ApiError> {
    require_campaign_staff(staff)?;
    let id = id_param(id, "群拨任务编号不正确")?;
    let control = control(app)?;
    let record = with_store(app, move |st| st.campaign(id))
        .await?
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "id", "找不到该群拨任务"))?;
    require_sees(staff, record.created_by)?;
    let done = match action {
        Action::Pause => control.pause(id).await,
        Action::Resume => control.resume(id).await,
        Action::Cancel => control.cancel(id).await,
    };
    if let Err(e) = done {
        tracing::info!(
            staff = staff.id,
            campaign = id,
            action = action.name(),
            status = e.status,
            "campaign action refused"
        );
        return Err(e.into());
    }
    tracing::info!(
        staff = staff.id,
        campaign = id,
        action = action.name(),
        "campaign action"
    );
    let (by, act) = (staff.id, format!("campaign.{}", action.name()));
    let audited = with_store(app, move |st| {
        st.audit(by, &act, &format!("campaign:{id}"), "desk")
    })
    .await;
    if let Err(e) = audited {
        tracing::warn!(campaign = id, status = %e.status, "campaign action not audited");
    }
    Ok(Json(json!({ "id": id, "state": action.state() })))
}

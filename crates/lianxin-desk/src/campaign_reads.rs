//! The campaign HTTP endpoints that read: list, status, per-household and per-attempt
//! reports (`docs/desk-protocol.md` §9).
//!
//! They read the store (through [`CampaignStore`](crate::campaign_store::CampaignStore))
//! and, for running or paused campaigns, the dialer's live counters; they work without a
//! dialer (stored figures only). A captain sees only the campaigns they started.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use lianxin_store::{CampaignRecord, CampaignStatus, HouseholdResult};
use serde_json::{json, Value};

use crate::api::{id_param, ApiError};
use crate::app::App;
use crate::auth::Authed;
use crate::campaign_access::{require_campaign_staff, require_sees, sees};
use crate::campaign_api::with_store;
use crate::campaign_request::settings_json;
use crate::campaigns::{CampaignCounters, CampaignLive, CampaignState};

/// Default and largest `limit` of `GET /api/campaigns`.
const LIST_DEFAULT: usize = 50;
const LIST_MAX: usize = 500;

/// The live campaigns by id (empty without a dialer).
fn live(app: &App) -> HashMap<i64, CampaignLive> {
    app.hub
        .campaigns
        .get()
        .map(|c| c.live().into_iter().map(|l| (l.id, l)).collect())
        .unwrap_or_default()
}

/// The state as the API names it: a draft is about to run, so it shows as running.
fn state_name(stored: CampaignStatus, live: Option<&CampaignLive>) -> &'static str {
    if let Some(l) = live {
        return match l.state {
            CampaignState::Running => "running",
            CampaignState::Paused => "paused",
            CampaignState::Finished => "finished",
            CampaignState::Cancelled => "cancelled",
        };
    }
    match stored {
        CampaignStatus::Draft | CampaignStatus::Running => "running",
        CampaignStatus::Paused => "paused",
        CampaignStatus::Finished => "finished",
        CampaignStatus::Cancelled => "cancelled",
    }
}

/// `GET /api/campaigns[?limit=N]`.
pub(crate) async fn list(
    State(app): State<Arc<App>>,
    Authed(s): Authed,
    query: Result<Query<HashMap<String, String>>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    require_campaign_staff(&s.staff)?;
    let Query(params) = query.map_err(|_| ApiError::bad("limit", "查询参数格式不正确"))?;
    let limit = match params.get("limit") {
        None => LIST_DEFAULT,
        Some(l) => l
            .parse::<usize>()
            .ok()
            .filter(|l| (1..=LIST_MAX).contains(l))
            .ok_or_else(|| ApiError::bad("limit", format!("limit 应在1到{LIST_MAX}之间")))?,
    };
    let summaries = with_store(&app, move |st| st.list(limit)).await?;
    let live = live(&app);
    let campaigns: Vec<Value> = summaries
        .iter()
        .filter(|c| sees(&s.staff, c.campaign.created_by))
        .map(|c| {
            let r = &c.campaign;
            let l = live.get(&r.id);
            let (households, reached, not_reached, remaining) = match l {
                Some(l) => (
                    u64::from(l.counters.households),
                    u64::from(l.counters.reached),
                    u64::from(l.counters.not_reached),
                    u64::from(l.counters.remaining),
                ),
                None => (c.households, c.reached, c.not_reached, c.remaining),
            };
            json!({
                "id": r.id,
                "name": r.name,
                "state": state_name(r.status, l),
                "notice": r.notice,
                "created_at": r.created,
                "finished_at": r.finished,
                "households": households,
                "reached": reached,
                "not_reached": not_reached,
                "remaining": remaining,
            })
        })
        .collect();
    Ok(Json(json!({ "campaigns": campaigns })))
}

/// The campaign `raw_id` names, if the staff member may see it (404 / 403 otherwise).
async fn visible(
    app: &App,
    s: &crate::session::Session,
    raw_id: &str,
) -> Result<CampaignRecord, ApiError> {
    require_campaign_staff(&s.staff)?;
    let id = id_param(raw_id, "群拨任务编号不正确")?;
    let record = with_store(app, move |st| st.campaign(id))
        .await?
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "id", "找不到该群拨任务"))?;
    require_sees(&s.staff, record.created_by)?;
    Ok(record)
}

/// `GET /api/campaigns/{id}`: settings and counters (live while it runs).
pub(crate) async fn show(
    State(app): State<Arc<App>>,
    Authed(s): Authed,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let r = visible(&app, &s, &id).await?;
    let live = live(&app);
    let l = live.get(&r.id);
    let counters = match l {
        Some(l) => l.counters.clone(),
        None => {
            let id = r.id;
            let rows = with_store(&app, move |st| st.report(id)).await?;
            stored_counters(&rows)
        }
    };
    Ok(Json(json!({
        "id": r.id,
        "name": r.name,
        "state": state_name(r.status, l),
        "notice": r.notice,
        "groups": r.groups,
        "created_at": r.created,
        "started_at": r.started,
        "finished_at": r.finished,
        "settings": settings_json(&r.settings),
        "counters": counters,
    })))
}

/// The counters of a campaign that is not running, from its stored results.
fn stored_counters(rows: &[HouseholdResult]) -> CampaignCounters {
    let count = |want: Option<bool>| rows.iter().filter(|r| r.reached == want).count();
    let n = |v: usize| u32::try_from(v).unwrap_or(u32::MAX);
    CampaignCounters {
        households: n(rows.len()),
        dialled: rows
            .iter()
            .map(|r| r.attempts)
            .fold(0u32, u32::saturating_add),
        ringing: 0,
        in_call: 0,
        reached: n(count(Some(true))),
        not_reached: n(count(Some(false))),
        remaining: n(count(None)),
        calls_per_second: 0,
        backing_off: false,
        waiting_for_window: false,
    }
}

/// Seconds heard as whole seconds (consoles and the CLI show no fractions).
fn whole_seconds(s: Option<f64>) -> Option<u64> {
    s.filter(|s| s.is_finite() && *s >= 0.0)
        .map(|s| s.round() as u64)
}

/// `GET /api/campaigns/{id}/report`: one row per household.
pub(crate) async fn report(
    State(app): State<Arc<App>>,
    Authed(s): Authed,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let r = visible(&app, &s, &id).await?;
    let id = r.id;
    let rows = with_store(&app, move |st| st.report(id)).await?;
    tracing::info!(staff = s.staff.id, campaign = id, "campaign report read");
    let households: Vec<Value> = rows
        .iter()
        .map(|h| {
            json!({
                "household_id": h.household_id,
                "code": h.code,
                "address": h.address,
                "block": h.block,
                "captain": h.captain,
                "reached": h.reached,
                "outcome": h.outcome,
                "attempts": h.attempts,
                "seconds_heard": whole_seconds(h.seconds_heard),
                "confirmed": h.confirmed,
            })
        })
        .collect();
    Ok(Json(json!({ "id": id, "households": households })))
}

/// `GET /api/campaigns/{id}/attempts`: one row per call attempt.
pub(crate) async fn attempts(
    State(app): State<Arc<App>>,
    Authed(s): Authed,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let r = visible(&app, &s, &id).await?;
    let id = r.id;
    let rows = with_store(&app, move |st| st.attempts(id)).await?;
    tracing::info!(staff = s.staff.id, campaign = id, "campaign attempts read");
    let attempts: Vec<Value> = rows
        .iter()
        .map(|a| {
            json!({
                "household_id": a.household_id,
                "number": a.dialled,
                "attempt": a.attempt,
                "started_at": a.started,
                "answered_at": a.answered,
                "ended_at": a.ended,
                "outcome": a.outcome,
                "answered": a.answered.is_some(),
                "sip_status": a.sip_code,
                "reason": (!a.reason.is_empty()).then_some(&a.reason),
                "seconds_heard": whole_seconds(a.seconds_heard),
                "confirmed": a.confirm_key,
            })
        })
        .collect();
    Ok(Json(json!({ "id": id, "attempts": attempts })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drafts_show_as_running_and_live_state_wins() {
        assert_eq!(state_name(CampaignStatus::Draft, None), "running");
        assert_eq!(state_name(CampaignStatus::Cancelled, None), "cancelled");
        let l = CampaignLive {
            id: 1,
            name: "x".into(),
            state: CampaignState::Paused,
            counters: stored_counters(&[]),
        };
        assert_eq!(state_name(CampaignStatus::Running, Some(&l)), "paused");
        assert_eq!(whole_seconds(Some(19.6)), Some(20));
        assert_eq!(whole_seconds(None), None);
    }
}

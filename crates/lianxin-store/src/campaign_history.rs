//! A household's recent group-call results, for the screen-pop card.
//!
//! Kept apart from [`crate::campaigns`] (which builds on the screen's address text) so
//! the screen-pop can use it without an import circle.

use crate::db::from_ms;
use crate::outcome::Outcome;
use crate::Result;
use chrono::{DateTime, Utc};
use rusqlite::Connection;
use serde::Serialize;

/// A group-call notice dialled to the household.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CampaignResult {
    /// Campaign id.
    pub campaign_id: i64,
    /// Campaign name.
    pub name: String,
    /// When the row was queued.
    pub created: DateTime<Utc>,
    /// Number dialled.
    pub number: String,
    /// Attempt state: `dialing` or an [`Outcome`] (`heard`, `no_answer`, …).
    pub state: String,
    /// The notice was heard: someone answered (是/否).
    pub heard: bool,
}

/// The household's latest `limit` attempts, newest first.
pub(crate) fn campaign_results(
    c: &Connection,
    household: i64,
    limit: usize,
) -> Result<Vec<CampaignResult>> {
    let mut st = c.prepare_cached(
        "SELECT k.campaign_id, p.name, k.created_ms, k.number, k.state
         FROM campaign_calls k JOIN campaigns p ON p.id = k.campaign_id
         WHERE k.household_id = ?1 ORDER BY k.created_ms DESC, k.id DESC LIMIT ?2",
    )?;
    let mut rows = st.query(rusqlite::params![household, limit as i64])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let state: String = r.get(4)?;
        out.push(CampaignResult {
            campaign_id: r.get(0)?,
            name: r.get(1)?,
            created: from_ms(r.get(2)?),
            number: r.get(3)?,
            heard: Outcome::parse(&state).is_some_and(Outcome::reached),
            state,
        });
    }
    Ok(out)
}

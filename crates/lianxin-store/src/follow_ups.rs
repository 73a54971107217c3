//! The block captains' follow-up lists: households a finished group call did not reach
//! (written by `Store::end_campaign`), listed per captain and closed once the captain
//! has told them in person.

use crate::db::{audit, from_ms, ms};
use crate::outcome::Outcome;
use crate::screen::address_at;
use crate::{Result, Store, StoreError};
use chrono::{DateTime, Utc};
use rusqlite::params;
use serde::Serialize;

/// A household on a block captain's follow-up list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FollowUp {
    /// Id.
    pub id: i64,
    /// The campaign that did not reach the household.
    pub campaign_id: i64,
    /// Its name.
    pub campaign_name: String,
    /// Household id.
    pub household_id: i64,
    /// Household code.
    pub code: String,
    /// Address text.
    pub address: String,
    /// The captain (staff id).
    pub captain_staff_id: Option<i64>,
    /// Why it was not reached.
    pub outcome: Option<Outcome>,
    /// Added.
    pub created: DateTime<Utc>,
    /// Done.
    pub done: bool,
}

impl Store {
    /// Follow-ups, oldest first: one captain's (`Some(staff id)`) or everyone's.
    pub fn follow_ups(&self, captain: Option<i64>, open_only: bool) -> Result<Vec<FollowUp>> {
        self.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT f.id, f.campaign_id, p.name, h.id, h.code, h.street, h.number, h.building,
                        h.unit, h.room, f.captain_staff_id, k.outcome, f.created_ms, f.status
                 FROM follow_ups f JOIN campaigns p ON p.id = f.campaign_id
                 JOIN households h ON h.id = f.household_id
                 LEFT JOIN campaign_households k
                     ON k.campaign_id = f.campaign_id AND k.household_id = f.household_id
                 WHERE (?1 IS NULL OR f.captain_staff_id = ?1) AND (?2 = 0 OR f.status = 'open')
                 ORDER BY f.created_ms, f.id",
            )?;
            let rows = st.query_map(params![captain, open_only], |r| {
                Ok(FollowUp {
                    id: r.get(0)?,
                    campaign_id: r.get(1)?,
                    campaign_name: r.get(2)?,
                    household_id: r.get(3)?,
                    code: r.get(4)?,
                    address: address_at(r, 5)?,
                    captain_staff_id: r.get(10)?,
                    outcome: r
                        .get::<_, Option<String>>(11)?
                        .as_deref()
                        .and_then(Outcome::parse),
                    created: from_ms(r.get(12)?),
                    done: r.get::<_, String>(13)? == "done",
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// Marks a follow-up done.
    pub fn close_follow_up(
        &self,
        id: i64,
        by: Option<i64>,
        note: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.write(|tx| {
            let n = tx.execute(
                "UPDATE follow_ups SET status = 'done', done_ms = ?2, done_by = ?3, note = ?4
                 WHERE id = ?1",
                params![id, ms(now), by, note],
            )?;
            if n == 0 {
                return Err(StoreError::NotFound(format!("follow-up {id}")));
            }
            audit(tx, by, "follow_up.done", &format!("follow_up:{id}"), note)
        })
    }
}

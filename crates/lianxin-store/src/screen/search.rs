//! Finding a household without its number on the line: by a member's name, the address,
//! the household code or a number (the walk-in clerk, the operator with an unknown
//! caller), optionally only within a captain's blocks; and attaching a caller's number
//! to the household found.

use crate::callerid::CallerId;
use crate::db::{audit, ms};
use crate::household_scope::HouseholdScope;
use crate::{Result, Store, StoreError};
use chrono::Utc;
use rusqlite::{params, OptionalExtension};
use serde::Serialize;

use super::address_at;

/// One household found by [`Store::search_households`] (name, address, code or number).
///
/// Serialized, it is what consoles get from the desk's household search
/// (`docs/desk-protocol.md`): `id`, `address`, `block`, `captain`, `members`, `numbers`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HouseholdHit {
    /// Household id (used to attach a number).
    pub id: i64,
    /// Household code (shown by the CLI; not part of the consoles' search result).
    #[serde(skip)]
    pub code: String,
    /// Full address as shown to staff.
    pub address: String,
    /// Block (片区) name, if assigned.
    pub block: Option<String>,
    /// Block captain's name, if any.
    pub captain: Option<String>,
    /// Members' names.
    pub members: Vec<String>,
    /// The household's numbers, normalized.
    pub numbers: Vec<String>,
}

/// The scope condition of the search's `household_id` queries (`?3`: the captain's
/// staff id, `NULL` for every household).
const IN_SCOPE: &str = "(?3 IS NULL OR household_id IN (SELECT h.id FROM households h JOIN blocks b ON b.id = h.block_id WHERE b.captain_staff_id = ?3))";

impl Store {
    /// Households whose member name, address or code contains `query`, or that own the
    /// number `query` stands for; at most `limit`.
    pub fn search_households(&self, query: &str, limit: usize) -> Result<Vec<HouseholdHit>> {
        self.search_households_in(query, limit, HouseholdScope::All)
    }

    /// Like [`search_households`](Self::search_households), only within `scope` (a
    /// captain's blocks), limited inside the query.
    pub fn search_households_in(
        &self,
        query: &str,
        limit: usize,
        scope: HouseholdScope,
    ) -> Result<Vec<HouseholdHit>> {
        let captain = scope.captain();
        let q = query.trim();
        if q.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        let number = self.normalize(q);
        self.read(|c| {
            let mut ids: Vec<i64> = Vec::new();
            let lim = limit as i64;
            if let Some(n) = number.number() {
                let mut st = c.prepare_cached(&format!("SELECT DISTINCT household_id FROM phones WHERE normalized = ?1 AND {IN_SCOPE} LIMIT ?2"))?;
                for id in st.query_map(params![n.number, lim, captain], |r| r.get(0))? {
                    ids.push(id?);
                }
            }
            let pattern = format!("%{}%", q.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
            let mut st = c.prepare_cached(&format!(
                "SELECT DISTINCT household_id FROM residents WHERE name LIKE ?1 ESCAPE '\\' AND {IN_SCOPE} LIMIT ?2",
            ))?;
            for id in st.query_map(params![pattern, lim, captain], |r| r.get(0))? {
                ids.push(id?);
            }
            let mut st = c.prepare_cached(
                "SELECT id FROM households WHERE (code = ?3 OR
                    (street || number || '号' || building || unit || room) LIKE ?1 ESCAPE '\\'
                    OR (street || number || '号' || building || '号楼' || unit || '单元' || room) LIKE ?1 ESCAPE '\\')
                    AND (?4 IS NULL OR block_id IN (SELECT id FROM blocks WHERE captain_staff_id = ?4))
                 LIMIT ?2",
            )?;
            for id in st.query_map(params![pattern, lim, q, captain], |r| r.get(0))? {
                ids.push(id?);
            }
            let mut seen = std::collections::HashSet::new();
            ids.retain(|i| seen.insert(*i));
            ids.truncate(limit);
            let mut out = Vec::with_capacity(ids.len());
            for id in ids {
                let head = c
                    .prepare_cached(
                        "SELECT h.code, h.street, h.number, h.building, h.unit, h.room, b.name, b.captain_name
                         FROM households h LEFT JOIN blocks b ON b.id = h.block_id WHERE h.id = ?1",
                    )?
                    .query_row([id], |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            address_at(r, 1)?,
                            r.get::<_, Option<String>>(6)?,
                            r.get::<_, Option<String>>(7)?,
                        ))
                    })
                    .optional()?;
                let Some((code, address, block, captain)) = head else { continue };
                let members = c
                    .prepare_cached("SELECT name FROM residents WHERE household_id = ?1 ORDER BY id")?
                    .query_map([id], |r| r.get(0))?
                    .collect::<rusqlite::Result<Vec<String>>>()?;
                let numbers = c
                    .prepare_cached("SELECT normalized FROM phones WHERE household_id = ?1 ORDER BY id")?
                    .query_map([id], |r| r.get(0))?
                    .collect::<rusqlite::Result<Vec<String>>>()?;
                out.push(HouseholdHit { id, code, address, block, captain, members, numbers });
            }
            Ok(out)
        })
    }

    /// Attaches a number to a household (an operator recognised an unknown caller);
    /// audited. Returns the normalized number. Attaching a number twice is a no-op.
    pub fn attach_number(
        &self,
        household_id: i64,
        raw: &str,
        staff_id: i64,
    ) -> Result<crate::Normalized> {
        let n = match self.normalize(raw) {
            CallerId::Number(n) => n,
            _ => return Err(StoreError::InvalidNumber(raw.to_string())),
        };
        self.write(|tx| {
            let exists: Option<i64> = tx
                .prepare_cached("SELECT id FROM households WHERE id = ?1")?
                .query_row([household_id], |r| r.get(0))
                .optional()?;
            if exists.is_none() {
                return Err(StoreError::NotFound(format!("household {household_id}")));
            }
            let added = tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO phones (household_id, raw, normalized, kind, created_ms)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )?
                .execute(params![
                    household_id,
                    raw,
                    n.number,
                    n.kind.as_str(),
                    ms(Utc::now())
                ])?;
            if added > 0 {
                audit(
                    tx,
                    Some(staff_id),
                    "attach_number",
                    &format!("household:{household_id}"),
                    &n.number,
                )?;
            }
            Ok(())
        })?;
        Ok(n)
    }
}

//! Which blocks (片区) a campaign's households are in, and who captains them.
//!
//! A block captain may only send notices to households of the blocks they captain; the
//! desk asks this before it lets a captain preview or start a campaign. It resolves the
//! target spec exactly as campaign creation does ([`crate::campaigns`]: each household
//! once, unknown groups or household ids an error naming them) and reads each
//! household's block in the same snapshot. No decisions here: the desk decides.

use crate::campaigns::{targets, TargetSpec};
use crate::{Result, Store};
use rusqlite::OptionalExtension;
use serde::Serialize;

/// A household a campaign would call, with its block and the block's captain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TargetBlock {
    /// Household id.
    pub household_id: i64,
    /// Its block's name, if it is in one.
    pub block: Option<String>,
    /// The staff account of that block's captain, if any.
    pub captain_staff_id: Option<i64>,
}

impl Store {
    /// The households `spec` names (each once, ascending by id) with their blocks.
    pub fn campaign_blocks(&self, spec: &TargetSpec) -> Result<Vec<TargetBlock>> {
        self.read_snapshot(|c| {
            let mut st = c.prepare_cached(
                "SELECT b.name, b.captain_staff_id
                 FROM households h LEFT JOIN blocks b ON b.id = h.block_id WHERE h.id = ?1",
            )?;
            let mut out = Vec::new();
            for t in targets(c, spec)? {
                let row: Option<(Option<String>, Option<i64>)> = st
                    .query_row([t.household_id], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()?;
                let (block, captain_staff_id) = row.unwrap_or((None, None));
                out.push(TargetBlock {
                    household_id: t.household_id,
                    block,
                    captain_staff_id,
                });
            }
            Ok(out)
        })
    }
}

//! Which households a staff member may read: everyone's, or — for a block captain — only
//! those of the blocks they captain (issue 10, point 11).
//!
//! Why here: the scope is a fact of the database (`blocks.captain_staff_id`), and a
//! captain's search must be limited inside the query, not cut after it (a search limited
//! to 20 hits community-wide could otherwise hide every hit in their own block). The
//! desk decides who gets which scope (its `access` module).

use std::collections::HashSet;

use crate::{Result, Store};

/// The households a reader may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HouseholdScope {
    /// Every household (operators, committee staff, supervisors, admins).
    All,
    /// Only households of the blocks whose captain is this staff id.
    Captain(i64),
}

impl HouseholdScope {
    /// The captain's staff id, for SQL (`NULL`: no restriction).
    pub(crate) fn captain(self) -> Option<i64> {
        match self {
            HouseholdScope::All => None,
            HouseholdScope::Captain(id) => Some(id),
        }
    }
}

impl Store {
    /// The ids of the households in the blocks whose captain is `staff_id` (empty for
    /// someone who captains no block).
    pub fn captain_households(&self, staff_id: i64) -> Result<HashSet<i64>> {
        self.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT h.id FROM households h JOIN blocks b ON b.id = h.block_id
                 WHERE b.captain_staff_id = ?1",
            )?;
            let ids = st
                .query_map([staff_id], |r| r.get(0))?
                .collect::<rusqlite::Result<HashSet<i64>>>()?;
            Ok(ids)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::DemoOptions;

    /// Regression (issue 10, point 11): a captain's search finds only their blocks'
    /// households, however many hits the community has elsewhere.
    #[test]
    fn a_captains_search_stays_in_their_blocks() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path().join("t.db")).unwrap();
        s.generate_demo(
            &DemoOptions {
                seed: 0,
                households: 300,
                now: chrono::DateTime::from_timestamp(1_764_000_000, 0).unwrap(),
            },
            &mut |_| {},
        )
        .unwrap();
        let captain = s
            .staff_list()
            .unwrap()
            .into_iter()
            .find(|m| m.username == "captain")
            .unwrap()
            .id;
        let mine = s.captain_households(captain).unwrap();
        assert!(!mine.is_empty());
        // A common surname: hits everywhere for everyone, only the block's for the captain.
        let all = s.search_households("王", 20).unwrap();
        assert!(
            all.iter().any(|h| !mine.contains(&h.id)),
            "demo data too small"
        );
        let scoped = s
            .search_households_in("王", 20, HouseholdScope::Captain(captain))
            .unwrap();
        assert!(!scoped.is_empty());
        assert!(scoped.iter().all(|h| mine.contains(&h.id)));
        // Someone who captains nothing sees nothing.
        assert!(s.captain_households(-1).unwrap().is_empty());
        assert!(s
            .search_households_in("王", 20, HouseholdScope::Captain(-1))
            .unwrap()
            .is_empty());
    }
}

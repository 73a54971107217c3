//! The phone groups (电话组) with how many households each holds: what the console's
//! group-call screen offers to pick from before a preview.

use serde::Serialize;

use crate::{Result, Store};

/// One phone group and its number of households.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PhoneGroupCount {
    /// The group's name (what a campaign names in `groups`).
    pub name: String,
    /// Households in the group.
    pub households: u32,
}

impl Store {
    /// Every phone group still offered (not retired) with its household count, in the
    /// order they were made.
    pub fn phone_groups(&self) -> Result<Vec<PhoneGroupCount>> {
        self.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT g.name, count(m.household_id) FROM phone_groups g
                 LEFT JOIN group_members m ON m.group_id = g.id
                 WHERE g.retired = 0
                 GROUP BY g.id ORDER BY g.id",
            )?;
            let rows = st.query_map([], |r| {
                Ok(PhoneGroupCount {
                    name: r.get(0)?,
                    households: r.get(1)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::Store;

    #[test]
    fn groups_come_with_their_household_counts() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("g.db")).unwrap();
        let opts = crate::demo::DemoOptions {
            seed: 7,
            households: 60,
            now: chrono::Utc::now(),
        };
        store.generate_demo(&opts, &mut |_| {}).unwrap();
        let groups = store.phone_groups().unwrap();
        assert!(!groups.is_empty());
        let total: u32 = groups.iter().map(|g| g.households).sum();
        assert!(total > 0, "{groups:?}");
        assert!(groups.iter().all(|g| !g.name.is_empty()));
    }
}

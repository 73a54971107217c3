//! Phone groups (电话组) as an administrator keeps them: every group with its household
//! count (retired ones too), adding, renaming and retiring a group, its members, and
//! adding or removing a household.
//!
//! Why retire and not delete: campaigns name the groups they called, and their reports
//! must keep saying so; a retired group keeps its members and history but is no longer
//! offered for new group calls ([`Store::phone_groups`] leaves it out and a campaign
//! naming it is refused). A refusal names the field with a Chinese message; every change
//! is audited.

use chrono::Utc;
use rusqlite::{params, OptionalExtension};
use serde::Serialize;

use crate::db::{audit, ms};
use crate::request_rules::RequestRefused;
use crate::screen::address_at;
use crate::{Result, Store, StoreError};

/// Longest group name.
pub const MAX_GROUP_NAME: usize = 30;
/// Most members one listing returns.
pub const MAX_MEMBERS_LISTED: usize = 2000;

/// One phone group as the admins' screen lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PhoneGroupInfo {
    /// Row id.
    pub id: i64,
    /// Name (what a campaign names in `groups`).
    pub name: String,
    /// Description.
    pub description: String,
    /// Households in the group.
    pub households: u32,
    /// Retired: kept for history, not offered for new group calls.
    pub retired: bool,
}

/// A household in a group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupMember {
    /// Household id.
    pub household_id: i64,
    /// Household code.
    pub code: String,
    /// Address as shown to staff.
    pub address: String,
    /// Members' names.
    pub members: Vec<String>,
}

fn invalid(field: &'static str, message: impl Into<String>) -> StoreError {
    StoreError::Refused(RequestRefused::Invalid {
        field,
        message: message.into(),
    })
}

fn check_name(name: &str) -> Result<&str> {
    let name = name.trim();
    if name.is_empty() {
        return Err(invalid("name", "请填写电话组名称"));
    }
    if name.chars().count() > MAX_GROUP_NAME {
        return Err(invalid(
            "name",
            format!("电话组名称太长，最多{MAX_GROUP_NAME}个字"),
        ));
    }
    Ok(name)
}

impl Store {
    /// Every phone group, retired ones included, in the order they were made.
    pub fn phone_group_infos(&self) -> Result<Vec<PhoneGroupInfo>> {
        self.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT g.id, g.name, g.description, count(m.household_id), g.retired
                 FROM phone_groups g LEFT JOIN group_members m ON m.group_id = g.id
                 GROUP BY g.id ORDER BY g.id",
            )?;
            let rows = st.query_map([], |r| {
                Ok(PhoneGroupInfo {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    description: r.get(2)?,
                    households: r.get(3)?,
                    retired: r.get(4)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// One group.
    pub fn phone_group_info(&self, id: i64) -> Result<PhoneGroupInfo> {
        self.phone_group_infos()?
            .into_iter()
            .find(|g| g.id == id)
            .ok_or_else(|| StoreError::NotFound(format!("phone group {id}")))
    }

    /// Adds a group; its name must be new.
    pub fn create_phone_group(
        &self,
        name: &str,
        description: &str,
        by: Option<i64>,
    ) -> Result<PhoneGroupInfo> {
        let name = check_name(name)?;
        let id = self.write(|tx| {
            name_free(tx, name, None)?;
            tx.execute(
                "INSERT INTO phone_groups (name, description, created_by, created_ms)
                 VALUES (?1, ?2, ?3, ?4)",
                params![name, description.trim(), by, ms(Utc::now())],
            )?;
            let id = tx.last_insert_rowid();
            audit(tx, by, "create", &format!("phone_group:{id}"), name)?;
            Ok(id)
        })?;
        self.phone_group_info(id)
    }

    /// Renames a group (campaigns made before keep pointing at it by id) and/or sets
    /// whether it is retired.
    pub fn change_phone_group(
        &self,
        id: i64,
        name: Option<&str>,
        retired: Option<bool>,
        by: Option<i64>,
    ) -> Result<PhoneGroupInfo> {
        let name = name.map(check_name).transpose()?;
        self.write(|tx| {
            let exists: Option<i64> = tx
                .prepare_cached("SELECT id FROM phone_groups WHERE id = ?1")?
                .query_row([id], |r| r.get(0))
                .optional()?;
            if exists.is_none() {
                return Err(StoreError::NotFound(format!("phone group {id}")));
            }
            if let Some(name) = name {
                name_free(tx, name, Some(id))?;
                tx.execute(
                    "UPDATE phone_groups SET name = ?2 WHERE id = ?1",
                    params![id, name],
                )?;
                audit(tx, by, "rename", &format!("phone_group:{id}"), name)?;
            }
            if let Some(retired) = retired {
                tx.execute(
                    "UPDATE phone_groups SET retired = ?2 WHERE id = ?1",
                    params![id, retired],
                )?;
                let action = if retired { "retire" } else { "restore" };
                audit(tx, by, action, &format!("phone_group:{id}"), "")?;
            }
            Ok(())
        })?;
        self.phone_group_info(id)
    }

    /// The households of a group, by id (at most [`MAX_MEMBERS_LISTED`]).
    pub fn phone_group_members(&self, id: i64) -> Result<Vec<GroupMember>> {
        self.phone_group_info(id)?;
        self.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT h.id, h.code, h.street, h.number, h.building, h.unit, h.room,
                        (SELECT group_concat(name, char(31)) FROM
                            (SELECT r.name FROM residents r WHERE r.household_id = h.id ORDER BY r.id))
                 FROM group_members m JOIN households h ON h.id = m.household_id
                 WHERE m.group_id = ?1 ORDER BY h.id LIMIT ?2",
            )?;
            let rows = st.query_map(params![id, MAX_MEMBERS_LISTED as i64], |r| {
                let names: Option<String> = r.get(7)?;
                Ok(GroupMember {
                    household_id: r.get(0)?,
                    code: r.get(1)?,
                    address: address_at(r, 2)?,
                    members: names
                        .map(|n| n.split('\u{1f}').map(str::to_owned).collect())
                        .unwrap_or_default(),
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// Puts a household in a group (a no-op if it is there) or takes it out.
    pub fn set_group_member(
        &self,
        group: i64,
        household: i64,
        member: bool,
        by: Option<i64>,
    ) -> Result<PhoneGroupInfo> {
        self.phone_group_info(group)?;
        self.write(|tx| {
            let known: Option<i64> = tx
                .prepare_cached("SELECT id FROM households WHERE id = ?1")?
                .query_row([household], |r| r.get(0))
                .optional()?;
            if known.is_none() {
                return Err(invalid("household_id", "找不到该住户"));
            }
            let changed = if member {
                tx.execute(
                    "INSERT OR IGNORE INTO group_members (group_id, household_id) VALUES (?1, ?2)",
                    params![group, household],
                )?
            } else {
                tx.execute(
                    "DELETE FROM group_members WHERE group_id = ?1 AND household_id = ?2",
                    params![group, household],
                )?
            };
            if changed > 0 {
                audit(
                    tx,
                    by,
                    if member {
                        "add_member"
                    } else {
                        "remove_member"
                    },
                    &format!("phone_group:{group}"),
                    &format!("household:{household}"),
                )?;
            }
            Ok(())
        })?;
        self.phone_group_info(group)
    }
}

/// Refuses a name another group has.
fn name_free(c: &rusqlite::Connection, name: &str, except: Option<i64>) -> Result<()> {
    let taken: Option<i64> = c
        .prepare_cached("SELECT id FROM phone_groups WHERE name = ?1 AND id IS NOT ?2")?
        .query_row(params![name, except], |r| r.get(0))
        .optional()?;
    match taken {
        Some(_) => Err(StoreError::Conflict {
            field: "name",
            message: format!("已经有名为“{name}”的电话组"),
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("g.db")).unwrap();
        let opts = crate::demo::DemoOptions {
            seed: 7,
            households: 60,
            now: Utc::now(),
        };
        store.generate_demo(&opts, &mut |_| {}).unwrap();
        (dir, store)
    }

    #[test]
    fn groups_are_added_renamed_retired_and_filled() {
        let (_d, s) = demo();
        let before = s.phone_group_infos().unwrap();
        let offered = s.phone_groups().unwrap().len();
        let g = s
            .create_phone_group(" 冬季巡查 ", "各楼门长", Some(1))
            .unwrap();
        assert_eq!(
            (g.name.as_str(), g.households, g.retired),
            ("冬季巡查", 0, false)
        );
        match s.create_phone_group("冬季巡查", "", None) {
            Err(StoreError::Conflict { field, .. }) => assert_eq!(field, "name"),
            other => panic!("{other:?}"),
        }
        match s.create_phone_group("  ", "", None) {
            Err(StoreError::Refused(r)) => assert_eq!(r.field(), "name"),
            other => panic!("{other:?}"),
        }
        let g = s.set_group_member(g.id, 1, true, Some(1)).unwrap();
        let g = s.set_group_member(g.id, 1, true, Some(1)).unwrap();
        let g = s.set_group_member(g.id, 2, true, Some(1)).unwrap();
        assert_eq!(g.households, 2);
        let members = s.phone_group_members(g.id).unwrap();
        assert_eq!(
            members.iter().map(|m| m.household_id).collect::<Vec<_>>(),
            [1, 2]
        );
        assert!(!members[0].address.is_empty());
        match s.set_group_member(g.id, 999_999, true, None) {
            Err(StoreError::Refused(r)) => assert_eq!(r.field(), "household_id"),
            other => panic!("{other:?}"),
        }
        let g = s.set_group_member(g.id, 1, false, Some(1)).unwrap();
        assert_eq!(g.households, 1);
        let g = s
            .change_phone_group(g.id, Some("冬季巡查组"), None, Some(1))
            .unwrap();
        assert_eq!(g.name, "冬季巡查组");
        match s.change_phone_group(g.id, Some(&before[0].name), None, None) {
            Err(StoreError::Conflict { field, .. }) => assert_eq!(field, "name"),
            other => panic!("{other:?}"),
        }
        assert_eq!(s.phone_groups().unwrap().len(), offered + 1);
        let g = s
            .change_phone_group(g.id, None, Some(true), Some(1))
            .unwrap();
        assert!(g.retired);
        // Retired: listed for admins, no longer offered for group calls.
        assert_eq!(s.phone_group_infos().unwrap().len(), before.len() + 1);
        assert_eq!(s.phone_groups().unwrap().len(), offered);
        assert!(matches!(
            s.change_phone_group(999, None, Some(true), None),
            Err(StoreError::NotFound(_))
        ));
    }
}

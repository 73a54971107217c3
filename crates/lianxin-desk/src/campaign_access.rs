//! Who may do what with group-call campaigns, notices and follow-ups.
//!
//! The rules (`docs/desk-protocol.md` §9 has the table): committee staff, supervisors and
//! admins run and see every campaign; a block captain only campaigns whose households
//! are all in blocks they captain, and sees only the campaigns they started and the
//! follow-ups of their blocks; operators take hotline calls and get none of it (403).
//! Both the HTTP handlers and the hub's fan-out of `campaign.*` frames ask here, so the
//! two cannot disagree.

use std::collections::BTreeSet;

use lianxin_store::{Role, TargetBlock};

use crate::api::ApiError;
use crate::directory::Staff;

/// Whether `role` sees every campaign (frames, lists, reports).
pub(crate) fn sees_all(role: Role) -> bool {
    matches!(role, Role::Committee | Role::Supervisor | Role::Admin)
}

/// Whether `staff` sees a campaign created by `owner` (`None`: the command line).
pub(crate) fn sees(staff: &Staff, owner: Option<i64>) -> bool {
    sees_all(staff.role) || (staff.role == Role::Captain && owner == Some(staff.id))
}

/// Refuses staff who may not use campaigns at all (operators).
pub(crate) fn require_campaign_staff(staff: &Staff) -> Result<(), ApiError> {
    if sees_all(staff.role) || staff.role == Role::Captain {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "role",
            "热线值班员不能使用电话群拨功能；请联系居委会工作人员",
        ))
    }
}

/// Refuses a captain a campaign created by someone else.
pub(crate) fn require_sees(staff: &Staff, owner: Option<i64>) -> Result<(), ApiError> {
    if sees(staff, owner) {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "id",
            "包片主任只能查看和操作自己发起的群拨任务",
        ))
    }
}

/// A captain's campaign must only reach households of blocks they captain: the blocks
/// (named) of the households that are not theirs, or `None` when all are.
pub(crate) fn foreign_blocks(captain: i64, households: &[TargetBlock]) -> Option<String> {
    let foreign: BTreeSet<&str> = households
        .iter()
        .filter(|h| h.captain_staff_id != Some(captain))
        .map(|h| h.block.as_deref().unwrap_or("未划片区"))
        .collect();
    if foreign.is_empty() {
        None
    } else {
        Some(foreign.into_iter().collect::<Vec<_>>().join("、"))
    }
}

/// The 403 for a captain whose group `group` reaches other blocks.
pub(crate) fn group_refused(group: &str, blocks: &str) -> ApiError {
    ApiError::forbidden(
        "groups",
        format!(
            "电话分组“{group}”包含不在您负责片区的住户（{blocks}），包片主任只能通知自己片区的住户"
        ),
    )
}

/// The 403 for a captain whose listed households include other blocks' ones.
pub(crate) fn households_refused(ids: &[i64], blocks: &str) -> ApiError {
    let ids: Vec<String> = ids.iter().map(i64::to_string).collect();
    ApiError::forbidden(
        "households",
        format!(
            "住户 {} 不在您负责的片区（{blocks}），包片主任只能通知自己片区的住户",
            ids.join("、")
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn staff(id: i64, role: Role) -> Staff {
        Staff {
            id,
            username: format!("u{id}"),
            display_name: "x".into(),
            role,
            extension: None,
        }
    }

    fn hh(id: i64, block: Option<&str>, captain: Option<i64>) -> TargetBlock {
        TargetBlock {
            household_id: id,
            block: block.map(str::to_owned),
            captain_staff_id: captain,
        }
    }

    #[test]
    fn roles() {
        for r in [Role::Committee, Role::Supervisor, Role::Admin] {
            assert!(sees(&staff(1, r), None));
            assert!(require_campaign_staff(&staff(1, r)).is_ok());
        }
        let cap = staff(4, Role::Captain);
        assert!(require_campaign_staff(&cap).is_ok());
        assert!(sees(&cap, Some(4)));
        assert!(!sees(&cap, Some(5)));
        assert!(!sees(&cap, None));
        let op = staff(2, Role::Operator);
        assert!(require_campaign_staff(&op).is_err());
        assert!(!sees(&op, Some(2)));
    }

    #[test]
    fn foreign_blocks_are_named_once() {
        let list = [
            hh(1, Some("第一片区"), Some(4)),
            hh(2, Some("第二片区"), Some(5)),
            hh(3, Some("第二片区"), Some(5)),
            hh(4, None, None),
        ];
        assert_eq!(
            foreign_blocks(4, &list).as_deref(),
            Some("未划片区、第二片区")
        );
        assert_eq!(foreign_blocks(4, &list[..1]), None);
    }
}

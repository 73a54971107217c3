//! Who may do what with requests over HTTP, and who receives their frames.
//!
//! The workflow's own rules (stages, escalation to a department, thresholds, a captain's
//! block) are the store's (`lianxin_store::request_rules`), so the CLI and the desk
//! cannot disagree; this module adds what only the desk knows: the acting staff member
//! as an [`Actor`], the captain's view of lists and household cards, and the audience
//! of `request.*` frames (the responsible person, the block captain, supervisors and
//! admins).

use lianxin_store::request_rules::{sees, Actor};
use lianxin_store::{HouseholdCard, RequestRecord, Role};

use crate::api::ApiError;
use crate::directory::Staff;

/// The staff member as the rules see them.
pub(crate) fn actor(staff: &Staff) -> Actor {
    Actor::staff(staff.id, staff.role)
}

/// Whether `staff`'s consoles receive the frames of a request with this responsible
/// person and block captain.
pub(crate) fn receives(staff: &Staff, responsible: Option<i64>, captain: Option<i64>) -> bool {
    staff.role.watches_operators() || responsible == Some(staff.id) || captain == Some(staff.id)
}

/// The captain whose view a list is limited to (`None` for other roles).
pub(crate) fn captain_scope(staff: &Staff) -> Option<i64> {
    (staff.role == Role::Captain).then_some(staff.id)
}

/// Refuses a captain a request of another block not assigned to them.
pub(crate) fn require_sees(staff: &Staff, r: &RequestRecord) -> Result<(), ApiError> {
    if sees(&actor(staff), r.captain_staff_id, r.responsible_staff_id) {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "id",
            "包片主任只能查看和办理本片区或分派给自己的诉求",
        ))
    }
}

/// Refuses a captain the card of a household outside their blocks.
pub(crate) fn require_household(staff: &Staff, card: &HouseholdCard) -> Result<(), ApiError> {
    let captain = card.block.as_ref().and_then(|b| b.captain_staff_id);
    if staff.role != Role::Captain || captain == Some(staff.id) {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "id",
            "包片主任只能查看本片区住户的资料",
        ))
    }
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

    #[test]
    fn frames_reach_the_people_of_the_request_and_the_supervisors() {
        for r in [Role::Supervisor, Role::Admin] {
            assert!(receives(&staff(1, r), Some(4), Some(5)));
        }
        assert!(receives(&staff(4, Role::Captain), Some(4), Some(5)));
        assert!(receives(&staff(5, Role::Captain), Some(4), Some(5)));
        assert!(!receives(&staff(6, Role::Captain), Some(4), Some(5)));
        assert!(!receives(&staff(2, Role::Operator), Some(4), Some(5)));
        assert!(!receives(&staff(3, Role::Committee), Some(4), None));
        assert_eq!(captain_scope(&staff(4, Role::Captain)), Some(4));
        assert_eq!(captain_scope(&staff(3, Role::Committee)), None);
    }
}

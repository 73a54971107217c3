//! Who may read which households and voice messages (issue 10, point 11).
//!
//! Block captains (包片主任) handle their own blocks: they see only the households of the
//! blocks they captain — in a search, when attaching a number, in the voice-message list
//! and its audio. A voice message of a caller who was not recognised belongs to no
//! household and so to no captain. Every other role reads the whole community, as the
//! hotline needs (the table of roles is in `docs/desk-protocol.md` §1). Something outside
//! a captain's blocks is answered as if it did not exist (404), so a captain cannot probe
//! for it.

use std::collections::HashSet;

use lianxin_store::{HouseholdScope, Role};

use crate::api::{blocking, ApiError};
use crate::app::App;
use crate::session::Session;

/// The households `s` may read.
pub(crate) fn household_scope(s: &Session) -> HouseholdScope {
    match s.staff.role {
        Role::Captain => HouseholdScope::Captain(s.staff.id),
        _ => HouseholdScope::All,
    }
}

/// What `s` may read, as a set when it is limited (`None`: everything).
pub(crate) async fn readable_households(
    app: &App,
    s: &Session,
) -> Result<Option<HashSet<i64>>, ApiError> {
    match household_scope(s) {
        HouseholdScope::All => Ok(None),
        HouseholdScope::Captain(id) => {
            let dir = app.directory.clone();
            Ok(Some(blocking(move || dir.captain_households(id)).await?))
        }
    }
}

/// Whether a household (or a voice message's, `None`: unrecognised caller) is readable.
pub(crate) fn may_read(readable: &Option<HashSet<i64>>, household: Option<i64>) -> bool {
    match (readable, household) {
        (None, _) => true,
        (Some(set), Some(h)) => set.contains(&h),
        (Some(_), None) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_limited_reader_sees_only_their_households_and_no_unrecognised_caller() {
        let all = None;
        assert!(may_read(&all, Some(7)));
        assert!(may_read(&all, None));
        let mine = Some(HashSet::from([1, 2]));
        assert!(may_read(&mine, Some(1)));
        assert!(!may_read(&mine, Some(7)));
        assert!(!may_read(&mine, None));
    }
}

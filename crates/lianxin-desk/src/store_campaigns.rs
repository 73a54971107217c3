//! [`CampaignStore`] for the real database, `lianxin_store::Store`.
//!
//! A thin mapping like `store`: the store's campaign types go through as they are; its
//! "not found" errors about the target spec become [`DirectoryError::Invalid`] naming
//! `groups` or `households` and the unknown names, in Chinese. No SQL here.

use chrono::Utc;
use lianxin_store::{
    AttemptResult, CampaignPreview, CampaignRecord, CampaignSettings, CampaignSummary, FollowUp,
    HouseholdResult, PhoneGroupCount, Store, StoreError, TargetBlock, TargetSpec,
};

use crate::campaign_store::CampaignStore;
use crate::directory::DirectoryError;

impl CampaignStore for Store {
    fn preview(
        &self,
        spec: &TargetSpec,
        settings: &CampaignSettings,
    ) -> Result<CampaignPreview, DirectoryError> {
        Store::campaign_preview(self, spec, settings).map_err(target_error)
    }

    fn blocks(&self, spec: &TargetSpec) -> Result<Vec<TargetBlock>, DirectoryError> {
        Store::campaign_blocks(self, spec).map_err(target_error)
    }

    fn list(&self, limit: usize) -> Result<Vec<CampaignSummary>, DirectoryError> {
        Store::campaigns(self, limit).map_err(backend)
    }

    fn campaign(&self, id: i64) -> Result<Option<CampaignRecord>, DirectoryError> {
        Store::campaign(self, id).map_err(backend)
    }

    fn report(&self, id: i64) -> Result<Vec<HouseholdResult>, DirectoryError> {
        Store::campaign_report(self, id).map_err(backend)
    }

    fn attempts(&self, id: i64) -> Result<Vec<AttemptResult>, DirectoryError> {
        Store::campaign_attempts(self, id).map_err(backend)
    }

    fn groups(&self) -> Result<Vec<PhoneGroupCount>, DirectoryError> {
        Store::phone_groups(self).map_err(backend)
    }

    fn follow_ups(
        &self,
        captain: Option<i64>,
        open_only: bool,
    ) -> Result<Vec<FollowUp>, DirectoryError> {
        Store::follow_ups(self, captain, open_only).map_err(backend)
    }

    fn close_follow_up(&self, id: i64, staff_id: i64, note: &str) -> Result<(), DirectoryError> {
        match Store::close_follow_up(self, id, Some(staff_id), note, Utc::now()) {
            Ok(()) => Ok(()),
            Err(StoreError::NotFound(_)) => Err(DirectoryError::NotFound { field: "id" }),
            Err(e) => Err(backend(e)),
        }
    }

    fn audit(
        &self,
        staff_id: i64,
        action: &str,
        entity: &str,
        detail: &str,
    ) -> Result<(), DirectoryError> {
        Store::audit(self, Some(staff_id), action, entity, detail).map_err(backend)
    }
}

/// The store names an unknown group as `phone group "X"` and unknown households as
/// `households 3, 9`; the console gets the field and the names.
fn target_error(e: StoreError) -> DirectoryError {
    match e {
        StoreError::NotFound(what) => {
            if let Some(name) = what.strip_prefix("phone group ") {
                DirectoryError::Invalid {
                    field: "groups",
                    message: format!("没有名为“{}”的电话分组", name.trim_matches('"')),
                }
            } else if let Some(ids) = what.strip_prefix("households ") {
                DirectoryError::Invalid {
                    field: "households",
                    message: format!("找不到编号为 {ids} 的住户"),
                }
            } else {
                DirectoryError::Invalid {
                    field: "groups",
                    message: "所选的电话分组或住户不存在".into(),
                }
            }
        }
        e => backend(e),
    }
}

fn backend(e: StoreError) -> DirectoryError {
    DirectoryError::Backend(e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_targets_name_the_field_and_the_names() {
        match target_error(StoreError::NotFound("phone group \"楼长\"".into())) {
            DirectoryError::Invalid { field, message } => {
                assert_eq!(field, "groups");
                assert!(message.contains("“楼长”"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        match target_error(StoreError::NotFound("households 7, 9".into())) {
            DirectoryError::Invalid { field, message } => {
                assert_eq!(field, "households");
                assert!(message.contains("7, 9"), "{message}");
            }
            other => panic!("{other:?}"),
        }
    }
}

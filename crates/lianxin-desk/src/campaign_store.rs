//! What the desk reads from (and writes to) the database about group-call campaigns, as a
//! trait: previews, the blocks of a campaign's households (for the captain check), lists,
//! reports, follow-ups and the audit of staff actions.
//!
//! Like [`Directory`](crate::Directory), it keeps SQL out of the desk: the store
//! implements it (module `store_campaigns`), and a directory hands it out through
//! [`Directory::campaigns`](crate::Directory::campaigns) (the in-memory directory has
//! none, so its desk answers campaign reads 503). The methods are synchronous; handlers
//! run them on tokio's blocking pool. Errors name the request field at fault.

use lianxin_store::{
    AttemptResult, CampaignPreview, CampaignRecord, CampaignSettings, CampaignSummary, FollowUp,
    HouseholdResult, PhoneGroupCount, TargetBlock, TargetSpec,
};

use crate::directory::DirectoryError;

/// The database side of campaigns, as the desk needs it.
pub trait CampaignStore: Send + Sync {
    /// What a campaign over `spec` with `settings` would do. Unknown groups are
    /// `Invalid { field: "groups" }` naming them, unknown households the same with
    /// `households`.
    fn preview(
        &self,
        spec: &TargetSpec,
        settings: &CampaignSettings,
    ) -> Result<CampaignPreview, DirectoryError>;

    /// The households `spec` names with their blocks and captains (errors as `preview`).
    fn blocks(&self, spec: &TargetSpec) -> Result<Vec<TargetBlock>, DirectoryError>;

    /// Campaigns, newest first, at most `limit`.
    fn list(&self, limit: usize) -> Result<Vec<CampaignSummary>, DirectoryError>;

    /// One campaign, if it exists.
    fn campaign(&self, id: i64) -> Result<Option<CampaignRecord>, DirectoryError>;

    /// Its per-household report.
    fn report(&self, id: i64) -> Result<Vec<HouseholdResult>, DirectoryError>;

    /// Its per-attempt report.
    fn attempts(&self, id: i64) -> Result<Vec<AttemptResult>, DirectoryError>;

    /// Follow-ups: one captain's (`Some(staff id)`) or everyone's; open ones only if
    /// `open_only`.
    fn follow_ups(
        &self,
        captain: Option<i64>,
        open_only: bool,
    ) -> Result<Vec<FollowUp>, DirectoryError>;

    /// Marks follow-up `id` done, by `staff_id`, with a note (`NotFound { field: "id" }`
    /// if there is none).
    fn close_follow_up(&self, id: i64, staff_id: i64, note: &str) -> Result<(), DirectoryError>;

    /// The phone groups with their household counts (for the console's group picker).
    /// A store without groups keeps the default: none.
    fn groups(&self) -> Result<Vec<PhoneGroupCount>, DirectoryError> {
        Ok(Vec::new())
    }

    /// Writes a staff action to the audit log (`campaign.pause`, `campaign:7`).
    fn audit(
        &self,
        staff_id: i64,
        action: &str,
        entity: &str,
        detail: &str,
    ) -> Result<(), DirectoryError>;
}

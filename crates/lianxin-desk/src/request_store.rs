//! What the desk reads from and writes to the database about requests (诉求), as a
//! trait: intake, reads with the timeline, lists, actions, categories and departments,
//! the household card, voice messages turned into requests, and the open requests the
//! alarm sweep watches.
//!
//! Like [`CampaignStore`](crate::CampaignStore) it keeps SQL out of the desk: the store
//! implements it (module `store_requests`) and a directory hands it out through
//! [`Directory::requests`](crate::Directory::requests); without one (the in-memory
//! directory) the request endpoints answer 503. The methods are synchronous; handlers
//! run them on tokio's blocking pool. The workflow rules live in the store
//! (`lianxin_store::request_rules`); their refusals come back as
//! [`RequestError::Refused`] with the Chinese message and the field.

use chrono::{DateTime, Utc};
use lianxin_store::request_rules::{Action, Actor, RequestRefused};
use lianxin_store::{
    Assignee, Category, Department, HouseholdCard, NewRequest, OpenRequest, RequestChange,
    RequestDetail, RequestFilter, RequestRecord,
};

/// Why a request call failed.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    /// The workflow rules refused it; nothing changed.
    #[error(transparent)]
    Refused(#[from] RequestRefused),
    /// The thing named by `field` does not exist.
    #[error("{field} not found")]
    NotFound {
        /// The request field that named it.
        field: &'static str,
    },
    /// The database failed; details are logged, the user sees a generic message.
    #[error("request store failed: {0}")]
    Backend(String),
}

/// An open voice message as a draft request needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoiceDraft {
    /// The voice message.
    pub voice_message_id: i64,
    /// The caller's household, if the number is known.
    pub household_id: Option<i64>,
    /// The caller ID as received.
    pub caller_number: String,
    /// When the message was left (the request's clock starts there).
    pub left_at: DateTime<Utc>,
    /// The consoles' id of the call.
    pub call_id: Option<String>,
    /// Already handled.
    pub handled: bool,
}

/// The database side of requests, as the desk needs it.
pub trait RequestStore: Send + Sync {
    /// Records a request; returns it as stored.
    fn create(
        &self,
        new: &NewRequest,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<RequestRecord, RequestError>;

    /// One request (colour at `now`).
    fn request(&self, id: i64, now: DateTime<Utc>) -> Result<Option<RequestRecord>, RequestError>;

    /// One request with its timeline.
    fn detail(&self, id: i64, now: DateTime<Utc>) -> Result<Option<RequestDetail>, RequestError>;

    /// Requests matching `filter`.
    fn list(
        &self,
        filter: &RequestFilter,
        now: DateTime<Utc>,
    ) -> Result<Vec<RequestRecord>, RequestError>;

    /// Applies an action (`NotFound { field: "id" }` for an unknown request): the
    /// request afterwards and who was responsible before, from one transaction.
    fn apply(
        &self,
        id: i64,
        actor: &Actor,
        action: &Action,
        note: &str,
        now: DateTime<Utc>,
    ) -> Result<RequestChange, RequestError>;

    /// Every open request's alarm times (for the sweep).
    fn open_requests(&self) -> Result<Vec<OpenRequest>, RequestError>;

    /// Categories; only active ones if `active_only`.
    fn categories(&self, active_only: bool) -> Result<Vec<Category>, RequestError>;

    /// Adds a category.
    fn create_category(
        &self,
        item: &str,
        class: &str,
        level1_days: i64,
        deadline_days: i64,
        actor: &Actor,
    ) -> Result<Category, RequestError>;

    /// Changes a category.
    fn update_category(
        &self,
        id: i64,
        level1_days: i64,
        deadline_days: i64,
        active: bool,
        actor: &Actor,
    ) -> Result<Category, RequestError>;

    /// Departments; only active ones if `active_only`.
    fn departments(&self, active_only: bool) -> Result<Vec<Department>, RequestError>;

    /// Adds a department.
    fn create_department(
        &self,
        name: &str,
        answer_days: Option<i64>,
        actor: &Actor,
    ) -> Result<Department, RequestError>;

    /// Changes a department.
    fn update_department(
        &self,
        id: i64,
        answer_days: i64,
        active: bool,
        actor: &Actor,
    ) -> Result<Department, RequestError>;

    /// A household's card (members, numbers, history) at `now`.
    fn household(&self, id: i64, now: DateTime<Utc>)
        -> Result<Option<HouseholdCard>, RequestError>;

    /// Every active staff member a request can be assigned to.
    fn assignees(&self) -> Result<Vec<Assignee>, RequestError>;

    /// A voice message as a draft request needs it.
    fn voice_draft(&self, id: i64) -> Result<Option<VoiceDraft>, RequestError>;

    /// Marks a voice message handled without making a request of it.
    fn mark_voice_handled(
        &self,
        id: i64,
        staff_id: i64,
        now: DateTime<Utc>,
    ) -> Result<(), RequestError>;
}

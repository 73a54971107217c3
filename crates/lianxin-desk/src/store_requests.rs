//! [`RequestStore`] for the real database, `lianxin_store::Store`: a thin mapping of
//! the store's request API. Refusals pass through as they are; "not found" becomes
//! [`RequestError::NotFound`] naming `id`; anything else is a backend failure. No SQL
//! here.

use chrono::{DateTime, Utc};
use lianxin_store::request_rules::{Action, Actor};
use lianxin_store::{
    Assignee, Category, Department, HouseholdCard, NewRequest, OpenRequest, RequestChange,
    RequestDetail, RequestFilter, RequestRecord, Store, StoreError,
};

use crate::request_store::{RequestError, RequestStore, VoiceDraft};

pub(crate) fn map(e: StoreError) -> RequestError {
    match e {
        StoreError::Refused(r) => RequestError::Refused(r),
        StoreError::NotFound(_) => RequestError::NotFound { field: "id" },
        e => RequestError::Backend(e.to_string()),
    }
}

impl RequestStore for Store {
    fn create(
        &self,
        new: &NewRequest,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<RequestRecord, RequestError> {
        let id = Store::create_request(self, new, actor, now).map_err(map)?;
        Store::request(self, id, now)
            .map_err(map)?
            .ok_or(RequestError::NotFound { field: "id" })
    }

    fn request(&self, id: i64, now: DateTime<Utc>) -> Result<Option<RequestRecord>, RequestError> {
        Store::request(self, id, now).map_err(map)
    }

    fn detail(&self, id: i64, now: DateTime<Utc>) -> Result<Option<RequestDetail>, RequestError> {
        Store::request_detail(self, id, now).map_err(map)
    }

    fn list(
        &self,
        filter: &RequestFilter,
        now: DateTime<Utc>,
    ) -> Result<Vec<RequestRecord>, RequestError> {
        Store::list_requests(self, filter, now).map_err(map)
    }

    fn apply(
        &self,
        id: i64,
        actor: &Actor,
        action: &Action,
        note: &str,
        now: DateTime<Utc>,
    ) -> Result<RequestChange, RequestError> {
        Store::apply_request_change(self, id, actor, action, note, now).map_err(map)
    }

    fn open_requests(&self) -> Result<Vec<OpenRequest>, RequestError> {
        Store::open_requests(self).map_err(map)
    }

    fn categories(&self, active_only: bool) -> Result<Vec<Category>, RequestError> {
        Store::request_categories(self, active_only).map_err(map)
    }

    fn create_category(
        &self,
        item: &str,
        class: &str,
        level1_days: i64,
        deadline_days: i64,
        actor: &Actor,
    ) -> Result<Category, RequestError> {
        Store::create_category(self, item, class, level1_days, deadline_days, actor).map_err(map)
    }

    fn update_category(
        &self,
        id: i64,
        level1_days: i64,
        deadline_days: i64,
        active: bool,
        actor: &Actor,
    ) -> Result<Category, RequestError> {
        Store::update_category(self, id, level1_days, deadline_days, active, actor).map_err(map)
    }

    fn departments(&self, active_only: bool) -> Result<Vec<Department>, RequestError> {
        Store::departments(self, active_only).map_err(map)
    }

    fn create_department(
        &self,
        name: &str,
        answer_days: Option<i64>,
        actor: &Actor,
    ) -> Result<Department, RequestError> {
        Store::create_department(self, name, answer_days, actor).map_err(map)
    }

    fn update_department(
        &self,
        id: i64,
        answer_days: i64,
        active: bool,
        actor: &Actor,
    ) -> Result<Department, RequestError> {
        Store::update_department(self, id, answer_days, active, actor).map_err(map)
    }

    fn household(
        &self,
        id: i64,
        now: DateTime<Utc>,
    ) -> Result<Option<HouseholdCard>, RequestError> {
        Store::household(self, id, now).map_err(map)
    }

    fn assignees(&self) -> Result<Vec<Assignee>, RequestError> {
        Store::assignees(self).map_err(map)
    }

    fn voice_draft(&self, id: i64) -> Result<Option<VoiceDraft>, RequestError> {
        Ok(Store::voice_message(self, id)
            .map_err(map)?
            .map(|m| VoiceDraft {
                voice_message_id: m.id,
                household_id: m.household_id,
                caller_number: m.caller_raw,
                left_at: m.created,
                call_id: m.desk_call_id,
                handled: !m.open,
            }))
    }

    fn mark_voice_handled(
        &self,
        id: i64,
        staff_id: i64,
        now: DateTime<Utc>,
    ) -> Result<(), RequestError> {
        Store::mark_voice_message_handled(self, id, staff_id, None, now).map_err(map)
    }
}

//! [`VisitStore`] for the real database: a thin mapping of the store's visit API
//! (`lianxin_store::visits`). No SQL here.

use chrono::{DateTime, Utc};
use lianxin_store::request_rules::Actor;
use lianxin_store::visits::{Visit, VisitDue, VisitFrequency, WorkEntry, WorkKind};
use lianxin_store::Store;

use crate::request_store::RequestError;
use crate::store_requests::map;
use crate::visit_store::VisitStore;

impl VisitStore for Store {
    fn create_visit(
        &self,
        household_id: i64,
        visited: DateTime<Utc>,
        notes: &str,
        request_ids: &[i64],
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Visit, RequestError> {
        let id = Store::create_visit(self, household_id, visited, notes, request_ids, actor, now)
            .map_err(map)?;
        Store::visits(self, household_id)
            .map_err(map)?
            .into_iter()
            .find(|v| v.id == id)
            .ok_or(RequestError::NotFound { field: "id" })
    }

    fn visits(&self, household_id: i64) -> Result<Vec<Visit>, RequestError> {
        Store::visits(self, household_id).map_err(map)
    }

    fn visits_by(
        &self,
        staff_id: i64,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Visit>, RequestError> {
        Store::visits_by(self, staff_id, from, to, limit).map_err(map)
    }

    fn visit_frequency(
        &self,
        household_id: i64,
    ) -> Result<Option<Option<VisitFrequency>>, RequestError> {
        Store::visit_frequency(self, household_id).map_err(map)
    }

    fn set_visit_frequency(
        &self,
        household_id: i64,
        frequency: Option<VisitFrequency>,
        actor: &Actor,
    ) -> Result<(), RequestError> {
        Store::set_visit_frequency(self, household_id, frequency, actor).map_err(map)
    }

    fn visits_due(&self, captain: i64, now: DateTime<Utc>) -> Result<Vec<VisitDue>, RequestError> {
        Store::visits_due(self, captain, now).map_err(map)
    }

    fn add_work_log(
        &self,
        at: DateTime<Utc>,
        kind: WorkKind,
        text: &str,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<WorkEntry, RequestError> {
        let id = Store::add_work_log(self, at, kind, text, actor, now).map_err(map)?;
        Ok(WorkEntry {
            id,
            staff_id: actor.staff_id,
            at,
            kind,
            text: text.trim().to_owned(),
        })
    }

    fn work_log(
        &self,
        staff_id: Option<i64>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<WorkEntry>, RequestError> {
        Store::work_log(self, staff_id, from, to).map_err(map)
    }
}

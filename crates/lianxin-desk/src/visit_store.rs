//! What the desk reads and writes about home visits (入户走访), the 民生信号灯 visit
//! rhythm and the daily work log, as a trait so SQL stays in the store (implemented in
//! `store_visits`, handed out by [`Directory::visits`](crate::Directory::visits);
//! without one the visit endpoints answer 503). Synchronous: handlers run it on the
//! blocking pool. Refusals of the store (an unknown household, a request of another
//! household, empty work-log text) come back as [`RequestError::Refused`] naming the
//! field.

use chrono::{DateTime, Utc};
use lianxin_store::request_rules::Actor;
use lianxin_store::visits::{Visit, VisitDue, VisitFrequency, WorkEntry, WorkKind};

use crate::request_store::RequestError;

/// The database side of visits and the work log.
pub trait VisitStore: Send + Sync {
    /// Records a visit by `actor`; returns it as stored.
    fn create_visit(
        &self,
        household_id: i64,
        visited: DateTime<Utc>,
        notes: &str,
        request_ids: &[i64],
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Visit, RequestError>;

    /// A household's visits, newest first.
    fn visits(&self, household_id: i64) -> Result<Vec<Visit>, RequestError>;

    /// One staff member's visits between `from` and `to`, newest first.
    fn visits_by(
        &self,
        staff_id: i64,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Visit>, RequestError>;

    /// A household's rhythm (`None`: no such household).
    fn visit_frequency(
        &self,
        household_id: i64,
    ) -> Result<Option<Option<VisitFrequency>>, RequestError>;

    /// Sets or clears a household's rhythm.
    fn set_visit_frequency(
        &self,
        household_id: i64,
        frequency: Option<VisitFrequency>,
        actor: &Actor,
    ) -> Result<(), RequestError>;

    /// The households of `captain`'s blocks due for a visit at `now`.
    fn visits_due(&self, captain: i64, now: DateTime<Utc>) -> Result<Vec<VisitDue>, RequestError>;

    /// Adds a work-log entry by `actor`; returns it.
    fn add_work_log(
        &self,
        at: DateTime<Utc>,
        kind: WorkKind,
        text: &str,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<WorkEntry, RequestError>;

    /// Work-log entries between `from` and `to`: one staff member's or everyone's.
    fn work_log(
        &self,
        staff_id: Option<i64>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<WorkEntry>, RequestError>;
}

//! What the desk reads from the database for the statistics ("盘点", issue 11): the
//! request, visit and population reports over a period, as a trait, so SQL stays in the
//! store. The store implements it (module `store_reports`) and a directory hands it out
//! through [`Directory::reports`](crate::Directory::reports); without one the report
//! endpoints answer 503. Errors reuse [`RequestError`] (only `Backend` occurs).

use lianxin_store::{Period, PopulationReport, RequestBy, RequestReport, VisitReport};

use crate::request_store::RequestError;

/// The database side of the reports, as the desk needs it.
pub trait ReportStore: Send + Sync {
    /// Requests created in `period`, grouped `by`; with `captain`, only what that
    /// captain may see.
    fn request_report(
        &self,
        period: Period,
        by: RequestBy,
        captain: Option<i64>,
    ) -> Result<RequestReport, RequestError>;

    /// Home visits in `period` per visitor; with `captain`, only their blocks'.
    fn visit_report(
        &self,
        period: Period,
        captain: Option<i64>,
    ) -> Result<VisitReport, RequestError>;

    /// Population figures on the period's last day; with `captain`, only their blocks.
    fn population_report(
        &self,
        period: Period,
        captain: Option<i64>,
    ) -> Result<PopulationReport, RequestError>;
}

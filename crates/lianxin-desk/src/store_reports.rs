//! [`ReportStore`] for the real database: a thin mapping onto the store's `stats`
//! and `stats_people` reads.

use lianxin_store::{
    Period, PopulationReport, RequestBy, RequestReport, Store, StoreError, VisitReport,
};

use crate::report_store::ReportStore;
use crate::request_store::RequestError;

fn backend(e: StoreError) -> RequestError {
    RequestError::Backend(e.to_string())
}

impl ReportStore for Store {
    fn request_report(
        &self,
        period: Period,
        by: RequestBy,
        captain: Option<i64>,
    ) -> Result<RequestReport, RequestError> {
        Store::request_report(self, period, by, captain).map_err(backend)
    }

    fn visit_report(
        &self,
        period: Period,
        captain: Option<i64>,
    ) -> Result<VisitReport, RequestError> {
        Store::visit_report(self, period, captain).map_err(backend)
    }

    fn population_report(
        &self,
        period: Period,
        captain: Option<i64>,
    ) -> Result<PopulationReport, RequestError> {
        Store::population_report(self, period, captain).map_err(backend)
    }
}

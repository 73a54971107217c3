//! [`UnitStore`] for the real database.

use lianxin_store::{Store, Unit};

use crate::request_store::RequestError;
use crate::unit_store::UnitStore;

impl UnitStore for Store {
    fn search_units(&self, query: &str, limit: usize) -> Result<Vec<Unit>, RequestError> {
        Store::search_units(self, query, limit).map_err(|e| RequestError::Backend(e.to_string()))
    }
}

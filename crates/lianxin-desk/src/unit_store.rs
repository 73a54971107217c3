//! What the desk reads about resident units (驻区单位), as a trait so SQL stays in the
//! store (implemented in `store_units`, handed out by
//! [`Directory::units`](crate::Directory::units); without one `GET /api/units`
//! answers 503).

use lianxin_store::Unit;

use crate::request_store::RequestError;

/// The database side of resident units.
pub trait UnitStore: Send + Sync {
    /// Units whose name, address, open jobs or notes contain `query` (or whose number
    /// it is), those hiring first; at most `limit`.
    fn search_units(&self, query: &str, limit: usize) -> Result<Vec<Unit>, RequestError>;
}

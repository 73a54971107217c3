//! Shared by the UA's integration tests (and, through `#[path]`, `answer` by its examples).

pub mod answer;
pub mod raw;
pub mod sipp;

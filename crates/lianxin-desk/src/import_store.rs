//! What the desk needs from the database to bring in and hand out the residents'
//! register (住户名册), as a trait so SQL and file formats stay in the store
//! (implemented in `store_import`, handed out by
//! [`Directory::imports`](crate::Directory::imports); without one the import and export
//! endpoints answer 503). The methods are synchronous; handlers run them on tokio's
//! blocking pool.

use lianxin_store::{BadRow, ExportFormat, ImportFileError, ImportFormat, ImportReport};

/// An uploaded register file.
#[derive(Debug, Clone)]
pub struct Upload {
    /// The file's bytes (capped by the endpoint).
    pub bytes: Vec<u8>,
    /// How to read them.
    pub format: ImportFormat,
    /// For a workbook: the sheet (else the first).
    pub sheet: Option<String>,
    /// The file's name as the console gave it (for the audit log).
    pub name: String,
}

/// Why an import or export failed.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// Rows are bad; nothing was written.
    #[error("{} bad row(s)", .0.len())]
    Rejected(Vec<BadRow>),
    /// The file cannot be read as a register at all.
    #[error(transparent)]
    File(#[from] ImportFileError),
    /// The database failed; details are logged, the user sees a generic message.
    #[error("import store failed: {0}")]
    Backend(String),
}

/// The database side of the register import and export.
pub trait ImportStore: Send + Sync {
    /// Imports the residents in `upload` all or nothing on behalf of `staff_id`
    /// (audited with the file's name and the counts), or with `dry_run` only reports
    /// what would be added and which rows are bad, writing nothing.
    fn import_households(
        &self,
        upload: Upload,
        dry_run: bool,
        staff_id: i64,
    ) -> Result<ImportReport, ImportError>;

    /// The whole register as a file in `format` (audited: who exported how many rows),
    /// with its row count.
    fn export_households(
        &self,
        format: ExportFormat,
        staff_id: i64,
    ) -> Result<(Vec<u8>, u64), ImportError>;
}

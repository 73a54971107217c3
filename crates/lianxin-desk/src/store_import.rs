//! [`ImportStore`] for the real database.

use std::io::Cursor;

use lianxin_store::{
    ExportFormat, ImportFile, ImportKind, ImportMode, ImportOptions, ImportReport, Store,
    StoreError,
};

use crate::import_store::{ImportError, ImportStore, Upload};

impl ImportStore for Store {
    fn import_households(
        &self,
        upload: Upload,
        dry_run: bool,
        staff_id: i64,
    ) -> Result<ImportReport, ImportError> {
        let opts = ImportOptions {
            skip_bad: false,
            staff_id: Some(staff_id),
            source: format!("console upload {}", upload.name),
        };
        let mode = if dry_run {
            ImportMode::DryRun
        } else {
            ImportMode::Commit
        };
        let file = ImportFile {
            input: Cursor::new(upload.bytes),
            format: upload.format,
            sheet: upload.sheet,
        };
        Store::import_file(self, ImportKind::Residents, file, &opts, mode, &mut |_| {}).map_err(
            |e| match e {
                StoreError::ImportRejected(bad) => ImportError::Rejected(bad),
                StoreError::ImportFile(f) => ImportError::File(f),
                other => ImportError::Backend(other.to_string()),
            },
        )
    }

    fn export_households(
        &self,
        format: ExportFormat,
        staff_id: i64,
    ) -> Result<(Vec<u8>, u64), ImportError> {
        let backend = |e: StoreError| ImportError::Backend(e.to_string());
        let (bytes, n) = match format {
            ExportFormat::Xlsx => {
                Store::export_xlsx(self, ImportKind::Residents).map_err(backend)?
            }
            ExportFormat::Csv => {
                let mut out = Vec::new();
                let n =
                    Store::export_csv(self, ImportKind::Residents, &mut out).map_err(backend)?;
                (out, n)
            }
        };
        let what = match format {
            ExportFormat::Xlsx => "xlsx",
            ExportFormat::Csv => "csv",
        };
        Store::audit(
            self,
            Some(staff_id),
            "export",
            "residents",
            &format!("format={what} rows={n}"),
        )
        .map_err(backend)?;
        Ok((bytes, n))
    }
}

//! Import of residents, resident units and group memberships from the committee's own
//! files: CSV (UTF-8 with or without BOM, or GB18030 as Excel saves it on Chinese
//! Windows: `import_text`) and Excel workbooks (`.xlsx`: `import_xlsx`), with English or
//! Chinese column headers (`import_columns`); one row at a time in `import_rows`. Export
//! (`export`) writes the same layouts, so export → import round-trips.
//!
//! An import runs in ONE transaction on the writer connection: either every good row is
//! committed at the end, or nothing is. A file with any bad row changes nothing unless
//! `skip_bad` is set (then the good rows go in and the bad ones are reported). Because
//! SQLite commits atomically, a process killed mid-import (even with `kill -9`) leaves the
//! database exactly as it was. A dry run ([`ImportMode::DryRun`]) does the same work and
//! rolls it back: the report says what would be added and which rows are bad.
//!
//! The header row is required; columns are found by name, in any order, unknown columns
//! ignored (README "CSV import formats"). A bad row is named by its line in the file (the
//! spreadsheet's row number for `.xlsx`), the field at fault, and why, in English for the
//! terminal and Chinese for consoles.

use std::io::{Read, Seek};

use chrono::Utc;
use serde::Serialize;

use crate::db::{audit, ms};
use crate::import_columns::{chinese_name, Columns, HEADER_SEARCH};
use crate::import_rows::Ctx;
use crate::import_text::{CsvRows, Encoding};
use crate::import_xlsx::XlsxRows;
use crate::{Result, Store, StoreError};

/// What a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportKind {
    /// One row per resident: `household,street,number,building,unit,room,dwelling,block,
    /// household_notes,home_phones,name,sex,dob,work,skills,notes,mobiles`.
    Residents,
    /// One row per unit: `name,address,contact,phone,jobs,notes`.
    Units,
    /// One row per membership: `group,household`.
    Groups,
}

impl ImportKind {
    /// The header row written by export (and the full set of columns import knows).
    pub fn columns(self) -> &'static [&'static str] {
        match self {
            ImportKind::Residents => &[
                "household",
                "street",
                "number",
                "building",
                "unit",
                "room",
                "dwelling",
                "block",
                "household_notes",
                "home_phones",
                "name",
                "sex",
                "dob",
                "work",
                "skills",
                "notes",
                "mobiles",
            ],
            ImportKind::Units => &["name", "address", "contact", "phone", "jobs", "notes"],
            ImportKind::Groups => &["group", "household"],
        }
    }

    /// The columns a file must have.
    pub(crate) fn required(self) -> &'static [&'static str] {
        match self {
            ImportKind::Residents => &["household", "name"],
            ImportKind::Units => &["name"],
            ImportKind::Groups => &["group", "household"],
        }
    }

    /// Lower-case name (`residents`, `units`, `groups`).
    pub fn as_str(self) -> &'static str {
        match self {
            ImportKind::Residents => "residents",
            ImportKind::Units => "units",
            ImportKind::Groups => "groups",
        }
    }
}

/// How to import.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Import the good rows even when some are bad.
    pub skip_bad: bool,
    /// Who is importing (for the audit log); `None` = command line.
    pub staff_id: Option<i64>,
    /// Name written to the audit log (e.g. the file name).
    pub source: String,
}

/// Whether an import writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportMode {
    /// Write (all or nothing).
    Commit,
    /// Do everything, then roll back: the report says what would be added, and bad rows
    /// are listed in it instead of failing the import.
    DryRun,
}

/// The layout of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportFormat {
    /// Comma-separated text, UTF-8 or GB18030 (detected).
    Csv,
    /// An Excel workbook (`.xlsx`).
    Xlsx,
}

impl ImportFormat {
    /// The format a file's first bytes show: a zip (`PK\3\4`) is a workbook, anything
    /// else text.
    pub fn sniff(head: &[u8]) -> ImportFormat {
        if head.starts_with(b"PK\x03\x04") {
            ImportFormat::Xlsx
        } else {
            ImportFormat::Csv
        }
    }

    /// The format a file name's extension says (`.xlsx`, `.csv`), if it says one.
    pub fn from_name(name: &str) -> Option<ImportFormat> {
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".xlsx") {
            Some(ImportFormat::Xlsx)
        } else if lower.ends_with(".csv") {
            Some(ImportFormat::Csv)
        } else {
            None
        }
    }
}

/// A file to import.
#[derive(Debug)]
pub struct ImportFile<R> {
    /// Its bytes.
    pub input: R,
    /// How to read them.
    pub format: ImportFormat,
    /// For a workbook: the sheet to read (else the first).
    pub sheet: Option<String>,
}

/// A row that could not be imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BadRow {
    /// 1-based line number in the file (the header is line 1); for a workbook, the row
    /// number Excel shows.
    pub line: u64,
    /// The field at fault (English column name), if one is.
    pub field: Option<String>,
    /// That field's header as the file wrote it (or its usual Chinese name).
    pub column: Option<String>,
    /// Why (English).
    pub reason: String,
    /// Why (Simplified Chinese, for consoles).
    pub message: String,
}

impl BadRow {
    /// A row the file itself spoils (bytes that are not text, a formula error).
    pub(crate) fn file(line: u64, reason: impl Into<String>, message: impl Into<String>) -> BadRow {
        BadRow {
            line,
            field: None,
            column: None,
            reason: reason.into(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for BadRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.reason)
    }
}

/// A file that cannot be imported at all (no header with the required columns, not a
/// workbook, UTF-16 text …): not a bad row.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct ImportFileError {
    /// What is at fault: `file`, `sheet`, or the missing column's field.
    pub field: &'static str,
    /// Why (English).
    pub reason: String,
    /// Why and what to do (Simplified Chinese, for consoles).
    pub message: String,
}

impl ImportFileError {
    pub(crate) fn new(
        field: &'static str,
        reason: impl Into<String>,
        message: impl Into<String>,
    ) -> ImportFileError {
        ImportFileError {
            field,
            reason: reason.into(),
            message: message.into(),
        }
    }
}

/// What an import did (or, dry, would do).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    /// Rows imported.
    pub rows: u64,
    /// Bad rows: skipped (with `skip_bad`) or listed by a dry run; otherwise the import
    /// fails with [`StoreError::ImportRejected`].
    pub bad: Vec<BadRow>,
    /// New households.
    pub households: u64,
    /// Households already in the database that got new residents or numbers.
    pub households_changed: u64,
    /// New residents.
    pub residents: u64,
    /// New phone numbers.
    pub phones: u64,
    /// New units.
    pub units: u64,
    /// New groups.
    pub groups: u64,
    /// New group memberships.
    pub memberships: u64,
    /// How the file was read: `csv-utf8`, `csv-gb18030` or `xlsx`.
    pub read_as: String,
}

/// One row from a file: its line, good (the record holds it) or spoilt by the file.
pub(crate) enum Row {
    /// The record holds the row's cells.
    Good {
        /// Its line in the file.
        line: u64,
    },
    /// The file's bytes or cells spoil it.
    Bad(BadRow),
}

/// Where rows come from: a CSV reader or a worksheet.
pub(crate) trait RowSource {
    /// The next row into `rec`; `None` at the end.
    fn next_row(&mut self, rec: &mut csv::StringRecord) -> Result<Option<Row>>;
    /// Bytes of the file read so far (for progress).
    fn consumed(&self) -> u64;
}

/// An Excel file given where CSV text is expected: an error saying what to do.
pub(crate) fn workbook_given_as_csv(head: &[u8]) -> Option<ImportFileError> {
    if head.starts_with(b"PK\x03\x04") {
        return Some(ImportFileError::new(
            "format",
            "this is an Excel workbook (.xlsx), not CSV text; import it as xlsx",
            "这是 Excel 工作簿（.xlsx），不是 CSV 文本；请按 xlsx 导入",
        ));
    }
    if head.starts_with(&[0xd0, 0xcf, 0x11, 0xe0]) {
        return Some(ImportFileError::new(
            "file",
            "this is an old Excel .xls file; save it as .xlsx (\"Excel Workbook\") or \"CSV UTF-8\" and import again",
            "这是旧版 Excel 文件（.xls），请在 Excel 中另存为“Excel 工作簿（.xlsx）”或“CSV UTF-8（逗号分隔）”后再导入",
        ));
    }
    None
}

/// How often (in rows) the progress callback is called.
const PROGRESS_EVERY: u64 = 2048;

impl Store {
    /// Imports a CSV file of `kind` from `input` (UTF-8 or GB18030, detected; see the
    /// module docs for the rules). `progress` is called now and then with the number of
    /// bytes read so far.
    pub fn import_csv(
        &self,
        kind: ImportKind,
        input: impl Read,
        opts: &ImportOptions,
        progress: &mut dyn FnMut(u64),
    ) -> Result<ImportReport> {
        let mut rows = CsvRows::new(input)?;
        let read_as = csv_read_as(rows.encoding());
        self.import_rows(kind, &mut rows, read_as, opts, ImportMode::Commit, progress)
    }

    /// Imports (or, with [`ImportMode::DryRun`], checks) a CSV file or workbook.
    pub fn import_file<R: Read + Seek>(
        &self,
        kind: ImportKind,
        file: ImportFile<R>,
        opts: &ImportOptions,
        mode: ImportMode,
        progress: &mut dyn FnMut(u64),
    ) -> Result<ImportReport> {
        match file.format {
            ImportFormat::Csv => {
                let mut rows = CsvRows::new(file.input)?;
                let read_as = csv_read_as(rows.encoding());
                self.import_rows(kind, &mut rows, read_as, opts, mode, progress)
            }
            ImportFormat::Xlsx => {
                let mut rows = XlsxRows::new(file.input, file.sheet.as_deref())?;
                self.import_rows(kind, &mut rows, "xlsx", opts, mode, progress)
            }
        }
    }

    fn import_rows(
        &self,
        kind: ImportKind,
        rows: &mut dyn RowSource,
        read_as: &str,
        opts: &ImportOptions,
        mode: ImportMode,
        progress: &mut dyn FnMut(u64),
    ) -> Result<ImportReport> {
        let cols = header(kind, rows)?;
        let local_area = self.local_area().to_string();
        let work = |tx: &rusqlite::Transaction<'_>| {
            // A bigger page cache while the import's indexes grow (reset below).
            tx.execute_batch("PRAGMA cache_size = -131072")?;
            let mut ctx = Ctx::new(tx, local_area, ms(Utc::now()));
            let mut rec = csv::StringRecord::new();
            let mut n: u64 = 0;
            while let Some(row) = rows.next_row(&mut rec)? {
                let line = match row {
                    Row::Bad(b) => {
                        ctx.report.bad.push(b);
                        continue;
                    }
                    Row::Good { line } => line,
                };
                if rec.iter().all(|f| f.trim().is_empty()) {
                    continue;
                }
                let outcome = match kind {
                    ImportKind::Residents => ctx.resident_row(&cols, &rec)?,
                    ImportKind::Units => ctx.unit_row(&cols, &rec)?,
                    ImportKind::Groups => ctx.group_row(&cols, &rec, opts.staff_id)?,
                };
                match outcome {
                    Ok(()) => ctx.report.rows += 1,
                    Err(bad) => ctx.report.bad.push(BadRow {
                        line,
                        field: bad.field.map(str::to_string),
                        column: bad.field.map(|f| cols.label(f)),
                        reason: bad.why.en,
                        message: bad.why.zh,
                    }),
                }
                n += 1;
                if n.is_multiple_of(PROGRESS_EVERY) {
                    progress(rows.consumed());
                }
            }
            progress(rows.consumed());
            let mut report = ctx.finish();
            report.read_as = read_as.to_string();
            if mode == ImportMode::DryRun {
                return Ok(report);
            }
            if !report.bad.is_empty() && !opts.skip_bad {
                return Err(StoreError::ImportRejected(std::mem::take(&mut report.bad)));
            }
            let r = &report;
            audit(
                tx,
                opts.staff_id,
                "import",
                kind.as_str(),
                &format!(
                    "source={} rows={} bad={} households={} residents={} phones={} units={} groups={} memberships={} households_changed={} read_as={}",
                    opts.source, r.rows, r.bad.len(), r.households, r.residents, r.phones, r.units, r.groups, r.memberships, r.households_changed, r.read_as
                ),
            )?;
            Ok(report)
        };
        let result = match mode {
            ImportMode::Commit => self.write(work),
            ImportMode::DryRun => self.write_rolled_back(work),
        };
        self.write(|tx| Ok(tx.execute_batch("PRAGMA cache_size = -32000")?))?;
        result
    }
}

fn csv_read_as(e: Encoding) -> &'static str {
    match e {
        Encoding::Utf8 => "csv-utf8",
        Encoding::Gb18030 => "csv-gb18030",
    }
}

/// Finds the header among the first non-empty rows (title rows above it are skipped).
fn header(kind: ImportKind, rows: &mut dyn RowSource) -> Result<Columns> {
    let mut rec = csv::StringRecord::new();
    let mut first: Option<(u64, &'static str)> = None;
    let mut seen = 0;
    while seen < HEADER_SEARCH {
        let Some(row) = rows.next_row(&mut rec)? else {
            break;
        };
        let line = match row {
            Row::Good { line } => line,
            Row::Bad(b) => {
                seen += 1;
                first.get_or_insert((b.line, kind.required()[0]));
                continue;
            }
        };
        if rec.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        seen += 1;
        match Columns::new(kind, &rec) {
            Ok(cols) => return Ok(cols),
            Err(missing) => {
                first.get_or_insert((line, missing));
            }
        }
    }
    let (line, missing) = first.unwrap_or((1, kind.required()[0]));
    let zh = chinese_name(kind, missing);
    let expected_zh: Vec<&str> = kind
        .columns()
        .iter()
        .map(|c| chinese_name(kind, c))
        .collect();
    Err(ImportFileError::new(
        missing,
        format!(
            "the header row has no column {missing:?}; expected columns: {}",
            kind.columns().join(",")
        ),
        format!(
            "第 {line} 行的表头没有“{zh}”列（也可写 {missing}）；可用的列：{}",
            expected_zh.join("、")
        ),
    )
    .into())
}

//! Export of residents, resident units and group memberships in the layouts import
//! reads: CSV with the English header (UTF-8, as before), or an Excel workbook (`.xlsx`,
//! written with rust_xlsxwriter) with the Chinese header a clerk reads (户号, 街道 …),
//! every cell as text (numbers keep their leading zeros) and Chinese words for sex and
//! dwelling. Both import back unchanged (tests: `tests.rs`, `tests/cli_import.rs`).

use std::collections::HashMap;
use std::io::Write;

use rust_xlsxwriter::{Format, Workbook};
use serde::Serialize;

use crate::import::ImportKind;
use crate::import_columns::chinese_name;
use crate::screen::{Dwelling, Sex};
use crate::{Result, Store, StoreError};

/// The layout of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    /// CSV, UTF-8, English header.
    Csv,
    /// Excel workbook, Chinese header.
    Xlsx,
}

/// The most rows an Excel sheet holds (the header is one of them).
const XLSX_MAX_ROWS: u64 = 1_048_576;

impl Store {
    /// Writes all rows of `kind` as CSV (the layout import reads); returns the row count.
    pub fn export_csv(&self, kind: ImportKind, out: impl Write) -> Result<u64> {
        let mut w = csv::Writer::from_writer(out);
        w.write_record(kind.columns())?;
        let n = self.export_rows(kind, &mut |rec| Ok(w.write_record(rec)?))?;
        w.flush()?;
        Ok(n)
    }

    /// Writes all rows of `kind` as an Excel workbook (one sheet, Chinese header);
    /// returns the file's bytes and the row count.
    pub fn export_xlsx(&self, kind: ImportKind) -> Result<(Vec<u8>, u64)> {
        let xlsx = |e: rust_xlsxwriter::XlsxError| {
            StoreError::Invalid(format!("cannot write the workbook: {e}"))
        };
        let mut book = Workbook::new();
        let sheet = book.add_worksheet();
        sheet.set_name(sheet_name(kind)).map_err(xlsx)?;
        let bold = Format::new().set_bold();
        for (col, field) in kind.columns().iter().enumerate() {
            let col = col as u16;
            sheet
                .write_string_with_format(0, col, chinese_name(kind, field), &bold)
                .map_err(xlsx)?;
            sheet.set_column_width(col, width(field)).map_err(xlsx)?;
        }
        sheet.set_freeze_panes(1, 0).map_err(xlsx)?;
        let sex = kind
            .columns()
            .iter()
            .position(|c| *c == "sex" && kind == ImportKind::Residents);
        let dwelling = kind
            .columns()
            .iter()
            .position(|c| *c == "dwelling" && kind == ImportKind::Residents);
        let mut row: u32 = 0;
        let n = self.export_rows(kind, &mut |rec| {
            row += 1;
            if u64::from(row) >= XLSX_MAX_ROWS {
                return Err(StoreError::Invalid(format!(
                    "more than {} rows do not fit in one Excel sheet; export CSV instead",
                    XLSX_MAX_ROWS - 1
                )));
            }
            for (col, value) in rec.iter().enumerate() {
                if value.is_empty() {
                    continue;
                }
                let word = if Some(col) == sex {
                    Sex::parse(value).map(Sex::label_zh)
                } else if Some(col) == dwelling {
                    Dwelling::parse(value).map(Dwelling::label_zh)
                } else {
                    None
                };
                let shown = word.map_or_else(|| value.to_string(), str::to_string);
                sheet.write_string(row, col as u16, shown).map_err(xlsx)?;
            }
            Ok(())
        })?;
        let bytes = book.save_to_buffer().map_err(xlsx)?;
        Ok((bytes, n))
    }

    /// Calls `emit` with every row of `kind` in the columns' order; returns how many.
    fn export_rows(
        &self,
        kind: ImportKind,
        emit: &mut dyn FnMut(&[&str]) -> Result<()>,
    ) -> Result<u64> {
        self.read(|c| {
            let mut n = 0u64;
            match kind {
                ImportKind::Residents => {
                    let mut hs = c.prepare(
                        "SELECT h.id, h.code, h.street, h.number, h.building, h.unit, h.room, h.dwelling,
                                coalesce(b.name, ''), h.notes
                         FROM households h LEFT JOIN blocks b ON b.id = h.block_id ORDER BY h.id",
                    )?;
                    let mut phones = c.prepare("SELECT raw, resident_id FROM phones WHERE household_id = ?1 ORDER BY id")?;
                    let mut residents = c.prepare(
                        "SELECT id, name, sex, coalesce(dob, ''), work, skills, notes FROM residents
                         WHERE household_id = ?1 ORDER BY id",
                    )?;
                    let mut rows = hs.query([])?;
                    while let Some(h) = rows.next()? {
                        let hh: i64 = h.get(0)?;
                        let head: Vec<String> = (1..10).map(|i| h.get::<_, String>(i)).collect::<rusqlite::Result<_>>()?;
                        let mut home = Vec::new();
                        let mut own: HashMap<i64, Vec<String>> = HashMap::new();
                        let mut pr = phones.query([hh])?;
                        while let Some(p) = pr.next()? {
                            let raw: String = p.get(0)?;
                            match p.get::<_, Option<i64>>(1)? {
                                Some(r) => own.entry(r).or_default().push(raw),
                                None => home.push(raw),
                            }
                        }
                        let home = home.join(";");
                        let mut rr = residents.query([hh])?;
                        let mut any = false;
                        while let Some(r) = rr.next()? {
                            let rid: i64 = r.get(0)?;
                            let person: Vec<String> = (1..7).map(|i| r.get::<_, String>(i)).collect::<rusqlite::Result<_>>()?;
                            let mob = own.remove(&rid).unwrap_or_default().join(";");
                            let home_field = if any { "" } else { home.as_str() };
                            let mut rec: Vec<&str> = head.iter().map(String::as_str).collect();
                            rec.push(home_field);
                            rec.extend(person.iter().map(String::as_str));
                            rec.push(&mob);
                            emit(&rec)?;
                            any = true;
                            n += 1;
                        }
                        if !any {
                            let mut rec: Vec<&str> = head.iter().map(String::as_str).collect();
                            rec.push(&home);
                            rec.extend(["", "", "", "", "", "", ""]);
                            emit(&rec)?;
                            n += 1;
                        }
                    }
                }
                ImportKind::Units => {
                    let mut st = c.prepare("SELECT name, address, contact, phone, jobs, notes FROM units ORDER BY id")?;
                    let mut rows = st.query([])?;
                    while let Some(r) = rows.next()? {
                        let rec: Vec<String> = (0..6).map(|i| r.get::<_, String>(i)).collect::<rusqlite::Result<_>>()?;
                        let cells: Vec<&str> = rec.iter().map(String::as_str).collect();
                        emit(&cells)?;
                        n += 1;
                    }
                }
                ImportKind::Groups => {
                    let mut st = c.prepare(
                        "SELECT g.name, h.code FROM group_members m JOIN phone_groups g ON g.id = m.group_id
                         JOIN households h ON h.id = m.household_id ORDER BY g.id, h.id",
                    )?;
                    let mut rows = st.query([])?;
                    while let Some(r) = rows.next()? {
                        emit(&[r.get::<_, String>(0)?.as_str(), r.get::<_, String>(1)?.as_str()])?;
                        n += 1;
                    }
                }
            }
            Ok(n)
        })
    }
}

fn sheet_name(kind: ImportKind) -> &'static str {
    match kind {
        ImportKind::Residents => "住户名册",
        ImportKind::Units => "驻区单位",
        ImportKind::Groups => "电话分组",
    }
}

/// A column's width in characters, so the sheet reads without resizing.
fn width(field: &str) -> f64 {
    match field {
        "street" | "work" | "address" | "jobs" | "notes" | "household_notes" | "skills"
        | "name" | "group" => 18.0,
        "home_phones" | "mobiles" | "phone" | "dob" | "household" => 14.0,
        _ => 9.0,
    }
}

//! CSV import and export of residents, resident units and group memberships.
//!
//! An import runs in ONE transaction on the writer connection: either every good row is
//! committed at the end, or nothing is. A file with any bad row changes nothing unless
//! `skip_bad` is set (then the good rows go in and the bad ones are reported). Because
//! SQLite commits atomically, a process killed mid-import (even with `kill -9`) leaves the
//! database exactly as it was.
//!
//! The column layouts (header row required, columns found by name, any order, unknown
//! columns ignored; UTF-8 with or without BOM) are documented in the README and on
//! [`ImportKind`]. Export writes the same layouts, so export → import round-trips.

use crate::callerid::CallerId;
use crate::db::{audit, ms};
use crate::screen::{Dwelling, Sex};
use crate::{Result, Store, StoreError};
use chrono::{NaiveDate, Utc};
use rusqlite::{params, OptionalExtension, Transaction};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::io::{Read, Write};

/// What a CSV file holds.
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

    fn required(self) -> &'static [&'static str] {
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

/// A row that could not be imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BadRow {
    /// 1-based line number in the file (the header is line 1).
    pub line: u64,
    /// Why.
    pub reason: String,
}

impl std::fmt::Display for BadRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.reason)
    }
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    /// Rows imported.
    pub rows: u64,
    /// Rows skipped (only with `skip_bad`; otherwise the import fails with
    /// [`StoreError::ImportRejected`]).
    pub bad: Vec<BadRow>,
    /// New households.
    pub households: u64,
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
}

/// How often (in rows) the progress callback is called.
const PROGRESS_EVERY: u64 = 2048;

struct Columns {
    idx: HashMap<&'static str, usize>,
}

impl Columns {
    fn new(kind: ImportKind, header: &csv::StringRecord) -> Result<Columns> {
        let mut idx = HashMap::new();
        for (i, h) in header.iter().enumerate() {
            let h = h.trim_start_matches('\u{feff}').trim().to_ascii_lowercase();
            if let Some(c) = kind.columns().iter().find(|c| **c == h) {
                idx.entry(*c).or_insert(i);
            }
        }
        for r in kind.required() {
            if !idx.contains_key(r) {
                return Err(StoreError::Invalid(format!(
                    "the header row has no column {r:?}; expected columns: {}",
                    kind.columns().join(",")
                )));
            }
        }
        Ok(Columns { idx })
    }

    fn get<'r>(&self, rec: &'r csv::StringRecord, name: &str) -> &'r str {
        self.idx
            .get(name)
            .and_then(|i| rec.get(*i))
            .map(str::trim)
            .unwrap_or("")
    }
}

fn split_numbers(s: &str) -> impl Iterator<Item = &str> {
    s.split([';', '；', '、', '|', '/'])
        .map(str::trim)
        .filter(|x| !x.is_empty())
}

fn parse_dob(s: &str) -> std::result::Result<Option<String>, String> {
    if s.is_empty() {
        return Ok(None);
    }
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(s, "%Y/%m/%d"))
        .or_else(|_| NaiveDate::parse_from_str(s, "%Y.%m.%d"))
        .map_err(|_| format!("date of birth {s:?} is not a date (use YYYY-MM-DD)"))?;
    if d.year_ce().1 < 1890 || d > NaiveDate::from_ymd_opt(2200, 1, 1).unwrap_or(d) {
        return Err(format!("date of birth {s:?} is out of range"));
    }
    Ok(Some(d.format("%Y-%m-%d").to_string()))
}

use chrono::Datelike;

/// State kept across rows of one import.
struct Ctx<'t> {
    tx: &'t Transaction<'t>,
    local_area: String,
    now_ms: i64,
    households: HashMap<String, i64>,
    new_households: HashSet<i64>,
    new_residents: HashSet<(i64, String, Option<String>)>,
    blocks: HashMap<String, i64>,
    groups: HashMap<String, i64>,
    report: ImportReport,
}

impl Ctx<'_> {
    fn household(&mut self, code: &str) -> Result<Option<i64>> {
        if let Some(id) = self.households.get(code) {
            return Ok(Some(*id));
        }
        let id: Option<i64> = self
            .tx
            .prepare_cached("SELECT id FROM households WHERE code = ?1")?
            .query_row([code], |r| r.get(0))
            .optional()?;
        if let Some(id) = id {
            self.households.insert(code.to_string(), id);
        }
        Ok(id)
    }

    fn block(&mut self, name: &str) -> Result<Option<i64>> {
        if name.is_empty() {
            return Ok(None);
        }
        if let Some(id) = self.blocks.get(name) {
            return Ok(Some(*id));
        }
        let id: Option<i64> = self
            .tx
            .prepare_cached("SELECT id FROM blocks WHERE name = ?1")?
            .query_row([name], |r| r.get(0))
            .optional()?;
        let id = match id {
            Some(id) => id,
            None => {
                self.tx
                    .prepare_cached("INSERT INTO blocks (name) VALUES (?1)")?
                    .execute([name])?;
                self.tx.last_insert_rowid()
            }
        };
        self.blocks.insert(name.to_string(), id);
        Ok(Some(id))
    }

    fn group(&mut self, name: &str, staff: Option<i64>) -> Result<i64> {
        if let Some(id) = self.groups.get(name) {
            return Ok(*id);
        }
        let id: Option<i64> = self
            .tx
            .prepare_cached("SELECT id FROM phone_groups WHERE name = ?1")?
            .query_row([name], |r| r.get(0))
            .optional()?;
        let id = match id {
            Some(id) => id,
            None => {
                self.tx
                    .prepare_cached("INSERT INTO phone_groups (name, created_by, created_ms) VALUES (?1, ?2, ?3)")?
                    .execute(params![name, staff, self.now_ms])?;
                self.report.groups += 1;
                self.tx.last_insert_rowid()
            }
        };
        self.groups.insert(name.to_string(), id);
        Ok(id)
    }

    fn numbers(
        &self,
        field: &str,
    ) -> std::result::Result<Vec<(String, crate::Normalized)>, String> {
        let mut out = Vec::new();
        for raw in split_numbers(field) {
            match crate::callerid::normalize(raw, &self.local_area) {
                CallerId::Number(n) => out.push((raw.to_string(), n)),
                CallerId::Anonymous => return Err(format!("phone number {raw:?} is not a number")),
                CallerId::Invalid(why) => {
                    return Err(format!("phone number {raw:?} is invalid ({why})"))
                }
            }
        }
        Ok(out)
    }

    fn add_phone(
        &mut self,
        hh: i64,
        resident: Option<i64>,
        raw: &str,
        n: &crate::Normalized,
    ) -> Result<()> {
        let added = self
            .tx
            .prepare_cached(
                "INSERT OR IGNORE INTO phones (household_id, resident_id, raw, normalized, kind, created_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![hh, resident, raw, n.number, n.kind.as_str(), self.now_ms])?;
        self.report.phones += added as u64;
        Ok(())
    }

    /// One residents row; `Ok(Err(reason))` is a bad row (nothing written for it).
    fn resident_row(
        &mut self,
        cols: &Columns,
        rec: &csv::StringRecord,
    ) -> Result<std::result::Result<(), String>> {
        let code = cols.get(rec, "household");
        if code.is_empty() {
            return Ok(Err("column household (household code) is empty".into()));
        }
        let name = cols.get(rec, "name");
        let sex = cols.get(rec, "sex");
        let sex = if name.is_empty() {
            None
        } else {
            match Sex::parse(sex) {
                Some(s) => Some(s),
                None => return Ok(Err(format!("sex {sex:?} must be F/M or 女/男"))),
            }
        };
        let dob = match parse_dob(cols.get(rec, "dob")) {
            Ok(d) => d,
            Err(e) => return Ok(Err(e)),
        };
        let home = match self.numbers(cols.get(rec, "home_phones")) {
            Ok(v) => v,
            Err(e) => return Ok(Err(e)),
        };
        let mobiles = match self.numbers(cols.get(rec, "mobiles")) {
            Ok(v) => v,
            Err(e) => return Ok(Err(e)),
        };
        if name.is_empty() && !mobiles.is_empty() {
            return Ok(Err("mobiles given but no resident name".into()));
        }
        let hh = match self.household(code)? {
            Some(id) => id,
            None => {
                let street = cols.get(rec, "street");
                if street.is_empty() {
                    return Ok(Err(format!("new household {code:?} needs a street")));
                }
                let dw = cols.get(rec, "dwelling");
                let Some(dwelling) = Dwelling::parse(dw) else {
                    return Ok(Err(format!(
                        "dwelling {dw:?} must be flat/bungalow or 楼房/平房"
                    )));
                };
                let block = self.block(cols.get(rec, "block"))?;
                self.tx
                    .prepare_cached(
                        "INSERT INTO households (code, street, number, building, unit, room, dwelling,
                                                 block_id, notes, created_ms)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                    )?
                    .execute(params![
                        code,
                        street,
                        cols.get(rec, "number"),
                        cols.get(rec, "building"),
                        cols.get(rec, "unit"),
                        cols.get(rec, "room"),
                        dwelling.as_str(),
                        block,
                        cols.get(rec, "household_notes"),
                        self.now_ms
                    ])?;
                let id = self.tx.last_insert_rowid();
                self.households.insert(code.to_string(), id);
                self.new_households.insert(id);
                self.report.households += 1;
                id
            }
        };
        let mut resident = None;
        if let Some(sex) = sex {
            let key = (hh, name.to_string(), dob.clone());
            let duplicate = if self.new_households.contains(&hh) {
                self.new_residents.contains(&key)
            } else {
                self.tx
                    .prepare_cached(
                        "SELECT 1 FROM residents WHERE household_id = ?1 AND name = ?2 AND coalesce(dob, '') = ?3",
                    )?
                    .query_row(params![hh, name, dob.as_deref().unwrap_or("")], |_| Ok(()))
                    .optional()?
                    .is_some()
            };
            if duplicate {
                return Ok(Err(format!(
                    "resident {name} is already in household {code}"
                )));
            }
            self.tx
                .prepare_cached(
                    "INSERT INTO residents (household_id, name, sex, dob, work, skills, notes)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )?
                .execute(params![
                    hh,
                    name,
                    sex.as_str(),
                    dob,
                    cols.get(rec, "work"),
                    cols.get(rec, "skills"),
                    cols.get(rec, "notes")
                ])?;
            let rid = self.tx.last_insert_rowid();
            if self.new_households.contains(&hh) {
                self.new_residents.insert(key);
            }
            self.report.residents += 1;
            resident = Some(rid);
        }
        for (raw, n) in &home {
            self.add_phone(hh, None, raw, n)?;
        }
        for (raw, n) in &mobiles {
            self.add_phone(hh, resident, raw, n)?;
        }
        Ok(Ok(()))
    }

    fn unit_row(
        &mut self,
        cols: &Columns,
        rec: &csv::StringRecord,
    ) -> Result<std::result::Result<(), String>> {
        let name = cols.get(rec, "name");
        if name.is_empty() {
            return Ok(Err("column name (unit name) is empty".into()));
        }
        let exists = self
            .tx
            .prepare_cached("SELECT 1 FROM units WHERE name = ?1")?
            .query_row([name], |_| Ok(()))
            .optional()?
            .is_some();
        if exists {
            return Ok(Err(format!("unit {name:?} already exists")));
        }
        let phone = cols.get(rec, "phone");
        let normalized = split_numbers(phone).next().and_then(|p| {
            crate::callerid::normalize(p, &self.local_area)
                .number()
                .map(|n| n.number.clone())
        });
        self.tx
            .prepare_cached(
                "INSERT INTO units (name, address, contact, phone, phone_normalized, jobs, notes)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                name,
                cols.get(rec, "address"),
                cols.get(rec, "contact"),
                phone,
                normalized,
                cols.get(rec, "jobs"),
                cols.get(rec, "notes")
            ])?;
        self.report.units += 1;
        Ok(Ok(()))
    }

    fn group_row(
        &mut self,
        cols: &Columns,
        rec: &csv::StringRecord,
        staff: Option<i64>,
    ) -> Result<std::result::Result<(), String>> {
        let group = cols.get(rec, "group");
        let code = cols.get(rec, "household");
        if group.is_empty() {
            return Ok(Err("column group is empty".into()));
        }
        let Some(hh) = self.household(code)? else {
            return Ok(Err(format!("no household with code {code:?}")));
        };
        let g = self.group(group, staff)?;
        let n = self
            .tx
            .prepare_cached(
                "INSERT OR IGNORE INTO group_members (group_id, household_id) VALUES (?1, ?2)",
            )?
            .execute(params![g, hh])?;
        self.report.memberships += n as u64;
        Ok(Ok(()))
    }
}

impl Store {
    /// Imports a CSV file of `kind` from `input` (see the module docs for the rules).
    /// `progress` is called now and then with the number of bytes read so far.
    pub fn import_csv(
        &self,
        kind: ImportKind,
        input: impl Read,
        opts: &ImportOptions,
        progress: &mut dyn FnMut(u64),
    ) -> Result<ImportReport> {
        let mut rdr = csv::ReaderBuilder::new()
            .flexible(true)
            .has_headers(true)
            .from_reader(input);
        let header = rdr.headers()?.clone();
        let cols = Columns::new(kind, &header)?;
        let local_area = self.local_area().to_string();
        let result = self.write(|tx| {
            // A bigger page cache while the import's indexes grow (reset below).
            tx.execute_batch("PRAGMA cache_size = -131072")?;
            let mut ctx = Ctx {
                tx,
                local_area,
                now_ms: ms(Utc::now()),
                households: HashMap::new(),
                new_households: HashSet::new(),
                new_residents: HashSet::new(),
                blocks: HashMap::new(),
                groups: HashMap::new(),
                report: ImportReport::default(),
            };
            let mut rec = csv::StringRecord::new();
            let mut n: u64 = 0;
            loop {
                let more = match rdr.read_record(&mut rec) {
                    Ok(m) => m,
                    Err(e) => {
                        let line = e.position().map(|p| p.line()).unwrap_or(0);
                        match e.kind() {
                            csv::ErrorKind::Utf8 { .. } => {
                                ctx.report.bad.push(BadRow { line, reason: "not valid UTF-8 text (save the file as UTF-8)".into() });
                                continue;
                            }
                            _ => return Err(StoreError::Csv(e)),
                        }
                    }
                };
                if !more {
                    break;
                }
                if rec.iter().all(|f| f.trim().is_empty()) {
                    continue;
                }
                let line = rec.position().map(|p| p.line()).unwrap_or(0);
                let outcome = match kind {
                    ImportKind::Residents => ctx.resident_row(&cols, &rec)?,
                    ImportKind::Units => ctx.unit_row(&cols, &rec)?,
                    ImportKind::Groups => ctx.group_row(&cols, &rec, opts.staff_id)?,
                };
                match outcome {
                    Ok(()) => ctx.report.rows += 1,
                    Err(reason) => ctx.report.bad.push(BadRow { line, reason }),
                }
                n += 1;
                if n.is_multiple_of(PROGRESS_EVERY) {
                    progress(rdr.position().byte());
                }
            }
            progress(rdr.position().byte());
            if !ctx.report.bad.is_empty() && !opts.skip_bad {
                return Err(StoreError::ImportRejected(std::mem::take(&mut ctx.report.bad)));
            }
            let r = &ctx.report;
            audit(
                tx,
                opts.staff_id,
                "import",
                kind.as_str(),
                &format!(
                    "source={} rows={} bad={} households={} residents={} phones={} units={} groups={} memberships={}",
                    opts.source, r.rows, r.bad.len(), r.households, r.residents, r.phones, r.units, r.groups, r.memberships
                ),
            )?;
            Ok(ctx.report)
        });
        self.write(|tx| Ok(tx.execute_batch("PRAGMA cache_size = -32000")?))?;
        result
    }

    /// Writes all rows of `kind` as CSV (the layout import reads); returns the row count.
    pub fn export_csv(&self, kind: ImportKind, out: impl Write) -> Result<u64> {
        let mut w = csv::Writer::from_writer(out);
        w.write_record(kind.columns())?;
        let n = self.read(|c| {
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
                            w.write_record(&rec)?;
                            any = true;
                            n += 1;
                        }
                        if !any {
                            let mut rec: Vec<&str> = head.iter().map(String::as_str).collect();
                            rec.push(&home);
                            rec.extend(["", "", "", "", "", "", ""]);
                            w.write_record(&rec)?;
                            n += 1;
                        }
                    }
                }
                ImportKind::Units => {
                    let mut st = c.prepare("SELECT name, address, contact, phone, jobs, notes FROM units ORDER BY id")?;
                    let mut rows = st.query([])?;
                    while let Some(r) = rows.next()? {
                        let rec: Vec<String> = (0..6).map(|i| r.get::<_, String>(i)).collect::<rusqlite::Result<_>>()?;
                        w.write_record(&rec)?;
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
                        w.write_record([r.get::<_, String>(0)?, r.get::<_, String>(1)?])?;
                        n += 1;
                    }
                }
            }
            Ok(n)
        })?;
        w.flush()?;
        Ok(n)
    }
}

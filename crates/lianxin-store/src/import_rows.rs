//! One row of an import at a time, inside the import's transaction: a resident (creating
//! its household, block and numbers as needed), a resident unit, or a group membership.
//! A row is either written completely or refused with the field at fault and the reason
//! in English and Chinese ([`Bad`]); nothing is written for a refused row. The counts of
//! what was added (and which existing households changed) go into the report.

use std::collections::{HashMap, HashSet};

use rusqlite::{params, OptionalExtension, Transaction};

use crate::callerid::CallerId;
use crate::import::ImportReport;
use crate::import_columns::Columns;
use crate::import_values::{parse_dob, sex_word, split_numbers, Refusal};
use crate::screen::{Dwelling, Sex};
use crate::Result;

/// A refused row: the field at fault (if one is) and why.
#[derive(Debug)]
pub(crate) struct Bad {
    /// The field (English column name), if one is at fault.
    pub(crate) field: Option<&'static str>,
    /// Why, in English and Chinese.
    pub(crate) why: Refusal,
}

fn bad(field: &'static str, en: impl Into<String>, zh: impl Into<String>) -> Bad {
    Bad {
        field: Some(field),
        why: Refusal::new(en, zh),
    }
}

/// What a row handler gives back: `Ok(Err(bad))` is a refused row.
pub(crate) type RowResult = Result<std::result::Result<(), Bad>>;

/// State kept across rows of one import.
pub(crate) struct Ctx<'t> {
    tx: &'t Transaction<'t>,
    local_area: String,
    now_ms: i64,
    households: HashMap<String, i64>,
    new_households: HashSet<i64>,
    /// Households already in the database that this import added people or numbers to.
    changed_households: HashSet<i64>,
    new_residents: HashSet<(i64, String, Option<String>)>,
    blocks: HashMap<String, i64>,
    groups: HashMap<String, i64>,
    /// What the import did so far.
    pub(crate) report: ImportReport,
}

impl<'t> Ctx<'t> {
    /// A fresh context for one import in `tx`.
    pub(crate) fn new(tx: &'t Transaction<'t>, local_area: String, now_ms: i64) -> Ctx<'t> {
        Ctx {
            tx,
            local_area,
            now_ms,
            households: HashMap::new(),
            new_households: HashSet::new(),
            changed_households: HashSet::new(),
            new_residents: HashSet::new(),
            blocks: HashMap::new(),
            groups: HashMap::new(),
            report: ImportReport::default(),
        }
    }

    /// The report, with the count of changed households filled in.
    pub(crate) fn finish(mut self) -> ImportReport {
        self.report.households_changed = self.changed_households.len() as u64;
        self.report
    }

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
        field: &'static str,
        cell: &str,
    ) -> std::result::Result<Vec<(String, crate::Normalized)>, Bad> {
        let mut out = Vec::new();
        for raw in split_numbers(cell) {
            match crate::callerid::normalize(raw, &self.local_area) {
                CallerId::Number(n) => out.push((raw.to_string(), n)),
                CallerId::Anonymous => {
                    return Err(bad(
                        field,
                        format!("phone number {raw:?} is not a number"),
                        format!("电话号码“{raw}”不是号码"),
                    ))
                }
                CallerId::Invalid(why) => {
                    return Err(bad(
                        field,
                        format!("phone number {raw:?} is invalid ({why})"),
                        format!("电话号码“{raw}”不正确，请写座机号（如 65123456）或11位手机号"),
                    ))
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
        if added > 0 {
            self.touch(hh);
        }
        Ok(())
    }

    /// Notes a change to a household that was in the database before this import.
    fn touch(&mut self, hh: i64) {
        if !self.new_households.contains(&hh) {
            self.changed_households.insert(hh);
        }
    }

    /// One residents row (nothing is written for a refused one).
    pub(crate) fn resident_row(&mut self, cols: &Columns, rec: &csv::StringRecord) -> RowResult {
        let code = cols.get(rec, "household");
        if code.is_empty() {
            return Ok(Err(bad(
                "household",
                "column household (household code) is empty",
                "户号是空的",
            )));
        }
        let name = cols.get(rec, "name");
        let sex_cell = cols.get(rec, "sex");
        let sex = if name.is_empty() {
            None
        } else {
            match Sex::parse(sex_word(&sex_cell)) {
                Some(s) => Some(s),
                None => {
                    return Ok(Err(bad(
                        "sex",
                        format!("sex {sex_cell:?} must be F/M or 女/男"),
                        format!("性别“{sex_cell}”应为“男”或“女”"),
                    )))
                }
            }
        };
        let dob = match parse_dob(&cols.get(rec, "dob")) {
            Ok(d) => d,
            Err(why) => {
                return Ok(Err(Bad {
                    field: Some("dob"),
                    why,
                }))
            }
        };
        let home = match self.numbers("home_phones", &cols.get(rec, "home_phones")) {
            Ok(v) => v,
            Err(e) => return Ok(Err(e)),
        };
        let mobiles = match self.numbers("mobiles", &cols.get(rec, "mobiles")) {
            Ok(v) => v,
            Err(e) => return Ok(Err(e)),
        };
        if name.is_empty() && !mobiles.is_empty() {
            return Ok(Err(bad(
                "mobiles",
                "mobiles given but no resident name",
                "有手机号却没有姓名",
            )));
        }
        let hh = match self.household(&code)? {
            Some(id) => id,
            None => {
                let street = cols.get(rec, "street");
                if street.is_empty() {
                    return Ok(Err(bad(
                        "street",
                        format!("new household {code:?} needs a street"),
                        format!("新住户“{code}”需要填写街道"),
                    )));
                }
                let dw = cols.get(rec, "dwelling");
                let Some(dwelling) = Dwelling::parse(&dw) else {
                    return Ok(Err(bad(
                        "dwelling",
                        format!("dwelling {dw:?} must be flat/bungalow or 楼房/平房"),
                        format!("住房类型“{dw}”应为“楼房”或“平房”"),
                    )));
                };
                let block = self.block(&cols.get(rec, "block"))?;
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
                return Ok(Err(bad(
                    "name",
                    format!("resident {name} is already in household {code}"),
                    format!("{name} 已经登记在户号 {code} 下"),
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
            self.touch(hh);
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

    /// One resident-units row.
    pub(crate) fn unit_row(&mut self, cols: &Columns, rec: &csv::StringRecord) -> RowResult {
        let name = cols.get(rec, "name");
        if name.is_empty() {
            return Ok(Err(bad(
                "name",
                "column name (unit name) is empty",
                "单位名称是空的",
            )));
        }
        let exists = self
            .tx
            .prepare_cached("SELECT 1 FROM units WHERE name = ?1")?
            .query_row([&name], |_| Ok(()))
            .optional()?
            .is_some();
        if exists {
            return Ok(Err(bad(
                "name",
                format!("unit {name:?} already exists"),
                format!("单位“{name}”已经登记过"),
            )));
        }
        let phone = cols.get(rec, "phone");
        let normalized = split_numbers(&phone).next().and_then(|p| {
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

    /// One group-membership row.
    pub(crate) fn group_row(
        &mut self,
        cols: &Columns,
        rec: &csv::StringRecord,
        staff: Option<i64>,
    ) -> RowResult {
        let group = cols.get(rec, "group");
        let code = cols.get(rec, "household");
        if group.is_empty() {
            return Ok(Err(bad("group", "column group is empty", "分组名称是空的")));
        }
        let Some(hh) = self.household(&code)? else {
            return Ok(Err(bad(
                "household",
                format!("no household with code {code:?}"),
                format!("没有户号为“{code}”的住户"),
            )));
        };
        let g = self.group(&group, staff)?;
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

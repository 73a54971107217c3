//! Resident units (驻区单位): the shops, schools, offices and services in the community,
//! searched by name, address or open jobs (seed 000: the operator found a canteen that
//! was hiring for a resident looking for work), and found by their phone number so a
//! call from a unit pops the unit.

use rusqlite::{params, Connection};
use serde::Serialize;

use crate::{Result, Store};

/// A resident unit as staff see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unit {
    /// Row id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Address.
    pub address: String,
    /// Contact person.
    pub contact: String,
    /// Phone number as entered.
    pub phone: String,
    /// Open jobs ("" = none known).
    pub jobs: String,
    /// Notes (services offered, ...).
    pub notes: String,
}

const COLUMNS: &str = "id, name, address, contact, phone, jobs, notes";

fn unit(r: &rusqlite::Row<'_>) -> rusqlite::Result<Unit> {
    Ok(Unit {
        id: r.get(0)?,
        name: r.get(1)?,
        address: r.get(2)?,
        contact: r.get(3)?,
        phone: r.get(4)?,
        jobs: r.get(5)?,
        notes: r.get(6)?,
    })
}

/// The units whose normalized number is `number` (for the screen-pop).
pub(crate) fn units_by_number(c: &Connection, number: &str) -> Result<Vec<Unit>> {
    let mut st = c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM units WHERE phone_normalized = ?1 ORDER BY id"
    ))?;
    let units = st
        .query_map([number], unit)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(units)
}

impl Store {
    /// Units whose name, address, open jobs or notes contain `query`, or whose number is
    /// `query`; those with open jobs first, then by name. An empty query lists all.
    pub fn search_units(&self, query: &str, limit: usize) -> Result<Vec<Unit>> {
        let q = query.trim();
        let pattern = format!(
            "%{}%",
            q.replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        let number = self.normalize(q).number().map(|n| n.number.clone());
        self.read(|c| {
            let mut st = c.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM units
                 WHERE name LIKE ?1 ESCAPE '\\' OR address LIKE ?1 ESCAPE '\\'
                    OR jobs LIKE ?1 ESCAPE '\\' OR notes LIKE ?1 ESCAPE '\\'
                    OR (?2 IS NOT NULL AND phone_normalized = ?2)
                 ORDER BY jobs = '', name LIMIT ?3"
            ))?;
            let units = st
                .query_map(params![pattern, number, limit as i64], unit)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(units)
        })
    }

    /// The units a caller ID belongs to.
    pub fn units_by_number(&self, caller: &crate::CallerId) -> Result<Vec<Unit>> {
        match caller.number() {
            Some(n) => self.read(|c| units_by_number(c, &n.number)),
            None => Ok(Vec::new()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    #[test]
    fn units_are_found_by_name_address_jobs_and_number() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path().join("t.db")).unwrap();
        s.generate_demo(
            &crate::demo::DemoOptions {
                seed: 1,
                households: 10,
                now: Utc.with_ymd_and_hms(2026, 6, 1, 2, 0, 0).unwrap(),
            },
            &mut |_| {},
        )
        .unwrap();
        let hiring = s.search_units("招聘", 50).unwrap();
        assert!(hiring.len() > 3 && hiring.iter().all(|u| u.jobs.contains("招聘")));
        let by_name = s.search_units("物美", 5).unwrap();
        assert_eq!(by_name.len(), 1);
        assert_eq!(by_name[0].address, "朝阳门南小街88号");
        let by_addr = s.search_units("内务部街15号", 5).unwrap();
        assert_eq!(by_addr[0].name, "北京二中");
        let by_number = s.search_units("010-65138800", 5).unwrap();
        assert_eq!(by_number[0].name, "物美超市朝阳门店");
        let popped = s.units_by_number(&s.normalize("65138800")).unwrap();
        assert_eq!(popped, by_number);
        // A call from the unit's number pops the unit (and no household owns it).
        let pop = s.screen_pop(&s.normalize("65138800"), Utc::now()).unwrap();
        assert_eq!(pop.units, by_number);
        assert!(pop.matches.is_empty());
        let resident = s.screen_pop(&s.normalize("65999999"), Utc::now()).unwrap();
        assert!(resident.units.is_empty());
        assert!(s
            .units_by_number(&s.normalize("65999999"))
            .unwrap()
            .is_empty());
        assert_eq!(s.search_units("50%_", 5).unwrap(), Vec::new());
        assert!(s.search_units("", 100).unwrap().len() >= 10);
    }
}

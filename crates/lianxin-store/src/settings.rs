//! Settings an admin changes at run time, kept in the `settings` table (one row per key,
//! the value as JSON text): today the hotline's opening hours.
//!
//! Why a table and not the config file: an admin changes them in the console and the next
//! call follows them without a restart. The config file's `[hotline.hours]` only seeds the
//! row on the first start with a database that has none
//! ([`Store::opening_hours_or_seed`]); from then on the database is what counts.

use chrono::Utc;
use rusqlite::{params, OptionalExtension};

use crate::db::{audit, ms};
use crate::opening_hours::OpeningHours;
use crate::{Result, Store, StoreError};

/// The key of the opening hours.
const OPENING_HOURS: &str = "opening_hours";

impl Store {
    /// The stored opening hours, if an admin or a first start stored them.
    pub fn opening_hours(&self) -> Result<Option<OpeningHours>> {
        let text: Option<String> = self.read(|c| {
            Ok(
                c.prepare_cached("SELECT value FROM settings WHERE key = ?1")?
                    .query_row([OPENING_HOURS], |r| r.get(0))
                    .optional()?,
            )
        })?;
        text.map(|t| {
            serde_json::from_str(&t).map_err(|e| {
                StoreError::Invalid(format!("stored opening hours are not readable: {e}"))
            })
        })
        .transpose()
    }

    /// The stored opening hours; on the first start (none stored) `seed` — the config
    /// file's — is stored and returned.
    pub fn opening_hours_or_seed(&self, seed: &OpeningHours) -> Result<OpeningHours> {
        if let Some(h) = self.opening_hours()? {
            return Ok(h);
        }
        let value = to_json(seed)?;
        self.write(|tx| {
            tx.execute(
                "INSERT OR IGNORE INTO settings (key, value, updated_ms) VALUES (?1, ?2, ?3)",
                params![OPENING_HOURS, value, ms(Utc::now())],
            )?;
            Ok(())
        })?;
        Ok(self.opening_hours()?.unwrap_or_else(|| seed.clone()))
    }

    /// Stores new opening hours (checked first: [`OpeningHours::validate`]), audited
    /// with who changed them (`None`: command line).
    pub fn set_opening_hours(&self, hours: &OpeningHours, by: Option<i64>) -> Result<()> {
        hours.validate()?;
        let value = to_json(hours)?;
        self.write(|tx| {
            tx.execute(
                "INSERT INTO settings (key, value, updated_ms, updated_by) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value,
                     updated_ms = excluded.updated_ms, updated_by = excluded.updated_by",
                params![OPENING_HOURS, value, ms(Utc::now()), by],
            )?;
            audit(tx, by, "update", "settings:opening_hours", &value)
        })
    }
}

fn to_json(hours: &OpeningHours) -> Result<String> {
    serde_json::to_string(hours).map_err(|e| StoreError::Invalid(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_config_seeds_once_then_the_database_counts() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path().join("s.db")).unwrap();
        assert_eq!(s.opening_hours().unwrap(), None);
        let office = OpeningHours::office();
        assert_eq!(s.opening_hours_or_seed(&office).unwrap(), office);
        // A later start with another config file keeps what is stored.
        assert_eq!(
            s.opening_hours_or_seed(&OpeningHours::default()).unwrap(),
            office
        );
        let mut closed = office.clone();
        closed.weekdays = None;
        closed
            .holidays
            .push(chrono::NaiveDate::from_ymd_opt(2026, 10, 1).unwrap());
        s.set_opening_hours(&closed, None).unwrap();
        assert_eq!(s.opening_hours().unwrap(), Some(closed.clone()));
        assert_eq!(s.opening_hours_or_seed(&office).unwrap(), closed);
        assert_eq!(s.counts().unwrap().audit, 1);
        let mut bad = office;
        bad.weekdays = bad.weekends.map(|w| crate::opening_hours::Span {
            open: w.close,
            close: w.open,
        });
        assert!(s.set_opening_hours(&bad, None).is_err());
        assert_eq!(s.opening_hours().unwrap(), Some(closed));
    }
}

//! The [`Store`] handle: connections, schema migrations, transactions.
//!
//! Writes go through one writer connection behind a mutex, each inside one
//! `BEGIN IMMEDIATE` transaction, so a write either happens completely or not at all, even
//! on `kill -9` (SQLite's WAL guarantees it; `synchronous=FULL` makes committed writes
//! survive a power cut too). Reads take a connection from a small pool; in WAL mode they
//! see the last committed state and never block the writer.

use crate::{Result, StoreError};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OpenFlags, OptionalExtension, Transaction, TransactionBehavior};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// The schema version this build writes (`PRAGMA user_version`).
pub const SCHEMA_VERSION: i64 = 5;

/// The full schema of a fresh database (version [`SCHEMA_VERSION`]).
const SCHEMA: &str = include_str!("../../../schema.sql");

/// Migrations from version N-1 to N, for N = 2, 3, … (index 0 upgrades 1 → 2).
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/v2.sql"),
    include_str!("migrations/v3.sql"),
    include_str!("migrations/v4.sql"),
    // Settings and retired phone groups (issue 12).
    include_str!("migrations/v5.sql"),
];

/// The default request categories, seeded once when a file reaches version 3.
const DEFAULT_CATEGORIES: &str = include_str!("migrations/categories.sql");

/// Options for [`Store::open_with`].
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Area code assumed for 7–8 digit local numbers (default `"010"`, Beijing).
    pub local_area: String,
    /// Reader connections kept open for lookups (default 4).
    pub readers: usize,
    /// How long a connection waits for a lock before failing (default 5 s).
    pub busy_timeout: Duration,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            local_area: "010".to_string(),
            readers: 4,
            busy_timeout: Duration::from_secs(5),
        }
    }
}

/// Handle to the database. Cheap to clone; share it between threads and tasks.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    options: StoreOptions,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
    watchers: crate::return_visit_wake::Watchers,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.inner.path)
            .finish()
    }
}

impl Store {
    /// Opens (creating if needed) the database at `path` with default options, and brings
    /// its schema up to date.
    pub fn open(path: impl AsRef<Path>) -> Result<Store> {
        Store::open_with(path, StoreOptions::default())
    }

    /// Opens (creating if needed) the database at `path`, and brings its schema up to date.
    pub fn open_with(path: impl AsRef<Path>, options: StoreOptions) -> Result<Store> {
        let path = path.as_ref().to_path_buf();
        let writer = connect(&path, &options)?;
        migrate(&writer)?;
        let mut readers = Vec::new();
        for _ in 0..options.readers.max(1) {
            readers.push(connect(&path, &options)?);
        }
        Ok(Store {
            inner: Arc::new(Inner {
                path,
                options,
                writer: Mutex::new(writer),
                readers: Mutex::new(readers),
                watchers: Default::default(),
            }),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Who hears of new return-visit work ([`crate::return_visit_wake`]).
    pub(crate) fn watchers(&self) -> &crate::return_visit_wake::Watchers {
        &self.inner.watchers
    }

    /// The local area code used to normalize 7–8 digit numbers.
    pub fn local_area(&self) -> &str {
        &self.inner.options.local_area
    }

    /// Normalizes `raw` with this store's local area code.
    pub fn normalize(&self, raw: &str) -> crate::CallerId {
        crate::callerid::normalize(raw, self.local_area())
    }

    /// Runs `f` on a reader connection (from the pool, or a fresh one when all are busy).
    pub(crate) fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let conn = lock(&self.inner.readers).pop();
        let conn = match conn {
            Some(c) => c,
            None => connect(&self.inner.path, &self.inner.options)?,
        };
        let out = f(&conn);
        let mut pool = lock(&self.inner.readers);
        if pool.len() < self.inner.options.readers.max(1) {
            pool.push(conn);
        }
        out
    }

    /// Runs `f` on a reader inside one read transaction: one consistent snapshot, and the
    /// WAL read lock is taken once instead of once per statement (a third of a screen
    /// pop's time otherwise).
    pub(crate) fn read_snapshot<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        self.read(|c| {
            c.prepare_cached("BEGIN")?.execute([])?;
            let out = f(c);
            let end = c
                .prepare_cached(if out.is_ok() { "COMMIT" } else { "ROLLBACK" })?
                .execute([]);
            let v = out?;
            end?;
            Ok(v)
        })
    }

    /// Runs `f` inside one immediate transaction on the writer connection; commits when
    /// `f` returns `Ok`, rolls back otherwise.
    pub(crate) fn write<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut conn = lock(&self.inner.writer);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }

    /// Like [`write`](Self::write), but always rolls back: what `f` would change, and
    /// nothing changed (an import's preview).
    pub(crate) fn write_rolled_back<T>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T>,
    ) -> Result<T> {
        let mut conn = lock(&self.inner.writer);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = f(&tx)?;
        tx.rollback()?;
        Ok(out)
    }

    /// Row counts of the main tables, for reports and tests.
    pub fn counts(&self) -> Result<Counts> {
        self.read(|c| {
            let n = |t: &str| -> Result<u64> {
                Ok(c.query_row(&format!("SELECT count(*) FROM {t}"), [], |r| {
                    r.get::<_, i64>(0)
                })? as u64)
            };
            Ok(Counts {
                households: n("households")?,
                residents: n("residents")?,
                phones: n("phones")?,
                groups: n("phone_groups")?,
                group_members: n("group_members")?,
                units: n("units")?,
                staff: n("staff")?,
                requests: n("requests")?,
                calls: n("calls")?,
                voice_messages: n("voice_messages")?,
                campaigns: n("campaigns")?,
                audit: n("audit")?,
            })
        })
    }

    /// Runs `PRAGMA integrity_check`; `Ok(())` when the file is sound.
    pub fn integrity_check(&self) -> Result<()> {
        self.read(|c| {
            let s: String = c.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
            if s == "ok" {
                Ok(())
            } else {
                Err(StoreError::Invalid(format!("integrity check failed: {s}")))
            }
        })
    }

    /// Writes an audit row in its own transaction (for actions with no other write).
    pub fn audit(
        &self,
        staff_id: Option<i64>,
        action: &str,
        entity: &str,
        detail: &str,
    ) -> Result<()> {
        self.write(|tx| audit(tx, staff_id, action, entity, detail))
    }
}

/// Row counts of the main tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    /// Households.
    pub households: u64,
    /// Residents.
    pub residents: u64,
    /// Phone numbers.
    pub phones: u64,
    /// Phone groups.
    pub groups: u64,
    /// Group memberships.
    pub group_members: u64,
    /// Resident units.
    pub units: u64,
    /// Staff accounts.
    pub staff: u64,
    /// Service requests.
    pub requests: u64,
    /// Calls.
    pub calls: u64,
    /// Voice messages.
    pub voice_messages: u64,
    /// Campaigns.
    pub campaigns: u64,
    /// Audit rows.
    pub audit: u64,
}

/// Writes an audit row inside the caller's transaction.
pub(crate) fn audit(
    tx: &Connection,
    staff_id: Option<i64>,
    action: &str,
    entity: &str,
    detail: &str,
) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO audit (staff_id, at_ms, action, entity, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(rusqlite::params![
        staff_id,
        ms(Utc::now()),
        action,
        entity,
        detail
    ])?;
    Ok(())
}

/// UTC time → unix milliseconds.
pub(crate) fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

/// Unix milliseconds → UTC time (out-of-range values clamp to the epoch).
pub(crate) fn from_ms(v: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(v).unwrap_or_default()
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock cannot leave a transaction open (it rolls back on
    // drop), so the connection is still usable.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn connect(path: &Path, options: &StoreOptions) -> Result<Connection> {
    let open_err = |source| StoreError::Open {
        path: path.display().to_string(),
        source,
    };
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI,
    )
    .map_err(open_err)?;
    conn.busy_timeout(options.busy_timeout).map_err(open_err)?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         PRAGMA foreign_keys = ON;
         PRAGMA cache_size = -32000;
         PRAGMA temp_store = MEMORY;
         PRAGMA mmap_size = 1073741824;",
    )
    .map_err(open_err)?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

fn migrate(conn: &Connection) -> Result<()> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version > SCHEMA_VERSION {
        return Err(StoreError::TooNew {
            found: version,
            supported: SCHEMA_VERSION,
        });
    }
    if version == SCHEMA_VERSION {
        return Ok(());
    }
    // Migrations rebuild tables (SQLite cannot change a CHECK constraint in place), which
    // needs foreign keys off; the pragma is a no-op inside a transaction, so set it first,
    // and check every reference before committing.
    conn.execute_batch("PRAGMA foreign_keys = OFF")?;
    let out = migrate_in_transaction(conn, version);
    conn.execute_batch("PRAGMA foreign_keys = ON")?;
    out
}

fn migrate_in_transaction(conn: &Connection, version: i64) -> Result<()> {
    conn.execute_batch("BEGIN IMMEDIATE")?;
    let run = || -> Result<()> {
        if version == 0 {
            conn.execute_batch(SCHEMA)?;
        } else {
            for step in &MIGRATIONS[(version - 1) as usize..] {
                conn.execute_batch(step)?;
            }
            let broken: Option<String> = conn
                .query_row("PRAGMA foreign_key_check", [], |r| r.get(0))
                .optional()?;
            if let Some(table) = broken {
                return Err(StoreError::Invalid(format!(
                    "migration from version {version} left a broken reference in {table}"
                )));
            }
        }
        if version < 3 {
            conn.execute_batch(DEFAULT_CATEGORIES)?;
        }
        conn.execute_batch(&format!("PRAGMA user_version = {SCHEMA_VERSION}"))?;
        Ok(())
    };
    match run() {
        Ok(()) => {
            conn.execute_batch("COMMIT")?;
            tracing::info!(
                from = version,
                version = SCHEMA_VERSION,
                "database schema ready"
            );
            Ok(())
        }
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_database_gets_schema_and_reopens() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.db");
        let s = Store::open(&p).unwrap();
        assert_eq!(s.counts().unwrap().households, 0);
        let v: i64 = s
            .read(|c| Ok(c.query_row("PRAGMA user_version", [], |r| r.get(0))?))
            .unwrap();
        assert_eq!(v, SCHEMA_VERSION);
        let fk: i64 = s
            .read(|c| Ok(c.query_row("PRAGMA foreign_keys", [], |r| r.get(0))?))
            .unwrap();
        assert_eq!(fk, 1);
        let mode: String = s
            .read(|c| Ok(c.query_row("PRAGMA journal_mode", [], |r| r.get(0))?))
            .unwrap();
        assert_eq!(mode, "wal");
        drop(s);
        let s = Store::open(&p).unwrap();
        s.integrity_check().unwrap();
    }

    /// Columns of every table, and the index names, as SQLite reports them.
    fn shape(s: &Store) -> Vec<String> {
        s.read(|c| {
            let mut out = Vec::new();
            let mut st = c.prepare(
                "SELECT type, name, tbl_name FROM sqlite_master
                 WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name",
            )?;
            let rows: Vec<(String, String, String)> = st
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect::<rusqlite::Result<_>>()?;
            for (kind, name, table) in rows {
                out.push(format!("{kind} {name} on {table}"));
                if kind == "table" {
                    let mut cols = c.prepare(&format!("PRAGMA table_xinfo({name})"))?;
                    let cols: Vec<String> = cols
                        .query_map([], |r| {
                            Ok(format!(
                                "  {} {} notnull={} default={:?} pk={}",
                                r.get::<_, String>(1)?,
                                r.get::<_, String>(2)?,
                                r.get::<_, i64>(3)?,
                                r.get::<_, Option<String>>(4)?,
                                r.get::<_, i64>(5)?
                            ))
                        })?
                        .collect::<rusqlite::Result<_>>()?;
                    out.extend(cols);
                    let mut fks = c.prepare(&format!("PRAGMA foreign_key_list({name})"))?;
                    let fks: Vec<String> = fks
                        .query_map([], |r| {
                            Ok(format!(
                                "  fk {} -> {}",
                                r.get::<_, String>(3)?,
                                r.get::<_, String>(2)?
                            ))
                        })?
                        .collect::<rusqlite::Result<_>>()?;
                    out.extend(fks);
                }
            }
            Ok(out)
        })
        .unwrap()
    }

    /// A version 1 database with a campaign of three households, as the demo wrote them.
    fn v1_database(p: &Path) {
        let c = Connection::open(p).unwrap();
        c.execute_batch(include_str!("migrations/schema_v1.sql"))
            .unwrap();
        c.execute_batch(
            "PRAGMA user_version = 1;
             INSERT INTO staff (id, username, display_name, role, created_ms) VALUES (1, 'cap', '王队长', 'captain', 0);
             INSERT INTO blocks (id, name, captain_staff_id) VALUES (1, '一片', 1);
             INSERT INTO households (id, code, street, dwelling, block_id, created_ms) VALUES
                 (1, 'H1', '内务部街', 'bungalow', 1, 0), (2, 'H2', '内务部街', 'flat', 1, 0),
                 (3, 'H3', '内务部街', 'flat', NULL, 0);
             INSERT INTO phone_groups (id, name, created_ms) VALUES (1, '平房住户', 0);
             INSERT INTO campaigns (id, name, prompt, created_ms, status, started_ms, finished_ms)
                 VALUES (1, '夏夜治安提示', 'notice-security', 0, 'done', 10, 20);
             INSERT INTO campaign_groups VALUES (1, 1);
             INSERT INTO campaign_calls (campaign_id, household_id, number, state, created_ms, heard_seconds)
                 VALUES (1, 1, '01065123456', 'answered', 5, 31.5),
                        (1, 2, '01065123457', 'busy', 5, NULL),
                        (1, 2, '01065123457', 'no_answer', 6, NULL),
                        (1, 3, '13912345678', 'dialing', 5, NULL);",
        )
        .unwrap();
    }

    #[test]
    fn version_1_database_migrates_in_place_to_the_fresh_schema() {
        let dir = tempfile::tempdir().unwrap();
        let fresh = Store::open(dir.path().join("fresh.db")).unwrap();
        let old = dir.path().join("v1.db");
        v1_database(&old);
        let s = Store::open(&old).unwrap();
        let v: i64 = s
            .read(|c| Ok(c.query_row("PRAGMA user_version", [], |r| r.get(0))?))
            .unwrap();
        assert_eq!(v, SCHEMA_VERSION);
        assert_eq!(shape(&s), shape(&fresh));
        s.integrity_check().unwrap();
        // Foreign keys are back on for the connections that serve.
        let fk: i64 = s
            .read(|c| Ok(c.query_row("PRAGMA foreign_keys", [], |r| r.get(0))?))
            .unwrap();
        assert_eq!(fk, 1);
        let (status, attempts): (String, Vec<(i64, i64, String)>) = s
            .read(|c| {
                let st = c.query_row("SELECT status FROM campaigns WHERE id = 1", [], |r| r.get(0))?;
                let mut q = c.prepare(
                    "SELECT household_id, attempt, state FROM campaign_calls ORDER BY household_id, attempt",
                )?;
                let rows = q
                    .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                    .collect::<rusqlite::Result<_>>()?;
                Ok((st, rows))
            })
            .unwrap();
        assert_eq!(status, "finished");
        let want = [
            (1, 1, "heard"),
            (2, 1, "busy"),
            (2, 2, "no_answer"),
            (3, 1, "interrupted"),
        ];
        let want: Vec<(i64, i64, String)> = want
            .iter()
            .map(|(h, a, st)| (*h, *a, st.to_string()))
            .collect();
        assert_eq!(attempts, want);
        let households: Vec<(i64, String, i64, i64)> = s
            .read(|c| {
                let mut q = c.prepare(
                    "SELECT household_id, outcome, reached, attempts FROM campaign_households ORDER BY household_id",
                )?;
                let rows = q
                    .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
                    .collect::<rusqlite::Result<_>>()?;
                Ok(rows)
            })
            .unwrap();
        assert_eq!(
            households,
            vec![
                (1, "heard".to_string(), 1, 1),
                (2, "no_answer".to_string(), 0, 2),
                (3, "interrupted".to_string(), 0, 1)
            ]
        );
        // Reopening does not migrate again.
        drop(s);
        Store::open(&old).unwrap().integrity_check().unwrap();
    }

    /// A version 2 database with requests as the demo wrote them (open, closed, closed
    /// with feedback) and a voice message.
    fn v2_database(p: &Path) {
        let c = Connection::open(p).unwrap();
        c.execute_batch(include_str!("migrations/schema_v2.sql"))
            .unwrap();
        c.execute_batch(
            "PRAGMA user_version = 2;
             INSERT INTO staff (id, username, display_name, role, created_ms) VALUES (1, 'cap', '王队长', 'captain', 0);
             INSERT INTO blocks (id, name, captain_staff_id) VALUES (1, '一片', 1);
             INSERT INTO households (id, code, street, dwelling, block_id, created_ms) VALUES (1, 'H1', '内务部街', 'bungalow', 1, 0);
             INSERT INTO calls (id, sip_call_id, direction, arrived_ms) VALUES (1, 'a@b', 'in', 5);
             INSERT INTO requests (id, household_id, channel, call_id, category_item, content, responsible_staff_id,
                                   captain_staff_id, created_ms, level1_ms, deadline_ms, status, feedback_ms, feedback_satisfied)
                 VALUES (1, 1, 'phone', 1, '职业介绍', '找工作', 1, 1, 0, 5, 8, 'open', NULL, NULL),
                        (2, 1, 'walk_in', NULL, '设施维修', '路灯', NULL, 1, 0, 5, 8, 'open', NULL, NULL),
                        (3, 1, 'visit', NULL, '设施维修', '下水道', 1, 1, 0, 5, 8, 'closed', NULL, NULL),
                        (4, 1, 'phone', NULL, '投诉', '停车', 1, 1, 0, 5, 8, 'closed', 9, 0);
             INSERT INTO voice_messages (call_id, household_id, created_ms, path) VALUES (1, 1, 6, 'x.wav');",
        )
        .unwrap();
    }

    #[test]
    fn version_2_database_migrates_in_place_to_the_fresh_schema() {
        let dir = tempfile::tempdir().unwrap();
        let fresh = Store::open(dir.path().join("fresh.db")).unwrap();
        let old = dir.path().join("v2.db");
        v2_database(&old);
        let s = Store::open(&old).unwrap();
        assert_eq!(shape(&s), shape(&fresh));
        s.integrity_check().unwrap();
        let stages: Vec<(String, Option<String>)> = s
            .read(|c| {
                let mut q = c.prepare("SELECT stage, feedback_result FROM requests ORDER BY id")?;
                let rows = q
                    .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<rusqlite::Result<_>>()?;
                Ok(rows)
            })
            .unwrap();
        let want = [
            ("assigned", None),
            ("new", None),
            ("resolved", None),
            ("feedback_given", Some("not_satisfied")),
        ];
        let want: Vec<(String, Option<String>)> = want
            .iter()
            .map(|(a, b)| (a.to_string(), b.map(str::to_string)))
            .collect();
        assert_eq!(stages, want);
        // The default categories are there, once, in both.
        let n = |s: &Store| -> i64 {
            s.read(
                |c| Ok(c.query_row("SELECT count(*) FROM request_categories", [], |r| r.get(0))?),
            )
            .unwrap()
        };
        assert!(n(&s) >= 12);
        assert_eq!(n(&s), n(&fresh));
        drop(s);
        let s = Store::open(&old).unwrap();
        assert_eq!(n(&s), n(&fresh));
    }

    /// A version 4 database (automatic return visits) gains the settings table and
    /// retirable phone groups; its groups stay offered.
    #[test]
    fn version_4_database_migrates_in_place_to_the_fresh_schema() {
        let dir = tempfile::tempdir().unwrap();
        let fresh = Store::open(dir.path().join("fresh.db")).unwrap();
        let old = dir.path().join("v4.db");
        {
            let c = Connection::open(&old).unwrap();
            c.execute_batch(include_str!("migrations/schema_v4.sql"))
                .unwrap();
            c.execute_batch(
                "PRAGMA user_version = 4;
                 INSERT INTO phone_groups (id, name, created_ms) VALUES (1, '平房住户', 0);",
            )
            .unwrap();
        }
        let s = Store::open(&old).unwrap();
        assert_eq!(shape(&s), shape(&fresh));
        s.integrity_check().unwrap();
        let retired: i64 = s
            .read(|c| Ok(c.query_row("SELECT retired FROM phone_groups", [], |r| r.get(0))?))
            .unwrap();
        assert_eq!(retired, 0);
    }

    #[test]
    fn version_3_database_migrates_in_place_to_the_fresh_schema() {
        let dir = tempfile::tempdir().unwrap();
        let fresh = Store::open(dir.path().join("fresh.db")).unwrap();
        let old = dir.path().join("v3.db");
        {
            let c = Connection::open(&old).unwrap();
            c.execute_batch(include_str!("migrations/schema_v3.sql"))
                .unwrap();
            c.execute_batch(
                "PRAGMA user_version = 3;
                 INSERT INTO households (id, code, street, dwelling, created_ms) VALUES (1, 'H1', '内务部街', 'bungalow', 0);
                 INSERT INTO campaigns (id, name, prompt, created_ms, status) VALUES (1, '供暖', 'notice-heating', 0, 'finished');
                 INSERT INTO campaign_households (campaign_id, household_id, outcome, reached, attempts)
                     VALUES (1, 1, 'heard', 1, 1);",
            )
            .unwrap();
        }
        let s = Store::open(&old).unwrap();
        assert_eq!(shape(&s), shape(&fresh));
        s.integrity_check().unwrap();
        let (kind, number): (String, Option<String>) = s
            .read(|c| {
                Ok(c.query_row(
                    "SELECT c.kind, k.number FROM campaigns c JOIN campaign_households k ON k.campaign_id = c.id",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )?)
            })
            .unwrap();
        assert_eq!(kind, "notice", "an old campaign is a group call");
        assert_eq!(number, None, "and calls the household's own numbers");
        drop(s);
        Store::open(&old).unwrap().integrity_check().unwrap();
    }

    #[test]
    fn newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.db");
        {
            let c = Connection::open(&p).unwrap();
            c.execute_batch("PRAGMA user_version = 99").unwrap();
        }
        assert!(matches!(
            Store::open(&p),
            Err(StoreError::TooNew { found: 99, .. })
        ));
    }

    #[test]
    fn failed_write_rolls_back() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path().join("t.db")).unwrap();
        let r: Result<()> = s.write(|tx| {
            audit(tx, None, "test", "x", "")?;
            Err(StoreError::Invalid("boom".into()))
        });
        assert!(r.is_err());
        assert_eq!(s.counts().unwrap().audit, 0);
    }
}

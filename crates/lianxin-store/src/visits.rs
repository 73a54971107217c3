//! Home visits (入户走访), the daily work log (日常工作记录) and the 民生信号灯 visit rhythm
//! of each household, with the "visits due" list of a captain (seed 001: one community
//! recorded 3,862 visits and 475 work-log entries in four months).
//!
//! Schema and store API (the desk serves it in `visit_api`, the captains' workbench shows
//! it). Writes are audited.

use chrono::{DateTime, Duration, Utc};
use rusqlite::{params, OptionalExtension};
use serde::Serialize;

use crate::db::{audit, from_ms, ms};
use crate::request_rules::{Actor, RequestRefused};
use crate::screen::address_at;
use crate::{Result, Store};

/// How often a household should be visited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VisitFrequency {
    /// Every week (7 days).
    Weekly,
    /// Every month (30 days).
    Monthly,
    /// Every quarter (91 days).
    Quarterly,
}

impl VisitFrequency {
    /// Database text.
    pub fn as_str(self) -> &'static str {
        match self {
            VisitFrequency::Weekly => "weekly",
            VisitFrequency::Monthly => "monthly",
            VisitFrequency::Quarterly => "quarterly",
        }
    }

    /// Parses database text.
    pub fn parse(s: &str) -> Option<VisitFrequency> {
        match s {
            "weekly" => Some(VisitFrequency::Weekly),
            "monthly" => Some(VisitFrequency::Monthly),
            "quarterly" => Some(VisitFrequency::Quarterly),
            _ => None,
        }
    }

    /// The longest gap between two visits.
    pub fn period(self) -> Duration {
        match self {
            VisitFrequency::Weekly => Duration::days(7),
            VisitFrequency::Monthly => Duration::days(30),
            VisitFrequency::Quarterly => Duration::days(91),
        }
    }
}

/// A home visit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Visit {
    /// Row id.
    pub id: i64,
    /// Household visited.
    pub household_id: i64,
    /// Its address.
    pub address: String,
    /// Who visited.
    pub staff_id: Option<i64>,
    /// When.
    pub visited_at: DateTime<Utc>,
    /// What was seen and heard.
    pub notes: String,
    /// Requests raised on the visit.
    pub request_ids: Vec<i64>,
}

/// Kind of a work-log entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkKind {
    /// A meeting.
    Meeting,
    /// A community activity.
    Activity,
    /// Anything else.
    Other,
}

impl WorkKind {
    /// Database text.
    pub fn as_str(self) -> &'static str {
        match self {
            WorkKind::Meeting => "meeting",
            WorkKind::Activity => "activity",
            WorkKind::Other => "other",
        }
    }

    /// Parses database text.
    pub fn parse(s: &str) -> Option<WorkKind> {
        match s {
            "meeting" => Some(WorkKind::Meeting),
            "activity" => Some(WorkKind::Activity),
            "other" => Some(WorkKind::Other),
            _ => None,
        }
    }
}

/// A work-log entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WorkEntry {
    /// Row id.
    pub id: i64,
    /// Who.
    pub staff_id: Option<i64>,
    /// When.
    pub at: DateTime<Utc>,
    /// Meeting, activity, other.
    pub kind: WorkKind,
    /// What.
    pub text: String,
}

/// A household whose next visit is due.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VisitDue {
    /// Household.
    pub household_id: i64,
    /// Its address.
    pub address: String,
    /// Its rhythm.
    pub frequency: VisitFrequency,
    /// The last visit, if any.
    pub last_visit: Option<DateTime<Utc>>,
}

/// The columns [`visit_row`] reads, with the household's address.
const VISIT_SELECT: &str = "SELECT v.id, v.household_id, v.staff_id, v.visited_ms, v.notes,
        h.street, h.number, h.building, h.unit, h.room
     FROM visits v JOIN households h ON h.id = v.household_id";

fn visit_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Visit> {
    Ok(Visit {
        id: r.get(0)?,
        household_id: r.get(1)?,
        address: address_at(r, 5)?,
        staff_id: r.get(2)?,
        visited_at: from_ms(r.get(3)?),
        notes: r.get(4)?,
        request_ids: Vec::new(),
    })
}

/// Fills in the requests raised on each visit.
fn with_requests(c: &rusqlite::Connection, mut visits: Vec<Visit>) -> Result<Vec<Visit>> {
    let mut st = c.prepare_cached(
        "SELECT request_id FROM visit_requests WHERE visit_id = ?1 ORDER BY request_id",
    )?;
    for v in &mut visits {
        v.request_ids = st
            .query_map([v.id], |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<i64>>>()?;
    }
    Ok(visits)
}

impl Store {
    /// Records a home visit by `actor` (with the requests raised on it); returns its id.
    pub fn create_visit(
        &self,
        household_id: i64,
        visited: DateTime<Utc>,
        notes: &str,
        request_ids: &[i64],
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        self.write(|tx| {
            let exists: Option<i64> = tx
                .prepare_cached("SELECT id FROM households WHERE id = ?1")?
                .query_row([household_id], |r| r.get(0))
                .optional()?;
            if exists.is_none() {
                return Err(RequestRefused::invalid("household_id", "找不到该住户").into());
            }
            tx.prepare_cached(
                "INSERT INTO visits (household_id, staff_id, visited_ms, notes, created_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![household_id, actor.staff_id, ms(visited), notes.trim(), ms(now)])?;
            let id = tx.last_insert_rowid();
            for r in request_ids {
                let of: Option<Option<i64>> = tx
                    .prepare_cached("SELECT household_id FROM requests WHERE id = ?1")?
                    .query_row([r], |row| row.get(0))
                    .optional()?;
                if of != Some(Some(household_id)) {
                    return Err(RequestRefused::invalid("request_ids", format!("诉求 {r} 不属于该住户")).into());
                }
                tx.prepare_cached("INSERT OR IGNORE INTO visit_requests (visit_id, request_id) VALUES (?1, ?2)")?
                    .execute(params![id, r])?;
            }
            audit(tx, actor.staff_id, "visit.create", &format!("visit:{id}"), &format!("household:{household_id}"))?;
            Ok(id)
        })
    }

    /// A household's visits, newest first.
    pub fn visits(&self, household_id: i64) -> Result<Vec<Visit>> {
        self.read_snapshot(|c| {
            let mut st = c.prepare_cached(&format!(
                "{VISIT_SELECT} WHERE v.household_id = ?1 ORDER BY v.visited_ms DESC, v.id DESC"
            ))?;
            let visits = st
                .query_map([household_id], visit_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            with_requests(c, visits)
        })
    }

    /// The visits `staff_id` made between `from` and `to`, newest first, at most `limit`
    /// (a captain's visit log).
    pub fn visits_by(
        &self,
        staff_id: i64,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Visit>> {
        self.read_snapshot(|c| {
            let mut st = c.prepare_cached(&format!(
                "{VISIT_SELECT} WHERE v.staff_id = ?1 AND v.visited_ms >= ?2 AND v.visited_ms < ?3
                 ORDER BY v.visited_ms DESC, v.id DESC LIMIT ?4"
            ))?;
            let visits = st
                .query_map(params![staff_id, ms(from), ms(to), limit as i64], visit_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            with_requests(c, visits)
        })
    }

    /// A household's visit rhythm: `None` if there is no such household, `Some(None)`
    /// if it has no fixed rhythm.
    pub fn visit_frequency(&self, household_id: i64) -> Result<Option<Option<VisitFrequency>>> {
        self.read(|c| {
            let f: Option<Option<String>> = c
                .prepare_cached("SELECT visit_frequency FROM households WHERE id = ?1")?
                .query_row([household_id], |r| r.get(0))
                .optional()?;
            Ok(f.map(|f| f.as_deref().and_then(VisitFrequency::parse)))
        })
    }

    /// Sets (or clears) a household's visit rhythm.
    pub fn set_visit_frequency(
        &self,
        household_id: i64,
        frequency: Option<VisitFrequency>,
        actor: &Actor,
    ) -> Result<()> {
        self.write(|tx| {
            let n = tx
                .prepare_cached("UPDATE households SET visit_frequency = ?2 WHERE id = ?1")?
                .execute(params![household_id, frequency.map(|f| f.as_str())])?;
            if n == 0 {
                return Err(RequestRefused::invalid("household_id", "找不到该住户").into());
            }
            audit(
                tx,
                actor.staff_id,
                "household.visit_frequency",
                &format!("household:{household_id}"),
                frequency.map(|f| f.as_str()).unwrap_or(""),
            )
        })
    }

    /// The households of `captain`'s blocks whose rhythm says a visit is due at `now`
    /// (never visited, or the last visit longer ago than the period), most overdue first.
    pub fn visits_due(&self, captain: i64, now: DateTime<Utc>) -> Result<Vec<VisitDue>> {
        self.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT h.id, h.street, h.number, h.building, h.unit, h.room, h.visit_frequency,
                        (SELECT max(v.visited_ms) FROM visits v WHERE v.household_id = h.id)
                 FROM households h JOIN blocks b ON b.id = h.block_id
                 WHERE b.captain_staff_id = ?1 AND h.visit_frequency IS NOT NULL",
            )?;
            let mut due = Vec::new();
            let rows = st.query_map([captain], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    address_at(r, 1)?,
                    r.get::<_, String>(6)?,
                    r.get::<_, Option<i64>>(7)?.map(from_ms),
                ))
            })?;
            for row in rows {
                let (household_id, address, freq, last) = row?;
                let Some(frequency) = VisitFrequency::parse(&freq) else {
                    continue;
                };
                if last.is_none_or(|l| now - l > frequency.period()) {
                    due.push(VisitDue {
                        household_id,
                        address,
                        frequency,
                        last_visit: last,
                    });
                }
            }
            due.sort_by_key(|d| (d.last_visit, d.household_id));
            Ok(due)
        })
    }

    /// Adds a work-log entry by `actor`; returns its id.
    pub fn add_work_log(
        &self,
        at: DateTime<Utc>,
        kind: WorkKind,
        text: &str,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        let text = text.trim();
        if text.is_empty() {
            return Err(RequestRefused::invalid("text", "请填写工作内容").into());
        }
        self.write(|tx| {
            tx.prepare_cached(
                "INSERT INTO work_log (staff_id, at_ms, kind, text, created_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![actor.staff_id, ms(at), kind.as_str(), text, ms(now)])?;
            let id = tx.last_insert_rowid();
            audit(tx, actor.staff_id, "work_log.create", &format!("work_log:{id}"), kind.as_str())?;
            Ok(id)
        })
    }

    /// Work-log entries between `from` and `to`, one staff member's or everyone's.
    pub fn work_log(
        &self,
        staff_id: Option<i64>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<WorkEntry>> {
        self.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT id, staff_id, at_ms, kind, text FROM work_log
                 WHERE at_ms >= ?1 AND at_ms < ?2 AND (?3 IS NULL OR staff_id = ?3) ORDER BY at_ms, id",
            )?;
            let rows = st.query_map(params![ms(from), ms(to), staff_id], |r| {
                Ok(WorkEntry {
                    id: r.get(0)?,
                    staff_id: r.get(1)?,
                    at: from_ms(r.get(2)?),
                    kind: WorkKind::parse(&r.get::<_, String>(3)?).unwrap_or(WorkKind::Other),
                    text: r.get(4)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }
}

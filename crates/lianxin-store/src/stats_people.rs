//! The people side of the statistics (seed 003's "盘点"): home visits per visitor over a
//! period, and the population figures the seeds cite — the share of elderly residents
//! (60 and over on the period's last day) per block, and how many households each phone
//! group holds. The request figures are in [`crate::stats`].
//!
//! Residents without a date of birth count as residents but never as elderly, so the
//! share is a lower bound; the report says how many dates are unknown.

use chrono::{Months, NaiveDate};
use rusqlite::params;
use serde::Serialize;

use crate::stats::{ratio, Period};
use crate::{Result, Store};

/// Visits of one visitor in a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VisitorFigures {
    /// The visitor's staff id (`None`: not recorded).
    pub staff_id: Option<i64>,
    /// The visitor's name ("" when unknown).
    pub name: String,
    /// Visits.
    pub count: i64,
    /// Distinct households visited.
    pub households: i64,
}

/// A visits report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VisitReport {
    /// The period.
    pub period: Period,
    /// One row per visitor, most visits first.
    pub visitors: Vec<VisitorFigures>,
    /// Visits in the period.
    pub total: i64,
}

/// The population of one block (or of all).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BlockPopulation {
    /// Block name ("" = no block; "全部" for the total).
    pub block: String,
    /// Households.
    pub households: i64,
    /// Residents.
    pub residents: i64,
    /// Residents aged 60 or over on the day.
    pub elderly: i64,
    /// `elderly / residents`.
    pub elderly_share: f64,
    /// Residents without a date of birth.
    pub dob_unknown: i64,
}

/// Households in one phone group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupPopulation {
    /// Group name.
    pub group: String,
    /// Member households (within the scope).
    pub households: i64,
    /// `households / all households` (within the scope).
    pub share: f64,
}

/// A population report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PopulationReport {
    /// Ages are counted on this day (the period's last day).
    pub on: NaiveDate,
    /// Per block.
    pub blocks: Vec<BlockPopulation>,
    /// Per phone group (groups with no household in scope included, at 0).
    pub groups: Vec<GroupPopulation>,
    /// The whole community (or the captain's blocks).
    pub total: BlockPopulation,
}

/// The latest date of birth of someone 60 or over on `day`, as database text.
fn elderly_cutoff(day: NaiveDate) -> String {
    day.checked_sub_months(Months::new(60 * 12))
        .unwrap_or(NaiveDate::MIN)
        .format("%Y-%m-%d")
        .to_string()
}

/// The scope condition on `h` (a household) for a captain (`?1`).
const SCOPE: &str =
    "(?1 IS NULL OR h.block_id IN (SELECT id FROM blocks WHERE captain_staff_id = ?1))";

impl Store {
    /// Home visits in `period` per visitor. With `captain`, only visits to that captain's
    /// blocks' households.
    pub fn visit_report(&self, period: Period, captain: Option<i64>) -> Result<VisitReport> {
        let (start, end) = period.bounds_ms();
        let sql = format!(
            "SELECT v.staff_id, COALESCE(s.display_name, ''), COUNT(*), COUNT(DISTINCT v.household_id)
             FROM visits v JOIN households h ON h.id = v.household_id
             LEFT JOIN staff s ON s.id = v.staff_id
             WHERE v.visited_ms >= ?2 AND v.visited_ms < ?3 AND {SCOPE}
             GROUP BY v.staff_id ORDER BY COUNT(*) DESC, 2"
        );
        let visitors = self.read_snapshot(|c| {
            let mut st = c.prepare(&sql)?;
            let rows = st
                .query_map(params![captain, start, end], |r| {
                    Ok(VisitorFigures {
                        staff_id: r.get(0)?,
                        name: r.get(1)?,
                        count: r.get(2)?,
                        households: r.get(3)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })?;
        let total = visitors.iter().map(|v| v.count).sum();
        Ok(VisitReport {
            period,
            visitors,
            total,
        })
    }

    /// Population figures on `period.to`. With `captain`, only that captain's blocks.
    pub fn population_report(
        &self,
        period: Period,
        captain: Option<i64>,
    ) -> Result<PopulationReport> {
        let cutoff = elderly_cutoff(period.to);
        let block_sql = format!(
            "SELECT COALESCE(b.name, ''), COUNT(DISTINCT h.id), COUNT(r.id),
                    COALESCE(SUM(r.dob IS NOT NULL AND r.dob <= ?2), 0),
                    COALESCE(SUM(r.id IS NOT NULL AND r.dob IS NULL), 0)
             FROM households h LEFT JOIN blocks b ON b.id = h.block_id
             LEFT JOIN residents r ON r.household_id = h.id
             WHERE {SCOPE}
             GROUP BY h.block_id ORDER BY 1"
        );
        let group_sql = format!(
            "SELECT g.name, (SELECT COUNT(*) FROM group_members m JOIN households h ON h.id = m.household_id
                             WHERE m.group_id = g.id AND {SCOPE})
             FROM phone_groups g ORDER BY 2 DESC, g.name"
        );
        let (blocks, groups) = self.read_snapshot(|c| {
            let blocks = c
                .prepare(&block_sql)?
                .query_map(params![captain, cutoff], |r| {
                    let residents: i64 = r.get(2)?;
                    let elderly: i64 = r.get(3)?;
                    Ok(BlockPopulation {
                        block: r.get(0)?,
                        households: r.get(1)?,
                        residents,
                        elderly,
                        elderly_share: ratio(elderly, residents),
                        dob_unknown: r.get(4)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let groups = c
                .prepare(&group_sql)?
                .query_map(params![captain], |r| {
                    Ok((r.get::<_, String>(0)?, r.get(1)?))
                })?
                .collect::<rusqlite::Result<Vec<(String, i64)>>>()?;
            Ok((blocks, groups))
        })?;
        let mut total = BlockPopulation {
            block: "全部".to_string(),
            households: 0,
            residents: 0,
            elderly: 0,
            elderly_share: 0.0,
            dob_unknown: 0,
        };
        for b in &blocks {
            total.households += b.households;
            total.residents += b.residents;
            total.elderly += b.elderly;
            total.dob_unknown += b.dob_unknown;
        }
        total.elderly_share = ratio(total.elderly, total.residents);
        let groups = groups
            .into_iter()
            .map(|(group, households)| GroupPopulation {
                group,
                households,
                share: ratio(households, total.households),
            })
            .collect();
        Ok(PopulationReport {
            on: period.to,
            blocks,
            groups,
            total,
        })
    }
}

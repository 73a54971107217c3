//! Statistics of requests ("盘点", seed 003): over a period of Asia/Shanghai calendar days,
//! requests counted by category, channel, block, stage or responsible person, with the
//! average and p90 time to close, the share closed by the deadline and the satisfaction
//! rate of each group and of the whole period.
//!
//! Why in Rust rather than one `GROUP BY`: the p90 needs every group's sorted close
//! times, and a period's requests are few (seed 001: 750 in four months), so the store
//! reads one narrow row per request and folds them here. The visit and population
//! figures live in [`crate::stats_people`]. Dates are China days because that is how the
//! committee speaks of "March"; the database keeps UTC milliseconds.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Serialize;

use crate::china_time::china_midnight;
use crate::{Result, Store, StoreError};

/// A period of whole China calendar days, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Period {
    /// First day.
    pub from: NaiveDate,
    /// Last day (included).
    pub to: NaiveDate,
}

impl Period {
    /// A period; refused when `to` is before `from`.
    pub fn new(from: NaiveDate, to: NaiveDate) -> Result<Period> {
        if to < from {
            return Err(StoreError::Invalid(format!(
                "period ends ({to}) before it starts ({from})"
            )));
        }
        Ok(Period { from, to })
    }

    /// The period as UTC instants: `[start, end)`.
    pub fn bounds(&self) -> (DateTime<Utc>, DateTime<Utc>) {
        (
            china_midnight(self.from),
            china_midnight(self.to) + Duration::days(1),
        )
    }

    /// The period as unix milliseconds: `[start, end)`.
    pub fn bounds_ms(&self) -> (i64, i64) {
        let (a, b) = self.bounds();
        (a.timestamp_millis(), b.timestamp_millis())
    }
}

/// What requests are grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestBy {
    /// Category, "某一项.某一类" (item.class).
    Category,
    /// Channel: phone, walk-in, visit.
    Channel,
    /// The household's block (片区).
    Block,
    /// Workflow stage.
    Stage,
    /// The responsible staff member.
    Responsible,
}

impl RequestBy {
    /// Every grouping, in the order the CLI lists them.
    pub const ALL: [RequestBy; 5] = [
        RequestBy::Category,
        RequestBy::Channel,
        RequestBy::Block,
        RequestBy::Stage,
        RequestBy::Responsible,
    ];

    /// Its word (query strings, `--by`).
    pub fn as_str(self) -> &'static str {
        match self {
            RequestBy::Category => "category",
            RequestBy::Channel => "channel",
            RequestBy::Block => "block",
            RequestBy::Stage => "stage",
            RequestBy::Responsible => "responsible",
        }
    }

    /// Parses its word.
    pub fn parse(s: &str) -> Option<RequestBy> {
        RequestBy::ALL.into_iter().find(|b| b.as_str() == s)
    }

    /// The SQL expression of a row's group key (over `requests r`, `households h`,
    /// `blocks b`, `staff s` = responsible).
    fn key_sql(self) -> &'static str {
        match self {
            RequestBy::Category => {
                "CASE WHEN r.category_class = '' THEN r.category_item \
                 ELSE r.category_item || '.' || r.category_class END"
            }
            RequestBy::Channel => "r.channel",
            RequestBy::Block => "COALESCE(b.name, '')",
            RequestBy::Stage => "r.stage",
            RequestBy::Responsible => "COALESCE(s.display_name, '')",
        }
    }
}

/// The figures of one group of requests (or of all of them).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RequestFigures {
    /// The group ("" = none: no block, nobody responsible); "全部" for the total.
    pub group: String,
    /// Requests created in the period.
    pub count: i64,
    /// Of them, closed (by now).
    pub closed: i64,
    /// Of them, closed no later than their deadline.
    pub closed_by_deadline: i64,
    /// `closed_by_deadline / count` (0 when empty).
    pub share_closed_by_deadline: f64,
    /// Average hours from creation to closing of the closed ones (two decimals; shares
    /// and rates have four).
    pub avg_hours_to_close: Option<f64>,
    /// 90th percentile (nearest rank) of the same.
    pub p90_hours_to_close: Option<f64>,
    /// Feedback "satisfied".
    pub satisfied: i64,
    /// Feedback "not satisfied".
    pub not_satisfied: i64,
    /// `satisfied / (satisfied + not_satisfied)`; `None` without feedback.
    pub satisfaction_rate: Option<f64>,
}

/// A requests report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RequestReport {
    /// The period.
    pub period: Period,
    /// The grouping.
    pub by: RequestBy,
    /// One row per group, largest first (ties by name).
    pub groups: Vec<RequestFigures>,
    /// The whole period.
    pub total: RequestFigures,
}

/// One request as the fold needs it.
struct Row {
    key: String,
    created: i64,
    deadline: i64,
    closed: Option<i64>,
    feedback: Option<String>,
}

#[derive(Default)]
struct Acc {
    count: i64,
    closed_by_deadline: i64,
    close_ms: Vec<i64>,
    satisfied: i64,
    not_satisfied: i64,
}

impl Acc {
    fn add(&mut self, r: &Row) {
        self.count += 1;
        if let Some(c) = r.closed {
            self.close_ms.push((c - r.created).max(0));
            if c <= r.deadline {
                self.closed_by_deadline += 1;
            }
        }
        match r.feedback.as_deref() {
            Some("satisfied") => self.satisfied += 1,
            Some("not_satisfied") => self.not_satisfied += 1,
            _ => {}
        }
    }

    fn figures(mut self, group: String) -> RequestFigures {
        self.close_ms.sort_unstable();
        let n = self.close_ms.len();
        let hours = |v: f64| round_to(v / 3_600_000.0, 2);
        let avg = (n > 0).then(|| hours(self.close_ms.iter().sum::<i64>() as f64 / n as f64));
        let p90 = percentile(&self.close_ms, 0.9).map(|v| hours(v as f64));
        let rated = self.satisfied + self.not_satisfied;
        RequestFigures {
            group,
            count: self.count,
            closed: n as i64,
            closed_by_deadline: self.closed_by_deadline,
            share_closed_by_deadline: ratio(self.closed_by_deadline, self.count),
            avg_hours_to_close: avg,
            p90_hours_to_close: p90,
            satisfied: self.satisfied,
            not_satisfied: self.not_satisfied,
            satisfaction_rate: (rated > 0).then(|| ratio(self.satisfied, rated)),
        }
    }
}

/// `a / b` to four decimals, 0 when `b` is 0.
pub(crate) fn ratio(a: i64, b: i64) -> f64 {
    if b == 0 {
        0.0
    } else {
        round_to(a as f64 / b as f64, 4)
    }
}

/// `v` rounded to `places` decimals: figures for people, and short enough that JSON
/// and CSV readers get back exactly the number the store computed.
pub fn round_to(v: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (v * f).round() / f
}

/// Nearest-rank percentile of sorted values.
pub fn percentile(sorted: &[i64], p: f64) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (p * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.clamp(1, sorted.len()) - 1).copied()
}

impl Store {
    /// Requests created in `period`, grouped `by`. With `captain`, only the requests that
    /// captain may see (their blocks' or assigned to them, as in the request lists).
    pub fn request_report(
        &self,
        period: Period,
        by: RequestBy,
        captain: Option<i64>,
    ) -> Result<RequestReport> {
        let (start, end) = period.bounds_ms();
        let sql = format!(
            "SELECT {key}, r.created_ms, r.deadline_ms,
                    CASE WHEN r.status = 'closed' THEN r.closed_ms END, r.feedback_result
             FROM requests r
             LEFT JOIN households h ON h.id = r.household_id
             LEFT JOIN blocks b ON b.id = h.block_id
             LEFT JOIN staff s ON s.id = r.responsible_staff_id
             WHERE r.created_ms >= ?1 AND r.created_ms < ?2
               AND (?3 IS NULL OR r.captain_staff_id = ?3 OR r.responsible_staff_id = ?3)",
            key = by.key_sql()
        );
        let rows = self.read_snapshot(|c| {
            let mut st = c.prepare(&sql)?;
            let rows = st
                .query_map(rusqlite::params![start, end, captain], |r| {
                    Ok(Row {
                        key: r.get(0)?,
                        created: r.get(1)?,
                        deadline: r.get(2)?,
                        closed: r.get(3)?,
                        feedback: r.get(4)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })?;
        let mut groups: BTreeMap<String, Acc> = BTreeMap::new();
        let mut total = Acc::default();
        for r in &rows {
            total.add(r);
            groups.entry(r.key.clone()).or_default().add(r);
        }
        let mut groups: Vec<RequestFigures> =
            groups.into_iter().map(|(k, a)| a.figures(k)).collect();
        groups.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.group.cmp(&b.group)));
        Ok(RequestReport {
            period,
            by,
            groups,
            total: total.figures("全部".to_string()),
        })
    }
}

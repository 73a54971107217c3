//! Group-call campaigns (电话群拨): who is called, with which options, and what came of it.
//!
//! A campaign is created from phone groups and/or explicit household ids. Its households
//! are fixed at creation in `campaign_households` — each once, however many of the chosen
//! groups it is in, and only households that exist, with the numbers the database holds —
//! so a campaign resumed after a crash calls exactly the households it started with.
//! The dialer (`lianxin-dialer`) decides everything else; this module only stores and
//! reads: create, preview, targets, status, the per-household and per-attempt reports, and
//! the block captains' follow-up lists. The attempts themselves are written in batches
//! through [`crate::campaign_log`].

use crate::callerid::NumberKind;
use crate::db::{audit, from_ms, ms};
use crate::outcome::{CampaignKind, CampaignStatus, NumberStrategy, Outcome};
use crate::screen::address_at;
use crate::{Result, Store, StoreError};
use chrono::{DateTime, NaiveTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use std::collections::BTreeSet;
use std::time::Duration;

/// Which households a campaign calls.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TargetSpec {
    /// Phone groups, by name.
    pub groups: Vec<String>,
    /// Households, by id.
    pub households: Vec<i64>,
}

/// The options a campaign runs with, as stored (the dialer validates them).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CampaignSettings {
    /// Number presented to households ('' = the trunk's default).
    pub caller_id: String,
    /// Most simultaneous calls.
    pub max_calls: u32,
    /// Most new calls per second; 0 = unlimited.
    pub calls_per_second: f64,
    /// How long a call may ring before it is cancelled.
    pub ring_timeout: Duration,
    /// Further attempts after a no-answer, busy or failed one.
    pub retries: u32,
    /// Pause before a retry.
    pub retry_pause: Duration,
    /// Which of a household's numbers to try.
    pub strategy: NumberStrategy,
    /// Calling window (opening, closing) in Asia/Shanghai time; `None` = any time.
    pub window: Option<(NaiveTime, NaiveTime)>,
    /// Urgent: ignores the calling window and households' "no notices" wish.
    pub urgent: bool,
    /// The notice ends with "press 1 to confirm".
    pub confirm_key: bool,
}

impl Default for CampaignSettings {
    fn default() -> Self {
        CampaignSettings {
            caller_id: String::new(),
            max_calls: 100,
            calls_per_second: 0.0,
            ring_timeout: Duration::from_secs(30),
            retries: 2,
            retry_pause: Duration::from_secs(300),
            strategy: NumberStrategy::First,
            window: None,
            urgent: false,
            confirm_key: false,
        }
    }
}

/// A campaign to create.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewCampaign {
    /// Name shown to staff.
    pub name: String,
    /// The notice: a prompt name or an audio file.
    pub notice: String,
    /// Who created it (`None` = command line).
    pub created_by: Option<i64>,
    /// Who is called.
    pub targets: TargetSpec,
    /// Options.
    pub settings: CampaignSettings,
}

/// One number of a household to call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TargetNumber {
    /// Normalized number (`01065123456`, `13912345678`).
    pub number: String,
    /// Landline, mobile or other.
    pub kind: NumberKind,
}

/// A household to call, with its numbers in the order they were entered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Target {
    /// Household id.
    pub household_id: i64,
    /// The household asked for no non-urgent notices.
    pub no_notices: bool,
    /// Its numbers.
    pub numbers: Vec<TargetNumber>,
}

/// A household that will not be called because it asked for no non-urgent notices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OptedOutHousehold {
    /// Household id.
    pub household_id: i64,
    /// Household code.
    pub code: String,
    /// Address text.
    pub address: String,
}

/// What a campaign would do, shown before it starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CampaignPreview {
    /// Households chosen (each once).
    pub households: usize,
    /// Their numbers.
    pub numbers: usize,
    /// Calls of the first round: one per household that will be called.
    pub calls: usize,
    /// Most calls it can take with every retry and, for "each number", every number.
    pub max_calls: usize,
    /// Households without any number (not called).
    pub without_number: usize,
    /// Households not called because they asked for no non-urgent notices (empty when
    /// the campaign is urgent).
    pub opted_out: Vec<OptedOutHousehold>,
}

/// A stored campaign.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CampaignRecord {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// The notice.
    pub notice: String,
    /// Creator.
    pub created_by: Option<i64>,
    /// Created.
    pub created: DateTime<Utc>,
    /// Status.
    pub status: CampaignStatus,
    /// First started.
    pub started: Option<DateTime<Utc>>,
    /// Finished or cancelled.
    pub finished: Option<DateTime<Utc>>,
    /// Chosen phone groups (names).
    pub groups: Vec<String>,
    /// Options.
    pub settings: CampaignSettings,
    /// A group call, or a request's automatic return visit.
    pub kind: CampaignKind,
}

/// Counts for a campaign list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CampaignSummary {
    /// The campaign.
    pub campaign: CampaignRecord,
    /// Households.
    pub households: u64,
    /// Reached (是).
    pub reached: u64,
    /// Final and not reached (否).
    pub not_reached: u64,
    /// Not final yet.
    pub remaining: u64,
}

/// One row of the per-household report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HouseholdResult {
    /// Household id.
    pub household_id: i64,
    /// Household code.
    pub code: String,
    /// Address text.
    pub address: String,
    /// Block name.
    pub block: Option<String>,
    /// Block captain's name.
    pub captain: Option<String>,
    /// 是 / 否; `None` while not final.
    pub reached: Option<bool>,
    /// Final outcome; `None` while not final.
    pub outcome: Option<Outcome>,
    /// Attempts made.
    pub attempts: u32,
    /// Seconds of the notice heard (answered attempts).
    pub seconds_heard: Option<f64>,
    /// Key pressed to confirm.
    pub confirmed: Option<String>,
}

/// One row of the per-attempt report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AttemptResult {
    /// Household id.
    pub household_id: i64,
    /// 1, 2, …
    pub attempt: u32,
    /// Number as stored.
    pub number: String,
    /// Number as dialled.
    pub dialled: String,
    /// Started (row written, before the INVITE).
    pub started: DateTime<Utc>,
    /// Answered (200 OK).
    pub answered: Option<DateTime<Utc>>,
    /// Ended.
    pub ended: Option<DateTime<Utc>>,
    /// Outcome; `None` while the call is in flight.
    pub outcome: Option<Outcome>,
    /// Final SIP response code.
    pub sip_code: Option<u16>,
    /// Reason phrase or why it failed.
    pub reason: String,
    /// Seconds of the notice heard.
    pub seconds_heard: Option<f64>,
    /// Key pressed to confirm.
    pub confirm_key: Option<String>,
}

impl Store {
    /// The households `spec` names, each once, ascending by id, with their numbers.
    /// Unknown groups or household ids are an error naming them.
    pub fn campaign_targets(&self, spec: &TargetSpec) -> Result<Vec<Target>> {
        self.read_snapshot(|c| targets(c, spec))
    }

    /// What a campaign over `spec` with `settings` would do.
    pub fn campaign_preview(
        &self,
        spec: &TargetSpec,
        settings: &CampaignSettings,
    ) -> Result<CampaignPreview> {
        self.read_snapshot(|c| {
            let targets = targets(c, spec)?;
            let mut p = CampaignPreview {
                households: targets.len(),
                numbers: targets.iter().map(|t| t.numbers.len()).sum(),
                calls: 0,
                max_calls: 0,
                without_number: 0,
                opted_out: Vec::new(),
            };
            let rounds = settings.retries as usize + 1;
            for t in &targets {
                if t.no_notices && !settings.urgent {
                    let (code, address) = code_address(c, t.household_id)?;
                    p.opted_out.push(OptedOutHousehold {
                        household_id: t.household_id,
                        code,
                        address,
                    });
                } else if t.numbers.is_empty() {
                    p.without_number += 1;
                } else {
                    p.calls += 1;
                    p.max_calls += rounds
                        * match settings.strategy {
                            NumberStrategy::First => 1,
                            NumberStrategy::Each => t.numbers.len(),
                        };
                }
            }
            Ok(p)
        })
    }

    /// Creates a campaign (status `draft`) with its households fixed; returns its id.
    pub fn create_campaign(&self, new: &NewCampaign, now: DateTime<Utc>) -> Result<i64> {
        if new.notice.trim().is_empty() {
            return Err(StoreError::Invalid("a campaign needs a notice".into()));
        }
        self.write(|tx| {
            let targets = targets(tx, &new.targets)?;
            if targets.is_empty() {
                return Err(StoreError::Invalid("the campaign has no households".into()));
            }
            let s = &new.settings;
            let id = insert_campaign(tx, new, CampaignKind::Notice, now)?;
            let mut ins = tx.prepare_cached(
                "INSERT INTO campaign_households (campaign_id, household_id, opted_out) VALUES (?1, ?2, ?3)",
            )?;
            for t in &targets {
                ins.execute(params![id, t.household_id, t.no_notices && !s.urgent])?;
            }
            audit(
                tx,
                new.created_by,
                "campaign.create",
                &format!("campaign:{id}"),
                &format!("{} households, notice {}", targets.len(), new.notice),
            )?;
            Ok(id)
        })
    }

    /// One campaign.
    pub fn campaign(&self, id: i64) -> Result<Option<CampaignRecord>> {
        self.read(|c| campaign(c, id))
    }

    /// Group-call campaigns (not return visits), newest first, with their counts.
    pub fn campaigns(&self, limit: usize) -> Result<Vec<CampaignSummary>> {
        self.read_snapshot(|c| {
            let ids: Vec<i64> = c
                .prepare_cached("SELECT id FROM campaigns WHERE kind = 'notice' ORDER BY created_ms DESC, id DESC LIMIT ?1")?
                .query_map([limit as i64], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            let mut out = Vec::with_capacity(ids.len());
            for id in ids {
                let Some(campaign) = campaign(c, id)? else {
                    continue;
                };
                let (households, reached, not_reached): (i64, i64, i64) = c
                    .prepare_cached(
                        "SELECT count(*), coalesce(sum(reached = 1), 0), coalesce(sum(reached = 0), 0)
                         FROM campaign_households WHERE campaign_id = ?1",
                    )?
                    .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
                out.push(CampaignSummary {
                    campaign,
                    households: households as u64,
                    reached: reached as u64,
                    not_reached: not_reached as u64,
                    remaining: (households - reached - not_reached).max(0) as u64,
                });
            }
            Ok(out)
        })
    }

    /// Ids of campaigns a starting server must resume (running or paused).
    pub fn unfinished_campaigns(&self) -> Result<Vec<i64>> {
        self.read(|c| {
            Ok(c.prepare_cached(
                "SELECT id FROM campaigns WHERE status IN ('running', 'paused') ORDER BY id",
            )?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?)
        })
    }

    /// Sets a campaign's status (not for ending it: see [`Store::end_campaign`]). The
    /// first `running` sets the start time.
    pub fn set_campaign_status(
        &self,
        id: i64,
        status: CampaignStatus,
        by: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        if status.is_over() {
            return Err(StoreError::Invalid(format!(
                "use end_campaign to set {}",
                status.as_str()
            )));
        }
        self.write(|tx| {
            let n = tx.execute(
                "UPDATE campaigns SET status = ?2,
                     started_ms = CASE WHEN ?2 = 'running' THEN coalesce(started_ms, ?3) ELSE started_ms END
                 WHERE id = ?1 AND status NOT IN ('finished', 'cancelled')",
                params![id, status.as_str(), ms(now)],
            )?;
            if n == 0 {
                return Err(StoreError::NotFound(format!("campaign {id} (or it is over)")));
            }
            audit(tx, by, &format!("campaign.{}", status.as_str()), &format!("campaign:{id}"), "")
        })
    }

    /// Ends a campaign as finished or cancelled. A finished group call puts every
    /// household it did not reach on its block captain's follow-up list (in the same
    /// transaction); a return visit's result goes to its request instead.
    /// Returns how many follow-ups were added. The return-visit watchers are woken
    /// ([`Store::watch_return_visits`]): it may have been one.
    pub fn end_campaign(
        &self,
        id: i64,
        status: CampaignStatus,
        by: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<usize> {
        if !status.is_over() {
            return Err(StoreError::Invalid(format!(
                "{} does not end a campaign",
                status.as_str()
            )));
        }
        self.write(|tx| {
            let n = tx.execute(
                "UPDATE campaigns SET status = ?2, finished_ms = ?3 WHERE id = ?1",
                params![id, status.as_str(), ms(now)],
            )?;
            if n == 0 {
                return Err(StoreError::NotFound(format!("campaign {id}")));
            }
            let mut added = 0;
            if status == CampaignStatus::Finished {
                added = tx.execute(
                    "INSERT OR IGNORE INTO follow_ups (campaign_id, household_id, captain_staff_id, created_ms)
                     SELECT k.campaign_id, k.household_id, b.captain_staff_id, ?2
                     FROM campaign_households k JOIN households h ON h.id = k.household_id
                     LEFT JOIN blocks b ON b.id = h.block_id
                     WHERE k.campaign_id = ?1 AND coalesce(k.reached, 0) = 0
                       AND (SELECT kind FROM campaigns WHERE id = ?1) = 'notice'",
                    params![id, ms(now)],
                )?;
            }
            audit(
                tx,
                by,
                &format!("campaign.{}", status.as_str()),
                &format!("campaign:{id}"),
                &format!("{added} follow-ups"),
            )?;
            Ok(added)
        })
        .inspect(|_| self.wake_return_visits())
    }

    /// The per-household report of a campaign, by household id.
    pub fn campaign_report(&self, id: i64) -> Result<Vec<HouseholdResult>> {
        self.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT h.id, h.code, h.street, h.number, h.building, h.unit, h.room, b.name,
                        coalesce(s.display_name, b.captain_name),
                        k.reached, k.outcome, k.attempts, k.seconds_heard, k.confirmed
                 FROM campaign_households k JOIN households h ON h.id = k.household_id
                 LEFT JOIN blocks b ON b.id = h.block_id
                 LEFT JOIN staff s ON s.id = b.captain_staff_id
                 WHERE k.campaign_id = ?1 ORDER BY h.id",
            )?;
            let rows = st.query_map([id], |r| {
                Ok(HouseholdResult {
                    household_id: r.get(0)?,
                    code: r.get(1)?,
                    address: address_at(r, 2)?,
                    block: r.get(7)?,
                    captain: r.get(8)?,
                    reached: r.get::<_, Option<bool>>(9)?,
                    outcome: r
                        .get::<_, Option<String>>(10)?
                        .as_deref()
                        .and_then(Outcome::parse),
                    attempts: r.get::<_, i64>(11)?.max(0) as u32,
                    seconds_heard: r.get(12)?,
                    confirmed: r.get(13)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// The per-attempt report of a campaign, by household and attempt.
    pub fn campaign_attempts(&self, id: i64) -> Result<Vec<AttemptResult>> {
        self.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT household_id, attempt, number, dialled, created_ms, answered_ms, ended_ms,
                        state, sip_code, reason, heard_seconds, confirm_key
                 FROM campaign_calls WHERE campaign_id = ?1 ORDER BY household_id, attempt",
            )?;
            let rows = st.query_map([id], |r| {
                Ok(AttemptResult {
                    household_id: r.get(0)?,
                    attempt: r.get::<_, i64>(1)?.max(0) as u32,
                    number: r.get(2)?,
                    dialled: r.get(3)?,
                    started: from_ms(r.get(4)?),
                    answered: r.get::<_, Option<i64>>(5)?.map(from_ms),
                    ended: r.get::<_, Option<i64>>(6)?.map(from_ms),
                    outcome: Outcome::parse(&r.get::<_, String>(7)?),
                    sip_code: r.get::<_, Option<i64>>(8)?.map(|v| v.clamp(0, 999) as u16),
                    reason: r.get(9)?,
                    seconds_heard: r.get(10)?,
                    confirm_key: r.get(11)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// Records a household's wish to receive no non-urgent notices (or withdraws it).
    pub fn set_no_notices(&self, household: i64, no_notices: bool, by: Option<i64>) -> Result<()> {
        self.write(|tx| {
            let n = tx.execute(
                "UPDATE households SET no_notices = ?2 WHERE id = ?1",
                params![household, no_notices],
            )?;
            if n == 0 {
                return Err(StoreError::NotFound(format!("household {household}")));
            }
            audit(
                tx,
                by,
                "household.no_notices",
                &format!("household:{household}"),
                if no_notices { "on" } else { "off" },
            )
        })
    }
}

/// Inserts campaign `new` of `kind` (status `draft`) with its chosen groups, not its
/// households; its id.
pub(crate) fn insert_campaign(
    tx: &Connection,
    new: &NewCampaign,
    kind: CampaignKind,
    now: DateTime<Utc>,
) -> Result<i64> {
    let s = &new.settings;
    let hhmm = |t: NaiveTime| t.format("%H:%M").to_string();
    tx.execute(
        "INSERT INTO campaigns (name, prompt, created_by, created_ms, status, caller_id,
             max_calls, calls_per_second, ring_timeout_ms, retries, retry_pause_ms,
             number_strategy, window_open, window_close, urgent, confirm_key, kind)
         VALUES (?1, ?2, ?3, ?4, 'draft', ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
        params![
            new.name,
            new.notice,
            new.created_by,
            ms(now),
            s.caller_id,
            s.max_calls,
            s.calls_per_second,
            s.ring_timeout.as_millis() as i64,
            s.retries,
            s.retry_pause.as_millis() as i64,
            s.strategy.as_str(),
            s.window.map(|w| hhmm(w.0)),
            s.window.map(|w| hhmm(w.1)),
            s.urgent,
            s.confirm_key,
            kind.as_str()
        ],
    )?;
    let id = tx.last_insert_rowid();
    for g in &new.targets.groups {
        tx.execute(
            "INSERT OR IGNORE INTO campaign_groups (campaign_id, group_id)
             SELECT ?1, id FROM phone_groups WHERE name = ?2",
            params![id, g],
        )?;
    }
    Ok(id)
}

/// The households of `spec`, deduplicated, ascending by id, with their numbers.
pub(crate) fn targets(c: &Connection, spec: &TargetSpec) -> Result<Vec<Target>> {
    let mut ids = BTreeSet::new();
    for g in &spec.groups {
        let gid: Option<i64> = c
            .prepare_cached("SELECT id FROM phone_groups WHERE name = ?1 AND retired = 0")?
            .query_row([g], |r| r.get(0))
            .optional()?;
        let Some(gid) = gid else {
            return Err(StoreError::NotFound(format!("phone group {g:?}")));
        };
        let mut st =
            c.prepare_cached("SELECT household_id FROM group_members WHERE group_id = ?1")?;
        for h in st.query_map([gid], |r| r.get::<_, i64>(0))? {
            ids.insert(h?);
        }
    }
    let mut unknown = Vec::new();
    for &h in &spec.households {
        let exists = c
            .prepare_cached("SELECT 1 FROM households WHERE id = ?1")?
            .exists([h])?;
        if exists {
            ids.insert(h);
        } else {
            unknown.push(h.to_string());
        }
    }
    if !unknown.is_empty() {
        return Err(StoreError::NotFound(format!(
            "households {}",
            unknown.join(", ")
        )));
    }
    ids.into_iter()
        .map(|h| {
            let no_notices: bool = c
                .prepare_cached("SELECT no_notices FROM households WHERE id = ?1")?
                .query_row([h], |r| r.get(0))?;
            Ok(Target {
                household_id: h,
                no_notices,
                numbers: numbers(c, h)?,
            })
        })
        .collect()
}

/// A household's numbers in the order they were entered.
pub(crate) fn numbers(c: &Connection, household: i64) -> Result<Vec<TargetNumber>> {
    let mut st = c.prepare_cached(
        "SELECT normalized, kind FROM phones WHERE household_id = ?1 ORDER BY id",
    )?;
    let rows = st.query_map([household], |r| {
        Ok(TargetNumber {
            number: r.get(0)?,
            kind: NumberKind::parse(&r.get::<_, String>(1)?).unwrap_or(NumberKind::Other),
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn code_address(c: &Connection, household: i64) -> Result<(String, String)> {
    Ok(c.prepare_cached(
        "SELECT code, street, number, building, unit, room FROM households WHERE id = ?1",
    )?
    .query_row([household], |r| Ok((r.get(0)?, address_at(r, 1)?)))?)
}

pub(crate) fn campaign(c: &Connection, id: i64) -> Result<Option<CampaignRecord>> {
    let rec = c
        .prepare_cached(
            "SELECT id, name, prompt, created_by, created_ms, status, started_ms, finished_ms,
                    caller_id, max_calls, calls_per_second, ring_timeout_ms, retries, retry_pause_ms,
                    number_strategy, window_open, window_close, urgent, confirm_key, kind
             FROM campaigns WHERE id = ?1",
        )?
        .query_row([id], |r| {
            let time = |v: Option<String>| v.and_then(|t| NaiveTime::parse_from_str(&t, "%H:%M").ok());
            let window = match (time(r.get(15)?), time(r.get(16)?)) {
                (Some(a), Some(b)) => Some((a, b)),
                _ => None,
            };
            let dur = |v: i64| Duration::from_millis(v.max(0) as u64);
            Ok(CampaignRecord {
                id: r.get(0)?,
                name: r.get(1)?,
                notice: r.get(2)?,
                created_by: r.get(3)?,
                created: from_ms(r.get(4)?),
                status: CampaignStatus::parse(&r.get::<_, String>(5)?)
                    .unwrap_or(CampaignStatus::Draft),
                started: r.get::<_, Option<i64>>(6)?.map(from_ms),
                finished: r.get::<_, Option<i64>>(7)?.map(from_ms),
                groups: Vec::new(),
                settings: CampaignSettings {
                    caller_id: r.get(8)?,
                    max_calls: r.get::<_, i64>(9)?.clamp(0, u32::MAX as i64) as u32,
                    calls_per_second: r.get(10)?,
                    ring_timeout: dur(r.get(11)?),
                    retries: r.get::<_, i64>(12)?.clamp(0, u32::MAX as i64) as u32,
                    retry_pause: dur(r.get(13)?),
                    strategy: NumberStrategy::parse(&r.get::<_, String>(14)?).unwrap_or_default(),
                    window,
                    urgent: r.get(17)?,
                    confirm_key: r.get(18)?,
                },
                kind: CampaignKind::parse(&r.get::<_, String>(19)?),
            })
        })
        .optional()?;
    let Some(mut rec) = rec else {
        return Ok(None);
    };
    rec.groups = c
        .prepare_cached(
            "SELECT g.name FROM campaign_groups k JOIN phone_groups g ON g.id = k.group_id
             WHERE k.campaign_id = ?1 ORDER BY g.id",
        )?
        .query_map([id], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(Some(rec))
}

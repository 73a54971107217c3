//! The per-household log of a running campaign: attempt rows written in batches, and the
//! saved state a restarted server resumes from.
//!
//! Every attempt is written twice: when it starts (state `dialing`, before the INVITE
//! leaves) and when it ends (its outcome). At 800 simultaneous calls that is thousands of
//! writes a minute, and each commit is a disk sync, so the dialer's writer thread collects
//! what queued up and writes it in one transaction through [`Store::campaign_log_batch`]
//! (as the hotline's call log does). The UNIQUE (campaign, household, attempt) key makes a
//! second start of the same attempt an error instead of a second notice.
//!
//! [`Store::campaign_saved`] reads back everything the dialer needs to resume: the
//! campaign's options, each household's numbers, final outcome (if any) and attempts,
//! in-flight ones included (the dialer records those as interrupted).

use crate::campaigns::{campaign, numbers, CampaignRecord, TargetNumber};
use crate::db::{from_ms, ms};
use crate::outcome::Outcome;
use crate::{Result, Store, StoreError};
use chrono::{DateTime, Utc};
use rusqlite::{params, Transaction};
use serde::Serialize;

/// An attempt about to be dialled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttemptStart {
    /// Campaign id.
    pub campaign_id: i64,
    /// Household id.
    pub household_id: i64,
    /// 1, 2, … per household.
    pub attempt: u32,
    /// Number as stored.
    pub number: String,
    /// Number as dialled (after the dial rule).
    pub dialled: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// How an attempt ended.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AttemptEnd {
    /// Campaign id.
    pub campaign_id: i64,
    /// Household id.
    pub household_id: i64,
    /// Attempt number.
    pub attempt: u32,
    /// Outcome.
    pub outcome: Outcome,
    /// Final SIP response code, if one came.
    pub sip_code: Option<u16>,
    /// Reason phrase or why it failed.
    pub reason: String,
    /// When it was answered (200 OK).
    pub answered: Option<DateTime<Utc>>,
    /// Seconds of the notice heard.
    pub seconds_heard: Option<f64>,
    /// Key pressed to confirm.
    pub confirm_key: Option<char>,
    /// When it ended.
    pub at: DateTime<Utc>,
}

/// A household's final result in a campaign.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HouseholdFinal {
    /// Campaign id.
    pub campaign_id: i64,
    /// Household id.
    pub household_id: i64,
    /// Final outcome.
    pub outcome: Outcome,
    /// Attempts made.
    pub attempts: u32,
    /// Seconds heard in the answered attempt.
    pub seconds_heard: Option<f64>,
    /// Key pressed to confirm.
    pub confirmed: Option<char>,
    /// When.
    pub at: DateTime<Utc>,
}

/// The writes of one batch, all in one transaction.
pub struct CampaignLogBatch<'a> {
    tx: &'a Transaction<'a>,
}

impl CampaignLogBatch<'_> {
    /// Writes the row of an attempt about to be dialled. Fails if that attempt of that
    /// household was already written.
    pub fn attempt_started(&self, a: &AttemptStart) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT INTO campaign_calls (campaign_id, household_id, attempt, number, dialled,
                                             state, created_ms, dialed_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, 'dialing', ?6, ?6)",
            )?
            .execute(params![
                a.campaign_id,
                a.household_id,
                a.attempt,
                a.number,
                a.dialled,
                ms(a.at)
            ])?;
        self.tx
            .prepare_cached(
                "UPDATE campaign_households SET attempts = max(attempts, ?3)
                 WHERE campaign_id = ?1 AND household_id = ?2",
            )?
            .execute(params![a.campaign_id, a.household_id, a.attempt])?;
        Ok(())
    }

    /// Writes when an attempt was answered (so a crash during the notice still shows it).
    pub fn attempt_answered(
        &self,
        campaign_id: i64,
        household_id: i64,
        attempt: u32,
        at: DateTime<Utc>,
    ) -> Result<()> {
        self.tx
            .prepare_cached(
                "UPDATE campaign_calls SET answered_ms = ?4
                 WHERE campaign_id = ?1 AND household_id = ?2 AND attempt = ?3",
            )?
            .execute(params![campaign_id, household_id, attempt, ms(at)])?;
        Ok(())
    }

    /// Writes how an attempt ended.
    pub fn attempt_ended(&self, e: &AttemptEnd) -> Result<()> {
        let n = self
            .tx
            .prepare_cached(
                "UPDATE campaign_calls SET state = ?4, sip_code = ?5, reason = ?6,
                     answered_ms = coalesce(?7, answered_ms), heard_seconds = ?8, confirm_key = ?9,
                     ended_ms = ?10
                 WHERE campaign_id = ?1 AND household_id = ?2 AND attempt = ?3",
            )?
            .execute(params![
                e.campaign_id,
                e.household_id,
                e.attempt,
                e.outcome.as_str(),
                e.sip_code,
                e.reason,
                e.answered.map(ms),
                e.seconds_heard,
                e.confirm_key.map(String::from),
                ms(e.at)
            ])?;
        if n == 0 {
            return Err(StoreError::NotFound(format!(
                "attempt {} of household {} in campaign {}",
                e.attempt, e.household_id, e.campaign_id
            )));
        }
        Ok(())
    }

    /// Writes a household's final result.
    pub fn household_finished(&self, f: &HouseholdFinal) -> Result<()> {
        let n = self
            .tx
            .prepare_cached(
                "UPDATE campaign_households SET outcome = ?3, reached = ?4, attempts = ?5,
                     seconds_heard = ?6, confirmed = ?7, finished_ms = ?8
                 WHERE campaign_id = ?1 AND household_id = ?2",
            )?
            .execute(params![
                f.campaign_id,
                f.household_id,
                f.outcome.as_str(),
                f.outcome.reached(),
                f.attempts,
                f.seconds_heard,
                f.confirmed.map(String::from),
                ms(f.at)
            ])?;
        if n == 0 {
            return Err(StoreError::NotFound(format!(
                "household {} in campaign {}",
                f.household_id, f.campaign_id
            )));
        }
        Ok(())
    }
}

/// A number given for a household (a return visit's), as a target number.
fn one_number(number: String) -> TargetNumber {
    let kind = match crate::callerid::normalize(&number, "010") {
        crate::CallerId::Number(n) => n.kind,
        _ => crate::NumberKind::Other,
    };
    TargetNumber { number, kind }
}

/// An attempt as saved.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SavedAttempt {
    /// Attempt number.
    pub attempt: u32,
    /// Number as stored.
    pub number: String,
    /// Outcome; `None` = it was in flight when the server stopped.
    pub outcome: Option<Outcome>,
    /// Started.
    pub started: DateTime<Utc>,
    /// Ended.
    pub ended: Option<DateTime<Utc>>,
    /// Seconds of the notice heard.
    pub seconds_heard: Option<f64>,
    /// Key pressed to confirm.
    pub confirm_key: Option<char>,
}

/// A household of a campaign as saved.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SavedHousehold {
    /// Household id.
    pub household_id: i64,
    /// Not called: asked for no non-urgent notices.
    pub opted_out: bool,
    /// Its numbers now (or the one number the campaign was given for it).
    pub numbers: Vec<TargetNumber>,
    /// Final outcome, once there is one.
    pub outcome: Option<Outcome>,
    /// Its attempts, in order.
    pub attempts: Vec<SavedAttempt>,
}

/// Everything needed to resume a campaign.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SavedCampaign {
    /// The campaign and its options.
    pub campaign: CampaignRecord,
    /// Its households, ascending by id.
    pub households: Vec<SavedHousehold>,
}

impl Store {
    /// Runs `f` with a batch of campaign-log writes inside one transaction (one disk
    /// sync); commits when `f` returns `Ok`.
    pub fn campaign_log_batch<T>(
        &self,
        f: impl FnOnce(&CampaignLogBatch<'_>) -> Result<T>,
    ) -> Result<T> {
        self.write(|tx| f(&CampaignLogBatch { tx }))
    }

    /// The saved state of a campaign, to resume it.
    pub fn campaign_saved(&self, id: i64) -> Result<Option<SavedCampaign>> {
        self.read_snapshot(|c| {
            let Some(campaign) = campaign(c, id)? else {
                return Ok(None);
            };
            let mut st = c.prepare_cached(
                "SELECT household_id, opted_out, outcome, number FROM campaign_households
                 WHERE campaign_id = ?1 ORDER BY household_id",
            )?;
            let heads: Vec<(i64, bool, Option<String>, Option<String>)> = st
                .query_map([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
                .collect::<rusqlite::Result<_>>()?;
            let mut households = Vec::with_capacity(heads.len());
            let mut att = c.prepare_cached(
                "SELECT attempt, number, state, created_ms, ended_ms, heard_seconds, confirm_key
                 FROM campaign_calls
                 WHERE campaign_id = ?1 AND household_id = ?2 ORDER BY attempt",
            )?;
            for (household_id, opted_out, outcome, number) in heads {
                let attempts = att
                    .query_map(params![id, household_id], |r| {
                        Ok(SavedAttempt {
                            attempt: r.get::<_, i64>(0)?.max(0) as u32,
                            number: r.get(1)?,
                            outcome: Outcome::parse(&r.get::<_, String>(2)?),
                            started: from_ms(r.get(3)?),
                            ended: r.get::<_, Option<i64>>(4)?.map(from_ms),
                            seconds_heard: r.get(5)?,
                            confirm_key: r
                                .get::<_, Option<String>>(6)?
                                .and_then(|k| k.chars().next()),
                        })
                    })?
                    .collect::<rusqlite::Result<_>>()?;
                households.push(SavedHousehold {
                    household_id,
                    opted_out,
                    numbers: match number {
                        // A return visit calls the one number the request came from.
                        Some(n) => vec![one_number(n)],
                        None => numbers(c, household_id)?,
                    },
                    outcome: outcome.as_deref().and_then(Outcome::parse),
                    attempts,
                });
            }
            Ok(Some(SavedCampaign {
                campaign,
                households,
            }))
        })
    }
}

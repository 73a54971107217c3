//! Automatic return visits (回访, issue 11): after a request is resolved, the resident is
//! called back once with a recorded question and the key they press becomes the
//! request's feedback.
//!
//! Why a queue in the database: a request is resolved on any path through the store (a
//! console over HTTP, `lianxin request resolve` in another process), and the call must
//! neither be lost nor made twice across a crash. So resolving queues a `return_visits`
//! row in the same transaction ([`after_action`]) and, once committed, wakes the
//! server's dialer ([`Store::watch_return_visits`]), which picks the due rows up
//! ([`Store::due_return_visits`]; [`Store::next_return_visit_due`] says when to look
//! next), calls through a one-household campaign of kind `return_visit`
//! ([`Store::start_return_visit`]: campaign and row change together), and
//! once the campaign is over records the feedback with the same workflow rules as the
//! `feedback` action ([`Store::finish_return_visit`]: feedback and row in one
//! transaction). A campaign resumes after a restart like any other; a finished one whose
//! feedback was not yet written is finished at the next look.
//!
//! Which key means what is [`feedback_for`], a pure function. A request that is not
//! reached stays `resolved` with feedback `not_reached`: on the captain's manual
//! return-visit list (`RequestFilter::return_visit_due`).

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use crate::campaigns::{insert_campaign, NewCampaign};
use crate::db::{audit, ms};
use crate::outcome::{CampaignKind, CampaignStatus, Outcome};
use crate::request_actions::apply_in;
use crate::request_rules::{Action, Actor};
use crate::request_stage::FeedbackResult;
use crate::requests::RequestRecord;
use crate::{Result, Store, StoreError};

/// How the automatic return visit is named as the feedback's "how".
pub const HOW: &str = "自动回访";

/// A queued return visit whose time has come.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DueReturnVisit {
    /// Row id.
    pub id: i64,
    /// The request.
    pub request_id: i64,
    /// Its household (`None`: an unknown caller, who cannot be called by a campaign).
    pub household_id: Option<i64>,
    /// The number to call: the one the request's call came from, else the household's
    /// first phone.
    pub number: Option<String>,
    /// The request still waits for feedback (resolved, none recorded yet).
    pub awaiting_feedback: bool,
}

/// A return visit being called.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CallingReturnVisit {
    /// Row id.
    pub id: i64,
    /// The request.
    pub request_id: i64,
    /// Its campaign.
    pub campaign_id: i64,
    /// Where the campaign is.
    pub status: CampaignStatus,
}

/// How a return visit ended.
#[derive(Debug, Clone, PartialEq)]
pub enum ReturnVisitEnd {
    /// The feedback was recorded; the request as it is now.
    Recorded(Box<RequestRecord>),
    /// Nothing recorded: the request changed meanwhile (feedback by hand, reopened) or
    /// staff cancelled the call.
    Dropped(String),
}

/// The feedback a return visit's call means, with the timeline note: key 1 satisfied,
/// key 2 not satisfied; not answered, no key or another key is `not_reached` (the
/// captain visits by hand).
pub fn feedback_for(
    outcome: Option<Outcome>,
    attempts: u32,
    key: Option<char>,
) -> (FeedbackResult, String) {
    let reached = outcome.is_some_and(|o| o.reached());
    match (reached, key) {
        (true, Some('1')) => (FeedbackResult::Satisfied, format!("{HOW}：居民按1键，满意")),
        (true, Some('2')) => (
            FeedbackResult::NotSatisfied,
            format!("{HOW}：居民按2键，不满意"),
        ),
        (true, Some(k)) => (
            FeedbackResult::NotReached,
            format!("{HOW}：电话接通，居民按了{k}键，不是有效反馈；请人工回访"),
        ),
        (true, None) => (
            FeedbackResult::NotReached,
            format!("{HOW}：电话接通，居民没有按键；请人工回访"),
        ),
        (false, _) => (
            FeedbackResult::NotReached,
            format!(
                "{HOW}：呼叫{attempts}次未接通（{}）；请人工回访",
                outcome.map_or("未拨出", |o| o.as_str())
            ),
        ),
    }
}

/// After an accepted action (`kind` is its timeline kind): resolving queues a return
/// visit, reopening withdraws one not yet begun. Inside the action's transaction;
/// whether a visit was queued (the caller wakes the watchers after the commit).
pub(crate) fn after_action(
    tx: &Connection,
    request: i64,
    kind: &str,
    now: DateTime<Utc>,
) -> Result<bool> {
    match kind {
        "resolved" => {
            tx.prepare_cached(
                "INSERT INTO return_visits (request_id, due_ms, created_ms) VALUES (?1, ?2, ?2)",
            )?
            .execute(params![request, ms(now)])?;
            return Ok(true);
        }
        "reopened" => {
            tx.prepare_cached(
                "UPDATE return_visits SET state = 'cancelled', done_ms = ?2, note = '诉求已重新办理'
                 WHERE request_id = ?1 AND state = 'pending'",
            )?
            .execute(params![request, ms(now)])?;
        }
        _ => {}
    }
    Ok(false)
}

impl Store {
    /// When the next queued return visit was queued (its `due` time before the server's
    /// delay); `None` when none waits. The dialer's task sleeps until then plus the delay.
    pub fn next_return_visit_due(&self) -> Result<Option<DateTime<Utc>>> {
        self.read(|c| {
            let due: Option<i64> = c
                .prepare_cached("SELECT min(due_ms) FROM return_visits WHERE state = 'pending'")?
                .query_row([], |r| r.get(0))?;
            Ok(due.and_then(DateTime::from_timestamp_millis))
        })
    }

    /// Queued return visits resolved at or before `until` (now minus the server's
    /// delay), oldest first, at most 100.
    pub fn due_return_visits(&self, until: DateTime<Utc>) -> Result<Vec<DueReturnVisit>> {
        self.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT v.id, v.request_id, r.household_id,
                        r.stage = 'resolved' AND r.feedback_result IS NULL,
                        nullif(k.caller_normalized, ''),
                        (SELECT p.normalized FROM phones p WHERE p.household_id = r.household_id
                         ORDER BY p.id LIMIT 1)
                 FROM return_visits v JOIN requests r ON r.id = v.request_id
                 LEFT JOIN calls k ON k.id = coalesce(r.call_id,
                     (SELECT id FROM calls WHERE desk_call_id = r.desk_call_id ORDER BY id DESC LIMIT 1))
                 WHERE v.state = 'pending' AND v.due_ms <= ?1
                 ORDER BY v.due_ms, v.id LIMIT 100",
            )?;
            let rows = st.query_map([ms(until)], |r| {
                let caller: Option<String> = r.get(4)?;
                let first: Option<String> = r.get(5)?;
                Ok(DueReturnVisit {
                    id: r.get(0)?,
                    request_id: r.get(1)?,
                    household_id: r.get(2)?,
                    awaiting_feedback: r.get(3)?,
                    number: caller.or(first),
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// Drops queued return visit `id` without calling (`why` is kept on the row): the
    /// request stays on the captain's manual return-visit list.
    pub fn skip_return_visit(&self, id: i64, why: &str, now: DateTime<Utc>) -> Result<()> {
        self.write(|tx| {
            let n = tx.execute(
                "UPDATE return_visits SET state = 'skipped', done_ms = ?2, note = ?3
                 WHERE id = ?1 AND state = 'pending'",
                params![id, ms(now), why],
            )?;
            if n == 0 {
                return Err(StoreError::NotFound(format!("pending return visit {id}")));
            }
            audit(
                tx,
                None,
                "return_visit.skip",
                &format!("return_visit:{id}"),
                why,
            )
        })
    }

    /// Creates the campaign of queued return visit `visit` — one household, `number`,
    /// kind `return_visit`, `campaign`'s name, prompt and options — and marks the visit
    /// as calling, in one transaction; the campaign's id (still a draft: the dialer runs
    /// it).
    pub fn start_return_visit(
        &self,
        visit: &DueReturnVisit,
        number: &str,
        campaign: &NewCampaign,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        let Some(household) = visit.household_id else {
            return Err(StoreError::Invalid(
                "a return visit needs a household".into(),
            ));
        };
        self.write(|tx| {
            let id = insert_campaign(tx, campaign, CampaignKind::ReturnVisit, now)?;
            tx.execute(
                "INSERT INTO campaign_households (campaign_id, household_id, opted_out, number)
                 VALUES (?1, ?2, 0, ?3)",
                params![id, household, number],
            )?;
            let n = tx.execute(
                "UPDATE return_visits SET state = 'calling', campaign_id = ?2
                 WHERE id = ?1 AND state = 'pending'",
                params![visit.id, id],
            )?;
            if n == 0 {
                return Err(StoreError::NotFound(format!(
                    "pending return visit {}",
                    visit.id
                )));
            }
            audit(
                tx,
                None,
                "return_visit.start",
                &format!("request:{}", visit.request_id),
                &format!("campaign:{id}"),
            )?;
            Ok(id)
        })
    }

    /// Return visits being called, with their campaigns' status.
    pub fn calling_return_visits(&self) -> Result<Vec<CallingReturnVisit>> {
        self.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT v.id, v.request_id, v.campaign_id, c.status
                 FROM return_visits v JOIN campaigns c ON c.id = v.campaign_id
                 WHERE v.state = 'calling' ORDER BY v.id",
            )?;
            let rows = st.query_map([], |r| {
                Ok(CallingReturnVisit {
                    id: r.get(0)?,
                    request_id: r.get(1)?,
                    campaign_id: r.get(2)?,
                    status: CampaignStatus::parse(&r.get::<_, String>(3)?)
                        .unwrap_or(CampaignStatus::Draft),
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// Ends return visit `id`, whose campaign is over: the household's result becomes
    /// the request's feedback ([`feedback_for`]) through the workflow rules, by
    /// [`Actor::system`] with how = "自动回访", and the visit is marked done — one
    /// transaction. A request that no longer waits for feedback, or a cancelled campaign,
    /// records nothing.
    pub fn finish_return_visit(&self, id: i64, now: DateTime<Utc>) -> Result<ReturnVisitEnd> {
        self.write(|tx| {
            let row: Option<(i64, Option<i64>, String)> = tx
                .prepare_cached(
                    "SELECT request_id, campaign_id, state FROM return_visits WHERE id = ?1",
                )?
                .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .optional()?;
            let (request, Some(campaign), "calling") = row
                .as_ref()
                .map(|(r, c, s)| (*r, *c, s.as_str()))
                .unwrap_or((0, None, ""))
            else {
                return Err(StoreError::NotFound(format!("calling return visit {id}")));
            };
            let (status, outcome, attempts, key): (String, Option<String>, i64, Option<String>) =
                tx.prepare_cached(
                    "SELECT c.status, k.outcome, coalesce(k.attempts, 0), k.confirmed
                     FROM campaigns c LEFT JOIN campaign_households k ON k.campaign_id = c.id
                     WHERE c.id = ?1",
                )?
                .query_row([campaign], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                })?;
            let done = |state: &str, outcome: &str, note: &str| -> Result<()> {
                tx.execute(
                    "UPDATE return_visits SET state = ?2, outcome = ?3, note = ?4, done_ms = ?5
                     WHERE id = ?1",
                    params![id, state, outcome, note, ms(now)],
                )?;
                Ok(())
            };
            match CampaignStatus::parse(&status) {
                Some(CampaignStatus::Finished) => {}
                Some(CampaignStatus::Cancelled) => {
                    let why = "回访呼叫被取消，请人工回访";
                    done("cancelled", "cancelled", why)?;
                    return Ok(ReturnVisitEnd::Dropped(why.into()));
                }
                _ => {
                    return Err(StoreError::Invalid(format!(
                        "return visit {id}: campaign {campaign} is not over"
                    )))
                }
            }
            let outcome = outcome.as_deref().and_then(Outcome::parse);
            let key = key.and_then(|k| k.chars().next());
            let (result, note) = feedback_for(outcome, attempts.max(0) as u32, key);
            let action = Action::Feedback {
                result,
                how: HOW.into(),
            };
            match apply_in(tx, request, &Actor::system(), &action, &note, now) {
                Ok(change) => {
                    done("done", result.as_str(), &note)?;
                    Ok(ReturnVisitEnd::Recorded(Box::new(change.record)))
                }
                Err(StoreError::Refused(r)) => {
                    let why = format!("诉求已变更，未记录回访结果：{r}");
                    done("done", "superseded", &why)?;
                    Ok(ReturnVisitEnd::Dropped(why))
                }
                Err(e) => Err(e),
            }
        })
    }
}

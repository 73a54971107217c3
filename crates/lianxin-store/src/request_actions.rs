//! Changing a request: [`Store::apply_request_action`] reads the row, asks the pure
//! rules (`request_rules::decide`) and writes the new state, its timeline entry and its
//! audit row — all in one transaction, so a refused or failed action changes nothing.
//! Resolving one also queues its automatic return visit (`return_visits`), and reopening
//! it withdraws a visit not yet begun, in that same transaction; the automatic return
//! visit records its feedback through [`apply_in`], the same path.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};

use crate::db::{audit, ms};
use crate::request_rules::{decide, Action, Actor, DepartmentRef, RequestRefused};
use crate::requests::{active_staff, event, record, RequestRecord};
use crate::{Result, Store, StoreError};

/// What one action did to a request: the request as it is afterwards, and who was
/// responsible just before (an assign's caller tells that person the request left them,
/// from the same transaction instead of a second read).
#[derive(Debug, Clone, PartialEq)]
pub struct RequestChange {
    /// The request after the action.
    pub record: RequestRecord,
    /// The responsible staff member before the action.
    pub previous_responsible: Option<i64>,
    /// The action queued an automatic return visit (it resolved the request).
    pub queued_return_visit: bool,
}

impl Store {
    /// Applies `action` by `actor` at `now` to request `id`, with a note; returns the
    /// request as it is afterwards. An escalation's department is checked to exist and
    /// be active, and its `answer_days` are read from its row (what the caller put
    /// there is ignored); an assignee must be an active account.
    pub fn apply_request_action(
        &self,
        id: i64,
        actor: &Actor,
        action: &Action,
        note: &str,
        now: DateTime<Utc>,
    ) -> Result<RequestRecord> {
        self.apply_request_change(id, actor, action, note, now)
            .map(|c| c.record)
    }

    /// [`apply_request_action`](Self::apply_request_action), also giving who was
    /// responsible before it, read in the same transaction.
    pub fn apply_request_change(
        &self,
        id: i64,
        actor: &Actor,
        action: &Action,
        note: &str,
        now: DateTime<Utc>,
    ) -> Result<RequestChange> {
        let change = self.write(|tx| apply_in(tx, id, actor, action, note, now))?;
        if change.queued_return_visit {
            self.wake_return_visits();
        }
        Ok(change)
    }
}

/// [`Store::apply_request_action`] inside the caller's transaction.
pub(crate) fn apply_in(
    tx: &Connection,
    id: i64,
    actor: &Actor,
    action: &Action,
    note: &str,
    now: DateTime<Utc>,
) -> Result<RequestChange> {
    let Some(before) = record(tx, id, now)? else {
        return Err(StoreError::NotFound(format!("request {id}")));
    };
    let mut action = action.clone();
    match &mut action {
        Action::Assign { staff_id } => active_staff(tx, *staff_id, "staff_id")?,
        Action::Escalate {
            department: Some(d),
        } => {
            let row: Option<(i64, i64)> = tx
                .prepare_cached("SELECT answer_days, active FROM departments WHERE id = ?1")?
                .query_row([d.id], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            match row {
                Some((days, 1)) => {
                    *d = DepartmentRef {
                        id: d.id,
                        answer_days: days,
                    }
                }
                Some(_) => {
                    return Err(RequestRefused::invalid("department_id", "该部门已停用").into())
                }
                None => return Err(RequestRefused::invalid("department_id", "找不到该部门").into()),
            }
        }
        _ => {}
    }
    let d = decide(&before.state(), actor, &action, note, now)?;
    let n = &d.next;
    tx.prepare_cached(
                "UPDATE requests SET stage = ?2, status = ?3, responsible_staff_id = ?4,
                    escalation_level = ?5, department_id = ?6, department_due_ms = ?7,
                    level1_ms = ?8, deadline_ms = ?9, result = ?10, closed_ms = ?11, closed_by = ?12,
                    feedback_result = ?13, feedback_how = ?14, feedback_by = ?15, feedback_ms = ?16,
                    feedback_satisfied = ?17
                 WHERE id = ?1",
            )?
            .execute(params![
                id,
                n.stage.as_str(),
                if n.stage.is_open() { "open" } else { "closed" },
                n.responsible_staff_id,
                n.escalation_level,
                n.department_id,
                n.department_due.map(ms),
                ms(n.level1),
                ms(n.deadline),
                n.result,
                n.closed.map(ms),
                n.closed_by,
                n.feedback.map(|f| f.as_str()),
                n.feedback_how,
                n.feedback_by,
                n.feedback_at.map(ms),
                n.feedback.and_then(|f| match f {
                    crate::FeedbackResult::Satisfied => Some(1),
                    crate::FeedbackResult::NotSatisfied => Some(0),
                    crate::FeedbackResult::NotReached => None,
                }),
            ])?;
    let note = note.trim();
    event(tx, id, actor, now, d.kind, &d.changes, note)?;
    let detail = if note.is_empty() {
        d.changes.to_string()
    } else {
        format!("{} {note}", d.changes)
    };
    audit(
        tx,
        actor.staff_id,
        &format!("request.{}", action.name()),
        &format!("request:{id}"),
        &detail,
    )?;
    let queued_return_visit = crate::return_visits::after_action(tx, id, d.kind, now)?;
    let record =
        record(tx, id, now)?.ok_or_else(|| StoreError::NotFound(format!("request {id}")))?;
    Ok(RequestChange {
        record,
        previous_responsible: before.responsible_staff_id,
        queued_return_visit,
    })
}

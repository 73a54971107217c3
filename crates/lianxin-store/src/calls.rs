//! The call log and voice messages.
//!
//! The hotline writes a call row when an INVITE arrives ([`Store::insert_call`]) and fills
//! it in as the call progresses ([`Store::update_call`]); a caller who leaves a message gets
//! a [`VoiceMessage`] that staff handle like a request.

use crate::db::{audit, from_ms, ms};
use crate::{Result, Store, StoreError};
use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, Row};
use serde::Serialize;

/// Call direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// A resident called the hotline.
    In,
    /// We called out (operator call-back, notice).
    Out,
}

impl Direction {
    fn as_str(self) -> &'static str {
        match self {
            Direction::In => "in",
            Direction::Out => "out",
        }
    }
    fn parse(s: &str) -> Direction {
        if s == "out" {
            Direction::Out
        } else {
            Direction::In
        }
    }
}

/// How a call ended: in the call log, and in the consoles' `call.ended` (as its
/// snake_case name, the same text as [`CallOutcome::as_str`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CallOutcome {
    /// An operator (or the callee) answered.
    Answered,
    /// The caller hung up before anyone answered (in the menu or the queue).
    Abandoned,
    /// The caller left a voice message.
    VoiceMessage,
    /// We rejected the call (busy, closed, overload, not a hotline number).
    Rejected,
    /// A technical failure on our side.
    Failed,
}

impl CallOutcome {
    /// The database text.
    pub fn as_str(self) -> &'static str {
        match self {
            CallOutcome::Answered => "answered",
            CallOutcome::Abandoned => "abandoned",
            CallOutcome::VoiceMessage => "voice_message",
            CallOutcome::Rejected => "rejected",
            CallOutcome::Failed => "failed",
        }
    }
    /// Parses the database text.
    pub fn parse(s: &str) -> Option<CallOutcome> {
        Some(match s {
            "answered" => CallOutcome::Answered,
            "abandoned" => CallOutcome::Abandoned,
            "voice_message" => CallOutcome::VoiceMessage,
            "rejected" => CallOutcome::Rejected,
            "failed" => CallOutcome::Failed,
            _ => return None,
        })
    }
}

/// A call as it starts.
#[derive(Debug, Clone)]
pub struct NewCall {
    /// SIP Call-ID.
    pub sip_call_id: String,
    /// In or out.
    pub direction: Direction,
    /// Caller ID as received (From / P-Asserted-Identity).
    pub caller_raw: String,
    /// Normalized caller number, if any.
    pub caller_normalized: Option<String>,
    /// Household found by the screen pop (the first match), if any.
    pub household_id: Option<i64>,
    /// When the INVITE arrived.
    pub arrived: DateTime<Utc>,
    /// The consoles' id of the call (`call.ringing`'s `call_id`), for hotline calls.
    pub desk_call_id: Option<String>,
}

/// Changes to a call row; `None` fields are left as they are.
#[derive(Debug, Clone, Default)]
pub struct CallUpdate {
    /// Household (e.g. attached by the operator during the call).
    pub household_id: Option<i64>,
    /// When it was answered.
    pub answered: Option<DateTime<Utc>>,
    /// When it ended.
    pub ended: Option<DateTime<Utc>>,
    /// The operator who took it.
    pub operator_staff_id: Option<i64>,
    /// Outcome.
    pub outcome: Option<CallOutcome>,
    /// RTP packets we sent.
    pub rtp_sent: Option<u64>,
    /// RTP packets we received.
    pub rtp_received: Option<u64>,
    /// RTP packets lost (by sequence gaps).
    pub rtp_lost: Option<u64>,
    /// Interarrival jitter in milliseconds.
    pub jitter_ms: Option<f64>,
    /// Path of the recording.
    pub recording_path: Option<String>,
}

/// A call row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CallRecord {
    /// Row id.
    pub id: i64,
    /// SIP Call-ID.
    pub sip_call_id: String,
    /// In or out.
    pub direction: Direction,
    /// Caller ID as received.
    pub caller_raw: String,
    /// Normalized number.
    pub caller_normalized: Option<String>,
    /// Household.
    pub household_id: Option<i64>,
    /// Arrival time.
    pub arrived: DateTime<Utc>,
    /// Answer time.
    pub answered: Option<DateTime<Utc>>,
    /// End time.
    pub ended: Option<DateTime<Utc>>,
    /// Operator.
    pub operator_staff_id: Option<i64>,
    /// Outcome.
    pub outcome: Option<CallOutcome>,
    /// RTP packets sent.
    pub rtp_sent: u64,
    /// RTP packets received.
    pub rtp_received: u64,
    /// RTP packets lost.
    pub rtp_lost: u64,
    /// Jitter, ms.
    pub jitter_ms: Option<f64>,
    /// Recording file.
    pub recording_path: Option<String>,
}

/// A voice message to store.
#[derive(Debug, Clone)]
pub struct NewVoiceMessage {
    /// The call it was left on.
    pub call_id: Option<i64>,
    /// The caller's household, if known.
    pub household_id: Option<i64>,
    /// Caller ID as received.
    pub caller_raw: String,
    /// Normalized number.
    pub caller_normalized: Option<String>,
    /// When recording started.
    pub created: DateTime<Utc>,
    /// Length in milliseconds.
    pub duration_ms: u64,
    /// WAV file path.
    pub path: String,
}

/// A stored voice message.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VoiceMessage {
    /// Row id.
    pub id: i64,
    /// The call it was left on.
    pub call_id: Option<i64>,
    /// Household.
    pub household_id: Option<i64>,
    /// Caller ID as received.
    pub caller_raw: String,
    /// Normalized number.
    pub caller_normalized: Option<String>,
    /// When.
    pub created: DateTime<Utc>,
    /// Length in milliseconds.
    pub duration_ms: u64,
    /// WAV file path.
    pub path: String,
    /// Still waiting for staff.
    pub open: bool,
    /// Who handled it.
    pub handled_by: Option<i64>,
    /// When.
    pub handled: Option<DateTime<Utc>>,
    /// The request it became.
    pub request_id: Option<i64>,
    /// The consoles' id of the call it was left on (what `voicemail.new` carries).
    pub desk_call_id: Option<String>,
}

fn opt_ms(t: Option<DateTime<Utc>>) -> Option<i64> {
    t.map(ms)
}

fn u(v: Option<u64>) -> Option<i64> {
    v.map(|x| x.min(i64::MAX as u64) as i64)
}

fn call_row(r: &Row<'_>) -> rusqlite::Result<CallRecord> {
    Ok(CallRecord {
        id: r.get(0)?,
        sip_call_id: r.get(1)?,
        direction: Direction::parse(&r.get::<_, String>(2)?),
        caller_raw: r.get(3)?,
        caller_normalized: r.get(4)?,
        household_id: r.get(5)?,
        arrived: from_ms(r.get(6)?),
        answered: r.get::<_, Option<i64>>(7)?.map(from_ms),
        ended: r.get::<_, Option<i64>>(8)?.map(from_ms),
        operator_staff_id: r.get(9)?,
        outcome: r
            .get::<_, Option<String>>(10)?
            .as_deref()
            .and_then(CallOutcome::parse),
        rtp_sent: r.get::<_, i64>(11)? as u64,
        rtp_received: r.get::<_, i64>(12)? as u64,
        rtp_lost: r.get::<_, i64>(13)? as u64,
        jitter_ms: r.get(14)?,
        recording_path: r.get(15)?,
    })
}

const VM_COLS: &str = "id, call_id, household_id, caller_raw, caller_normalized, created_ms,
    duration_ms, path, status, handled_by, handled_ms, request_id,
    (SELECT k.desk_call_id FROM calls k WHERE k.id = voice_messages.call_id)";

fn vm_row(r: &Row<'_>) -> rusqlite::Result<VoiceMessage> {
    Ok(VoiceMessage {
        id: r.get(0)?,
        call_id: r.get(1)?,
        household_id: r.get(2)?,
        caller_raw: r.get(3)?,
        caller_normalized: r.get(4)?,
        created: from_ms(r.get(5)?),
        duration_ms: r.get::<_, i64>(6)?.max(0) as u64,
        path: r.get(7)?,
        open: r.get::<_, String>(8)? == "open",
        handled_by: r.get(9)?,
        handled: r.get::<_, Option<i64>>(10)?.map(from_ms),
        request_id: r.get(11)?,
        desk_call_id: r.get(12)?,
    })
}

/// Several call-log writes in one transaction: one disk sync for all of them, so a busy
/// hotline's log keeps up with its calls. Get one from [`Store::call_log_batch`].
pub struct CallLogBatch<'a> {
    tx: &'a rusqlite::Transaction<'a>,
}

impl CallLogBatch<'_> {
    /// Logs a new call; returns its row id.
    pub fn insert_call(&self, call: &NewCall) -> Result<i64> {
        self.tx
            .prepare_cached(
                "INSERT INTO calls (sip_call_id, direction, caller_raw, caller_normalized,
                                    household_id, arrived_ms, desk_call_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                call.sip_call_id,
                call.direction.as_str(),
                call.caller_raw,
                call.caller_normalized,
                call.household_id,
                ms(call.arrived),
                call.desk_call_id
            ])?;
        Ok(self.tx.last_insert_rowid())
    }

    /// Fills in a call row; fields left `None` keep their value.
    pub fn update_call(&self, id: i64, up: &CallUpdate) -> Result<()> {
        let n = self
            .tx
            .prepare_cached(
                "UPDATE calls SET
                    household_id = COALESCE(?2, household_id),
                    answered_ms = COALESCE(?3, answered_ms),
                    ended_ms = COALESCE(?4, ended_ms),
                    operator_staff_id = COALESCE(?5, operator_staff_id),
                    outcome = COALESCE(?6, outcome),
                    rtp_sent = COALESCE(?7, rtp_sent),
                    rtp_received = COALESCE(?8, rtp_received),
                    rtp_lost = COALESCE(?9, rtp_lost),
                    jitter_ms = COALESCE(?10, jitter_ms),
                    recording_path = COALESCE(?11, recording_path)
                 WHERE id = ?1",
            )?
            .execute(params![
                id,
                up.household_id,
                opt_ms(up.answered),
                opt_ms(up.ended),
                up.operator_staff_id,
                up.outcome.map(|o| o.as_str()),
                u(up.rtp_sent),
                u(up.rtp_received),
                u(up.rtp_lost),
                up.jitter_ms,
                up.recording_path,
            ])?;
        if n == 0 {
            return Err(StoreError::NotFound(format!("call {id}")));
        }
        Ok(())
    }

    /// Stores a voice message; returns its row id.
    pub fn insert_voice_message(&self, vm: &NewVoiceMessage) -> Result<i64> {
        self.tx
            .prepare_cached(
                "INSERT INTO voice_messages (call_id, household_id, caller_raw, caller_normalized,
                                             created_ms, duration_ms, path)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                vm.call_id,
                vm.household_id,
                vm.caller_raw,
                vm.caller_normalized,
                ms(vm.created),
                u(Some(vm.duration_ms)),
                vm.path
            ])?;
        Ok(self.tx.last_insert_rowid())
    }
}

impl Store {
    /// Runs `f` with a batch of call-log writes in one transaction (all or nothing).
    pub fn call_log_batch<T>(&self, f: impl FnOnce(&CallLogBatch<'_>) -> Result<T>) -> Result<T> {
        self.write(|tx| f(&CallLogBatch { tx }))
    }

    /// Logs a new call; returns its row id.
    pub fn insert_call(&self, call: &NewCall) -> Result<i64> {
        self.call_log_batch(|b| b.insert_call(call))
    }

    /// Fills in a call row; fields left `None` keep their value.
    pub fn update_call(&self, id: i64, up: &CallUpdate) -> Result<()> {
        self.call_log_batch(|b| b.update_call(id, up))
    }

    /// One call row.
    pub fn call(&self, id: i64) -> Result<Option<CallRecord>> {
        self.read(|c| {
            Ok(c.prepare_cached(
                "SELECT id, sip_call_id, direction, caller_raw, caller_normalized, household_id,
                        arrived_ms, answered_ms, ended_ms, operator_staff_id, outcome,
                        rtp_sent, rtp_received, rtp_lost, jitter_ms, recording_path
                 FROM calls WHERE id = ?1",
            )?
            .query_row([id], call_row)
            .optional()?)
        })
    }

    /// Stores a voice message; returns its row id.
    pub fn insert_voice_message(&self, vm: &NewVoiceMessage) -> Result<i64> {
        self.call_log_batch(|b| b.insert_voice_message(vm))
    }

    /// Voice messages, newest first; `open_only` leaves out handled ones.
    pub fn list_voice_messages(&self, open_only: bool) -> Result<Vec<VoiceMessage>> {
        self.read(|c| {
            let sql = if open_only {
                format!("SELECT {VM_COLS} FROM voice_messages WHERE status = 'open' ORDER BY created_ms DESC, id DESC")
            } else {
                format!("SELECT {VM_COLS} FROM voice_messages ORDER BY created_ms DESC, id DESC")
            };
            let mut st = c.prepare_cached(&sql)?;
            let rows = st.query_map([], vm_row)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// One voice message.
    pub fn voice_message(&self, id: i64) -> Result<Option<VoiceMessage>> {
        self.read(|c| {
            Ok(c.prepare_cached(&format!(
                "SELECT {VM_COLS} FROM voice_messages WHERE id = ?1"
            ))?
            .query_row([id], vm_row)
            .optional()?)
        })
    }

    /// Marks a voice message handled by `staff_id` (optionally linked to the request it
    /// became); audited.
    pub fn mark_voice_message_handled(
        &self,
        id: i64,
        staff_id: i64,
        request_id: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.write(|tx| {
            let n = tx
                .prepare_cached(
                    "UPDATE voice_messages SET status = 'handled', handled_by = ?2, handled_ms = ?3,
                            request_id = COALESCE(?4, request_id)
                     WHERE id = ?1",
                )?
                .execute(params![id, staff_id, ms(now), request_id])?;
            if n == 0 {
                return Err(StoreError::NotFound(format!("voice message {id}")));
            }
            audit(
                tx,
                Some(staff_id),
                "handle",
                &format!("voice_message:{id}"),
                "",
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn call_log_and_voice_messages() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path().join("t.db")).unwrap();
        let t0 = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let id = s
            .insert_call(&NewCall {
                sip_call_id: "abc@host".into(),
                direction: Direction::In,
                caller_raw: "sip:65123456@trunk".into(),
                caller_normalized: Some("01065123456".into()),
                household_id: None,
                arrived: t0,
                desk_call_id: Some("20260101080000-1".into()),
            })
            .unwrap();
        s.update_call(
            id,
            &CallUpdate {
                answered: Some(t0 + chrono::Duration::seconds(3)),
                outcome: Some(CallOutcome::Answered),
                rtp_sent: Some(100),
                ..Default::default()
            },
        )
        .unwrap();
        s.update_call(
            id,
            &CallUpdate {
                ended: Some(t0 + chrono::Duration::seconds(60)),
                rtp_received: Some(98),
                rtp_lost: Some(2),
                jitter_ms: Some(1.5),
                ..Default::default()
            },
        )
        .unwrap();
        let c = s.call(id).unwrap().unwrap();
        assert_eq!(c.outcome, Some(CallOutcome::Answered));
        assert_eq!(c.rtp_sent, 100);
        assert_eq!(c.rtp_lost, 2);
        assert_eq!(c.answered, Some(t0 + chrono::Duration::seconds(3)));
        assert_eq!(c.ended, Some(t0 + chrono::Duration::seconds(60)));
        assert!(matches!(
            s.update_call(999, &CallUpdate::default()),
            Err(StoreError::NotFound(_))
        ));

        let vm = s
            .insert_voice_message(&NewVoiceMessage {
                call_id: Some(id),
                household_id: None,
                caller_raw: "65123456".into(),
                caller_normalized: Some("01065123456".into()),
                created: t0,
                duration_ms: 12_000,
                path: "vm/1.wav".into(),
            })
            .unwrap();
        assert_eq!(s.list_voice_messages(true).unwrap().len(), 1);
        let staff = s
            .create_staff(
                &crate::NewStaff {
                    username: "u",
                    display_name: "u",
                    role: crate::Role::Operator,
                    extension: None,
                    phone: None,
                    password: None,
                },
                None,
            )
            .unwrap();
        s.mark_voice_message_handled(vm, staff, None, t0).unwrap();
        assert!(s.list_voice_messages(true).unwrap().is_empty());
        let v = s.voice_message(vm).unwrap().unwrap();
        assert_eq!(v.desk_call_id.as_deref(), Some("20260101080000-1"));
        assert!(!v.open);
        assert_eq!(v.handled_by, Some(staff));
        assert_eq!(s.list_voice_messages(false).unwrap().len(), 1);
    }
}

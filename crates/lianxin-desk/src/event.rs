//! The typed interface between the hotline and the desk.
//!
//! The hotline publishes [`DeskEvent`]s (calls, voice messages, operator states) through
//! `DeskHandle::publish`; consoles' requests come back as [`DeskCommand`]s on a bounded
//! channel. Neither side sees JSON: the desk alone turns these into protocol frames
//! (`docs/desk-protocol.md`).

use chrono::{DateTime, Utc};
use lianxin_store::CallOutcome;
use serde::{Deserialize, Serialize};

use crate::directory::{Staff, VoiceMessage};
use crate::error::DeskError;

/// An operator's availability, as chosen on the console (or set by the hotline).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OperatorState {
    /// 空闲: ready for the next call.
    Available,
    /// 忙碌: at the desk but not taking calls (or on a call).
    Busy,
    /// 话后处理: finishing the last call's paperwork.
    AfterCall,
    /// 离开: away; receives no screen-pops.
    Away,
}

impl OperatorState {
    /// The protocol name (`available`, `busy`, `after_call`, `away`).
    pub fn as_str(self) -> &'static str {
        match self {
            OperatorState::Available => "available",
            OperatorState::Busy => "busy",
            OperatorState::AfterCall => "after_call",
            OperatorState::Away => "away",
        }
    }

    /// Parses a protocol name.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "available" => OperatorState::Available,
            "busy" => OperatorState::Busy,
            "after_call" => OperatorState::AfterCall,
            "away" => OperatorState::Away,
            _ => return None,
        })
    }
}

/// Who a call was offered to or answered by.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OperatorRef {
    /// Staff id.
    pub staff_id: i64,
    /// Name shown on consoles.
    pub display_name: String,
    /// The phone extension the call went to, if any.
    pub extension: Option<String>,
}

impl From<&Staff> for OperatorRef {
    fn from(s: &Staff) -> Self {
        OperatorRef {
            staff_id: s.id,
            display_name: s.display_name.clone(),
            extension: s.extension.clone(),
        }
    }
}

/// The screen-pop card's content: the store's screen-pop record, held as opaque data.
///
/// Built from any `Serialize` type (normally `lianxin_store::ScreenPop`), so the hotline
/// passes the store's record through without knowing its wire form.
#[derive(Debug, Clone, PartialEq)]
pub struct Pop(pub(crate) serde_json::Value);

impl Pop {
    /// Captures a serializable screen-pop record.
    pub fn new<T: Serialize + ?Sized>(record: &T) -> Result<Pop, DeskError> {
        serde_json::to_value(record)
            .map(Pop)
            .map_err(|e| DeskError::Encode(e.to_string()))
    }

    /// Like [`Pop::new`], but a record that does not serialize becomes an "unknown
    /// caller" pop (logged), so a pop is always sent.
    pub fn lossy<T: Serialize + ?Sized>(record: &T) -> Pop {
        Pop::new(record).unwrap_or_else(|e| {
            tracing::error!(error = %e, "screen-pop record did not serialize; popping as unknown");
            Pop::unknown()
        })
    }

    /// A pop that says only "unknown caller" (no lookup result available).
    pub fn unknown() -> Pop {
        Pop(serde_json::Value::Null)
    }
}

/// Something consoles must hear about. Published with `DeskHandle::publish`.
#[derive(Debug, Clone, PartialEq)]
pub enum DeskEvent {
    /// A call arrived: pop the caller's record. Consoles get `call.ringing`.
    CallRinging {
        /// Hotline-wide call id (later events refer to it).
        call_id: String,
        /// The number the caller dialled (hotline number).
        number_dialled: String,
        /// Caller ID as received (empty when withheld).
        caller_raw: String,
        /// The lookup result.
        pop: Pop,
        /// When the INVITE arrived.
        arrived_at: DateTime<Utc>,
    },
    /// The call waits in the queue at `position` (1 = next).
    CallQueued {
        /// Call id.
        call_id: String,
        /// Position in the queue, 1-based.
        position: u32,
    },
    /// The call is ringing an operator's phone.
    CallOffered {
        /// Call id.
        call_id: String,
        /// The operator whose phone rings.
        operator: OperatorRef,
    },
    /// An operator picked up.
    CallAnswered {
        /// Call id.
        call_id: String,
        /// Who answered.
        operator: OperatorRef,
    },
    /// The call is over; consoles drop it from their live list.
    CallEnded {
        /// Call id.
        call_id: String,
        /// How it ended.
        outcome: CallOutcome,
        /// Seconds from arrival to end.
        duration_s: u32,
    },
    /// A new voice message was recorded.
    VoicemailNew(VoiceMessage),
    /// A group-call campaign changed (from the dialer).
    Campaign(crate::campaigns::CampaignUpdate),
    /// The hotline changed an operator's state (e.g. after-call work when a call ends).
    OperatorState {
        /// Whose state.
        staff_id: i64,
        /// The new state.
        state: OperatorState,
    },
}

impl DeskEvent {
    /// A `CallRinging` event with the screen-pop built from a serializable record.
    pub fn ringing<T: Serialize + ?Sized>(
        call_id: impl Into<String>,
        number_dialled: impl Into<String>,
        caller_raw: impl Into<String>,
        arrived_at: DateTime<Utc>,
        pop: &T,
    ) -> Result<DeskEvent, DeskError> {
        Ok(DeskEvent::CallRinging {
            call_id: call_id.into(),
            number_dialled: number_dialled.into(),
            caller_raw: caller_raw.into(),
            pop: Pop::new(pop)?,
            arrived_at,
        })
    }

    /// The call id this event is about, if it is a call event.
    pub fn call_id(&self) -> Option<&str> {
        match self {
            DeskEvent::CallRinging { call_id, .. }
            | DeskEvent::CallQueued { call_id, .. }
            | DeskEvent::CallOffered { call_id, .. }
            | DeskEvent::CallAnswered { call_id, .. }
            | DeskEvent::CallEnded { call_id, .. } => Some(call_id),
            DeskEvent::VoicemailNew(_)
            | DeskEvent::Campaign(_)
            | DeskEvent::OperatorState { .. } => None,
        }
    }
}

/// Why a console's socket went away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisconnectReason {
    /// The console closed the socket (or the TCP connection broke).
    Closed,
    /// Its queue was full: it did not read fast enough and was dropped.
    SlowConsumer,
    /// It answered no ping in time.
    PingTimeout,
    /// A socket write failed or took too long.
    WriteFailed,
    /// Its session was logged out.
    LoggedOut,
    /// The desk is shutting down.
    Shutdown,
}

/// What consoles ask of the hotline. Received from `Desk::start`'s channel.
#[derive(Debug, Clone, PartialEq)]
pub enum DeskCommand {
    /// A staff member chose a state on the console (`state.set`).
    SetState {
        /// Who.
        staff: Staff,
        /// The state they chose.
        state: OperatorState,
        /// Their state before.
        previous: OperatorState,
    },
    /// A console connected. `consoles` counts this staff member's open consoles.
    ConsoleConnected {
        /// Who.
        staff: Staff,
        /// Their current state.
        state: OperatorState,
        /// Their open consoles, this one included.
        consoles: usize,
    },
    /// A console went away. With `consoles == 0` the staff member is off duty.
    ConsoleDisconnected {
        /// Who.
        staff: Staff,
        /// Why.
        reason: DisconnectReason,
        /// Their consoles still open.
        consoles: usize,
    },
    /// An admin changed the opening hours (already stored): the next call follows them
    /// (`PUT /api/opening-hours`).
    OpeningHours(lianxin_store::OpeningHours),
}

/// One staff member on duty: connected, not away, in a role that takes calls.
#[derive(Debug, Clone, PartialEq)]
pub struct OnDuty {
    /// Who.
    pub staff: Staff,
    /// Their current state (never `Away`).
    pub state: OperatorState,
    /// Their open consoles.
    pub consoles: usize,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn pop_from_unserializable_record_falls_back_to_unknown() {
        // serde_json refuses maps with non-string keys
        let bad: HashMap<(u8, u8), u8> = [((1, 2), 3)].into_iter().collect();
        assert!(Pop::new(&bad).is_err());
        assert_eq!(Pop::lossy(&bad), Pop::unknown());
        let good = Pop::new(&[1, 2]).unwrap();
        assert_eq!(good.0, serde_json::json!([1, 2]));
    }

    #[test]
    fn states_round_trip_their_protocol_names() {
        for s in [
            OperatorState::Available,
            OperatorState::Busy,
            OperatorState::AfterCall,
            OperatorState::Away,
        ] {
            assert_eq!(OperatorState::parse(s.as_str()), Some(s));
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
        assert_eq!(OperatorState::parse("Busy"), None);
    }
}

//! The console WebSocket protocol, version 1: JSON text frames.
//!
//! This module is the only place that knows the wire form; `docs/desk-protocol.md`
//! documents it with an example of every message. Every frame is an object with
//! `"v": 1` and a `"type"`. Server frames are built from [`Outgoing`]; console frames
//! are parsed by [`parse_command`], which names the offending field on error so the
//! console can show it.

use chrono::{DateTime, Utc};
use lianxin_store::{Alarm, CallOutcome, RequestRecord};
use serde::Serialize;
use serde_json::Value;

use crate::campaigns::{CampaignHouseholdRow, CampaignLive};
use crate::directory::{Staff, VoiceMessage};
use crate::event::{OperatorRef, OperatorState};

/// The protocol version spoken by this server.
pub const PROTOCOL_VERSION: u32 = 1;

/// Where a live call stands, as kept in the hub's snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum CallStatus {
    Ringing,
    Queued,
    Offered,
    Answered,
}

/// A live call as kept in the hub's snapshot. It goes on the wire only through
/// [`CallCard::view`], which decides whether the household record (`pop`) goes with it.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct CallCard {
    pub(crate) call_id: String,
    pub(crate) number_dialled: String,
    pub(crate) caller_raw: String,
    pub(crate) arrived_at: DateTime<Utc>,
    /// The screen-pop; serialized only by [`CallView`], for consoles that take the call.
    #[serde(skip)]
    pub(crate) pop: Value,
    pub(crate) status: CallStatus,
    pub(crate) queue_position: Option<u32>,
    pub(crate) operator: Option<OperatorRef>,
    pub(crate) answered_at: Option<DateTime<Utc>>,
}

impl CallCard {
    /// The card as a console sees it in `hello.calls` and `calls.snapshot`: with the
    /// household record when it takes calls now (`household`), without it when it only
    /// watches them (an admin, a supervisor who is away).
    pub(crate) fn view(&self, household: bool) -> CallView<'_> {
        CallView {
            card: self,
            pop: household.then_some(&self.pop),
        }
    }
}

/// A live call on the wire: the card's fields, and `pop` only for a console on duty.
#[derive(Debug, Serialize)]
pub(crate) struct CallView<'a> {
    #[serde(flatten)]
    card: &'a CallCard,
    #[serde(skip_serializing_if = "Option::is_none")]
    pop: Option<&'a Value>,
}

/// One staff member's state in `hello.operators` (what `operator.state` says of them).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct OperatorRow {
    pub(crate) staff_id: i64,
    pub(crate) display_name: String,
    pub(crate) state: OperatorState,
    pub(crate) on_duty: bool,
}

/// A server → console message (the `type` tag is the protocol name).
#[derive(Debug, Serialize)]
#[serde(tag = "type")]
pub(crate) enum Outgoing<'a> {
    #[serde(rename = "hello")]
    Hello {
        protocol: u32,
        staff: &'a Staff,
        state: OperatorState,
        on_duty: bool,
        calls: Vec<CallView<'a>>,
        /// Running and paused campaigns, for the roles that see campaigns.
        #[serde(skip_serializing_if = "Option::is_none")]
        campaigns: Option<Vec<CampaignLive>>,
        /// Who takes calls and has a console open, for supervisors and admins.
        #[serde(skip_serializing_if = "Option::is_none")]
        operators: Option<Vec<OperatorRow>>,
        server_time: DateTime<Utc>,
    },
    #[serde(rename = "calls.snapshot")]
    Snapshot { calls: Vec<CallView<'a>> },
    #[serde(rename = "call.ringing")]
    Ringing {
        call_id: &'a str,
        number_dialled: &'a str,
        caller_raw: &'a str,
        arrived_at: DateTime<Utc>,
        /// The household record; absent from the copy sent to consoles that only watch
        /// calls (admins, supervisors who are away).
        #[serde(skip_serializing_if = "Option::is_none")]
        pop: Option<&'a Value>,
    },
    #[serde(rename = "call.queued")]
    Queued {
        call_id: &'a str,
        position: u32,
        at: DateTime<Utc>,
    },
    #[serde(rename = "call.offered")]
    Offered {
        call_id: &'a str,
        operator: &'a OperatorRef,
        at: DateTime<Utc>,
    },
    #[serde(rename = "call.answered")]
    Answered {
        call_id: &'a str,
        operator: &'a OperatorRef,
        at: DateTime<Utc>,
    },
    #[serde(rename = "call.ended")]
    Ended {
        call_id: &'a str,
        outcome: CallOutcome,
        duration_s: u32,
        at: DateTime<Utc>,
    },
    #[serde(rename = "voicemail.new")]
    Voicemail { voice_message: &'a VoiceMessage },
    #[serde(rename = "operator.state")]
    OperatorState {
        staff_id: i64,
        display_name: &'a str,
        state: OperatorState,
        on_duty: bool,
        at: DateTime<Utc>,
    },
    #[serde(rename = "campaign.started")]
    CampaignStarted { campaign: &'a CampaignLive },
    #[serde(rename = "campaign.progress")]
    CampaignProgress { campaign: &'a CampaignLive },
    #[serde(rename = "campaign.household")]
    CampaignHousehold {
        id: i64,
        rows: &'a [CampaignHouseholdRow],
    },
    #[serde(rename = "campaign.finished")]
    CampaignFinished { campaign: &'a CampaignLive },
    #[serde(rename = "request.created")]
    RequestCreated { request: &'a RequestRecord },
    #[serde(rename = "request.updated")]
    RequestUpdated {
        request: &'a RequestRecord,
        change: &'a str,
        by: Option<i64>,
    },
    #[serde(rename = "request.alarm")]
    RequestAlarm {
        id: i64,
        alarm: Alarm,
        previous: Alarm,
        request: &'a RequestRecord,
    },
    #[serde(rename = "pong")]
    Pong { id: Option<&'a str> },
    #[serde(rename = "error")]
    Error {
        field: &'a str,
        message: &'a str,
        id: Option<&'a str>,
    },
}

#[derive(Serialize)]
struct Envelope<'a> {
    v: u32,
    #[serde(flatten)]
    body: &'a Outgoing<'a>,
}

impl Outgoing<'_> {
    /// The frame text. Serializing these types cannot fail (string keys only); should it
    /// ever, an `error` frame is sent instead so the console still hears something.
    pub(crate) fn encode(&self) -> String {
        serde_json::to_string(&Envelope {
            v: PROTOCOL_VERSION,
            body: self,
        })
        .unwrap_or_else(|e| {
            tracing::error!(error = %e, "desk frame did not serialize");
            r#"{"v":1,"type":"error","field":"server","message":"服务器内部错误","id":null}"#
                .to_owned()
        })
    }
}

/// A console → server command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Incoming {
    /// `state.set`: the operator chose a state.
    SetState {
        state: OperatorState,
        id: Option<String>,
    },
    /// `ping`: the console checks the link; answered by `pong`.
    Ping { id: Option<String> },
}

/// A command the server could not accept: which field, and what to tell the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CommandError {
    pub(crate) field: &'static str,
    pub(crate) message: &'static str,
    pub(crate) id: Option<String>,
}

/// Parses one console text frame.
pub(crate) fn parse_command(text: &str) -> Result<Incoming, CommandError> {
    let err = |field, message, id: Option<String>| CommandError { field, message, id };
    let value: Value =
        serde_json::from_str(text).map_err(|_| err("json", "消息不是有效的 JSON", None))?;
    let Value::Object(obj) = value else {
        return Err(err("json", "消息必须是 JSON 对象", None));
    };
    let id = match obj.get("id") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.len() <= 64 => Some(s.clone()),
        Some(_) => return Err(err("id", "id 必须是不超过64个字符的字符串", None)),
    };
    match obj.get("v") {
        None => {}
        Some(v) if v.as_u64() == Some(u64::from(PROTOCOL_VERSION)) => {}
        Some(_) => return Err(err("v", "协议版本不受支持，请刷新页面", id)),
    }
    let kind = match obj.get("type") {
        Some(Value::String(s)) => s.as_str(),
        Some(_) => return Err(err("type", "type 必须是字符串", id)),
        None => return Err(err("type", "缺少消息类型 type", id)),
    };
    match kind {
        "ping" => Ok(Incoming::Ping { id }),
        "state.set" => {
            let state = match obj.get("state") {
                Some(Value::String(s)) => OperatorState::parse(s).ok_or(()),
                _ => Err(()),
            }
            .map_err(|()| {
                err(
                    "state",
                    "状态必须是 available、busy、after_call 或 away 之一",
                    id.clone(),
                )
            })?;
            Ok(Incoming::SetState { state, id })
        }
        _ => Err(err("type", "不认识的消息类型", id)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, expected: Result<Incoming, (&str, Option<&str>)>) {
        let got = parse_command(text).map_err(|e| e.field);
        let want = expected.map_err(|(f, _)| f);
        assert_eq!(got, want, "input: {text}");
        if let Err(e) = parse_command(text) {
            assert!(!e.message.is_empty());
        }
    }

    #[test]
    fn commands() {
        check(
            r#"{"v":1,"type":"state.set","state":"after_call"}"#,
            Ok(Incoming::SetState {
                state: OperatorState::AfterCall,
                id: None,
            }),
        );
        check(
            r#"{"type":"ping","id":"7"}"#,
            Ok(Incoming::Ping {
                id: Some("7".into()),
            }),
        );
        check("not json", Err(("json", None)));
        check("[1,2]", Err(("json", None)));
        check(r#"{"v":2,"type":"ping"}"#, Err(("v", None)));
        check(r#"{"v":1}"#, Err(("type", None)));
        check(r#"{"type":5}"#, Err(("type", None)));
        check(r#"{"type":"dance"}"#, Err(("type", None)));
        check(r#"{"type":"state.set"}"#, Err(("state", None)));
        check(
            r#"{"type":"state.set","state":"sleeping"}"#,
            Err(("state", None)),
        );
        check(r#"{"type":"state.set","state":3}"#, Err(("state", None)));
        check(r#"{"type":"ping","id":{}}"#, Err(("id", None)));
    }

    #[test]
    fn error_keeps_id() {
        let e = parse_command(r#"{"type":"state.set","state":"x","id":"a1"}"#).unwrap_err();
        assert_eq!(e.id.as_deref(), Some("a1"));
    }

    #[test]
    fn frames_carry_version_and_type() {
        let text = Outgoing::Pong { id: Some("9") }.encode();
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["v"], 1);
        assert_eq!(v["type"], "pong");
        assert_eq!(v["id"], "9");
    }
}

//! The campaign API's answers as the command line reads them (contract:
//! `/api/campaigns…` and `/api/notices` in docs/desk-protocol.md).
//!
//! Lenient on purpose: every field has a default, unknown fields are ignored, so a server
//! that adds a field (or leaves one out) still gives a readable table. `--json` output
//! never goes through these types: it is the server's JSON as it came.

use serde::Deserialize;
use serde_json::Value;

/// `POST /api/campaigns/preview`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Preview {
    /// Households in the campaign.
    pub households: u64,
    /// Phone numbers they have.
    pub numbers: u64,
    /// Calls of the first round.
    pub calls: u64,
    /// Most simultaneous calls.
    pub max_calls: u64,
    /// Households without a phone number (not called).
    pub without_number: u64,
    /// Households that asked for no non-urgent notices.
    pub opted_out: Vec<OptedOut>,
    /// The effective options.
    pub settings: Value,
}

/// A household that asked for no non-urgent notices.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct OptedOut {
    /// Household id.
    pub household_id: i64,
    /// Household code.
    pub code: String,
    /// Address.
    pub address: String,
}

/// `POST /api/campaigns`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Started {
    /// Campaign id.
    pub id: i64,
    /// Households in it.
    pub households: u64,
    /// Its state (`running`).
    pub state: String,
}

/// One campaign of `GET /api/campaigns`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Listed {
    /// Campaign id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// `running`, `paused`, `finished` or `cancelled`.
    pub state: String,
    /// The notice's name.
    pub notice: String,
    /// RFC 3339 UTC.
    pub created_at: Option<String>,
    /// RFC 3339 UTC, or none while it runs.
    pub finished_at: Option<String>,
    /// Households in it.
    pub households: u64,
    /// Reached (是).
    pub reached: u64,
    /// Done and not reached (否).
    pub not_reached: u64,
    /// Without a final outcome yet.
    pub remaining: u64,
}

/// `GET /api/campaigns`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct List {
    /// Newest first, as the server gives them.
    pub campaigns: Vec<Listed>,
}

/// `GET /api/campaigns/{id}`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Status {
    /// Campaign id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// `running`, `paused`, `finished` or `cancelled`.
    pub state: String,
    /// The notice's name.
    pub notice: String,
    /// RFC 3339 UTC.
    pub created_at: Option<String>,
    /// RFC 3339 UTC.
    pub finished_at: Option<String>,
    /// Effective options.
    pub settings: Value,
    /// Live (or final) counters.
    pub counters: Counters,
}

impl Status {
    /// Finished or cancelled: nothing more will happen.
    pub fn ended(&self) -> bool {
        matches!(self.state.as_str(), "finished" | "cancelled")
    }
}

/// A campaign's counters.
#[derive(Debug, Default, Clone, PartialEq, Deserialize)]
#[serde(default)]
pub struct Counters {
    /// Households in the campaign.
    pub households: u64,
    /// Attempts started.
    pub dialled: u64,
    /// Calls ringing.
    pub ringing: u64,
    /// Calls answered, hearing the notice.
    pub in_call: u64,
    /// Households reached (是).
    pub reached: u64,
    /// Households done and not reached (否).
    pub not_reached: u64,
    /// Households without a final outcome yet.
    pub remaining: u64,
    /// Calls started in the last second.
    pub calls_per_second: f64,
    /// The trunk asked the dialer to slow down.
    pub backing_off: bool,
    /// New calls wait for the calling window.
    pub waiting_for_window: bool,
}

impl Counters {
    /// Households with a final outcome.
    pub fn done(&self) -> u64 {
        self.households.saturating_sub(self.remaining)
    }
}

/// `POST /api/campaigns/{id}/pause|resume|cancel`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Control {
    /// Campaign id.
    pub id: i64,
    /// Its state now.
    pub state: String,
}

/// One household of `GET /api/campaigns/{id}/report`.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct HouseholdRow {
    /// Household id.
    pub household_id: i64,
    /// Household code.
    pub code: String,
    /// Address.
    pub address: String,
    /// Block name.
    pub block: Option<String>,
    /// Block captain's name.
    pub captain: Option<String>,
    /// Reached (是), not reached (否), or none while attempts remain.
    pub reached: Option<bool>,
    /// Final (or latest) outcome.
    pub outcome: Option<String>,
    /// Attempts made.
    pub attempts: u64,
    /// Seconds of the notice heard.
    pub seconds_heard: u64,
    /// The confirmation key pressed.
    pub confirmed: Option<Value>,
}

/// `GET /api/campaigns/{id}/report`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Report {
    /// One row per household.
    pub households: Vec<HouseholdRow>,
}

/// One attempt of `GET /api/campaigns/{id}/attempts`.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct AttemptRow {
    /// Household id.
    pub household_id: i64,
    /// The number as dialled.
    pub number: String,
    /// Attempt number (1, 2, …).
    pub attempt: u64,
    /// RFC 3339 UTC.
    pub started_at: Option<String>,
    /// RFC 3339 UTC.
    pub ended_at: Option<String>,
    /// Outcome (none while in flight).
    pub outcome: Option<String>,
    /// A 200 OK came.
    pub answered: bool,
    /// Final SIP status, if one came.
    pub sip_status: Option<u16>,
    /// Its reason phrase or why it failed.
    pub reason: Option<String>,
    /// Seconds of the notice heard.
    pub seconds_heard: u64,
    /// The confirmation key pressed.
    pub confirmed: Option<Value>,
}

/// `GET /api/campaigns/{id}/attempts`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Attempts {
    /// One row per attempt.
    pub attempts: Vec<AttemptRow>,
}

/// One notice of `GET /api/notices` (also the answer of `PUT /api/notices/{name}`).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Notice {
    /// Name campaigns give.
    pub name: String,
    /// Length in seconds.
    pub seconds: u64,
    /// `prompt` or `uploaded`.
    pub source: String,
}

/// `GET /api/notices`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Notices {
    /// Every notice the server can play.
    pub notices: Vec<Notice>,
}

/// A JSON value as a table cell: strings as they are, null as empty.
pub fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(cell).collect::<Vec<_>>().join("-"),
        other => other.to_string(),
    }
}

/// Reads an answer into its type; a shape that does not fit is a clear error.
pub fn read<T: serde::de::DeserializeOwned>(v: Value, what: &str) -> anyhow::Result<T> {
    serde_json::from_value(v).map_err(|e| {
        anyhow::anyhow!("the server's answer to {what} has an unexpected shape ({e}); is the CLI from the same Lianxin version as the server?")
    })
}

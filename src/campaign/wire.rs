//! The campaign API's answers as the command line reads them (contract:
//! `/api/campaigns…` and `/api/notices` in docs/desk-protocol.md).
//!
//! Lenient on purpose: a field that is missing or `null` takes its default, unknown fields
//! are ignored, so a server that adds a field (or leaves one out) still gives a readable
//! table. `--json` output
//! never goes through these types: it is the server's JSON as it came.

use serde::Deserialize;
use serde_json::Value;

/// `POST /api/campaigns/preview`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Preview {
    /// Households in the campaign.
    #[serde(deserialize_with = "null_default")]
    pub households: u64,
    /// Phone numbers they have.
    #[serde(deserialize_with = "null_default")]
    pub numbers: u64,
    /// Calls of the first round.
    #[serde(deserialize_with = "null_default")]
    pub calls: u64,
    /// Most simultaneous calls.
    #[serde(deserialize_with = "null_default")]
    pub max_calls: u64,
    /// Households without a phone number (not called).
    #[serde(deserialize_with = "null_default")]
    pub without_number: u64,
    /// Households that asked for no non-urgent notices.
    #[serde(deserialize_with = "null_default")]
    pub opted_out: Vec<OptedOut>,
    /// The effective options.
    #[serde(deserialize_with = "null_default")]
    pub settings: Value,
}

/// A household that asked for no non-urgent notices.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct OptedOut {
    /// Household id.
    #[serde(deserialize_with = "null_default")]
    pub household_id: i64,
    /// Household code.
    #[serde(deserialize_with = "null_default")]
    pub code: String,
    /// Address.
    #[serde(deserialize_with = "null_default")]
    pub address: String,
}

/// `POST /api/campaigns`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Started {
    /// Campaign id.
    #[serde(deserialize_with = "null_default")]
    pub id: i64,
    /// Households in it.
    #[serde(deserialize_with = "null_default")]
    pub households: u64,
    /// Its state (`running`).
    #[serde(deserialize_with = "null_default")]
    pub state: String,
}

/// One campaign of `GET /api/campaigns`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Listed {
    /// Campaign id.
    #[serde(deserialize_with = "null_default")]
    pub id: i64,
    /// Name.
    #[serde(deserialize_with = "null_default")]
    pub name: String,
    /// `running`, `paused`, `finished` or `cancelled`.
    #[serde(deserialize_with = "null_default")]
    pub state: String,
    /// The notice's name.
    #[serde(deserialize_with = "null_default")]
    pub notice: String,
    /// RFC 3339 UTC.
    pub created_at: Option<String>,
    /// RFC 3339 UTC, or none while it runs.
    pub finished_at: Option<String>,
    /// Households in it.
    #[serde(deserialize_with = "null_default")]
    pub households: u64,
    /// Reached (是).
    #[serde(deserialize_with = "null_default")]
    pub reached: u64,
    /// Done and not reached (否).
    #[serde(deserialize_with = "null_default")]
    pub not_reached: u64,
    /// Without a final outcome yet.
    #[serde(deserialize_with = "null_default")]
    pub remaining: u64,
}

/// `GET /api/campaigns`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct List {
    /// Newest first, as the server gives them.
    #[serde(deserialize_with = "null_default")]
    pub campaigns: Vec<Listed>,
}

/// `GET /api/campaigns/{id}`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Status {
    /// Campaign id.
    #[serde(deserialize_with = "null_default")]
    pub id: i64,
    /// Name.
    #[serde(deserialize_with = "null_default")]
    pub name: String,
    /// `running`, `paused`, `finished` or `cancelled`.
    #[serde(deserialize_with = "null_default")]
    pub state: String,
    /// The notice's name.
    #[serde(deserialize_with = "null_default")]
    pub notice: String,
    /// RFC 3339 UTC.
    pub created_at: Option<String>,
    /// RFC 3339 UTC.
    pub finished_at: Option<String>,
    /// Effective options.
    #[serde(deserialize_with = "null_default")]
    pub settings: Value,
    /// Live (or final) counters.
    #[serde(deserialize_with = "null_default")]
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
    #[serde(deserialize_with = "null_default")]
    pub households: u64,
    /// Attempts started.
    #[serde(deserialize_with = "null_default")]
    pub dialled: u64,
    /// Calls ringing.
    #[serde(deserialize_with = "null_default")]
    pub ringing: u64,
    /// Calls answered, hearing the notice.
    #[serde(deserialize_with = "null_default")]
    pub in_call: u64,
    /// Households reached (是).
    #[serde(deserialize_with = "null_default")]
    pub reached: u64,
    /// Households done and not reached (否).
    #[serde(deserialize_with = "null_default")]
    pub not_reached: u64,
    /// Households without a final outcome yet.
    #[serde(deserialize_with = "null_default")]
    pub remaining: u64,
    /// Calls started in the last second.
    #[serde(deserialize_with = "null_default")]
    pub calls_per_second: f64,
    /// The trunk asked the dialer to slow down.
    #[serde(deserialize_with = "null_default")]
    pub backing_off: bool,
    /// New calls wait for the calling window.
    #[serde(deserialize_with = "null_default")]
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
    #[serde(deserialize_with = "null_default")]
    pub id: i64,
    /// Its state now.
    #[serde(deserialize_with = "null_default")]
    pub state: String,
}

/// One household of `GET /api/campaigns/{id}/report`.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct HouseholdRow {
    /// Household id.
    #[serde(deserialize_with = "null_default")]
    pub household_id: i64,
    /// Household code.
    #[serde(deserialize_with = "null_default")]
    pub code: String,
    /// Address.
    #[serde(deserialize_with = "null_default")]
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
    #[serde(deserialize_with = "null_default")]
    pub attempts: u64,
    /// Seconds of the notice heard (none when nobody answered).
    pub seconds_heard: Option<u64>,
    /// The confirmation key pressed.
    pub confirmed: Option<Value>,
}

/// `GET /api/campaigns/{id}/report`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Report {
    /// One row per household.
    #[serde(deserialize_with = "null_default")]
    pub households: Vec<HouseholdRow>,
}

/// One attempt of `GET /api/campaigns/{id}/attempts`.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct AttemptRow {
    /// Household id.
    #[serde(deserialize_with = "null_default")]
    pub household_id: i64,
    /// The number as dialled.
    #[serde(deserialize_with = "null_default")]
    pub number: String,
    /// Attempt number (1, 2, …).
    #[serde(deserialize_with = "null_default")]
    pub attempt: u64,
    /// RFC 3339 UTC.
    pub started_at: Option<String>,
    /// RFC 3339 UTC.
    pub ended_at: Option<String>,
    /// Outcome (none while in flight).
    pub outcome: Option<String>,
    /// A 200 OK came.
    #[serde(deserialize_with = "null_default")]
    pub answered: bool,
    /// Final SIP status, if one came.
    pub sip_status: Option<u16>,
    /// Its reason phrase or why it failed.
    pub reason: Option<String>,
    /// Seconds of the notice heard (none when nobody answered).
    pub seconds_heard: Option<u64>,
    /// The confirmation key pressed.
    pub confirmed: Option<Value>,
}

/// `GET /api/campaigns/{id}/attempts`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Attempts {
    /// One row per attempt.
    #[serde(deserialize_with = "null_default")]
    pub attempts: Vec<AttemptRow>,
}

/// One notice of `GET /api/notices` (also the answer of `PUT /api/notices/{name}`).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Notice {
    /// Name campaigns give.
    #[serde(deserialize_with = "null_default")]
    pub name: String,
    /// Length in seconds.
    #[serde(deserialize_with = "null_default")]
    pub seconds: u64,
    /// `prompt` or `uploaded`.
    #[serde(deserialize_with = "null_default")]
    pub source: String,
}

/// `GET /api/notices`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Notices {
    /// Every notice the server can play.
    #[serde(deserialize_with = "null_default")]
    pub notices: Vec<Notice>,
}

/// `null` reads as the type's default, like a missing field (`#[serde(default)]` covers
/// only the latter).
fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// Effective options as one line (`max_calls 800, window 08:00-20:00, caller_id default`).
pub fn settings_line(settings: &Value) -> Option<String> {
    let settings = settings.as_object().filter(|s| !s.is_empty())?;
    let parts: Vec<String> = settings
        .iter()
        .map(|(k, v)| {
            let v = match v {
                Value::Null => "none".to_string(),
                Value::String(s) if s.is_empty() => "default".to_string(),
                v => cell(v),
            };
            format!("{k} {v}")
        })
        .collect();
    Some(parts.join(", "))
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn null_reads_like_missing() {
        let r: Report = read(
            json!({"households": [{"household_id": 11, "code": null, "attempts": null,
                                   "seconds_heard": null, "reached": false}]}),
            "x",
        )
        .expect("report");
        let h = &r.households[0];
        assert_eq!((h.household_id, h.code.as_str(), h.attempts), (11, "", 0));
        assert_eq!(h.seconds_heard, None);
        assert_eq!(h.reached, Some(false));
        let s: Status =
            read(json!({"id": 1, "counters": null, "settings": null}), "x").expect("status");
        assert_eq!(s.counters, Counters::default());
        assert!(read::<Status>(json!({"id": "seven"}), "the status").is_err());
    }
}

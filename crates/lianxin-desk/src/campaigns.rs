//! The desk's view of the group-call dialer (电话群拨): what a console may ask of it and
//! what it tells consoles.
//!
//! The desk knows no SIP and the dialer knows no HTTP, so they meet here, as the hotline
//! and the desk meet in [`crate::event`]: the dialer implements [`CampaignControl`] (the
//! binary hands it to the desk with `DeskHandle::set_campaigns`), and publishes
//! [`CampaignUpdate`]s with `DeskHandle::publish(DeskEvent::Campaign(..))`. Previews, lists
//! and reports are plain reads of the store and do not go through the dialer.
//!
//! The payloads are plain data (`Serialize`) so the desk can put them on the wire as they
//! are (`campaign.started`, `campaign.progress`, `campaign.household`,
//! `campaign.finished`; see `docs/desk-protocol.md`).

use std::future::Future;
use std::pin::Pin;

use lianxin_store::{CampaignSettings, NewCampaign};
use serde::Serialize;

/// A boxed future, so the trait stays object-safe.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Why the dialer refused a console's request. The message is for the console user
/// (Simplified Chinese) and names the field when one is at fault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{message}")]
pub struct CampaignRefused {
    /// HTTP status to answer with (400 bad option, 404 unknown campaign, 409 wrong state,
    /// 503 dialer not running).
    pub status: u16,
    /// The request field at fault, if any (e.g. `max_calls`).
    pub field: Option<String>,
    /// What went wrong and what to do, in Simplified Chinese.
    pub message: String,
}

impl CampaignRefused {
    /// `404 field=name`: no notice by that name (what a control without notices says).
    pub fn no_such_notice() -> Self {
        CampaignRefused {
            status: 404,
            field: Some("name".into()),
            message: "找不到该通知录音".into(),
        }
    }
}

/// Live state of a campaign.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CampaignState {
    /// Calling.
    Running,
    /// Paused by staff: calls in flight finish, no new ones.
    Paused,
    /// Every household has a final outcome.
    Finished,
    /// Cancelled by staff.
    Cancelled,
}

/// The counters a console shows while a campaign runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CampaignCounters {
    /// Households in the campaign.
    pub households: u32,
    /// Attempts started.
    pub dialled: u32,
    /// Calls ringing.
    pub ringing: u32,
    /// Calls answered and hearing the notice.
    pub in_call: u32,
    /// Households reached (是).
    pub reached: u32,
    /// Households done and not reached (否).
    pub not_reached: u32,
    /// Households without a final outcome yet.
    pub remaining: u32,
    /// Calls started in the last second.
    pub calls_per_second: u32,
    /// The trunk asked us to slow down (503/408) and the dialer did.
    pub backing_off: bool,
    /// New calls wait for the calling window to open.
    pub waiting_for_window: bool,
}

/// A running (or paused) campaign, for `hello` and status requests.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CampaignLive {
    /// Campaign id.
    pub id: i64,
    /// Name shown to staff.
    pub name: String,
    /// State.
    pub state: CampaignState,
    /// Counters.
    pub counters: CampaignCounters,
}

/// One household's result as it changes (a `campaign.household` batch entry).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CampaignHouseholdRow {
    /// Household id.
    pub household_id: i64,
    /// Reached (是) — `None` while it still has attempts to go.
    pub reached: Option<bool>,
    /// The latest attempt's outcome (`heard`, `hung_up_early`, `no_answer`, `busy`,
    /// `declined`, `invalid_number`, `failed`, `interrupted`, `cancelled`, or `ringing`,
    /// `in_call` while it happens).
    pub outcome: String,
    /// Attempts made so far.
    pub attempts: u32,
    /// Seconds of the notice heard on the best attempt.
    pub seconds_heard: u32,
    /// The confirmation key pressed, if any.
    pub confirmed: Option<char>,
}

/// What the dialer tells consoles.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum CampaignUpdate {
    /// A campaign started (or resumed after a restart).
    Started(CampaignLive),
    /// Counters, throttled by the dialer (about twice a second).
    Progress(CampaignLive),
    /// Households whose result changed, batched by the dialer (about twice a second).
    Households {
        /// Campaign id.
        id: i64,
        /// The changed rows.
        rows: Vec<CampaignHouseholdRow>,
    },
    /// The campaign ended (finished or cancelled); final counters.
    Finished(CampaignLive),
}

/// A notice recording the dialer can play.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NoticeInfo {
    /// Name a campaign names it by (`notice-security`, or an uploaded notice's name).
    pub name: String,
    /// Length in seconds (rounded up).
    pub seconds: u32,
    /// `prompt` (shipped in `prompts/`) or `uploaded` (added by staff).
    pub source: NoticeSource,
}

/// Where a notice comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeSource {
    /// A prompt of the server's prompt folder.
    Prompt,
    /// An audio file staff uploaded.
    Uploaded,
}

/// What the desk may ask of the dialer. Implemented by `lianxin-dialer`.
pub trait CampaignControl: Send + Sync + 'static {
    /// Creates and starts a campaign; returns its id. Role checks are the desk's; the
    /// dialer validates the options.
    fn start(&self, new: NewCampaign) -> BoxFuture<'_, Result<i64, CampaignRefused>>;
    /// Pauses a running campaign.
    fn pause(&self, id: i64) -> BoxFuture<'_, Result<(), CampaignRefused>>;
    /// Resumes a paused campaign.
    fn resume(&self, id: i64) -> BoxFuture<'_, Result<(), CampaignRefused>>;
    /// Cancels a campaign: no new calls, calls in flight are hung up and logged cancelled.
    fn cancel(&self, id: i64) -> BoxFuture<'_, Result<(), CampaignRefused>>;
    /// The running and paused campaigns with their live counters. The desk calls it
    /// while holding its hub's lock (so a console's `hello` and the updates after it
    /// agree): it must be quick and must not publish to the desk or wait.
    fn live(&self) -> Vec<CampaignLive>;
    /// The options a campaign gets for what its request leaves out (`[dialer]` config).
    fn defaults(&self) -> CampaignSettings;
    /// The notices campaigns can name.
    fn notices(&self) -> Vec<NoticeInfo>;
    /// Adds (or replaces) uploaded notice `name` from an audio file's bytes (WAV of any
    /// rate and channel count, or MP3); converted once to 8 kHz G.711.
    fn add_notice(
        &self,
        name: String,
        audio: Vec<u8>,
    ) -> BoxFuture<'_, Result<NoticeInfo, CampaignRefused>>;
    /// Retires notice `name`: it leaves the list campaigns pick from, and a new campaign
    /// naming it is refused, while campaigns that already played it keep their record
    /// (and staff can still listen to it). Refused (409) while a running or paused
    /// campaign plays it. The default has no notices to retire (404).
    fn retire_notice(&self, name: String) -> BoxFuture<'_, Result<(), CampaignRefused>> {
        drop(name);
        Box::pin(async { Err(CampaignRefused::no_such_notice()) })
    }
    /// Notice `name` as an 8 kHz 16-bit mono WAV file, decoded from what a campaign
    /// plays, so staff can listen to it in the console. The default has none (404).
    fn notice_audio(&self, name: String) -> BoxFuture<'_, Result<Vec<u8>, CampaignRefused>> {
        drop(name);
        Box::pin(async { Err(CampaignRefused::no_such_notice()) })
    }
}

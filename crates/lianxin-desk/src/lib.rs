//! lianxin-desk: the operators' consoles — HTTP, log-in and the screen-pop WebSocket.
//!
//! The desk serves a small console page (Simplified Chinese), a JSON API for log-in and
//! resident look-ups, and a WebSocket over which call events reach the consoles of the
//! operators on duty, in a versioned JSON protocol documented in `docs/desk-protocol.md`.
//! It is the only crate that knows that protocol (and JSON for consoles at all); it knows
//! no SQL (the database is behind the [`Directory`] trait) and no SIP (the hotline tells it
//! about calls with typed [`DeskEvent`]s).
//!
//! # Driving it
//!
//! ```no_run
//! # async fn demo(dir: std::sync::Arc<dyn lianxin_desk::Directory>) -> Result<(), lianxin_desk::DeskError> {
//! use lianxin_desk::{Desk, DeskConfig, DeskEvent, Pop};
//! let (desk, mut commands) = Desk::start(DeskConfig::new("127.0.0.1:8080".parse().unwrap()), dir).await?;
//! desk.publish_at(
//!     DeskEvent::CallRinging {
//!         call_id: "c1".into(),
//!         number_dialled: "51663371".into(),
//!         caller_raw: "01065123456".into(),
//!         pop: Pop::unknown(),
//!         arrived_at: chrono::Utc::now(),
//!     },
//!     std::time::Instant::now(),
//! );
//! while let Some(cmd) = commands.recv().await { /* operator states for the ACD */ let _ = cmd; }
//! # Ok(()) }
//! ```
//!
//! # Guarantees
//!
//! - `DeskHandle::publish` never waits: each console has a bounded queue and a console
//!   whose queue is full is disconnected; sockets are pinged, and a console silent for
//!   `pong_timeout` is dropped; each socket's write buffer is capped.
//! - A console that connects late or reconnects receives the live calls in `hello`.
//! - Resident data goes only to logged-in staff; pops only to call-taking staff on duty.
//! - Log-in cannot be brute-forced or used to exhaust memory (throttled per address and
//!   user name; passwords checked on a fixed number of threads); a session ends when its
//!   account's password, role or active flag changes; one staff member holds at most
//!   `max_consoles_per_staff` consoles; no session token is ever accepted in a URL.
//! - HTTP connections are capped in total and per source address, and one whose
//!   request head does not arrive in time is closed (half-sent requests, idle
//!   keep-alives).
//!
//! # Layout
//!
//! - [`directory`]: the `Directory` trait and an in-memory implementation for tests.
//! - [`event`]: `DeskEvent` (hotline → desk) and `DeskCommand` (desk → hotline).
//! - `protocol`: the wire form of the WebSocket protocol.
//! - `hub`: consoles, operator states, live-call snapshot, fan-out.
//! - `server`: `Desk::start` and the `DeskHandle` the hotline keeps; `config`: `DeskConfig`.
//! - `app`: the state every handler and console task shares (built only by `server`).
//! - `listener`: the HTTP listener (connection caps in total and per address, the
//!   header-read timeout that is also the keep-alive idle limit).
//! - `http`: the router and its handlers; `ws`: the per-console socket task it upgrades to.
//! - `api`: the error answer and body parsing the handlers share; `access`: which
//!   households and voice messages a role may read (captains: their blocks').
//! - `auth`: log-in, log-out, tickets and the `Authed` extractor; `session`: log-in
//!   tokens with their account fingerprint; `ticket`: one-use URL tickets; `throttle`:
//!   failed log-ins per address and user name; `checker`: the password-check threads;
//!   `recheck`: the task that ends sessions of changed accounts.
//! - `health`: `/healthz` and the [`HealthProbe`]s the binary registers.
//! - `error`: `DeskError`.
//! - [`campaigns`]: the dialer seen from the desk (`CampaignControl`, `CampaignUpdate`);
//!   [`campaign_store`]: the store seen from the campaign endpoints (`store_campaigns`
//!   implements it for the real database).
//! - `campaign_api` (preview, start, pause, resume, cancel), `campaign_reads` (list,
//!   status, reports), `notice_api`, `follow_up_api`: the campaign HTTP endpoints;
//!   `campaign_request`: their strict JSON body; `campaign_access`: who may do what.
//! - [`prompt_control`]: the hotline's replaceable prompts seen from the desk
//!   (`PromptControl`, implemented by `lianxin-hotline`); `prompt_api`: their admin
//!   endpoints (list, listen, replace, restore).
//! - [`latency`]: the lock-free histogram behind `DeskHandle::pop_latencies`.
//! - `store`: `impl Directory for lianxin_store::Store` (the real database).
//! - Requests (诉求, issue 11): [`request_store`] (`RequestStore`, the store's request
//!   side, reached through `Directory::requests`; `store_requests` implements it);
//!   `request_api` (record, act), `request_reads` (lists, detail, household card,
//!   categories, departments), `request_config_api`, `voice_request_api` (voice message
//!   → draft request, handled): the endpoints, routed by `request_routes`, sharing
//!   `request_http`; `request_access`: who sees what and receives which frames;
//!   `request_alarm`: the sweep that pushes `request.alarm`; [`clock`]: the injectable
//!   "now" of requests. Visits and the work log: [`visit_store`] (`VisitStore`,
//!   through `Directory::visits`; `store_visits` implements it) and `visit_api`.
//!   "now" of requests.
//! - The residents' register (住户名册): [`import_store`] (`ImportStore`, reached
//!   through `Directory::imports`; `store_import` implements it) and `import_api`
//!   (the admins' upload with its preview, and the export).
//! - Administration (issue 12): [`admin_store`] (`AdminStore`, the store's admin side:
//!   staff, blocks, phone groups, opening hours; reached through `Directory::admin`,
//!   `store_admin` implements it); `staff_api`, `group_admin_api`, `hours_api`: the
//!   admins' endpoints, sharing `admin_http` (the admin check, the blocking call).
#![deny(missing_docs)]
#![warn(unreachable_pub)]

mod access;
mod admin_http;
pub mod admin_store;
mod api;
mod app;
mod assets;
mod auth;
mod campaign_access;
mod campaign_api;
mod campaign_reads;
mod campaign_request;
pub mod campaign_store;
pub mod campaigns;
mod checker;
pub mod clock;
mod config;
pub mod directory;
mod error;
pub mod event;
mod follow_up_api;
#[doc(hidden)]
pub mod fuzzing;
mod group_admin_api;
mod group_api;
mod health;
mod hours_api;
mod http;
mod hub;
mod import_api;
pub mod import_store;
pub mod latency;
mod listener;
mod notice_api;
mod prompt_api;
pub mod prompt_control;
mod protocol;
mod recheck;
mod report_api;
pub mod report_store;
mod request_access;
mod request_alarm;
mod request_api;
mod request_config_api;
mod request_http;
mod request_reads;
mod request_routes;
mod request_sheet;
pub mod request_store;
mod server;
mod session;
mod staff_api;
mod store;
mod store_admin;
mod store_campaigns;
mod store_import;
mod store_reports;
mod store_requests;
mod store_units;
mod store_visits;
mod throttle;
mod ticket;
mod unit_api;
pub mod unit_store;
mod visit_api;
pub mod visit_store;
mod voice_request_api;
mod ws;

pub use admin_store::AdminStore;
pub use campaign_store::CampaignStore;
pub use campaigns::{
    CampaignControl, CampaignCounters, CampaignHouseholdRow, CampaignLive, CampaignRefused,
    CampaignState, CampaignUpdate, NoticeInfo, NoticeSource,
};
pub use clock::Clock;
pub use config::DeskConfig;
pub use directory::{
    AttachedNumber, Directory, DirectoryError, Login, MemoryDirectory, Staff, VoiceMessage,
};
pub use error::DeskError;
pub use event::{
    DeskCommand, DeskEvent, DisconnectReason, OnDuty, OperatorRef, OperatorState, Pop,
};
pub use health::HealthProbe;
pub use import_store::{ImportError, ImportStore, Upload};
pub use latency::{LatencyHistogram, LatencySummary};
pub use prompt_control::{PromptControl, PromptInfo};
pub use protocol::PROTOCOL_VERSION;
pub use report_store::ReportStore;
pub use request_store::{RequestError, RequestStore, VoiceDraft};
pub use server::{Desk, DeskHandle, DeskStats};
pub use throttle::ThrottlePolicy;
pub use unit_store::UnitStore;

/// The store's own types, which consoles see as they serialize: a staff member's role, a
/// household search hit and how a call ended (one definition each, in `lianxin-store`).
pub use lianxin_store::{CallOutcome, HouseholdHit, HouseholdScope, Role};

//! lianxin-store: the embedded SQLite database of the community and of the hotline's work.
//!
//! It holds "the two databases" of the residents' committee (residents with their
//! households and numbers, and resident units), the phone groups, staff accounts, and the
//! history the hotline writes: calls, voice messages, service requests, group-call
//! campaigns and the audit log. It is the only crate that knows SQL; everything it returns
//! is a plain Rust type deriving `serde::Serialize`.
//!
//! # Layout
//! - [`Store`]: the handle (cheap to clone, `Send + Sync`). One writer connection behind a
//!   mutex runs every mutation inside one transaction; a small pool of reader connections
//!   serves lookups concurrently (WAL mode, so readers never wait for the writer).
//! - [`callerid`]: caller-ID normalization; the database indexes only normalized numbers.
//! - [`screen`]: the screen-pop lookup and household search.
//! - [`staff`]: accounts, argon2 login, SIP digest credentials.
//! - [`calls`]: call log and voice messages.
//! - [`campaigns`]: group-call campaigns: create, preview, targets, reports;
//!   [`follow_ups`]: households a finished one did not reach; [`campaign_log`]: their attempts, written in batches, and the saved state to resume;
//!   [`outcome`]: the words they are logged in; [`campaign_scope`]: the blocks and
//!   captains of a campaign's households (for the desk's captain check).
//! - [`import`]: CSV import/export, all-or-nothing in one transaction.
//! - [`demo`]: the deterministic demo community and the benchmark data generator.
//! - [`pii`]: a redacting wrapper for logging numbers and names.
//! - [`china_time`]: UTC to Asia/Shanghai and back, the one place times meet China's clock.
//! - Requests (诉求, issue 11): [`requests`] records, reads and lists them;
//!   `request_actions` changes them by the pure rules of [`request_rules`] (stages in
//!   [`request_stage`]), each change with its timeline entry and audit row in one
//!   transaction; [`request_config`]: categories and departments; [`visits`]: home
//!   visits, the work log and each household's visit rhythm; [`return_visits`]: the
//!   automatic return visit (回访) queued when one is resolved, called by the dialer
//!   (woken through `return_visit_wake`), its key recorded as the feedback.
//! - Administration (issue 12): [`staff_admin`] (accounts as an admin manages them:
//!   blocks, active flag, generated passwords, the last-admin rule), [`group_admin`]
//!   (phone groups: add, rename, retire, members), [`opening_hours`] (the hotline's
//!   hours as data) kept by [`settings`] (run-time settings, seeded from the config).
//! - [`units`]: resident units (驻区单位) searched by name, address, jobs or number.
//! - Statistics ("盘点"): [`stats`] (requests over a period of China days, grouped),
//!   [`stats_people`] (visits per visitor, elderly share, households per phone group).
//!
//! # What it is not
//! No SIP, RTP, HTTP or JSON wire formats. Blocking calls: async callers use
//! `spawn_blocking` (a lookup takes tens of microseconds, so calling it inline is fine too).
#![deny(missing_docs)]
#![warn(unreachable_pub)]

pub mod bench;
pub mod callerid;
pub mod calls;
mod campaign_history;
pub mod campaign_log;
pub mod campaign_scope;
pub mod campaigns;
pub mod china_time;
pub mod demo;
mod demo_audio;
pub mod export;
pub mod follow_ups;
pub mod group_admin;
pub mod household_scope;
pub mod import;
mod import_columns;
mod import_rows;
mod import_text;
mod import_values;
mod import_xlsx;
pub mod opening_hours;
pub mod outcome;
pub mod phone_groups;
pub mod pii;
mod request_actions;
pub use request_actions::RequestChange;
pub mod request_config;
pub mod request_rules;
pub mod request_stage;
pub mod requests;
mod return_visit_wake;
pub mod return_visits;
pub mod screen;
pub mod settings;
pub mod staff;
pub mod staff_admin;
pub mod stats;
pub mod stats_people;
pub mod units;
pub mod visits;

mod db;

pub use callerid::{normalize, CallerId, Normalized, NumberKind};
pub use calls::{
    CallLogBatch, CallOutcome, CallRecord, CallUpdate, Direction, NewCall, NewVoiceMessage,
    VoiceMessage,
};
pub use campaign_log::{
    AttemptEnd, AttemptStart, CampaignLogBatch, HouseholdFinal, SavedAttempt, SavedCampaign,
    SavedHousehold,
};
pub use campaign_scope::TargetBlock;
pub use campaigns::{
    AttemptResult, CampaignPreview, CampaignRecord, CampaignSettings, CampaignSummary,
    HouseholdResult, NewCampaign, OptedOutHousehold, Target, TargetNumber, TargetSpec,
};
pub use db::{Counts, Store, StoreOptions, SCHEMA_VERSION};
pub use export::ExportFormat;
pub use follow_ups::FollowUp;
pub use group_admin::{GroupMember, PhoneGroupInfo};
pub use household_scope::HouseholdScope;
pub use import::{
    BadRow, ImportFile, ImportFileError, ImportFormat, ImportKind, ImportMode, ImportOptions,
    ImportReport,
};
pub use import_columns::chinese_names;
pub use opening_hours::{OpeningHours, Span};
pub use outcome::{CampaignKind, CampaignStatus, NumberStrategy, Outcome};
pub use phone_groups::PhoneGroupCount;
pub use request_config::{Assignee, Category, Department};
pub use request_rules::{Action, Actor, DepartmentRef, RequestRefused, RequestState};
pub use request_stage::{Channel, FeedbackResult, Stage};
pub use requests::{
    NewRequest, OpenRequest, RequestDetail, RequestEvent, RequestFilter, RequestRecord,
};
pub use return_visits::{CallingReturnVisit, DueReturnVisit, ReturnVisitEnd};
pub use screen::{Alarm, HouseholdCard, HouseholdHit, Member, ScreenPop};
pub use staff::{
    generate_sip_password, NewStaff, Role, SipCredentials, Staff, SIP_PASSWORD_LEN, SIP_REALM,
};
pub use staff_admin::{BlockInfo, CreatedAccount, StaffAccount, StaffChange};
pub use stats::{Period, RequestBy, RequestFigures, RequestReport};
pub use stats_people::{
    BlockPopulation, GroupPopulation, PopulationReport, VisitReport, VisitorFigures,
};
pub use units::Unit;

/// Everything that can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite reported an error.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The database file could not be opened or prepared.
    #[error("cannot open database {path}: {source}")]
    Open {
        /// The file we tried.
        path: String,
        /// Why.
        source: rusqlite::Error,
    },
    /// The file was written by a newer Lianxin.
    #[error("database schema version {found} is newer than this program supports ({supported}); upgrade lianxin")]
    TooNew {
        /// `PRAGMA user_version` of the file.
        found: i64,
        /// The newest version this build knows.
        supported: i64,
    },
    /// Reading or writing a file failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// The CSV file could not be read at all (not a bad row: those are [`BadRow`]s).
    #[error("CSV error: {0}")]
    Csv(#[from] csv::Error),
    /// A file that cannot be imported at all (no header, not a workbook, UTF-16 …);
    /// nothing changed.
    #[error(transparent)]
    ImportFile(#[from] import::ImportFileError),
    /// An import found bad rows and was rolled back; nothing changed.
    #[error("{} bad row(s); nothing was imported", .0.len())]
    ImportRejected(Vec<BadRow>),
    /// A phone number that is not a number.
    #[error("invalid phone number {0:?}")]
    InvalidNumber(String),
    /// The thing asked for does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// Hashing a password failed.
    #[error("password hashing failed: {0}")]
    Password(String),
    /// An argument was not acceptable (the text says which and why).
    #[error("invalid input: {0}")]
    Invalid(String),
    /// A request action or request data was refused by the workflow rules; nothing
    /// changed (the message is Chinese and names the field).
    #[error("{0}")]
    Refused(request_rules::RequestRefused),
    /// A change conflicts with what is stored (a user name taken, the last admin);
    /// nothing changed. The message is Chinese; `field` names the field at fault.
    #[error("{message}")]
    Conflict {
        /// The field at fault (`username`, `extension`, `role`, `active`, `name`).
        field: &'static str,
        /// What to tell the user.
        message: String,
    },
}

/// Shorthand for results of this crate.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[cfg(test)]
mod campaign_tests;
#[cfg(test)]
mod import_tests;
#[cfg(test)]
mod request_rules_tests;
#[cfg(test)]
mod request_tests;
#[cfg(test)]
mod return_visit_tests;
#[cfg(test)]
mod stats_tests;
#[cfg(test)]
mod tests;

//! What the desk needs from the database, as a trait.
//!
//! The desk never talks SQL: everything it reads or changes about staff, households and
//! voice messages goes through [`Directory`]. The desk implements it for
//! `lianxin_store::Store` (module `store`); tests and demos use [`MemoryDirectory`]. The methods are
//! synchronous (the store is SQLite); the HTTP layer calls them on tokio's blocking pool.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use lianxin_store::{HouseholdHit, HouseholdScope, Role};
use serde::Serialize;

use crate::campaign_store::CampaignStore;

/// A logged-in staff member, as shown to consoles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Staff {
    /// Database id.
    pub id: i64,
    /// Log-in name.
    pub username: String,
    /// Name shown on consoles (e.g. "王丽").
    pub display_name: String,
    /// Role, which decides what the console receives.
    pub role: Role,
    /// The operator's phone extension (SIP user), if any.
    pub extension: Option<String>,
}

/// A successful log-in: who it is and the fingerprint of their account at that moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login {
    /// The staff member.
    pub staff: Staff,
    /// An opaque digest of what the session depends on (password, role, active flag);
    /// see [`Directory::fingerprint`].
    pub fingerprint: String,
}

/// The result of attaching a number to a household.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttachedNumber {
    /// The household the number now belongs to.
    pub household_id: i64,
    /// The number as typed by the operator.
    pub raw: String,
    /// The normalized form the store will match caller IDs against.
    pub normalized: String,
}

/// A recorded voice message, as listed on consoles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VoiceMessage {
    /// Voice message id (used for the audio URL).
    pub id: i64,
    /// The call that left it, if known.
    pub call_id: Option<String>,
    /// Caller ID as received (`None` when withheld).
    pub caller_raw: Option<String>,
    /// Matched household, if any.
    pub household_id: Option<i64>,
    /// Short description of the household (address or member names), if matched.
    pub household_label: Option<String>,
    /// When the message was recorded (UTC; consoles show Asia/Shanghai).
    pub received_at: DateTime<Utc>,
    /// Length in seconds.
    pub duration_s: u32,
    /// Whether staff have marked it handled.
    pub handled: bool,
}

/// Why a directory call failed.
#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    /// The thing named by `field` does not exist.
    #[error("{field} not found")]
    NotFound {
        /// The request field that named it (e.g. `"id"`).
        field: &'static str,
    },
    /// A value the user entered is not acceptable.
    #[error("invalid {field}: {message}")]
    Invalid {
        /// The request field at fault (e.g. `"number"`).
        field: &'static str,
        /// What to tell the user, in Simplified Chinese.
        message: String,
    },
    /// The change conflicts with existing data (e.g. number already attached).
    #[error("conflict on {field}: {message}")]
    Conflict {
        /// The request field at fault.
        field: &'static str,
        /// What to tell the user, in Simplified Chinese.
        message: String,
    },
    /// The database failed; details are logged, the user sees a generic message.
    #[error("directory backend failed: {0}")]
    Backend(String),
}

/// Everything the desk reads from or writes to the database.
///
/// Implementations must be cheap to call concurrently; each call runs on a blocking
/// thread. Changes (attaching a number) are audited by the implementation with the
/// given staff id.
pub trait Directory: Send + Sync + 'static {
    /// Checks a log-in. `Ok(None)` when the user is unknown or the password is wrong
    /// (the caller must not learn which, neither from the answer nor from the time it
    /// takes). The fingerprint is read with the same row.
    fn verify_login(&self, username: &str, password: &str)
        -> Result<Option<Login>, DirectoryError>;

    /// The current fingerprint of a staff account: changes whenever its password, role
    /// or active flag does; `None` when the account is gone or disabled. Must be cheap
    /// (one indexed read): the desk calls it on every request and every few seconds for
    /// every open session.
    fn fingerprint(&self, staff_id: i64) -> Result<Option<String>, DirectoryError>;

    /// A trivial read, for `/healthz`: `Ok` while the database answers.
    fn ping(&self) -> Result<(), DirectoryError>;

    /// Finds households by name, address or number; at most `limit` hits.
    fn search_households(
        &self,
        query: &str,
        limit: usize,
    ) -> Result<Vec<HouseholdHit>, DirectoryError>;

    /// Like [`search_households`](Self::search_households), only within `scope` (a
    /// captain's blocks). The default cuts a complete search; the real store limits
    /// inside the query.
    fn search_households_in(
        &self,
        query: &str,
        limit: usize,
        scope: HouseholdScope,
    ) -> Result<Vec<HouseholdHit>, DirectoryError> {
        match scope {
            HouseholdScope::All => self.search_households(query, limit),
            HouseholdScope::Captain(staff_id) => {
                let mine = self.captain_households(staff_id)?;
                let mut hits = self.search_households(query, usize::MAX)?;
                hits.retain(|h| mine.contains(&h.id));
                hits.truncate(limit);
                Ok(hits)
            }
        }
    }

    /// The households of the blocks whose captain is `staff_id` (what a captain may
    /// read: issue 10, point 11).
    fn captain_households(&self, staff_id: i64) -> Result<HashSet<i64>, DirectoryError>;

    /// Attaches `raw_number` to the household, on behalf of `staff_id`.
    fn attach_number(
        &self,
        household_id: i64,
        raw_number: &str,
        staff_id: i64,
    ) -> Result<AttachedNumber, DirectoryError>;

    /// Lists voice messages, newest first; only unhandled ones if `open_only`.
    fn voice_messages(&self, open_only: bool) -> Result<Vec<VoiceMessage>, DirectoryError>;

    /// The WAV file of a voice message, or `None` if there is no such message.
    fn voice_message_audio(&self, id: i64) -> Result<Option<PathBuf>, DirectoryError>;

    /// The database side of group-call campaigns, if this directory has one (the real
    /// store does; without it the campaign endpoints answer 503).
    fn campaigns(&self) -> Option<&dyn CampaignStore> {
        None
    }

    /// The database side of requests, if this directory has one (the real store does;
    /// without it the request endpoints answer 503).
    fn requests(&self) -> Option<&dyn crate::request_store::RequestStore> {
        None
    }

    /// The database side of the statistics (without it the report endpoints answer 503).
    fn reports(&self) -> Option<&dyn crate::report_store::ReportStore> {
        None
    }

    /// The database side of resident units (without it `GET /api/units` answers 503).
    fn units(&self) -> Option<&dyn crate::unit_store::UnitStore> {
        None
    }

    /// The database side of home visits and the work log (without it the visit
    /// endpoints answer 503).
    fn visits(&self) -> Option<&dyn crate::visit_store::VisitStore> {
        None
    }

    /// The database side of the register import and export (without it those
    /// endpoints answer 503).
    fn imports(&self) -> Option<&dyn crate::import_store::ImportStore> {
        None
    }

    /// The database side of the admins' screens: staff, phone groups, opening hours
    /// (without it those endpoints answer 503).
    fn admin(&self) -> Option<&dyn crate::admin_store::AdminStore> {
        None
    }
}

/// An in-memory [`Directory`] for tests and demos.
///
/// Passwords are kept in plain text: never use it with real accounts.
#[derive(Debug, Default)]
pub struct MemoryDirectory {
    inner: Mutex<Memory>,
}

#[derive(Debug, Default)]
struct Memory {
    /// Staff, plain-text password, and a version bumped by every change.
    staff: Vec<(Staff, String, u64)>,
    households: Vec<HouseholdHit>,
    voice: Vec<(VoiceMessage, PathBuf)>,
    attached: HashMap<String, i64>,
    /// Households by the staff id of their block's captain.
    captains: HashMap<i64, HashSet<i64>>,
}

impl MemoryDirectory {
    /// An empty directory.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a staff account with a plain-text password.
    pub fn add_staff(&self, staff: Staff, password: &str) {
        self.lock().staff.push((staff, password.to_owned(), 0));
    }

    /// Changes a staff member's password (their sessions end); false if unknown.
    pub fn set_password(&self, username: &str, password: &str) -> bool {
        let mut mem = self.lock();
        match mem
            .staff
            .iter_mut()
            .find(|(s, _, _)| s.username == username)
        {
            Some(entry) => {
                entry.1 = password.to_owned();
                entry.2 += 1;
                true
            }
            None => false,
        }
    }

    /// Adds a household.
    pub fn add_household(&self, household: HouseholdHit) {
        self.lock().households.push(household);
    }

    /// Puts a household in a block captained by `captain_staff_id`.
    pub fn assign_captain(&self, captain_staff_id: i64, household_id: i64) {
        self.lock()
            .captains
            .entry(captain_staff_id)
            .or_default()
            .insert(household_id);
    }

    /// Adds a voice message stored at `wav`.
    pub fn add_voice_message(&self, message: VoiceMessage, wav: PathBuf) {
        self.lock().voice.push((message, wav));
    }

    /// The household a number was attached to through [`Directory::attach_number`].
    pub fn attached(&self, normalized: &str) -> Option<i64> {
        self.lock().attached.get(normalized).copied()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Memory> {
        // A panic while holding this lock can only come from a bug in this file; keep
        // serving with whatever state is there.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Directory for MemoryDirectory {
    fn verify_login(
        &self,
        username: &str,
        password: &str,
    ) -> Result<Option<Login>, DirectoryError> {
        Ok(self
            .lock()
            .staff
            .iter()
            .find(|(s, p, _)| s.username == username && p == password)
            .map(|(s, _, v)| Login {
                staff: s.clone(),
                fingerprint: memory_fingerprint(s, *v),
            }))
    }

    fn fingerprint(&self, staff_id: i64) -> Result<Option<String>, DirectoryError> {
        Ok(self
            .lock()
            .staff
            .iter()
            .find(|(s, _, _)| s.id == staff_id)
            .map(|(s, _, v)| memory_fingerprint(s, *v)))
    }

    fn ping(&self) -> Result<(), DirectoryError> {
        Ok(())
    }

    fn search_households(
        &self,
        query: &str,
        limit: usize,
    ) -> Result<Vec<HouseholdHit>, DirectoryError> {
        let q = query.trim();
        Ok(self
            .lock()
            .households
            .iter()
            .filter(|h| {
                h.address.contains(q)
                    || h.members.iter().any(|m| m.contains(q))
                    || h.numbers.iter().any(|n| n.contains(q))
            })
            .take(limit)
            .cloned()
            .collect())
    }

    fn captain_households(&self, staff_id: i64) -> Result<HashSet<i64>, DirectoryError> {
        Ok(self
            .lock()
            .captains
            .get(&staff_id)
            .cloned()
            .unwrap_or_default())
    }

    fn attach_number(
        &self,
        household_id: i64,
        raw_number: &str,
        _staff_id: i64,
    ) -> Result<AttachedNumber, DirectoryError> {
        let normalized: String = raw_number.chars().filter(char::is_ascii_digit).collect();
        if normalized.len() < 7 || normalized.len() > 15 {
            return Err(DirectoryError::Invalid {
                field: "number",
                message: "电话号码格式不正确，请输入7到15位数字".into(),
            });
        }
        let mut mem = self.lock();
        let Some(h) = mem.households.iter_mut().find(|h| h.id == household_id) else {
            return Err(DirectoryError::NotFound { field: "id" });
        };
        h.numbers.push(raw_number.to_owned());
        mem.attached.insert(normalized.clone(), household_id);
        Ok(AttachedNumber {
            household_id,
            raw: raw_number.to_owned(),
            normalized,
        })
    }

    fn voice_messages(&self, open_only: bool) -> Result<Vec<VoiceMessage>, DirectoryError> {
        let mut list: Vec<VoiceMessage> = self
            .lock()
            .voice
            .iter()
            .filter(|(m, _)| !open_only || !m.handled)
            .map(|(m, _)| m.clone())
            .collect();
        list.sort_by_key(|m| std::cmp::Reverse(m.received_at));
        Ok(list)
    }

    fn voice_message_audio(&self, id: i64) -> Result<Option<PathBuf>, DirectoryError> {
        Ok(self
            .lock()
            .voice
            .iter()
            .find(|(m, _)| m.id == id)
            .map(|(_, p)| p.clone()))
    }
}

fn memory_fingerprint(s: &Staff, version: u64) -> String {
    format!("{}:{version}:{}", s.id, s.role.as_str())
}

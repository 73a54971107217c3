//! One household's card: who lives there, their numbers, block and captain, groups and
//! recent service history — what the operator sees on a pop and the clerk after a search.
//! Ages and alarm colours depend on `now` (China dates).

use crate::callerid::NumberKind;
use crate::calls::{CallOutcome, Direction};
use crate::campaign_history::campaign_results;
use crate::db::from_ms;
use crate::Result;
use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;

use super::{age_on, format_address, Alarm, CampaignResult};
use crate::china_time::china_today;

/// How many recent requests, calls, voice messages and campaign results a card carries.
pub const HISTORY_REQUESTS: usize = 10;
/// See [`HISTORY_REQUESTS`].
pub const HISTORY_CALLS: usize = 5;
/// See [`HISTORY_REQUESTS`].
pub const HISTORY_VOICE_MESSAGES: usize = 5;
/// See [`HISTORY_REQUESTS`].
pub const HISTORY_CAMPAIGNS: usize = 5;

/// Bungalow (平房) or flat (楼房).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Dwelling {
    /// 平房: a courtyard house on a hutong.
    Bungalow,
    /// 楼房: a flat in a numbered building.
    Flat,
}

impl Dwelling {
    /// Database text.
    pub fn as_str(self) -> &'static str {
        match self {
            Dwelling::Bungalow => "bungalow",
            Dwelling::Flat => "flat",
        }
    }
    /// Parses database text or the Chinese words.
    pub fn parse(s: &str) -> Option<Dwelling> {
        match s.trim() {
            "bungalow" | "平房" => Some(Dwelling::Bungalow),
            "flat" | "楼房" => Some(Dwelling::Flat),
            _ => None,
        }
    }
    /// Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            Dwelling::Bungalow => "平房",
            Dwelling::Flat => "楼房",
        }
    }
}

/// Sex of a resident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    /// 女.
    Female,
    /// 男.
    Male,
}

impl Sex {
    /// Database text (`F` / `M`).
    pub fn as_str(self) -> &'static str {
        match self {
            Sex::Female => "F",
            Sex::Male => "M",
        }
    }
    /// Parses `F`/`M`, `female`/`male` or 女/男.
    pub fn parse(s: &str) -> Option<Sex> {
        match s.trim() {
            "F" | "f" | "female" | "女" => Some(Sex::Female),
            "M" | "m" | "male" | "男" => Some(Sex::Male),
            _ => None,
        }
    }
    /// Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            Sex::Female => "女",
            Sex::Male => "男",
        }
    }
}

/// The block a household belongs to and its captain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BlockInfo {
    /// Row id.
    pub id: i64,
    /// Block name (第一片区).
    pub name: String,
    /// Captain's staff account, if any.
    pub captain_staff_id: Option<i64>,
    /// Captain's name.
    pub captain_name: Option<String>,
    /// Captain's phone.
    pub captain_phone: Option<String>,
}

/// One member of a household.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Member {
    /// Resident id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Sex.
    pub sex: Sex,
    /// Date of birth, when known.
    pub dob: Option<NaiveDate>,
    /// Age in whole years on the day of the lookup (China time).
    pub age: Option<u32>,
    /// Work.
    pub work: String,
    /// Skills and hobbies.
    pub skills: String,
    /// Notes.
    pub notes: String,
    /// This member owns the number that was looked up.
    pub owns_number: bool,
}

/// A number of a household.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PhoneEntry {
    /// Normalized number.
    pub number: String,
    /// As entered.
    pub raw: String,
    /// Landline, mobile, other.
    pub kind: NumberKind,
    /// Owner, when it is one member's own number.
    pub resident_id: Option<i64>,
}

/// A service request in the history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RequestSummary {
    /// Request id.
    pub id: i64,
    /// Intake time.
    pub created: DateTime<Utc>,
    /// phone / walk_in / visit.
    pub channel: String,
    /// Category item (某一项).
    pub category_item: String,
    /// Category class (某一类).
    pub category_class: String,
    /// What was asked.
    pub content: String,
    /// Still open.
    pub open: bool,
    /// Tracking colour at `now` (closed: at closing time).
    pub alarm: Alarm,
    /// Deadline.
    pub deadline: DateTime<Utc>,
    /// Result, when closed.
    pub result: String,
    /// Closing time.
    pub closed: Option<DateTime<Utc>>,
    /// Workflow stage.
    pub stage: crate::Stage,
    /// What the resident said when the result was reported back.
    pub feedback: Option<crate::FeedbackResult>,
}

/// A call in the history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CallSummary {
    /// Call id.
    pub id: i64,
    /// Arrival.
    pub arrived: DateTime<Utc>,
    /// In / out.
    pub direction: Direction,
    /// Outcome.
    pub outcome: Option<CallOutcome>,
    /// Operator's display name.
    pub operator: Option<String>,
}

/// A voice message in the history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VoiceMessageSummary {
    /// Id.
    pub id: i64,
    /// When.
    pub created: DateTime<Utc>,
    /// Length.
    pub duration_ms: u64,
    /// Not yet handled.
    pub open: bool,
}

/// Everything about one household, for the operator's screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HouseholdCard {
    /// Household id.
    pub household_id: i64,
    /// The committee's household code.
    pub code: String,
    /// Full address text (内务部街甲42号, 朝阳门北小街3号楼2单元501).
    pub address: String,
    /// Street.
    pub street: String,
    /// Number on the street.
    pub number: String,
    /// Building.
    pub building: String,
    /// Unit.
    pub unit: String,
    /// Room.
    pub room: String,
    /// Bungalow or flat.
    pub dwelling: Dwelling,
    /// Household notes.
    pub notes: String,
    /// Block and captain.
    pub block: Option<BlockInfo>,
    /// Members, in entry order.
    pub members: Vec<Member>,
    /// All numbers of the household.
    pub phones: Vec<PhoneEntry>,
    /// Phone groups the household is in.
    pub groups: Vec<String>,
    /// Recent requests, newest first.
    pub requests: Vec<RequestSummary>,
    /// Recent calls, newest first.
    pub calls: Vec<CallSummary>,
    /// Recent voice messages, newest first.
    pub voice_messages: Vec<VoiceMessageSummary>,
    /// Recent group-call results, newest first.
    pub campaign_results: Vec<CampaignResult>,
}

pub(super) fn card(
    c: &Connection,
    hh: i64,
    owners: &[i64],
    now: DateTime<Utc>,
) -> Result<Option<HouseholdCard>> {
    let today = china_today(now);
    let head = c
        .prepare_cached(
            "SELECT h.code, h.street, h.number, h.building, h.unit, h.room, h.dwelling, h.notes,
                    b.id, b.name, b.captain_staff_id, b.captain_name, b.captain_phone
             FROM households h LEFT JOIN blocks b ON b.id = h.block_id WHERE h.id = ?1",
        )?
        .query_row([hh], |r| {
            let block = match r.get::<_, Option<i64>>(8)? {
                Some(id) => Some(BlockInfo {
                    id,
                    name: r.get(9)?,
                    captain_staff_id: r.get(10)?,
                    captain_name: r.get(11)?,
                    captain_phone: r.get(12)?,
                }),
                None => None,
            };
            let (street, number, building, unit, room): (String, String, String, String, String) =
                (r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?);
            Ok(HouseholdCard {
                household_id: hh,
                code: r.get(0)?,
                address: format_address(&street, &number, &building, &unit, &room),
                street,
                number,
                building,
                unit,
                room,
                dwelling: Dwelling::parse(&r.get::<_, String>(6)?).unwrap_or(Dwelling::Flat),
                notes: r.get(7)?,
                block,
                members: Vec::new(),
                phones: Vec::new(),
                groups: Vec::new(),
                requests: Vec::new(),
                calls: Vec::new(),
                voice_messages: Vec::new(),
                campaign_results: Vec::new(),
            })
        })
        .optional()?;
    let Some(mut card) = head else {
        return Ok(None);
    };

    let mut st = c.prepare_cached(
        "SELECT id, name, sex, dob, work, skills, notes FROM residents WHERE household_id = ?1 ORDER BY id",
    )?;
    let mut rows = st.query([hh])?;
    while let Some(r) = rows.next()? {
        let id: i64 = r.get(0)?;
        let dob = r
            .get::<_, Option<String>>(3)?
            .and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok());
        card.members.push(Member {
            id,
            name: r.get(1)?,
            sex: Sex::parse(&r.get::<_, String>(2)?).unwrap_or(Sex::Female),
            dob,
            age: dob.map(|d| age_on(d, today)),
            work: r.get(4)?,
            skills: r.get(5)?,
            notes: r.get(6)?,
            owns_number: owners.contains(&id),
        });
    }

    let mut st = c.prepare_cached(
        "SELECT normalized, raw, kind, resident_id FROM phones WHERE household_id = ?1 ORDER BY id",
    )?;
    let mut rows = st.query([hh])?;
    while let Some(r) = rows.next()? {
        card.phones.push(PhoneEntry {
            number: r.get(0)?,
            raw: r.get(1)?,
            kind: NumberKind::parse(&r.get::<_, String>(2)?).unwrap_or(NumberKind::Other),
            resident_id: r.get(3)?,
        });
    }

    let mut st = c.prepare_cached(
        "SELECT g.name FROM group_members m JOIN phone_groups g ON g.id = m.group_id
         WHERE m.household_id = ?1 ORDER BY g.id",
    )?;
    let mut rows = st.query([hh])?;
    while let Some(r) = rows.next()? {
        card.groups.push(r.get(0)?);
    }

    let mut st = c.prepare_cached(
        "SELECT id, created_ms, channel, category_item, category_class, content, status,
                level1_ms, deadline_ms, result, closed_ms, stage, feedback_result
         FROM requests WHERE household_id = ?1 ORDER BY created_ms DESC, id DESC LIMIT 10",
    )?;
    let mut rows = st.query([hh])?;
    while let Some(r) = rows.next()? {
        let level1 = from_ms(r.get(7)?);
        let deadline = from_ms(r.get(8)?);
        let closed = r.get::<_, Option<i64>>(10)?.map(from_ms);
        card.requests.push(RequestSummary {
            id: r.get(0)?,
            created: from_ms(r.get(1)?),
            channel: r.get(2)?,
            category_item: r.get(3)?,
            category_class: r.get(4)?,
            content: r.get(5)?,
            open: r.get::<_, String>(6)? == "open",
            alarm: Alarm::at(level1, deadline, closed, now),
            deadline,
            result: r.get(9)?,
            closed,
            stage: crate::Stage::parse(&r.get::<_, String>(11)?).unwrap_or(crate::Stage::New),
            feedback: r
                .get::<_, Option<String>>(12)?
                .as_deref()
                .and_then(crate::FeedbackResult::parse),
        });
    }

    let mut st = c.prepare_cached(
        "SELECT c.id, c.arrived_ms, c.direction, c.outcome, s.display_name
         FROM calls c LEFT JOIN staff s ON s.id = c.operator_staff_id
         WHERE c.household_id = ?1 ORDER BY c.arrived_ms DESC, c.id DESC LIMIT 5",
    )?;
    let mut rows = st.query([hh])?;
    while let Some(r) = rows.next()? {
        card.calls.push(CallSummary {
            id: r.get(0)?,
            arrived: from_ms(r.get(1)?),
            direction: if r.get::<_, String>(2)? == "out" {
                Direction::Out
            } else {
                Direction::In
            },
            outcome: r
                .get::<_, Option<String>>(3)?
                .as_deref()
                .and_then(CallOutcome::parse),
            operator: r.get(4)?,
        });
    }

    let mut st = c.prepare_cached(
        "SELECT id, created_ms, duration_ms, status FROM voice_messages
         WHERE household_id = ?1 ORDER BY created_ms DESC, id DESC LIMIT 5",
    )?;
    let mut rows = st.query([hh])?;
    while let Some(r) = rows.next()? {
        card.voice_messages.push(VoiceMessageSummary {
            id: r.get(0)?,
            created: from_ms(r.get(1)?),
            duration_ms: r.get::<_, i64>(2)?.max(0) as u64,
            open: r.get::<_, String>(3)? == "open",
        });
    }

    card.campaign_results = campaign_results(c, hh, HISTORY_CAMPAIGNS)?;
    Ok(Some(card))
}

//! The screen pop: everything an operator needs about a caller, found from the caller ID.
//!
//! [`Store::screen_pop`] looks the normalized number up in the `phones` index and builds
//! one [`HouseholdCard`] per household that owns it: zero cards means an unknown caller,
//! more than one a shared number (a landline listed for two households, a relative's
//! mobile). Each card carries the address, block and captain, members with their ages,
//! groups and recent service history. Every query is a cached prepared statement on an
//! indexed column, so a lookup takes tens of microseconds even with a million residents.
//!
//! Ages and alarm colours depend on the time: the caller passes `now`, and "today" is the
//! date in China (UTC+8, no daylight saving).

use crate::callerid::{CallerId, NumberKind};
use crate::calls::{CallOutcome, Direction};
use crate::campaign_history::campaign_results;
pub use crate::campaign_history::CampaignResult;
use crate::db::{audit, from_ms, ms};
use crate::household_scope::HouseholdScope;
use crate::{Result, Store, StoreError};
use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

/// How many recent requests, calls, voice messages and campaign results a card carries.
pub const HISTORY_REQUESTS: usize = 10;
/// See [`HISTORY_REQUESTS`].
pub const HISTORY_CALLS: usize = 5;
/// See [`HISTORY_REQUESTS`].
pub const HISTORY_VOICE_MESSAGES: usize = 5;
/// See [`HISTORY_REQUESTS`].
pub const HISTORY_CAMPAIGNS: usize = 5;

/// Tracking alarm colour of a request (seed 000: green, orange, red).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Alarm {
    /// Done (or still open) before the level-1 time.
    Green,
    /// Past level 1, not past the deadline.
    Orange,
    /// Past the deadline (and it stays red while open).
    Red,
}

impl Alarm {
    /// The colour at `now` of a request with these times; a closed request keeps the
    /// colour it had when it was closed.
    pub fn at(
        level1: DateTime<Utc>,
        deadline: DateTime<Utc>,
        closed: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Alarm {
        let t = closed.unwrap_or(now);
        if t < level1 {
            Alarm::Green
        } else if t <= deadline {
            Alarm::Orange
        } else {
            Alarm::Red
        }
    }

    /// Chinese label (绿/橙/红).
    pub fn label_zh(self) -> &'static str {
        match self {
            Alarm::Green => "绿",
            Alarm::Orange => "橙",
            Alarm::Red => "红",
        }
    }
}

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

/// The screen-pop record for one caller ID.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScreenPop {
    /// The caller ID as normalized.
    pub caller: CallerId,
    /// Households owning the number: none = unknown caller, several = shared number.
    pub matches: Vec<HouseholdCard>,
}

/// One household found by [`Store::search_households`] (name, address, code or number).
///
/// Serialized, it is what consoles get from the desk's household search
/// (`docs/desk-protocol.md`): `id`, `address`, `block`, `captain`, `members`, `numbers`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HouseholdHit {
    /// Household id (used to attach a number).
    pub id: i64,
    /// Household code (shown by the CLI; not part of the consoles' search result).
    #[serde(skip)]
    pub code: String,
    /// Full address as shown to staff.
    pub address: String,
    /// Block (片区) name, if assigned.
    pub block: Option<String>,
    /// Block captain's name, if any.
    pub captain: Option<String>,
    /// Members' names.
    pub members: Vec<String>,
    /// The household's numbers, normalized.
    pub numbers: Vec<String>,
}

/// The scope condition of the search's `household_id` queries (`?3`: the captain's
/// staff id, `NULL` for every household).
const IN_SCOPE: &str = "(?3 IS NULL OR household_id IN (SELECT h.id FROM households h JOIN blocks b ON b.id = h.block_id WHERE b.captain_staff_id = ?3))";

/// Builds the address text from its parts.
pub fn format_address(
    street: &str,
    number: &str,
    building: &str,
    unit: &str,
    room: &str,
) -> String {
    let mut s = String::with_capacity(48);
    s.push_str(street);
    if !number.is_empty() {
        s.push_str(number);
        s.push('号');
    }
    if !building.is_empty() {
        s.push_str(building);
        s.push_str("号楼");
    }
    if !unit.is_empty() {
        s.push_str(unit);
        s.push_str("单元");
    }
    if !room.is_empty() {
        s.push_str(room);
        if !building.is_empty() {
            s.push('室');
        }
    }
    s
}

/// Whole years between `dob` and `today` (0 for a future date of birth).
pub fn age_on(dob: NaiveDate, today: NaiveDate) -> u32 {
    let mut years = today.year() - dob.year();
    if (today.month(), today.day()) < (dob.month(), dob.day()) {
        years -= 1;
    }
    years.max(0) as u32
}

/// The date in China at `now`.
pub fn china_today(now: DateTime<Utc>) -> NaiveDate {
    let cst = FixedOffset::east_opt(8 * 3600)
        .unwrap_or_else(|| FixedOffset::east_opt(0).expect("zero offset"));
    now.with_timezone(&cst).date_naive()
}

impl Store {
    /// The screen pop for a caller ID at time `now`. Anonymous and invalid caller IDs give
    /// no matches (the console then offers search and attach).
    pub fn screen_pop(&self, caller: &CallerId, now: DateTime<Utc>) -> Result<ScreenPop> {
        let Some(number) = caller.number() else {
            return Ok(ScreenPop {
                caller: caller.clone(),
                matches: Vec::new(),
            });
        };
        self.read_snapshot(|c| {
            let mut owners: Vec<(i64, Vec<i64>)> = Vec::new();
            {
                let mut st = c.prepare_cached(
                    "SELECT household_id, resident_id FROM phones WHERE normalized = ?1 ORDER BY household_id",
                )?;
                let mut rows = st.query([&number.number])?;
                while let Some(r) = rows.next()? {
                    let hh: i64 = r.get(0)?;
                    let res: Option<i64> = r.get(1)?;
                    match owners.last_mut() {
                        Some((h, v)) if *h == hh => v.extend(res),
                        _ => owners.push((hh, res.into_iter().collect())),
                    }
                }
            }
            let mut matches = Vec::with_capacity(owners.len());
            for (hh, res) in owners {
                if let Some(card) = card(c, hh, &res, now)? {
                    matches.push(card);
                }
            }
            Ok(ScreenPop {
                caller: caller.clone(),
                matches,
            })
        })
    }

    /// The card of one household (e.g. after a search), at time `now`.
    pub fn household(
        &self,
        household_id: i64,
        now: DateTime<Utc>,
    ) -> Result<Option<HouseholdCard>> {
        self.read_snapshot(|c| card(c, household_id, &[], now))
    }

    /// Households whose member name, address or code contains `query`, or that own the
    /// number `query` stands for; at most `limit`.
    pub fn search_households(&self, query: &str, limit: usize) -> Result<Vec<HouseholdHit>> {
        self.search_households_in(query, limit, HouseholdScope::All)
    }

    /// Like [`search_households`](Self::search_households), only within `scope` (a
    /// captain's blocks), limited inside the query.
    pub fn search_households_in(
        &self,
        query: &str,
        limit: usize,
        scope: HouseholdScope,
    ) -> Result<Vec<HouseholdHit>> {
        let captain = scope.captain();
        let q = query.trim();
        if q.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        let number = self.normalize(q);
        self.read(|c| {
            let mut ids: Vec<i64> = Vec::new();
            let lim = limit as i64;
            if let Some(n) = number.number() {
                let mut st = c.prepare_cached(&format!("SELECT DISTINCT household_id FROM phones WHERE normalized = ?1 AND {IN_SCOPE} LIMIT ?2"))?;
                for id in st.query_map(params![n.number, lim, captain], |r| r.get(0))? {
                    ids.push(id?);
                }
            }
            let pattern = format!("%{}%", q.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
            let mut st = c.prepare_cached(&format!(
                "SELECT DISTINCT household_id FROM residents WHERE name LIKE ?1 ESCAPE '\\' AND {IN_SCOPE} LIMIT ?2",
            ))?;
            for id in st.query_map(params![pattern, lim, captain], |r| r.get(0))? {
                ids.push(id?);
            }
            let mut st = c.prepare_cached(
                "SELECT id FROM households WHERE (code = ?3 OR
                    (street || number || '号' || building || unit || room) LIKE ?1 ESCAPE '\\'
                    OR (street || number || '号' || building || '号楼' || unit || '单元' || room) LIKE ?1 ESCAPE '\\')
                    AND (?4 IS NULL OR block_id IN (SELECT id FROM blocks WHERE captain_staff_id = ?4))
                 LIMIT ?2",
            )?;
            for id in st.query_map(params![pattern, lim, q, captain], |r| r.get(0))? {
                ids.push(id?);
            }
            let mut seen = std::collections::HashSet::new();
            ids.retain(|i| seen.insert(*i));
            ids.truncate(limit);
            let mut out = Vec::with_capacity(ids.len());
            for id in ids {
                let head = c
                    .prepare_cached(
                        "SELECT h.code, h.street, h.number, h.building, h.unit, h.room, b.name, b.captain_name
                         FROM households h LEFT JOIN blocks b ON b.id = h.block_id WHERE h.id = ?1",
                    )?
                    .query_row([id], |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            format_address(
                                &r.get::<_, String>(1)?,
                                &r.get::<_, String>(2)?,
                                &r.get::<_, String>(3)?,
                                &r.get::<_, String>(4)?,
                                &r.get::<_, String>(5)?,
                            ),
                            r.get::<_, Option<String>>(6)?,
                            r.get::<_, Option<String>>(7)?,
                        ))
                    })
                    .optional()?;
                let Some((code, address, block, captain)) = head else { continue };
                let members = c
                    .prepare_cached("SELECT name FROM residents WHERE household_id = ?1 ORDER BY id")?
                    .query_map([id], |r| r.get(0))?
                    .collect::<rusqlite::Result<Vec<String>>>()?;
                let numbers = c
                    .prepare_cached("SELECT normalized FROM phones WHERE household_id = ?1 ORDER BY id")?
                    .query_map([id], |r| r.get(0))?
                    .collect::<rusqlite::Result<Vec<String>>>()?;
                out.push(HouseholdHit { id, code, address, block, captain, members, numbers });
            }
            Ok(out)
        })
    }

    /// Attaches a number to a household (an operator recognised an unknown caller);
    /// audited. Returns the normalized number. Attaching a number twice is a no-op.
    pub fn attach_number(
        &self,
        household_id: i64,
        raw: &str,
        staff_id: i64,
    ) -> Result<crate::Normalized> {
        let n = match self.normalize(raw) {
            CallerId::Number(n) => n,
            _ => return Err(StoreError::InvalidNumber(raw.to_string())),
        };
        self.write(|tx| {
            let exists: Option<i64> = tx
                .prepare_cached("SELECT id FROM households WHERE id = ?1")?
                .query_row([household_id], |r| r.get(0))
                .optional()?;
            if exists.is_none() {
                return Err(StoreError::NotFound(format!("household {household_id}")));
            }
            let added = tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO phones (household_id, raw, normalized, kind, created_ms)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )?
                .execute(params![
                    household_id,
                    raw,
                    n.number,
                    n.kind.as_str(),
                    ms(Utc::now())
                ])?;
            if added > 0 {
                audit(
                    tx,
                    Some(staff_id),
                    "attach_number",
                    &format!("household:{household_id}"),
                    &n.number,
                )?;
            }
            Ok(())
        })?;
        Ok(n)
    }
}

fn card(
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

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(d: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + chrono::Duration::days(d)
    }

    #[test]
    fn alarm_colours_follow_seed_000() {
        // Deadline 8 days, level 1 at 5 days.
        let (l1, dl) = (t(5), t(8));
        assert_eq!(Alarm::at(l1, dl, None, t(0)), Alarm::Green);
        assert_eq!(
            Alarm::at(l1, dl, None, t(4) + chrono::Duration::hours(23)),
            Alarm::Green
        );
        assert_eq!(Alarm::at(l1, dl, None, t(5)), Alarm::Orange);
        assert_eq!(Alarm::at(l1, dl, None, t(7)), Alarm::Orange);
        assert_eq!(Alarm::at(l1, dl, None, t(8)), Alarm::Orange);
        assert_eq!(
            Alarm::at(l1, dl, None, t(8) + chrono::Duration::seconds(1)),
            Alarm::Red
        );
        assert_eq!(Alarm::at(l1, dl, None, t(400)), Alarm::Red);
        // Closed: the colour it had when closed, forever.
        assert_eq!(Alarm::at(l1, dl, Some(t(3)), t(400)), Alarm::Green);
        assert_eq!(Alarm::at(l1, dl, Some(t(6)), t(400)), Alarm::Orange);
        assert_eq!(Alarm::at(l1, dl, Some(t(9)), t(400)), Alarm::Red);
    }

    #[test]
    fn ages_count_birthdays_in_china_time() {
        let dob = NaiveDate::from_ymd_opt(1982, 3, 10).unwrap();
        assert_eq!(
            age_on(dob, NaiveDate::from_ymd_opt(2026, 3, 9).unwrap()),
            43
        );
        assert_eq!(
            age_on(dob, NaiveDate::from_ymd_opt(2026, 3, 10).unwrap()),
            44
        );
        assert_eq!(age_on(dob, NaiveDate::from_ymd_opt(1980, 1, 1).unwrap()), 0);
        // 2026-03-09 17:00 UTC is already 03-10 in Beijing.
        let now = Utc.with_ymd_and_hms(2026, 3, 9, 17, 0, 0).unwrap();
        assert_eq!(
            china_today(now),
            NaiveDate::from_ymd_opt(2026, 3, 10).unwrap()
        );
        let leap = NaiveDate::from_ymd_opt(2000, 2, 29).unwrap();
        assert_eq!(
            age_on(leap, NaiveDate::from_ymd_opt(2026, 2, 28).unwrap()),
            25
        );
        assert_eq!(
            age_on(leap, NaiveDate::from_ymd_opt(2026, 3, 1).unwrap()),
            26
        );
    }

    #[test]
    fn address_text() {
        assert_eq!(
            format_address("内务部街", "甲42", "", "", ""),
            "内务部街甲42号"
        );
        assert_eq!(
            format_address("朝阳门北小街", "8", "3", "2", "501"),
            "朝阳门北小街8号3号楼2单元501室"
        );
    }
}

//! Service requests (诉求) in the database: recording one from any of the three channels,
//! reading one with its timeline, and listing them (mine, a household's, the orange and
//! red ones). Changing one is `request_actions`; the rules it follows are
//! `request_rules`.
//!
//! Every write is one transaction with its `request_events` row and its `audit` row.
//! Times come from the caller (`now`), so tests and the alarm sweep control the clock.

use chrono::{DateTime, Duration, Utc};
use rusqlite::{params, params_from_iter, Connection, OptionalExtension, Row};
use serde::Serialize;
use serde_json::{json, Value};

use crate::db::{audit, from_ms, ms};
use crate::request_rules::{may_create, Actor, RequestRefused, RequestState, MAX_TEXT};
use crate::request_stage::{Channel, FeedbackResult, Stage};
use crate::screen::{format_address, Alarm};
use crate::{Result, Store, StoreError};

/// A request to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRequest {
    /// The resident's household (`None`: an unknown caller, named below).
    pub household_id: Option<i64>,
    /// The resident, a member of the household.
    pub resident_id: Option<i64>,
    /// How it came in.
    pub channel: Channel,
    /// Category item (某一项), one of the active categories.
    pub category_item: String,
    /// Category class (某一类); `""` for the item itself.
    pub category_class: String,
    /// Grade 1 (normal) to 3 (urgent).
    pub grade: i64,
    /// What is asked.
    pub content: String,
    /// Responsible staff member; by default the household's block captain.
    pub responsible_staff_id: Option<i64>,
    /// An unknown caller's name.
    pub caller_name: String,
    /// An unknown caller's number.
    pub caller_number: String,
    /// The consoles' id of the hotline call it came from (`call.ringing`'s `call_id`).
    pub desk_call_id: Option<String>,
    /// The voice message it is made from: its clock starts when the message was left,
    /// its household and number are taken from it, and the message is marked handled.
    pub voice_message_id: Option<i64>,
}

impl NewRequest {
    /// A request with the required fields and everything else empty.
    pub fn new(channel: Channel, category_item: &str, content: &str) -> NewRequest {
        NewRequest {
            household_id: None,
            resident_id: None,
            channel,
            category_item: category_item.to_owned(),
            category_class: String::new(),
            grade: 1,
            content: content.to_owned(),
            responsible_staff_id: None,
            caller_name: String::new(),
            caller_number: String::new(),
            desk_call_id: None,
            voice_message_id: None,
        }
    }
}

/// One request as staff see it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RequestRecord {
    /// Request id.
    pub id: i64,
    /// Household.
    pub household_id: Option<i64>,
    /// The household's address.
    pub address: Option<String>,
    /// Resident.
    pub resident_id: Option<i64>,
    /// The resident's name.
    pub resident_name: Option<String>,
    /// How it came in.
    pub channel: Channel,
    /// The consoles' id of the call it came from.
    pub call_id: Option<String>,
    /// Category item (某一项).
    pub category_item: String,
    /// Category class (某一类).
    pub category_class: String,
    /// Grade 1–3.
    pub grade: i64,
    /// What is asked.
    pub content: String,
    /// Workflow stage.
    pub stage: Stage,
    /// Still open (not resolved).
    pub open: bool,
    /// Tracking colour now (closed: when it closed).
    pub alarm: Alarm,
    /// Responsible staff member.
    pub responsible_staff_id: Option<i64>,
    /// Their name.
    pub responsible_name: Option<String>,
    /// Captain of the household's block at intake.
    pub captain_staff_id: Option<i64>,
    /// Their name.
    pub captain_name: Option<String>,
    /// Who recorded it.
    pub created_by: Option<i64>,
    /// Intake time (a voice message's: when it was left).
    pub created_at: DateTime<Utc>,
    /// Orange from here.
    pub level1_at: DateTime<Utc>,
    /// Red after here.
    pub deadline_at: DateTime<Utc>,
    /// 0 block, 1 committee, 2 a department of the street office.
    pub escalation_level: i64,
    /// Department in charge.
    pub department_id: Option<i64>,
    /// Its name.
    pub department_name: Option<String>,
    /// When the department must answer.
    pub department_due_at: Option<DateTime<Utc>>,
    /// An unknown caller's name.
    pub caller_name: String,
    /// An unknown caller's number.
    pub caller_number: String,
    /// The result, once resolved.
    pub result: String,
    /// When it closed.
    pub closed_at: Option<DateTime<Utc>>,
    /// Who closed it.
    pub closed_by: Option<i64>,
    /// What the resident said about the result.
    pub feedback_result: Option<FeedbackResult>,
    /// How they were asked.
    pub feedback_how: Option<String>,
    /// Who asked.
    pub feedback_by: Option<i64>,
    /// When.
    pub feedback_at: Option<DateTime<Utc>>,
}

impl RequestRecord {
    /// The category as staff write it: `item.class`, or the item alone ("某一项.某一类").
    pub fn category_label(&self) -> String {
        if self.category_class.is_empty() {
            self.category_item.clone()
        } else {
            format!("{}.{}", self.category_item, self.category_class)
        }
    }

    /// Who asked, as a task sheet names them: the resident with the address, the
    /// address alone, or an unknown caller's name and number.
    pub fn requester_label(&self) -> String {
        match (&self.address, &self.resident_name) {
            (Some(a), Some(n)) => format!("{n}（{a}）"),
            (Some(a), None) => a.clone(),
            _ => format!("{} {}", self.caller_name, self.caller_number)
                .trim()
                .to_owned(),
        }
    }

    /// The part of the record the workflow rules look at.
    pub fn state(&self) -> RequestState {
        RequestState {
            stage: self.stage,
            responsible_staff_id: self.responsible_staff_id,
            captain_staff_id: self.captain_staff_id,
            escalation_level: self.escalation_level,
            department_id: self.department_id,
            department_due: self.department_due_at,
            level1: self.level1_at,
            deadline: self.deadline_at,
            result: self.result.clone(),
            closed: self.closed_at,
            closed_by: self.closed_by,
            feedback: self.feedback_result,
            feedback_how: self.feedback_how.clone(),
            feedback_by: self.feedback_by,
            feedback_at: self.feedback_at,
        }
    }
}

/// One entry of a request's timeline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RequestEvent {
    /// Row id.
    pub id: i64,
    /// Who (`None`: the command line).
    pub staff_id: Option<i64>,
    /// Their name.
    pub staff_name: Option<String>,
    /// When.
    pub at: DateTime<Utc>,
    /// `created`, `assigned`, `started`, `escalated`, `resolved`, `feedback`,
    /// `reopened`, `thresholds`, `note`.
    pub kind: String,
    /// What changed: field → `[old, new]`.
    pub changes: Value,
    /// The note.
    pub note: String,
}

/// A request with its timeline, oldest entry first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RequestDetail {
    /// The request.
    pub request: RequestRecord,
    /// Its timeline.
    pub events: Vec<RequestEvent>,
}

/// Which requests to list. The default lists everything, newest first, at most 100.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestFilter {
    /// Only what this captain may see (their block's, or assigned to them).
    pub visible_to_captain: Option<i64>,
    /// Only this responsible staff member's.
    pub responsible: Option<i64>,
    /// Only this household's.
    pub household_id: Option<i64>,
    /// Only open ones.
    pub open_only: bool,
    /// Only in this stage.
    pub stage: Option<Stage>,
    /// Only open ones of these colours now (empty: any); listed most urgent first.
    pub alarms: Vec<Alarm>,
    /// Only this category item.
    pub category_item: Option<String>,
    /// Only the manual return-visit list: resolved, no feedback yet or the resident was
    /// not reached, and no automatic return visit queued or under way.
    pub return_visit_due: bool,
    /// At most this many.
    pub limit: usize,
}

impl Default for RequestFilter {
    fn default() -> Self {
        RequestFilter {
            visible_to_captain: None,
            responsible: None,
            household_id: None,
            open_only: false,
            stage: None,
            alarms: Vec::new(),
            category_item: None,
            return_visit_due: false,
            limit: 100,
        }
    }
}

/// An open request's alarm times and people, for the alarm sweep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenRequest {
    /// Request id.
    pub id: i64,
    /// Orange from here.
    pub level1: DateTime<Utc>,
    /// Red after here.
    pub deadline: DateTime<Utc>,
    /// Responsible staff member.
    pub responsible_staff_id: Option<i64>,
    /// Block captain.
    pub captain_staff_id: Option<i64>,
}

const SELECT: &str = "SELECT r.id, r.household_id, h.street, h.number, h.building, h.unit, h.room,
        r.resident_id, res.name, r.channel, COALESCE(r.desk_call_id, k.desk_call_id),
        r.category_item, r.category_class, r.grade, r.content, r.stage,
        r.responsible_staff_id, rs.display_name, r.captain_staff_id, cs.display_name, r.created_by,
        r.created_ms, r.level1_ms, r.deadline_ms, r.escalation_level, r.department_id, d.name,
        r.department_due_ms, r.caller_name, r.caller_number, r.result, r.closed_ms, r.closed_by,
        r.feedback_result, r.feedback_how, r.feedback_by, r.feedback_ms
    FROM requests r
    LEFT JOIN households h ON h.id = r.household_id
    LEFT JOIN residents res ON res.id = r.resident_id
    LEFT JOIN staff rs ON rs.id = r.responsible_staff_id
    LEFT JOIN staff cs ON cs.id = r.captain_staff_id
    LEFT JOIN departments d ON d.id = r.department_id
    LEFT JOIN calls k ON k.id = r.call_id";

fn record_row(r: &Row<'_>, now: DateTime<Utc>) -> rusqlite::Result<RequestRecord> {
    let address = match r.get::<_, Option<String>>(2)? {
        Some(street) => Some(format_address(
            &street,
            &r.get::<_, String>(3)?,
            &r.get::<_, String>(4)?,
            &r.get::<_, String>(5)?,
            &r.get::<_, String>(6)?,
        )),
        None => None,
    };
    let stage = Stage::parse(&r.get::<_, String>(15)?).unwrap_or(Stage::New);
    let level1 = from_ms(r.get(22)?);
    let deadline = from_ms(r.get(23)?);
    let closed = r.get::<_, Option<i64>>(31)?.map(from_ms);
    Ok(RequestRecord {
        id: r.get(0)?,
        household_id: r.get(1)?,
        address,
        resident_id: r.get(7)?,
        resident_name: r.get(8)?,
        channel: Channel::parse(&r.get::<_, String>(9)?).unwrap_or(Channel::Phone),
        call_id: r.get(10)?,
        category_item: r.get(11)?,
        category_class: r.get(12)?,
        grade: r.get(13)?,
        content: r.get(14)?,
        stage,
        open: stage.is_open(),
        alarm: Alarm::at(level1, deadline, closed, now),
        responsible_staff_id: r.get(16)?,
        responsible_name: r.get(17)?,
        captain_staff_id: r.get(18)?,
        captain_name: r.get(19)?,
        created_by: r.get(20)?,
        created_at: from_ms(r.get(21)?),
        level1_at: level1,
        deadline_at: deadline,
        escalation_level: r.get(24)?,
        department_id: r.get(25)?,
        department_name: r.get(26)?,
        department_due_at: r.get::<_, Option<i64>>(27)?.map(from_ms),
        caller_name: r.get(28)?,
        caller_number: r.get(29)?,
        result: r.get(30)?,
        closed_at: closed,
        closed_by: r.get(32)?,
        feedback_result: r
            .get::<_, Option<String>>(33)?
            .as_deref()
            .and_then(FeedbackResult::parse),
        feedback_how: r.get(34)?,
        feedback_by: r.get(35)?,
        feedback_at: r.get::<_, Option<i64>>(36)?.map(from_ms),
    })
}

/// One request read on `c` (a reader, or the writer inside its transaction).
pub(crate) fn record(c: &Connection, id: i64, now: DateTime<Utc>) -> Result<Option<RequestRecord>> {
    Ok(c.prepare_cached(&format!("{SELECT} WHERE r.id = ?1"))?
        .query_row([id], |r| record_row(r, now))
        .optional()?)
}

/// Writes a timeline entry inside the caller's transaction.
pub(crate) fn event(
    c: &Connection,
    request: i64,
    actor: &Actor,
    now: DateTime<Utc>,
    kind: &str,
    changes: &Value,
    note: &str,
) -> Result<()> {
    c.prepare_cached(
        "INSERT INTO request_events (request_id, staff_id, at_ms, kind, changes, note)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        request,
        actor.staff_id,
        ms(now),
        kind,
        changes.to_string(),
        note
    ])?;
    Ok(())
}

/// Checks that `staff_id` is an active account, naming `field` if not.
pub(crate) fn active_staff(c: &Connection, staff_id: i64, field: &'static str) -> Result<()> {
    let active: Option<i64> = c
        .prepare_cached("SELECT active FROM staff WHERE id = ?1")?
        .query_row([staff_id], |r| r.get(0))
        .optional()?;
    match active {
        Some(1) => Ok(()),
        Some(_) => Err(RequestRefused::invalid(field, "该工作人员账号已停用").into()),
        None => Err(RequestRefused::invalid(field, "找不到该工作人员").into()),
    }
}

/// A voice message as a request made from it needs it: call, household, caller, time,
/// status.
type VoiceRow = (Option<i64>, Option<i64>, String, i64, String);

fn text(value: &str, field: &'static str, max: usize) -> Result<String> {
    let v = value.trim();
    if v.chars().count() > max {
        return Err(RequestRefused::invalid(field, format!("内容太长，最多{max}个字符")).into());
    }
    Ok(v.to_owned())
}

impl Store {
    /// Records a request by `actor` at `now`; returns its id. Thresholds come from the
    /// category; the responsible person defaults to the household's block captain (or
    /// the captain recording it). Refusals are [`StoreError::Refused`], naming the field.
    pub fn create_request(
        &self,
        new: &NewRequest,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        let content = text(&new.content, "content", MAX_TEXT)?;
        if content.is_empty() {
            return Err(RequestRefused::invalid("content", "请填写诉求内容").into());
        }
        if !(1..=3).contains(&new.grade) {
            return Err(RequestRefused::invalid("grade", "等级应为1（一般）到3（紧急）").into());
        }
        let caller_name = text(&new.caller_name, "caller_name", 40)?;
        let caller_number = text(&new.caller_number, "caller_number", 40)?;
        let item = text(&new.category_item, "category_item", 40)?;
        let class = text(&new.category_class, "category_class", 40)?;
        self.write(|tx| {
            let mut household = new.household_id;
            let mut created = now;
            let mut caller_number = caller_number.clone();
            let mut call_row: Option<i64> = None;
            let mut desk_call_id = new.desk_call_id.clone();
            if let Some(vm) = new.voice_message_id {
                let row: Option<VoiceRow> = tx
                    .prepare_cached(
                        "SELECT call_id, household_id, caller_raw, created_ms, status FROM voice_messages WHERE id = ?1",
                    )?
                    .query_row([vm], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
                    .optional()?;
                let Some((call, hh, raw, at, status)) = row else {
                    return Err(RequestRefused::invalid("voice_message_id", "找不到该留言").into());
                };
                if status != "open" {
                    return Err(RequestRefused::invalid("voice_message_id", "该留言已处理过").into());
                }
                household = household.or(hh);
                created = from_ms(at);
                if caller_number.is_empty() {
                    caller_number = raw;
                }
                call_row = call;
            }
            let captain = match household {
                Some(hh) => {
                    let row: Option<Option<i64>> = tx
                        .prepare_cached(
                            "SELECT b.captain_staff_id FROM households h LEFT JOIN blocks b ON b.id = h.block_id WHERE h.id = ?1",
                        )?
                        .query_row([hh], |r| r.get(0))
                        .optional()?;
                    match row {
                        Some(c) => c,
                        None => return Err(RequestRefused::invalid("household_id", "找不到该住户").into()),
                    }
                }
                None => None,
            };
            if household.is_none() && caller_name.is_empty() && caller_number.is_empty() {
                return Err(RequestRefused::invalid(
                    "household_id",
                    "请选择住户，或填写来电人姓名或电话",
                )
                .into());
            }
            if !may_create(actor, household, captain) {
                return Err(RequestRefused::forbidden(
                    "household_id",
                    "包片主任只能为本片区的住户登记诉求",
                )
                .into());
            }
            if let Some(res) = new.resident_id {
                let of: Option<i64> = tx
                    .prepare_cached("SELECT household_id FROM residents WHERE id = ?1")?
                    .query_row([res], |r| r.get(0))
                    .optional()?;
                if of.is_none() || of != household {
                    return Err(RequestRefused::invalid("resident_id", "该居民不是所选住户的成员").into());
                }
            }
            let days: Option<(i64, i64)> = tx
                .prepare_cached(
                    "SELECT level1_days, deadline_days FROM request_categories
                     WHERE item = ?1 AND class = ?2 AND active = 1",
                )?
                .query_row(params![item, class], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            let Some((level1_days, deadline_days)) = days else {
                let name = if class.is_empty() { item.clone() } else { format!("{item}.{class}") };
                return Err(RequestRefused::invalid(
                    "category_item",
                    format!("没有这个诉求类别：{name}"),
                )
                .into());
            };
            if let Some(staff) = new.responsible_staff_id {
                active_staff(tx, staff, "responsible_staff_id")?;
            }
            let responsible = new.responsible_staff_id.or(captain).or(match actor.role {
                crate::Role::Captain => actor.staff_id,
                _ => None,
            });
            if let Some(id) = &desk_call_id {
                if call_row.is_none() {
                    call_row = tx
                        .prepare_cached("SELECT id FROM calls WHERE desk_call_id = ?1 ORDER BY id DESC LIMIT 1")?
                        .query_row([id], |r| r.get(0))
                        .optional()?;
                }
            } else if let Some(call) = call_row {
                desk_call_id = tx
                    .prepare_cached("SELECT desk_call_id FROM calls WHERE id = ?1")?
                    .query_row([call], |r| r.get(0))
                    .optional()?
                    .flatten();
            }
            let stage = if responsible.is_some() { Stage::Assigned } else { Stage::New };
            let level1 = created + Duration::days(level1_days);
            let deadline = created + Duration::days(deadline_days);
            tx.prepare_cached(
                "INSERT INTO requests (household_id, resident_id, channel, call_id, category_item, category_class,
                    grade, content, responsible_staff_id, captain_staff_id, created_by, created_ms, level1_ms,
                    deadline_ms, status, stage, caller_name, caller_number, desk_call_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, 'open', ?15, ?16, ?17, ?18)",
            )?
            .execute(params![
                household,
                new.resident_id,
                new.channel.as_str(),
                call_row,
                item,
                class,
                new.grade,
                content,
                responsible,
                captain,
                actor.staff_id,
                ms(created),
                ms(level1),
                ms(deadline),
                stage.as_str(),
                caller_name,
                caller_number,
                desk_call_id
            ])?;
            let id = tx.last_insert_rowid();
            let changes = json!({
                "stage": [null, stage],
                "responsible_staff_id": [null, responsible],
                "level1_at": [null, level1],
                "deadline_at": [null, deadline],
            });
            event(tx, id, actor, now, "created", &changes, "")?;
            if let Some(vm) = new.voice_message_id {
                tx.prepare_cached(
                    "UPDATE voice_messages SET status = 'handled', handled_by = ?2, handled_ms = ?3, request_id = ?4
                     WHERE id = ?1",
                )?
                .execute(params![vm, actor.staff_id, ms(now), id])?;
                audit(tx, actor.staff_id, "handle", &format!("voice_message:{vm}"), &format!("request:{id}"))?;
            }
            audit(tx, actor.staff_id, "request.create", &format!("request:{id}"), &changes.to_string())?;
            Ok(id)
        })
    }

    /// One request, its alarm colour at `now`.
    pub fn request(&self, id: i64, now: DateTime<Utc>) -> Result<Option<RequestRecord>> {
        self.read(|c| record(c, id, now))
    }

    /// One request with its timeline.
    pub fn request_detail(&self, id: i64, now: DateTime<Utc>) -> Result<Option<RequestDetail>> {
        self.read_snapshot(|c| {
            let Some(request) = record(c, id, now)? else {
                return Ok(None);
            };
            let mut st = c.prepare_cached(
                "SELECT e.id, e.staff_id, s.display_name, e.at_ms, e.kind, e.changes, e.note
                 FROM request_events e LEFT JOIN staff s ON s.id = e.staff_id
                 WHERE e.request_id = ?1 ORDER BY e.at_ms, e.id",
            )?;
            let events = st
                .query_map([id], |r| {
                    let changes: String = r.get(5)?;
                    Ok(RequestEvent {
                        id: r.get(0)?,
                        staff_id: r.get(1)?,
                        staff_name: r.get(2)?,
                        at: from_ms(r.get(3)?),
                        kind: r.get(4)?,
                        changes: serde_json::from_str(&changes).unwrap_or(Value::Null),
                        note: r.get(6)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(Some(RequestDetail { request, events }))
        })
    }

    /// Requests matching `filter`, colours at `now`.
    pub fn list_requests(
        &self,
        filter: &RequestFilter,
        now: DateTime<Utc>,
    ) -> Result<Vec<RequestRecord>> {
        let mut wheres: Vec<String> = Vec::new();
        let mut args: Vec<rusqlite::types::Value> = Vec::new();
        let mut arg = |v: rusqlite::types::Value| {
            args.push(v);
            format!("?{}", args.len())
        };
        if let Some(c) = filter.visible_to_captain {
            let p = arg(c.into());
            wheres.push(format!(
                "(r.captain_staff_id = {p} OR r.responsible_staff_id = {p})"
            ));
        }
        if let Some(s) = filter.responsible {
            wheres.push(format!("r.responsible_staff_id = {}", arg(s.into())));
        }
        if let Some(h) = filter.household_id {
            wheres.push(format!("r.household_id = {}", arg(h.into())));
        }
        if filter.open_only {
            wheres.push("r.status = 'open'".into());
        }
        if let Some(s) = filter.stage {
            wheres.push(format!("r.stage = {}", arg(s.as_str().to_owned().into())));
        }
        if filter.return_visit_due {
            wheres.push(
                "r.stage = 'resolved' AND NOT EXISTS (SELECT 1 FROM return_visits v
                 WHERE v.request_id = r.id AND v.state IN ('pending', 'calling'))"
                    .into(),
            );
        }
        if let Some(item) = &filter.category_item {
            wheres.push(format!("r.category_item = {}", arg(item.clone().into())));
        }
        let order = if filter.alarms.is_empty() {
            "r.created_ms DESC, r.id DESC"
        } else {
            let t = arg(ms(now).into());
            let colours: Vec<String> = filter
                .alarms
                .iter()
                .map(|a| match a {
                    Alarm::Green => format!("r.level1_ms > {t}"),
                    Alarm::Orange => format!("(r.level1_ms <= {t} AND r.deadline_ms >= {t})"),
                    Alarm::Red => format!("r.deadline_ms < {t}"),
                })
                .collect();
            wheres.push(format!("r.status = 'open' AND ({})", colours.join(" OR ")));
            "r.deadline_ms, r.id"
        };
        let limit = arg((filter.limit.min(10_000) as i64).into());
        let sql = format!(
            "{SELECT} {} {} ORDER BY {order} LIMIT {limit}",
            if wheres.is_empty() { "" } else { "WHERE" },
            wheres.join(" AND ")
        );
        self.read(|c| {
            let mut st = c.prepare(&sql)?;
            let rows = st.query_map(params_from_iter(args.iter()), |r| record_row(r, now))?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// Every open request's alarm times and people (for the alarm sweep).
    pub fn open_requests(&self) -> Result<Vec<OpenRequest>> {
        self.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT id, level1_ms, deadline_ms, responsible_staff_id, captain_staff_id
                 FROM requests WHERE status = 'open' ORDER BY id",
            )?;
            let rows = st.query_map([], |r| {
                Ok(OpenRequest {
                    id: r.get(0)?,
                    level1: from_ms(r.get(1)?),
                    deadline: from_ms(r.get(2)?),
                    responsible_staff_id: r.get(3)?,
                    captain_staff_id: r.get(4)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }
}

impl From<RequestRefused> for StoreError {
    fn from(r: RequestRefused) -> Self {
        StoreError::Refused(r)
    }
}

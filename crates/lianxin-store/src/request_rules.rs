//! The workflow of a request as pure functions: given a request's state, who acts, what
//! they do and the time, [`decide`] returns the new state with its timeline entry, or
//! a [`RequestRefused`] whose Chinese message names the field at fault (and nothing
//! changes).
//!
//! No I/O and no clock: the store reads the row, calls [`decide`] and writes the result
//! in one transaction (`request_actions`), so the rules are tested here, table by table,
//! without a database.
//!
//! # The rules (issue 11, DOMAIN.md "Flow 2")
//! - Open stages are new, assigned, in progress, escalated and reopened; resolving
//!   closes the request (自动消单), feedback is recorded only on a resolved request, and
//!   only a closed request can be reopened.
//! - Escalation goes up, never sideways: block → committee (level 1) → a department of
//!   the street office (level 2), which must answer within its `answer_days`.
//! - An operator or a captain cannot escalate to a department; only supervisors and
//!   admins change a request's alarm thresholds.
//! - A captain sees and changes only the requests of their block, unless they are the
//!   responsible person. Everyone else sees every request. The command line acts as an
//!   admin.

use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Map, Value};

use crate::request_stage::{FeedbackResult, Stage};
use crate::screen::Alarm;
use crate::staff::Role;

/// Who acts: a staff member with their role, or the command line (`staff_id: None`,
/// which acts as an admin).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    /// The staff member, `None` for the command line.
    pub staff_id: Option<i64>,
    /// Their role.
    pub role: Role,
}

impl Actor {
    /// A staff member.
    pub fn staff(staff_id: i64, role: Role) -> Actor {
        Actor {
            staff_id: Some(staff_id),
            role,
        }
    }

    /// The command line: an admin with no staff account.
    pub fn command_line() -> Actor {
        Actor {
            staff_id: None,
            role: Role::Admin,
        }
    }

    /// The server itself: the automatic return visit (回访) recording the key a resident
    /// pressed. Acts as an admin with no staff account, like the command line; its
    /// timeline entries and audit rows say "自动回访".
    pub fn system() -> Actor {
        Actor::command_line()
    }

    /// Whether this actor may change thresholds, categories and departments.
    pub fn manages(&self) -> bool {
        matches!(self.role, Role::Supervisor | Role::Admin)
    }
}

/// What the rules need to know about a request (the part [`decide`] may change, and
/// who it belongs to).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestState {
    /// Workflow stage.
    pub stage: Stage,
    /// The responsible staff member.
    pub responsible_staff_id: Option<i64>,
    /// The captain of the household's block when the request was recorded.
    pub captain_staff_id: Option<i64>,
    /// 0 block, 1 committee, 2 a department of the street office.
    pub escalation_level: i64,
    /// The department in charge, once escalated to one.
    pub department_id: Option<i64>,
    /// When the department must have answered.
    pub department_due: Option<DateTime<Utc>>,
    /// Green until here, then orange.
    pub level1: DateTime<Utc>,
    /// Orange until here, then red.
    pub deadline: DateTime<Utc>,
    /// The result, once resolved.
    pub result: String,
    /// When it was closed.
    pub closed: Option<DateTime<Utc>>,
    /// Who closed it.
    pub closed_by: Option<i64>,
    /// What the resident said.
    pub feedback: Option<FeedbackResult>,
    /// How they were asked (电话回访, 上门).
    pub feedback_how: Option<String>,
    /// Who asked them.
    pub feedback_by: Option<i64>,
    /// When.
    pub feedback_at: Option<DateTime<Utc>>,
}

impl RequestState {
    /// The tracking colour at `now` (a closed request keeps the colour it closed with).
    pub fn alarm(&self, now: DateTime<Utc>) -> Alarm {
        Alarm::at(self.level1, self.deadline, self.closed, now)
    }
}

/// A department as an escalation needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DepartmentRef {
    /// Row id.
    pub id: i64,
    /// Days it has to answer.
    pub answer_days: i64,
}

/// Something staff do to a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Hand it to a staff member (checked to exist by the store).
    Assign {
        /// The new responsible person.
        staff_id: i64,
    },
    /// Start work (from new: the actor takes it).
    Start,
    /// Hand it up: to the committee, or to a department of the street office.
    Escalate {
        /// The department, for an escalation to the street office.
        department: Option<DepartmentRef>,
    },
    /// Enter the result; the request closes itself.
    Resolve {
        /// What was done.
        result: String,
    },
    /// Record reporting the result back to the resident.
    Feedback {
        /// What they said.
        result: FeedbackResult,
        /// How they were asked.
        how: String,
    },
    /// Open a closed request again (the note says why).
    Reopen,
    /// Change the alarm times (supervisors and admins).
    Thresholds {
        /// New level-1 time.
        level1: DateTime<Utc>,
        /// New deadline.
        deadline: DateTime<Utc>,
    },
    /// Add a note to the timeline.
    Note,
}

impl Action {
    /// The name of the action (the endpoint, the CLI word, the audit action).
    pub fn name(&self) -> &'static str {
        match self {
            Action::Assign { .. } => "assign",
            Action::Start => "start",
            Action::Escalate { .. } => "escalate",
            Action::Resolve { .. } => "resolve",
            Action::Feedback { .. } => "feedback",
            Action::Reopen => "reopen",
            Action::Thresholds { .. } => "thresholds",
            Action::Note => "note",
        }
    }
}

/// An accepted action: the new state and its timeline entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// The state after the action.
    pub next: RequestState,
    /// The timeline entry's kind (`assigned`, `resolved`, …).
    pub kind: &'static str,
    /// What changed: field → `[old, new]`.
    pub changes: Value,
}

/// Why an action was refused; the message is for the user, in Chinese, and names the
/// field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestRefused {
    /// The actor's role or block does not allow it.
    #[error("{message}")]
    Forbidden {
        /// The field at fault (`role`, `department_id`, `id`).
        field: &'static str,
        /// What to tell the user.
        message: String,
    },
    /// Not allowed in the request's current stage.
    #[error("{message}")]
    Stage {
        /// Always `stage`.
        field: &'static str,
        /// What to tell the user.
        message: String,
    },
    /// A value is missing or wrong.
    #[error("{message}")]
    Invalid {
        /// The field at fault.
        field: &'static str,
        /// What to tell the user.
        message: String,
    },
}

impl RequestRefused {
    /// The field at fault.
    pub fn field(&self) -> &'static str {
        match self {
            RequestRefused::Forbidden { field, .. }
            | RequestRefused::Stage { field, .. }
            | RequestRefused::Invalid { field, .. } => field,
        }
    }

    pub(crate) fn forbidden(field: &'static str, message: impl Into<String>) -> Self {
        RequestRefused::Forbidden {
            field,
            message: message.into(),
        }
    }

    pub(crate) fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        RequestRefused::Invalid {
            field,
            message: message.into(),
        }
    }

    fn stage(stage: Stage, message: &str) -> Self {
        RequestRefused::Stage {
            field: "stage",
            message: format!("该诉求{}：{message}", stage.label_zh()),
        }
    }
}

/// Whether `actor` may see (and so act on) a request with this captain and responsible
/// person.
pub fn sees(actor: &Actor, captain: Option<i64>, responsible: Option<i64>) -> bool {
    match (actor.role, actor.staff_id) {
        (Role::Captain, Some(me)) => captain == Some(me) || responsible == Some(me),
        _ => true,
    }
}

/// Whether `actor` may record a request for a household whose block captain is
/// `captain` (a captain only for their own blocks; `None` household: anyone).
pub fn may_create(actor: &Actor, household: Option<i64>, captain: Option<i64>) -> bool {
    match (actor.role, actor.staff_id, household) {
        (Role::Captain, Some(me), Some(_)) => captain == Some(me),
        _ => true,
    }
}

/// Longest note, result or "how" text, in characters.
pub const MAX_TEXT: usize = 2000;

/// Applies `action` by `actor` at `now` to a request in `state`, with `note` (required
/// for reopening and for a plain note).
pub fn decide(
    state: &RequestState,
    actor: &Actor,
    action: &Action,
    note: &str,
    now: DateTime<Utc>,
) -> Result<Decision, RequestRefused> {
    if !sees(actor, state.captain_staff_id, state.responsible_staff_id) {
        return Err(RequestRefused::forbidden(
            "id",
            "包片主任只能查看和办理本片区或分派给自己的诉求",
        ));
    }
    if note.chars().count() > MAX_TEXT {
        return Err(RequestRefused::invalid(
            "note",
            format!("备注太长，最多{MAX_TEXT}个字符"),
        ));
    }
    let stage = state.stage;
    let open = stage.is_open();
    let mut next = state.clone();
    let kind = match action {
        Action::Assign { staff_id } => {
            if !open {
                return Err(RequestRefused::stage(
                    stage,
                    "不能再分派，如需继续办理请先重新打开",
                ));
            }
            next.responsible_staff_id = Some(*staff_id);
            next.stage = Stage::Assigned;
            "assigned"
        }
        Action::Start => {
            match stage {
                Stage::InProgress => return Err(RequestRefused::stage(stage, "已在办理中")),
                Stage::Resolved | Stage::FeedbackGiven => {
                    return Err(RequestRefused::stage(stage, "不能再开始办理，请先重新打开"))
                }
                _ => {}
            }
            if next.responsible_staff_id.is_none() {
                let Some(me) = actor.staff_id else {
                    return Err(RequestRefused::invalid(
                        "responsible_staff_id",
                        "该诉求还没有责任人，请先分派",
                    ));
                };
                next.responsible_staff_id = Some(me);
            }
            next.stage = Stage::InProgress;
            "started"
        }
        Action::Escalate { department } => {
            let level = if department.is_some() { 2 } else { 1 };
            if department.is_some() && !matches!(actor.role, Role::Committee) && !actor.manages() {
                let who = if actor.role == Role::Operator {
                    "热线值班员不能把诉求上报到职能部门，请上报居委会"
                } else {
                    "包片主任不能直接上报职能部门，请先上报居委会"
                };
                return Err(RequestRefused::forbidden("department_id", who));
            }
            if !open {
                return Err(RequestRefused::stage(
                    stage,
                    "不能上报，如需继续办理请先重新打开",
                ));
            }
            if state.escalation_level >= level {
                let msg = if state.escalation_level >= 2 {
                    "已上报到职能部门，不能再次上报"
                } else {
                    "已上报居委会；如需转职能部门，请选择承办部门"
                };
                return Err(RequestRefused::invalid("department_id", msg));
            }
            next.escalation_level = level;
            if let Some(d) = department {
                next.department_id = Some(d.id);
                next.department_due = Some(now + Duration::days(d.answer_days.max(1)));
            }
            next.stage = Stage::Escalated;
            "escalated"
        }
        Action::Resolve { result } => {
            if !open {
                return Err(RequestRefused::stage(stage, "已经办结"));
            }
            let result = required(result, "result", "请填写办理结果")?;
            next.result = result;
            next.closed = Some(now);
            next.closed_by = actor.staff_id;
            next.stage = Stage::Resolved;
            "resolved"
        }
        Action::Feedback { result, how } => {
            match stage {
                Stage::Resolved => {}
                Stage::FeedbackGiven => return Err(RequestRefused::stage(stage, "已经记录过反馈")),
                _ => return Err(RequestRefused::stage(stage, "尚未办结，不能记录反馈")),
            }
            let how = required(how, "how", "请填写反馈方式（如电话回访、上门）")?;
            next.feedback = Some(*result);
            next.feedback_how = Some(how);
            next.feedback_by = actor.staff_id;
            next.feedback_at = Some(now);
            if *result != FeedbackResult::NotReached {
                next.stage = Stage::FeedbackGiven;
            }
            "feedback"
        }
        Action::Reopen => {
            if open {
                return Err(RequestRefused::stage(stage, "仍在办理中，无需重新打开"));
            }
            required(note, "note", "请填写重新办理的原因")?;
            next.closed = None;
            next.closed_by = None;
            next.result = String::new();
            next.feedback = None;
            next.feedback_how = None;
            next.feedback_by = None;
            next.feedback_at = None;
            next.stage = Stage::Reopened;
            "reopened"
        }
        Action::Thresholds { level1, deadline } => {
            if !actor.manages() {
                return Err(RequestRefused::forbidden(
                    "level1_at",
                    "只有督导或管理员可以修改示警时限",
                ));
            }
            if !open {
                return Err(RequestRefused::stage(stage, "已办结，不能修改示警时限"));
            }
            if deadline < level1 {
                return Err(RequestRefused::invalid(
                    "deadline_at",
                    "办理时限不能早于一级示警时间",
                ));
            }
            next.level1 = *level1;
            next.deadline = *deadline;
            "thresholds"
        }
        Action::Note => {
            required(note, "note", "请填写备注内容")?;
            "note"
        }
    };
    let changes = diff(state, &next);
    Ok(Decision {
        next,
        kind,
        changes,
    })
}

fn required(text: &str, field: &'static str, missing: &str) -> Result<String, RequestRefused> {
    let t = text.trim();
    if t.is_empty() {
        return Err(RequestRefused::invalid(field, missing));
    }
    if t.chars().count() > MAX_TEXT {
        return Err(RequestRefused::invalid(
            field,
            format!("内容太长，最多{MAX_TEXT}个字符"),
        ));
    }
    Ok(t.to_owned())
}

/// What changed between two states: field → `[old, new]`.
fn diff(a: &RequestState, b: &RequestState) -> Value {
    let mut m = Map::new();
    let mut put = |field: &str, old: Value, new: Value| {
        if old != new {
            m.insert(field.to_owned(), json!([old, new]));
        }
    };
    put("stage", json!(a.stage), json!(b.stage));
    put(
        "responsible_staff_id",
        json!(a.responsible_staff_id),
        json!(b.responsible_staff_id),
    );
    put(
        "escalation_level",
        json!(a.escalation_level),
        json!(b.escalation_level),
    );
    put(
        "department_id",
        json!(a.department_id),
        json!(b.department_id),
    );
    put(
        "department_due_at",
        json!(a.department_due),
        json!(b.department_due),
    );
    put("level1_at", json!(a.level1), json!(b.level1));
    put("deadline_at", json!(a.deadline), json!(b.deadline));
    put("result", json!(a.result), json!(b.result));
    put("closed_at", json!(a.closed), json!(b.closed));
    put("feedback_result", json!(a.feedback), json!(b.feedback));
    put("feedback_how", json!(a.feedback_how), json!(b.feedback_how));
    Value::Object(m)
}

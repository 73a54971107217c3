//! The lists requests are filed under: categories ("某一项.某一类" with their default
//! alarm thresholds) and the street office's departments (with the days they have to
//! answer); and the people a request can be handed to (every active staff member). Everyone reads them; only supervisors and admins (and the command line)
//! change them, audited. Nothing is ever deleted: a retired entry is made inactive, so
//! old requests keep their category and department.

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use crate::db::audit;
use crate::request_rules::{Actor, RequestRefused};
use crate::{Result, Store, StoreError};

/// A request category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Category {
    /// Row id.
    pub id: i64,
    /// Item (某一项), e.g. 设施维修.
    pub item: String,
    /// Class (某一类), e.g. 路灯; `""` for the item itself.
    pub class: String,
    /// Days until the alarm turns orange.
    pub level1_days: i64,
    /// Days until it turns red.
    pub deadline_days: i64,
    /// Offered for new requests.
    pub active: bool,
}

/// A department of the street office.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Department {
    /// Row id.
    pub id: i64,
    /// Name, e.g. 城管科.
    pub name: String,
    /// Days it has to answer an escalated request (seed 003: 3).
    pub answer_days: i64,
    /// Offered for escalation.
    pub active: bool,
}

/// A staff member a request can be assigned to (an active account).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Assignee {
    /// Staff id.
    pub id: i64,
    /// Name shown on consoles.
    pub display_name: String,
    /// Role.
    pub role: crate::Role,
}

fn manager(actor: &Actor) -> Result<()> {
    if actor.manages() {
        Ok(())
    } else {
        Err(RequestRefused::forbidden("role", "只有督导或管理员可以修改诉求类别和部门").into())
    }
}

fn name(v: &str, field: &'static str, missing: &str) -> Result<String> {
    let v = v.trim();
    if v.is_empty() {
        return Err(RequestRefused::invalid(field, missing).into());
    }
    if v.chars().count() > 40 || v.contains('.') {
        return Err(RequestRefused::invalid(field, "名称最多40个字，且不能含“.”").into());
    }
    Ok(v.to_owned())
}

fn check_days(level1: i64, deadline: i64) -> Result<()> {
    if !(1..=365).contains(&level1) {
        return Err(RequestRefused::invalid("level1_days", "一级示警天数应在1到365之间").into());
    }
    if !(level1..=365).contains(&deadline) {
        return Err(RequestRefused::invalid(
            "deadline_days",
            "办理时限天数应不少于一级示警天数，且不超过365",
        )
        .into());
    }
    Ok(())
}

fn unique(e: rusqlite::Error, field: &'static str, message: &str) -> StoreError {
    match e {
        rusqlite::Error::SqliteFailure(f, _)
            if f.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            RequestRefused::invalid(field, message).into()
        }
        e => e.into(),
    }
}

fn category_by_id(c: &Connection, id: i64) -> Result<Option<Category>> {
    Ok(c.prepare_cached(
        "SELECT id, item, class, level1_days, deadline_days, active FROM request_categories WHERE id = ?1",
    )?
    .query_row([id], category_row)
    .optional()?)
}

fn category_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Category> {
    Ok(Category {
        id: r.get(0)?,
        item: r.get(1)?,
        class: r.get(2)?,
        level1_days: r.get(3)?,
        deadline_days: r.get(4)?,
        active: r.get::<_, i64>(5)? == 1,
    })
}

impl Store {
    /// Categories by item and class; only active ones if `active_only`.
    pub fn request_categories(&self, active_only: bool) -> Result<Vec<Category>> {
        self.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT id, item, class, level1_days, deadline_days, active FROM request_categories
                 WHERE active = 1 OR ?1 = 0 ORDER BY item, class",
            )?;
            let rows = st.query_map([active_only as i64], category_row)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// Adds a category (supervisors and admins); returns it.
    pub fn create_category(
        &self,
        item: &str,
        class: &str,
        level1_days: i64,
        deadline_days: i64,
        actor: &Actor,
    ) -> Result<Category> {
        manager(actor)?;
        let item = name(item, "item", "请填写诉求项目")?;
        let class = class.trim().to_owned();
        if class.chars().count() > 40 || class.contains('.') {
            return Err(RequestRefused::invalid("class", "名称最多40个字，且不能含“.”").into());
        }
        check_days(level1_days, deadline_days)?;
        self.write(|tx| {
            tx.prepare_cached(
                "INSERT INTO request_categories (item, class, level1_days, deadline_days) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![item, class, level1_days, deadline_days])
            .map_err(|e| unique(e, "class", "该诉求类别已存在"))?;
            let id = tx.last_insert_rowid();
            audit(tx, actor.staff_id, "category.create", &format!("request_category:{id}"), &format!("{item}.{class} {level1_days}/{deadline_days}"))?;
            category_by_id(tx, id)?.ok_or_else(|| StoreError::NotFound(format!("category {id}")))
        })
    }

    /// Changes a category's thresholds and whether it is offered (supervisors and
    /// admins); returns it.
    pub fn update_category(
        &self,
        id: i64,
        level1_days: i64,
        deadline_days: i64,
        active: bool,
        actor: &Actor,
    ) -> Result<Category> {
        manager(actor)?;
        check_days(level1_days, deadline_days)?;
        self.write(|tx| {
            let n = tx
                .prepare_cached(
                    "UPDATE request_categories SET level1_days = ?2, deadline_days = ?3, active = ?4 WHERE id = ?1",
                )?
                .execute(params![id, level1_days, deadline_days, active as i64])?;
            if n == 0 {
                return Err(StoreError::NotFound(format!("category {id}")));
            }
            audit(tx, actor.staff_id, "category.update", &format!("request_category:{id}"), &format!("{level1_days}/{deadline_days} active={active}"))?;
            category_by_id(tx, id)?.ok_or_else(|| StoreError::NotFound(format!("category {id}")))
        })
    }

    /// Departments by name; only active ones if `active_only`.
    pub fn departments(&self, active_only: bool) -> Result<Vec<Department>> {
        self.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT id, name, answer_days, active FROM departments WHERE active = 1 OR ?1 = 0 ORDER BY name",
            )?;
            let rows = st.query_map([active_only as i64], department_row)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// Every active staff member, by role (captains first) and id: whom a request can
    /// be assigned to.
    pub fn assignees(&self) -> Result<Vec<Assignee>> {
        self.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT id, display_name, role FROM staff WHERE active = 1
                 ORDER BY CASE role WHEN 'captain' THEN 0 WHEN 'committee' THEN 1 ELSE 2 END, id",
            )?;
            let rows = st.query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (id, display_name, role) = row?;
                if let Some(role) = crate::Role::parse(&role) {
                    out.push(Assignee {
                        id,
                        display_name,
                        role,
                    });
                }
            }
            Ok(out)
        })
    }

    /// Adds a department (supervisors and admins); `answer_days` defaults to 3.
    pub fn create_department(
        &self,
        dept: &str,
        answer_days: Option<i64>,
        actor: &Actor,
    ) -> Result<Department> {
        manager(actor)?;
        let dept = name(dept, "name", "请填写部门名称")?;
        let days = answer_days.unwrap_or(3);
        if !(1..=60).contains(&days) {
            return Err(RequestRefused::invalid("answer_days", "答复天数应在1到60之间").into());
        }
        self.write(|tx| {
            tx.prepare_cached("INSERT INTO departments (name, answer_days) VALUES (?1, ?2)")?
                .execute(params![dept, days])
                .map_err(|e| unique(e, "name", "该部门已存在"))?;
            let id = tx.last_insert_rowid();
            audit(
                tx,
                actor.staff_id,
                "department.create",
                &format!("department:{id}"),
                &format!("{dept} {days}"),
            )?;
            department_by_id(tx, id)
        })
    }

    /// Changes a department's answer days and whether it is offered.
    pub fn update_department(
        &self,
        id: i64,
        answer_days: i64,
        active: bool,
        actor: &Actor,
    ) -> Result<Department> {
        manager(actor)?;
        if !(1..=60).contains(&answer_days) {
            return Err(RequestRefused::invalid("answer_days", "答复天数应在1到60之间").into());
        }
        self.write(|tx| {
            let n = tx
                .prepare_cached(
                    "UPDATE departments SET answer_days = ?2, active = ?3 WHERE id = ?1",
                )?
                .execute(params![id, answer_days, active as i64])?;
            if n == 0 {
                return Err(StoreError::NotFound(format!("department {id}")));
            }
            audit(
                tx,
                actor.staff_id,
                "department.update",
                &format!("department:{id}"),
                &format!("{answer_days} active={active}"),
            )?;
            department_by_id(tx, id)
        })
    }
}

fn department_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Department> {
    Ok(Department {
        id: r.get(0)?,
        name: r.get(1)?,
        answer_days: r.get(2)?,
        active: r.get::<_, i64>(3)? == 1,
    })
}

fn department_by_id(c: &Connection, id: i64) -> Result<Department> {
    c.prepare_cached("SELECT id, name, answer_days, active FROM departments WHERE id = ?1")?
        .query_row([id], department_row)
        .optional()?
        .ok_or_else(|| StoreError::NotFound(format!("department {id}")))
}

//! Staff accounts as an administrator manages them: the list with each captain's blocks
//! and the active flag, adding an account (both passwords generated), changing its name,
//! role, extension, phone or blocks, disabling and enabling it, and new passwords.
//!
//! Why here and not in the desk or the CLI: `lianxin staff add` and the admins' console
//! screen must follow the same rules (one code path): a user name is unique, an extension
//! is digits and belongs to one active account, only captains have blocks and the blocks
//! must exist, an admin cannot disable themselves and the last active admin stays one.
//! A refusal names the field at fault with a Chinese message
//! ([`StoreError::Refused`] for a bad value, [`StoreError::Conflict`] for a clash);
//! nothing changes then. Every change is audited with who made it.
//!
//! Passwords generated here are returned once and stored only as hashes
//! ([`crate::staff`]): the caller shows them and forgets them.

use rusqlite::{params, OptionalExtension, Transaction};
use serde::Serialize;

use crate::db::audit;
use crate::request_rules::RequestRefused;
use crate::staff::{generate_sip_password, NewStaff, Role};
use crate::{Result, Store, StoreError};

/// Longest user name (it is also the phone's SIP user name).
pub const MAX_USERNAME: usize = 32;
/// Longest display name.
pub const MAX_DISPLAY_NAME: usize = 20;

/// A staff account as the admins' screen lists it (no secrets).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StaffAccount {
    /// Row id.
    pub id: i64,
    /// Log-in name (and the phone's SIP user name).
    pub username: String,
    /// Name shown on consoles.
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// SIP extension of the desk phone, if any.
    pub extension: Option<String>,
    /// Contact number, if any.
    pub phone: Option<String>,
    /// Whether the account may log in (and its phone register).
    pub active: bool,
    /// Names of the blocks (片区) this staff member captains, by name.
    pub blocks: Vec<String>,
}

/// A block (片区) with its captain and household count, for choosing a captain's blocks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BlockInfo {
    /// Row id.
    pub id: i64,
    /// Name (e.g. `内务部街片`).
    pub name: String,
    /// The staff id of its captain, if one is assigned.
    pub captain_staff_id: Option<i64>,
    /// Households in the block.
    pub households: u32,
}

/// A new account and its two generated-or-given passwords, shown once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CreatedAccount {
    /// The account.
    pub account: StaffAccount,
    /// The console password (generated unless the caller gave one).
    pub password: String,
    /// The desk phone's SIP password (always generated; never the console's).
    pub sip_password: String,
}

/// What to change in an account; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct StaffChange {
    /// New display name.
    pub display_name: Option<String>,
    /// New role (a captain who stops being one gives up their blocks).
    pub role: Option<Role>,
    /// New extension (`Some(None)`: none).
    pub extension: Option<Option<String>>,
    /// New contact number (`Some(None)`: none).
    pub phone: Option<Option<String>>,
    /// The blocks the account captains from now on, by name (captains only).
    pub blocks: Option<Vec<String>>,
}

fn invalid(field: &'static str, message: impl Into<String>) -> StoreError {
    StoreError::Refused(RequestRefused::Invalid {
        field,
        message: message.into(),
    })
}

fn conflict(field: &'static str, message: impl Into<String>) -> StoreError {
    StoreError::Conflict {
        field,
        message: message.into(),
    }
}

/// `[A-Za-z0-9._-]{1,32}`: typed on a console and into a phone as its SIP user.
fn check_username(name: &str) -> Result<()> {
    if name.is_empty() {
        return Err(invalid("username", "请填写用户名"));
    }
    if name.len() > MAX_USERNAME
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    {
        return Err(invalid(
            "username",
            format!("用户名只能用字母、数字和 . _ -，最多{MAX_USERNAME}个字符"),
        ));
    }
    Ok(())
}

fn check_display_name(name: &str) -> Result<()> {
    if name.trim().is_empty() {
        return Err(invalid("display_name", "请填写姓名"));
    }
    if name.chars().count() > MAX_DISPLAY_NAME {
        return Err(invalid(
            "display_name",
            format!("姓名太长，最多{MAX_DISPLAY_NAME}个字"),
        ));
    }
    Ok(())
}

/// An extension is 2 to 8 digits (what a desk phone dials).
fn check_extension(ext: Option<&str>) -> Result<()> {
    match ext {
        Some(e) if e.len() < 2 || e.len() > 8 || !e.bytes().all(|b| b.is_ascii_digit()) => {
            Err(invalid("extension", "分机号应为2到8位数字"))
        }
        _ => Ok(()),
    }
}

fn check_phone(phone: Option<&str>) -> Result<()> {
    match phone {
        Some(p)
            if p.len() > 20
                || !p
                    .bytes()
                    .all(|b| b.is_ascii_digit() || matches!(b, b'-' | b' ' | b'+')) =>
        {
            Err(invalid("phone", "联系电话只能填数字，最多20位"))
        }
        _ => Ok(()),
    }
}

/// Empty text means "none".
fn some_text(v: Option<&str>) -> Option<&str> {
    v.map(str::trim).filter(|s| !s.is_empty())
}

impl Store {
    /// Every staff account with its blocks, by id.
    pub fn staff_accounts(&self) -> Result<Vec<StaffAccount>> {
        self.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT s.id, s.username, s.display_name, s.role, s.extension, s.phone, s.active,
                        (SELECT group_concat(name, char(31)) FROM
                            (SELECT b.name FROM blocks b WHERE b.captain_staff_id = s.id ORDER BY b.id))
                 FROM staff s ORDER BY s.id",
            )?;
            let rows = st.query_map([], account_row)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// One account with its blocks.
    pub fn staff_account(&self, id: i64) -> Result<Option<StaffAccount>> {
        Ok(self.staff_accounts()?.into_iter().find(|a| a.id == id))
    }

    /// Every block with its captain and household count, by id.
    pub fn blocks(&self) -> Result<Vec<BlockInfo>> {
        self.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT b.id, b.name, b.captain_staff_id,
                        (SELECT count(*) FROM households h WHERE h.block_id = b.id)
                 FROM blocks b ORDER BY b.id",
            )?;
            let rows = st.query_map([], |r| {
                Ok(BlockInfo {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    captain_staff_id: r.get(2)?,
                    households: r.get(3)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// Adds an account: the console password is `new.password` or a generated one, the
    /// phone gets a generated SIP password of its own (issue 10 §9), a captain the
    /// `blocks` named. Both passwords are returned once. `by`: who (`None`: command line).
    pub fn add_staff_account(
        &self,
        new: &NewStaff<'_>,
        blocks: &[String],
        by: Option<i64>,
    ) -> Result<CreatedAccount> {
        check_username(new.username)?;
        check_display_name(new.display_name)?;
        let extension = some_text(new.extension);
        let phone = some_text(new.phone);
        check_extension(extension)?;
        check_phone(phone)?;
        if !blocks.is_empty() && new.role != Role::Captain {
            return Err(invalid("blocks", "只有包片主任可以负责片区"));
        }
        if self.staff_id_by_username(new.username)?.is_some() {
            return Err(conflict(
                "username",
                format!("用户名“{}”已经有人使用", new.username),
            ));
        }
        self.read(|c| extension_free(c, extension, None))?;
        self.read(|c| block_ids(c, blocks).map(|_| ()))?;
        let password = match new.password {
            Some(p) => p.to_owned(),
            None => generate_sip_password(),
        };
        let id = self.create_staff(
            &NewStaff {
                extension,
                phone,
                password: Some(&password),
                display_name: new.display_name.trim(),
                ..new.clone()
            },
            by,
        )?;
        let sip_password = generate_sip_password();
        self.set_sip_password(id, &sip_password, by)?;
        if !blocks.is_empty() {
            self.write(|tx| set_blocks(tx, id, blocks, by))?;
        }
        let account = self
            .staff_account(id)?
            .ok_or_else(|| StoreError::NotFound(format!("staff {id}")))?;
        Ok(CreatedAccount {
            account,
            password,
            sip_password,
        })
    }

    /// Changes an account's name, role, extension, phone or blocks, checked and
    /// audited in one transaction. `by`: who (`None`: command line).
    pub fn change_staff(
        &self,
        id: i64,
        change: &StaffChange,
        by: Option<i64>,
    ) -> Result<StaffAccount> {
        let before = self
            .staff_account(id)?
            .ok_or_else(|| StoreError::NotFound(format!("staff {id}")))?;
        if let Some(name) = &change.display_name {
            check_display_name(name)?;
        }
        let extension = change
            .extension
            .as_ref()
            .map(|e| some_text(e.as_deref()).map(str::to_owned));
        let phone = change
            .phone
            .as_ref()
            .map(|p| some_text(p.as_deref()).map(str::to_owned));
        if let Some(e) = &extension {
            check_extension(e.as_deref())?;
        }
        if let Some(p) = &phone {
            check_phone(p.as_deref())?;
        }
        let role = change.role.unwrap_or(before.role);
        if role != Role::Captain && change.blocks.as_ref().is_some_and(|b| !b.is_empty()) {
            return Err(invalid("blocks", "只有包片主任可以负责片区"));
        }
        if before.role == Role::Admin && role != Role::Admin {
            if by == Some(id) {
                return Err(conflict("role", "不能取消自己的管理员权限"));
            }
            if before.active && self.active_admins()? <= 1 {
                return Err(conflict("role", "这是最后一位管理员，不能改为其他角色"));
            }
        }
        self.write(|tx| {
            if let Some(e) = &extension {
                extension_free(tx, e.as_deref(), Some(id))?;
            }
            let mut what = Vec::new();
            if let Some(name) = &change.display_name {
                tx.execute(
                    "UPDATE staff SET display_name = ?2 WHERE id = ?1",
                    params![id, name.trim()],
                )?;
                what.push(format!("display_name={}", name.trim()));
            }
            if role != before.role {
                tx.execute(
                    "UPDATE staff SET role = ?2 WHERE id = ?1",
                    params![id, role.as_str()],
                )?;
                what.push(format!("role={}", role.as_str()));
            }
            if let Some(e) = &extension {
                tx.execute(
                    "UPDATE staff SET extension = ?2 WHERE id = ?1",
                    params![id, e],
                )?;
                what.push(format!("extension={}", e.as_deref().unwrap_or("")));
            }
            if let Some(p) = &phone {
                tx.execute("UPDATE staff SET phone = ?2 WHERE id = ?1", params![id, p])?;
                what.push("phone".to_owned());
            }
            if !what.is_empty() {
                audit(tx, by, "update", &format!("staff:{id}"), &what.join(" "))?;
            }
            // A captain who is no longer one gives up their blocks.
            let blocks = match (&change.blocks, role) {
                (_, r) if r != Role::Captain && before.role == Role::Captain => Some(Vec::new()),
                (Some(b), _) => Some(b.clone()),
                (None, _) => None,
            };
            if let Some(blocks) = blocks {
                set_blocks(tx, id, &blocks, by)?;
            }
            Ok(())
        })?;
        self.staff_account(id)?
            .ok_or_else(|| StoreError::NotFound(format!("staff {id}")))
    }

    /// Disables or enables an account (a disabled one cannot log in, its sessions end and
    /// its phone cannot register). An admin cannot disable themselves, and the last
    /// active admin stays. `by`: who (`None`: command line).
    pub fn set_staff_active(&self, id: i64, active: bool, by: Option<i64>) -> Result<StaffAccount> {
        let before = self
            .staff_account(id)?
            .ok_or_else(|| StoreError::NotFound(format!("staff {id}")))?;
        if !active && before.active {
            if by == Some(id) {
                return Err(conflict("active", "不能停用自己的账号"));
            }
            if before.role == Role::Admin && self.active_admins()? <= 1 {
                return Err(conflict("active", "这是最后一位管理员，不能停用"));
            }
        }
        if active != before.active {
            self.write(|tx| {
                tx.execute(
                    "UPDATE staff SET active = ?2 WHERE id = ?1",
                    params![id, active],
                )?;
                audit(
                    tx,
                    by,
                    if active { "enable" } else { "disable" },
                    &format!("staff:{id}"),
                    "",
                )
            })?;
        }
        self.staff_account(id)?
            .ok_or_else(|| StoreError::NotFound(format!("staff {id}")))
    }

    /// Gives an account a new generated console password (its sessions end); returned
    /// once. The phone's SIP password stays.
    pub fn reset_staff_password(&self, id: i64, by: Option<i64>) -> Result<String> {
        let password = generate_sip_password();
        self.set_staff_password(id, &password, by)?;
        Ok(password)
    }

    /// Gives an account's phone a new generated SIP password; returned once. The console
    /// password stays.
    pub fn reset_sip_password(&self, id: i64, by: Option<i64>) -> Result<String> {
        let sip = generate_sip_password();
        self.set_sip_password(id, &sip, by)?;
        Ok(sip)
    }

    fn staff_id_by_username(&self, username: &str) -> Result<Option<i64>> {
        self.read(|c| {
            Ok(
                c.prepare_cached("SELECT id FROM staff WHERE username = ?1")?
                    .query_row([username], |r| r.get(0))
                    .optional()?,
            )
        })
    }

    fn active_admins(&self) -> Result<i64> {
        self.read(|c| {
            Ok(c.query_row(
                "SELECT count(*) FROM staff WHERE role = 'admin' AND active = 1",
                [],
                |r| r.get(0),
            )?)
        })
    }
}

fn account_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<StaffAccount> {
    let role: String = r.get(3)?;
    let blocks: Option<String> = r.get(7)?;
    Ok(StaffAccount {
        id: r.get(0)?,
        username: r.get(1)?,
        display_name: r.get(2)?,
        role: Role::parse(&role).unwrap_or(Role::Operator),
        extension: r.get(4)?,
        phone: r.get(5)?,
        active: r.get(6)?,
        blocks: blocks
            .map(|b| b.split('\u{1f}').map(str::to_owned).collect())
            .unwrap_or_default(),
    })
}

/// Refuses an extension another active account already has.
fn extension_free(c: &rusqlite::Connection, ext: Option<&str>, except: Option<i64>) -> Result<()> {
    let Some(ext) = ext else { return Ok(()) };
    let taken: Option<String> = c
        .prepare_cached(
            "SELECT display_name FROM staff
             WHERE extension = ?1 AND active = 1 AND id IS NOT ?2",
        )?
        .query_row(params![ext, except], |r| r.get(0))
        .optional()?;
    match taken {
        Some(who) => Err(conflict(
            "extension",
            format!("分机号 {ext} 已经分配给{who}"),
        )),
        None => Ok(()),
    }
}

/// The ids of blocks named, refusing an unknown name.
fn block_ids(c: &rusqlite::Connection, names: &[String]) -> Result<Vec<i64>> {
    let mut ids = Vec::with_capacity(names.len());
    for name in names {
        let id: Option<i64> = c
            .prepare_cached("SELECT id FROM blocks WHERE name = ?1")?
            .query_row([name], |r| r.get(0))
            .optional()?;
        match id {
            Some(id) => ids.push(id),
            None => return Err(invalid("blocks", format!("没有名为“{name}”的片区"))),
        }
    }
    Ok(ids)
}

/// Makes `staff_id` the captain of exactly the blocks named (others they had lose their
/// captain); the block's captain name and phone follow the account.
fn set_blocks(
    tx: &Transaction<'_>,
    staff_id: i64,
    names: &[String],
    by: Option<i64>,
) -> Result<()> {
    let ids = block_ids(tx, names)?;
    tx.execute(
        "UPDATE blocks SET captain_staff_id = NULL, captain_name = NULL, captain_phone = NULL
         WHERE captain_staff_id = ?1",
        [staff_id],
    )?;
    for id in &ids {
        tx.execute(
            "UPDATE blocks SET captain_staff_id = ?2,
                    captain_name = (SELECT display_name FROM staff WHERE id = ?2),
                    captain_phone = (SELECT phone FROM staff WHERE id = ?2)
             WHERE id = ?1",
            params![id, staff_id],
        )?;
    }
    audit(
        tx,
        by,
        "set_blocks",
        &format!("staff:{staff_id}"),
        &names.join(","),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("s.db")).unwrap();
        let opts = crate::demo::DemoOptions {
            seed: 7,
            households: 60,
            now: chrono::Utc::now(),
        };
        store.generate_demo(&opts, &mut |_| {}).unwrap();
        (dir, store)
    }

    fn id_of(s: &Store, username: &str) -> i64 {
        s.staff_accounts()
            .unwrap()
            .into_iter()
            .find(|a| a.username == username)
            .unwrap()
            .id
    }

    fn field(r: Result<impl std::fmt::Debug>) -> &'static str {
        match r {
            Err(StoreError::Refused(r)) => r.field(),
            Err(StoreError::Conflict { field, .. }) => field,
            other => panic!("not refused: {other:?}"),
        }
    }

    fn new_staff<'a>(username: &'a str, role: Role, extension: Option<&'a str>) -> NewStaff<'a> {
        NewStaff {
            username,
            display_name: "孙丽",
            role,
            extension,
            phone: None,
            password: None,
        }
    }

    #[test]
    fn an_account_is_added_with_both_passwords_generated_and_shown_once() {
        let (_d, s) = demo();
        let admin = id_of(&s, "admin");
        let block = s.blocks().unwrap()[0].name.clone();
        let made = s
            .add_staff_account(
                &new_staff("cap9", Role::Captain, None),
                std::slice::from_ref(&block),
                Some(admin),
            )
            .unwrap();
        assert_eq!(made.account.blocks, std::slice::from_ref(&block));
        assert!(made.account.active);
        assert_ne!(made.password, made.sip_password);
        assert!(s.verify_login("cap9", &made.password).unwrap().is_some());
        let cred = s.sip_credentials("cap9").unwrap().unwrap();
        let a1 = format!("cap9:{}:{}", crate::SIP_REALM, made.sip_password);
        assert_eq!(
            cred.ha1_md5,
            hex::encode(<md5::Md5 as sha2::Digest>::digest(a1.as_bytes()))
        );
        // The block's captain is the new account now.
        let b = s
            .blocks()
            .unwrap()
            .into_iter()
            .find(|b| b.name == block)
            .unwrap();
        assert_eq!(b.captain_staff_id, Some(made.account.id));

        // Refusals name the field and change nothing.
        let n = s.staff_accounts().unwrap().len();
        assert_eq!(
            field(s.add_staff_account(&new_staff("cap9", Role::Captain, None), &[], None)),
            "username"
        );
        assert_eq!(
            field(s.add_staff_account(&new_staff("a b", Role::Operator, None), &[], None)),
            "username"
        );
        assert_eq!(
            field(s.add_staff_account(&new_staff("8010", Role::Operator, Some("80x")), &[], None)),
            "extension"
        );
        assert_eq!(
            field(s.add_staff_account(&new_staff("8010", Role::Operator, Some("8001")), &[], None)),
            "extension"
        );
        assert_eq!(
            field(s.add_staff_account(
                &new_staff("cap10", Role::Captain, None),
                &["无此片".into()],
                None
            )),
            "blocks"
        );
        assert_eq!(
            field(s.add_staff_account(&new_staff("8010", Role::Operator, None), &[block], None)),
            "blocks"
        );
        assert_eq!(s.staff_accounts().unwrap().len(), n);
    }

    #[test]
    fn changes_are_checked_and_the_last_admin_stays() {
        let (_d, s) = demo();
        let admin = id_of(&s, "admin");
        let op = id_of(&s, "8003");
        let changed = s
            .change_staff(
                op,
                &StaffChange {
                    display_name: Some("张强强".into()),
                    extension: Some(Some("8013".into())),
                    ..Default::default()
                },
                Some(admin),
            )
            .unwrap();
        assert_eq!(changed.display_name, "张强强");
        assert_eq!(changed.extension.as_deref(), Some("8013"));
        let taken = StaffChange {
            extension: Some(Some("8001".into())),
            ..Default::default()
        };
        assert_eq!(field(s.change_staff(op, &taken, Some(admin))), "extension");
        // An admin cannot disable themselves, nor demote or disable the last admin.
        assert_eq!(
            field(s.set_staff_active(admin, false, Some(admin))),
            "active"
        );
        let demote = StaffChange {
            role: Some(Role::Operator),
            ..Default::default()
        };
        assert_eq!(field(s.change_staff(admin, &demote, Some(admin))), "role");
        assert_eq!(field(s.change_staff(admin, &demote, None)), "role");
        assert_eq!(field(s.set_staff_active(admin, false, None)), "active");
        // With a second admin, the first can go.
        let second = s
            .add_staff_account(&new_staff("admin2", Role::Admin, None), &[], Some(admin))
            .unwrap();
        let off = s
            .set_staff_active(admin, false, Some(second.account.id))
            .unwrap();
        assert!(!off.active);
        assert!(s.staff_fingerprint(admin).unwrap().is_none());
        // A captain made an operator gives up their blocks.
        let cap = id_of(&s, "captain");
        assert!(!s.staff_account(cap).unwrap().unwrap().blocks.is_empty());
        let made_op = s.change_staff(cap, &demote, None).unwrap();
        assert!(made_op.blocks.is_empty());
        assert!(s
            .blocks()
            .unwrap()
            .iter()
            .all(|b| b.captain_staff_id != Some(cap)));
        // New passwords: the console one ends sessions, the phone's leaves them.
        let print = s.staff_fingerprint(op).unwrap();
        let sip = s.reset_sip_password(op, None).unwrap();
        assert_eq!(s.staff_fingerprint(op).unwrap(), print);
        let pw = s.reset_staff_password(op, None).unwrap();
        assert_ne!(s.staff_fingerprint(op).unwrap(), print);
        assert!(s.verify_login("8003", &pw).unwrap().is_some());
        assert_ne!(pw, sip);
    }
}

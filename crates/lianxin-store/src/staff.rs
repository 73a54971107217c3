//! Staff accounts: roles, argon2 password login, SIP digest credentials.
//!
//! Passwords are stored only as argon2 PHC strings. For SIP digest authentication the
//! registrar needs `HA1 = H(username:realm:password)`; we precompute it for MD5 and
//! SHA-256 when the password is set, so the SIP side never sees a plaintext password.
//!
//! The phone's SIP password is not the console password (issue 10, point 9): an MD5 HA1
//! (from a stolen database or one sniffed digest) allows a fast offline guess, which must
//! not reveal the Argon2-protected console password. [`Store::create_staff`] starts the
//! SIP credentials from the given password (the demo's documented phones and tests rely
//! on it); `lianxin staff add` replaces them at once with a generated one
//! ([`generate_sip_password`], [`Store::set_sip_password`]), and changing the console
//! password ([`Store::set_staff_password`]) leaves them alone.

use crate::db::{audit, ms};
use crate::{Result, Store, StoreError};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use chrono::Utc;
use md5::Md5;
use rusqlite::{params, OptionalExtension, Row};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// The SIP digest realm of every account.
pub const SIP_REALM: &str = "lianxin";

/// What a staff member may do. Consoles see it as its snake_case name (`operator`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Hotline operator (热线值班员): takes calls, receives screen-pops.
    Operator,
    /// Block captain (包片主任): handles requests for a block; no pops.
    Captain,
    /// Residents' committee staff (居委会): campaigns and follow-up; no pops.
    Committee,
    /// Street-office supervisor (街道): takes calls, sees every operator's state.
    Supervisor,
    /// System administrator: accounts and settings; sees operators' states, no pops.
    Admin,
}

impl Role {
    /// Whether staff of this role take hotline calls (and, on duty, get screen-pops).
    pub fn takes_calls(self) -> bool {
        matches!(self, Role::Operator | Role::Supervisor)
    }

    /// Whether staff of this role see every operator's state changes.
    pub fn watches_operators(self) -> bool {
        matches!(self, Role::Supervisor | Role::Admin)
    }

    /// The database text.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Operator => "operator",
            Role::Captain => "captain",
            Role::Committee => "committee",
            Role::Supervisor => "supervisor",
            Role::Admin => "admin",
        }
    }

    /// Parses the database text.
    pub fn parse(s: &str) -> Option<Role> {
        Some(match s {
            "operator" => Role::Operator,
            "captain" => Role::Captain,
            "committee" => Role::Committee,
            "supervisor" => Role::Supervisor,
            "admin" => Role::Admin,
            _ => return None,
        })
    }

    /// The Chinese name shown on consoles.
    pub fn label_zh(self) -> &'static str {
        match self {
            Role::Operator => "热线值班员",
            Role::Captain => "包片主任",
            Role::Committee => "居委会工作人员",
            Role::Supervisor => "街道督导",
            Role::Admin => "系统管理员",
        }
    }
}

/// A staff account (without secrets).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Staff {
    /// Row id.
    pub id: i64,
    /// Login name (operators use their extension number).
    pub username: String,
    /// Name shown on consoles (Chinese).
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// SIP extension of the desk phone, if any.
    pub extension: Option<String>,
    /// Contact number, if any.
    pub phone: Option<String>,
}

/// What the SIP registrar needs to check a digest response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SipCredentials {
    /// Staff row id.
    pub staff_id: i64,
    /// SIP username (same as the login name).
    pub username: String,
    /// Digest realm ([`SIP_REALM`]).
    pub realm: String,
    /// Hex `MD5(username:realm:password)`.
    pub ha1_md5: String,
    /// Hex `SHA-256(username:realm:password)`.
    pub ha1_sha256: String,
    /// Extension, if any.
    pub extension: Option<String>,
}

/// A staff account to create.
#[derive(Debug, Clone)]
pub struct NewStaff<'a> {
    /// Login name.
    pub username: &'a str,
    /// Display name.
    pub display_name: &'a str,
    /// Role.
    pub role: Role,
    /// SIP extension.
    pub extension: Option<&'a str>,
    /// Contact number.
    pub phone: Option<&'a str>,
    /// Initial password; `None` creates an account that cannot log in yet.
    pub password: Option<&'a str>,
}

/// Characters of a generated SIP password: digits and lower-case letters without the
/// look-alikes (0/o, 1/l/i), easy to type into a phone's web page or keypad.
const SIP_ALPHABET: &[u8] = b"23456789abcdefghjkmnpqrstuvwxyz";
/// Length of a generated SIP password (31^12, about 59 bits).
pub const SIP_PASSWORD_LEN: usize = 12;

/// A new random SIP password ([`SIP_PASSWORD_LEN`] characters from the OS's generator).
pub fn generate_sip_password() -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..SIP_PASSWORD_LEN)
        .map(|_| char::from(SIP_ALPHABET[rng.random_range(0..SIP_ALPHABET.len())]))
        .collect()
}

/// Hex MD5 and SHA-256 HA1 of a SIP password.
fn sip_ha1(username: &str, password: &str) -> (String, String) {
    let a1 = format!("{username}:{SIP_REALM}:{password}");
    (
        hex::encode(Md5::digest(a1.as_bytes())),
        hex::encode(Sha256::digest(a1.as_bytes())),
    )
}

struct Secrets {
    hash: String,
    md5: String,
    sha256: String,
}

fn secrets(username: &str, password: &str) -> Result<Secrets> {
    if password.is_empty() {
        return Err(StoreError::Invalid("empty password".into()));
    }
    let salt_bytes: [u8; 16] = rand::random();
    let salt =
        SaltString::encode_b64(&salt_bytes).map_err(|e| StoreError::Password(e.to_string()))?;
    let hash = Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| StoreError::Password(e.to_string()))?
        .to_string();
    let (md5, sha256) = sip_ha1(username, password);
    Ok(Secrets { hash, md5, sha256 })
}

const STAFF_COLS: &str = "id, username, display_name, role, extension, phone";

fn staff_row(r: &Row<'_>) -> rusqlite::Result<Staff> {
    let role: String = r.get(3)?;
    Ok(Staff {
        id: r.get(0)?,
        username: r.get(1)?,
        display_name: r.get(2)?,
        role: Role::parse(&role).unwrap_or(Role::Operator),
        extension: r.get(4)?,
        phone: r.get(5)?,
    })
}

/// Hex SHA-256 over the fields a session depends on (see `Store::staff_fingerprint`);
/// only active accounts have one, so the active flag is not part of it.
fn fingerprint(id: i64, username: &str, hash: &str, role: Role) -> String {
    let text = format!("{id}\0{username}\0{hash}\0{}", role.as_str());
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// An Argon2 hash (default parameters, like every real one) of a password nobody has,
/// checked for unknown users so they cost as much time as known ones.
fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| {
        let salt = SaltString::encode_b64(b"lianxin-dummy-salt").ok();
        salt.and_then(|salt| {
            Argon2::default()
                .hash_password(b"lianxin: no such user", &salt)
                .ok()
                .map(|h| h.to_string())
        })
        .unwrap_or_default()
    })
}

impl Store {
    /// Creates a staff account; `by` is the staff member doing it (`None`: command line).
    /// The SIP credentials start from the same password (the demo's phones use it);
    /// give the phone its own with [`set_sip_password`](Self::set_sip_password).
    pub fn create_staff(&self, new: &NewStaff<'_>, by: Option<i64>) -> Result<i64> {
        if new.username.trim().is_empty() {
            return Err(StoreError::Invalid("empty username".into()));
        }
        let sec = match new.password {
            Some(p) => Some(secrets(new.username, p)?),
            None => None,
        };
        self.write(|tx| {
            tx.prepare_cached(
                "INSERT INTO staff (username, display_name, role, extension, phone, password_hash,
                                    sip_ha1_md5, sip_ha1_sha256, created_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(params![
                new.username,
                new.display_name,
                new.role.as_str(),
                new.extension,
                new.phone,
                sec.as_ref().map(|s| s.hash.as_str()).unwrap_or(""),
                sec.as_ref().map(|s| s.md5.as_str()).unwrap_or(""),
                sec.as_ref().map(|s| s.sha256.as_str()).unwrap_or(""),
                ms(Utc::now()),
            ])?;
            let id = tx.last_insert_rowid();
            audit(
                tx,
                by,
                "create",
                &format!("staff:{id}"),
                &format!("username={} role={}", new.username, new.role.as_str()),
            )?;
            Ok(id)
        })
    }

    /// Sets a staff member's console password (its argon2 hash); audited. The phone's
    /// SIP password is not touched (see [`set_sip_password`](Self::set_sip_password)).
    pub fn set_staff_password(&self, staff_id: i64, password: &str, by: Option<i64>) -> Result<()> {
        let username = self.staff_username(staff_id)?;
        let sec = secrets(&username, password)?;
        self.write(|tx| {
            let n = tx
                .prepare_cached(
                    "UPDATE staff SET password_hash = ?2 WHERE id = ?1 AND username = ?3",
                )?
                .execute(params![staff_id, sec.hash, username])?;
            if n == 0 {
                return Err(StoreError::NotFound(format!("staff {staff_id}")));
            }
            audit(tx, by, "set_password", &format!("staff:{staff_id}"), "")
        })
    }

    /// Sets the SIP password of a staff member's phone (its digest HA1s); audited. The
    /// console password is not touched.
    pub fn set_sip_password(
        &self,
        staff_id: i64,
        sip_password: &str,
        by: Option<i64>,
    ) -> Result<()> {
        if sip_password.is_empty() {
            return Err(StoreError::Invalid("empty SIP password".into()));
        }
        let username = self.staff_username(staff_id)?;
        let (md5, sha256) = sip_ha1(&username, sip_password);
        self.write(|tx| {
            let n = tx
                .prepare_cached(
                    "UPDATE staff SET sip_ha1_md5 = ?2, sip_ha1_sha256 = ?3
                     WHERE id = ?1 AND username = ?4",
                )?
                .execute(params![staff_id, md5, sha256, username])?;
            if n == 0 {
                return Err(StoreError::NotFound(format!("staff {staff_id}")));
            }
            audit(tx, by, "set_sip_password", &format!("staff:{staff_id}"), "")
        })
    }

    fn staff_username(&self, staff_id: i64) -> Result<String> {
        let username: Option<String> = self.read(|c| {
            Ok(
                c.prepare_cached("SELECT username FROM staff WHERE id = ?1")?
                    .query_row([staff_id], |r| r.get(0))
                    .optional()?,
            )
        })?;
        username.ok_or_else(|| StoreError::NotFound(format!("staff {staff_id}")))
    }

    /// Checks a login; `Ok(None)` for an unknown user, a wrong password or an inactive
    /// account.
    pub fn verify_login(&self, username: &str, password: &str) -> Result<Option<Staff>> {
        Ok(self
            .verify_login_fingerprint(username, password)?
            .map(|(staff, _)| staff))
    }

    /// Like [`verify_login`](Self::verify_login), with the account's
    /// [fingerprint](Self::staff_fingerprint) read in the same row, so a session opened
    /// with it ends when the password, role or active flag changes afterwards.
    ///
    /// An unknown user, an inactive account or one without a password costs the same
    /// Argon2 check as a known one (against a fixed dummy hash), so the time taken does
    /// not tell which user names exist.
    pub fn verify_login_fingerprint(
        &self,
        username: &str,
        password: &str,
    ) -> Result<Option<(Staff, String)>> {
        let found = self.read(|c| {
            Ok(c.prepare_cached(&format!(
                "SELECT {STAFF_COLS}, password_hash FROM staff WHERE username = ?1 AND active = 1"
            ))?
            .query_row([username], |r| Ok((staff_row(r)?, r.get::<_, String>(6)?)))
            .optional()?)
        })?;
        // No such account, or one whose hash does not parse: check the dummy hash instead.
        let parsed = found.as_ref().and_then(|(_, h)| PasswordHash::new(h).ok());
        let known = parsed.is_some();
        let ok = parsed
            .or_else(|| PasswordHash::new(dummy_hash()).ok())
            .is_some_and(|p| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &p)
                    .is_ok()
            });
        match found {
            Some((staff, hash)) if known && ok => {
                let print = fingerprint(staff.id, &staff.username, &hash, staff.role);
                Ok(Some((staff, print)))
            }
            _ => Ok(None),
        }
    }

    /// A digest of what a log-in session depends on in a staff row: user name, password
    /// hash, role and active flag. `None` when the account is gone or inactive. One
    /// indexed read; the desk compares it with the value seen at log-in to end sessions
    /// after `lianxin staff passwd` or any other change, even from another process.
    pub fn staff_fingerprint(&self, id: i64) -> Result<Option<String>> {
        self.read(|c| {
            Ok(c.prepare_cached(
                "SELECT username, password_hash, role FROM staff WHERE id = ?1 AND active = 1",
            )?
            .query_row([id], |r| {
                let username: String = r.get(0)?;
                let hash: String = r.get(1)?;
                let role: String = r.get(2)?;
                let role = Role::parse(&role).unwrap_or(Role::Operator);
                Ok(fingerprint(id, &username, &hash, role))
            })
            .optional()?)
        })
    }

    /// The digest credentials of an active account with a password.
    pub fn sip_credentials(&self, username: &str) -> Result<Option<SipCredentials>> {
        self.read(|c| {
            Ok(c.prepare_cached(
                "SELECT id, username, sip_ha1_md5, sip_ha1_sha256, extension FROM staff
                 WHERE username = ?1 AND active = 1 AND sip_ha1_md5 <> ''",
            )?
            .query_row([username], |r| {
                Ok(SipCredentials {
                    staff_id: r.get(0)?,
                    username: r.get(1)?,
                    realm: SIP_REALM.to_string(),
                    ha1_md5: r.get(2)?,
                    ha1_sha256: r.get(3)?,
                    extension: r.get(4)?,
                })
            })
            .optional()?)
        })
    }

    /// One staff member by id.
    pub fn staff(&self, id: i64) -> Result<Option<Staff>> {
        self.read(|c| {
            Ok(
                c.prepare_cached(&format!("SELECT {STAFF_COLS} FROM staff WHERE id = ?1"))?
                    .query_row([id], staff_row)
                    .optional()?,
            )
        })
    }

    /// All staff, by id.
    pub fn staff_list(&self) -> Result<Vec<Staff>> {
        self.read(|c| {
            let mut st =
                c.prepare_cached(&format!("SELECT {STAFF_COLS} FROM staff ORDER BY id"))?;
            let rows = st.query_map([], staff_row)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path().join("t.db")).unwrap();
        (dir, s)
    }

    /// Creates operator 8001 (password `demo8001`); returns its id.
    fn operator_8001(s: &Store) -> i64 {
        s.create_staff(
            &NewStaff {
                username: "8001",
                display_name: "于燕妮",
                role: Role::Operator,
                extension: Some("8001"),
                phone: None,
                password: Some("demo8001"),
            },
            None,
        )
        .unwrap()
    }

    #[test]
    fn login_and_sip_credentials() {
        let (_d, s) = store();
        let id = operator_8001(&s);
        let staff = s.verify_login("8001", "demo8001").unwrap().unwrap();
        assert_eq!(staff.id, id);
        assert_eq!(staff.display_name, "于燕妮");
        assert_eq!(staff.role, Role::Operator);
        assert!(s.verify_login("8001", "wrong").unwrap().is_none());
        assert!(s.verify_login("nobody", "demo8001").unwrap().is_none());
        let print = s.staff_fingerprint(id).unwrap().unwrap();
        let (_, at_login) = s
            .verify_login_fingerprint("8001", "demo8001")
            .unwrap()
            .unwrap();
        assert_eq!(print, at_login);
        assert_eq!(s.staff_fingerprint(999).unwrap(), None);

        let cred = s.sip_credentials("8001").unwrap().unwrap();
        // HA1 = MD5("8001:lianxin:demo8001"), computed independently with md5sum.
        let expect = hex::encode(Md5::digest(b"8001:lianxin:demo8001"));
        assert_eq!(cred.ha1_md5, expect);
        assert_eq!(cred.ha1_sha256.len(), 64);
        assert_eq!(cred.realm, SIP_REALM);

        s.set_staff_password(id, "new-pass", Some(id)).unwrap();
        assert!(s.verify_login("8001", "demo8001").unwrap().is_none());
        assert!(s.verify_login("8001", "new-pass").unwrap().is_some());
        assert_ne!(s.staff_fingerprint(id).unwrap().unwrap(), print);
        // Issue 10 §9: the console password is not the phone's.
        assert_eq!(s.sip_credentials("8001").unwrap().unwrap().ha1_md5, expect);
        // create + set_password were both audited.
        assert_eq!(s.counts().unwrap().audit, 2);
    }

    /// Regression (issue 10, point 9): the phone's SIP password is its own; setting it
    /// changes only the digest HA1s, and generated ones are fresh and readable.
    #[test]
    fn sip_password_is_separate_from_the_console_password() {
        let (_d, s) = store();
        let id = operator_8001(&s);
        let print = s.staff_fingerprint(id).unwrap().unwrap();
        let sip = generate_sip_password();
        assert_eq!(sip.len(), SIP_PASSWORD_LEN);
        assert!(sip.bytes().all(|b| SIP_ALPHABET.contains(&b)), "{sip}");
        assert_ne!(sip, generate_sip_password());
        s.set_sip_password(id, &sip, None).unwrap();
        let cred = s.sip_credentials("8001").unwrap().unwrap();
        let a1 = format!("8001:lianxin:{sip}");
        assert_eq!(cred.ha1_md5, hex::encode(Md5::digest(a1.as_bytes())));
        assert_eq!(cred.ha1_sha256, hex::encode(Sha256::digest(a1.as_bytes())));
        // The console log-in and the session fingerprint are untouched.
        assert!(s.verify_login("8001", "demo8001").unwrap().is_some());
        assert_eq!(s.staff_fingerprint(id).unwrap().unwrap(), print);
        assert!(s.set_sip_password(id, "", None).is_err());
        assert!(s.set_sip_password(999, "abcdefgh", None).is_err());
    }

    /// Unknown user names cost an Argon2 check too (against the dummy hash), so timing
    /// does not tell which names exist (was 1.5 ms against 23.5 ms).
    #[test]
    fn unknown_users_cost_as_much_as_known_ones() {
        let (_d, s) = store();
        operator_8001(&s);
        let time = |user: &str| {
            let mut runs: Vec<std::time::Duration> = (0..5)
                .map(|_| {
                    let t = std::time::Instant::now();
                    assert!(s.verify_login(user, "wrong").unwrap().is_none());
                    t.elapsed()
                })
                .collect();
            runs.sort();
            runs[2]
        };
        let _ = time("nobody"); // the dummy hash is made on first use
        let known = time("8001");
        let unknown = time("nobody");
        assert!(
            unknown * 3 > known,
            "unknown {unknown:?} vs known {known:?}"
        );
    }

    #[test]
    fn account_without_password_cannot_log_in() {
        let (_d, s) = store();
        s.create_staff(
            &NewStaff {
                username: "cap2",
                display_name: "陈",
                role: Role::Captain,
                extension: None,
                phone: None,
                password: None,
            },
            None,
        )
        .unwrap();
        assert!(s.verify_login("cap2", "").unwrap().is_none());
        assert!(s.sip_credentials("cap2").unwrap().is_none());
        assert!(s.set_staff_password(999, "x", None).is_err());
        assert!(!dummy_hash().is_empty());
    }
}

//! `lianxin staff`: staff accounts (console log-ins and the operators' SIP phones).
//!
//! An operator's user name is what they type on the console and what their desk phone
//! registers with; the password serves both (stored as an argon2 hash for the console and
//! as digest HA1 values for SIP, never in clear).

use anyhow::{bail, Context};
use lianxin_store::{NewStaff, Role, Store};

/// `lianxin staff …`
#[derive(Debug, clap::Subcommand)]
pub enum StaffCommand {
    /// List the accounts.
    List,
    /// Create an account. The password comes from --password or LIANXIN_PASSWORD.
    Add {
        /// Log-in name (operators: their extension number, e.g. 8004).
        username: String,
        /// Name shown on the consoles, e.g. 孙丽.
        #[arg(long)]
        name: String,
        /// operator, captain, committee, supervisor or admin.
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// SIP extension of their desk phone (operators and supervisors).
        #[arg(long)]
        extension: Option<String>,
        /// Their own phone number, for call-backs.
        #[arg(long)]
        phone: Option<String>,
        /// Initial password (at least 8 characters).
        #[arg(long, env = "LIANXIN_PASSWORD", hide_env_values = true)]
        password: String,
    },
    /// Set a new password (console and phone).
    Passwd {
        /// Log-in name.
        username: String,
        /// The new password (at least 8 characters).
        #[arg(long, env = "LIANXIN_PASSWORD", hide_env_values = true)]
        password: String,
    },
}

fn parse_role(s: &str) -> Result<Role, String> {
    Role::parse(s).ok_or_else(|| {
        format!("{s:?} is not a role: use operator, captain, committee, supervisor or admin")
    })
}

fn check_password(p: &str) -> anyhow::Result<()> {
    if p.chars().count() < 8 {
        bail!("the password must have at least 8 characters");
    }
    Ok(())
}

/// Runs one `staff` command.
pub fn run(store: &Store, cmd: &StaffCommand) -> anyhow::Result<()> {
    match cmd {
        StaffCommand::List => {
            let list = store.staff_list()?;
            println!(
                "{:<12} {:<10} {:<11} {:<9} phone",
                "username", "name", "role", "extension"
            );
            for s in list {
                println!(
                    "{:<12} {:<10} {:<11} {:<9} {}",
                    s.username,
                    s.display_name,
                    s.role.as_str(),
                    s.extension.as_deref().unwrap_or("-"),
                    s.phone.as_deref().unwrap_or("-")
                );
            }
        }
        StaffCommand::Add {
            username,
            name,
            role,
            extension,
            phone,
            password,
        } => {
            check_password(password)?;
            if store.staff_list()?.iter().any(|s| &s.username == username) {
                bail!("there is already an account {username:?}; use `lianxin staff passwd` to change its password");
            }
            let id = store
                .create_staff(
                    &NewStaff {
                        username,
                        display_name: name,
                        role: *role,
                        extension: extension.as_deref(),
                        phone: phone.as_deref(),
                        password: Some(password),
                    },
                    None,
                )
                .with_context(|| format!("cannot create account {username:?}"))?;
            println!(
                "created {username} ({name}, {}) with id {id}",
                role.as_str()
            );
            if extension.is_some() {
                println!(
                    "their phone registers as user {username} with the same password (realm {})",
                    lianxin_store::SIP_REALM
                );
            }
        }
        StaffCommand::Passwd { username, password } => {
            check_password(password)?;
            let Some(s) = store
                .staff_list()?
                .into_iter()
                .find(|s| &s.username == username)
            else {
                bail!("there is no account {username:?}; `lianxin staff list` shows them");
            };
            store.set_staff_password(s.id, password, None)?;
            println!("password of {username} changed (console and phone)");
        }
    }
    Ok(())
}

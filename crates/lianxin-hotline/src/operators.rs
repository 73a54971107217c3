//! Who can take hotline calls: the operators and supervisors from the staff list, found by
//! login name or extension (the user their phones register as).
//!
//! Loaded once at start, off the event loop (it is a SQLite read), before the loop runs.

use std::collections::HashMap;

use lianxin_desk::OperatorRef;
use lianxin_store::{Role, Staff};

use crate::acd::OperatorId;

/// One operator (or supervisor) who can be offered calls.
#[derive(Debug, Clone)]
pub(crate) struct Operator {
    pub(crate) username: String,
    pub(crate) display_name: String,
    pub(crate) extension: Option<String>,
}

impl Operator {
    /// The users their phone may be registered as: the extension first, then the login.
    pub(crate) fn phone_users(&self) -> Vec<&str> {
        let mut users = Vec::with_capacity(2);
        if let Some(ext) = &self.extension {
            users.push(ext.as_str());
        }
        if self.extension.as_deref() != Some(self.username.as_str()) {
            users.push(self.username.as_str());
        }
        users
    }
}

/// The operators by staff id, and by login name / extension.
#[derive(Debug, Default)]
pub(crate) struct Operators {
    by_id: HashMap<OperatorId, Operator>,
    by_user: HashMap<String, OperatorId>,
}

impl Operators {
    /// The operators and supervisors of a staff list.
    pub(crate) fn from_staff(staff: Vec<Staff>) -> Operators {
        let mut ops = Operators::default();
        for s in staff {
            if !matches!(s.role, Role::Operator | Role::Supervisor) {
                continue;
            }
            ops.by_user.insert(s.username.clone(), s.id);
            if let Some(ext) = &s.extension {
                ops.by_user.insert(ext.clone(), s.id);
            }
            ops.by_id.insert(
                s.id,
                Operator {
                    username: s.username,
                    display_name: s.display_name,
                    extension: s.extension,
                },
            );
        }
        ops
    }

    pub(crate) fn len(&self) -> usize {
        self.by_id.len()
    }

    pub(crate) fn get(&self, id: OperatorId) -> Option<&Operator> {
        self.by_id.get(&id)
    }

    pub(crate) fn contains(&self, id: OperatorId) -> bool {
        self.by_id.contains_key(&id)
    }

    /// The operator whose login name or extension is `user`.
    pub(crate) fn by_user(&self, user: &str) -> Option<OperatorId> {
        self.by_user.get(user).copied()
    }

    /// Every operator with their login and extension (for the registration re-check).
    pub(crate) fn all(&self) -> Vec<(OperatorId, Operator)> {
        self.by_id.iter().map(|(id, o)| (*id, o.clone())).collect()
    }

    /// How the consoles name an operator.
    pub(crate) fn reference(&self, staff_id: OperatorId) -> Option<OperatorRef> {
        self.by_id.get(&staff_id).map(|o| OperatorRef {
            staff_id,
            display_name: o.display_name.clone(),
            extension: o.extension.clone(),
        })
    }
}

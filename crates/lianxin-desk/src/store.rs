//! [`Directory`] for the real database, `lianxin_store::Store`.
//!
//! A thin mapping: store types become the desk's own types, store errors become
//! [`DirectoryError`]s naming the request field at fault, with a Chinese message. No SQL
//! here; the store audits changes itself.

use std::path::PathBuf;

use lianxin_store::{Store, StoreError};

use crate::directory::{
    AttachedNumber, Directory, DirectoryError, HouseholdHit, Role, Staff, VoiceMessage,
};

impl Directory for Store {
    fn verify_login(
        &self,
        username: &str,
        password: &str,
    ) -> Result<Option<Staff>, DirectoryError> {
        let staff = Store::verify_login(self, username, password).map_err(backend)?;
        Ok(staff.map(staff_from))
    }

    fn search_households(
        &self,
        query: &str,
        limit: usize,
    ) -> Result<Vec<HouseholdHit>, DirectoryError> {
        let hits = Store::search_households(self, query, limit).map_err(backend)?;
        Ok(hits
            .into_iter()
            .map(|h| HouseholdHit {
                id: h.household_id,
                address: h.address,
                block: None,
                captain: None,
                members: h.members,
                numbers: h.phones,
            })
            .collect())
    }

    fn attach_number(
        &self,
        household_id: i64,
        raw_number: &str,
        staff_id: i64,
    ) -> Result<AttachedNumber, DirectoryError> {
        match Store::attach_number(self, household_id, raw_number, staff_id) {
            Ok(n) => Ok(AttachedNumber {
                household_id,
                raw: raw_number.to_owned(),
                normalized: n.number,
            }),
            Err(StoreError::InvalidNumber(_)) => Err(DirectoryError::Invalid {
                field: "number",
                message: "电话号码格式不正确，请输入固定电话或手机号码".into(),
            }),
            Err(StoreError::NotFound(_)) => Err(DirectoryError::NotFound { field: "id" }),
            Err(StoreError::Invalid(_)) => Err(DirectoryError::Invalid {
                field: "number",
                message: "无法关联该号码，请检查后重试".into(),
            }),
            Err(e) => Err(backend(e)),
        }
    }

    fn voice_messages(&self, open_only: bool) -> Result<Vec<VoiceMessage>, DirectoryError> {
        let list = Store::list_voice_messages(self, open_only).map_err(backend)?;
        Ok(list
            .into_iter()
            .map(|m| VoiceMessage {
                id: m.id,
                call_id: m.call_id.map(|c| c.to_string()),
                caller_raw: (!m.caller_raw.is_empty()).then_some(m.caller_raw),
                household_id: m.household_id,
                household_label: None,
                received_at: m.created,
                duration_s: u32::try_from(m.duration_ms.div_ceil(1000)).unwrap_or(u32::MAX),
                handled: !m.open,
            })
            .collect())
    }

    fn voice_message_audio(&self, id: i64) -> Result<Option<PathBuf>, DirectoryError> {
        let m = Store::voice_message(self, id).map_err(backend)?;
        Ok(m.map(|m| PathBuf::from(m.path)))
    }
}

fn staff_from(s: lianxin_store::Staff) -> Staff {
    Staff {
        id: s.id,
        username: s.username,
        display_name: s.display_name,
        role: match s.role {
            lianxin_store::Role::Operator => Role::Operator,
            lianxin_store::Role::Captain => Role::Captain,
            lianxin_store::Role::Committee => Role::Committee,
            lianxin_store::Role::Supervisor => Role::Supervisor,
            lianxin_store::Role::Admin => Role::Admin,
        },
        extension: s.extension,
    }
}

fn backend(e: StoreError) -> DirectoryError {
    DirectoryError::Backend(e.to_string())
}

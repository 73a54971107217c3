//! [`Directory`] for the real database, `lianxin_store::Store`.
//!
//! A thin mapping. The search hit is the store's own type and goes through as it is;
//! staff and voice messages become the desk's shapes (consoles see a staff member without
//! their phone, a voice message as the console lists it). Store errors become
//! [`DirectoryError`]s naming the request field at fault, with a Chinese message. No SQL
//! here; the store audits changes itself.

use std::collections::HashSet;
use std::path::PathBuf;

use lianxin_store::{HouseholdHit, HouseholdScope, Store, StoreError};

use crate::campaign_store::CampaignStore;
use crate::directory::{AttachedNumber, Directory, DirectoryError, Login, Staff, VoiceMessage};

impl Directory for Store {
    fn verify_login(
        &self,
        username: &str,
        password: &str,
    ) -> Result<Option<Login>, DirectoryError> {
        let found = Store::verify_login_fingerprint(self, username, password).map_err(backend)?;
        Ok(found.map(|(s, fingerprint)| Login {
            staff: Staff {
                id: s.id,
                username: s.username,
                display_name: s.display_name,
                role: s.role,
                extension: s.extension,
            },
            fingerprint,
        }))
    }

    fn fingerprint(&self, staff_id: i64) -> Result<Option<String>, DirectoryError> {
        Store::staff_fingerprint(self, staff_id).map_err(backend)
    }

    fn ping(&self) -> Result<(), DirectoryError> {
        Store::staff(self, 0).map(|_| ()).map_err(backend)
    }

    fn search_households(
        &self,
        query: &str,
        limit: usize,
    ) -> Result<Vec<HouseholdHit>, DirectoryError> {
        Store::search_households(self, query, limit).map_err(backend)
    }

    fn search_households_in(
        &self,
        query: &str,
        limit: usize,
        scope: HouseholdScope,
    ) -> Result<Vec<HouseholdHit>, DirectoryError> {
        Store::search_households_in(self, query, limit, scope).map_err(backend)
    }

    fn captain_households(&self, staff_id: i64) -> Result<HashSet<i64>, DirectoryError> {
        Store::captain_households(self, staff_id).map_err(backend)
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
                call_id: m.desk_call_id,
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

    fn campaigns(&self) -> Option<&dyn CampaignStore> {
        Some(self)
    }

    fn requests(&self) -> Option<&dyn crate::request_store::RequestStore> {
        Some(self)
    }

    fn reports(&self) -> Option<&dyn crate::report_store::ReportStore> {
        Some(self)
    }

    fn units(&self) -> Option<&dyn crate::unit_store::UnitStore> {
        Some(self)
    }

    fn visits(&self) -> Option<&dyn crate::visit_store::VisitStore> {
        Some(self)
    }

    fn imports(&self) -> Option<&dyn crate::import_store::ImportStore> {
        Some(self)
    }

    fn admin(&self) -> Option<&dyn crate::admin_store::AdminStore> {
        Some(self)
    }
}

fn backend(e: StoreError) -> DirectoryError {
    DirectoryError::Backend(e.to_string())
}

#[cfg(test)]
mod tests {
    use lianxin_store::{CallOutcome, HouseholdHit, Role};

    /// The store's types are the consoles' wire form: field names and enum spellings
    /// as `docs/desk-protocol.md` shows them, byte for byte.
    #[test]
    fn store_types_serialize_as_the_protocol_shows() {
        let hit = HouseholdHit {
            id: 1,
            code: "CYM000001".into(),
            address: "内务部街27号".into(),
            block: None,
            captain: None,
            members: vec!["范先翔".into(), "李国栋".into()],
            numbers: vec!["01065123456".into(), "13912345678".into()],
        };
        assert_eq!(
            serde_json::to_string(&hit).unwrap(),
            r#"{"id":1,"address":"内务部街27号","block":null,"captain":null,"members":["范先翔","李国栋"],"numbers":["01065123456","13912345678"]}"#
        );
        let roles = [
            Role::Operator,
            Role::Captain,
            Role::Committee,
            Role::Supervisor,
            Role::Admin,
        ];
        assert_eq!(
            serde_json::to_string(&roles).unwrap(),
            r#"["operator","captain","committee","supervisor","admin"]"#
        );
        let outcomes = [
            CallOutcome::Answered,
            CallOutcome::Abandoned,
            CallOutcome::VoiceMessage,
            CallOutcome::Rejected,
            CallOutcome::Failed,
        ];
        assert_eq!(
            serde_json::to_string(&outcomes).unwrap(),
            r#"["answered","abandoned","voice_message","rejected","failed"]"#
        );
    }
}

//! [`AdminStore`] for the real database: a thin mapping of the store's staff, group and
//! settings functions (the same ones `lianxin staff` uses). A refusal keeps its field and
//! Chinese message (a bad value → `Invalid`, a clash → `Conflict`); an unknown row is
//! `NotFound` naming `id`. No SQL here; the store audits every change.

use lianxin_store::{
    BlockInfo, CreatedAccount, GroupMember, NewStaff, OpeningHours, PhoneGroupInfo, RequestRefused,
    StaffAccount, StaffChange, Store, StoreError,
};

use crate::admin_store::AdminStore;
use crate::directory::DirectoryError;

fn map(e: StoreError) -> DirectoryError {
    match e {
        StoreError::Refused(RequestRefused::Invalid { field, message }) => {
            DirectoryError::Invalid { field, message }
        }
        StoreError::Refused(r) => DirectoryError::Conflict {
            field: r.field(),
            message: r.to_string(),
        },
        StoreError::Conflict { field, message } => DirectoryError::Conflict { field, message },
        StoreError::NotFound(_) => DirectoryError::NotFound { field: "id" },
        e => DirectoryError::Backend(e.to_string()),
    }
}

impl AdminStore for Store {
    fn staff_accounts(&self) -> Result<Vec<StaffAccount>, DirectoryError> {
        Store::staff_accounts(self).map_err(map)
    }

    fn blocks(&self) -> Result<Vec<BlockInfo>, DirectoryError> {
        Store::blocks(self).map_err(map)
    }

    fn add_staff(
        &self,
        new: &NewStaff<'_>,
        blocks: &[String],
        by: i64,
    ) -> Result<CreatedAccount, DirectoryError> {
        Store::add_staff_account(self, new, blocks, Some(by)).map_err(map)
    }

    fn change_staff(
        &self,
        id: i64,
        change: &StaffChange,
        by: i64,
    ) -> Result<StaffAccount, DirectoryError> {
        Store::change_staff(self, id, change, Some(by)).map_err(map)
    }

    fn set_staff_active(
        &self,
        id: i64,
        active: bool,
        by: i64,
    ) -> Result<StaffAccount, DirectoryError> {
        Store::set_staff_active(self, id, active, Some(by)).map_err(map)
    }

    fn reset_password(&self, id: i64, by: i64) -> Result<String, DirectoryError> {
        Store::reset_staff_password(self, id, Some(by)).map_err(map)
    }

    fn reset_sip_password(&self, id: i64, by: i64) -> Result<String, DirectoryError> {
        Store::reset_sip_password(self, id, Some(by)).map_err(map)
    }

    fn phone_groups(&self) -> Result<Vec<PhoneGroupInfo>, DirectoryError> {
        Store::phone_group_infos(self).map_err(map)
    }

    fn create_group(
        &self,
        name: &str,
        description: &str,
        by: i64,
    ) -> Result<PhoneGroupInfo, DirectoryError> {
        Store::create_phone_group(self, name, description, Some(by)).map_err(map)
    }

    fn change_group(
        &self,
        id: i64,
        name: Option<&str>,
        retired: Option<bool>,
        by: i64,
    ) -> Result<PhoneGroupInfo, DirectoryError> {
        Store::change_phone_group(self, id, name, retired, Some(by)).map_err(map)
    }

    fn group_members(&self, id: i64) -> Result<Vec<GroupMember>, DirectoryError> {
        Store::phone_group_members(self, id).map_err(map)
    }

    fn set_group_member(
        &self,
        group: i64,
        household: i64,
        member: bool,
        by: i64,
    ) -> Result<PhoneGroupInfo, DirectoryError> {
        Store::set_group_member(self, group, household, member, Some(by)).map_err(map)
    }

    fn opening_hours(&self) -> Result<Option<OpeningHours>, DirectoryError> {
        Store::opening_hours(self).map_err(map)
    }

    fn set_opening_hours(&self, hours: &OpeningHours, by: i64) -> Result<(), DirectoryError> {
        Store::set_opening_hours(self, hours, Some(by)).map_err(map)
    }
}

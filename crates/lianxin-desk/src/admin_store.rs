//! What the admins' endpoints need from the database, as a trait so SQL stays in the
//! store (implemented in `store_admin`, handed out by
//! [`Directory::admin`](crate::Directory::admin); without one those endpoints answer
//! 503): staff accounts, blocks, phone groups and the opening hours.
//!
//! Every change names who makes it (`by`, a staff id) so the store audits it; a refusal
//! is a [`DirectoryError`] naming the field at fault in Chinese.

use lianxin_store::{
    BlockInfo, CreatedAccount, GroupMember, NewStaff, OpeningHours, PhoneGroupInfo, StaffAccount,
    StaffChange,
};

use crate::directory::DirectoryError;

/// The database side of the admins' screens.
pub trait AdminStore: Send + Sync {
    /// Every staff account with its blocks.
    fn staff_accounts(&self) -> Result<Vec<StaffAccount>, DirectoryError>;
    /// Every block with its captain and household count.
    fn blocks(&self) -> Result<Vec<BlockInfo>, DirectoryError>;
    /// Adds an account (passwords generated unless given) captaining `blocks`.
    fn add_staff(
        &self,
        new: &NewStaff<'_>,
        blocks: &[String],
        by: i64,
    ) -> Result<CreatedAccount, DirectoryError>;
    /// Changes an account's name, role, extension, phone or blocks.
    fn change_staff(
        &self,
        id: i64,
        change: &StaffChange,
        by: i64,
    ) -> Result<StaffAccount, DirectoryError>;
    /// Disables or enables an account.
    fn set_staff_active(
        &self,
        id: i64,
        active: bool,
        by: i64,
    ) -> Result<StaffAccount, DirectoryError>;
    /// A new generated console password, returned once.
    fn reset_password(&self, id: i64, by: i64) -> Result<String, DirectoryError>;
    /// A new generated SIP password of the account's phone, returned once.
    fn reset_sip_password(&self, id: i64, by: i64) -> Result<String, DirectoryError>;

    /// Every phone group, retired ones too.
    fn phone_groups(&self) -> Result<Vec<PhoneGroupInfo>, DirectoryError>;
    /// Adds a phone group.
    fn create_group(
        &self,
        name: &str,
        description: &str,
        by: i64,
    ) -> Result<PhoneGroupInfo, DirectoryError>;
    /// Renames and/or retires (or restores) a group.
    fn change_group(
        &self,
        id: i64,
        name: Option<&str>,
        retired: Option<bool>,
        by: i64,
    ) -> Result<PhoneGroupInfo, DirectoryError>;
    /// The households of a group.
    fn group_members(&self, id: i64) -> Result<Vec<GroupMember>, DirectoryError>;
    /// Puts a household in a group or takes it out.
    fn set_group_member(
        &self,
        group: i64,
        household: i64,
        member: bool,
        by: i64,
    ) -> Result<PhoneGroupInfo, DirectoryError>;

    /// The stored opening hours (`None`: none stored yet).
    fn opening_hours(&self) -> Result<Option<OpeningHours>, DirectoryError>;
    /// Stores new opening hours.
    fn set_opening_hours(&self, hours: &OpeningHours, by: i64) -> Result<(), DirectoryError>;
}

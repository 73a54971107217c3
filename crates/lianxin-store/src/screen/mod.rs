//! The screen pop: everything an operator needs about a caller, found from the caller ID.
//!
//! [`Store::screen_pop`] looks the normalized number up in the `phones` index and builds
//! one [`HouseholdCard`] per household that owns it: zero cards means an unknown caller,
//! more than one a shared number (a landline listed for two households, a relative's
//! mobile). A number that belongs to a resident unit also pops the unit. Each card carries the address, block and captain, members with their ages,
//! groups and recent service history. Every query is a cached prepared statement on an
//! indexed column, so a lookup takes tens of microseconds even with a million residents.
//!
//! Ages and alarm colours depend on the time: the caller passes `now`, and "today" is the
//! date in China ([`crate::china_time`]).
//!
//! Files: [`card`] (the household card and its history), [`search`] (finding a household
//! by name, address or number, attaching a number), [`alarm`] (request colours),
//! [`age`] (ages in whole years), [`address`] (the address text).

mod address;
mod age;
mod alarm;
mod card;
mod search;

pub use crate::campaign_history::CampaignResult;
pub(crate) use address::address_at;
pub use address::format_address;
pub use age::age_on;
pub use alarm::Alarm;
pub use card::{
    BlockInfo, CallSummary, Dwelling, HouseholdCard, Member, PhoneEntry, RequestSummary, Sex,
    VoiceMessageSummary, HISTORY_CALLS, HISTORY_CAMPAIGNS, HISTORY_REQUESTS,
    HISTORY_VOICE_MESSAGES,
};
pub use search::HouseholdHit;

use crate::callerid::CallerId;
use crate::units::{units_by_number, Unit};
use crate::{Result, Store};
use card::card;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// The screen-pop record for one caller ID.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScreenPop {
    /// The caller ID as normalized.
    pub caller: CallerId,
    /// Households owning the number: none = unknown caller, several = shared number.
    pub matches: Vec<HouseholdCard>,
    /// Resident units (驻区单位) whose number it is: a canteen or school calling the
    /// hotline pops as itself rather than as an unknown caller.
    pub units: Vec<Unit>,
}

impl Store {
    /// The screen pop for a caller ID at time `now`. Anonymous and invalid caller IDs give
    /// no matches (the console then offers search and attach).
    pub fn screen_pop(&self, caller: &CallerId, now: DateTime<Utc>) -> Result<ScreenPop> {
        let Some(number) = caller.number() else {
            return Ok(ScreenPop {
                caller: caller.clone(),
                matches: Vec::new(),
                units: Vec::new(),
            });
        };
        self.read_snapshot(|c| {
            let mut owners: Vec<(i64, Vec<i64>)> = Vec::new();
            {
                let mut st = c.prepare_cached(
                    "SELECT household_id, resident_id FROM phones WHERE normalized = ?1 ORDER BY household_id",
                )?;
                let mut rows = st.query([&number.number])?;
                while let Some(r) = rows.next()? {
                    let hh: i64 = r.get(0)?;
                    let res: Option<i64> = r.get(1)?;
                    match owners.last_mut() {
                        Some((h, v)) if *h == hh => v.extend(res),
                        _ => owners.push((hh, res.into_iter().collect())),
                    }
                }
            }
            let mut matches = Vec::with_capacity(owners.len());
            for (hh, res) in owners {
                if let Some(card) = card(c, hh, &res, now)? {
                    matches.push(card);
                }
            }
            Ok(ScreenPop {
                caller: caller.clone(),
                matches,
                units: units_by_number(c, &number.number)?,
            })
        })
    }

    /// The card of one household (e.g. after a search), at time `now`.
    pub fn household(
        &self,
        household_id: i64,
        now: DateTime<Utc>,
    ) -> Result<Option<HouseholdCard>> {
        self.read_snapshot(|c| card(c, household_id, &[], now))
    }
}

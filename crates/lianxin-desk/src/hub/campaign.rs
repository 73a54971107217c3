//! The hub's share of group-call campaigns: `campaign.*` frames and `hello`'s list.
//!
//! Who sees a campaign depends on who started it (a captain sees only their own), and
//! the dialer's updates do not say. So the hub keeps a small cache of campaign id →
//! creator: filled when a console starts a campaign, and on a miss (a campaign resumed
//! after a restart, or started from the command line) read once from the store — one
//! indexed read per campaign, done before the hub's lock is taken. Each update becomes
//! exactly one frame: the dialer batches household rows (about twice a second), and the
//! hub never splits a batch, so 800 answers in two seconds are a handful of frames in a
//! console's queue, not 800.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use crate::campaign_access::{sees, sees_all};
use crate::campaigns::{CampaignLive, CampaignUpdate};
use crate::directory::{Directory, Staff};
use crate::protocol::Outgoing;

use super::{Audience, Frame, Hub};

/// Most creators remembered; the cache starts over beyond that (only a re-read is lost).
const MAX_OWNERS: usize = 4096;

/// Campaign id → the staff id that created it (`None`: the command line).
#[derive(Default)]
pub(crate) struct CampaignOwners {
    lookup: OnceLock<Arc<dyn Directory>>,
    cache: Mutex<HashMap<i64, Option<i64>>>,
}

impl CampaignOwners {
    fn cache(&self) -> std::sync::MutexGuard<'_, HashMap<i64, Option<i64>>> {
        self.cache.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn remember(&self, id: i64, owner: Option<i64>) {
        let mut cache = self.cache();
        if cache.len() >= MAX_OWNERS && !cache.contains_key(&id) {
            cache.clear();
        }
        cache.insert(id, owner);
    }

    /// The creator of campaign `id`: cached, or read from the store (not cached when
    /// the read fails, so a later update tries again).
    fn owner(&self, id: i64) -> Option<i64> {
        if let Some(owner) = self.cache().get(&id) {
            return *owner;
        }
        let store = self.lookup.get()?.campaigns()?;
        match store.campaign(id) {
            Ok(record) => {
                let owner = record.and_then(|r| r.created_by);
                self.remember(id, owner);
                owner
            }
            Err(e) => {
                tracing::warn!(campaign = id, error = %e, "campaign creator not read");
                None
            }
        }
    }
}

impl Hub {
    /// Where the hub reads a campaign's creator when it does not know it.
    pub(crate) fn set_owner_lookup(&self, directory: Arc<dyn Directory>) {
        let _ = self.owners.lookup.set(directory);
    }

    /// Campaign `id` was started by `staff_id` (from the HTTP API).
    pub(crate) fn remember_campaign_owner(&self, id: i64, staff_id: i64) {
        self.owners.remember(id, Some(staff_id));
    }

    /// Reads the creators of the live campaigns into the cache, so that
    /// [`hello_campaigns`](Self::hello_campaigns), called under the hub's lock, needs no
    /// store read. Call it before taking the lock.
    pub(super) fn warm_owners(&self, staff: &Staff) {
        if staff.role == lianxin_store::Role::Captain {
            for l in self.campaigns.get().map(|c| c.live()).unwrap_or_default() {
                self.owners.owner(l.id);
            }
        }
    }

    /// The live campaigns `staff` sees, for `hello`; `None` for roles that see none.
    /// Called under the hub's lock, so an update published meanwhile comes after it.
    pub(super) fn hello_campaigns(&self, staff: &Staff) -> Option<Vec<CampaignLive>> {
        if !sees_all(staff.role) && staff.role != lianxin_store::Role::Captain {
            return None;
        }
        let mut live = self.campaigns.get().map(|c| c.live()).unwrap_or_default();
        if !sees_all(staff.role) {
            let cache = self.owners.cache();
            live.retain(|l| sees(staff, cache.get(&l.id).copied().flatten()));
        }
        live.sort_by_key(|l| l.id);
        Some(live)
    }

    /// One frame for one update, to the consoles that see the campaign.
    pub(super) fn publish_campaign(&self, update: CampaignUpdate, t0: Option<Instant>) {
        let id = match &update {
            CampaignUpdate::Started(l)
            | CampaignUpdate::Progress(l)
            | CampaignUpdate::Finished(l) => l.id,
            CampaignUpdate::Households { id, .. } => *id,
        };
        let owner = self.owners.owner(id);
        let text = match &update {
            CampaignUpdate::Started(l) => Outgoing::CampaignStarted { campaign: l },
            CampaignUpdate::Progress(l) => Outgoing::CampaignProgress { campaign: l },
            CampaignUpdate::Households { id, rows } => {
                Outgoing::CampaignHousehold { id: *id, rows }
            }
            CampaignUpdate::Finished(l) => Outgoing::CampaignFinished { campaign: l },
        }
        .encode();
        let mut st = self.lock();
        self.deliver(
            &mut st,
            Audience::Campaign { owner },
            Frame {
                text: text.into(),
                t0,
            },
        );
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::campaigns::{
        BoxFuture, CampaignControl, CampaignCounters, CampaignHouseholdRow, CampaignRefused,
        CampaignState, NoticeInfo,
    };
    use crate::event::DeskEvent;
    use crate::hub::test_kit::{self, staff};
    use crate::hub::Registered;
    use lianxin_store::{CampaignSettings, NewCampaign, Role};
    use serde_json::Value;

    fn live(id: i64) -> CampaignLive {
        CampaignLive {
            id,
            name: format!("任务{id}"),
            state: CampaignState::Running,
            counters: CampaignCounters {
                households: 800,
                dialled: 0,
                ringing: 0,
                in_call: 0,
                reached: 0,
                not_reached: 0,
                remaining: 800,
                calls_per_second: 0,
                backing_off: false,
                waiting_for_window: false,
            },
        }
    }

    /// A dialer that only reports campaigns 1 and 2 as live.
    struct Live;

    impl CampaignControl for Live {
        fn start(&self, _: NewCampaign) -> BoxFuture<'_, Result<i64, CampaignRefused>> {
            Box::pin(async { Ok(1) })
        }
        fn pause(&self, _: i64) -> BoxFuture<'_, Result<(), CampaignRefused>> {
            Box::pin(async { Ok(()) })
        }
        fn resume(&self, _: i64) -> BoxFuture<'_, Result<(), CampaignRefused>> {
            Box::pin(async { Ok(()) })
        }
        fn cancel(&self, _: i64) -> BoxFuture<'_, Result<(), CampaignRefused>> {
            Box::pin(async { Ok(()) })
        }
        fn live(&self) -> Vec<CampaignLive> {
            vec![live(2), live(1)]
        }
        fn defaults(&self) -> CampaignSettings {
            CampaignSettings::default()
        }
        fn notices(&self) -> Vec<NoticeInfo> {
            Vec::new()
        }
        fn add_notice(
            &self,
            _: String,
            _: Vec<u8>,
        ) -> BoxFuture<'_, Result<NoticeInfo, CampaignRefused>> {
            Box::pin(async {
                Err(CampaignRefused {
                    status: 503,
                    field: None,
                    message: "x".into(),
                })
            })
        }
    }

    fn hub(queue: usize) -> Hub {
        let h = test_kit::hub(queue);
        let _ = h.campaigns.set(Arc::new(Live));
        h.remember_campaign_owner(1, 3);
        h.remember_campaign_owner(2, 4);
        h
    }

    fn drain(r: &mut Registered) -> Vec<Value> {
        test_kit::drain(&mut r.rx)
    }

    fn rows(n: usize) -> Vec<CampaignHouseholdRow> {
        (0..n)
            .map(|i| CampaignHouseholdRow {
                household_id: i as i64 + 1,
                reached: Some(i % 3 != 0),
                outcome: if i % 3 != 0 { "heard" } else { "no_answer" }.into(),
                attempts: 1,
                seconds_heard: 20,
                confirmed: (i % 2 == 0).then_some('1'),
            })
            .collect()
    }

    #[test]
    fn hello_lists_live_campaigns_for_the_roles_that_see_them() {
        let h = hub(16);
        let mut committee = h.register(staff(1, Role::Committee), "a".into()).unwrap();
        let mut captain = h.register(staff(3, Role::Captain), "b".into()).unwrap();
        let mut operator = h.register(staff(5, Role::Operator), "c".into()).unwrap();
        let hello = &drain(&mut committee)[0];
        let ids: Vec<i64> = hello["campaigns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_i64().unwrap())
            .collect();
        assert_eq!(ids, [1, 2]);
        assert_eq!(hello["campaigns"][0]["counters"]["households"], 800);
        let hello = &drain(&mut captain)[0];
        assert_eq!(hello["campaigns"].as_array().unwrap().len(), 1);
        assert_eq!(hello["campaigns"][0]["id"], 1);
        let hello = &drain(&mut operator)[0];
        assert_eq!(hello["type"], "hello");
        assert!(hello.get("campaigns").is_none());
    }

    #[test]
    fn frames_reach_committee_and_the_creating_captain_only() {
        let h = hub(16);
        let mut sup = h.register(staff(1, Role::Supervisor), "a".into()).unwrap();
        let mut mine = h.register(staff(3, Role::Captain), "b".into()).unwrap();
        let mut other = h.register(staff(4, Role::Captain), "c".into()).unwrap();
        let mut op = h.register(staff(5, Role::Operator), "d".into()).unwrap();
        for r in [&mut sup, &mut mine, &mut other, &mut op] {
            drain(r);
        }
        h.publish(DeskEvent::Campaign(CampaignUpdate::Started(live(1))), None);
        h.publish(DeskEvent::Campaign(CampaignUpdate::Progress(live(1))), None);
        h.publish(
            DeskEvent::Campaign(CampaignUpdate::Households {
                id: 1,
                rows: rows(3),
            }),
            None,
        );
        h.publish(DeskEvent::Campaign(CampaignUpdate::Finished(live(1))), None);
        let types = |v: &[Value]| -> Vec<String> {
            v.iter()
                .map(|f| f["type"].as_str().unwrap().to_owned())
                .collect()
        };
        let want = [
            "campaign.started",
            "campaign.progress",
            "campaign.household",
            "campaign.finished",
        ];
        assert_eq!(types(&drain(&mut sup)), want);
        let got = drain(&mut mine);
        assert_eq!(types(&got), want);
        assert_eq!(got[0]["campaign"]["name"], "任务1");
        assert_eq!(got[2]["id"], 1);
        assert_eq!(got[2]["rows"][0]["confirmed"], "1");
        assert_eq!(got[2]["rows"][0]["reached"], false);
        assert!(drain(&mut other).is_empty());
        assert!(drain(&mut op).is_empty());
    }

    #[test]
    fn a_batch_of_800_rows_is_one_frame_and_keeps_a_small_queue() {
        let h = hub(4);
        let mut c = h.register(staff(1, Role::Committee), "a".into()).unwrap();
        drain(&mut c);
        for _ in 0..3 {
            h.publish(
                DeskEvent::Campaign(CampaignUpdate::Households {
                    id: 2,
                    rows: rows(800),
                }),
                None,
            );
        }
        assert!(!c.kick.is_cancelled(), "three batches fit a queue of four");
        let got = drain(&mut c);
        assert_eq!(got.len(), 3);
        assert_eq!(got[0]["rows"].as_array().unwrap().len(), 800);
    }
}

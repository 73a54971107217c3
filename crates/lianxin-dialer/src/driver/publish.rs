//! What a campaign tells the consoles: `campaign.started`, progress at most twice a
//! second, household changes batched on the same beat, `campaign.finished`.
//!
//! Why throttled and batched: 800 answers in two seconds must not mean 800 messages on
//! every console's bounded queue; one progress and one batch per half second is enough
//! for a live screen. The latest counters are also kept for [`DialerHandle::live`]
//! (`hello` and status requests).
//!
//! [`DialerHandle::live`]: crate::driver::DialerHandle

use std::sync::{Arc, Mutex};

use lianxin_desk::{
    CampaignCounters, CampaignHouseholdRow, CampaignLive, CampaignState, CampaignUpdate, DeskEvent,
    DeskHandle,
};

use crate::{Event, Progress, State};

/// Publishes one campaign's updates.
pub(crate) struct Publisher {
    desk: Option<DeskHandle>,
    name: String,
    rows: Vec<CampaignHouseholdRow>,
    last: Option<Progress>,
    live: Arc<Mutex<Option<CampaignLive>>>,
}

impl Publisher {
    /// A publisher for campaign `name`; `live` is where the latest figures are kept.
    pub(crate) fn new(
        desk: Option<DeskHandle>,
        name: String,
        live: Arc<Mutex<Option<CampaignLive>>>,
    ) -> Publisher {
        Publisher {
            desk,
            name,
            rows: Vec::new(),
            last: None,
            live,
        }
    }

    /// The campaign started (or resumed after a restart).
    pub(crate) fn started(&mut self, p: &Progress) {
        let live = self.live_of(p);
        self.send(CampaignUpdate::Started(live));
    }

    /// An event of the machine: household changes are queued for the next beat.
    pub(crate) fn event(&mut self, ev: &Event) {
        let row = match ev {
            Event::AttemptAnswered {
                household, attempt, ..
            } => CampaignHouseholdRow {
                household_id: *household,
                reached: None,
                outcome: "in_call".to_owned(),
                attempts: *attempt,
                seconds_heard: 0,
                confirmed: None,
            },
            Event::HouseholdFinished(f) => CampaignHouseholdRow {
                household_id: f.household_id,
                reached: Some(f.outcome.reached()),
                outcome: f.outcome.as_str().to_owned(),
                attempts: f.attempts,
                seconds_heard: f.seconds_heard.unwrap_or(0.0).round() as u32,
                confirmed: f.confirmed,
            },
            _ => return,
        };
        self.rows.push(row);
    }

    /// The half-second beat: progress if it changed, and the queued household rows.
    pub(crate) fn tick(&mut self, p: &Progress) {
        if !self.rows.is_empty() {
            let rows = std::mem::take(&mut self.rows);
            self.send(CampaignUpdate::Households {
                id: p.campaign_id,
                rows,
            });
        }
        let live = self.live_of(p);
        if self.last.as_ref() != Some(p) {
            self.last = Some(*p);
            self.send(CampaignUpdate::Progress(live));
        }
    }

    /// The campaign task ends: the last rows, then `campaign.finished` unless the server
    /// is only stopping.
    pub(crate) fn finished(&mut self, p: &Progress) {
        self.tick(p);
        if let Ok(mut l) = self.live.lock() {
            *l = None;
        }
        if p.state != State::Stopped {
            let live = live(p, &self.name);
            self.send(CampaignUpdate::Finished(live));
        }
    }

    fn live_of(&self, p: &Progress) -> CampaignLive {
        let l = live(p, &self.name);
        if let Ok(mut slot) = self.live.lock() {
            *slot = Some(l.clone());
        }
        l
    }

    fn send(&self, update: CampaignUpdate) {
        if let Some(desk) = &self.desk {
            desk.publish(DeskEvent::Campaign(update));
        }
    }
}

/// The desk's view of the machine's figures.
pub(crate) fn live(p: &Progress, name: &str) -> CampaignLive {
    CampaignLive {
        id: p.campaign_id,
        name: name.to_owned(),
        state: match p.state {
            State::Running | State::Stopped => CampaignState::Running,
            State::Paused => CampaignState::Paused,
            State::Finished => CampaignState::Finished,
            State::Cancelled => CampaignState::Cancelled,
        },
        counters: CampaignCounters {
            households: p.households,
            dialled: p.dialled,
            ringing: p.ringing,
            in_call: p.in_call,
            reached: p.reached,
            not_reached: p.not_reached,
            remaining: p.remaining,
            calls_per_second: p.calls_per_second,
            backing_off: p.backing_off,
            waiting_for_window: p.waiting_for_window,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use lianxin_store::{HouseholdFinal, Outcome};

    fn progress(state: State, reached: u32) -> Progress {
        Progress {
            campaign_id: 7,
            state,
            households: 3,
            dialled: 3,
            ringing: 0,
            in_call: 0,
            in_flight: 0,
            reached,
            not_reached: 0,
            remaining: 3 - reached,
            calls_per_second: 0,
            rate_limit: None,
            backing_off: false,
            waiting_for_window: false,
        }
    }

    fn finished(household_id: i64, outcome: Outcome) -> Event {
        Event::HouseholdFinished(HouseholdFinal {
            campaign_id: 7,
            household_id,
            outcome,
            attempts: 1,
            seconds_heard: Some(12.4),
            confirmed: None,
            at: chrono::Utc.with_ymd_and_hms(2026, 7, 1, 2, 0, 0).unwrap(),
        })
    }

    #[test]
    fn households_are_batched_per_beat_and_live_figures_follow() {
        let live = Arc::new(Mutex::new(None));
        let mut p = Publisher::new(None, "通知".into(), live.clone());
        p.started(&progress(State::Running, 0));
        assert_eq!(live.lock().unwrap().as_ref().unwrap().counters.reached, 0);
        p.event(&finished(1, Outcome::Heard));
        p.event(&finished(2, Outcome::Busy));
        p.event(&Event::State(State::Running));
        assert_eq!(p.rows.len(), 2, "two household rows wait for the beat");
        assert_eq!(p.rows[0].reached, Some(true));
        assert_eq!(p.rows[0].seconds_heard, 12);
        assert_eq!(p.rows[1].outcome, "busy");
        p.tick(&progress(State::Running, 1));
        assert!(p.rows.is_empty(), "sent on the beat");
        let l = live.lock().unwrap().clone().unwrap();
        assert_eq!(
            (l.id, l.state, l.counters.reached),
            (7, CampaignState::Running, 1)
        );
        p.finished(&progress(State::Finished, 3));
        assert!(
            live.lock().unwrap().is_none(),
            "an ended campaign is not live"
        );
    }
}

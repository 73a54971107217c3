//! The campaign log writer: a thread of its own that writes the campaign machines' events
//! in batched transactions and says which attempt rows are stored.
//!
//! Every attempt is a row written before its INVITE and updated when it ends; at 800
//! simultaneous calls a sync per write would hold the dialer back by seconds. So, like the
//! hotline's call log, the driver queues [`Event`]s on a bounded channel and this thread
//! writes everything that queued up meanwhile in one transaction (one sync per batch).
//! After the commit it reports each stored attempt row ([`Stored::Logged`]) — the driver
//! then calls [`crate::Campaign::handle_logged`] and only then the INVITE leaves — or a row
//! that could not be written ([`Stored::NotLogged`], for
//! [`crate::Campaign::handle_log_failed`]).
//!
//! A campaign's state change (finished, cancelled, paused, running) is applied after the
//! events before it are committed, so a finished campaign's follow-up list sees every
//! household's final outcome. This is the one I/O module of the crate (a thread and the
//! store); it reads no clock.

use crate::campaign::{CallId, Event, State};
use chrono::{DateTime, Utc};
use lianxin_store::{CampaignLogBatch, Store};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};

/// Entries waiting before the driver would have to wait too (minutes of calls at 800).
const QUEUE: usize = 65_536;
/// Most entries written in one transaction.
const BATCH: usize = 1024;

/// What the writer tells the driver about an attempt row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stored {
    /// The row is committed: the call may be placed.
    Logged {
        /// Campaign id.
        campaign: i64,
        /// The attempt.
        call: CallId,
    },
    /// The row could not be written: do not place the call.
    NotLogged {
        /// Campaign id.
        campaign: i64,
        /// The attempt.
        call: CallId,
        /// Why.
        error: String,
    },
}

/// The driver's end of the campaign log.
#[derive(Debug, Clone)]
pub struct Journal {
    tx: SyncSender<Entry>,
}

/// One queued event: campaign, when the driver queued it (for state changes), event.
type Entry = (i64, DateTime<Utc>, Event);

impl Journal {
    /// Starts the writer thread; `on_stored` hears about every attempt row, in order.
    pub fn start(
        store: Store,
        on_stored: impl FnMut(Stored) + Send + 'static,
    ) -> std::io::Result<Journal> {
        let (tx, rx) = sync_channel(QUEUE);
        std::thread::Builder::new()
            .name("lianxin-campaign-log".into())
            .spawn(move || write_all(rx, store, on_stored))?;
        Ok(Journal { tx })
    }

    /// Queues an event of campaign `campaign`, drained from the machine at `now`. Only
    /// when the disk is minutes behind does this wait.
    pub fn write(&self, campaign: i64, now: DateTime<Utc>, event: Event) {
        match self.tx.try_send((campaign, now, event)) {
            Ok(()) => {}
            Err(TrySendError::Full(entry)) => {
                tracing::warn!("campaign log is behind the calls (slow disk?); waiting for it");
                let _ = self.tx.send(entry);
            }
            Err(TrySendError::Disconnected(_)) => {
                tracing::error!(
                    campaign,
                    "campaign log writer has stopped; event not logged"
                );
            }
        }
    }
}

fn write_all(rx: Receiver<Entry>, store: Store, mut on_stored: impl FnMut(Stored)) {
    let mut batch = Vec::with_capacity(BATCH);
    while let Ok(first) = rx.recv() {
        batch.push(first);
        while batch.len() < BATCH {
            match rx.try_recv() {
                Ok(e) => batch.push(e),
                Err(_) => break,
            }
        }
        // Runs of log events in one transaction each; a state change between them is
        // applied once the events before it are committed.
        let mut run = Vec::new();
        for (campaign, at, event) in batch.drain(..) {
            match event {
                Event::State(state) => {
                    commit(&store, &mut run, &mut on_stored);
                    apply_state(&store, campaign, state, at);
                }
                e => run.push((campaign, e)),
            }
        }
        commit(&store, &mut run, &mut on_stored);
    }
}

fn commit(store: &Store, run: &mut Vec<(i64, Event)>, on_stored: &mut impl FnMut(Stored)) {
    if run.is_empty() {
        return;
    }
    let mut results = Vec::new();
    let written = store.campaign_log_batch(|b| {
        for (campaign, e) in run.iter() {
            apply(b, *campaign, e, &mut results);
        }
        Ok(())
    });
    match written {
        Ok(()) => results.into_iter().for_each(&mut *on_stored),
        Err(e) => {
            tracing::error!(error = %e, "campaign log write failed; these calls are not placed");
            for (campaign, event) in run.iter() {
                if let Event::AttemptStarted { call, .. } = event {
                    on_stored(Stored::NotLogged {
                        campaign: *campaign,
                        call: *call,
                        error: e.to_string(),
                    });
                }
            }
        }
    }
    run.clear();
}

fn apply(b: &CampaignLogBatch<'_>, campaign: i64, e: &Event, results: &mut Vec<Stored>) {
    // A failed statement does not undo the transaction's other statements; it is
    // reported (an attempt row) or logged (the rest).
    let r = match e {
        Event::AttemptStarted { call, start } => {
            results.push(match b.attempt_started(start) {
                Ok(()) => Stored::Logged {
                    campaign,
                    call: *call,
                },
                Err(err) => Stored::NotLogged {
                    campaign,
                    call: *call,
                    error: err.to_string(),
                },
            });
            Ok(())
        }
        Event::AttemptAnswered {
            household,
            attempt,
            at,
            ..
        } => b.attempt_answered(campaign, *household, *attempt, *at),
        Event::AttemptEnded(end) => b.attempt_ended(end),
        Event::HouseholdFinished(fin) => b.household_finished(fin),
        Event::State(_) => Ok(()),
    };
    if let Err(err) = r {
        tracing::error!(campaign, error = %err, "campaign log entry not written");
    }
}

fn apply_state(store: &Store, campaign: i64, state: State, now: DateTime<Utc>) {
    let r = match state.status() {
        Some(s) if s.is_over() => store.end_campaign(campaign, s, None, now).map(|_| ()),
        Some(s) => store.set_campaign_status(campaign, s, None, now),
        None => Ok(()),
    };
    if let Err(e) = r {
        tracing::error!(campaign, state = ?state, error = %e, "campaign state not saved");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Campaign, Command, DialRule, Now};
    use chrono::TimeZone;
    use chrono_tz::Asia::Shanghai;
    use lianxin_store::demo::{DemoOptions, GROUPS};
    use lianxin_store::{CampaignSettings, CampaignStatus, NewCampaign, Outcome, TargetSpec};
    use std::sync::mpsc::{channel, Receiver};
    use std::time::{Duration, Instant};

    #[allow(clippy::disallowed_methods)] // one epoch for the test; all later times are offsets
    fn epoch() -> Instant {
        Instant::now()
    }

    fn setup() -> (tempfile::TempDir, Store, i64, Now) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("t.db")).unwrap();
        let utc = Shanghai
            .with_ymd_and_hms(2026, 7, 10, 10, 0, 0)
            .unwrap()
            .with_timezone(&Utc);
        store
            .generate_demo(
                &DemoOptions {
                    seed: 2,
                    households: 60,
                    now: utc,
                },
                &mut |_| {},
            )
            .unwrap();
        let id = store
            .create_campaign(
                &NewCampaign {
                    name: "日志".into(),
                    notice: "notice-heating".into(),
                    created_by: None,
                    targets: TargetSpec {
                        groups: vec![GROUPS[0].to_string(), GROUPS[1].to_string()],
                        households: Vec::new(),
                    },
                    settings: CampaignSettings {
                        retries: 0,
                        ..Default::default()
                    },
                },
                utc,
            )
            .unwrap();
        (dir, store, id, Now::new(epoch(), utc))
    }

    fn recv(rx: &Receiver<Stored>) -> Stored {
        rx.recv_timeout(Duration::from_secs(10))
            .expect("the journal answers within 10 s")
    }

    #[test]
    fn rows_are_confirmed_before_dialling_and_a_finished_campaign_is_closed() {
        let (_d, store, id, now) = setup();
        let (tx, rx) = channel();
        let journal = Journal::start(store.clone(), move |s| {
            let _ = tx.send(s);
        })
        .unwrap();
        let saved = store.campaign_saved(id).unwrap().unwrap();
        let mut c = Campaign::new(now, &saved, DialRule::default()).unwrap();
        let mut started = 0;
        while let Some(e) = c.poll_event() {
            started += usize::from(matches!(e, Event::AttemptStarted { .. }));
            journal.write(id, now.utc, e);
        }
        assert!(started > 0);
        assert_eq!(
            c.poll_command(),
            None,
            "nothing dialled before the rows are stored"
        );
        let mut dials = Vec::new();
        for _ in 0..started {
            match recv(&rx) {
                Stored::Logged { campaign, call } => {
                    assert_eq!(campaign, id);
                    c.handle_logged(now, call);
                }
                other => panic!("{other:?}"),
            }
            while let Some(Command::Dial { call, .. }) = c.poll_command() {
                dials.push(call);
            }
        }
        assert_eq!(dials.len(), started);
        let dialing = store.campaign_attempts(id).unwrap();
        assert!(
            dialing.iter().all(|a| a.outcome.is_none()),
            "rows say dialing"
        );
        for call in dials {
            c.handle_rejected(now, call, 486, "Busy Here", None);
        }
        while let Some(e) = c.poll_event() {
            journal.write(id, now.utc, e);
        }
        // The writer is a real thread: wait for it, bounded (1000 × 10 ms).
        let closed = (0..1000).any(|_| {
            let done = store.campaign(id).unwrap().unwrap().status == CampaignStatus::Finished;
            if !done {
                std::thread::sleep(Duration::from_millis(10));
            }
            done
        });
        assert!(closed, "campaign closed within 10 s");
        let report = store.campaign_report(id).unwrap();
        let busy = report
            .iter()
            .filter(|r| r.outcome == Some(Outcome::Busy))
            .count();
        assert_eq!(busy, started);
        let follow_ups = store.follow_ups(None, true).unwrap();
        assert_eq!(
            follow_ups.iter().filter(|f| f.campaign_id == id).count(),
            report.iter().filter(|r| r.reached == Some(false)).count(),
            "follow-ups see every final outcome"
        );
    }

    #[test]
    fn a_row_that_cannot_be_written_is_not_dialled() {
        let (_d, store, id, now) = setup();
        let (tx, rx) = channel();
        let journal = Journal::start(store.clone(), move |s| {
            let _ = tx.send(s);
        })
        .unwrap();
        let saved = store.campaign_saved(id).unwrap().unwrap();
        let mut c = Campaign::new(now, &saved, DialRule::default()).unwrap();
        let first = std::iter::from_fn(|| c.poll_event())
            .find(|e| matches!(e, Event::AttemptStarted { .. }))
            .unwrap();
        journal.write(id, now.utc, first.clone());
        assert!(matches!(recv(&rx), Stored::Logged { .. }));
        // The same attempt again (a bug, or a second server): refused by the store.
        journal.write(id, now.utc, first);
        assert!(matches!(recv(&rx), Stored::NotLogged { campaign, .. } if campaign == id));
    }
}

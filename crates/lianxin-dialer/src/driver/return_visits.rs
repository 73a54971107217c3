//! The task that makes the automatic return visits (回访): it looks at the store's queue
//! every `poll`, calls the due visits through one-household campaigns of kind
//! `return_visit` on the dialer, and when such a campaign is over records the key as
//! the request's feedback and pushes `request.updated` to the consoles.
//!
//! Why it polls the database: a request may be resolved by another process (`lianxin
//! request resolve`), and a visit must survive a crash at any point. Every step is one
//! store transaction (queue → campaign created and visit calling → feedback recorded and
//! visit done), so after a restart the next look carries on where the last one stopped:
//! the dialer has resumed the running campaigns, a draft one is run again, a finished
//! one gets its feedback. The decisions are `crate::return_visit` (pure); this module
//! only reads the clock and moves results between the store, the dialer and the desk.

use std::sync::Arc;

use lianxin_store::{CampaignStatus, ReturnVisitEnd, Store};
use tokio::task::JoinHandle;

use super::{clock, DialerHandle};
use crate::return_visit::{campaign, plan, Plan, ReturnVisitConfig, PROMPT};

/// The return-visit task (see the module docs).
#[derive(Debug)]
pub struct ReturnVisits;

impl ReturnVisits {
    /// Starts the task (inside a tokio runtime). Without a dialer (no trunk), or with
    /// return visits off, due visits are left to the captains' manual list at once.
    pub fn start(
        store: Store,
        dialer: Option<DialerHandle>,
        config: ReturnVisitConfig,
    ) -> JoinHandle<()> {
        let dialer = dialer.map(Arc::new);
        tokio::spawn(async move {
            let mut tick =
                tokio::time::interval(config.poll.max(std::time::Duration::from_millis(50)));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let (store, dialer) = (store.clone(), dialer.clone());
                let look =
                    tokio::task::spawn_blocking(move || look(&store, dialer.as_deref(), &config));
                if let Err(e) = look.await {
                    tracing::error!(error = %e, "return-visit look failed");
                }
            }
        })
    }
}

/// One look at the queue (blocking: store reads and writes).
fn look(store: &Store, dialer: Option<&DialerHandle>, config: &ReturnVisitConfig) {
    let now = clock::now();
    let until = now.utc - chrono::Duration::from_std(config.delay).unwrap_or_default();
    let due = match store.due_return_visits(until) {
        Ok(d) => d,
        Err(e) => {
            tracing::error!(error = %e, "return visits not read");
            return;
        }
    };
    let enabled = config.enabled && dialer.is_some();
    for visit in due {
        let called = match (plan(&visit, enabled), dialer) {
            (Plan::Call { number }, Some(d)) => Ok((number, d)),
            (Plan::Skip(why), _) => Err(why),
            (Plan::Call { .. }, None) => Err("没有外呼中继，请人工回访"),
        };
        let (number, dialer) = match called {
            Ok(c) => c,
            Err(why) => {
                tracing::info!(request = visit.request_id, why, "return visit not called");
                if let Err(e) = store.skip_return_visit(visit.id, why, now.utc) {
                    tracing::error!(error = %e, "return visit not skipped");
                }
                continue;
            }
        };
        if let Err(e) = dialer.notice(PROMPT) {
            tracing::warn!(
                request = visit.request_id,
                error = %e.message,
                "no {PROMPT}.wav among the prompts: return visit not called"
            );
            let _ = store.skip_return_visit(visit.id, "没有回访录音，请人工回访", now.utc);
            continue;
        }
        let new = campaign(&visit, dialer.default_settings(), config);
        match store.start_return_visit(&visit, &number, &new, now.utc) {
            Ok(id) => {
                tracing::info!(
                    request = visit.request_id,
                    campaign = id,
                    "return visit calling"
                );
                if let Err(e) = dialer.run(id) {
                    tracing::warn!(campaign = id, error = %e.message, "return visit not started; next look retries");
                }
            }
            Err(e) => {
                tracing::error!(request = visit.request_id, error = %e, "return visit not created")
            }
        }
    }
    let calling = match store.calling_return_visits() {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "calling return visits not read");
            return;
        }
    };
    for visit in calling {
        match visit.status {
            CampaignStatus::Finished | CampaignStatus::Cancelled => {
                finish(store, dialer, visit.id, visit.request_id)
            }
            // Created but not running (a crash between the two, or the dialer refused it
            // then): run it now.
            CampaignStatus::Draft => {
                if let Some(d) = dialer.filter(|d| !d.is_running(visit.campaign_id)) {
                    if let Err(e) = d.run(visit.campaign_id) {
                        tracing::warn!(campaign = visit.campaign_id, error = %e.message, "return visit not started");
                    }
                }
            }
            CampaignStatus::Running | CampaignStatus::Paused => {}
        }
    }
}

/// Records the feedback of a visit whose campaign is over and tells the consoles.
fn finish(store: &Store, dialer: Option<&DialerHandle>, id: i64, request: i64) {
    let now = clock::now();
    match store.finish_return_visit(id, now.utc) {
        Ok(ReturnVisitEnd::Recorded(record)) => {
            tracing::info!(
                request,
                feedback = ?record.feedback_result,
                "return visit recorded"
            );
            if let Some(desk) = dialer.and_then(|d| d.desk()) {
                desk.request_updated(&record, "feedback", None);
            }
        }
        Ok(ReturnVisitEnd::Dropped(why)) => {
            tracing::info!(request, why, "return visit ended without feedback")
        }
        Err(e) => tracing::error!(request, error = %e, "return visit not finished"),
    }
}

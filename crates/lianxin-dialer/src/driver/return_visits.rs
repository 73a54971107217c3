//! The task that makes the automatic return visits (回访): it looks at the store's queue,
//! calls the due visits through one-household campaigns of kind `return_visit` on the
//! dialer, and when such a campaign is over records the key as the request's feedback
//! and pushes `request.updated` to the consoles.
//!
//! When it looks: when the store says there is work (a resolve queued a visit, a
//! campaign ended: `Store::watch_return_visits`), when the next queued visit comes due
//! (the server's delay after its resolve), and on a slow safety look (`poll`, 30 s) —
//! not on a short timer.
//!
//! Why the queue is the database: a request may be resolved by another process (`lianxin
//! request resolve`, heard only at the safety look), and a visit must survive a crash at
//! any point. Every step is one
//! store transaction (queue → campaign created and visit calling → feedback recorded and
//! visit done), so after a restart the next look carries on where the last one stopped:
//! the dialer has resumed the running campaigns, a draft one is run again, a finished
//! one gets its feedback. The decisions are `crate::return_visit` (pure); this module
//! only reads the clock and moves results between the store, the dialer and the desk.

use std::sync::Arc;
use std::time::Duration;

use lianxin_store::{CampaignStatus, ReturnVisitEnd, Store};
use tokio::sync::Notify;
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
        // A permit is kept when nobody waits, so work that comes during a look is not
        // missed: the next wait ends at once.
        let work = Arc::new(Notify::new());
        store.watch_return_visits({
            let work = work.clone();
            move || work.notify_one()
        });
        let safety = config.poll.max(Duration::from_millis(50));
        tokio::spawn(async move {
            loop {
                let (store, dialer) = (store.clone(), dialer.clone());
                let look =
                    tokio::task::spawn_blocking(move || look(&store, dialer.as_deref(), &config));
                let next_due = look.await.unwrap_or_else(|e| {
                    tracing::error!(error = %e, "return-visit look failed");
                    None
                });
                let wait = next_due.map_or(safety, |d| d.min(safety));
                tokio::select! {
                    _ = work.notified() => {}
                    _ = tokio::time::sleep(wait) => {}
                }
            }
        })
    }
}

/// Most visits one look reads (`Store::due_return_visits`); a full batch means more wait.
const BATCH: usize = 100;

/// The pause before the next batch of a backlog (a batch that cannot be called, say the
/// store refuses it, is retried this often, not in a tight loop).
const NEXT_BATCH: Duration = Duration::from_millis(100);

/// One look at the queue (blocking: store reads and writes); how long until the next
/// queued visit comes due (`None`: none waits, or one is overdue because calling it
/// failed — the safety look retries it).
fn look(
    store: &Store,
    dialer: Option<&DialerHandle>,
    config: &ReturnVisitConfig,
) -> Option<Duration> {
    let now = clock::now();
    let delay = chrono::Duration::from_std(config.delay).unwrap_or_default();
    let due = match store.due_return_visits(now.utc - delay) {
        Ok(d) => d,
        Err(e) => {
            tracing::error!(error = %e, "return visits not read");
            return None;
        }
    };
    let more = due.len() >= BATCH;
    call_due(store, dialer, config, due, now.utc);
    finish_calling(store, dialer);
    if more {
        return Some(NEXT_BATCH);
    }
    match store.next_return_visit_due() {
        Ok(next) => next.and_then(|t| (t + delay - now.utc).to_std().ok()),
        Err(e) => {
            tracing::error!(error = %e, "next return visit not read");
            None
        }
    }
}

/// Calls the due visits, or leaves them to the captains saying why.
fn call_due(
    store: &Store,
    dialer: Option<&DialerHandle>,
    config: &ReturnVisitConfig,
    due: Vec<lianxin_store::DueReturnVisit>,
    now: chrono::DateTime<chrono::Utc>,
) {
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
                if let Err(e) = store.skip_return_visit(visit.id, why, now) {
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
            let _ = store.skip_return_visit(visit.id, "没有回访录音，请人工回访", now);
            continue;
        }
        let new = campaign(&visit, dialer.default_settings(), config);
        match store.start_return_visit(&visit, &number, &new, now) {
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
}

/// Records the feedback of the visits whose campaigns are over, and runs the ones
/// created but not running.
fn finish_calling(store: &Store, dialer: Option<&DialerHandle>) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};
    use lianxin_store::request_rules::{Action, Actor};
    use lianxin_store::{Channel, NewRequest, NewStaff, Role};

    #[allow(clippy::disallowed_methods)] // the task reads the real clock; so does its test
    fn utc_now() -> DateTime<Utc> {
        Utc::now()
    }

    /// A store with a supervisor, and the task on it (no dialer: a due visit is left to
    /// the captains at once) with a 30 s safety look and `delay`.
    fn started(delay: Duration) -> (tempfile::TempDir, Store, i64) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("t.db")).unwrap();
        let sup = store
            .create_staff(
                &NewStaff {
                    username: "super",
                    display_name: "王主任",
                    role: Role::Supervisor,
                    extension: None,
                    phone: None,
                    password: None,
                },
                None,
            )
            .unwrap();
        let config = ReturnVisitConfig {
            delay,
            poll: Duration::from_secs(30),
            ..Default::default()
        };
        ReturnVisits::start(store.clone(), None, config);
        (dir, store, sup)
    }

    /// Resolves a new request now.
    fn resolve(store: &Store, sup: i64) {
        let actor = Actor::staff(sup, Role::Supervisor);
        let new = NewRequest {
            caller_name: "张大爷".into(),
            ..NewRequest::new(Channel::Phone, "设施维修", "胡同口路灯不亮")
        };
        let id = store.create_request(&new, &actor, utc_now()).unwrap();
        let resolve = Action::Resolve {
            result: "路灯已修复".into(),
        };
        store
            .apply_request_action(id, &actor, &resolve, "", utc_now())
            .unwrap();
    }

    /// Whether a visit still waits in the queue.
    fn pending(store: &Store) -> bool {
        store.next_return_visit_due().unwrap().is_some()
    }

    /// How long until nothing waits (at most `limit`).
    async fn handled_within(store: &Store, limit: Duration) -> Option<Duration> {
        let start = tokio::time::Instant::now();
        while start.elapsed() < limit {
            if !pending(store) {
                return Some(start.elapsed());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        None
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_queued_visit_wakes_the_task_at_once_not_at_the_safety_look() {
        let (_dir, store, sup) = started(Duration::ZERO);
        // The first look has passed: the queue was empty.
        tokio::time::sleep(Duration::from_millis(200)).await;
        resolve(&store, sup);
        let took = handled_within(&store, Duration::from_secs(5)).await;
        assert!(took.is_some(), "the resolve woke the task");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_delayed_visit_is_looked_at_when_it_comes_due() {
        let (_dir, store, sup) = started(Duration::from_secs(1));
        tokio::time::sleep(Duration::from_millis(200)).await;
        resolve(&store, sup);
        // Woken by the resolve, the task leaves it: not yet due.
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert!(pending(&store), "called before its delay");
        let took = handled_within(&store, Duration::from_secs(6)).await;
        assert!(took.is_some(), "looked at when due, not at the 30 s look");
    }
}

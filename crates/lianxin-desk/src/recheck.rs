//! The periodic re-check of every live session's account.
//!
//! A request re-checks its own session, but an open WebSocket makes no requests: every
//! `session_recheck` (3 s by default) this task reads the fingerprint of each staff member
//! with a live session (one indexed read each, on the blocking pool) and ends the sessions
//! — and so closes the consoles — of anyone whose password, role or active flag changed,
//! also when `lianxin staff` changed it from another process. A database error skips that
//! round (logged); it never ends sessions by itself.

use std::sync::Arc;
use std::time::Instant;

use tokio_util::sync::CancellationToken;

use crate::app::App;

/// Runs until `stop` is cancelled.
pub(crate) async fn run(app: Arc<App>, stop: CancellationToken) {
    let every = app
        .cfg
        .session_recheck
        .max(std::time::Duration::from_millis(100));
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tick.tick() => {}
        }
        let ids = app.sessions.staff_ids(Instant::now());
        if ids.is_empty() {
            continue;
        }
        let dir = app.directory.clone();
        let read = tokio::task::spawn_blocking(move || {
            ids.into_iter()
                .map(|id| dir.fingerprint(id).map(|f| (id, f)))
                .collect::<Result<Vec<_>, _>>()
        })
        .await;
        match read {
            Ok(Ok(prints)) => {
                for (id, current) in prints {
                    app.revoke_stale(id, current.as_deref());
                }
            }
            Ok(Err(e)) => tracing::warn!(error = %e, "session re-check: database read failed"),
            Err(e) => tracing::error!(error = %e, "session re-check task failed"),
        }
    }
}

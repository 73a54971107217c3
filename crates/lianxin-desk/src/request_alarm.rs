//! The alarm sweep: every `alarm_sweep` (30 s by default) the open requests' colours
//! are compared with the last sweep's, and each change (green → orange at level 1,
//! orange → red after the deadline) is pushed as `request.alarm` to the consoles of the
//! responsible person, the block captain, supervisors and admins.
//!
//! The comparison is a sans-IO core, [`AlarmWatch`], fed with the open requests and
//! `now`; the task around it only sleeps, reads the store on the blocking pool and
//! publishes. The first sweep after start-up learns the colours silently (consoles load
//! lists when they open); after that a request not seen before counts as green, so one
//! recorded and already orange (a voice message's clock) is announced once.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use lianxin_store::{Alarm, OpenRequest};
use tokio_util::sync::CancellationToken;

use crate::app::App;
use crate::request_http::with_requests;

/// One colour change found by a sweep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AlarmChange {
    pub(crate) id: i64,
    pub(crate) previous: Alarm,
    pub(crate) alarm: Alarm,
}

/// The colours of the open requests at the last sweep.
#[derive(Debug, Default)]
pub(crate) struct AlarmWatch {
    colours: HashMap<i64, Alarm>,
    started: bool,
}

impl AlarmWatch {
    /// Compares the colours of `open` at `now` with the last sweep's; returns the
    /// changes (none on the first sweep) and forgets requests no longer open.
    pub(crate) fn sweep(&mut self, now: DateTime<Utc>, open: &[OpenRequest]) -> Vec<AlarmChange> {
        let mut next = HashMap::with_capacity(open.len());
        let mut changes = Vec::new();
        for r in open {
            let alarm = Alarm::at(r.level1, r.deadline, None, now);
            let previous = self.colours.get(&r.id).copied().unwrap_or(Alarm::Green);
            if self.started && previous != alarm {
                changes.push(AlarmChange {
                    id: r.id,
                    previous,
                    alarm,
                });
            }
            next.insert(r.id, alarm);
        }
        self.colours = next;
        self.started = true;
        changes
    }
}

/// Runs the sweep until `shutdown`.
pub(crate) async fn run(app: Arc<App>, shutdown: CancellationToken) {
    if app.directory.requests().is_none() {
        return;
    }
    let every = app
        .cfg
        .alarm_sweep
        .max(std::time::Duration::from_millis(10));
    let mut watch = AlarmWatch::default();
    loop {
        let open = with_requests(&app, |st| st.open_requests())
            .await
            .unwrap_or_default();
        let now = app.cfg.clock.now();
        for change in watch.sweep(now, &open) {
            let id = change.id;
            match with_requests(&app, move |st| st.request(id, now)).await {
                Ok(Some(record)) => {
                    tracing::info!(request = id, alarm = ?change.alarm, "request alarm changed");
                    app.hub.request_alarm(&record, change.previous);
                }
                Ok(None) => {}
                Err(_) => tracing::warn!(request = id, "alarm change not published"),
            }
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(every) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn t(h: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0).unwrap() + Duration::hours(h)
    }

    fn open(id: i64) -> OpenRequest {
        OpenRequest {
            id,
            level1: t(5 * 24),
            deadline: t(8 * 24),
            responsible_staff_id: Some(4),
            captain_staff_id: Some(4),
        }
    }

    #[test]
    fn changes_are_reported_once_as_time_passes() {
        let mut w = AlarmWatch::default();
        // The first sweep learns silently, even an orange one.
        let mut late = open(2);
        late.level1 = t(0);
        assert!(w.sweep(t(1), &[open(1), late]).is_empty());
        assert!(w
            .sweep(t(5 * 24) - Duration::seconds(1), &[open(1), late])
            .is_empty());
        assert_eq!(
            w.sweep(t(5 * 24), &[open(1), late]),
            vec![AlarmChange {
                id: 1,
                previous: Alarm::Green,
                alarm: Alarm::Orange
            }]
        );
        assert!(w.sweep(t(8 * 24), &[open(1), late]).is_empty());
        let red = w.sweep(t(8 * 24) + Duration::seconds(1), &[open(1), late]);
        assert_eq!(red.len(), 2);
        assert!(red.iter().all(|c| c.alarm == Alarm::Red));
        // Closed requests are forgotten; a new one already orange is announced.
        let mut new = open(3);
        new.level1 = t(0);
        let got = w.sweep(t(9 * 24), &[new]);
        assert_eq!(got.len(), 1);
        assert_eq!(
            (got[0].id, got[0].previous, got[0].alarm),
            (3, Alarm::Green, Alarm::Red)
        );
    }
}

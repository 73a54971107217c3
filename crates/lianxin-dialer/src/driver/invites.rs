//! Flow control towards the trunk: at most [`WINDOW`] INVITEs out that have had no answer
//! yet (no provisional or final response), across every campaign.
//!
//! # Why
//! With the rate set to unlimited, 800 households meant 800 INVITEs within 0.3 s. A peer
//! that reads them more slowly than that (a carrier's session border controller, or sipp
//! in the benchmark, which takes about 1,200 a second) lets its socket buffer overflow; the
//! lost INVITEs are only retransmitted after 0.5 s and 1.5 s (Timer A), so "all up" took
//! 1.7 s instead of 0.7 s in two runs out of three. Holding back while [`WINDOW`] INVITEs
//! are unanswered paces the dialer at exactly the speed the trunk answers, whatever it is,
//! like a TCP window, without anyone tuning a rate.
//!
//! A slot is freed by the first response of the call (our UA reports provisional
//! responses from 180 on; 100 Trying is hop-by-hop and not reported) or, at the latest,
//! after [`HOLD`]: a trunk that sends only 100 Trying and rings for seconds must not stall
//! the campaign, and one that loses INVITEs is still dialled at [`WINDOW`] per [`HOLD`].
//!
//! # Why not in the config
//! A carrier's limit is a rate (calls per second, "CPS"): that is `[dialer]
//! calls_per_second` (and each campaign's own), with the governor's back-off when the
//! trunk still answers 503. The window is no rate: it follows the trunk's own answers,
//! so it needs no tuning for a slow or fast carrier; it only ceilings a trunk that never
//! answers at [`WINDOW`] per [`HOLD`] (320 INVITEs a second), far above any CPS limit
//! the rate would already enforce.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// INVITEs out without any response yet.
pub(crate) const WINDOW: usize = 64;
/// The longest a slot is held waiting for a response.
pub(crate) const HOLD: Duration = Duration::from_millis(200);

/// The shared window.
#[derive(Debug, Clone)]
pub(crate) struct InviteWindow {
    slots: Arc<Semaphore>,
}

/// One INVITE's slot: free it with [`Slot::responded`], or let [`Slot::expired`] do it.
#[derive(Debug)]
pub(crate) struct Slot {
    permit: Option<OwnedSemaphorePermit>,
    until: tokio::time::Instant,
}

impl InviteWindow {
    pub(crate) fn new(size: usize) -> InviteWindow {
        InviteWindow {
            slots: Arc::new(Semaphore::new(size.max(1))),
        }
    }

    /// Waits for a free slot (the semaphore is never closed).
    pub(crate) async fn slot(&self) -> Slot {
        let permit = Arc::clone(&self.slots).acquire_owned().await.ok();
        Slot {
            permit,
            until: tokio::time::Instant::now() + HOLD,
        }
    }

    /// Free slots now.
    #[cfg(test)]
    pub(crate) fn free(&self) -> usize {
        self.slots.available_permits()
    }
}

impl Slot {
    /// The call had a response: the slot is free.
    pub(crate) fn responded(&mut self) {
        self.permit = None;
    }

    /// Resolves when the slot is still held at the end of [`HOLD`] (then frees it);
    /// never, once it is free.
    pub(crate) async fn expired(&mut self) {
        if self.permit.is_none() {
            return std::future::pending().await;
        }
        tokio::time::sleep_until(self.until).await;
        self.permit = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_full_window_waits_for_a_response_or_the_hold_time() {
        let w = InviteWindow::new(2);
        let mut a = w.slot().await;
        let mut b = w.slot().await;
        assert_eq!(w.free(), 0);
        // A third INVITE waits…
        let third = tokio::spawn({
            let w = w.clone();
            async move { w.slot().await }
        });
        tokio::task::yield_now().await;
        assert!(!third.is_finished());
        // … until one call has its first response.
        a.responded();
        let _c = tokio::time::timeout(Duration::from_millis(1), third)
            .await
            .expect("a slot freed by a response")
            .expect("task");
        assert_eq!(w.free(), 0);
        // A call without any response frees its slot after HOLD, not before.
        let started = tokio::time::Instant::now();
        b.expired().await;
        assert_eq!(tokio::time::Instant::now() - started, HOLD);
        assert_eq!(w.free(), 1);
        // A freed slot never expires again.
        let r = tokio::time::timeout(Duration::from_secs(5), b.expired()).await;
        assert!(r.is_err());
    }
}

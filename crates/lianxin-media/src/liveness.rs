//! Is the pacing thread alive? Its heartbeat, read by `MediaHandle::alive` and `stopped`.
//!
//! Why: every call's audio goes through the one pacing thread. If it panicked or hung, the
//! process would keep answering SIP with dead air, and `/healthz` would still say 200
//! (issue 10, point 10). So the thread beats a [`Heartbeat`] on every wake-up (every
//! 20 ms while sessions run, every 200 ms when idle) and marks it stopped when it ends,
//! by return or panic ([`StopOnDrop`]). Two questions are asked of it:
//!
//! - **alive**: not stopped, and a beat within [`STALL`] — what `/healthz` reports;
//! - **stopped**: the thread has ended — what makes `lianxin serve` exit, so systemd
//!   restarts it. A thread that is only slow (starved of CPU) is not dead.
//!
//! Sans-IO: times are passed in; the engine reads the clock.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// No beat for this long: the thread is not alive (hung, or starved beyond use).
pub const STALL: Duration = Duration::from_secs(5);

/// The pacing thread's heartbeat.
#[derive(Debug)]
pub(crate) struct Heartbeat {
    origin: Instant,
    /// Milliseconds from `origin` to the last beat.
    last_ms: AtomicU64,
    stopped: AtomicBool,
}

impl Heartbeat {
    /// A heartbeat that counts as beaten at `now`.
    pub(crate) fn new(now: Instant) -> Heartbeat {
        Heartbeat {
            origin: now,
            last_ms: AtomicU64::new(0),
            stopped: AtomicBool::new(false),
        }
    }

    /// The thread is awake at `now`.
    pub(crate) fn beat(&self, now: Instant) {
        let ms = now.saturating_duration_since(self.origin).as_millis();
        self.last_ms
            .store(u64::try_from(ms).unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    /// The thread has ended.
    pub(crate) fn stop(&self) {
        self.stopped.store(true, Ordering::Release);
    }

    /// Ended (returned or panicked).
    pub(crate) fn stopped(&self) -> bool {
        self.stopped.load(Ordering::Acquire)
    }

    /// Running, and beaten within [`STALL`] of `now`.
    pub(crate) fn alive(&self, now: Instant) -> bool {
        let last = self.origin + Duration::from_millis(self.last_ms.load(Ordering::Relaxed));
        !self.stopped() && now.saturating_duration_since(last) <= STALL
    }
}

/// Marks the heartbeat stopped when dropped: held by the pacing thread for its whole
/// life, so a panic unwinding through it counts too.
pub(crate) struct StopOnDrop(pub(crate) Arc<Heartbeat>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::t0;

    #[test]
    fn a_beating_thread_is_alive_and_a_silent_one_is_not() {
        let t = t0();
        let hb = Heartbeat::new(t);
        assert!(hb.alive(t + Duration::from_secs(1)));
        assert!(!hb.alive(t + STALL + Duration::from_millis(1)));
        hb.beat(t + Duration::from_secs(10));
        assert!(hb.alive(t + Duration::from_secs(10) + STALL));
        assert!(!hb.stopped(), "silent is not stopped");
    }

    #[test]
    fn an_ended_thread_is_stopped_and_not_alive_even_by_panic() {
        let t = t0();
        let hb = Arc::new(Heartbeat::new(t));
        let guard = StopOnDrop(hb.clone());
        let joined = std::thread::spawn(move || {
            let _guard = guard;
            panic!("the pacing thread dies");
        })
        .join();
        assert!(joined.is_err());
        assert!(hb.stopped());
        assert!(!hb.alive(t));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
    async fn the_engine_reports_its_thread() {
        let lib = crate::PromptLibrary::default();
        let config = crate::MediaConfig::new("127.0.0.1".parse().unwrap(), Arc::new(lib));
        let media = crate::MediaEngine::start(config).unwrap();
        assert!(media.alive());
        assert!(!media.stopped());
        media.shutdown();
        let mut stopped = false;
        for _ in 0..100 {
            if media.stopped() {
                stopped = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(stopped, "the pacing thread did not report its end");
        assert!(!media.alive());
    }
}

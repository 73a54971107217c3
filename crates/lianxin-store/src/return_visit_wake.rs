//! Wake-ups for whoever calls the return visits (the dialer's task) in this process:
//! a watcher registered with [`Store::watch_return_visits`] is called after a commit
//! that gives it work — a resolve that queued a visit, or a campaign that ended (a
//! return visit's campaign may be among them, and its feedback is then recorded).
//!
//! Why in the store: every path that queues a visit or ends a campaign goes through it,
//! so the task need not look at the queue on a short timer. A change made by another
//! process (`lianxin request resolve`) wakes nobody here; the task's slow safety look
//! covers it. A watcher is a plain callback (the store knows no async runtime); it must
//! return at once (e.g. `tokio::sync::Notify::notify_one`).

use std::sync::Mutex;

use crate::Store;

/// A callback run after a commit that gives return-visit work.
type Watcher = Box<dyn Fn() + Send + Sync>;

/// The registered watchers.
#[derive(Default)]
pub(crate) struct Watchers(Mutex<Vec<Watcher>>);

impl Watchers {
    fn add(&self, w: Watcher) {
        if let Ok(mut v) = self.0.lock() {
            v.push(w);
        }
    }

    fn wake(&self) {
        if let Ok(v) = self.0.lock() {
            v.iter().for_each(|w| w());
        }
    }
}

impl Store {
    /// Calls `wake` after every commit that queues a return visit or ends a campaign,
    /// for as long as the store lives.
    pub fn watch_return_visits(&self, wake: impl Fn() + Send + Sync + 'static) {
        self.watchers().add(Box::new(wake));
    }

    /// Tells the watchers (after the commit).
    pub(crate) fn wake_return_visits(&self) {
        self.watchers().wake();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use super::*;

    #[test]
    fn every_watcher_hears_each_wake() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("t.db")).unwrap();
        let n = Arc::new(AtomicUsize::new(0));
        for _ in 0..2 {
            let n = n.clone();
            store.watch_return_visits(move || {
                n.fetch_add(1, Ordering::SeqCst);
            });
        }
        store.clone().wake_return_visits();
        assert_eq!(n.load(Ordering::SeqCst), 2);
    }
}

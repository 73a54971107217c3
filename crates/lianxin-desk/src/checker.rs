//! Password checks on a small, fixed set of threads behind a short queue.
//!
//! One Argon2 check needs about 19 MiB and 20 ms of CPU. Run on tokio's blocking pool
//! (up to 512 threads), 96 concurrent wrong log-ins raised the server to 1.9 GB. Here a
//! fixed number of threads (`threads`, default 2) do every check, fed by a bounded queue;
//! when the queue is full the log-in is refused at once ([`Busy`], answered `503`) rather
//! than piling up. Memory for checks is thus at most `threads` × 19 MiB, whatever the load,
//! and the same threads (and so the same allocator arenas) are reused.

use std::sync::mpsc::{sync_channel, SyncSender, TrySendError};
use std::sync::Mutex;

use tokio::sync::oneshot;

type Job = Box<dyn FnOnce() + Send + 'static>;

/// The queue is full: try again shortly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Busy;

/// The check threads and their queue.
#[derive(Debug)]
pub(crate) struct PasswordChecker {
    queue: Mutex<SyncSender<Job>>,
}

impl PasswordChecker {
    /// Starts `threads` check threads with room for `queue` waiting checks.
    pub(crate) fn start(threads: usize, queue: usize) -> std::io::Result<Self> {
        let (tx, rx) = sync_channel::<Job>(queue);
        let rx = std::sync::Arc::new(Mutex::new(rx));
        for i in 0..threads.max(1) {
            let rx = rx.clone();
            std::thread::Builder::new()
                .name(format!("desk-pwcheck-{i}"))
                .spawn(move || loop {
                    // The lock is held only while waiting for the next job.
                    let job = match rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(e) => e.into_inner().recv(),
                    };
                    match job {
                        Ok(job) => job(),
                        Err(_) => return, // the checker was dropped
                    }
                })?;
        }
        Ok(PasswordChecker {
            queue: Mutex::new(tx),
        })
    }

    /// Runs `f` on a check thread and waits for its result; `Err(Busy)` at once if the
    /// queue is full. If the caller goes away, the check still finishes (and its result
    /// is dropped), so the threads never run more than their number of checks at once.
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Busy> {
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = tx.send(f());
        });
        let sent = match self.queue.lock() {
            Ok(q) => q.try_send(job),
            Err(e) => e.into_inner().try_send(job),
        };
        match sent {
            Ok(()) => {}
            Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => return Err(Busy),
        }
        // A job that panicked drops its sender: report it as busy, never hang.
        rx.await.map_err(|_| Busy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    #[tokio::test]
    async fn never_more_than_threads_at_once_and_a_full_queue_refuses_at_once() {
        let checker = Arc::new(PasswordChecker::start(2, 3).unwrap());
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..20 {
            let (c, r, p) = (checker.clone(), running.clone(), peak.clone());
            tasks.push(tokio::spawn(async move {
                c.run(move || {
                    let now = r.fetch_add(1, Ordering::SeqCst) + 1;
                    p.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(50));
                    r.fetch_sub(1, Ordering::SeqCst);
                })
                .await
            }));
        }
        let mut done = 0;
        let mut busy = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(()) => done += 1,
                Err(Busy) => busy += 1,
            }
        }
        assert!(peak.load(Ordering::SeqCst) <= 2);
        assert!(done >= 3, "{done} done");
        assert!(busy >= 20 - 2 - 3 - 2, "{busy} refused");
        // after the burst, checks run again
        assert_eq!(checker.run(|| 7).await, Ok(7));
    }
}

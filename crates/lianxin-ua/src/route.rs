//! Per-call event routing: which owner hears about a call.
//!
//! Calls we placed with `UaHandle::invite` each have a line here: the sending half of
//! their own bounded channel. Every other call (incoming calls) has none, so its events
//! go to the UA's inbound receiver. When an outbound call's receiver is dropped, or its
//! channel is full, the call is *abandoned*: the driver hangs it up and keeps it here,
//! without a channel, until the SIP core reports its end, so that a 2xx crossing our
//! CANCEL is still ACKed and BYE'd.
//!
//! Noticing a dropped receiver must not wait for the call's next event (a ringing phone
//! may send none for a minute), so each line has a small watcher task that awaits
//! `Sender::closed` and reports the call on [`Routes::dropped`]'s channel. The watcher
//! ends with the line (the line owns the other end of a oneshot the watcher also
//! awaits), so the owner's stream ends as soon as the driver lets the call go.

use std::collections::{HashMap, HashSet};

use lianxin_sip::CallHandle;
use tokio::sync::{mpsc, oneshot};

use crate::CallEvent;

/// Capacity of the channel on which watchers report dropped receivers.
const DROPPED_CAPACITY: usize = 1024;

/// Who hears about a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Route {
    /// Nobody placed it with `invite`: the inbound receiver.
    Inbound,
    /// Its own channel.
    Outbound,
    /// Its owner is gone; the driver is hanging it up.
    Abandoned,
}

/// The open line of an outbound call.
struct Line {
    events: mpsc::Sender<CallEvent>,
    /// Dropped with the line: tells the watcher to stop (and drop its sender clone).
    _alive: oneshot::Sender<()>,
}

/// The routing table of outbound calls.
pub(crate) struct Routes {
    lines: HashMap<CallHandle, Line>,
    abandoned: HashSet<CallHandle>,
    capacity: usize,
    dropped_tx: mpsc::Sender<CallHandle>,
}

impl Routes {
    /// An empty table whose per-call channels hold `capacity` events; the receiver
    /// yields the calls whose owner dropped its receiver.
    pub(crate) fn new(capacity: usize) -> (Routes, mpsc::Receiver<CallHandle>) {
        let (dropped_tx, dropped_rx) = mpsc::channel(DROPPED_CAPACITY);
        let routes = Routes {
            lines: HashMap::new(),
            abandoned: HashSet::new(),
            capacity: capacity.max(1),
            dropped_tx,
        };
        (routes, dropped_rx)
    }

    /// Opens the line of a new outbound call and starts its watcher (needs a tokio
    /// runtime); returns the receiver for the owner.
    pub(crate) fn open(&mut self, call: CallHandle) -> mpsc::Receiver<CallEvent> {
        let (tx, rx) = mpsc::channel(self.capacity);
        let (alive_tx, alive_rx) = oneshot::channel::<()>();
        let watched = tx.clone();
        let dropped = self.dropped_tx.clone();
        tokio::spawn(async move {
            tokio::select! {
                () = watched.closed() => {
                    let _ = dropped.send(call).await;
                }
                _ = alive_rx => {}
            }
        });
        self.lines.insert(
            call,
            Line {
                events: tx,
                _alive: alive_tx,
            },
        );
        rx
    }

    /// Who hears about `call`.
    pub(crate) fn route(&self, call: CallHandle) -> Route {
        if self.lines.contains_key(&call) {
            Route::Outbound
        } else if self.abandoned.contains(&call) {
            Route::Abandoned
        } else {
            Route::Inbound
        }
    }

    /// Hands an event to an outbound call's owner without waiting. A final event closes
    /// the line (delivered or not: the stream ends either way). Returns `false` when a
    /// non-final event found the receiver dropped or the channel full: the caller must
    /// [`abandon`](Routes::abandon) the call and hang it up.
    pub(crate) fn deliver(&mut self, call: CallHandle, event: CallEvent) -> bool {
        let Some(line) = self.lines.get(&call) else {
            return true;
        };
        let last = event.is_final();
        let sent = line.events.try_send(event).is_ok();
        if last {
            self.lines.remove(&call);
            return true;
        }
        sent
    }

    /// Closes the line of an outbound call whose owner is gone; `false` when the call
    /// has no open line (already abandoned, over, or inbound).
    pub(crate) fn abandon(&mut self, call: CallHandle) -> bool {
        if self.lines.remove(&call).is_none() {
            return false;
        }
        self.abandoned.insert(call);
        true
    }

    /// Forgets a call that is over.
    pub(crate) fn forget(&mut self, call: CallHandle) {
        self.lines.remove(&call);
        self.abandoned.remove(&call);
    }

    /// Outbound calls still tracked (open or being hung up).
    pub(crate) fn len(&self) -> usize {
        self.lines.len() + self.abandoned.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn progress() -> CallEvent {
        CallEvent::Progress {
            code: 180,
            sdp: None,
        }
    }

    #[tokio::test]
    async fn events_reach_only_their_call_and_the_stream_ends_after_the_final_one() {
        let (mut routes, _dropped) = Routes::new(4);
        let (a, b) = (CallHandle(1), CallHandle(2));
        let mut ra = routes.open(a);
        let mut rb = routes.open(b);
        assert_eq!(routes.route(CallHandle(3)), Route::Inbound);
        assert!(routes.deliver(a, progress()));
        assert!(routes.deliver(
            a,
            CallEvent::Failed {
                code: 486,
                reason: "Busy Here".into(),
                retry_after: None,
            }
        ));
        assert_eq!(routes.route(a), Route::Inbound, "line closed after Failed");
        assert_eq!(ra.recv().await, Some(progress()));
        assert!(matches!(
            ra.recv().await,
            Some(CallEvent::Failed { code: 486, .. })
        ));
        assert_eq!(ra.recv().await, None, "the stream ends");
        assert!(rb.try_recv().is_err(), "b heard nothing");
        assert_eq!(routes.route(b), Route::Outbound);
    }

    #[tokio::test]
    async fn dropping_the_receiver_is_reported_at_once() {
        let (mut routes, mut dropped) = Routes::new(4);
        let call = CallHandle(7);
        drop(routes.open(call));
        let got = tokio::time::timeout(std::time::Duration::from_secs(2), dropped.recv()).await;
        assert_eq!(got.ok().flatten(), Some(call));
        assert!(!routes.deliver(call, progress()), "owner gone");
        assert!(routes.abandon(call));
        assert!(!routes.abandon(call), "abandoned once");
        assert_eq!(routes.route(call), Route::Abandoned);
        routes.forget(call);
        assert_eq!(routes.len(), 0);
    }

    #[tokio::test]
    async fn a_full_channel_asks_for_a_hangup_but_a_final_event_just_ends_the_stream() {
        let (mut routes, _dropped) = Routes::new(1);
        let call = CallHandle(9);
        let mut rx = routes.open(call);
        assert!(routes.deliver(call, progress()));
        assert!(!routes.deliver(call, progress()), "full");
        assert!(routes.deliver(
            call,
            CallEvent::Terminated {
                reason: crate::EndReason::RemoteBye
            }
        ));
        assert_eq!(rx.recv().await, Some(progress()));
        assert_eq!(rx.recv().await, None);
    }
}

//! The end of a leg: [`Closing`], a future of the [`Figures`] the call log wants.
//!
//! Closing a media session waits for the pacer's next tick; an event loop that waited for
//! it would fall behind under load. So [`Leg::close`](crate::Leg::close) starts the close in
//! a task of its own and returns at once; the owner awaits the [`Closing`] in a task (to
//! write the call log) or drops it.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use lianxin_media::{Recorded, SessionStats};
use tokio::task::JoinHandle;

/// What a closed leg leaves behind.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Figures {
    /// From the leg's start (the INVITE's arrival, or when we placed the call) to its close.
    pub duration: Duration,
    /// RTP figures (packets, loss, jitter).
    pub stats: SessionStats,
    /// The recording the close finalized, with its length as the engine wrote it.
    pub recording: Option<Recorded>,
}

/// A leg being closed in a task of its own; resolves to its [`Figures`].
#[derive(Debug)]
pub struct Closing {
    duration: Duration,
    task: JoinHandle<lianxin_media::Closed>,
}

impl Closing {
    pub(crate) fn new(duration: Duration, task: JoinHandle<lianxin_media::Closed>) -> Closing {
        Closing { duration, task }
    }
}

impl Future for Closing {
    type Output = Figures;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Figures> {
        let duration = self.duration;
        Pin::new(&mut self.task).poll(cx).map(|closed| {
            // A close task that panicked or was cancelled leaves zero figures.
            let closed = closed.unwrap_or_default();
            Figures {
                duration,
                stats: closed.stats,
                recording: closed.recording,
            }
        })
    }
}

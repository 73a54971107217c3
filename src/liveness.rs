//! The core parts' liveness: `/healthz` probes for the SIP user agent, the media engine
//! and the hotline task, and the watch that ends `lianxin serve` when a core part stops.
//!
//! A server without SIP must not look alive: systemd restarts a process that exits with
//! a failure (`Restart=on-failure` in `deploy/lianxin.service`), not one that lingers.
//! So [`watch`] resolves, naming the part, as soon as the hotline task ends (returns or
//! panics), the desk's HTTP server ends, or the UA's task is gone (its handle answers
//! `Stopped`), or the media engine's pacing thread has ended (returned or panicked);
//! `serve` then logs it, shuts the rest down and exits non-zero. A part that is only slow
//! is not dead: `/healthz` reports it (a UA not answering within 2 s, a pacing thread
//! without a heartbeat for 5 s), the watch does not exit.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use lianxin_desk::{DeskHandle, HealthProbe};
use lianxin_media::MediaHandle;
use lianxin_ua::{UaError, UaHandle};
use tokio_util::sync::CancellationToken;

/// `/healthz` part `sip`: the UA task answers `stats()`.
pub struct SipProbe(pub UaHandle);

impl HealthProbe for SipProbe {
    fn name(&self) -> &'static str {
        "sip"
    }

    fn alive(&self) -> Pin<Box<dyn Future<Output = bool> + Send + '_>> {
        Box::pin(async move { self.0.stats().await.is_ok() })
    }
}

/// `/healthz` part `media`: the pacing thread runs and has beaten recently.
pub struct MediaProbe(pub MediaHandle);

impl HealthProbe for MediaProbe {
    fn name(&self) -> &'static str {
        "media"
    }

    fn alive(&self) -> Pin<Box<dyn Future<Output = bool> + Send + '_>> {
        let alive = self.0.alive();
        Box::pin(async move { alive })
    }
}

/// `/healthz` part for a task that cancels `ended` when it ends (e.g. `hotline`).
pub struct TaskProbe {
    /// The part's name.
    pub name: &'static str,
    /// Cancelled when the task ends.
    pub ended: CancellationToken,
}

impl HealthProbe for TaskProbe {
    fn name(&self) -> &'static str {
        self.name
    }

    fn alive(&self) -> Pin<Box<dyn Future<Output = bool> + Send + '_>> {
        let alive = !self.ended.is_cancelled();
        Box::pin(async move { alive })
    }
}

/// Resolves with the name of the first core part that stopped.
pub async fn watch(
    ua: &UaHandle,
    media: &MediaHandle,
    desk: &DeskHandle,
    hotline_ended: &CancellationToken,
) -> &'static str {
    let media_gone = async {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if media.stopped() {
                return;
            }
        }
    };
    let ua_gone = async {
        let mut tick = tokio::time::interval(Duration::from_secs(2));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            // Only `Stopped` is death; a UA too busy to answer in time is left alone.
            if let Ok(Err(UaError::Stopped)) =
                tokio::time::timeout(Duration::from_secs(5), ua.stats()).await
            {
                return;
            }
        }
    };
    tokio::select! {
        _ = hotline_ended.cancelled() => "hotline",
        _ = desk.ended() => "desk",
        _ = ua_gone => "sip",
        _ = media_gone => "media",
    }
}

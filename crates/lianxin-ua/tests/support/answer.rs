//! The scripted answer policy: what the sipp tests (`tests/sip_ua.rs`), the `sip_answer`
//! example and the `sip_bench` benchmark put behind the UA. It is not part of the
//! library: the hotline is the real owner of incoming calls. Examples include this file
//! with `#[path]`, so every target compiles only what it uses (hence `dead_code`).
//!
//! For every admitted INVITE: 180 at once (the SIP core already sent 100), then after
//! [`AnswerPolicy::ring`] a 200 with an SDP answer from `lianxin-sdp` (or an offer when the
//! INVITE had none: late offer, answered in the ACK), 488 when no codec is common, and a
//! BYE after [`AnswerPolicy::hold`] unless the caller hangs up first. No media is sent: the
//! SDP names [`AnswerPolicy::media_port`] but nothing listens there.
//!
//! It is an ordinary consumer of [`UaHandle`] and [`UaEvent`], so it also shows how the
//! hotline drives the UA.
#![allow(dead_code)]

use std::collections::HashMap;
use std::future::Future;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use lianxin_sdp::{accept_answer, answer, offer, LocalMedia, SdpVersions, SessionDescription};
use tokio::sync::mpsc;
use tracing::{debug, info_span, Instrument};

use lianxin_ua::{
    CallHandle, EndReason, IncomingCall, SharedCredentials, Ua, UaConfig, UaError, UaEvent,
    UaHandle,
};

/// Settings of the answer policy.
#[derive(Debug, Clone)]
pub struct AnswerPolicy {
    /// Address written into the SDP.
    pub media_addr: IpAddr,
    /// RTP port written into the SDP.
    pub media_port: u16,
    /// Time between 180 and 200.
    pub ring: Duration,
    /// Hang up this long after answering; `None` waits for the caller's BYE.
    pub hold: Option<Duration>,
}

impl Default for AnswerPolicy {
    fn default() -> Self {
        AnswerPolicy {
            media_addr: IpAddr::from([127, 0, 0, 1]),
            media_port: 40_000,
            ring: Duration::ZERO,
            hold: None,
        }
    }
}

/// Live counters of the policy (shared with tests and the benchmark).
#[derive(Debug, Default)]
pub struct AnswerStats {
    incoming: AtomicU64,
    answered: AtomicU64,
    rejected: AtomicU64,
    acked: AtomicU64,
    remote_bye: AtomicU64,
    local_bye: AtomicU64,
    cancelled: AtomicU64,
    other_end: AtomicU64,
}

/// A copy of [`AnswerStats`] at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AnswerSnapshot {
    /// IncomingCall events seen.
    pub incoming: u64,
    /// Calls answered with 200.
    pub answered: u64,
    /// Calls refused (488).
    pub rejected: u64,
    /// ACKs received.
    pub acked: u64,
    /// Calls the caller hung up.
    pub remote_bye: u64,
    /// Calls we hung up.
    pub local_bye: u64,
    /// Calls cancelled before the answer.
    pub cancelled: u64,
    /// Calls that ended otherwise (ACK timeout, dialog lost).
    pub other_end: u64,
}

impl AnswerStats {
    /// Reads every counter.
    pub fn snapshot(&self) -> AnswerSnapshot {
        let r = |a: &AtomicU64| a.load(Ordering::Relaxed);
        AnswerSnapshot {
            incoming: r(&self.incoming),
            answered: r(&self.answered),
            rejected: r(&self.rejected),
            acked: r(&self.acked),
            remote_bye: r(&self.remote_bye),
            local_bye: r(&self.local_bye),
            cancelled: r(&self.cancelled),
            other_end: r(&self.other_end),
        }
    }
}

fn bump(a: &AtomicU64) {
    a.fetch_add(1, Ordering::Relaxed);
}

/// Runs the policy until the event stream ends.
pub async fn run(
    ua: UaHandle,
    mut events: mpsc::Receiver<UaEvent>,
    policy: AnswerPolicy,
    stats: Arc<AnswerStats>,
) {
    // Offers we made in a 200 (late offer), waiting for the answer in the ACK.
    let mut offers: HashMap<CallHandle, LocalMedia> = HashMap::new();
    // The last description we sent per call: re-INVITE answers bump its `o=` version.
    let mut sent: HashMap<CallHandle, SdpVersions> = HashMap::new();
    while let Some(event) = events.recv().await {
        match event {
            UaEvent::IncomingCall(c) => {
                bump(&stats.incoming);
                let media = LocalMedia::new(policy.media_addr, policy.media_port, c.call.0);
                let reply = match &c.sdp {
                    Some(body) => SessionDescription::parse_bytes(body)
                        .map_err(|e| e.to_string())
                        .and_then(|o| answer(&o, &media).map_err(|e| e.to_string()))
                        .map(|n| n.answer),
                    None => {
                        offers.insert(c.call, media.clone());
                        Ok(offer(&media))
                    }
                };
                let reply = reply.map(|sdp| {
                    let text = sdp.to_string();
                    sent.insert(c.call, SdpVersions::with_sent(sdp));
                    text
                });
                let span = info_span!("call", call_id = %c.call_id);
                tokio::spawn(
                    handle_call(ua.clone(), c, reply, policy.clone(), stats.clone())
                        .instrument(span),
                );
            }
            UaEvent::Acked { call, sdp } => {
                bump(&stats.acked);
                if let Some(local) = offers.remove(&call) {
                    let ok = sdp
                        .as_deref()
                        .and_then(|b| SessionDescription::parse_bytes(b).ok())
                        .is_some_and(|a| accept_answer(&local, &a).is_ok());
                    if !ok {
                        debug!(call = call.0, "late-offer ACK without a usable answer: BYE");
                        let _ = ua.hangup(call).await;
                    }
                }
            }
            UaEvent::Terminated { call, reason } => {
                offers.remove(&call);
                sent.remove(&call);
                bump(match reason {
                    EndReason::RemoteBye => &stats.remote_bye,
                    EndReason::LocalBye => &stats.local_bye,
                    EndReason::Cancelled => &stats.cancelled,
                    EndReason::AckTimeout | EndReason::DialogLost => &stats.other_end,
                });
            }
            UaEvent::Reinvite { call, sdp } => {
                // Hold/unhold from the caller: answer with the mirrored direction, `o=`
                // version + 1 when the answer changed (RFC 3264 §8).
                let local = LocalMedia::new(policy.media_addr, policy.media_port, call.0);
                let versions = sent.entry(call).or_default();
                let reply = match sdp.as_deref() {
                    Some(b) => SessionDescription::parse_bytes(b)
                        .ok()
                        .and_then(|o| answer(&o, &local).ok())
                        .map(|n| n.answer),
                    None => Some(offer(&local)),
                }
                .map(|d| (200, Some(versions.stamp(d).to_string().into_bytes())));
                let (code, body) = reply.unwrap_or((488, None));
                let _ = ua.answer_reinvite(call, code, body).await;
            }
            _ => {}
        }
    }
}

async fn handle_call(
    ua: UaHandle,
    c: Box<IncomingCall>,
    reply: Result<String, String>,
    policy: AnswerPolicy,
    stats: Arc<AnswerStats>,
) {
    let sdp = match reply {
        Ok(sdp) => sdp,
        Err(why) => {
            debug!(%why, "offer not acceptable: 488");
            bump(&stats.rejected);
            let _ = ua.reject(c.call, 488).await;
            return;
        }
    };
    if ua.ringing(c.call).await.is_err() {
        return;
    }
    if !policy.ring.is_zero() {
        tokio::time::sleep(policy.ring).await;
    }
    if ua.answer(c.call, sdp.into_bytes()).await.is_err() {
        // Cancelled while ringing.
        return;
    }
    bump(&stats.answered);
    if let Some(hold) = policy.hold {
        tokio::time::sleep(hold).await;
        if ua.hangup(c.call).await.is_ok() {
            debug!("hold time over: BYE");
        }
    }
}

/// Runs a UA with this policy until `shutdown` completes (the `sip_answer` example's
/// Ctrl-C). A wildcard `policy.media_addr` is replaced by [`UaHandle::contact_ip`].
/// Returns the policy's counters.
pub async fn serve_until(
    config: UaConfig,
    credentials: SharedCredentials,
    mut policy: AnswerPolicy,
    shutdown: impl Future<Output = ()>,
) -> Result<AnswerSnapshot, UaError> {
    let (ua, events) = Ua::start(config, credentials).await?;
    if policy.media_addr.is_unspecified() {
        policy.media_addr = ua.contact_ip();
    }
    tracing::info!(
        addr = %ua.local_addr(),
        contact = %ua.contact_ip(),
        "SIP user agent listening (UDP and TCP) with the scripted answer policy"
    );
    let stats = Arc::new(AnswerStats::default());
    let task = tokio::spawn(run(ua.clone(), events, policy, stats.clone()));
    shutdown.await;
    tracing::info!("stopping SIP user agent");
    ua.shutdown().await;
    let _ = task.await;
    Ok(stats.snapshot())
}

//! The end of a call: everything of it ended exactly once.
//!
//! Taking the call out of the legs table makes its legs unroutable; each is then closed
//! ([`Leg::close`](lianxin_leg::Leg::close): hung up unless already ended, media closed
//! in a task of its own). The caller leg's figures (RTP statistics, and the length of a
//! voice message still being recorded, as the engine wrote it) go to the call log from
//! that task too, so neither the pacer nor the disk holds up the next caller.

use std::time::Duration;

use lianxin_desk::DeskEvent;
use lianxin_store::{CallOutcome, CallUpdate};

use crate::acd::CallKey;
use crate::calllog::Entry;
use crate::driver::Driver;
use crate::flow::{Input, Outcome};
use crate::legs::Recording;
use crate::now::Now;
use crate::recording::voice_message;

impl Driver {
    /// Ends everything of a call exactly once: the flow, the queue entry, the operator
    /// and supervisor legs, the caller's leg, the call log and the consoles' card.
    pub(crate) async fn teardown(&mut self, now: Now, key: CallKey, why: &str) {
        let Some(mut call) = self.legs.remove(key) else {
            return;
        };
        // The flow's own hang-up commands (leave the queue, stop recording) are covered
        // below: the queue entry is removed and closing the media finalizes a recording.
        let _ = call.flow.handle(now.mono, Input::Hangup);
        self.acd.remove(now.mono, key);
        for sup in call.supervisors.drain(..) {
            drop(sup.leg.close(now.mono));
        }
        if let Some(op) = call.operator.take() {
            drop(op.leg.close(now.mono));
            self.acd.call_ended(now.mono, key);
        }
        let outcome = match call.flow.outcome() {
            Outcome::Answered => CallOutcome::Answered,
            Outcome::VoiceMessage => CallOutcome::VoiceMessage,
            Outcome::Abandoned => CallOutcome::Abandoned,
            // The store's outcomes are about people; a fully heard recording counts as
            // answered (with no operator).
            Outcome::Informed => CallOutcome::Answered,
        };
        // A message still being recorded when the caller hung up: the close finalizes the
        // file and reports its length; it is stored once that is known.
        let message = match std::mem::replace(&mut call.voicemail, Recording::None) {
            Recording::Running { path, started } => {
                Some(voice_message(&call, path, started, Duration::ZERO))
            }
            _ => None,
        };
        let duration_s = now
            .mono
            .saturating_duration_since(call.caller.since())
            .as_secs() as u32;
        let call_id = call.about.call_id.clone();
        let call_id_for_log = call.about.call_id.clone();
        let dialled = call.about.number_dialled.clone();
        let log = self.log.clone();
        let ended = now.wall;
        let closing = call.caller.close(now.mono);
        tokio::spawn(async move {
            let figures = closing.await;
            if let Some(mut message) = message {
                let duration = figures.recording.map(|r| r.duration).unwrap_or_default();
                message.duration_ms = duration.as_millis() as u64;
                log.write(Entry::VoiceMessage {
                    key,
                    message,
                    call_id: call_id_for_log,
                });
            }
            let stats = figures.stats;
            log.write(Entry::Update(
                key,
                CallUpdate {
                    ended: Some(ended),
                    outcome: Some(outcome),
                    rtp_sent: Some(stats.packets_sent),
                    rtp_received: Some(stats.packets_received),
                    rtp_lost: Some(stats.packets_lost),
                    jitter_ms: Some(stats.jitter_ms),
                    ..CallUpdate::default()
                },
            ));
            log.write(Entry::Done(key));
        });
        self.desk.publish(DeskEvent::CallEnded {
            call_id,
            // The desk's `CallOutcome` is the store's, re-exported.
            outcome,
            duration_s,
        });
        tracing::info!(call = key, %why, ?outcome, secs = duration_s, %dialled, "hotline call ended");
    }
}

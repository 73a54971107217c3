//! One placed call of a campaign, as a task of its own: it opens the leg, follows its SIP
//! and media events, plays the notice once the household answers (200 OK only) and hangs
//! up when the notice has been heard to the end.
//!
//! A campaign that asks for confirmation plays "press 1 to confirm" after the notice and
//! waits [`CONFIRM_WAIT`] for a key before hanging up; a key pressed during the notice
//! counts too (people press as soon as they understand), and ends the wait at once.
//!
//! Why a task per call: `Leg::outgoing` awaits the UA, and a campaign holds hundreds of
//! calls; the campaign's own task must never wait on one of them. The call task decides
//! nothing about outcomes: it reports plain facts ([`Report`]) and the campaign machine
//! judges them. The campaign task tells it to CANCEL or hang up ([`Control`]).

use std::sync::Arc;
use std::time::{Duration, Instant};

use lianxin_leg::{Leg, LegContext, LegEvent};
use lianxin_media::{PlayItem, Prompt};
use lianxin_ua::OutgoingCall;
use tokio::sync::mpsc;

use crate::campaign::CallId;
use crate::driver::clock;
use crate::driver::invites::InviteWindow;
use crate::Ended;

/// How long a household has, after the "press 1" prompt, to press a key.
pub(crate) const CONFIRM_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// What the campaign task tells a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Control {
    /// Cancel it (unanswered) — the final response still comes as a report.
    Cancel,
    /// Hang it up (answered); nothing more is reported.
    Hangup,
}

/// What a call tells the campaign task.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Report {
    /// 18x.
    Progress(u16),
    /// 200 OK; the notice is playing.
    Answered,
    /// A final failure response.
    Rejected {
        /// SIP status.
        code: u16,
        /// Reason phrase.
        reason: String,
        /// The trunk's `Retry-After` (a 503 asking us to slow down).
        retry_after: Option<Duration>,
    },
    /// No final response (transport error, the leg could not open).
    Failed(String),
    /// An answered call ended.
    Ended(Ended),
}

/// What every call of a campaign plays.
#[derive(Clone)]
pub(crate) struct CallAudio {
    /// The notice.
    pub(crate) notice: Arc<Prompt>,
    /// The campaign asks for a key: the "press 1 to confirm" prompt (`Some(None)` when
    /// the prompt file is missing: the key is still waited for).
    pub(crate) confirm: Option<Option<Arc<Prompt>>>,
}

/// What a call needs to run.
pub(crate) struct CallSpec {
    /// The attempt.
    pub(crate) id: CallId,
    /// The INVITE.
    pub(crate) invite: OutgoingCall,
    /// What it plays.
    pub(crate) audio: CallAudio,
    /// SDP session id.
    pub(crate) session_id: u64,
}

/// Runs one call to its end, reporting on `reports`.
pub(crate) async fn run(
    ctx: LegContext,
    invites: InviteWindow,
    spec: CallSpec,
    mut control: mpsc::Receiver<Control>,
    reports: mpsc::Sender<(CallId, Report)>,
) {
    let id = spec.id;
    let report = |r: Report| {
        let reports = reports.clone();
        async move {
            let _ = reports.send((id, r)).await;
        }
    };
    // Wait for room in the trunk's window; a cancel meanwhile ends the call unplaced.
    let mut slot = tokio::select! {
        slot = invites.slot() => slot,
        c = control.recv() => {
            if c == Some(Control::Cancel) {
                report(Report::Failed("cancelled before the INVITE left".into())).await;
            }
            return;
        }
    };
    let opened = match Leg::outgoing(&ctx, spec.invite, spec.session_id, clock::instant()).await {
        Ok(o) => o,
        Err(e) => return report(Report::Failed(e.to_string())).await,
    };
    let mut leg = opened.leg;
    let mut media = opened.media_events;
    let Some(mut sip) = opened.call_events else {
        leg.close(clock::instant());
        return report(Report::Failed("no call events".into())).await;
    };
    let mut answered: Option<Instant> = None;
    let mut confirm: Option<char> = None;
    let mut media_open = true;
    // Set once the notice (and the "press 1" prompt) has played: when it ended, and until
    // when a key is waited for.
    let mut waiting: Option<(Instant, tokio::time::Instant)> = None;
    let finish = |leg: Leg, at: Instant, end: Instant, confirm: Option<char>| {
        leg.close(end);
        Report::Ended(heard(at, end, true, confirm))
    };
    loop {
        // SIP and media events are judged in one place: a key press counts the same
        // whichever way it came (SIP INFO or RFC 4733).
        let event = tokio::select! {
            _ = sleep_until_opt(waiting.map(|(_, until)| until)) => {
                let played = waiting.map_or_else(clock::instant, |(played, _)| played);
                let at = answered.unwrap_or(played);
                return report(finish(leg, at, played, confirm)).await;
            }
            _ = slot.expired() => None,
            c = control.recv() => match c {
                Some(Control::Cancel) => {
                    leg.hang_up();
                    None
                }
                Some(Control::Hangup) | None => {
                    // Hung up by the campaign (or the campaign is gone): nothing to report.
                    leg.close(clock::instant());
                    return;
                }
            },
            ev = sip.recv() => match ev {
                Some(ev) => {
                    slot.responded();
                    leg.on_call_event(ev)
                }
                None => {
                    let end = clock::instant();
                    leg.close(end);
                    let r = hung_up(answered, end, confirm, || "call events ended".into());
                    return report(r).await;
                }
            },
            ev = media.recv(), if media_open => match ev {
                Some(ev) => leg.on_media(ev),
                None => {
                    media_open = false;
                    None
                }
            },
        };
        match event {
            Some(LegEvent::Progress(code)) => report(Report::Progress(code)).await,
            Some(LegEvent::Answered) if answered.is_none() => {
                answered = Some(clock::instant());
                let mut items = vec![PlayItem::Prompt(spec.audio.notice.clone())];
                if let Some(Some(p)) = &spec.audio.confirm {
                    items.push(PlayItem::Prompt(p.clone()));
                }
                if !leg.play(items) {
                    tracing::warn!("notice could not be played");
                }
                report(Report::Answered).await;
            }
            Some(LegEvent::Failed {
                code,
                reason,
                retry_after,
            }) => {
                leg.close(clock::instant());
                let retry_after = retry_after.map(|s| Duration::from_secs(s.into()));
                return report(Report::Rejected {
                    code,
                    reason,
                    retry_after,
                })
                .await;
            }
            Some(LegEvent::Ended(reason)) => {
                let end = clock::instant();
                leg.close(end);
                let r = hung_up(answered, end, confirm, || {
                    format!("ended before an answer: {reason:?}")
                });
                return report(r).await;
            }
            Some(LegEvent::Digit(d)) => {
                confirm.get_or_insert(d);
                if let Some((played, _)) = waiting {
                    let at = answered.unwrap_or(played);
                    return report(finish(leg, at, played, confirm)).await;
                }
            }
            Some(LegEvent::PlaybackFinished) => {
                let end = clock::instant();
                let at = answered.unwrap_or(end);
                if spec.audio.confirm.is_none() || confirm.is_some() {
                    return report(finish(leg, at, end, confirm)).await;
                }
                waiting = Some((end, tokio::time::Instant::now() + CONFIRM_WAIT));
            }
            _ => {}
        }
    }
}

/// Sleeps until `until`, or forever without one.
async fn sleep_until_opt(until: Option<tokio::time::Instant>) {
    match until {
        Some(t) => tokio::time::sleep_until(t).await,
        None => std::future::pending().await,
    }
}

/// What a call that ended at `end` before the notice was over reports: how much was heard
/// if it was answered, else why it failed.
fn hung_up(
    answered: Option<Instant>,
    end: Instant,
    confirm: Option<char>,
    unanswered: impl FnOnce() -> String,
) -> Report {
    match answered {
        Some(at) => Report::Ended(heard(at, end, false, confirm)),
        None => Report::Failed(unanswered()),
    }
}

fn heard(since: Instant, end: Instant, to_end: bool, confirm: Option<char>) -> Ended {
    Ended {
        seconds_heard: end.saturating_duration_since(since).as_secs_f64(),
        heard_to_end: to_end,
        confirm_key: confirm,
    }
}

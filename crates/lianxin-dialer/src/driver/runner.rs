//! The task that runs one campaign: it owns the [`Campaign`] machine, feeds it what its
//! calls, the log and staff say, reads the clock once per input, drains events (to the
//! [`Journal`](crate::Journal) and the consoles) and commands (to call tasks), and sleeps
//! until the machine's next timeout.
//!
//! Why here and not in the machine: this is the only place that knows about tasks,
//! channels and the clock; the rules stay testable without them (STYLE.md habit 1).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use lianxin_leg::LegContext;

use tokio::sync::mpsc;

use super::OutboundTrunk;
use crate::campaign::CallId;
use crate::driver::call::{self, CallAudio, CallSpec, Control, Report};
use crate::driver::clock::now;
use crate::driver::invites::InviteWindow;
use crate::driver::publish::Publisher;
use crate::{Campaign, Command, Event, Journal, State, Stored};

/// What staff (or the server) ask of a running campaign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Input {
    /// Pause.
    Pause,
    /// Resume.
    Resume,
    /// Cancel.
    Cancel,
    /// The server stops.
    Stop,
}

/// What every campaign task shares.
pub(crate) struct Shared {
    /// UA and media.
    pub(crate) ctx: LegContext,
    /// Where calls go.
    pub(crate) trunk: OutboundTrunk,
    /// The campaign log.
    pub(crate) journal: Journal,
    /// INVITEs out without a response, across campaigns.
    pub(crate) invites: InviteWindow,
}

/// Channels of one campaign task.
pub(crate) struct Channels {
    /// Staff's requests.
    pub(crate) inputs: mpsc::Receiver<Input>,
    /// Attempt rows confirmed by the log.
    pub(crate) stored: mpsc::Receiver<Stored>,
}

/// Runs `campaign` until it is finished, cancelled or stopped.
pub(crate) async fn run(
    shared: Arc<Shared>,
    mut campaign: Campaign,
    audio: CallAudio,
    mut channels: Channels,
    mut publisher: Publisher,
) {
    let (reports_tx, mut reports) = mpsc::channel::<(CallId, Report)>(1024);
    let mut calls: HashMap<CallId, mpsc::Sender<Control>> = HashMap::new();
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    publisher.started(&campaign.progress());
    let mut inputs_open = true;
    // The clock read for the latest input; the events it caused are logged at that time.
    let mut n = now();
    loop {
        drain(
            &shared,
            n.utc,
            &mut campaign,
            &mut calls,
            &audio,
            &reports_tx,
            &mut publisher,
        );
        if !matches!(campaign.state(), State::Running | State::Paused) {
            break;
        }
        let deadline = campaign
            .poll_timeout()
            .map(tokio::time::Instant::from_std)
            .unwrap_or_else(|| tokio::time::Instant::now() + Duration::from_secs(3600));
        tokio::select! {
            input = channels.inputs.recv(), if inputs_open => {
                n = now();
                match input {
                    Some(Input::Pause) => campaign.pause(n),
                    Some(Input::Resume) => campaign.resume(n),
                    Some(Input::Cancel) => campaign.cancel(n),
                    Some(Input::Stop) => campaign.stop(n),
                    None => inputs_open = false,
                }
            }
            Some(s) = channels.stored.recv() => {
                n = now();
                match s {
                    Stored::Logged { call, .. } => campaign.handle_logged(n, call),
                    Stored::NotLogged { call, error, .. } => {
                        tracing::warn!(campaign = campaign.id(), %error, "attempt row not written");
                        campaign.handle_log_failed(n, call);
                    }
                }
            }
            Some((id, report)) = reports.recv() => {
                n = now();
                let last = !matches!(report, Report::Progress(_) | Report::Answered);
                if last {
                    calls.remove(&id);
                }
                match report {
                    Report::Progress(code) => campaign.handle_progress(n, id, code),
                    Report::Answered => campaign.handle_answered(n, id),
                    Report::Rejected {
                        code,
                        reason,
                        retry_after,
                    } => campaign.handle_rejected(n, id, code, &reason, retry_after),
                    Report::Failed(reason) => campaign.handle_failed(n, id, &reason),
                    Report::Ended(ended) => campaign.handle_ended(n, id, ended),
                }
            }
            _ = tokio::time::sleep_until(deadline) => {
                n = now();
                campaign.handle_timeout(n);
            }
            _ = tick.tick() => publisher.tick(&campaign.progress()),
        }
    }
    publisher.finished(&campaign.progress());
}

/// Drains the machine: events to the log and the consoles, then commands to the calls.
fn drain(
    shared: &Shared,
    utc: DateTime<Utc>,
    campaign: &mut Campaign,
    calls: &mut HashMap<CallId, mpsc::Sender<Control>>,
    audio: &CallAudio,
    reports: &mpsc::Sender<(CallId, Report)>,
    publisher: &mut Publisher,
) {
    let id = campaign.id();
    while let Some(ev) = campaign.poll_event() {
        publisher.event(&ev);
        if !matches!(ev, Event::State(State::Stopped)) {
            shared.journal.write(id, utc, ev);
        }
    }
    while let Some(cmd) = campaign.poll_command() {
        match cmd {
            Command::Dial {
                call,
                household,
                attempt,
                dialled,
                ..
            } => {
                let (tx, rx) = mpsc::channel(4);
                calls.insert(call, tx);
                let spec = CallSpec {
                    id: call,
                    invite: shared.trunk.invite(
                        &dialled,
                        &campaign.options().caller_id,
                        shared.ctx.media_ip,
                        // Which campaign and attempt this is, for the trunk's logs (and a
                        // check that no attempt is ever dialled twice, even across a crash).
                        vec![
                            ("X-Lianxin-Campaign".to_owned(), id.to_string()),
                            (
                                "X-Lianxin-Attempt".to_owned(),
                                format!("{household}.{attempt}"),
                            ),
                        ],
                    ),
                    audio: audio.clone(),
                    session_id: session_id(id, call),
                };
                tokio::spawn(call::run(
                    shared.ctx.clone(),
                    shared.invites.clone(),
                    spec,
                    rx,
                    reports.clone(),
                ));
            }
            Command::Cancel { call } => {
                if let Some(tx) = calls.get(&call) {
                    let _ = tx.try_send(Control::Cancel);
                }
            }
            Command::Hangup { call } => {
                if let Some(tx) = calls.remove(&call) {
                    let _ = tx.try_send(Control::Hangup);
                }
            }
        }
    }
}

/// A distinct SDP session id per attempt.
fn session_id(campaign: i64, call: CallId) -> u64 {
    ((campaign as u64) << 32) ^ call
}

//! The hotline's event loop: one tokio task that reads every input and hands it on.
//!
//! It listens to six sources: SIP events from `lianxin-ua` (incoming calls and their
//! in-dialog events, registrations), operator legs' own SIP events (each placed call
//! reports to its placer; a forwarding task per leg merges them onto one channel), media
//! events (merged the same way, per leg), console commands
//! from `lianxin-desk`, results of work done off the loop (screen-pop lookups, staff
//! checks, recording files) and time. For each input it reads the clock once ([`Now`]),
//! feeds the per-call [`CallFlow`](crate::flow::CallFlow) and the shared
//! [`Acd`](crate::acd::Acd), and lets the concern modules carry out their commands. It
//! never waits for SQLite, the file system or the pacer: those run in tasks of their own.
//!
//! Every few seconds it re-checks what is really live (operator legs, phone registrations)
//! and hands that to the queue (`Acd::sync_legs`), so no operator can stay stuck as busy or
//! ringing after a lost event.

use lianxin_desk::{DeskCommand, OperatorState};
use lianxin_leg::{LegContext, LegEvent};
use lianxin_media::MediaEvent;
use lianxin_ua::{CallEvent, CallHandle, TrunkState, UaEvent};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::calllog::CallLog;
use crate::config::{Handles, HotlineConfig};
use crate::driver::{Driver, Inputs};
use crate::flow::Input;
use crate::legs::Role;
use crate::now::Now;
use crate::operators::Operators;
use crate::work::Done;

/// The running hotline (see the module docs).
#[derive(Debug)]
pub struct Hotline;

impl Hotline {
    /// Runs until `stop` is cancelled or the UA stops.
    pub async fn run(config: HotlineConfig, handles: Handles, stop: CancellationToken) {
        let Handles {
            ua,
            mut ua_events,
            media,
            store,
            desk,
            mut desk_commands,
        } = handles;
        let log = match CallLog::start(store.clone(), desk.clone()) {
            Ok(log) => log,
            Err(e) => {
                tracing::error!(error = %e, "cannot start the call-log writer; the hotline is not running");
                return;
            }
        };
        let operators = load_operators(&store).await;
        let (media_tx, mut media_rx) = mpsc::channel(4096);
        let (done_tx, mut done_rx) = mpsc::channel(1024);
        let (call_tx, mut call_rx) = mpsc::channel(4096);
        let ctx = LegContext {
            ua,
            media,
            media_ip: config.media_ip,
        };
        let inputs = Inputs {
            media: media_tx,
            done: done_tx,
            calls: call_tx,
        };
        let mut d = Driver::new(config, ctx, store, desk, operators, log, inputs);
        let mut resync = tokio::time::interval(d.config.resync_every);
        resync.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let deadline = d.next_deadline();
            let sleep = async {
                match deadline {
                    Some(at) => tokio::time::sleep_until(at.into()).await,
                    None => std::future::pending::<()>().await,
                }
            };
            let input = tokio::select! {
                _ = stop.cancelled() => break,
                ev = ua_events.recv() => match ev {
                    Some(ev) => In::Ua(ev),
                    None => break,
                },
                Some((call, ev)) = call_rx.recv() => In::Call(call, ev),
                Some((session, ev)) = media_rx.recv() => In::Media(session, ev),
                Some(cmd) = desk_commands.recv() => In::Desk(cmd),
                Some(done) = done_rx.recv() => In::Done(done),
                _ = sleep => In::Time,
                _ = resync.tick() => In::Resync,
            };
            // One reading of the clock per input, passed down to everything it causes.
            let now = Now::read();
            match input {
                In::Ua(ev) => d.on_ua(now, ev).await,
                In::Call(call, ev) => d.on_operator_event(now, call, ev).await,
                In::Media(session, ev) => d.on_media(now, session, ev).await,
                In::Desk(cmd) => d.on_desk(now, cmd),
                In::Done(done) => d.on_done(now, done).await,
                In::Time => {}
                In::Resync => d.resync(now).await,
            }
            d.on_time(now).await;
        }
        d.shut_down(Now::read()).await;
    }
}

/// One input of the loop.
enum In {
    Ua(UaEvent),
    Call(CallHandle, CallEvent),
    Media(u64, MediaEvent),
    Desk(DeskCommand),
    Done(Done),
    Time,
    Resync,
}

/// The staff list, read off the loop before it starts.
async fn load_operators(store: &lianxin_store::Store) -> Operators {
    let store = store.clone();
    match tokio::task::spawn_blocking(move || store.staff_list()).await {
        Ok(Ok(staff)) => {
            let ops = Operators::from_staff(staff);
            tracing::info!(operators = ops.len(), "hotline operators loaded");
            ops
        }
        Ok(Err(e)) => {
            tracing::error!(error = %e, "cannot read staff list; no operator will get calls");
            Operators::default()
        }
        Err(e) => {
            tracing::error!(error = %e, "cannot read staff list; no operator will get calls");
            Operators::default()
        }
    }
}

impl Driver {
    fn next_deadline(&self) -> Option<std::time::Instant> {
        self.legs
            .next_deadline()
            .into_iter()
            .chain(self.acd.poll_timeout())
            .min()
    }

    /// Timers: the queue's and every due flow's.
    async fn on_time(&mut self, now: Now) {
        if self.acd.poll_timeout().is_some_and(|d| d <= now.mono) {
            self.acd.handle_timeout(now.mono);
        }
        for key in self.legs.due(now.mono) {
            let cmds = match self.legs.get_mut(key) {
                Some(c) => c.flow.handle_timeout(now.mono),
                None => continue,
            };
            self.execute(now, key, cmds).await;
        }
        self.drain_acd(now).await;
    }

    async fn on_ua(&mut self, now: Now, ev: UaEvent) {
        match ev {
            UaEvent::IncomingCall(ic) => self.on_incoming(now, *ic).await,
            UaEvent::Acked { call, sdp } => self.on_acked(now, call, sdp).await,
            UaEvent::Dtmf { call, digit } => {
                if let Some((key, Role::Caller)) = self.legs.by_handle(call) {
                    self.feed(now, key, Input::Digit(digit)).await;
                }
            }
            UaEvent::Terminated { call, reason } => match self.legs.by_handle(call) {
                Some((key, Role::Caller)) => {
                    tracing::info!(call = key, ?reason, "caller leg ended");
                    if let Some(c) = self.legs.get_mut(key) {
                        c.caller.sip_ended();
                    }
                    self.teardown(now, key, "caller hung up").await;
                }
                Some((key, Role::Supervisor)) => {
                    tracing::info!(call = key, ?reason, "supervisor left the call");
                    if let Some(mut sup) = self.legs.take_supervisor(call) {
                        sup.leg.sip_ended();
                        drop(sup.leg.close(now.mono));
                    }
                }
                Some((key, Role::Operator)) => {
                    tracing::info!(call = key, ?reason, "operator leg ended");
                    self.on_operator_left(now, key).await;
                }
                None => {
                    // A caller who gave up while their screen-pop was being looked up.
                    if let Some(cancelled) = self.pending.get_mut(&call) {
                        *cancelled = true;
                    }
                }
            },
            UaEvent::Reinvite { call, sdp } => match self.legs.leg_mut(call) {
                // Hold / unhold from a phone: accept and keep our media as it is.
                Some(leg) => {
                    leg.on_reinvite(sdp.as_deref());
                }
                None => lianxin_leg::refuse_reinvite(&self.ctx.ua, call),
            },
            UaEvent::RegistrationChanged { user, contacts } => {
                if let Some(id) = self.operators.by_user(&user) {
                    tracing::info!(user = %lianxin_store::pii::Redacted(&user), contacts = contacts.len(), "operator phone registration changed");
                    self.acd.set_registered(now.mono, id, !contacts.is_empty());
                }
            }
            UaEvent::TrunkRegistration(state) => match state {
                TrunkState::Registered(_) => tracing::info!("registered with the carrier trunk"),
                TrunkState::Failed(code) => tracing::error!(
                    code,
                    "registration with the carrier trunk failed; retrying (check [trunk] username/password in the config)"
                ),
            },
            other => tracing::debug!(event = ?other, "SIP event not used by the hotline"),
        }
        self.drain_acd(now).await;
    }

    async fn on_media(&mut self, now: Now, session: u64, ev: MediaEvent) {
        let Some((key, role)) = self.legs.by_session(session) else {
            return;
        };
        tracing::debug!(session, call = key, ?role, event = ?ev, "media event");
        let Some(call) = self.legs.get_mut(key) else {
            return;
        };
        let leg = match role {
            Role::Caller => &mut call.caller,
            Role::Operator => match call.operator.as_mut() {
                Some(o) => &mut o.leg,
                None => return,
            },
            Role::Supervisor => return,
        };
        match (role, leg.on_media(ev)) {
            (Role::Caller, Some(LegEvent::Digit(d))) => self.feed(now, key, Input::Digit(d)).await,
            (Role::Caller, Some(LegEvent::PlaybackFinished)) => {
                self.feed(now, key, Input::PlaybackFinished).await
            }
            (Role::Caller, Some(LegEvent::Recorded(rec))) => {
                self.voice_message_stopped(key, rec.duration);
                self.feed(now, key, Input::RecordingStopped).await;
            }
            (Role::Caller, Some(LegEvent::NoMedia)) => {
                tracing::warn!(
                    call = key,
                    "no audio from the caller (one-way audio or caller gone)"
                );
            }
            (Role::Operator, Some(LegEvent::NoMedia)) => {
                tracing::warn!(
                    call = key,
                    "no audio from the operator's phone (one-way audio)"
                );
            }
            _ => {}
        }
    }

    fn on_desk(&mut self, now: Now, cmd: DeskCommand) {
        let (staff, state) = match cmd {
            DeskCommand::OpeningHours(hours) => {
                tracing::info!(always = hours.always, "opening hours changed");
                self.config.hours = hours;
                return;
            }
            DeskCommand::SetState { staff, state, .. } => (staff, Some(state)),
            DeskCommand::ConsoleConnected { staff, state, .. } => (staff, Some(state)),
            DeskCommand::ConsoleDisconnected {
                staff, consoles, ..
            } => (staff, (consoles == 0).then_some(OperatorState::Away)),
        };
        if !self.operators.contains(staff.id) {
            return;
        }
        if let Some(presence) = state {
            tracing::info!(operator = staff.id, ?presence, "operator presence");
            self.acd.set_presence(now.mono, staff.id, presence);
        }
    }

    async fn on_done(&mut self, now: Now, done: Done) {
        match done {
            Done::Popped(p) => self.on_popped(now, *p).await,
            Done::SupervisorFound(s) => self.on_supervisor_found(now, *s).await,
            Done::RecorderMade { key, purpose, made } => {
                self.on_recorder_made(now, key, purpose, made)
            }
        }
        self.drain_acd(now).await;
    }

    /// Feeds one input to a call's flow and carries out what it asks.
    pub(crate) async fn feed(&mut self, now: Now, key: crate::acd::CallKey, input: Input) {
        tracing::debug!(call = key, ?input, "flow input");
        let cmds = match self.legs.get_mut(key) {
            Some(c) => c.flow.handle(now.mono, input),
            None => return,
        };
        self.execute(now, key, cmds).await;
    }

    /// Hands the queue what is really live: operator legs now, phone registrations as
    /// the UA knows them.
    async fn resync(&mut self, now: Now) {
        self.acd.sync_legs(now.mono, &self.legs.operator_legs());
        for (id, op) in self.operators.all() {
            let mut registered = false;
            for user in op.phone_users() {
                if !self
                    .ctx
                    .ua
                    .contacts(user)
                    .await
                    .unwrap_or_default()
                    .is_empty()
                {
                    registered = true;
                    break;
                }
            }
            self.acd.set_registered(now.mono, id, registered);
        }
        self.drain_acd(now).await;
    }

    /// Hangs up every call and closes its legs (the stop signal came, or the UA stopped).
    async fn shut_down(&mut self, now: Now) {
        for key in self.legs.keys() {
            if let Some(c) = self.legs.get_mut(key) {
                c.caller.hang_up_and_wait().await;
            }
            self.teardown(now, key, "shutdown").await;
        }
    }
}

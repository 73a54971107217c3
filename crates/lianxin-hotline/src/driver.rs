//! The hotline's tokio driver: one task that carries out what the machines decide.
//!
//! It owns every live hotline call and listens to four sources: SIP events from
//! `lianxin-ua` (the inbound receiver, plus each operator leg's own events, forwarded
//! onto one channel), media events (all sessions' events merged onto one channel), console
//! commands from `lianxin-desk`, and time. For each input it feeds the per-call
//! [`CallFlow`] and the shared [`Acd`], then carries out their commands against the UA,
//! the media engine, the store and the desk. The call-flow rules live in those machines;
//! this module only moves data between them and the outside.
//!
//! The screen-pop is the first thing done for a new INVITE: normalize the caller ID, look
//! the household up, push `call.ringing` to the consoles, and only then answer, so the pop
//! is on screen long before any operator phone rings.
//!
//! Every few seconds the driver re-checks what is really live (operator legs, phone
//! registrations) and hands that to the queue ([`Acd::sync_legs`]), so no operator can stay
//! stuck as busy or ringing after a lost event.
#![allow(clippy::disallowed_methods)] // the driver is where the clock is read

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use lianxin_desk::{CallOutcome as DeskOutcome, DeskCommand, DeskEvent, DeskHandle, OperatorRef};
use lianxin_media::{Channels, MediaEvent, MediaHandle, MediaSession, PlayItem, SessionParams};
use lianxin_sdp::{LocalMedia, SdpVersions, SessionDescription};
use lianxin_sip::CallHandle;
use lianxin_store::{CallOutcome, CallUpdate, Direction, NewCall, NewVoiceMessage, Role, Store};
use lianxin_ua::{CallEvent, OutboundCall, OutgoingCall, UaEvent, UaHandle};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::acd::{Acd, AcdConfig, Action, CallKey, OperatorId, Presence};
use crate::calllog::{CallLog, Entry};
use crate::flow::{CallFlow, Command, FlowConfig, Input, Outcome};
use crate::hours::OpeningHours;

/// Everything the hotline needs to know that is not a handle.
#[derive(Debug, Clone)]
pub struct HotlineConfig {
    /// The caller's path (prompts, menu keys, timeouts).
    pub flow: FlowConfig,
    /// Ring and queue timeouts.
    pub acd: AcdConfig,
    /// When the hotline is staffed.
    pub hours: OpeningHours,
    /// Our RTP address as written into SDP.
    pub media_ip: IpAddr,
    /// Host part of our SIP URIs (From of operator legs).
    pub sip_host: String,
    /// Where voice messages are written (a dated folder per day).
    pub voicemail_dir: PathBuf,
    /// Take the caller ID from P-Asserted-Identity when the INVITE has one (trusted
    /// trunk); otherwise from From.
    pub trust_pai: bool,
    /// How often live legs and registrations are re-checked.
    pub resync_every: Duration,
    /// Record whole conversations (caller left, operator right) into this folder; `None`
    /// records nothing but voice messages.
    pub record_calls: Option<PathBuf>,
    /// Information lines: dialled number → prompt played once before hanging up (no
    /// screen-pop, no queue).
    pub announcements: std::collections::BTreeMap<String, String>,
}

/// The running hotline (see the module docs).
#[derive(Debug)]
pub struct Hotline;

/// The handles the hotline drives.
pub struct Handles {
    /// SIP call control.
    pub ua: UaHandle,
    /// SIP events (the hotline is their only reader).
    pub ua_events: mpsc::Receiver<UaEvent>,
    /// RTP sessions.
    pub media: MediaHandle,
    /// The database.
    pub store: Store,
    /// The consoles.
    pub desk: DeskHandle,
    /// Console commands.
    pub desk_commands: mpsc::Receiver<DeskCommand>,
}

impl Hotline {
    /// Runs until `stop` is cancelled or the UA stops.
    pub async fn run(config: HotlineConfig, handles: Handles, stop: CancellationToken) {
        let (media_tx, media_rx) = mpsc::channel(4096);
        let log = match CallLog::start(handles.store.clone(), handles.desk.clone()) {
            Ok(log) => log,
            Err(e) => {
                tracing::error!(error = %e, "cannot start the call-log writer; the hotline is not running");
                return;
            }
        };
        let mut d = Driver::new(config, handles, media_tx, log);
        d.load_operators();
        d.run(media_rx, stop).await;
    }
}

/// Which call a SIP leg or media session belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Leg {
    Caller(CallKey),
    Operator(CallKey),
    /// A supervisor listening to (or whispering into) the call.
    Supervisor(CallKey),
}

struct SupervisorLeg {
    call: CallKey,
    media: Option<MediaSession>,
    local: LocalMedia,
    versions: SdpVersions,
}

struct OperatorLeg {
    staff_id: OperatorId,
    handle: CallHandle,
    media: Option<MediaSession>,
    local: LocalMedia,
    versions: SdpVersions,
    connected: bool,
}

struct Call {
    handle: CallHandle,
    call_id: String,
    number_dialled: String,
    caller_raw: String,
    normalized: Option<String>,
    household_id: Option<i64>,
    arrived: DateTime<Utc>,
    arrived_at: Instant,
    flow: CallFlow,
    media: Option<MediaSession>,
    local: LocalMedia,
    versions: SdpVersions,
    operator: Option<OperatorLeg>,
    answered_by: Option<OperatorId>,
    recording: Option<(PathBuf, DateTime<Utc>)>,
    /// Tag of the play list whose end the flow waits for (stale ends are ignored).
    playing: Option<u64>,
    plays: u64,
}

struct Operator {
    username: String,
    display_name: String,
    extension: Option<String>,
}

struct Driver {
    config: HotlineConfig,
    flow_config: Arc<FlowConfig>,
    ua: UaHandle,
    ua_events: mpsc::Receiver<UaEvent>,
    media: MediaHandle,
    store: Store,
    desk: DeskHandle,
    desk_commands: mpsc::Receiver<DeskCommand>,
    media_tx: mpsc::Sender<(u64, MediaEvent)>,
    /// Operator legs' own SIP events, merged by their forwarders.
    leg_tx: mpsc::Sender<(CallHandle, CallEvent)>,
    leg_rx: mpsc::Receiver<(CallHandle, CallEvent)>,
    acd: Acd,
    calls: HashMap<CallKey, Call>,
    legs: HashMap<CallHandle, Leg>,
    sessions: HashMap<u64, Leg>,
    operators: HashMap<OperatorId, Operator>,
    by_user: HashMap<String, OperatorId>,
    next_key: CallKey,
    supervisors: HashMap<CallHandle, SupervisorLeg>,
    announcements: HashMap<String, Arc<FlowConfig>>,
    log: CallLog,
}

impl Driver {
    fn new(
        config: HotlineConfig,
        h: Handles,
        media_tx: mpsc::Sender<(u64, MediaEvent)>,
        log: CallLog,
    ) -> Self {
        let announcements = config
            .announcements
            .iter()
            .map(|(number, prompt)| {
                let flow = FlowConfig {
                    greeting: prompt.clone(),
                    menu: None,
                    end_after_greeting: true,
                    ..config.flow.clone()
                };
                (number.clone(), Arc::new(flow))
            })
            .collect();
        let (leg_tx, leg_rx) = mpsc::channel(4096);
        Driver {
            leg_tx,
            leg_rx,
            flow_config: Arc::new(config.flow.clone()),
            acd: Acd::new(config.acd),
            config,
            ua: h.ua,
            ua_events: h.ua_events,
            media: h.media,
            store: h.store,
            desk: h.desk,
            desk_commands: h.desk_commands,
            media_tx,
            calls: HashMap::new(),
            legs: HashMap::new(),
            sessions: HashMap::new(),
            operators: HashMap::new(),
            by_user: HashMap::new(),
            next_key: 1,
            supervisors: HashMap::new(),
            announcements,
            log,
        }
    }

    fn load_operators(&mut self) {
        let staff = match self.store.staff_list() {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(error = %e, "cannot read staff list; no operator will get calls");
                return;
            }
        };
        for s in staff {
            if !matches!(s.role, Role::Operator | Role::Supervisor) {
                continue;
            }
            self.by_user.insert(s.username.clone(), s.id);
            if let Some(ext) = &s.extension {
                self.by_user.insert(ext.clone(), s.id);
            }
            self.operators.insert(
                s.id,
                Operator {
                    username: s.username,
                    display_name: s.display_name,
                    extension: s.extension,
                },
            );
        }
        tracing::info!(operators = self.operators.len(), "hotline operators loaded");
    }

    async fn run(
        &mut self,
        mut media_rx: mpsc::Receiver<(u64, MediaEvent)>,
        stop: CancellationToken,
    ) {
        let mut resync = tokio::time::interval(self.config.resync_every);
        resync.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let deadline = self.next_deadline();
            let sleep = async {
                match deadline {
                    Some(d) => tokio::time::sleep_until(d.into()).await,
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                _ = stop.cancelled() => break,
                ev = self.ua_events.recv() => match ev {
                    Some(ev) => self.on_ua(ev).await,
                    None => break,
                },
                Some((call, ev)) = self.leg_rx.recv() => self.on_leg(call, ev).await,
                Some((session, ev)) = media_rx.recv() => self.on_media(session, ev).await,
                Some(cmd) = self.desk_commands.recv() => self.on_desk(cmd),
                _ = sleep => {}
                _ = resync.tick() => self.resync().await,
            }
            self.on_time().await;
        }
        let keys: Vec<CallKey> = self.calls.keys().copied().collect();
        for key in keys {
            if let Some(call) = self.calls.get(&key) {
                let _ = self.ua.hangup(call.handle).await;
            }
            self.teardown(key, "shutdown").await;
        }
    }

    fn next_deadline(&self) -> Option<Instant> {
        self.calls
            .values()
            .filter_map(|c| c.flow.poll_timeout())
            .chain(self.acd.poll_timeout())
            .min()
    }

    async fn on_time(&mut self) {
        let now = Instant::now();
        if self.acd.poll_timeout().is_some_and(|d| d <= now) {
            self.acd.handle_timeout(now);
        }
        let due: Vec<CallKey> = self
            .calls
            .iter()
            .filter(|(_, c)| c.flow.poll_timeout().is_some_and(|d| d <= now))
            .map(|(k, _)| *k)
            .collect();
        for key in due {
            let cmds = match self.calls.get_mut(&key) {
                Some(c) => c.flow.handle_timeout(now),
                None => continue,
            };
            self.execute(key, cmds).await;
        }
        self.drain_acd().await;
    }

    // ----- SIP -----

    async fn on_ua(&mut self, ev: UaEvent) {
        match ev {
            UaEvent::IncomingCall(ic) => self.on_incoming(*ic).await,
            UaEvent::Acked { call, sdp } => {
                let Some(Leg::Caller(key)) = self.legs.get(&call).copied() else {
                    return;
                };
                if let Some(sdp) = sdp {
                    self.apply_late_answer(key, &sdp);
                }
                let open = self.config.hours.is_open(Utc::now());
                self.feed(key, Input::Answered { open }).await;
            }
            UaEvent::Dtmf { call, digit } => {
                if let Some(Leg::Caller(key)) = self.legs.get(&call).copied() {
                    self.feed(key, Input::Digit(digit)).await;
                }
            }
            UaEvent::Terminated { call, reason } => match self.legs.remove(&call) {
                Some(Leg::Caller(key)) => {
                    tracing::info!(call = key, ?reason, "caller leg ended");
                    self.teardown(key, "caller hung up").await;
                }
                Some(Leg::Supervisor(key)) => {
                    tracing::info!(call = key, ?reason, "supervisor left the call");
                    if let Some(sup) = self.supervisors.remove(&call) {
                        self.close_media(sup.media);
                    }
                }
                Some(Leg::Operator(key)) => {
                    tracing::info!(call = key, ?reason, "operator leg ended");
                    if let Some(leg) = self.take_operator_leg(key) {
                        self.drop_supervisors(key).await;
                        self.acd.call_ended(Instant::now(), key);
                        if let Some(c) = self.calls.get(&key) {
                            if let Some(m) = &c.media {
                                let _ = m.unbridge();
                            }
                        }
                        self.close_media(leg.media);
                        if leg.connected {
                            self.feed(key, Input::OperatorLeft).await;
                        } else {
                            self.acd.offer_failed(Instant::now(), key, leg.staff_id);
                        }
                    }
                }
                None => {}
            },
            UaEvent::Reinvite { call, sdp } => {
                // Hold / unhold from a phone: accept and keep our media as it is. The
                // answer mirrors our description, with the o= version RFC 3264 asks for.
                let mut held = None;
                let answer = self.leg_sdp(call).and_then(|(local, versions, media)| {
                    let desc = match &sdp {
                        Some(offer) => {
                            let n = SessionDescription::parse_bytes(offer)
                                .ok()
                                .and_then(|o| lianxin_sdp::answer(&o, local).ok())?;
                            held = Some(n.remote.held);
                            // A held phone gets no audio until it resumes.
                            if let Some(m) = media {
                                let _ = m.set_sending(!n.remote.held);
                            }
                            n.answer
                        }
                        None => lianxin_sdp::offer(local),
                    };
                    Some(versions.stamp(desc).to_string().into_bytes())
                });
                tracing::debug!(?held, "re-INVITE answered");
                let code = if answer.is_some() { 200 } else { 488 };
                let _ = self.ua.answer_reinvite(call, code, answer).await;
            }
            UaEvent::RegistrationChanged { user, contacts } => {
                if let Some(id) = self.by_user.get(&user).copied() {
                    tracing::info!(%user, contacts = contacts.len(), "operator phone registration changed");
                    self.acd
                        .set_registered(Instant::now(), id, !contacts.is_empty());
                }
            }
            UaEvent::TrunkRegistration(state) => match state {
                lianxin_ua::TrunkState::Registered(_) => {
                    tracing::info!("registered with the carrier trunk")
                }
                lianxin_ua::TrunkState::Failed(code) => tracing::error!(
                    code,
                    "registration with the carrier trunk failed; retrying (check [trunk] username/password in the config)"
                ),
            },
            other => tracing::debug!(event = ?other, "SIP event not used by the hotline"),
        }
        self.drain_acd().await;
    }

    /// An operator leg's own event (it placed the call with `invite`); in-dialog events
    /// are handled like those of incoming calls.
    async fn on_leg(&mut self, call: CallHandle, ev: CallEvent) {
        let ev = match ev {
            CallEvent::Answered { sdp } => {
                self.on_operator_answered(call, sdp).await;
                return self.drain_acd().await;
            }
            CallEvent::Failed { code, reason } => {
                if let Some(Leg::Operator(key)) = self.legs.remove(&call) {
                    tracing::info!(call = key, code, %reason, "operator phone did not take the call");
                    if let Some(leg) = self.take_operator_leg(key) {
                        self.acd.offer_failed(Instant::now(), key, leg.staff_id);
                        self.close_media(leg.media);
                    }
                }
                return self.drain_acd().await;
            }
            CallEvent::Progress { .. } => return,
            CallEvent::Reinvite { sdp } => UaEvent::Reinvite { call, sdp },
            CallEvent::ReinviteResult { code, sdp } => UaEvent::ReinviteResult { call, code, sdp },
            CallEvent::Dtmf { digit } => UaEvent::Dtmf { call, digit },
            CallEvent::Terminated { reason } => UaEvent::Terminated { call, reason },
        };
        self.on_ua(ev).await;
    }

    async fn on_incoming(&mut self, ic: lianxin_ua::IncomingCall) {
        let t0 = ic.received;
        if let Some((operator, whisper)) =
            ic.number.as_deref().and_then(|n| self.supervision_code(n))
        {
            self.on_supervise(ic, operator, whisper).await;
            return;
        }
        let arrived = Utc::now();
        let key = self.next_key;
        self.next_key += 1;
        let party = match (&ic.pai, self.config.trust_pai) {
            (Some(pai), true) => pai,
            _ => &ic.from,
        };
        // The caller ID as the network gave it: the user part ("65123456", "+8613912345678",
        // "anonymous"), or the whole URI when it has none (e.g. some tel: forms).
        let caller_raw = party
            .user
            .clone()
            .filter(|u| !u.is_empty())
            .unwrap_or_else(|| party.uri.clone());
        let caller = self.store.normalize(&caller_raw);
        let normalized = caller.number().map(|n| n.to_string());
        let call_id = format!("{}-{}", arrived.format("%Y%m%d%H%M%S"), key);
        let number_dialled = ic
            .number
            .clone()
            .or_else(|| ic.to.user.clone())
            .unwrap_or_default();
        let announcement = self.announcements.get(&number_dialled).cloned();
        // 1. The screen-pop, before anything else.
        // (Information lines are not calls for the operators: no pop.)
        let lookup = match &announcement {
            Some(_) => Err(None),
            None => self.store.screen_pop(&caller, arrived).map_err(Some),
        };
        let (pop, household_id) = match lookup {
            Ok(p) => {
                let hh = (p.matches.len() == 1).then(|| p.matches[0].household_id);
                (lianxin_desk::Pop::lossy(&p), hh)
            }
            Err(Some(e)) => {
                tracing::error!(error = %e, "screen-pop lookup failed; popping as unknown");
                (lianxin_desk::Pop::unknown(), None)
            }
            Err(None) => (lianxin_desk::Pop::unknown(), None),
        };
        if announcement.is_none() {
            self.desk.publish_at(
                DeskEvent::CallRinging {
                    call_id: call_id.clone(),
                    number_dialled: number_dialled.clone(),
                    caller_raw: party.user.clone().unwrap_or_default(),
                    pop,
                    arrived_at: arrived,
                },
                t0,
            );
        }
        tracing::info!(call = key, sip_call_id = %ic.call_id, household = ?household_id, "hotline call arrived");

        // 2. Media and the answer.
        let offer = match ic.sdp.as_deref().map(SessionDescription::parse_bytes) {
            Some(Ok(o)) => Some(o),
            Some(Err(e)) => {
                tracing::info!(call = key, error = %e, "unreadable SDP offer; 488");
                self.reject(
                    key,
                    &ic,
                    488,
                    &call_id,
                    arrived,
                    &caller_raw,
                    normalized,
                    household_id,
                )
                .await;
                return;
            }
            None => None,
        };
        let mut local = LocalMedia::new(self.config.media_ip, 0, key.wrapping_mul(7919) + 1);
        let (params, answer_sdp) = match &offer {
            Some(o) => match lianxin_sdp::answer(o, &local) {
                Ok(n) => (
                    SessionParams {
                        codec: n.remote.codec,
                        telephone_event_pt: n.remote.telephone_event,
                        remote: n.remote.address,
                    },
                    Some(n.answer),
                ),
                Err(e) => {
                    tracing::info!(call = key, error = %e, "no common codec");
                    let code = e.status_code();
                    self.reject(
                        key,
                        &ic,
                        code,
                        &call_id,
                        arrived,
                        &caller_raw,
                        normalized,
                        household_id,
                    )
                    .await;
                    return;
                }
            },
            None => (
                SessionParams {
                    codec: lianxin_media::Codec::Pcmu,
                    telephone_event_pt: Some(101),
                    remote: None,
                },
                None,
            ),
        };
        let (session, events) = match self.media.open(params) {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(call = key, error = %e, "no media session; 503");
                self.reject(
                    key,
                    &ic,
                    503,
                    &call_id,
                    arrived,
                    &caller_raw,
                    normalized,
                    household_id,
                )
                .await;
                return;
            }
        };
        local.port = session.local_port();
        // The answer was worked out before the RTP port was known: redo it with the port.
        let sdp = match (&offer, answer_sdp) {
            (Some(o), Some(first)) => lianxin_sdp::answer(o, &local)
                .map(|n| n.answer)
                .unwrap_or(first),
            _ => lianxin_sdp::offer(&local),
        };
        self.forward_media(session.id(), Leg::Caller(key), events);
        self.log.write(Entry::Arrived(
            key,
            NewCall {
                sip_call_id: ic.call_id.clone(),
                direction: Direction::In,
                caller_raw: caller_raw.clone(),
                caller_normalized: normalized.clone(),
                household_id,
                arrived,
            },
        ));
        self.legs.insert(ic.call, Leg::Caller(key));
        self.calls.insert(
            key,
            Call {
                handle: ic.call,
                call_id,
                number_dialled,
                caller_raw,
                normalized,
                household_id,
                arrived,
                arrived_at: t0,
                flow: CallFlow::new(announcement.unwrap_or_else(|| self.flow_config.clone())),
                media: Some(session),
                local,
                versions: SdpVersions::with_sent(sdp.clone()),
                operator: None,
                answered_by: None,
                recording: None,
                playing: None,
                plays: 0,
            },
        );
        // The UA answers in its own time; the loop goes on with the next caller. (A caller
        // gone meanwhile comes back as a Terminated event and is torn down there.)
        let ua = self.ua.clone();
        let handle = ic.call;
        let answer = sdp.to_string().into_bytes();
        tokio::spawn(async move {
            if let Err(e) = ua.ringing(handle).await {
                tracing::info!(call = key, error = %e, "could not send 180");
            }
            if let Err(e) = ua.answer(handle, answer).await {
                tracing::info!(call = key, error = %e, "could not answer (caller gone?)");
            }
        });
    }

    #[allow(clippy::too_many_arguments)]
    async fn reject(
        &mut self,
        key: CallKey,
        ic: &lianxin_ua::IncomingCall,
        code: u16,
        call_id: &str,
        arrived: DateTime<Utc>,
        caller_raw: &str,
        normalized: Option<String>,
        household_id: Option<i64>,
    ) {
        self.refuse(ic.call, code);
        self.log.write(Entry::Arrived(
            key,
            NewCall {
                sip_call_id: ic.call_id.clone(),
                direction: Direction::In,
                caller_raw: caller_raw.to_string(),
                caller_normalized: normalized,
                household_id,
                arrived,
            },
        ));
        self.log.write(Entry::Update(
            key,
            CallUpdate {
                ended: Some(Utc::now()),
                outcome: Some(CallOutcome::Rejected),
                ..CallUpdate::default()
            },
        ));
        self.log.write(Entry::Done(key));
        self.desk.publish(DeskEvent::CallEnded {
            call_id: call_id.to_string(),
            outcome: DeskOutcome::Rejected,
            duration_s: 0,
        });
        tracing::info!(call = key, code, "hotline call rejected");
    }

    fn apply_late_answer(&mut self, key: CallKey, sdp: &[u8]) {
        let Some(call) = self.calls.get(&key) else {
            return;
        };
        match SessionDescription::parse_bytes(sdp)
            .map_err(|e| e.to_string())
            .and_then(|a| lianxin_sdp::accept_answer(&call.local, &a).map_err(|e| e.to_string()))
        {
            Ok(remote) => {
                if let (Some(m), Some(addr)) = (&call.media, remote.address) {
                    let _ = m.set_remote(addr);
                }
            }
            Err(e) => tracing::info!(call = key, error = %e, "unusable SDP answer in ACK"),
        }
    }

    async fn on_operator_answered(&mut self, handle: CallHandle, sdp: Option<Vec<u8>>) {
        let Some(Leg::Operator(key)) = self.legs.get(&handle).copied() else {
            return;
        };
        let now = Instant::now();
        let Some(call) = self.calls.get_mut(&key) else {
            self.hang_up(handle);
            return;
        };
        let Some(leg) = call.operator.as_mut() else {
            self.hang_up(handle);
            return;
        };
        let remote = sdp
            .as_deref()
            .and_then(|s| SessionDescription::parse_bytes(s).ok())
            .and_then(|a| lianxin_sdp::accept_answer(&leg.local, &a).ok());
        if let (Some(m), Some(addr)) = (&leg.media, remote.as_ref().and_then(|r| r.address)) {
            let _ = m.set_remote(addr);
        }
        let staff_id = leg.staff_id;
        if !self.acd.answered(now, key, staff_id) {
            tracing::info!(
                call = key,
                "operator answered a call no longer offered; hanging up"
            );
            self.hang_up(handle);
            return;
        }
        leg.connected = true;
        if let (Some(a), Some(b)) = (&call.media, &leg.media) {
            if let Err(e) = a.bridge(b) {
                tracing::error!(call = key, error = %e, "could not bridge caller and operator");
            }
        }
        call.answered_by = Some(staff_id);
        let answered = Utc::now();
        let recording = self
            .config
            .record_calls
            .as_deref()
            .and_then(|dir| record_conversation(dir, key, call));
        self.log.write(Entry::Update(
            key,
            CallUpdate {
                answered: Some(answered),
                operator_staff_id: Some(staff_id),
                recording_path: recording.map(|p| p.display().to_string()),
                ..CallUpdate::default()
            },
        ));
        let call_id = call.call_id.clone();
        if let Some(op) = self.operator_ref(staff_id) {
            self.desk.publish(DeskEvent::CallAnswered {
                call_id,
                operator: op,
            });
        }
        tracing::info!(call = key, operator = staff_id, "operator answered");
        self.feed(key, Input::OperatorConnected).await;
    }

    /// Feeds an operator leg's own events into this loop (dropping them hangs it up).
    fn forward_leg(&self, out: OutboundCall) {
        let OutboundCall { call, mut events } = out;
        let tx = self.leg_tx.clone();
        tokio::spawn(async move {
            while let Some(ev) = events.recv().await {
                if tx.send((call, ev)).await.is_err() {
                    break;
                }
            }
        });
    }

    // ----- media -----

    fn forward_media(&mut self, session: u64, leg: Leg, mut events: mpsc::Receiver<MediaEvent>) {
        self.sessions.insert(session, leg);
        let tx = self.media_tx.clone();
        tokio::spawn(async move {
            while let Some(ev) = events.recv().await {
                if tx.send((session, ev)).await.is_err() {
                    break;
                }
            }
        });
    }

    async fn on_media(&mut self, session: u64, ev: MediaEvent) {
        let Some(leg) = self.sessions.get(&session).copied() else {
            return;
        };
        tracing::debug!(session, ?leg, event = ?ev, "media event");
        match (leg, ev) {
            (Leg::Caller(key), MediaEvent::Dtmf(d)) => self.feed(key, Input::Digit(d)).await,
            (Leg::Caller(key), MediaEvent::PlaybackDone(tag)) => {
                let current = self
                    .calls
                    .get_mut(&key)
                    .filter(|c| c.playing == Some(tag))
                    .map(|c| c.playing = None)
                    .is_some();
                if current {
                    self.feed(key, Input::PlaybackFinished).await;
                }
            }
            (Leg::Caller(key), MediaEvent::RecordingStopped { path, duration }) => {
                if let Some(call) = self.calls.get_mut(&key) {
                    if let Some((_, started)) = call.recording.take() {
                        let base = voicemail_entry(call);
                        let id = call.call_id.clone();
                        self.log
                            .write(voicemail(key, base, id, path, started, duration));
                    }
                }
                self.feed(key, Input::RecordingStopped).await;
            }
            (Leg::Caller(key), MediaEvent::NoMedia) => {
                tracing::warn!(
                    call = key,
                    "no audio from the caller (one-way audio or caller gone)"
                );
            }
            (Leg::Operator(key), MediaEvent::NoMedia) => {
                tracing::warn!(
                    call = key,
                    "no audio from the operator's phone (one-way audio)"
                );
            }
            _ => {}
        }
    }

    // ----- consoles -----

    fn on_desk(&mut self, cmd: DeskCommand) {
        let now = Instant::now();
        let (staff, state) = match cmd {
            DeskCommand::SetState { staff, state, .. } => (staff, Some(state)),
            DeskCommand::ConsoleConnected { staff, state, .. } => (staff, Some(state)),
            DeskCommand::ConsoleDisconnected {
                staff, consoles, ..
            } => (
                staff,
                (consoles == 0).then_some(lianxin_desk::OperatorState::Away),
            ),
        };
        if !self.operators.contains_key(&staff.id) {
            return;
        }
        if let Some(state) = state {
            let presence: Presence = state;
            tracing::info!(operator = staff.id, ?presence, "operator presence");
            self.acd.set_presence(now, staff.id, presence);
        }
    }

    // ----- the machines' commands -----

    async fn feed(&mut self, key: CallKey, input: Input) {
        let now = Instant::now();
        tracing::debug!(call = key, ?input, "flow input");
        let cmds = match self.calls.get_mut(&key) {
            Some(c) => c.flow.handle(now, input),
            None => return,
        };
        self.execute(key, cmds).await;
    }

    async fn execute(&mut self, key: CallKey, cmds: Vec<Command>) {
        let mut pending: std::collections::VecDeque<Command> = cmds.into();
        while let Some(cmd) = pending.pop_front() {
            let now = Instant::now();
            match cmd {
                Command::Play { prompts, loop_last } => {
                    let items = self.play_items(&prompts, loop_last);
                    let played = match self.calls.get_mut(&key) {
                        Some(c) if !items.is_empty() => play(c, items),
                        _ => false,
                    };
                    if !played {
                        // Nothing to play (missing prompts were logged): move on as if
                        // it had finished, so the caller is never stuck in silence.
                        if let Some(c) = self.calls.get_mut(&key) {
                            pending.extend(c.flow.handle(now, Input::PlaybackFinished));
                        }
                    }
                }
                Command::StopPlayback => {
                    if let Some(c) = self.calls.get_mut(&key) {
                        c.playing = None;
                        if let Some(m) = &c.media {
                            let _ = m.stop_playback();
                        }
                    }
                }
                Command::JoinQueue => {
                    self.acd.enqueue(now, key);
                    if let (Some(c), Some(p)) = (self.calls.get(&key), self.acd.position(key)) {
                        self.desk.publish(DeskEvent::CallQueued {
                            call_id: c.call_id.clone(),
                            position: p as u32,
                        });
                    }
                }
                Command::LeaveQueue => self.acd.remove(now, key),
                Command::AnnouncePosition => {
                    let Some(pos) = self.acd.position(key) else {
                        continue;
                    };
                    let name = if pos <= 5 {
                        format!("queue_ahead_{pos}")
                    } else {
                        "queue_ahead_many".to_string()
                    };
                    let hold = self.flow_config.hold.clone();
                    let mut items = self.play_items(&[name], false);
                    items.extend(self.play_items(&[hold], true));
                    if let Some(c) = self.calls.get_mut(&key) {
                        play(c, items);
                    }
                }
                Command::Record { max } => {
                    let Some(call) = self.calls.get_mut(&key) else {
                        continue;
                    };
                    let dir = self
                        .config
                        .voicemail_dir
                        .join(call.arrived.format("%Y-%m-%d").to_string());
                    if let Err(e) = std::fs::create_dir_all(&dir) {
                        tracing::error!(dir = %dir.display(), error = %e, "cannot create voice message folder");
                        continue;
                    }
                    let path = dir.join(format!("{}.wav", call.call_id));
                    if let Some(m) = &call.media {
                        match m.record(&path, max, Channels::Mono) {
                            Ok(()) => call.recording = Some((path, Utc::now())),
                            Err(e) => {
                                tracing::error!(call = key, error = %e, "cannot record voice message")
                            }
                        }
                    }
                }
                Command::StopRecording => {
                    if let Some(m) = self.calls.get(&key).and_then(|c| c.media.as_ref()) {
                        let _ = m.stop_recording();
                    }
                }
                Command::Hangup => {
                    if let Some(c) = self.calls.get(&key) {
                        self.hang_up(c.handle);
                    }
                    self.teardown(key, "flow finished").await;
                }
            }
        }
        self.drain_acd().await;
    }

    fn play_items(&self, names: &[String], loop_last: bool) -> Vec<PlayItem> {
        let mut items = Vec::with_capacity(names.len());
        for (i, name) in names.iter().enumerate() {
            match self.media.prompt(name) {
                Ok(p) if loop_last && i + 1 == names.len() => items.push(PlayItem::Loop(p)),
                Ok(p) => items.push(PlayItem::Prompt(p)),
                Err(e) => tracing::error!(prompt = %name, error = %e, "prompt missing; skipped"),
            }
        }
        items
    }

    async fn drain_acd(&mut self) {
        while let Some(action) = self.acd.poll_action() {
            match action {
                Action::Offer { call, operator } => self.offer(call, operator).await,
                Action::Withdraw { call, operator } => {
                    if let Some(leg) = self.take_operator_leg(call) {
                        tracing::info!(call, operator, "offer withdrawn");
                        self.legs.remove(&leg.handle);
                        self.hang_up(leg.handle);
                        self.close_media(leg.media);
                    }
                }
                Action::ToVoicemail { call } => {
                    let now = Instant::now();
                    let cmds = match self.calls.get_mut(&call) {
                        Some(c) => c.flow.handle(now, Input::QueueTimeout),
                        None => continue,
                    };
                    Box::pin(self.execute(call, cmds)).await;
                }
                Action::StateChanged { operator, state } => {
                    tracing::debug!(operator, ?state, "operator state");
                }
            }
        }
    }

    async fn offer(&mut self, key: CallKey, staff_id: OperatorId) {
        let now = Instant::now();
        let Some(op) = self.operators.get(&staff_id) else {
            self.acd.offer_failed(now, key, staff_id);
            return;
        };
        let user = op.extension.clone().unwrap_or_else(|| op.username.clone());
        let contacts = self.ua.contacts(&user).await.unwrap_or_default();
        let contacts = if contacts.is_empty() && op.extension.is_some() {
            self.ua.contacts(&op.username).await.unwrap_or_default()
        } else {
            contacts
        };
        let Some(contact) = contacts.into_iter().next() else {
            tracing::info!(
                call = key,
                operator = staff_id,
                "operator has no registered phone"
            );
            self.acd.set_registered(now, staff_id, false);
            self.acd.offer_failed(now, key, staff_id);
            return;
        };
        let Some(call) = self.calls.get(&key) else {
            self.acd.offer_failed(now, key, staff_id);
            return;
        };
        let (session, events) = match self.media.open(SessionParams {
            codec: lianxin_media::Codec::Pcmu,
            telephone_event_pt: Some(101),
            remote: None,
        }) {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(call = key, error = %e, "no media session for the operator leg");
                self.acd.offer_failed(now, key, staff_id);
                return;
            }
        };
        let local = LocalMedia::new(
            self.config.media_ip,
            session.local_port(),
            key.wrapping_mul(104729) + 3,
        );
        let offer_sdp = lianxin_sdp::offer(&local);
        let offer = offer_sdp.to_string().into_bytes();
        let display = call
            .normalized
            .clone()
            .unwrap_or_else(|| "未知来电".to_string());
        let outgoing = OutgoingCall {
            target: contact.uri.clone(),
            from: format!("sip:hotline@{}", self.config.sip_host),
            from_display: Some(display),
            destination: phone_addr(&contact),
            transport: contact.transport,
            sdp: Some(offer),
            credentials: None,
            headers: Vec::new(),
        };
        let call_id = call.call_id.clone();
        match self.ua.invite(outgoing).await {
            Ok(out) => {
                let handle = out.call;
                self.forward_leg(out);
                self.forward_media(session.id(), Leg::Operator(key), events);
                self.legs.insert(handle, Leg::Operator(key));
                if let Some(c) = self.calls.get_mut(&key) {
                    c.operator = Some(OperatorLeg {
                        staff_id,
                        handle,
                        media: Some(session),
                        local,
                        versions: SdpVersions::with_sent(offer_sdp),
                        connected: false,
                    });
                }
                if let Some(op) = self.operator_ref(staff_id) {
                    self.desk.publish(DeskEvent::CallOffered {
                        call_id,
                        operator: op,
                    });
                }
                tracing::info!(
                    call = key,
                    operator = staff_id,
                    "call offered to operator phone"
                );
            }
            Err(e) => {
                tracing::error!(call = key, error = %e, "could not call the operator's phone");
                tokio::spawn(async move {
                    let _ = session.close().await;
                });
                self.acd.offer_failed(now, key, staff_id);
            }
        }
    }

    fn operator_ref(&self, staff_id: OperatorId) -> Option<OperatorRef> {
        self.operators.get(&staff_id).map(|o| OperatorRef {
            staff_id,
            display_name: o.display_name.clone(),
            extension: o.extension.clone(),
        })
    }

    fn take_operator_leg(&mut self, key: CallKey) -> Option<OperatorLeg> {
        let leg = self.calls.get_mut(&key)?.operator.take()?;
        self.legs.remove(&leg.handle);
        Some(leg)
    }

    /// Hangs a leg up without waiting for the UA's answer.
    fn hang_up(&self, handle: CallHandle) {
        let ua = self.ua.clone();
        tokio::spawn(async move {
            let _ = ua.hangup(handle).await;
        });
    }

    /// Refuses an incoming call without waiting for the UA's answer.
    fn refuse(&self, handle: CallHandle, code: u16) {
        let ua = self.ua.clone();
        tokio::spawn(async move {
            let _ = ua.reject(handle, code).await;
        });
    }

    /// Closes a media session without waiting for it (the pacer answers at its next tick).
    fn close_media(&mut self, media: Option<MediaSession>) {
        if let Some(m) = media {
            self.sessions.remove(&m.id());
            tokio::spawn(async move {
                let _ = m.close().await;
            });
        }
    }

    /// Ends everything of a call exactly once: the flow, the queue entry, the operator
    /// leg, media, the call log and the consoles' card.
    async fn teardown(&mut self, key: CallKey, why: &str) {
        let Some(mut call) = self.calls.remove(&key) else {
            return;
        };
        let now = Instant::now();
        // The flow's own hang-up commands (leave the queue, stop recording) are covered
        // below: the queue entry is removed and closing the media finalizes a recording.
        let _ = call.flow.handle(now, Input::Hangup);
        self.acd.remove(now, key);
        self.legs.remove(&call.handle);
        self.drop_supervisors(key).await;
        if let Some(leg) = call.operator.take() {
            self.legs.remove(&leg.handle);
            self.hang_up(leg.handle);
            self.close_media(leg.media);
            self.acd.call_ended(now, key);
        }
        let outcome = match call.flow.outcome() {
            Outcome::Answered => CallOutcome::Answered,
            Outcome::VoiceMessage => CallOutcome::VoiceMessage,
            Outcome::Abandoned => CallOutcome::Abandoned,
            // The store's outcomes are about people; a fully heard recording counts as
            // answered (with no operator).
            Outcome::Informed => CallOutcome::Answered,
        };
        // Closing media waits for the pacer's next tick and the call log waits for the
        // disk: neither may hold up the next caller, so both finish in a task of their own.
        let media = call.media.take();
        if let Some(m) = &media {
            self.sessions.remove(&m.id());
        }
        let log = self.log.clone();
        let recording = call.recording.take();
        let call_id = call.call_id.clone();
        let vm_base = voicemail_entry(&call);
        tokio::spawn(async move {
            let stats = match media {
                Some(m) => Some(m.close().await),
                None => None,
            };
            // A message still being recorded when the caller hung up: the close above
            // finalized the file; store it now.
            if let Some((path, started)) = recording {
                let duration = hound::WavReader::open(&path)
                    .map(|r| Duration::from_millis(u64::from(r.duration()) * 1000 / 8000))
                    .unwrap_or_default();
                log.write(voicemail(key, vm_base, call_id, path, started, duration));
            }
            log.write(Entry::Update(
                key,
                CallUpdate {
                    ended: Some(Utc::now()),
                    outcome: Some(outcome),
                    rtp_sent: stats.as_ref().map(|s| s.packets_sent),
                    rtp_received: stats.as_ref().map(|s| s.packets_received),
                    rtp_lost: stats.as_ref().map(|s| s.packets_lost),
                    jitter_ms: stats.as_ref().map(|s| s.jitter_ms),
                    ..CallUpdate::default()
                },
            ));
            log.write(Entry::Done(key));
        });
        let duration_s = now.saturating_duration_since(call.arrived_at).as_secs() as u32;
        self.desk.publish(DeskEvent::CallEnded {
            call_id: call.call_id.clone(),
            outcome: match outcome {
                CallOutcome::Answered => DeskOutcome::Answered,
                CallOutcome::VoiceMessage => DeskOutcome::VoiceMessage,
                CallOutcome::Abandoned => DeskOutcome::Abandoned,
                CallOutcome::Rejected => DeskOutcome::Rejected,
                CallOutcome::Failed => DeskOutcome::Failed,
            },
            duration_s,
        });
        tracing::info!(call = key, %why, ?outcome, secs = duration_s, dialled = %call.number_dialled, "hotline call ended");
    }

    /// A leg's SDP state (what we offer, the o= versions sent) and its media session.
    fn leg_sdp(
        &mut self,
        call: CallHandle,
    ) -> Option<(&LocalMedia, &mut SdpVersions, Option<&MediaSession>)> {
        match self.legs.get(&call).copied()? {
            Leg::Caller(k) => self
                .calls
                .get_mut(&k)
                .map(|c| (&c.local, &mut c.versions, c.media.as_ref())),
            Leg::Operator(k) => self
                .calls
                .get_mut(&k)
                .and_then(|c| c.operator.as_mut())
                .map(|o| (&o.local, &mut o.versions, o.media.as_ref())),
            Leg::Supervisor(_) => self
                .supervisors
                .get_mut(&call)
                .map(|s| (&s.local, &mut s.versions, s.media.as_ref())),
        }
    }

    /// `55<ext>` listens to operator `<ext>`'s call, `56<ext>` whispers to the operator.
    fn supervision_code(&self, number: &str) -> Option<(OperatorId, bool)> {
        let (rest, whisper) = if let Some(r) = number.strip_prefix(LISTEN_PREFIX) {
            (r, false)
        } else {
            (number.strip_prefix(WHISPER_PREFIX)?, true)
        };
        let id = *self.by_user.get(rest)?;
        Some((id, whisper))
    }

    /// A supervisor's phone dialled a supervision code: check it is a supervisor's
    /// registered phone, find the operator's live conversation and join it silently.
    async fn on_supervise(
        &mut self,
        ic: lianxin_ua::IncomingCall,
        operator: OperatorId,
        whisper: bool,
    ) {
        let user = ic.from.user.clone().unwrap_or_default();
        let supervisor = self.store.staff_list().ok().and_then(|l| {
            l.into_iter().find(|s| {
                s.role == Role::Supervisor
                    && (s.username == user || s.extension.as_deref() == Some(user.as_str()))
            })
        });
        let Some(supervisor) = supervisor else {
            tracing::warn!(%user, source = %ic.source, "supervision code dialled by someone who is not a supervisor; 403");
            self.refuse(ic.call, 403);
            return;
        };
        // Phones register under the login name or the extension.
        let mut contacts = self
            .ua
            .contacts(&supervisor.username)
            .await
            .unwrap_or_default();
        if let Some(ext) = &supervisor.extension {
            contacts.extend(self.ua.contacts(ext).await.unwrap_or_default());
        }
        if !contacts.iter().any(|c| c.source == ic.source) {
            tracing::warn!(%user, source = %ic.source, ?contacts, "supervision code from an address that is not the supervisor's registered phone; 403");
            self.refuse(ic.call, 403);
            return;
        }
        let target = self.calls.iter().find_map(|(k, c)| {
            c.operator
                .as_ref()
                .filter(|o| o.staff_id == operator && o.connected)
                .map(|_| *k)
        });
        let Some(key) = target else {
            tracing::info!(operator, "supervision: the operator is not on a call; 480");
            self.refuse(ic.call, 480);
            return;
        };
        let Some(offer) = ic
            .sdp
            .as_deref()
            .and_then(|b| SessionDescription::parse_bytes(b).ok())
        else {
            self.refuse(ic.call, 488);
            return;
        };
        let mut local = LocalMedia::new(self.config.media_ip, 0, key.wrapping_mul(15485863) + 5);
        let Ok(first) = lianxin_sdp::answer(&offer, &local) else {
            self.refuse(ic.call, 488);
            return;
        };
        let (session, events) = match self.media.open(SessionParams {
            codec: first.remote.codec,
            telephone_event_pt: first.remote.telephone_event,
            remote: first.remote.address,
        }) {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(error = %e, "no media session for the supervisor; 503");
                self.refuse(ic.call, 503);
                return;
            }
        };
        local.port = session.local_port();
        let answer = lianxin_sdp::answer(&offer, &local)
            .map(|n| n.answer)
            .unwrap_or(first.answer);
        if let Some(c) = self.calls.get(&key) {
            if let (Some(caller), Some(op)) =
                (&c.media, c.operator.as_ref().and_then(|o| o.media.as_ref()))
            {
                if let Err(e) = session.monitor(caller, op, whisper) {
                    tracing::error!(error = %e, "cannot join the supervisor to the call");
                }
            }
        }
        self.forward_media(session.id(), Leg::Supervisor(key), events);
        self.legs.insert(ic.call, Leg::Supervisor(key));
        self.supervisors.insert(
            ic.call,
            SupervisorLeg {
                call: key,
                media: Some(session),
                local: local.clone(),
                versions: SdpVersions::with_sent(answer.clone()),
            },
        );
        if let Err(e) = self
            .ua
            .answer(ic.call, answer.to_string().into_bytes())
            .await
        {
            tracing::info!(error = %e, "supervisor hung up before the answer");
        }
        tracing::info!(
            call = key,
            operator,
            supervisor = supervisor.id,
            whisper,
            "supervisor joined the call"
        );
    }

    async fn drop_supervisors(&mut self, key: CallKey) {
        let handles: Vec<CallHandle> = self
            .supervisors
            .iter()
            .filter(|(_, s)| s.call == key)
            .map(|(h, _)| *h)
            .collect();
        for h in handles {
            self.legs.remove(&h);
            self.hang_up(h);
            if let Some(sup) = self.supervisors.remove(&h) {
                self.close_media(sup.media);
            }
        }
    }

    async fn resync(&mut self) {
        let now = Instant::now();
        let live: Vec<(OperatorId, CallKey, bool)> = self
            .calls
            .iter()
            .filter_map(|(k, c)| c.operator.as_ref().map(|o| (o.staff_id, *k, o.connected)))
            .collect();
        self.acd.sync_legs(now, &live);
        let ops: Vec<(OperatorId, String, Option<String>)> = self
            .operators
            .iter()
            .map(|(id, o)| (*id, o.username.clone(), o.extension.clone()))
            .collect();
        for (id, user, ext) in ops {
            let mut registered = !self.ua.contacts(&user).await.unwrap_or_default().is_empty();
            if !registered {
                if let Some(ext) = ext.filter(|e| *e != user) {
                    registered = !self.ua.contacts(&ext).await.unwrap_or_default().is_empty();
                }
            }
            self.acd.set_registered(now, id, registered);
        }
        self.drain_acd().await;
    }
}

/// Plays a list on the caller's leg, tagged so that only its own end counts.
fn play(call: &mut Call, items: Vec<PlayItem>) -> bool {
    call.plays += 1;
    let tag = call.plays;
    let Some(m) = &call.media else {
        return false;
    };
    let ok = m.play_tagged(items, tag).is_ok();
    call.playing = ok.then_some(tag);
    ok
}

/// Dialled prefix to listen to an operator's call (`55` + extension).
pub const LISTEN_PREFIX: &str = "55";
/// Dialled prefix to whisper to an operator (`56` + extension).
pub const WHISPER_PREFIX: &str = "56";

/// Starts recording the conversation on the caller's leg (caller left, operator right).
fn record_conversation(dir: &std::path::Path, key: CallKey, call: &Call) -> Option<PathBuf> {
    let dir = dir.join(call.arrived.format("%Y-%m-%d").to_string());
    if let Err(e) = std::fs::create_dir_all(&dir) {
        tracing::error!(dir = %dir.display(), error = %e, "cannot create recordings folder");
        return None;
    }
    let path = dir.join(format!("{}.wav", call.call_id));
    let media = call.media.as_ref()?;
    match media.record(&path, CONVERSATION_MAX, Channels::CallerOperator) {
        Ok(()) => Some(path),
        Err(e) => {
            tracing::error!(call = key, error = %e, "cannot record the conversation");
            None
        }
    }
}

/// Longest conversation recording (a guard against a line left open all night).
const CONVERSATION_MAX: Duration = Duration::from_secs(4 * 3600);

/// The part of a voice message known from the call itself.
fn voicemail_entry(call: &Call) -> NewVoiceMessage {
    NewVoiceMessage {
        call_id: None,
        household_id: call.household_id,
        caller_raw: call.caller_raw.clone(),
        caller_normalized: call.normalized.clone(),
        created: call.arrived,
        duration_ms: 0,
        path: String::new(),
    }
}

/// The call-log entry for a finished voice message (the writer fills in the call's row).
fn voicemail(
    key: CallKey,
    base: NewVoiceMessage,
    call_id: String,
    path: PathBuf,
    started: DateTime<Utc>,
    duration: Duration,
) -> Entry {
    Entry::VoiceMessage {
        key,
        message: NewVoiceMessage {
            created: started,
            duration_ms: duration.as_millis() as u64,
            path: path.display().to_string(),
            ..base
        },
        call_id,
    }
}

/// Where to send an INVITE for a registered phone: its Contact address when that is the
/// address it registered from (a phone on the office LAN, or two processes on one host);
/// the REGISTER's source when they differ (a phone behind NAT advertising a private
/// address).
fn phone_addr(contact: &lianxin_ua::Contact) -> std::net::SocketAddr {
    lianxin_sip::wire::Uri::parse(&contact.uri)
        .ok()
        .and_then(|u| lianxin_sip::dialog::uri_addr(&u))
        .filter(|a| a.ip() == contact.source.ip())
        .unwrap_or(contact.source)
}

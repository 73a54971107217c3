//! [`Leg`]: one SIP dialog and its RTP session, kept in step.
//!
//! A leg is opened from an incoming INVITE ([`Leg::incoming`]: the offer is answered, or
//! for a late offer we offer in the 200) or placed ([`Leg::outgoing`]: we offer, the 183
//! or 200 brings the answer). Media is opened with the negotiated codec and, once the RTP
//! port is known, the description is built again with it. From then on the owner hands the
//! leg its call's events ([`Leg::on_reinvite`], [`Leg::apply_answer`], [`Leg::on_media`],
//! [`Leg::sip_ended`]) and gives it commands (play, record, bridge through
//! [`Leg::media`]). [`Leg::close`] consumes the leg, so both halves end exactly once: the
//! dialog is hung up unless the peer already ended it, and the media session is closed in a
//! task of its own.

use std::net::IpAddr;
use std::time::Instant;

use lianxin_media::{
    MediaEvent, MediaHandle, MediaSession, PlayItem, Recorded, Recorder, SessionParams,
};
use lianxin_sdp::{Codec, LocalMedia, SdpVersions, SessionDescription};
use lianxin_ua::{CallEvent, CallHandle, EndReason, OutgoingCall, UaHandle};
use tokio::sync::mpsc;

use crate::close::Closing;
use crate::error::LegError;

/// The handles every leg needs. Cheap to clone.
#[derive(Debug, Clone)]
pub struct LegContext {
    /// SIP call control.
    pub ua: UaHandle,
    /// RTP sessions.
    pub media: MediaHandle,
    /// Our RTP address as written into SDP.
    pub media_ip: IpAddr,
}

/// A freshly opened leg and its event receivers (the owner reads them, e.g. through
/// [`forward`](crate::forward())).
#[derive(Debug)]
pub struct Opened {
    /// The leg.
    pub leg: Leg,
    /// Events of the leg's media session; feed them to [`Leg::on_media`].
    pub media_events: mpsc::Receiver<MediaEvent>,
    /// A placed call's own SIP events (the UA sends them to whoever placed the call);
    /// feed them to [`Leg::on_call_event`]. Dropping this receiver hangs the call up, so
    /// keep it (or its forwarder) for as long as the leg lives. `None` for an incoming
    /// leg, whose events come on the UA's inbound receiver.
    pub call_events: Option<mpsc::Receiver<CallEvent>>,
}

/// What a media or SIP event of the leg means for its owner (stale ones, and what the leg
/// handles itself, are filtered out).
#[derive(Debug, Clone, PartialEq)]
pub enum LegEvent {
    /// A placed call is ringing or in progress (early media, if any, already applied).
    Progress(u16),
    /// A placed call was answered (its SDP answer is applied).
    Answered,
    /// A placed call failed (final status and reason).
    Failed {
        /// 3xx–6xx, 408 on timeout.
        code: u16,
        /// Reason phrase.
        reason: String,
        /// `Retry-After` seconds, if the response gave one.
        retry_after: Option<u32>,
    },
    /// The dialog is over; closing the leg will send nothing more.
    Ended(EndReason),
    /// A key press (RFC 4733).
    Digit(char),
    /// The play list last started with [`Leg::play`] ran to its end.
    PlaybackFinished,
    /// A recording ended (stopped, full, or the leg closed); path and length as written.
    Recorded(Recorded),
    /// Nothing received for the engine's timeout (one-way audio, or the peer is gone).
    NoMedia,
}

/// One call leg: a SIP dialog and its media session (see the module docs).
#[derive(Debug)]
pub struct Leg {
    call: CallHandle,
    ua: UaHandle,
    media: MediaSession,
    local: LocalMedia,
    versions: SdpVersions,
    since: Instant,
    /// Tag of the last play list started; its end is reported, older ends are not.
    plays: u64,
    playing: Option<u64>,
    /// The dialog is over (BYE either way, CANCEL, failure): closing sends nothing.
    sip_ended: bool,
}

impl Leg {
    /// Opens the leg of an incoming INVITE: negotiates its `offer` (or, for a late offer,
    /// prepares ours), opens media with the negotiated codec and keeps the description to
    /// answer with ([`Leg::answer`]). `session_id` is the SDP `o=` id; `since` is when the
    /// INVITE arrived (the leg's duration counts from it). An error carries the status to
    /// refuse the call with ([`LegError::status_code`]); nothing has been sent.
    pub fn incoming(
        ctx: &LegContext,
        call: CallHandle,
        offer: Option<&[u8]>,
        session_id: u64,
        since: Instant,
    ) -> Result<Opened, LegError> {
        let offer = offer.map(SessionDescription::parse_bytes).transpose()?;
        let mut local = LocalMedia::new(ctx.media_ip, 0, session_id);
        let params = match &offer {
            Some(o) => {
                let n = lianxin_sdp::answer(o, &local)?;
                SessionParams {
                    codec: n.remote.codec,
                    telephone_event_pt: n.remote.telephone_event,
                    remote: n.remote.address,
                }
            }
            None => default_params(),
        };
        let (media, media_events) = ctx.media.open(params)?;
        local.port = media.local_port();
        // The answer was worked out before the RTP port was known: redo it with the port.
        let sdp = match &offer {
            Some(o) => lianxin_sdp::answer(o, &local)?.answer,
            None => lianxin_sdp::offer(&local),
        };
        let leg = Leg::new(ctx, call, media, local, SdpVersions::with_sent(sdp), since);
        Ok(Opened {
            leg,
            media_events,
            call_events: None,
        })
    }

    /// Places a call: opens media (PCMU until the answer says otherwise, events on 101),
    /// offers PCMU and PCMA in the INVITE (any
    /// `sdp` in `call` is replaced) and returns the leg; its answer comes later as a
    /// progress (183) or answered (200) event for [`Leg::apply_answer`]. `session_id` is
    /// the SDP `o=` id; `now` starts the leg's duration. On failure the media session is
    /// closed again.
    pub async fn outgoing(
        ctx: &LegContext,
        mut call: OutgoingCall,
        session_id: u64,
        now: Instant,
    ) -> Result<Opened, LegError> {
        let (media, media_events) = ctx.media.open(default_params())?;
        let local = LocalMedia::new(ctx.media_ip, media.local_port(), session_id);
        let offer = lianxin_sdp::offer(&local);
        call.sdp = Some(offer.to_string().into_bytes());
        let placed = match ctx.ua.invite(call).await {
            Ok(p) => p,
            Err(e) => {
                close_media(media);
                return Err(e.into());
            }
        };
        let leg = Leg::new(
            ctx,
            placed.call,
            media,
            local,
            SdpVersions::with_sent(offer),
            now,
        );
        Ok(Opened {
            leg,
            media_events,
            call_events: Some(placed.events),
        })
    }

    fn new(
        ctx: &LegContext,
        call: CallHandle,
        media: MediaSession,
        local: LocalMedia,
        versions: SdpVersions,
        since: Instant,
    ) -> Leg {
        Leg {
            call,
            ua: ctx.ua.clone(),
            media,
            local,
            versions,
            since,
            plays: 0,
            playing: None,
            sip_ended: false,
        }
    }

    /// The SIP call.
    pub fn handle(&self) -> CallHandle {
        self.call
    }

    /// The media session (to bridge or monitor legs).
    pub fn media(&self) -> &MediaSession {
        &self.media
    }

    /// The engine's id of the media session (routes media events to the leg).
    pub fn session_id(&self) -> u64 {
        self.media.id()
    }

    /// The leg's start (the INVITE's arrival, or when the call was placed).
    pub fn since(&self) -> Instant {
        self.since
    }

    /// Answers the incoming call with our description, after a 180 when `ring`; in a task
    /// of its own (a caller gone meanwhile comes back as a terminated event).
    pub fn answer(&self, ring: bool) {
        let ua = self.ua.clone();
        let call = self.call;
        let sdp = self
            .versions
            .last()
            .map(|d| d.to_string().into_bytes())
            .unwrap_or_default();
        tokio::spawn(async move {
            if ring {
                if let Err(e) = ua.ringing(call).await {
                    tracing::info!(?call, error = %e, "could not send 180");
                }
            }
            if let Err(e) = ua.answer(call, sdp).await {
                tracing::info!(?call, error = %e, "could not answer (caller gone?)");
            }
        });
    }

    /// Applies the peer's answer to our offer (a 183 with early media, the 200, or the
    /// ACK of a late-offer call): media is sent where it says.
    pub fn apply_answer(&mut self, sdp: &[u8]) -> Result<(), LegError> {
        let answer = SessionDescription::parse_bytes(sdp)?;
        let remote = lianxin_sdp::accept_answer(&self.local, &answer)?;
        // We offered PCMU and PCMA; the answer picks (carriers in China mostly A-law).
        let _ = self.media.set_format(remote.codec, remote.telephone_event);
        if let Some(addr) = remote.address {
            let _ = self.media.set_remote(addr);
        }
        Ok(())
    }

    /// Answers a re-INVITE (hold / resume) in a task of its own: accepts it keeping our
    /// media as it is, mirrored with the `o=` version RFC 3264 asks for, and stops sending
    /// while the peer holds. A re-INVITE without an offer gets ours; an unusable one 488.
    /// Returns whether the peer now holds the call, when its offer said.
    pub fn on_reinvite(&mut self, offer: Option<&[u8]>) -> Option<bool> {
        let mut held = None;
        let desc = match offer {
            Some(offer) => SessionDescription::parse_bytes(offer)
                .ok()
                .and_then(|o| lianxin_sdp::answer(&o, &self.local).ok())
                .map(|n| {
                    held = Some(n.remote.held);
                    // A held phone gets no audio until it resumes.
                    let _ = self.media.set_sending(!n.remote.held);
                    n.answer
                }),
            None => Some(lianxin_sdp::offer(&self.local)),
        };
        let answer = desc.map(|d| self.versions.stamp(d).to_string().into_bytes());
        let code = if answer.is_some() { 200 } else { 488 };
        let ua = self.ua.clone();
        let call = self.call;
        tokio::spawn(async move {
            let _ = ua.answer_reinvite(call, code, answer).await;
        });
        tracing::debug!(?held, code, "re-INVITE answered");
        held
    }

    /// Replaces what the leg plays with `items` (an empty list plays nothing); only this
    /// list's end is reported as [`LegEvent::PlaybackFinished`]. `false` when the engine
    /// refused: then no end comes either.
    pub fn play(&mut self, items: Vec<PlayItem>) -> bool {
        self.plays += 1;
        let tag = self.plays;
        let ok = self.media.play_tagged(items, tag).is_ok();
        self.playing = ok.then_some(tag);
        ok
    }

    /// Stops playback now; no end is reported.
    pub fn stop_playback(&mut self) {
        self.playing = None;
        let _ = self.media.stop_playback();
    }

    /// Starts recording into a file made by [`MediaHandle::recorder`] (off the owner's
    /// event loop); [`LegEvent::Recorded`] follows when it ends.
    pub fn record(&self, recorder: Recorder) -> Result<(), LegError> {
        Ok(self.media.record_into(recorder)?)
    }

    /// Stops the recording; [`LegEvent::Recorded`] follows.
    pub fn stop_recording(&self) {
        let _ = self.media.stop_recording();
    }

    /// What a media event of this leg means for its owner: key presses, the end of the
    /// current play list (a stale end of a replaced list gives `None`), recordings, and
    /// silence from the peer.
    pub fn on_media(&mut self, ev: MediaEvent) -> Option<LegEvent> {
        match ev {
            MediaEvent::Dtmf(d) => Some(LegEvent::Digit(d)),
            MediaEvent::PlaybackDone(tag) if self.playing == Some(tag) => {
                self.playing = None;
                Some(LegEvent::PlaybackFinished)
            }
            MediaEvent::RecordingStopped { path, duration } => {
                Some(LegEvent::Recorded(Recorded { path, duration }))
            }
            MediaEvent::NoMedia => Some(LegEvent::NoMedia),
            _ => None,
        }
    }

    /// What one of a placed call's own SIP events means: early media (183 with SDP) and the
    /// 200's answer are applied, a re-INVITE is answered ([`Leg::on_reinvite`]), a failure
    /// or the end marks the dialog over; the owner gets what it must decide on.
    pub fn on_call_event(&mut self, ev: CallEvent) -> Option<LegEvent> {
        match ev {
            CallEvent::Progress { code, sdp } => {
                if let Some(sdp) = sdp {
                    if let Err(e) = self.apply_answer(&sdp) {
                        tracing::debug!(call = ?self.call, error = %e, "unusable early-media SDP");
                    }
                }
                Some(LegEvent::Progress(code))
            }
            CallEvent::Answered { sdp } => {
                if let Some(sdp) = sdp {
                    if let Err(e) = self.apply_answer(&sdp) {
                        tracing::info!(call = ?self.call, error = %e, "unusable SDP answer");
                    }
                }
                Some(LegEvent::Answered)
            }
            CallEvent::Failed {
                code,
                reason,
                retry_after,
            } => {
                self.sip_ended = true;
                Some(LegEvent::Failed {
                    code,
                    reason,
                    retry_after,
                })
            }
            CallEvent::Reinvite { sdp } => {
                self.on_reinvite(sdp.as_deref());
                None
            }
            CallEvent::ReinviteResult { .. } => None,
            CallEvent::Dtmf { digit } => Some(LegEvent::Digit(digit)),
            CallEvent::Terminated { reason } => {
                self.sip_ended = true;
                Some(LegEvent::Ended(reason))
            }
        }
    }

    /// The dialog is over (the peer hung up, cancelled, or the call failed): closing the
    /// leg will not hang it up again.
    pub fn sip_ended(&mut self) {
        self.sip_ended = true;
    }

    /// Ends the dialog now, in a task of its own (BYE, CANCEL or 487, as its state asks);
    /// at most once.
    pub fn hang_up(&mut self) {
        if !std::mem::replace(&mut self.sip_ended, true) {
            hang_up(&self.ua, self.call);
        }
    }

    /// Ends the dialog and waits for the UA to have sent it (for a shutdown, when no task
    /// would outlive the runtime); at most once.
    pub async fn hang_up_and_wait(&mut self) {
        if !std::mem::replace(&mut self.sip_ended, true) {
            let _ = self.ua.hangup(self.call).await;
        }
    }

    /// Ends both halves, exactly once (the leg is consumed): the dialog is hung up unless
    /// it already ended, and the media session is closed in a task of its own, finalizing
    /// any recording. The returned [`Closing`] resolves to the figures; dropping it is fine.
    pub fn close(mut self, now: Instant) -> Closing {
        self.hang_up();
        let duration = now.saturating_duration_since(self.since);
        Closing::new(duration, tokio::spawn(self.media.finish()))
    }
}

/// Refuses an incoming call without waiting for the UA's answer.
pub fn refuse(ua: &UaHandle, call: CallHandle, code: u16) {
    let ua = ua.clone();
    tokio::spawn(async move {
        let _ = ua.reject(call, code).await;
    });
}

/// Refuses a re-INVITE (488) for a call that has no leg, without waiting.
pub fn refuse_reinvite(ua: &UaHandle, call: CallHandle) {
    let ua = ua.clone();
    tokio::spawn(async move {
        let _ = ua.answer_reinvite(call, 488, None).await;
    });
}

/// Hangs a call up without waiting for the UA's answer.
pub fn hang_up(ua: &UaHandle, call: CallHandle) {
    let ua = ua.clone();
    tokio::spawn(async move {
        let _ = ua.hangup(call).await;
    });
}

/// Media for a leg whose codec is not negotiated yet (we offer): PCMU, events on 101.
fn default_params() -> SessionParams {
    SessionParams {
        codec: Codec::Pcmu,
        telephone_event_pt: Some(101),
        remote: None,
    }
}

/// Closes a session that never became a leg, without waiting.
fn close_media(media: MediaSession) {
    tokio::spawn(async move {
        let _ = media.close().await;
    });
}

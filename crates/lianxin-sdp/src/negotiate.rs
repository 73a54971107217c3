//! RFC 3264 offer/answer for one audio stream with G.711 and RFC 4733 events.
//!
//! The answerer takes the caller's most preferred codec that it supports (the order of the
//! offer's format list), keeps the caller's `telephone-event` payload type, mirrors the
//! hold direction, and rejects every other media section with port 0, keeping the number
//! and order of `m=` lines as RFC 3264 §6 requires. No common codec is a
//! [`NegotiationError`] whose [`status_code`](NegotiationError::status_code) is 488.

use std::net::{IpAddr, SocketAddr};

use crate::codec::Codec;
use crate::parse::{Connection, Direction, MediaDescription, Origin, RtpMap, SessionDescription};

impl Codec {
    /// The codec an offered payload type stands for: by rtpmap when present (a dynamic
    /// number mapped to PCMU works too), else by static number.
    fn of(media: &MediaDescription, pt: u8) -> Option<Codec> {
        match media.rtpmap(pt) {
            Some(map) if map.clock_rate == 8000 && map.channels.unwrap_or(1) == 1 => {
                if map.encoding.eq_ignore_ascii_case("PCMU") {
                    Some(Codec::Pcmu)
                } else if map.encoding.eq_ignore_ascii_case("PCMA") {
                    Some(Codec::Pcma)
                } else {
                    None
                }
            }
            Some(_) => None,
            None => Codec::from_payload_type(pt),
        }
    }
}

/// Why an offer or answer cannot be used. Every variant means SIP 488 Not Acceptable Here
/// for an offer in a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NegotiationError {
    /// No usable audio section (none at all, all with port 0, or only secure/non-RTP ones).
    #[error("no audio stream offered")]
    NoAudio,
    /// The audio section lists none of the codecs we support.
    #[error("no common audio codec")]
    NoCommonCodec,
}

impl NegotiationError {
    /// The SIP status code to answer an INVITE whose offer failed: 488.
    pub fn status_code(&self) -> u16 {
        488
    }
}

/// What this side offers or accepts: its RTP address, codecs and preferences.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalMedia {
    /// Our RTP address as written into `o=` and `c=`.
    pub address: IpAddr,
    /// Our RTP port.
    pub port: u16,
    /// Codecs we accept, in our order of preference (used for offers).
    pub codecs: Vec<Codec>,
    /// The `telephone-event` payload type we offer; `None` to neither offer nor accept it.
    pub telephone_event: Option<u8>,
    /// Packetization time we ask for, in ms (20 for G.711).
    pub ptime: u32,
    /// The direction we want (sendonly to put the peer on hold).
    pub direction: Direction,
    /// `o=` session id (random per call, chosen by the caller).
    pub session_id: u64,
    /// `o=` session version; increment for every new description in a dialog.
    pub session_version: u64,
}

impl LocalMedia {
    /// Defaults for a G.711 endpoint at an address: PCMU then PCMA, events on 101, 20 ms.
    pub fn new(address: IpAddr, port: u16, session_id: u64) -> LocalMedia {
        LocalMedia {
            address,
            port,
            codecs: vec![Codec::Pcmu, Codec::Pcma],
            telephone_event: Some(101),
            ptime: 20,
            direction: Direction::SendRecv,
            session_id,
            session_version: session_id,
        }
    }

    fn origin(&self) -> Origin {
        Origin {
            username: "lianxin".to_string(),
            session_id: self.session_id.to_string(),
            session_version: self.session_version.to_string(),
            address: Connection::new(self.address),
        }
    }

    fn session(&self, media: Vec<MediaDescription>) -> SessionDescription {
        SessionDescription {
            origin: self.origin(),
            session_name: "lianxin".to_string(),
            connection: Some(Connection::new(self.address)),
            timing: "0 0".to_string(),
            direction: None,
            attributes: Vec::new(),
            media,
        }
    }

    fn audio_section(&self, codecs: &[Codec], te: Option<u8>, dir: Direction) -> MediaDescription {
        let mut m = MediaDescription::new("audio", self.port, "RTP/AVP");
        for c in codecs {
            m.formats.push(c.payload_type().to_string());
            m.rtpmaps.push(RtpMap {
                payload_type: c.payload_type(),
                encoding: c.encoding().to_string(),
                clock_rate: 8000,
                channels: None,
            });
        }
        if let Some(pt) = te {
            m.formats.push(pt.to_string());
            m.rtpmaps.push(RtpMap {
                payload_type: pt,
                encoding: "telephone-event".to_string(),
                clock_rate: 8000,
                channels: None,
            });
            m.fmtps.push((pt, "0-16".to_string()));
        }
        m.ptime = Some(self.ptime);
        m.direction = Some(dir);
        m
    }
}

/// The peer's side of a negotiated audio stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteMedia {
    /// Where to send RTP; `None` when the peer holds with `c=0.0.0.0` or gave a host name.
    pub address: Option<SocketAddr>,
    /// The codec both sides use.
    pub codec: Codec,
    /// The payload type for that codec on the wire (as the offerer numbered it).
    pub payload_type: u8,
    /// The payload type of `telephone-event`, when both sides support it.
    pub telephone_event: Option<u8>,
    /// The peer's `a=ptime`, if given.
    pub ptime: Option<u32>,
    /// The direction from OUR point of view (sendonly: we send, the peer only listens).
    pub direction: Direction,
    /// The peer put us on hold (it does not want to receive, or sent `c=0.0.0.0`).
    pub held: bool,
}

/// The result of answering an offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Negotiated {
    /// The answer to send back.
    pub answer: SessionDescription,
    /// The stream as negotiated.
    pub remote: RemoteMedia,
}

/// Builds an offer (for an outbound INVITE, or the 200 of a late-offer INVITE).
pub fn offer(local: &LocalMedia) -> SessionDescription {
    let m = local.audio_section(&local.codecs, local.telephone_event, local.direction);
    local.session(vec![m])
}

/// Answers an offer (RFC 3264 §6): the caller's preferred common codec, its
/// telephone-event payload type, the mirrored direction, other sections rejected.
pub fn answer(
    offer: &SessionDescription,
    local: &LocalMedia,
) -> Result<Negotiated, NegotiationError> {
    let mut chosen = None;
    let mut first_error = NegotiationError::NoAudio;
    for (i, m) in offer.media.iter().enumerate() {
        if !usable_audio(m) {
            continue;
        }
        match pick(m, &local.codecs, local.telephone_event.is_some()) {
            Some((codec, pt, te)) => {
                chosen = Some((i, codec, pt, te));
                break;
            }
            None => first_error = NegotiationError::NoCommonCodec,
        }
    }
    let (index, codec, pt, te) = chosen.ok_or(first_error)?;
    let offered = &offer.media[index];

    let offered_dir = offer.direction_for(offered);
    let conn = offer.connection_for(offered);
    let old_hold = conn.is_some_and(Connection::is_hold);
    let our_dir = offered_dir.answer_to(local.direction);

    let mut sections = Vec::with_capacity(offer.media.len());
    for (i, m) in offer.media.iter().enumerate() {
        if i == index {
            let mut a = local.audio_section(&[], None, our_dir);
            a.formats.push(pt.to_string());
            a.rtpmaps.push(RtpMap {
                payload_type: pt,
                encoding: codec.encoding().to_string(),
                clock_rate: 8000,
                channels: None,
            });
            if let Some(te) = te {
                a.formats.push(te.to_string());
                a.rtpmaps.push(RtpMap {
                    payload_type: te,
                    encoding: "telephone-event".to_string(),
                    clock_rate: 8000,
                    channels: None,
                });
                a.fmtps.push((te, "0-16".to_string()));
            }
            sections.push(a);
        } else {
            let mut r = MediaDescription::new(&m.media, 0, &m.proto);
            r.formats = m.formats.iter().take(1).cloned().collect();
            if r.formats.is_empty() {
                r.formats.push("0".to_string());
            }
            sections.push(r);
        }
    }

    let remote = RemoteMedia {
        address: remote_addr(conn, offered.port),
        codec,
        payload_type: pt,
        telephone_event: te,
        ptime: offered.ptime,
        direction: our_dir,
        held: old_hold || !offered_dir.receives(),
    };
    Ok(Negotiated {
        answer: local.session(sections),
        remote,
    })
}

/// Reads the answer to an offer we made with `local` (outbound call, or the ACK of a
/// late-offer INVITE).
pub fn accept_answer(
    local: &LocalMedia,
    answer: &SessionDescription,
) -> Result<RemoteMedia, NegotiationError> {
    let (_, m) = answer
        .media
        .iter()
        .enumerate()
        .find(|(_, m)| usable_audio(m))
        .ok_or(NegotiationError::NoAudio)?;
    let (codec, pt, te) = pick(m, &local.codecs, local.telephone_event.is_some())
        .ok_or(NegotiationError::NoCommonCodec)?;
    let their_dir = answer.direction_for(m);
    let conn = answer.connection_for(m);
    let old_hold = conn.is_some_and(Connection::is_hold);
    Ok(RemoteMedia {
        address: remote_addr(conn, m.port),
        codec,
        payload_type: pt,
        telephone_event: te,
        ptime: m.ptime,
        direction: their_dir.answer_to(local.direction),
        held: old_hold || !their_dir.receives(),
    })
}

fn usable_audio(m: &MediaDescription) -> bool {
    m.media.eq_ignore_ascii_case("audio")
        && m.port != 0
        && (m.proto.eq_ignore_ascii_case("RTP/AVP") || m.proto.eq_ignore_ascii_case("RTP/AVPF"))
}

/// First offered codec we support (offer order), its payload type, and the offered
/// telephone-event payload type if we want events.
fn pick(m: &MediaDescription, ours: &[Codec], events: bool) -> Option<(Codec, u8, Option<u8>)> {
    let (codec, pt) = m.payload_types().find_map(|pt| {
        Codec::of(m, pt)
            .filter(|c| ours.contains(c))
            .map(|c| (c, pt))
    })?;
    let te = events
        .then(|| {
            m.payload_types().find(|&pt| {
                m.rtpmap(pt).is_some_and(|r| {
                    r.encoding.eq_ignore_ascii_case("telephone-event") && r.clock_rate == 8000
                })
            })
        })
        .flatten();
    Some((codec, pt, te))
}

fn remote_addr(conn: Option<&Connection>, port: u16) -> Option<SocketAddr> {
    let ip = conn?.ip()?;
    if ip.is_unspecified() {
        return None;
    }
    Some(SocketAddr::new(ip, port))
}

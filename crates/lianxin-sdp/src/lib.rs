//! lianxin-sdp: SDP (RFC 4566) parsing and building, and RFC 3264 offer/answer for the
//! narrow audio profile a telephone hotline needs: G.711 μ-law (PCMU, payload type 0),
//! A-law (PCMA, 8) and RFC 4733 `telephone-event` (dynamic payload type, usually 101).
//!
//! # Why our own parser
//!
//! The maintained crates (`sdp` from webrtc-rs, `webrtc-sdp` from Mozilla) are written for
//! WebRTC: ICE, DTLS fingerprints, bundles and a large dependency tree, and they are strict
//! about things carrier equipment gets wrong. A SIP trunk sends a few lines; this crate parses
//! them into typed values, keeps unknown attributes verbatim, and refuses malformed lines with
//! a typed [`ParseError`] that says which line. Nothing here panics on input.
//!
//! # What it is not
//!
//! No SIP, no sockets, no clock: the caller passes session ids and versions in. Video and
//! other media lines are parsed and rejected in answers (port 0), never negotiated.
//!
//! # Layout
//!
//! - [`codec`]: [`Codec`], the G.711 law of a stream (also the media engine's type).
//! - [`parse`]: [`SessionDescription::parse`], the typed model, `Display` builds the text.
//! - [`negotiate`]: [`offer`], [`answer`], [`accept_answer`] with [`LocalMedia`] in and
//!   [`Negotiated`] / [`RemoteMedia`] out; [`NegotiationError`] maps to SIP 488.
//! - [`version`]: [`SdpVersions`], the `o=` version rule across the descriptions one side
//!   sends in a dialog (hold/unhold answers).
#![deny(missing_docs)]
#![warn(unreachable_pub)]

pub mod codec;
pub mod negotiate;
pub mod parse;
pub mod version;

pub use codec::Codec;
pub use negotiate::{
    accept_answer, answer, offer, LocalMedia, Negotiated, NegotiationError, RemoteMedia,
};
pub use parse::{
    Attribute, Connection, Direction, MediaDescription, Origin, ParseError, RtpMap,
    SessionDescription,
};
pub use version::SdpVersions;

//! What the owner asks of the endpoint: [`OutgoingInvite`], [`OutgoingRequest`], and
//! [`EndpointError`], the refusal of a command.
//!
//! Why a file of its own: the command inputs and their error are the endpoint's input
//! vocabulary; network input never yields an error (it is logged and dropped).

use crate::auth::Credentials;
use crate::wire::{Header, Method, Transport, Uri};
use std::net::SocketAddr;

/// An outgoing call.
#[derive(Debug, Clone)]
pub struct OutgoingInvite {
    /// Request-URI, e.g. `sip:13800138000@trunk.example.com`.
    pub target: String,
    /// From URI, e.g. `sip:hotline@our.host`.
    pub from: String,
    /// From display name.
    pub from_display: Option<String>,
    /// To URI (defaults to `target`).
    pub to: Option<String>,
    /// Where to send: the outbound proxy / trunk, or the target's resolved address.
    pub destination: SocketAddr,
    /// Transport to use.
    pub transport: Transport,
    /// SDP offer (`None` = late offer: the 2xx carries the offer, the ACK the answer).
    pub sdp: Option<Vec<u8>>,
    /// Credentials for one digest retry on 401/407.
    pub credentials: Option<Credentials>,
    /// Extra headers (e.g. P-Asserted-Identity).
    pub headers: Vec<Header>,
}

/// An outgoing non-INVITE request outside dialogs (REGISTER, OPTIONS, MESSAGE).
#[derive(Debug, Clone)]
pub struct OutgoingRequest {
    /// Method (not INVITE, ACK or CANCEL).
    pub method: Method,
    /// Request-URI.
    pub target: String,
    /// From URI.
    pub from: String,
    /// To URI (defaults to `target`).
    pub to: Option<String>,
    /// Call-ID to reuse (REGISTER refreshes keep one); `None` draws a new one.
    pub call_id: Option<String>,
    /// CSeq number to use (`None` = 1).
    pub cseq: Option<u32>,
    /// Destination.
    pub destination: SocketAddr,
    /// Transport.
    pub transport: Transport,
    /// Credentials for one digest retry on 401/407.
    pub credentials: Option<Credentials>,
    /// Extra headers (Expires, Contact is added automatically for REGISTER).
    pub headers: Vec<Header>,
    /// Body and its content type.
    pub body: Option<(String, Vec<u8>)>,
}

/// Errors of endpoint commands (never from network input: that is logged and dropped).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointError {
    /// The call handle is unknown or the call is over.
    #[error("unknown call")]
    UnknownCall,
    /// The request handle is unknown or already answered.
    #[error("unknown request")]
    UnknownRequest,
    /// The command does not fit the call's state (e.g. accept after reject).
    #[error("invalid state for {0}")]
    InvalidState(&'static str),
    /// A status code outside the range the command allows.
    #[error("bad status code {0}")]
    BadStatus(u16),
    /// A URI given by the owner could not be parsed.
    #[error("bad URI: {0}")]
    BadUri(String),
    /// The method cannot be sent with this command.
    #[error("method not allowed here")]
    BadMethod,
}

/// The Request-URI, From and To URIs of a command (To defaults to the Request-URI); the
/// first that does not parse is refused as [`EndpointError::BadUri`].
pub(super) fn command_uris(
    target: &str,
    from: &str,
    to: Option<&str>,
) -> Result<(Uri, Uri, Uri), EndpointError> {
    let parse = |s: &str| Uri::parse(s).map_err(|_| EndpointError::BadUri(s.to_owned()));
    let uri = parse(target)?;
    let from = parse(from)?;
    let to = match to {
        Some(t) => parse(t)?,
        None => uri.clone(),
    };
    Ok((uri, from, to))
}

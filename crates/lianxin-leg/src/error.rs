//! Why a leg could not be opened, and the SIP status that says so to the peer.

/// Why a leg could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum LegError {
    /// The peer's SDP could not be parsed.
    #[error("unreadable SDP: {0}")]
    Sdp(#[from] lianxin_sdp::ParseError),
    /// The peer's SDP has nothing we can use (no audio, no common codec).
    #[error(transparent)]
    Negotiation(#[from] lianxin_sdp::NegotiationError),
    /// No RTP session (no free port, session limit, engine stopped).
    #[error("no media session: {0}")]
    Media(#[from] lianxin_media::MediaError),
    /// The UA refused to place the call (or has stopped).
    #[error("SIP: {0}")]
    Ua(#[from] lianxin_ua::UaError),
}

impl LegError {
    /// The status to refuse an incoming call with: 488 for SDP we cannot use, 503 when we
    /// have no media to give, 500 otherwise.
    pub fn status_code(&self) -> u16 {
        match self {
            LegError::Sdp(_) => 488,
            LegError::Negotiation(e) => e.status_code(),
            LegError::Media(_) => 503,
            LegError::Ua(_) => 500,
        }
    }
}

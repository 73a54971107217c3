//! The one error type of the wire layer, [`WireError`].
//!
//! Why a file of its own: every other part of the wire layer (URIs, headers, the parser,
//! the framer) refuses input with it, so it sits below them all.

/// Errors of the wire layer. None of them panics; every one means "this message is refused".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// The input held no message at all (only whitespace).
    #[error("empty message")]
    Empty,
    /// The head (start line and headers) is not valid UTF-8.
    #[error("head is not UTF-8")]
    NotUtf8,
    /// No blank line ends the head.
    #[error("no end of head")]
    NoEndOfHead,
    /// The start line is neither a request line nor a status line.
    #[error("bad start line: {0}")]
    BadStartLine(String),
    /// The SIP version is not SIP/2.0.
    #[error("unsupported SIP version")]
    BadVersion,
    /// A header line has no colon or an invalid name.
    #[error("bad header line")]
    BadHeaderLine,
    /// A header the core needs has an invalid value.
    #[error("bad {0} header")]
    BadHeader(&'static str),
    /// A mandatory header is missing.
    #[error("missing {0} header")]
    MissingHeader(&'static str),
    /// Content-Length is not a number, conflicts with another one, or is too large.
    #[error("bad Content-Length")]
    BadContentLength,
    /// Content-Length is missing on a stream transport.
    #[error("missing Content-Length on a stream")]
    MissingContentLength,
    /// The body is shorter than Content-Length (a truncated UDP datagram).
    #[error("truncated body")]
    Truncated,
    /// The head or body exceeds the configured limits.
    #[error("message too large")]
    TooLarge,
    /// A URI could not be parsed.
    #[error("bad URI: {0}")]
    BadUri(String),
    /// The CSeq method differs from the request method.
    #[error("CSeq method does not match request method")]
    CSeqMismatch,
    /// rsip refused the normalized text (only from `Request::to_rsip`).
    #[error("rsip: {0}")]
    Rsip(String),
}

/// The start of a refused text, for an error message (never the whole input).
pub(super) fn truncate_for_error(s: &str) -> String {
    s.chars().take(64).collect()
}

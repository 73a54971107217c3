//! The desk's one error type, for the hotline and the binary: the desk could not start,
//! or a screen-pop record could not be made into data for consoles. (Errors of single
//! HTTP requests are answers to those requests, never this type.)

/// Why the desk could not start or an event could not be built.
#[derive(Debug, thiserror::Error)]
pub enum DeskError {
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: std::net::SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
    /// Another I/O failure while starting.
    #[error("desk I/O error: {0}")]
    Io(std::io::Error),
    /// A screen-pop record could not be turned into data for consoles.
    #[error("screen-pop record did not serialize: {0}")]
    Encode(String),
}

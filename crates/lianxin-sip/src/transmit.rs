//! [`Transmit`]: one message to send, the output every machine of this crate yields.
//!
//! Why a file of its own: the transaction machines produce transmits and the endpoint
//! queues them for the driver; both import this, so neither imports the other for it.

use crate::wire::Transport;
use std::net::SocketAddr;

/// A datagram / stream chunk to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    /// Transport to use (for TCP: the connection to or from `destination`).
    pub transport: Transport,
    /// Where to send.
    pub destination: SocketAddr,
    /// The whole message.
    pub payload: Vec<u8>,
}

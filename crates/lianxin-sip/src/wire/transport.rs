//! [`Transport`]: UDP or TCP, as Via and the transaction layer see it.
//!
//! Why here: the wire layer writes the Via transport token, and every layer above asks
//! whether a transport is reliable (no retransmissions on streams).

/// Transport a message came on or goes out on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    /// Datagrams: one datagram is one message; the transaction layer retransmits.
    Udp,
    /// A reliable stream: messages are framed by Content-Length; no retransmissions.
    Tcp,
}

impl Transport {
    /// The Via transport token (`UDP`, `TCP`).
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Udp => "UDP",
            Transport::Tcp => "TCP",
        }
    }
    /// True for stream transports (RFC 3261 "reliable").
    pub fn is_reliable(self) -> bool {
        matches!(self, Transport::Tcp)
    }
}

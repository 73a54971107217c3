//! [`EndpointConfig`]: what the owner decides once (seed, identity, timers, automatic
//! answers, the transaction bound).
//!
//! Why a file of its own: it is the one input given at construction, read by every part.

use crate::timer::TimerConfig;

/// Configuration of an [`Endpoint`](super::Endpoint).
#[derive(Debug, Clone)]
pub struct EndpointConfig {
    /// Seed for tags, branches, Call-IDs and cnonces (tests use a fixed one; the driver
    /// draws one from the OS at start).
    pub seed: u64,
    /// `User-Agent` / `Server` header value.
    pub user_agent: String,
    /// Host (IP or name) we put in Via sent-by and Contact.
    pub contact_host: String,
    /// Port we put in Via sent-by and Contact.
    pub contact_port: u16,
    /// T1/T2/T4.
    pub timers: TimerConfig,
    /// Answer OPTIONS outside dialogs with 200 automatically (else emit an event).
    pub auto_options: bool,
    /// Send `100 Trying` at once for incoming INVITEs.
    pub auto_trying: bool,
    /// Above this many live transactions, new requests outside dialogs get a stateless
    /// 503 (memory bound under floods; at 1000 calls/s about 64k are live, timers J and L).
    pub max_transactions: usize,
    /// How long an answered incoming call waits for its ACK, retransmitting the 2xx,
    /// before it is ended with a BYE ([`TerminationReason::AckTimeout`]). `None`: 64*T1
    /// (32 s, RFC 3261 §13.3.1.4). A shorter wait frees an unacknowledged call's media
    /// sooner (issue 10, point 3): a real caller's ACK comes within a second.
    ///
    /// [`TerminationReason::AckTimeout`]: super::TerminationReason::AckTimeout
    pub ack_wait: Option<std::time::Duration>,
}

impl Default for EndpointConfig {
    fn default() -> Self {
        EndpointConfig {
            seed: 0,
            user_agent: "lianxin".into(),
            contact_host: "127.0.0.1".into(),
            contact_port: 5060,
            timers: TimerConfig::default(),
            auto_options: true,
            auto_trying: true,
            max_transactions: 100_000,
            ack_wait: None,
        }
    }
}

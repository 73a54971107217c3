//! Settings of the user agent, filled by the binary from its TOML config.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use lianxin_sip::auth::Credentials;
use lianxin_sip::Transport;

use crate::ratelimit::RateLimitConfig;

/// Settings of the user agent.
#[derive(Debug, Clone)]
pub struct UaConfig {
    /// Address for UDP and TCP (`0.0.0.0:5060` in production; tests use port 0).
    pub listen: SocketAddr,
    /// Also accept and open TCP connections.
    pub tcp: bool,
    /// Host to put in Via/Contact when `listen` is a wildcard address (public IP or name).
    pub contact_host: Option<String>,
    /// Digest realm of the registrar (usually the SIP domain).
    pub realm: String,
    /// Hotline numbers accepted on incoming INVITEs (Request-URI user); others get 404.
    /// Empty accepts every number.
    pub numbers: Vec<String>,
    /// Per-source limits for new requests.
    pub rate_limit: RateLimitConfig,
    /// Outbound registration to the carrier trunk, if any.
    pub trunk: Option<TrunkConfig>,
    /// Most simultaneous calls; beyond, incoming INVITEs get 503.
    pub max_calls: usize,
    /// Most live incoming calls from one source address; beyond, 486. Trusted sources
    /// (`rate_limit.exempt`, the trunk) are not capped. Default 20.
    pub max_calls_per_source: usize,
    /// Addresses from which incoming calls are accepted (the trunk, gateways); empty
    /// accepts every address. Registered phones and trusted sources are always accepted;
    /// anyone else gets 403.
    pub accept_from: Vec<IpAddr>,
    /// How long an answered incoming call waits for its ACK (the 200 is retransmitted
    /// meanwhile) before it is hung up with a BYE and its media freed. RFC 3261 allows
    /// 32 s; a real caller's ACK comes within a second, and never-ACKed answers from a
    /// flood would hold RTP ports that long (issue 10, point 3). Default 8 s (the 200
    /// is sent 5 times).
    pub ack_timeout: Duration,
    /// Most live SIP transactions; beyond, new requests get a stateless 503. Finished
    /// transactions linger 32 s on UDP (RFC 3261 Timer J, RFC 6026 Timer L), so a
    /// sustained rate of R calls/s keeps about 64 × R alive (two per call).
    pub max_transactions: usize,
    /// Most SIP TCP connections at once (accepted and opened); beyond, new ones are
    /// closed at once.
    pub tcp_max_connections: usize,
    /// Most SIP TCP connections accepted from one address (trusted sources excepted).
    pub tcp_max_per_source: usize,
    /// A TCP connection silent this long, with no registration and no call on it, is
    /// closed.
    pub tcp_idle_timeout: Duration,
    /// Capacity of the inbound event channel (incoming calls, registrations).
    pub event_capacity: usize,
    /// Capacity of each outbound call's own event channel. A call has few events; one
    /// whose channel fills up has an owner that stopped reading, and is hung up.
    pub call_event_capacity: usize,
    /// Capacity of the command channel from handles.
    pub command_capacity: usize,
    /// Seed for tags, branches and nonces; `None` draws one from the OS.
    pub seed: Option<u64>,
    /// `User-Agent` / `Server` header.
    pub user_agent: String,
}

impl UaConfig {
    /// Defaults for an address: UDP+TCP, every number accepted, default rate limits.
    pub fn new(listen: SocketAddr) -> UaConfig {
        UaConfig {
            listen,
            tcp: true,
            contact_host: None,
            realm: "lianxin".to_string(),
            numbers: Vec::new(),
            rate_limit: RateLimitConfig::default(),
            trunk: None,
            max_calls: 4000,
            max_calls_per_source: 20,
            accept_from: Vec::new(),
            ack_timeout: Duration::from_secs(8),
            max_transactions: 400_000,
            tcp_max_connections: 4096,
            tcp_max_per_source: 32,
            tcp_idle_timeout: Duration::from_secs(60),
            event_capacity: 4096,
            call_event_capacity: 32,
            command_capacity: 4096,
            seed: None,
            user_agent: concat!("lianxin/", env!("CARGO_PKG_VERSION")).to_string(),
        }
    }
}

/// Outbound registration to an upstream trunk.
#[derive(Debug, Clone)]
pub struct TrunkConfig {
    /// The trunk's SIP domain (Request-URI `sip:<domain>`, AOR `sip:<user>@<domain>`).
    pub domain: String,
    /// Where to send REGISTER.
    pub destination: SocketAddr,
    /// Transport.
    pub transport: Transport,
    /// Digest username and password.
    pub credentials: Credentials,
    /// Requested expiry; refreshed before it lapses.
    pub expires: Duration,
    /// Wait before retrying after a failure.
    pub retry_after: Duration,
}

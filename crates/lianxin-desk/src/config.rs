//! The desk's settings: where it listens and the bounds that keep a slow or hostile
//! console from costing the server more than its share (sessions, consoles, queues,
//! buffers, message sizes, timeouts).

use std::net::SocketAddr;
use std::time::Duration;

use crate::event::OperatorState;
use crate::throttle::ThrottlePolicy;

/// Settings of the desk server. `DeskConfig::new(addr)` gives sensible defaults.
#[derive(Debug, Clone)]
pub struct DeskConfig {
    /// Address for HTTP and WebSocket (port 0 picks a free port).
    pub listen: SocketAddr,
    /// A session ends after this long without use.
    pub session_ttl: Duration,
    /// Most sessions kept at once.
    pub max_sessions: usize,
    /// Most consoles connected at once.
    pub max_consoles: usize,
    /// Most consoles one staff member may have open at once (a further one is refused),
    /// so one token can never take the whole of `max_consoles`.
    pub max_consoles_per_staff: usize,
    /// How long a ticket from `POST /api/ticket` stays valid (it is also single-use).
    pub ticket_ttl: Duration,
    /// Failed log-ins per source address before waits begin, and how they grow.
    pub login_by_addr: ThrottlePolicy,
    /// Failed log-ins per user name before waits begin, and how they grow.
    pub login_by_user: ThrottlePolicy,
    /// Threads that check passwords (Argon2, about 19 MiB each while checking).
    pub password_threads: usize,
    /// Log-ins that may wait for a password thread; beyond that they get 503 at once.
    pub password_queue: usize,
    /// How often every session's account is re-read, so a changed password, role or
    /// disabled account closes its open consoles.
    pub session_recheck: Duration,
    /// Frames queued per console; a console whose queue is full is dropped.
    pub console_queue: usize,
    /// How often the server pings each console.
    pub ping_interval: Duration,
    /// A console that sends nothing (not even a pong) for this long is dropped.
    pub pong_timeout: Duration,
    /// A single frame write taking longer than this drops the console.
    pub write_timeout: Duration,
    /// tungstenite's `max_write_buffer_size` per socket, in bytes.
    pub max_write_buffer: usize,
    /// Largest message a console may send, in bytes.
    pub max_incoming_message: usize,
    /// Most live calls kept in the snapshot for late consoles.
    pub max_live_calls: usize,
    /// Capacity of the `DeskCommand` channel.
    pub command_queue: usize,
    /// How often the request alarm sweep compares colours (`request.alarm`).
    pub alarm_sweep: Duration,
    /// "Now" for requests and their alarms (the system clock; tests move their own).
    pub clock: crate::clock::Clock,
    /// State of a staff member at their first connection.
    pub initial_state: OperatorState,
    /// Most households returned by one search.
    pub search_limit: usize,
    /// Most HTTP connections at once, WebSocket consoles included; beyond, a new
    /// connection gets `503` and is closed.
    pub max_connections: usize,
    /// Most HTTP connections from one source address (behind a reverse proxy every
    /// console comes from the proxy: raise it to `max_connections` there).
    pub max_connections_per_source: usize,
    /// A request's head must arrive within this long of the connection opening or of
    /// the previous answer (the header-read timeout, and so the idle keep-alive limit).
    pub header_timeout: Duration,
}

impl DeskConfig {
    /// Defaults, listening on `listen`.
    pub fn new(listen: SocketAddr) -> Self {
        DeskConfig {
            listen,
            session_ttl: Duration::from_secs(12 * 3600),
            max_sessions: 10_000,
            max_consoles: 1_000,
            max_consoles_per_staff: 4,
            ticket_ttl: Duration::from_secs(30),
            login_by_addr: ThrottlePolicy {
                free: 10,
                base: Duration::from_secs(1),
                max_wait: Duration::from_secs(300),
                forget: Duration::from_secs(900),
                max_keys: 10_000,
            },
            login_by_user: ThrottlePolicy {
                free: 5,
                base: Duration::from_secs(1),
                max_wait: Duration::from_secs(300),
                forget: Duration::from_secs(900),
                max_keys: 10_000,
            },
            password_threads: 2,
            password_queue: 8,
            session_recheck: Duration::from_secs(3),
            console_queue: 256,
            ping_interval: Duration::from_secs(15),
            pong_timeout: Duration::from_secs(45),
            write_timeout: Duration::from_secs(10),
            max_write_buffer: 4 << 20,
            max_incoming_message: 64 << 10,
            max_live_calls: 10_000,
            command_queue: 1_024,
            alarm_sweep: Duration::from_secs(30),
            clock: crate::clock::Clock::system(),
            initial_state: OperatorState::Available,
            search_limit: 20,
            max_connections: 2_048,
            max_connections_per_source: 64,
            header_timeout: Duration::from_secs(10),
        }
    }
}

//! Starting and driving the desk: configuration, the shared application state, and the
//! handle the hotline keeps.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::directory::Directory;
use crate::event::{DeskCommand, DeskEvent, OnDuty, OperatorState};
use crate::hub::{Hub, HubConfig};
use crate::latency::LatencySummary;
use crate::session::Sessions;
use crate::DeskError;

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
    /// State of a staff member at their first connection.
    pub initial_state: OperatorState,
    /// Most households returned by one search.
    pub search_limit: usize,
}

impl DeskConfig {
    /// Defaults, listening on `listen`.
    pub fn new(listen: SocketAddr) -> Self {
        DeskConfig {
            listen,
            session_ttl: Duration::from_secs(12 * 3600),
            max_sessions: 10_000,
            max_consoles: 1_000,
            console_queue: 256,
            ping_interval: Duration::from_secs(15),
            pong_timeout: Duration::from_secs(45),
            write_timeout: Duration::from_secs(10),
            max_write_buffer: 4 << 20,
            max_incoming_message: 64 << 10,
            max_live_calls: 10_000,
            command_queue: 1_024,
            initial_state: OperatorState::Available,
            search_limit: 20,
        }
    }
}

/// Shared state of every request handler and console task.
pub(crate) struct App {
    pub(crate) cfg: DeskConfig,
    pub(crate) directory: Arc<dyn Directory>,
    pub(crate) sessions: Sessions,
    pub(crate) hub: Arc<Hub>,
    commands: mpsc::Sender<DeskCommand>,
}

impl App {
    /// Hands a command to the hotline. Waits only on the calling console's task, and
    /// at most a few seconds: a hotline that stopped reading cannot wedge consoles.
    pub(crate) async fn command(&self, cmd: DeskCommand) {
        match tokio::time::timeout(Duration::from_secs(5), self.commands.send(cmd)).await {
            Ok(Ok(())) => {}
            Ok(Err(_)) => tracing::debug!("desk command receiver gone; command dropped"),
            Err(_) => tracing::warn!("desk command queue full for 5 s; command dropped"),
        }
    }
}

/// The desk server.
#[derive(Debug)]
pub struct Desk;

impl Desk {
    /// Binds `config.listen` and serves the console page, the HTTP API and the
    /// WebSocket. Returns the handle for publishing events and the receiver of the
    /// consoles' commands (read it; it is bounded).
    pub async fn start(
        config: DeskConfig,
        directory: Arc<dyn Directory>,
    ) -> Result<(DeskHandle, mpsc::Receiver<DeskCommand>), DeskError> {
        let listener =
            TcpListener::bind(config.listen)
                .await
                .map_err(|source| DeskError::Bind {
                    addr: config.listen,
                    source,
                })?;
        let local_addr = listener.local_addr().map_err(DeskError::Io)?;
        let shutdown = CancellationToken::new();
        let hub = Arc::new(Hub::new(
            HubConfig {
                queue: config.console_queue,
                max_consoles: config.max_consoles,
                max_live_calls: config.max_live_calls,
                initial_state: config.initial_state,
            },
            shutdown.clone(),
        ));
        let (tx, rx) = mpsc::channel(config.command_queue.max(1));
        let app = Arc::new(App {
            sessions: Sessions::new(config.session_ttl, config.max_sessions),
            cfg: config,
            directory,
            hub: hub.clone(),
            commands: tx,
        });
        let router = crate::http::router(app);
        let stop = shutdown.clone();
        let server = tokio::spawn(async move {
            let served = axum::serve(listener, router)
                .with_graceful_shutdown(stop.cancelled_owned())
                .await;
            if let Err(e) = served {
                tracing::error!(error = %e, "desk server stopped");
            }
        });
        tracing::info!(%local_addr, "desk listening");
        Ok((
            DeskHandle {
                hub,
                local_addr,
                shutdown,
                server: Arc::new(Mutex::new(Some(server))),
            },
            rx,
        ))
    }
}

/// The hotline's handle on the desk. Cheap to clone; every method is non-blocking.
#[derive(Clone)]
pub struct DeskHandle {
    hub: Arc<Hub>,
    local_addr: SocketAddr,
    shutdown: CancellationToken,
    server: Arc<Mutex<Option<JoinHandle<()>>>>,
}

/// Counters of the desk since start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeskStats {
    /// Consoles connected now.
    pub consoles: usize,
    /// Calls in the live snapshot now.
    pub live_calls: usize,
    /// Events published.
    pub published: u64,
    /// Frames written to sockets.
    pub frames_written: u64,
    /// Consoles dropped because their queue was full.
    pub dropped_slow: u64,
}

impl std::fmt::Debug for DeskHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeskHandle")
            .field("local_addr", &self.local_addr)
            .finish_non_exhaustive()
    }
}

impl DeskHandle {
    /// The address the desk listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Sends an event to the consoles that should see it. Never blocks: a console that
    /// cannot keep up is disconnected.
    pub fn publish(&self, event: DeskEvent) {
        self.hub.publish(event, None);
    }

    /// Like [`publish`](Self::publish), recording for every console the time from `t0`
    /// (e.g. the INVITE's arrival) to the frame leaving on its socket; see
    /// [`pop_latencies`](Self::pop_latencies).
    pub fn publish_at(&self, event: DeskEvent, t0: Instant) {
        self.hub.publish(event, Some(t0));
    }

    /// Figures of "t0 → frame written" for events published with `publish_at`.
    pub fn pop_latencies(&self) -> LatencySummary {
        self.hub.latency.summary()
    }

    /// Forgets the latency samples so far (e.g. after a warm-up).
    pub fn reset_pop_latencies(&self) {
        self.hub.latency.reset();
    }

    /// Staff members on duty now: connected, not away, in a call-taking role.
    pub fn on_duty(&self) -> Vec<OnDuty> {
        self.hub.on_duty()
    }

    /// A staff member's current state, if they have connected since start.
    pub fn operator_state(&self, staff_id: i64) -> Option<OperatorState> {
        self.hub.operator_state(staff_id)
    }

    /// Counters since start.
    pub fn stats(&self) -> DeskStats {
        let c = &self.hub.counters;
        DeskStats {
            consoles: self.hub.console_count(),
            live_calls: self.hub.live_calls(),
            published: c.published.load(Ordering::Relaxed),
            frames_written: c.frames_written.load(Ordering::Relaxed),
            dropped_slow: c.dropped_slow.load(Ordering::Relaxed),
        }
    }

    /// Stops accepting connections, disconnects every console and waits (at most 5 s)
    /// for the server to finish.
    pub async fn shutdown(&self) {
        self.shutdown.cancel();
        let server = self.server.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(server) = server {
            if tokio::time::timeout(Duration::from_secs(5), server)
                .await
                .is_err()
            {
                tracing::warn!("desk server did not stop within 5 s");
            }
        }
    }
}

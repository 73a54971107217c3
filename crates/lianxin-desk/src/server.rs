//! Starting and driving the desk: `Desk::start` builds the shared state, binds the
//! listener and serves the router; the hotline keeps the [`DeskHandle`] it returns.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::app::App;
use crate::config::DeskConfig;
use crate::directory::Directory;
use crate::error::DeskError;
use crate::event::{DeskCommand, DeskEvent, OnDuty, OperatorState};
use crate::health::{HealthBoard, HealthProbe};
use crate::http::router;
use crate::hub::{Hub, HubConfig};
use crate::latency::LatencySummary;
use crate::listener::ConnectionLimits;

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
        let limits = ConnectionLimits {
            max_total: config.max_connections.max(1),
            max_per_source: config.max_connections_per_source.max(1),
            header_timeout: config.header_timeout,
        };
        let shutdown = CancellationToken::new();
        let hub = Arc::new(Hub::new(
            HubConfig {
                queue: config.console_queue,
                max_consoles: config.max_consoles,
                max_consoles_per_staff: config.max_consoles_per_staff.max(1),
                max_live_calls: config.max_live_calls,
                initial_state: config.initial_state,
            },
            shutdown.clone(),
        ));
        hub.set_owner_lookup(directory.clone());
        let (tx, rx) = mpsc::channel(config.command_queue.max(1));
        let health = Arc::new(HealthBoard::default());
        let app = Arc::new(
            App::new(config, directory, hub.clone(), health.clone(), tx).map_err(DeskError::Io)?,
        );
        tokio::spawn(crate::request_alarm::run(app.clone(), shutdown.clone()));
        tokio::spawn(crate::recheck::run(app.clone(), shutdown.clone()));
        let prompts = app.prompts.clone();
        let router = router(app);
        let stop = shutdown.clone();
        let ended = CancellationToken::new();
        let ended_by_server = ended.clone();
        let server = tokio::spawn(async move {
            // Marks the server ended however this task ends (return or panic).
            let _ended = ended_by_server.drop_guard();
            crate::listener::serve(listener, router, limits, stop).await;
        });
        tracing::info!(%local_addr, "desk listening");
        Ok((
            DeskHandle {
                hub,
                prompts,
                health,
                local_addr,
                shutdown,
                ended,
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
    prompts: Arc<OnceLock<Arc<dyn crate::prompt_control::PromptControl>>>,
    health: Arc<HealthBoard>,
    local_addr: SocketAddr,
    shutdown: CancellationToken,
    ended: CancellationToken,
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

    /// Hands the desk the dialer it forwards campaign requests to (once; later calls
    /// are ignored). Until then campaign requests are answered 503.
    pub fn set_campaigns(&self, campaigns: Arc<dyn crate::campaigns::CampaignControl>) {
        let _ = self.hub.campaigns.set(campaigns);
    }

    /// Hands the desk the hotline's replaceable prompts (once; later calls are ignored).
    /// Until then the prompt endpoints answer 503.
    pub fn set_prompts(&self, prompts: Arc<dyn crate::prompt_control::PromptControl>) {
        let _ = self.prompts.set(prompts);
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

    /// Pushes `request.updated` for a change made outside the desk's endpoints (the
    /// automatic return visit recording its feedback: `by` is `None`), to the same
    /// consoles as the endpoints' own changes (§10.6).
    pub fn request_updated(
        &self,
        request: &lianxin_store::RequestRecord,
        change: &str,
        by: Option<i64>,
    ) {
        self.hub.request_updated(request, change, by, None);
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

    /// Adds a part of the server to what `GET /healthz` checks (the desk itself and the
    /// database are always checked).
    pub fn add_health_probe(&self, probe: Arc<dyn HealthProbe>) {
        self.health.add(probe);
    }

    /// Resolves when the HTTP server has ended, for whatever reason (shutdown, an
    /// error, a panic). The binary treats an unexpected end as fatal.
    pub async fn ended(&self) {
        self.ended.cancelled().await;
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

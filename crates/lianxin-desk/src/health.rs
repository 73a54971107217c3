//! `GET /healthz`: 200 only while every part of the server is alive, 503 otherwise.
//!
//! The desk checks itself (it is answering) and the database (a trivial read through the
//! [`Directory`]); the binary registers a [`HealthProbe`] for each other core part (the SIP
//! user agent, the hotline task) with `DeskHandle::add_health_probe`. Each probe gets
//! `PROBE_TIMEOUT`; one that does not answer in time counts as dead. The answer names
//! each part, so a load balancer or `systemd` watchdog script needs only the status, and a
//! person can see which part failed. No authentication: it tells nothing private.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Map, Value};

use crate::directory::Directory;

/// The most one probe may take before it counts as dead.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// One part of the server whose liveness `/healthz` reports.
pub trait HealthProbe: Send + Sync + 'static {
    /// The part's name as `/healthz` lists it (e.g. `"sip"`).
    fn name(&self) -> &'static str;

    /// Resolves to whether the part is alive now.
    fn alive(&self) -> Pin<Box<dyn Future<Output = bool> + Send + '_>>;
}

/// The registered probes.
#[derive(Default)]
pub(crate) struct HealthBoard {
    probes: Mutex<Vec<Arc<dyn HealthProbe>>>,
}

impl HealthBoard {
    pub(crate) fn add(&self, probe: Arc<dyn HealthProbe>) {
        self.probes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(probe);
    }

    /// Checks every part; true when all are alive, with each part's state by name.
    pub(crate) async fn check(&self, directory: Arc<dyn Directory>) -> (bool, Map<String, Value>) {
        let mut parts = Map::new();
        parts.insert("desk".into(), Value::Bool(true));
        let store = tokio::time::timeout(
            PROBE_TIMEOUT,
            tokio::task::spawn_blocking(move || directory.ping()),
        )
        .await;
        let store_ok = matches!(store, Ok(Ok(Ok(()))));
        if !store_ok {
            tracing::warn!("health: the database did not answer");
        }
        parts.insert("store".into(), Value::Bool(store_ok));
        let probes: Vec<Arc<dyn HealthProbe>> = self
            .probes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        for p in probes {
            let ok = tokio::time::timeout(PROBE_TIMEOUT, p.alive())
                .await
                .unwrap_or(false);
            if !ok {
                tracing::warn!(part = p.name(), "health: part not alive");
            }
            parts.insert(p.name().into(), Value::Bool(ok));
        }
        let all = parts.values().all(|v| v == &Value::Bool(true));
        (all, parts)
    }
}

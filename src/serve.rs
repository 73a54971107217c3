//! `lianxin serve`: runs the server until Ctrl-C / SIGTERM.
//!
//! Today it opens the database and waits; the SIP, media and console drivers are started
//! here as their issues land (each gets the [`Store`] handle and the one shutdown signal).

use crate::config::Config;
use lianxin_store::Store;

/// Runs the server with an open store until a shutdown signal arrives.
pub async fn run(store: Store, config: &Config) -> anyhow::Result<()> {
    let counts = store.counts()?;
    tracing::info!(
        db = %store.path().display(),
        households = counts.households,
        residents = counts.residents,
        sip = %config.sip_listen,
        http = %config.http_listen,
        "lianxin serving (database only so far); press Ctrl-C to stop"
    );
    eprintln!(
        "lianxin: database {} open ({} households, {} residents). Press Ctrl-C to stop.",
        store.path().display(),
        counts.households,
        counts.residents
    );
    shutdown_signal().await;
    tracing::info!("shutting down");
    eprintln!("lianxin: stopped");
    Ok(())
}

/// Resolves on Ctrl-C or (on Unix) SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}

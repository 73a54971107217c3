//! The state every HTTP handler and console task shares: settings, the directory, the
//! session table, the hub, and the sender of commands to the hotline.
//!
//! Built once by `Desk::start` and handed to the router as axum state; handlers and socket
//! tasks read it, none of them builds it.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use crate::config::DeskConfig;
use crate::directory::Directory;
use crate::event::DeskCommand;
use crate::hub::Hub;
use crate::session::Sessions;

/// Shared state of every request handler and console task.
pub(crate) struct App {
    pub(crate) cfg: DeskConfig,
    pub(crate) directory: Arc<dyn Directory>,
    pub(crate) sessions: Sessions,
    pub(crate) hub: Arc<Hub>,
    commands: mpsc::Sender<DeskCommand>,
}

impl App {
    /// The state of a desk started with `cfg`; a fresh, empty session table.
    pub(crate) fn new(
        cfg: DeskConfig,
        directory: Arc<dyn Directory>,
        hub: Arc<Hub>,
        commands: mpsc::Sender<DeskCommand>,
    ) -> App {
        App {
            sessions: Sessions::new(cfg.session_ttl, cfg.max_sessions),
            cfg,
            directory,
            hub,
            commands,
        }
    }

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

//! The state every HTTP handler and console task shares: settings, the directory, the
//! session and ticket tables, the log-in throttle and password-check threads, the health
//! probes, the hub, and the sender of commands to the hotline.
//!
//! Built once by `Desk::start` and handed to the router as axum state; handlers and socket
//! tasks read it, none of them builds it.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tokio::sync::mpsc;

use crate::checker::PasswordChecker;
use crate::config::DeskConfig;
use crate::directory::Directory;
use crate::event::DeskCommand;
use crate::health::HealthBoard;
use crate::hub::Hub;
use crate::notice_api::Uploads;
use crate::prompt_control::PromptControl;
use crate::session::Sessions;
use crate::throttle::LoginThrottle;
use crate::ticket::Tickets;

/// Shared state of every request handler and console task.
pub(crate) struct App {
    pub(crate) cfg: DeskConfig,
    pub(crate) directory: Arc<dyn Directory>,
    pub(crate) sessions: Sessions,
    pub(crate) tickets: Tickets,
    pub(crate) throttle: LoginThrottle,
    pub(crate) checker: PasswordChecker,
    pub(crate) health: Arc<HealthBoard>,
    pub(crate) hub: Arc<Hub>,
    /// Notice uploads being read (bounded).
    pub(crate) uploads: Uploads,
    /// The hotline's replaceable prompts, once the server hands them over.
    pub(crate) prompts: Arc<OnceLock<Arc<dyn PromptControl>>>,
    commands: mpsc::Sender<DeskCommand>,
}

impl App {
    /// The state of a desk started with `cfg`: fresh, empty session and ticket tables,
    /// and the password-check threads started.
    pub(crate) fn new(
        cfg: DeskConfig,
        directory: Arc<dyn Directory>,
        hub: Arc<Hub>,
        health: Arc<HealthBoard>,
        commands: mpsc::Sender<DeskCommand>,
    ) -> std::io::Result<App> {
        Ok(App {
            sessions: Sessions::new(cfg.session_ttl, cfg.max_sessions),
            tickets: Tickets::new(cfg.ticket_ttl, cfg.max_sessions),
            throttle: LoginThrottle::new(cfg.login_by_addr, cfg.login_by_user),
            checker: PasswordChecker::start(cfg.password_threads, cfg.password_queue)?,
            health,
            cfg,
            directory,
            hub,
            uploads: Uploads::new(),
            prompts: Arc::new(OnceLock::new()),
            commands,
        })
    }

    /// Ends the sessions of `staff_id` opened under another fingerprint than `current`
    /// (all of them when `None`) and closes their consoles.
    pub(crate) fn revoke_stale(&self, staff_id: i64, current: Option<&str>) {
        let tokens = self.sessions.revoke_stale(staff_id, current);
        if tokens.is_empty() {
            return;
        }
        for t in &tokens {
            self.hub.kick_token(t);
        }
        tracing::info!(
            staff = staff_id,
            sessions = tokens.len(),
            "sessions ended: the account changed"
        );
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

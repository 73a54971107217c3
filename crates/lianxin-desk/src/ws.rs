//! One console's WebSocket: a writer draining its hub queue and a reader taking commands.
//!
//! The writer sends queued frames (frames queued together go out with one flush) and a
//! ping every `ping_interval`; a write that fails or takes longer than `write_timeout`
//! ends the console. The reader
//! ends it when nothing (not even a pong) arrives within `pong_timeout`. When the hub
//! drops the console (queue full, log-out, shutdown) its `kick` token stops both at once.
//! Frames that carry a `t0` record their latency once written.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{Message, WebSocket};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use tokio::sync::mpsc;
use tokio::time::{timeout, Instant};

use crate::app::App;
use crate::event::{DeskCommand, DisconnectReason};
use crate::hub::{Frame, Refused, Registered};
use crate::protocol::{parse_command, Incoming, Outgoing};
use crate::session::Session;

/// Runs a console until it goes away.
pub(crate) async fn run(socket: WebSocket, app: Arc<App>, session: Session) {
    let staff = session.staff.clone();
    let reg = match app.hub.register(staff.clone(), session.token.clone()) {
        Ok(r) => r,
        Err(refused) => {
            tracing::warn!(staff = staff.id, ?refused, "console refused");
            let mut socket = socket;
            let text = Outgoing::Error {
                field: "ws",
                message: refused_message(refused),
                id: None,
            }
            .encode();
            let _ = timeout(
                Duration::from_secs(1),
                socket.send(Message::Text(text.into())),
            )
            .await;
            let _ = timeout(
                Duration::from_millis(500),
                socket.send(Message::Close(None)),
            )
            .await;
            return;
        }
    };
    tracing::info!(console = reg.id, staff = staff.id, "console connected");
    app.command(DeskCommand::ConsoleConnected {
        staff: (*staff).clone(),
        state: reg.state,
        consoles: reg.consoles,
    })
    .await;

    let Registered {
        id,
        rx,
        kick,
        reason: hub_reason,
        ..
    } = reg;
    let (mut sink, mut stream) = socket.split();
    let ended = tokio::select! {
        r = write_loop(&mut sink, rx, &app) => r,
        r = read_loop(&mut stream, id, &session, &app) => r,
        _ = kick.cancelled() => DisconnectReason::Shutdown,
    };
    let reason = hub_reason.get().copied().unwrap_or(ended);
    if matches!(
        reason,
        DisconnectReason::LoggedOut | DisconnectReason::Shutdown | DisconnectReason::PingTimeout
    ) {
        let _ = timeout(Duration::from_millis(500), sink.send(Message::Close(None))).await;
    }
    let consoles = app.hub.unregister(id, &staff);
    tracing::info!(
        console = id,
        staff = staff.id,
        ?reason,
        "console disconnected"
    );
    app.command(DeskCommand::ConsoleDisconnected {
        staff: (*staff).clone(),
        reason,
        consoles,
    })
    .await;
}

/// What a refused console is told, in Chinese.
pub(crate) fn refused_message(refused: Refused) -> &'static str {
    match refused {
        Refused::Full => "在线控制台过多，请稍后再试",
        Refused::PerStaff => "您已打开的控制台过多，请先关闭其他窗口再试",
    }
}

/// Most frames written before one flush when a console's queue has several waiting.
const BATCH: usize = 32;

async fn write_loop(
    sink: &mut SplitSink<WebSocket, Message>,
    mut rx: mpsc::Receiver<Frame>,
    app: &App,
) -> DisconnectReason {
    let every = app.cfg.ping_interval;
    let mut ping = tokio::time::interval_at(Instant::now() + every, every);
    ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut batch: Vec<Frame> = Vec::with_capacity(BATCH);
    loop {
        tokio::select! {
            f = rx.recv() => match f {
                Some(f) => batch.push(f),
                None => return DisconnectReason::Closed,
            },
            _ = ping.tick() => {
                match timeout(app.cfg.write_timeout, sink.send(Message::Ping(Default::default()))).await {
                    Ok(Ok(())) => continue,
                    _ => return DisconnectReason::WriteFailed,
                }
            }
        }
        // Whatever else is already queued goes out with the same flush.
        while batch.len() < BATCH {
            match rx.try_recv() {
                Ok(f) => batch.push(f),
                Err(_) => break,
            }
        }
        let written = timeout(app.cfg.write_timeout, async {
            for f in &batch {
                sink.feed(Message::Text(f.text.clone())).await?;
            }
            sink.flush().await
        })
        .await;
        match written {
            Ok(Ok(())) => {
                for f in batch.drain(..) {
                    if let Some(t0) = f.t0 {
                        app.hub.latency.record(t0.elapsed());
                    }
                    app.hub
                        .counters
                        .frames_written
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            }
            Ok(Err(e)) => {
                tracing::debug!(error = %e, "console write failed");
                return DisconnectReason::WriteFailed;
            }
            Err(_) => return DisconnectReason::WriteFailed,
        }
    }
}

async fn read_loop(
    stream: &mut SplitStream<WebSocket>,
    console: u64,
    session: &Session,
    app: &App,
) -> DisconnectReason {
    loop {
        let msg = match timeout(app.cfg.pong_timeout, stream.next()).await {
            Err(_) => return DisconnectReason::PingTimeout,
            Ok(None) | Ok(Some(Err(_))) => return DisconnectReason::Closed,
            Ok(Some(Ok(msg))) => msg,
        };
        match msg {
            Message::Text(text) => handle_text(text.as_str(), console, session, app).await,
            Message::Binary(_) => app.hub.reply(
                console,
                Outgoing::Error {
                    field: "json",
                    message: "只接受文本格式的 JSON 消息",
                    id: None,
                }
                .encode(),
            ),
            Message::Close(_) => return DisconnectReason::Closed,
            Message::Ping(_) | Message::Pong(_) => {}
        }
    }
}

async fn handle_text(text: &str, console: u64, session: &Session, app: &App) {
    match parse_command(text) {
        Ok(Incoming::Ping { id }) => app
            .hub
            .reply(console, Outgoing::Pong { id: id.as_deref() }.encode()),
        Ok(Incoming::SetState { state, .. }) => {
            let previous = app.hub.set_state(&session.staff, state);
            app.command(DeskCommand::SetState {
                staff: (*session.staff).clone(),
                state,
                previous,
            })
            .await;
        }
        Err(e) => app.hub.reply(
            console,
            Outgoing::Error {
                field: e.field,
                message: e.message,
                id: e.id.as_deref(),
            }
            .encode(),
        ),
    }
}

//! TCP connections: one reader task and one writer task per connection.
//!
//! The reader frames the byte stream with the SIP crate's `Framer` (Content-Length) and
//! hands whole messages to the UA task over a bounded channel (so a fast peer waits on its
//! own socket, not on our memory); the writer drains a bounded queue of outgoing messages.
//! A framing error desynchronizes the stream, so the connection is closed.

use std::net::SocketAddr;
use std::time::Duration;

use lianxin_sip::wire::Framer;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use tokio::sync::{mpsc, watch, OwnedSemaphorePermit, Semaphore};
use tracing::debug;

/// Most messages queued for one connection's writer.
const WRITE_QUEUE: usize = 256;
/// Most connections at once (accepted and opened); beyond, new ones are closed at once.
const MAX_CONNECTIONS: usize = 4096;
/// Connect timeout for outbound connections.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// What connection tasks tell the UA task.
#[derive(Debug)]
pub(crate) enum TcpIn {
    /// A connection is up; queue outgoing messages on `writer`.
    Opened {
        peer: SocketAddr,
        writer: mpsc::Sender<Vec<u8>>,
    },
    /// One whole SIP message.
    Message { peer: SocketAddr, bytes: Vec<u8> },
    /// The connection is gone (or never came up).
    Closed { peer: SocketAddr },
}

/// Accepts connections until `stop` flips.
pub(crate) async fn accept_loop(
    listener: TcpListener,
    tx: mpsc::Sender<TcpIn>,
    mut stop: watch::Receiver<bool>,
    slots: Arc<Semaphore>,
) {
    loop {
        tokio::select! {
            _ = stop.changed() => return,
            r = listener.accept() => match r {
                Ok((stream, peer)) => {
                    let Ok(permit) = slots.clone().try_acquire_owned() else {
                        debug!(%peer, "too many tcp connections, closing the new one");
                        continue;
                    };
                    let _ = stream.set_nodelay(true);
                    run_connection(stream, peer, tx.clone(), stop.clone(), permit);
                }
                Err(e) => {
                    debug!(error = %e, "tcp accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    }
}

/// Opens an outbound connection; reports `Closed` if it cannot.
pub(crate) fn connect(
    peer: SocketAddr,
    tx: mpsc::Sender<TcpIn>,
    stop: watch::Receiver<bool>,
    slots: Arc<Semaphore>,
) {
    tokio::spawn(async move {
        let Ok(permit) = slots.try_acquire_owned() else {
            debug!(%peer, "too many tcp connections, not connecting");
            let _ = tx.send(TcpIn::Closed { peer }).await;
            return;
        };
        match tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(peer)).await {
            Ok(Ok(stream)) => {
                let _ = stream.set_nodelay(true);
                run_connection(stream, peer, tx, stop, permit);
            }
            Ok(Err(e)) => {
                debug!(%peer, error = %e, "tcp connect failed");
                let _ = tx.send(TcpIn::Closed { peer }).await;
            }
            Err(_) => {
                debug!(%peer, "tcp connect timed out");
                let _ = tx.send(TcpIn::Closed { peer }).await;
            }
        }
    });
}

fn run_connection(
    stream: TcpStream,
    peer: SocketAddr,
    tx: mpsc::Sender<TcpIn>,
    mut stop: watch::Receiver<bool>,
    permit: OwnedSemaphorePermit,
) {
    let (mut rd, mut wr) = stream.into_split();
    let (wtx, mut wrx) = mpsc::channel::<Vec<u8>>(WRITE_QUEUE);
    tokio::spawn(async move {
        while let Some(msg) = wrx.recv().await {
            if let Err(e) = wr.write_all(&msg).await {
                debug!(%peer, error = %e, "tcp write failed");
                break;
            }
        }
    });
    tokio::spawn(async move {
        if tx.send(TcpIn::Opened { peer, writer: wtx }).await.is_err() {
            return;
        }
        let mut framer = Framer::new();
        let mut buf = vec![0u8; 16 * 1024];
        'read: loop {
            let n = tokio::select! {
                _ = stop.changed() => break 'read,
                r = rd.read(&mut buf) => match r {
                    Ok(0) | Err(_) => break 'read,
                    Ok(n) => n,
                },
            };
            framer.push(&buf[..n]);
            loop {
                match framer.pop() {
                    Ok(Some(bytes)) => {
                        if tx.send(TcpIn::Message { peer, bytes }).await.is_err() {
                            return;
                        }
                    }
                    Ok(None) => break,
                    Err(e) => {
                        debug!(%peer, error = %e, "tcp framing error, closing");
                        break 'read;
                    }
                }
            }
        }
        let _ = tx.send(TcpIn::Closed { peer }).await;
        drop(permit);
    });
}

/// The shared connection budget.
pub(crate) fn slots() -> Arc<Semaphore> {
    Arc::new(Semaphore::new(MAX_CONNECTIONS))
}

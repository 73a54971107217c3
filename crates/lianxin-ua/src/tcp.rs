//! TCP connections: one reader task and one writer task per connection.
//!
//! The reader frames the byte stream with the SIP crate's `Framer` (Content-Length) and
//! hands whole messages to the UA task over a bounded channel (so a fast peer waits on its
//! own socket, not on our memory); the writer drains a bounded queue of outgoing messages.
//! A framing error desynchronizes the stream, so the connection is closed.
//!
//! Descriptors are a budget (issue 10, point 6: 4,100 idle connections from one host were
//! all kept): [`TcpLimits`] caps connections in total and per source address (trusted
//! sources — the trunk, a proxy in front — are not capped per source); beyond either, a
//! new connection is closed at once. The UA task closes connections idle longer than
//! `UaConfig::tcp_idle_timeout` that carry no registration and no call
//! ([`crate::idle`]), by dropping their writer: the writer task then ends and tells the
//! reader to stop. Running out of descriptors at `accept` is logged as such.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lianxin_sip::wire::Framer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use tokio::sync::{mpsc, watch, OwnedSemaphorePermit, Semaphore};
use tracing::{debug, warn};

/// Most messages queued for one connection's writer.
const WRITE_QUEUE: usize = 256;
/// How often, at most, "out of file descriptors" is logged.
const EMFILE_LOG_EVERY: Duration = Duration::from_secs(10);
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

/// Connections open per source address, shared by the accept loop and the connections.
type PerSource = Arc<Mutex<HashMap<IpAddr, usize>>>;

/// The connection budget: a total (semaphore) and a count per source address.
#[derive(Debug, Clone)]
pub(crate) struct TcpLimits {
    total: Arc<Semaphore>,
    per_source: PerSource,
    max_per_source: usize,
    trusted: Arc<[IpAddr]>,
}

/// One connection's share of the budget, given back when dropped.
#[derive(Debug)]
pub(crate) struct Slot {
    _permit: OwnedSemaphorePermit,
    source: Option<(IpAddr, PerSource)>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Some((ip, map)) = self.source.take() {
            let mut m = map.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(n) = m.get_mut(&ip) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    m.remove(&ip);
                }
            }
        }
    }
}

impl TcpLimits {
    /// `total` connections at most, `max_per_source` from one address unless `trusted`.
    pub(crate) fn new(total: usize, max_per_source: usize, trusted: Vec<IpAddr>) -> TcpLimits {
        TcpLimits {
            total: Arc::new(Semaphore::new(total.max(1))),
            per_source: Arc::new(Mutex::new(HashMap::new())),
            max_per_source,
            trusted: trusted.into(),
        }
    }

    /// A slot for a connection with `peer`, or `None` over a cap. Outbound connections
    /// (we chose the peer) count only against the total.
    pub(crate) fn take(&self, peer: IpAddr, inbound: bool) -> Option<Slot> {
        let permit = self.total.clone().try_acquire_owned().ok()?;
        if !inbound || self.trusted.contains(&peer) {
            return Some(Slot {
                _permit: permit,
                source: None,
            });
        }
        let mut m = self.per_source.lock().unwrap_or_else(|p| p.into_inner());
        let n = m.entry(peer).or_insert(0);
        if *n >= self.max_per_source {
            return None;
        }
        *n += 1;
        Some(Slot {
            _permit: permit,
            source: Some((peer, self.per_source.clone())),
        })
    }
}

/// Accepts connections until `stop` flips.
pub(crate) async fn accept_loop(
    listener: TcpListener,
    tx: mpsc::Sender<TcpIn>,
    mut stop: watch::Receiver<bool>,
    limits: TcpLimits,
) {
    let mut emfile_logged: Option<std::time::Instant> = None;
    let mut refused: u64 = 0;
    loop {
        tokio::select! {
            _ = stop.changed() => return,
            r = listener.accept() => match r {
                Ok((stream, peer)) => {
                    let Some(slot) = limits.take(peer.ip(), true) else {
                        refused += 1;
                        if refused.is_power_of_two() {
                            warn!(%peer, refused, "tcp connection cap (total or per source) reached, closing new connections");
                        }
                        continue;
                    };
                    let _ = stream.set_nodelay(true);
                    run_connection(stream, peer, tx.clone(), stop.clone(), slot);
                }
                Err(e) => {
                    // EMFILE (24) / ENFILE (23): the process or system is out of descriptors.
                    if matches!(e.raw_os_error(), Some(23 | 24)) {
                        let now = std::time::Instant::from(tokio::time::Instant::now());
                        if emfile_logged.is_none_or(|t| now.saturating_duration_since(t) >= EMFILE_LOG_EVERY) {
                            emfile_logged = Some(now);
                            warn!(error = %e, "out of file descriptors: cannot accept SIP TCP connections (raise LimitNOFILE)");
                        }
                    } else {
                        debug!(error = %e, "tcp accept failed");
                    }
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
    limits: TcpLimits,
) {
    tokio::spawn(async move {
        let Some(permit) = limits.take(peer.ip(), false) else {
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
    permit: Slot,
) {
    let (mut rd, mut wr) = stream.into_split();
    let (wtx, mut wrx) = mpsc::channel::<Vec<u8>>(WRITE_QUEUE);
    // The writer ends when the UA task drops the sender (idle, shutdown) or a write
    // fails; dropping `done` then stops the reader, which closes the connection.
    let (done, mut writer_gone) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        while let Some(msg) = wrx.recv().await {
            if let Err(e) = wr.write_all(&msg).await {
                debug!(%peer, error = %e, "tcp write failed");
                break;
            }
        }
        drop(done);
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
                _ = &mut writer_gone => break 'read,
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

//! The consoles' HTTP listener: who may hold a connection, how many, and for how long.
//!
//! Why not `axum::serve`: it keeps every accepted connection for as long as the client
//! likes (it sets no header-read timer) and caps nothing, so 2,000 half-sent requests
//! from one host stayed open and took descriptors SIP and RTP needed (issue 10, point 6).
//! Here:
//!
//! - **Caps.** At most `max_total` connections at once and `max_per_source` from one
//!   address (WebSocket consoles count for as long as they are open). Beyond either, the
//!   connection gets a short `503` (best effort, never waited for) and is closed.
//! - **Header-read timeout, which is also the keep-alive idle limit.** A request's head
//!   must arrive whole within `header_timeout` of the connection opening or of the
//!   previous answer (hyper's header-read timer restarts when it waits for the next
//!   request), else the connection is closed. Bodies are bounded by the handlers' size
//!   limits; a WebSocket, once upgraded, has its own ping/pong timeout.
//!
//! Each connection is served by hyper's HTTP/1.1 connection driver with upgrades (for
//! the WebSocket), the peer's address put where axum's `ConnectInfo` extractor finds it.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

/// Limits on the desk's HTTP connections (see the module doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ConnectionLimits {
    /// Most connections at once (HTTP and WebSocket).
    pub(crate) max_total: usize,
    /// Most connections from one source address.
    pub(crate) max_per_source: usize,
    /// A request head must arrive within this long of the connection opening or the
    /// previous answer.
    pub(crate) header_timeout: Duration,
}

/// How long a connection still serving its last request may take after shutdown.
const DRAIN: Duration = Duration::from_secs(5);
/// Refusals are logged at most this often (an attack would otherwise flood the log).
const REFUSAL_LOG_EVERY: Duration = Duration::from_secs(10);

/// Accepts and serves connections until `stop` is cancelled.
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    stop: CancellationToken,
) {
    let slots = Arc::new(Slots::new(limits));
    loop {
        let accepted = tokio::select! {
            _ = stop.cancelled() => break,
            a = listener.accept() => a,
        };
        let (stream, remote) = match accepted {
            Ok(a) => a,
            Err(e) => {
                // Out of descriptors, or the peer gave up before we accepted: wait a
                // little so the loop does not spin, and go on.
                tracing::warn!(error = %e, "desk: cannot accept a connection");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let slot = match slots.take(remote.ip()) {
            Ok(slot) => slot,
            Err(refusal) => {
                slots.log_refusal(refusal, remote.ip());
                refuse(stream);
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let io = Counted {
            io: stream,
            _slot: slot,
        };
        tokio::spawn(serve_connection(
            io,
            remote,
            router.clone(),
            limits.header_timeout,
            stop.clone(),
        ));
    }
}

/// Serves one connection; after `stop`, lets its current request finish (at most
/// [`DRAIN`]).
async fn serve_connection(
    io: Counted,
    remote: SocketAddr,
    router: Router,
    header_timeout: Duration,
    stop: CancellationToken,
) {
    let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
        req.extensions_mut().insert(ConnectInfo(remote));
        let mut router = router.clone();
        tower_service::Service::call(&mut router, req)
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout);
    let conn = builder
        .serve_connection(TokioIo::new(io), service)
        .with_upgrades();
    tokio::pin!(conn);
    tokio::select! {
        served = conn.as_mut() => {
            if let Err(e) = served {
                tracing::debug!(%remote, error = %e, "desk: connection ended");
            }
            return;
        }
        _ = stop.cancelled() => {}
    }
    conn.as_mut().graceful_shutdown();
    let _ = tokio::time::timeout(DRAIN, conn).await;
}

/// A short answer to a connection over a cap, written only if the socket takes it at
/// once; then the connection is closed.
fn refuse(stream: TcpStream) {
    let _ = stream.try_write(
        b"HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nRetry-After: 5\r\nContent-Length: 0\r\n\r\n",
    );
}

/// Which cap refused a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    Total,
    PerSource,
}

/// The connection counts, in total and by source address.
struct Slots {
    limits: ConnectionLimits,
    inner: Mutex<Counts>,
}

#[derive(Default)]
struct Counts {
    total: usize,
    by_source: HashMap<IpAddr, usize>,
    refused: u64,
    last_logged: Option<Instant>,
}

impl Slots {
    fn new(limits: ConnectionLimits) -> Slots {
        Slots {
            limits,
            inner: Mutex::new(Counts::default()),
        }
    }

    fn counts(&self) -> std::sync::MutexGuard<'_, Counts> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn take(self: &Arc<Self>, ip: IpAddr) -> Result<Slot, Refusal> {
        let mut c = self.counts();
        if c.total >= self.limits.max_total {
            c.refused += 1;
            return Err(Refusal::Total);
        }
        let mine = c.by_source.get(&ip).copied().unwrap_or(0);
        if mine >= self.limits.max_per_source {
            c.refused += 1;
            return Err(Refusal::PerSource);
        }
        c.total += 1;
        c.by_source.insert(ip, mine + 1);
        Ok(Slot {
            slots: self.clone(),
            ip,
        })
    }

    fn give_back(&self, ip: IpAddr) {
        let mut c = self.counts();
        c.total = c.total.saturating_sub(1);
        if let Some(n) = c.by_source.get_mut(&ip) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                c.by_source.remove(&ip);
            }
        }
    }

    #[allow(clippy::disallowed_methods)] // the log's own rate limit reads the clock
    fn log_refusal(&self, refusal: Refusal, ip: IpAddr) {
        let mut c = self.counts();
        let now = Instant::now();
        if c.last_logged
            .is_some_and(|t| now.duration_since(t) < REFUSAL_LOG_EVERY)
        {
            return;
        }
        c.last_logged = Some(now);
        let (refused, total) = (c.refused, c.total);
        drop(c);
        match refusal {
            Refusal::Total => tracing::warn!(
                max = self.limits.max_total,
                refused,
                "desk: HTTP connection cap reached; new connections refused"
            ),
            Refusal::PerSource => tracing::warn!(
                source = %ip,
                max = self.limits.max_per_source,
                open = total,
                refused,
                "desk: too many HTTP connections from one address; refused"
            ),
        }
    }
}

/// One connection's place in the counts, given back when the connection is dropped
/// (also after a WebSocket upgrade: the upgraded socket owns it).
struct Slot {
    slots: Arc<Slots>,
    ip: IpAddr,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.slots.give_back(self.ip);
    }
}

/// A TCP stream holding its [`Slot`].
struct Counted {
    io: TcpStream,
    _slot: Slot,
}

impl AsyncRead for Counted {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_read(cx, buf)
    }
}

impl AsyncWrite for Counted {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(total: usize, per_source: usize) -> ConnectionLimits {
        ConnectionLimits {
            max_total: total,
            max_per_source: per_source,
            header_timeout: Duration::from_secs(1),
        }
    }

    #[test]
    fn per_source_and_total_caps_hold_and_slots_come_back() {
        let slots = Arc::new(Slots::new(limits(3, 2)));
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        let a1 = slots.take(a).unwrap();
        let _a2 = slots.take(a).unwrap();
        assert_eq!(slots.take(a).err(), Some(Refusal::PerSource));
        let _b1 = slots.take(b).unwrap();
        assert_eq!(slots.take(b).err(), Some(Refusal::Total));
        drop(a1);
        let _b2 = slots.take(b).unwrap();
        assert_eq!(slots.counts().total, 3);
    }

    #[test]
    fn an_address_with_no_connection_left_is_forgotten() {
        let slots = Arc::new(Slots::new(limits(10, 10)));
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        drop(slots.take(a).unwrap());
        assert!(slots.counts().by_source.is_empty());
        assert_eq!(slots.counts().total, 0);
    }
}

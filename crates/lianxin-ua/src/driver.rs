//! The UA task: owns the endpoint, the registrar and the sockets; no protocol logic.
//!
//! Loop: wait for a datagram, a TCP message, a command, room in the event queue or the
//! earliest deadline; feed it in; then drain `poll_transmit` and `poll_event` until both
//! are empty. Events go to a local queue first and to the owner's bounded channel as room
//! allows, so the task never waits on its owner (who may be waiting on a command answer).
//! Events of outbound calls go to each call's own channel instead ([`crate::route`]),
//! also without waiting; a call whose owner dropped its receiver is hung up here.

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use lianxin_sip::registrar::{
    RegisterClient, RegisterClientConfig, Registrar, RegistrarConfig, RegistrationState,
};
use lianxin_sip::wire::{self, Header, Method};
use lianxin_sip::{
    CallHandle, Endpoint, EndpointConfig, Event, RequestHandle, Transmit, Transport,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::{mpsc, watch};
use tracing::{debug, info, info_span, warn};

use crate::admission::Admission;
use crate::idle::IdleTracker;
use crate::ratelimit::{classify, RateLimiter, Verdict};
use crate::route::{Route, Routes};
use crate::tcp::{self, TcpIn, TcpLimits};
use crate::{
    CallEvent, Command, Contact, EndReason, IncomingCall, OutboundCall, SharedCredentials,
    TrunkState, UaConfig, UaError, UaEvent, UaStats,
};

/// How often lapsed registrations are swept.
const EXPIRE_EVERY: Duration = Duration::from_secs(10);
/// Datagrams read per wake-up before the outputs are drained.
const RECV_BATCH: usize = 64;
/// Capacity of the channel from TCP connection tasks.
const TCP_IN_CAPACITY: usize = 1024;
/// Most messages waiting for an outbound TCP connection to come up.
const CONNECT_BACKLOG: usize = 64;

/// The driver reads the clock; the SIP core only receives it.
fn now() -> Instant {
    tokio::time::Instant::now().into_std()
}

/// Socket buffer asked for the UDP socket: a burst of a few thousand messages must not
/// overflow the kernel's default (~200 kB) while the task is busy (capped by
/// `net.core.rmem_max` / `wmem_max`).
const UDP_BUFFER: usize = 4 * 1024 * 1024;

fn bind_udp(addr: SocketAddr) -> std::io::Result<UdpSocket> {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
    if let Err(e) = socket.set_recv_buffer_size(UDP_BUFFER) {
        debug!(error = %e, "cannot enlarge UDP receive buffer");
    }
    if let Err(e) = socket.set_send_buffer_size(UDP_BUFFER) {
        debug!(error = %e, "cannot enlarge UDP send buffer");
    }
    socket.bind(&addr.into())?;
    socket.set_nonblocking(true)?;
    UdpSocket::from_std(socket.into())
}

/// The address to advertise in Via/Contact/SDP for a socket bound to `bound`: itself,
/// or for a wildcard the address of the interface holding the default route (no packet
/// is sent), else loopback with a warning (set `UaConfig::contact_host`).
pub(crate) fn advertised_ip(bound: IpAddr) -> IpAddr {
    if !bound.is_unspecified() {
        return bound;
    }
    let probe = std::net::UdpSocket::bind((bound, 0))
        .and_then(|s| s.connect(("192.0.2.1", 9)).map(|()| s))
        .and_then(|s| s.local_addr());
    match probe {
        Ok(a) if !a.ip().is_unspecified() => a.ip(),
        _ => {
            warn!("cannot tell the local address; advertising 127.0.0.1 (set contact_host)");
            IpAddr::from([127, 0, 0, 1])
        }
    }
}

/// Attempts at finding a port free for both UDP and TCP when port 0 is asked.
const BIND_ATTEMPTS: usize = 16;

/// Binds UDP, and TCP on the same port unless disabled. For port 0 the kernel picks the
/// UDP port, which may be taken on TCP: then another UDP port is tried.
async fn bind(config: &UaConfig) -> Result<(UdpSocket, Option<TcpListener>, SocketAddr), UaError> {
    let bind_err = |addr, source| UaError::Bind { addr, source };
    let mut attempt = 0;
    loop {
        attempt += 1;
        let udp = bind_udp(config.listen).map_err(|e| bind_err(config.listen, e))?;
        let local = udp.local_addr().map_err(|e| bind_err(config.listen, e))?;
        if !config.tcp {
            return Ok((udp, None, local));
        }
        match TcpListener::bind(local).await {
            Ok(listener) => return Ok((udp, Some(listener), local)),
            Err(e)
                if e.kind() == std::io::ErrorKind::AddrInUse
                    && config.listen.port() == 0
                    && attempt < BIND_ATTEMPTS =>
            {
                debug!(port = local.port(), "UDP port taken on TCP; trying another");
            }
            Err(e) => return Err(bind_err(local, e)),
        }
    }
}

/// Binds the sockets and spawns the task; returns the bound address and the contact host.
pub(crate) async fn spawn(
    config: UaConfig,
    credentials: SharedCredentials,
    commands: mpsc::Receiver<Command>,
    events: mpsc::Sender<UaEvent>,
) -> Result<(SocketAddr, String), UaError> {
    let (udp, listener, local) = bind(&config).await?;
    let (stop_tx, stop_rx) = watch::channel(false);
    let (tcp_tx, tcp_rx) = mpsc::channel(TCP_IN_CAPACITY);
    // The trunk carries every hotline call from one address: never rate-limit it.
    let mut limits = config.rate_limit.clone();
    if let Some(t) = &config.trunk {
        limits.exempt.push(t.destination.ip());
    }
    let tcp_slots = TcpLimits::new(
        config.tcp_max_connections,
        config.tcp_max_per_source,
        limits.exempt.clone(),
    );
    if let Some(listener) = listener {
        tokio::spawn(tcp::accept_loop(
            listener,
            tcp_tx.clone(),
            stop_rx.clone(),
            tcp_slots.clone(),
        ));
    }

    let seed = config.seed.unwrap_or_else(rand::random);
    let mut rng = StdRng::seed_from_u64(seed);
    let contact_host = config
        .contact_host
        .clone()
        .unwrap_or_else(|| advertised_ip(local.ip()).to_string());
    let endpoint = Endpoint::new(EndpointConfig {
        seed: rng.random(),
        user_agent: config.user_agent.clone(),
        contact_host: contact_host.clone(),
        contact_port: local.port(),
        max_transactions: config.max_transactions,
        ack_wait: Some(config.ack_timeout),
        ..EndpointConfig::default()
    });
    let start = now();
    let registrar = Registrar::new(
        RegistrarConfig {
            realm: config.realm.clone(),
            secret: rng.random(),
            ..RegistrarConfig::default()
        },
        start,
    );
    let trunk = config.trunk.as_ref().map(|t| {
        RegisterClient::new(RegisterClientConfig {
            registrar: format!("sip:{}", t.domain),
            aor: format!("sip:{}@{}", t.credentials.username, t.domain),
            destination: t.destination,
            transport: t.transport,
            credentials: Some(t.credentials.clone()),
            expires: u32::try_from(t.expires.as_secs()).unwrap_or(u32::MAX),
            retry_after: t.retry_after,
        })
    });
    let admission = Admission::new(
        config.accept_from.clone(),
        limits.exempt.clone(),
        config.max_calls_per_source,
    );
    let (routes, dropped) = Routes::new(config.call_event_capacity);
    let idle_timeout = config.tcp_idle_timeout;
    let driver = Driver {
        admission,
        limiter: RateLimiter::new(limits),
        routes,
        pending: VecDeque::new(),
        event_capacity: config.event_capacity.max(1),
        config,
        endpoint,
        registrar,
        credentials,
        rng,
        udp: Arc::new(udp),
        local,
        tcp_tx,
        tcp_slots,
        idle: IdleTracker::new(idle_timeout),
        conns: HashMap::new(),
        connecting: HashMap::new(),
        stop: stop_tx,
        stop_rx,
        trunk,
        trunk_request: None,
        trunk_state: None,
        next_expire: start + EXPIRE_EVERY,
        last_input: start,
        stats: UaStats::default(),
    };
    tokio::spawn(driver.run(commands, events, tcp_rx, dropped));
    Ok((local, contact_host))
}

struct Driver {
    config: UaConfig,
    admission: Admission,
    endpoint: Endpoint,
    registrar: Registrar,
    credentials: SharedCredentials,
    limiter: RateLimiter,
    rng: StdRng,
    udp: Arc<UdpSocket>,
    local: SocketAddr,
    tcp_tx: mpsc::Sender<TcpIn>,
    tcp_slots: TcpLimits,
    /// Last activity of each TCP connection, for the idle timeout.
    idle: IdleTracker,
    conns: HashMap<SocketAddr, mpsc::Sender<Vec<u8>>>,
    connecting: HashMap<SocketAddr, Vec<Vec<u8>>>,
    stop: watch::Sender<bool>,
    stop_rx: watch::Receiver<bool>,
    trunk: Option<RegisterClient>,
    trunk_request: Option<RequestHandle>,
    trunk_state: Option<TrunkState>,
    pending: VecDeque<UaEvent>,
    event_capacity: usize,
    /// Where the events of outbound calls go.
    routes: Routes,
    next_expire: Instant,
    /// When the message being processed was read from its socket.
    last_input: Instant,
    stats: UaStats,
}

impl Driver {
    async fn run(
        mut self,
        mut commands: mpsc::Receiver<Command>,
        events: mpsc::Sender<UaEvent>,
        mut tcp_rx: mpsc::Receiver<TcpIn>,
        mut dropped: mpsc::Receiver<CallHandle>,
    ) {
        let udp = self.udp.clone();
        let mut buf = vec![0u8; 65_536];
        let sleep = tokio::time::sleep_until(now().into());
        tokio::pin!(sleep);
        self.drain(now()).await;
        loop {
            self.flush(&events);
            sleep.as_mut().reset(self.deadline().into());
            let has_pending = !self.pending.is_empty();
            // Order matters under a flood: commands and due timers first, then TCP and
            // the event queue, then UDP (a constantly readable socket must not starve
            // retransmission timers or TCP callers).
            tokio::select! {
                biased;
                cmd = commands.recv() => match cmd {
                    None | Some(Command::Shutdown) => break,
                    Some(cmd) => self.command(now(), cmd),
                },
                _ = &mut sleep => self.timeout(now()),
                Some(call) = dropped.recv() => self.abandon(now(), call),
                Some(m) = tcp_rx.recv() => self.tcp_in(now(), m),
                permit = events.reserve(), if has_pending => match permit {
                    Ok(permit) => {
                        if let Some(e) = self.pending.pop_front() {
                            permit.send(e);
                        }
                    }
                    // The owner is gone: keep serving SIP (calls end by timers), drop events.
                    Err(_) => self.pending.clear(),
                },
                r = udp.recv_from(&mut buf) => {
                    match r {
                        Ok((n, src)) => self.message(now(), Transport::Udp, src, &buf[..n]),
                        // Linux reports ICMP port-unreachable of an earlier send here.
                        Err(e) => debug!(error = %e, "udp receive error"),
                    }
                    for _ in 0..RECV_BATCH {
                        match udp.try_recv_from(&mut buf) {
                            Ok((n, src)) => self.message(now(), Transport::Udp, src, &buf[..n]),
                            Err(_) => break,
                        }
                    }
                }
            }
            self.drain(now()).await;
        }
        let _ = self.stop.send(true);
        info!("SIP user agent stopped");
    }

    /// Hands queued events to the owner as far as the channel has room.
    fn flush(&mut self, events: &mpsc::Sender<UaEvent>) {
        while let Some(e) = self.pending.pop_front() {
            match events.try_send(e) {
                Ok(()) => {}
                Err(mpsc::error::TrySendError::Full(e)) => {
                    self.pending.push_front(e);
                    return;
                }
                Err(mpsc::error::TrySendError::Closed(_)) => {
                    self.pending.clear();
                    return;
                }
            }
        }
    }

    fn deadline(&mut self) -> Instant {
        let mut d = self.next_expire;
        if let Some(t) = self.endpoint.poll_timeout() {
            d = d.min(t);
        }
        if let Some(t) = self.trunk.as_ref().and_then(RegisterClient::poll_timeout) {
            d = d.min(t);
        }
        if let Some(t) = self.idle.poll_timeout() {
            d = d.min(t);
        }
        d
    }

    fn timeout(&mut self, now: Instant) {
        self.endpoint.handle_timeout(now);
        self.close_idle(now);
        if now >= self.next_expire {
            self.registrar.expire(now);
            self.next_expire = now + EXPIRE_EVERY;
        }
    }

    fn message(&mut self, now: Instant, transport: Transport, src: SocketAddr, bytes: &[u8]) {
        self.last_input = now;
        let parsed = wire::parse(bytes).ok();
        let known = parsed.as_ref().is_some_and(|m| self.endpoint.knows(m));
        match self
            .limiter
            .check(now, src.ip(), classify(parsed.as_ref(), known))
        {
            Verdict::Admit => match parsed {
                Some(m) => self
                    .endpoint
                    .handle_parsed(now, transport, self.local, src, m),
                None => self
                    .endpoint
                    .handle_message(now, transport, self.local, src, bytes),
            },
            Verdict::Drop => self.stats.rate_limited += 1,
            Verdict::DropAndLog { dropped } => {
                self.stats.rate_limited += 1;
                warn!(source = %src.ip(), dropped, "rate limit: dropping requests from source");
            }
        }
    }

    fn tcp_in(&mut self, now: Instant, m: TcpIn) {
        match m {
            TcpIn::Opened { peer, writer } => {
                debug!(%peer, "tcp connection up");
                for msg in self.connecting.remove(&peer).unwrap_or_default() {
                    let _ = writer.try_send(msg);
                }
                self.conns.insert(peer, writer);
                self.idle.touch(now, peer);
            }
            TcpIn::Message { peer, bytes } => {
                self.idle.touch(now, peer);
                self.message(now, Transport::Tcp, peer, &bytes)
            }
            TcpIn::Closed { peer } => {
                debug!(%peer, "tcp connection closed");
                self.idle.forget(peer);
                self.conns.remove(&peer);
                self.connecting.remove(&peer);
                // Requests still waiting there are left to timer B/F (32 s). Failing them
                // at once (`Endpoint::handle_transport_error`) is right per RFC 3261
                // §17.1.4, but the hotline's ACD re-offers an instantly failed call to
                // the same operator at once when nobody else is free: a hot loop (14,420
                // offers in 12 s to a killed TCP softphone). Wire it once the ACD backs off.
            }
        }
    }

    /// Closes TCP connections idle past the timeout that carry no registration and no
    /// call (dropping the writer ends both connection tasks); spares the others, and
    /// those with trusted sources (the trunk, which may send calls on the connection our
    /// REGISTER opened; a proxy in front).
    fn close_idle(&mut self, now: Instant) {
        let idle = self.idle.idle(now);
        if idle.is_empty() {
            return;
        }
        let busy: std::collections::HashSet<SocketAddr> = self
            .endpoint
            .call_peers(Transport::Tcp)
            .chain(self.registrar.sources(now, Transport::Tcp))
            .collect();
        for peer in idle {
            let keep = busy.contains(&peer)
                || self.connecting.contains_key(&peer)
                || self.admission.trusts(peer.ip());
            if keep {
                self.idle.touch(now, peer);
            } else if self.conns.remove(&peer).is_some() {
                debug!(%peer, "idle tcp connection closed");
            }
        }
    }

    async fn drain(&mut self, now: Instant) {
        loop {
            if let Some(trunk) = self.trunk.as_mut() {
                while let Some(req) = trunk.poll_request(now) {
                    match self.endpoint.request(now, req) {
                        Ok(h) => self.trunk_request = Some(h),
                        Err(e) => warn!(error = %e, "cannot send trunk REGISTER"),
                    }
                }
            }
            while let Some(t) = self.endpoint.poll_transmit() {
                self.send(t).await;
            }
            let mut any = false;
            while let Some(e) = self.endpoint.poll_event() {
                any = true;
                self.event(now, e);
            }
            if !any {
                break;
            }
        }
    }

    async fn send(&mut self, t: Transmit) {
        match t.transport {
            Transport::Udp => match self.udp.try_send_to(&t.payload, t.destination) {
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    if let Err(e) = self.udp.send_to(&t.payload, t.destination).await {
                        debug!(dest = %t.destination, error = %e, "udp send failed");
                    }
                }
                Err(e) => debug!(dest = %t.destination, error = %e, "udp send failed"),
            },
            Transport::Tcp => {
                if let Some(w) = self.conns.get(&t.destination) {
                    if w.try_send(t.payload).is_err() {
                        warn!(dest = %t.destination, "tcp write queue full, message dropped");
                    }
                } else if let Some(q) = self.connecting.get_mut(&t.destination) {
                    if q.len() < CONNECT_BACKLOG {
                        q.push(t.payload);
                    }
                } else if self.config.tcp {
                    self.connecting.insert(t.destination, vec![t.payload]);
                    tcp::connect(
                        t.destination,
                        self.tcp_tx.clone(),
                        self.stop_rx.clone(),
                        self.tcp_slots.clone(),
                    );
                }
            }
        }
    }

    fn push(&mut self, e: UaEvent) {
        self.pending.push_back(e);
    }

    fn event(&mut self, now: Instant, e: Event) {
        match e {
            Event::IncomingCall {
                call,
                call_id,
                from,
                to,
                pai,
                request_user,
                sdp,
                source,
                transport,
            } => {
                let span = info_span!("call", %call_id);
                let _g = span.enter();
                let known = self.config.numbers.is_empty()
                    || request_user
                        .as_deref()
                        .is_some_and(|u| self.config.numbers.iter().any(|n| n == u));
                if !known {
                    self.stats.unknown_number += 1;
                    debug!(%source, "INVITE to an unknown number: 404");
                    let _ = self.endpoint.reject(now, call, 404, None);
                    return;
                }
                if self.endpoint.calls() > self.config.max_calls
                    || self.pending.len() >= self.event_capacity
                {
                    self.stats.overloaded += 1;
                    warn!(%source, "overloaded: 503");
                    let _ = self.endpoint.reject(now, call, 503, None);
                    return;
                }
                let decision = self.admission.check(
                    source.ip(),
                    || self.registrar.has_source(now, source.ip()),
                    || self.endpoint.incoming_calls_from(source.ip()),
                );
                if let Some(code) = decision.code() {
                    self.stats.refused_source += 1;
                    debug!(%source, code, ?decision, "incoming call refused by admission policy");
                    let _ = self.endpoint.reject(now, call, code, None);
                    return;
                }
                // Caller ID from P-Asserted-Identity only from the trunk or a trusted proxy.
                let pai = pai.filter(|_| self.admission.trusts(source.ip()));
                debug!(%source, ?transport, late_offer = sdp.is_none(), "incoming call");
                self.push(UaEvent::IncomingCall(Box::new(IncomingCall {
                    call,
                    call_id,
                    from,
                    to,
                    pai,
                    number: request_user,
                    sdp,
                    source,
                    transport,
                    received: self.last_input,
                })));
            }
            Event::CallAcked { call, sdp } => self.push(UaEvent::Acked { call, sdp }),
            Event::Reinvite { call, sdp } => match self.routes.route(call) {
                Route::Inbound => self.push(UaEvent::Reinvite { call, sdp }),
                Route::Outbound => self.for_call(now, call, CallEvent::Reinvite { sdp }),
                Route::Abandoned => {
                    let _ = self.endpoint.answer_reinvite(now, call, 488, None);
                }
            },
            Event::ReinviteResult { call, code, sdp } => match self.routes.route(call) {
                Route::Inbound => self.push(UaEvent::ReinviteResult { call, code, sdp }),
                _ => self.for_call(now, call, CallEvent::ReinviteResult { code, sdp }),
            },
            Event::Progress { call, code, sdp } => {
                self.for_call(now, call, CallEvent::Progress { code, sdp })
            }
            Event::Answered { call, sdp } => {
                if self.routes.route(call) == Route::Abandoned {
                    // A 2xx crossed our CANCEL (or came after the owner left): ACK, BYE.
                    self.trace(call, "answered after its owner left: BYE");
                    let _ = self.endpoint.ack(now, call, None);
                    let _ = self.endpoint.bye(now, call);
                } else {
                    self.for_call(now, call, CallEvent::Answered { sdp });
                }
            }
            Event::Failed {
                call,
                code,
                reason,
                retry_after,
            } => self.for_call(
                now,
                call,
                CallEvent::Failed {
                    code,
                    reason,
                    retry_after,
                },
            ),
            Event::Cancelled { call } => {
                self.trace(call, "cancelled by the caller");
                self.push(UaEvent::Terminated {
                    call,
                    reason: EndReason::Cancelled,
                });
            }
            Event::CallTerminated { call, reason } => {
                let reason = EndReason::from(reason);
                match self.routes.route(call) {
                    Route::Inbound => self.push(UaEvent::Terminated { call, reason }),
                    _ => self.for_call(now, call, CallEvent::Terminated { reason }),
                }
            }
            Event::Dtmf { call, digit, .. } => match self.routes.route(call) {
                Route::Inbound => self.push(UaEvent::Dtmf { call, digit }),
                _ => self.for_call(now, call, CallEvent::Dtmf { digit }),
            },
            Event::IncomingRequest {
                request,
                message,
                source,
                transport,
            } => {
                if message.method == Method::Register {
                    let reply = self.registrar.handle_register(
                        now,
                        &message,
                        source,
                        transport,
                        &*self.credentials,
                        self.rng.random(),
                    );
                    debug!(%source, code = reply.code, "REGISTER");
                    let _ = self
                        .endpoint
                        .respond(now, request, reply.code, reply.headers, None);
                    if reply.code == 200 {
                        if let Some(user) = reply.user {
                            let contacts = self.contacts(now, &user);
                            self.push(UaEvent::RegistrationChanged { user, contacts });
                        }
                    }
                } else {
                    let allow =
                        Header::new("Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, INFO");
                    let _ = self.endpoint.respond(now, request, 405, vec![allow], None);
                }
            }
            Event::Response {
                request,
                code,
                message,
            } => {
                if Some(request) == self.trunk_request {
                    self.trunk_request = None;
                    if let Some(trunk) = self.trunk.as_mut() {
                        trunk.handle_response(now, code, message.as_deref());
                        let state = match trunk.state() {
                            RegistrationState::Registered(until) => {
                                Some(TrunkState::Registered(until))
                            }
                            RegistrationState::Failed(code) => Some(TrunkState::Failed(code)),
                            _ => None,
                        };
                        if state.is_some() && state != self.trunk_state {
                            info!(?state, "trunk registration");
                            self.trunk_state = state;
                            if let Some(s) = state {
                                self.push(UaEvent::TrunkRegistration(s));
                            }
                        }
                    }
                }
            }
            Event::TransactionTimeout { call_id, method } => {
                debug!(%call_id, ?method, "transaction timed out");
            }
        }
    }

    /// Hands an event of an outbound call to its owner; an abandoned call's events are
    /// dropped (its final one forgets it); an owner that stopped reading loses the call.
    fn for_call(&mut self, now: Instant, call: CallHandle, event: CallEvent) {
        match self.routes.route(call) {
            Route::Outbound => {
                if !self.routes.deliver(call, event) {
                    warn!(
                        call = call.0,
                        "outbound call's owner is not reading: hanging up"
                    );
                    self.abandon(now, call);
                }
            }
            Route::Abandoned => {
                if event.is_final() {
                    self.routes.forget(call);
                }
            }
            Route::Inbound => debug!(call = call.0, ?event, "outbound event of an unknown call"),
        }
    }

    /// The owner of an outbound call dropped its receiver (or stopped reading): hang the
    /// call up however fits its state. A late-offer call answered but not yet ACKed gets
    /// its ACK first. A 2xx that crosses the CANCEL is handled in [`Driver::event`].
    fn abandon(&mut self, now: Instant, call: CallHandle) {
        if !self.routes.abandon(call) {
            return;
        }
        self.trace(call, "owner dropped the call: hanging up");
        let _ = self.endpoint.ack(now, call, None);
        if let Err(e) = self.endpoint.hangup(now, call) {
            debug!(call = call.0, error = %e, "abandoned call already over");
            self.routes.forget(call);
        }
    }

    fn trace(&self, call: CallHandle, what: &str) {
        if let Some(id) = self.endpoint.call_id(call) {
            debug!(call_id = %id, "{what}");
        }
    }

    fn contacts(&self, now: Instant, user: &str) -> Vec<Contact> {
        self.registrar
            .lookup(now, user)
            .into_iter()
            .map(|b| Contact {
                uri: b.contact.uri.to_string(),
                source: b.source,
                transport: b.transport,
                expires_at: b.expires_at,
            })
            .collect()
    }

    fn command(&mut self, now: Instant, cmd: Command) {
        let ep = &mut self.endpoint;
        match cmd {
            Command::Provisional(call, code, sdp, r) => {
                let _ = r.send(
                    ep.send_provisional(now, call, code, sdp)
                        .map_err(Into::into),
                );
            }
            Command::Accept(call, sdp, r) => {
                let _ = r.send(ep.accept(now, call, sdp).map_err(Into::into));
            }
            Command::Reject(call, code, r) => {
                let _ = r.send(ep.reject(now, call, code, None).map_err(Into::into));
            }
            Command::Hangup(call, r) => {
                let _ = r.send(ep.hangup(now, call).map_err(Into::into));
            }
            Command::Cancel(call, r) => {
                let _ = r.send(ep.cancel(now, call).map_err(Into::into));
            }
            Command::Reinvite(call, sdp, r) => {
                let _ = r.send(ep.reinvite(now, call, sdp).map_err(Into::into));
            }
            Command::AnswerReinvite(call, code, sdp, r) => {
                let _ = r.send(ep.answer_reinvite(now, call, code, sdp).map_err(Into::into));
            }
            Command::Invite(c, r) => {
                let placed = ep.invite(now, c.into_invite()).map(|call| OutboundCall {
                    call,
                    events: self.routes.open(call),
                });
                // An `invite` caller that went away drops the receiver: the watcher
                // then hangs the call up.
                let _ = r.send(placed.map_err(Into::into));
            }
            Command::Ack(call, sdp, r) => {
                let _ = r.send(ep.ack(now, call, sdp).map_err(Into::into));
            }
            Command::Contacts(user, r) => {
                let _ = r.send(self.contacts(now, &user));
            }
            Command::Stats(r) => {
                let mut s = self.stats;
                s.calls = self.endpoint.calls();
                s.outbound = self.routes.len();
                s.transactions = self.endpoint.transactions();
                s.registered_users = self.registrar.users();
                let _ = r.send(s);
            }
            Command::Shutdown => {}
        }
    }
}

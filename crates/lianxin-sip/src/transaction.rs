//! The four RFC 3261 §17 transaction machines.
//!
//! Each machine takes `now` and messages, and gives back transmits (bytes to a fixed
//! destination), its next deadline (the minimum of its [`TimerTable`]) and [`TxEvent`]s for
//! its owner (the endpoint). They never read a clock. Retransmission goes on whether or not
//! anybody waits for the result: the machine is driven by `handle_timeout` alone.
//!
//! Differences from RFC 3261 by design:
//! - the INVITE server transaction follows RFC 6026: after a 2xx it stays in `Accepted`
//!   for 64*T1 (timer [`Timer::L`]) absorbing retransmitted INVITEs, so one call never
//!   becomes two; the 2xx itself is retransmitted by the dialog owner (UAS core);
//! - the INVITE client transaction ends on a 2xx; later 2xx retransmissions are matched by
//!   dialog id in the endpoint, which re-sends the ACK (the UAC core's duty).

use crate::timer::{Timer, TimerConfig, TimerTable};
use crate::transmit::Transmit;
use crate::wire::{Head, Method, Request, Response, Transport};
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// What a transaction tells its owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TxEvent {
    /// Client: a response to pass up (1xx, the first final, never retransmissions).
    Response(Box<Response>),
    /// Client: timer B or F fired (408 semantics). Server INVITE: timer H fired (no ACK).
    Timeout,
    /// Server INVITE: the ACK for our non-2xx final response arrived.
    Acked,
    /// The transaction is over and can be freed.
    Terminated,
}

/// Transaction states (union of the four machines' states).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxState {
    /// INVITE client, request sent.
    Calling,
    /// Non-INVITE client / server, nothing final yet.
    Trying,
    /// A provisional response was sent / received.
    Proceeding,
    /// A final non-2xx (INVITE) or any final (non-INVITE) was sent / received.
    Completed,
    /// INVITE server: the ACK arrived.
    Confirmed,
    /// INVITE server: a 2xx was sent (RFC 6026).
    Accepted,
    /// Done.
    Terminated,
}

#[derive(Debug)]
struct Io {
    destination: SocketAddr,
    transport: Transport,
    out: VecDeque<Vec<u8>>,
    events: VecDeque<TxEvent>,
    timers: TimerTable,
    cfg: TimerConfig,
}

impl Io {
    fn new(destination: SocketAddr, transport: Transport, cfg: TimerConfig) -> Io {
        Io {
            destination,
            transport,
            out: VecDeque::new(),
            events: VecDeque::new(),
            timers: TimerTable::default(),
            cfg,
        }
    }
    fn reliable(&self) -> bool {
        self.transport.is_reliable()
    }
    fn poll_transmit(&mut self) -> Option<Transmit> {
        Some(Transmit {
            transport: self.transport,
            destination: self.destination,
            payload: self.out.pop_front()?,
        })
    }
    /// Arm a "wait" timer: the RFC value on UDP, zero on reliable transports.
    fn wait(&mut self, timer: Timer, now: Instant, unreliable: Duration) {
        let d = if self.reliable() {
            Duration::ZERO
        } else {
            unreliable
        };
        self.timers.set(timer, now + d);
    }
}

/// A client transaction (INVITE or non-INVITE, by the request's method).
#[derive(Debug)]
pub struct ClientTransaction {
    invite: bool,
    state: TxState,
    request: Request,
    bytes: Vec<u8>,
    ack: Option<Vec<u8>>,
    interval: Duration,
    io: Io,
}

impl ClientTransaction {
    /// Start: send the request now and arm A/B (INVITE) or E/F (non-INVITE).
    pub fn new(
        now: Instant,
        request: Request,
        destination: SocketAddr,
        transport: Transport,
        cfg: TimerConfig,
    ) -> ClientTransaction {
        let invite = request.method == Method::Invite;
        let bytes = request.to_bytes();
        let mut io = Io::new(destination, transport, cfg);
        io.out.push_back(bytes.clone());
        if invite {
            if !io.reliable() {
                io.timers.set(Timer::A, now + cfg.t1);
            }
            io.timers.set(Timer::B, now + cfg.t1x64());
        } else {
            if !io.reliable() {
                io.timers.set(Timer::E, now + cfg.t1);
            }
            io.timers.set(Timer::F, now + cfg.t1x64());
        }
        ClientTransaction {
            invite,
            state: if invite {
                TxState::Calling
            } else {
                TxState::Trying
            },
            request,
            bytes,
            ack: None,
            interval: cfg.t1,
            io,
        }
    }

    /// The request this transaction sends.
    pub fn request(&self) -> &Request {
        &self.request
    }

    /// Current state.
    pub fn state(&self) -> TxState {
        self.state
    }

    /// RFC 3261 §9.1: after a CANCEL, give up on the INVITE if no final response comes
    /// within 64*T1 (re-arms timer B in Proceeding).
    pub fn cancel_sent(&mut self, now: Instant) {
        if self.invite && matches!(self.state, TxState::Calling | TxState::Proceeding) {
            let d = self.io.cfg.t1x64();
            self.io.timers.set(Timer::B, now + d);
        }
    }

    /// Feed a response whose key matched this transaction.
    pub fn handle_response(&mut self, now: Instant, response: Response) {
        let code = response.code;
        match (self.invite, self.state) {
            (true, TxState::Calling | TxState::Proceeding) => {
                if code < 200 {
                    self.state = TxState::Proceeding;
                    self.io.timers.stop(Timer::A);
                    self.io.timers.stop(Timer::B);
                    self.io
                        .events
                        .push_back(TxEvent::Response(Box::new(response)));
                } else if code < 300 {
                    self.io.timers.stop_all();
                    self.io
                        .events
                        .push_back(TxEvent::Response(Box::new(response)));
                    self.terminate();
                } else {
                    self.io.timers.stop_all();
                    let ack = ack_for_non2xx(&self.request, &response).to_bytes();
                    self.io.out.push_back(ack.clone());
                    self.ack = Some(ack);
                    self.state = TxState::Completed;
                    let d = Duration::from_secs(32);
                    self.io.wait(Timer::D, now, d);
                    self.io
                        .events
                        .push_back(TxEvent::Response(Box::new(response)));
                }
            }
            (true, TxState::Completed) if code >= 300 => {
                if let Some(ack) = &self.ack {
                    self.io.out.push_back(ack.clone());
                }
            }
            (false, TxState::Trying | TxState::Proceeding) => {
                if code < 200 {
                    self.state = TxState::Proceeding;
                    self.io
                        .events
                        .push_back(TxEvent::Response(Box::new(response)));
                } else {
                    self.io.timers.stop(Timer::E);
                    self.io.timers.stop(Timer::F);
                    self.state = TxState::Completed;
                    let t4 = self.io.cfg.t4;
                    self.io.wait(Timer::K, now, t4);
                    self.io
                        .events
                        .push_back(TxEvent::Response(Box::new(response)));
                }
            }
            _ => {}
        }
    }

    /// Where the request goes, and over what.
    pub fn destination(&self) -> (Transport, SocketAddr) {
        (self.io.transport, self.io.destination)
    }

    /// RFC 3261 §17.1.1.2 / §17.1.2.2: the transport could not carry the request (a TCP
    /// connection refused or lost before the final response). Tell the TU at once, as a
    /// timeout, and end, instead of waiting 64*T1 for timer B/F. No effect once a final
    /// response has arrived.
    pub fn handle_transport_error(&mut self) {
        if matches!(
            self.state,
            TxState::Calling | TxState::Trying | TxState::Proceeding
        ) {
            self.io.out.clear();
            self.io.events.push_back(TxEvent::Timeout);
            self.terminate();
        }
    }

    /// Fire due timers.
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some(t) = self.io.timers.pop_expired(now) {
            match t {
                Timer::A => {
                    self.io.out.push_back(self.bytes.clone());
                    self.interval *= 2;
                    self.io.timers.set(Timer::A, now + self.interval);
                }
                Timer::E => {
                    self.io.out.push_back(self.bytes.clone());
                    self.interval = if self.state == TxState::Proceeding {
                        self.io.cfg.t2
                    } else {
                        (self.interval * 2).min(self.io.cfg.t2)
                    };
                    self.io.timers.set(Timer::E, now + self.interval);
                }
                Timer::B | Timer::F => {
                    self.io.events.push_back(TxEvent::Timeout);
                    self.terminate();
                }
                _ => self.terminate(),
            }
        }
    }

    fn terminate(&mut self) {
        if self.state != TxState::Terminated {
            self.state = TxState::Terminated;
            self.io.timers.stop_all();
            self.io.events.push_back(TxEvent::Terminated);
        }
    }

    /// Next message to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.io.poll_transmit()
    }
    /// Next deadline.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.io.timers.next()
    }
    /// Next event.
    pub fn poll_event(&mut self) -> Option<TxEvent> {
        self.io.events.pop_front()
    }
}

/// RFC 3261 §17.1.1.3: the ACK for a non-2xx final response, built inside the transaction.
pub fn ack_for_non2xx(invite: &Request, response: &Response) -> Request {
    let h = &invite.head;
    Request {
        method: Method::Ack,
        uri: invite.uri.clone(),
        head: Head {
            via: h.via.iter().take(1).cloned().collect(),
            from: h.from.clone(),
            to: response.head.to.clone(),
            call_id: h.call_id.clone(),
            cseq: crate::wire::CSeq {
                seq: h.cseq.seq,
                method: Method::Ack,
            },
            max_forwards: Some(70),
            contact: Vec::new(),
            contact_star: false,
            route: h.route.clone(),
            record_route: Vec::new(),
            content_type: None,
            other: Vec::new(),
        },
        body: Vec::new(),
    }
}

/// A server transaction (INVITE or non-INVITE).
#[derive(Debug)]
pub struct ServerTransaction {
    invite: bool,
    state: TxState,
    last: Option<Vec<u8>>,
    interval: Duration,
    io: Io,
}

impl ServerTransaction {
    /// A server transaction for a new request; responses go to `destination`.
    pub fn new(
        method: &Method,
        destination: SocketAddr,
        transport: Transport,
        cfg: TimerConfig,
    ) -> ServerTransaction {
        let invite = *method == Method::Invite;
        ServerTransaction {
            invite,
            state: if invite {
                TxState::Proceeding
            } else {
                TxState::Trying
            },
            last: None,
            interval: cfg.t1,
            io: Io::new(destination, transport, cfg),
        }
    }

    /// Current state.
    pub fn state(&self) -> TxState {
        self.state
    }

    /// Where responses go.
    pub fn destination(&self) -> SocketAddr {
        self.io.destination
    }

    /// True once a final response was sent.
    pub fn has_final(&self) -> bool {
        !matches!(self.state, TxState::Trying | TxState::Proceeding)
    }

    /// A retransmitted request (or the ACK of a non-2xx) matched this transaction.
    pub fn handle_request(&mut self, now: Instant, method: &Method) {
        if *method == Method::Ack {
            if self.invite && self.state == TxState::Completed {
                self.io.timers.stop(Timer::G);
                self.io.timers.stop(Timer::H);
                self.state = TxState::Confirmed;
                let t4 = self.io.cfg.t4;
                self.io.wait(Timer::I, now, t4);
                self.io.events.push_back(TxEvent::Acked);
            }
            return;
        }
        match self.state {
            TxState::Proceeding | TxState::Completed => {
                if let Some(last) = &self.last {
                    self.io.out.push_back(last.clone());
                }
            }
            // Trying (nothing sent yet), Accepted (2xx is the core's), Confirmed: absorb.
            _ => {}
        }
    }

    /// Send a response (provisional or final) for this transaction.
    pub fn send_response(&mut self, now: Instant, response: &Response) {
        if self.has_final() {
            return;
        }
        let bytes = response.to_bytes();
        self.io.out.push_back(bytes.clone());
        self.last = Some(bytes);
        let code = response.code;
        if code < 200 {
            self.state = TxState::Proceeding;
        } else if self.invite && code < 300 {
            // The core retransmits the 2xx; Accepted only absorbs INVITE retransmissions.
            self.last = None;
            self.state = TxState::Accepted;
            let d = self.io.cfg.t1x64();
            self.io.timers.set(Timer::L, now + d);
        } else if self.invite {
            self.state = TxState::Completed;
            if !self.io.reliable() {
                self.io.timers.set(Timer::G, now + self.io.cfg.t1);
            }
            let d = self.io.cfg.t1x64();
            self.io.timers.set(Timer::H, now + d);
        } else {
            self.state = TxState::Completed;
            let d = self.io.cfg.t1x64();
            self.io.wait(Timer::J, now, d);
        }
    }

    /// Fire due timers.
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some(t) = self.io.timers.pop_expired(now) {
            match t {
                Timer::G => {
                    if let Some(last) = &self.last {
                        self.io.out.push_back(last.clone());
                    }
                    self.interval = (self.interval * 2).min(self.io.cfg.t2);
                    self.io.timers.set(Timer::G, now + self.interval);
                }
                Timer::H => {
                    self.io.events.push_back(TxEvent::Timeout);
                    self.terminate();
                }
                _ => self.terminate(),
            }
        }
    }

    fn terminate(&mut self) {
        if self.state != TxState::Terminated {
            self.state = TxState::Terminated;
            self.io.timers.stop_all();
            self.io.events.push_back(TxEvent::Terminated);
        }
    }

    /// Next message to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.io.poll_transmit()
    }
    /// Next deadline.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.io.timers.next()
    }
    /// Next event.
    pub fn poll_event(&mut self) -> Option<TxEvent> {
        self.io.events.pop_front()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{parse, Message};

    fn req(method: &str) -> Request {
        let text = format!(
            "{method} sip:bob@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKabc\r\n\
From: <sip:a@x>;tag=1\r\nTo: <sip:b@y>\r\nCall-ID: c1\r\nCSeq: 1 {method}\r\nContent-Length: 0\r\n\r\n"
        );
        match parse(text.as_bytes()) {
            Ok(Message::Request(r)) => r,
            other => panic!("{other:?}"),
        }
    }

    fn resp(r: &Request, code: u16) -> Response {
        let mut head = r.head.clone();
        head.to.set_param("tag", Some("t"));
        Response {
            code,
            reason: "X".into(),
            head,
            body: Vec::new(),
        }
    }

    fn addr() -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], 5070))
    }

    /// Run a client transaction with no responses; return send times (ms) and timeout time.
    fn client_schedule(
        method: &str,
        transport: Transport,
        until: Duration,
    ) -> (Vec<u128>, Option<u128>) {
        let t0 = crate::test_epoch();
        let mut tx =
            ClientTransaction::new(t0, req(method), addr(), transport, TimerConfig::default());
        let mut sends = Vec::new();
        let mut timeout = None;
        let mut now = t0;
        loop {
            while tx.poll_transmit().is_some() {
                sends.push((now - t0).as_millis());
            }
            while let Some(e) = tx.poll_event() {
                if e == TxEvent::Timeout {
                    timeout = Some((now - t0).as_millis());
                }
            }
            match tx.poll_timeout() {
                Some(t) if t - t0 <= until => {
                    now = t;
                    tx.handle_timeout(now);
                }
                _ => break,
            }
        }
        (sends, timeout)
    }

    #[test]
    fn invite_client_udp_retransmits_on_timer_a_and_times_out_on_b() {
        let (sends, timeout) = client_schedule("INVITE", Transport::Udp, Duration::from_secs(60));
        assert_eq!(sends, vec![0, 500, 1500, 3500, 7500, 15500, 31500]);
        assert_eq!(timeout, Some(32000));
    }

    #[test]
    fn invite_client_tcp_never_retransmits() {
        let (sends, timeout) = client_schedule("INVITE", Transport::Tcp, Duration::from_secs(60));
        assert_eq!(sends, vec![0]);
        assert_eq!(timeout, Some(32000));
    }

    #[test]
    fn non_invite_client_udp_caps_at_t2() {
        let (sends, timeout) = client_schedule("OPTIONS", Transport::Udp, Duration::from_secs(60));
        assert_eq!(
            sends,
            vec![0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]
        );
        assert_eq!(timeout, Some(32000));
    }

    /// Trap: a non-INVITE client keeps retransmitting after a 1xx, at T2 intervals.
    #[test]
    fn regression_non_invite_retransmits_after_1xx_at_t2() {
        let t0 = crate::test_epoch();
        let r = req("BYE");
        let mut tx = ClientTransaction::new(
            t0,
            r.clone(),
            addr(),
            Transport::Udp,
            TimerConfig::default(),
        );
        while tx.poll_transmit().is_some() {}
        tx.handle_response(t0 + Duration::from_millis(100), resp(&r, 100));
        assert!(matches!(tx.poll_event(), Some(TxEvent::Response(_))));
        let mut sends = Vec::new();
        while let Some(t) = tx.poll_timeout() {
            if t - t0 > Duration::from_secs(20) {
                break;
            }
            tx.handle_timeout(t);
            while tx.poll_transmit().is_some() {
                sends.push((t - t0).as_millis());
            }
        }
        assert_eq!(sends, vec![500, 4500, 8500, 12500, 16500]);
    }

    #[test]
    fn invite_client_acks_non_2xx_and_every_retransmission() {
        let t0 = crate::test_epoch();
        let r = req("INVITE");
        let mut tx = ClientTransaction::new(
            t0,
            r.clone(),
            addr(),
            Transport::Udp,
            TimerConfig::default(),
        );
        while tx.poll_transmit().is_some() {}
        tx.handle_response(t0, resp(&r, 486));
        let ack = tx.poll_transmit().map(|t| t.payload).unwrap_or_default();
        assert!(ack.starts_with(b"ACK sip:bob@127.0.0.1 SIP/2.0"));
        assert!(String::from_utf8_lossy(&ack).contains("branch=z9hG4bKabc"));
        assert!(matches!(tx.poll_event(), Some(TxEvent::Response(r)) if r.code == 486));
        tx.handle_response(t0 + Duration::from_secs(1), resp(&r, 486));
        assert!(tx.poll_transmit().is_some(), "ACK again");
        assert_eq!(tx.poll_event(), None, "retransmission not passed up");
        tx.handle_timeout(t0 + Duration::from_secs(32));
        assert_eq!(tx.poll_event(), Some(TxEvent::Terminated));
    }

    #[test]
    fn invite_server_retransmits_final_on_g_until_h() {
        let t0 = crate::test_epoch();
        let r = req("INVITE");
        let mut tx =
            ServerTransaction::new(&r.method, addr(), Transport::Udp, TimerConfig::default());
        tx.send_response(t0, &resp(&r, 486));
        let mut sends = Vec::new();
        let mut timeout = None;
        let mut now = t0;
        loop {
            while tx.poll_transmit().is_some() {
                sends.push((now - t0).as_millis());
            }
            while let Some(e) = tx.poll_event() {
                if e == TxEvent::Timeout {
                    timeout = Some((now - t0).as_millis());
                }
            }
            let Some(t) = tx.poll_timeout() else { break };
            now = t;
            tx.handle_timeout(now);
        }
        assert_eq!(
            sends,
            vec![0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]
        );
        assert_eq!(timeout, Some(32000));
    }

    #[test]
    fn invite_server_ack_confirms_then_timer_i() {
        let t0 = crate::test_epoch();
        let r = req("INVITE");
        let mut tx =
            ServerTransaction::new(&r.method, addr(), Transport::Udp, TimerConfig::default());
        tx.send_response(t0, &resp(&r, 603));
        tx.handle_request(t0 + Duration::from_millis(100), &Method::Ack);
        assert_eq!(tx.state(), TxState::Confirmed);
        assert_eq!(tx.poll_timeout(), Some(t0 + Duration::from_millis(5100)));
        tx.handle_timeout(t0 + Duration::from_millis(5100));
        assert_eq!(tx.state(), TxState::Terminated);
    }

    #[test]
    fn server_absorbs_retransmitted_requests() {
        let t0 = crate::test_epoch();
        let r = req("INVITE");
        let mut tx =
            ServerTransaction::new(&r.method, addr(), Transport::Udp, TimerConfig::default());
        tx.send_response(t0, &resp(&r, 100));
        while tx.poll_transmit().is_some() {}
        tx.handle_request(t0, &Method::Invite);
        assert!(tx.poll_transmit().is_some(), "last provisional re-sent");
        tx.send_response(t0, &resp(&r, 200));
        while tx.poll_transmit().is_some() {}
        tx.handle_request(t0, &Method::Invite);
        assert!(
            tx.poll_transmit().is_none(),
            "Accepted absorbs (core re-sends 2xx)"
        );
        tx.handle_timeout(t0 + Duration::from_secs(32));
        assert_eq!(tx.state(), TxState::Terminated);
    }

    #[test]
    fn non_invite_server_timer_j() {
        let t0 = crate::test_epoch();
        let r = req("OPTIONS");
        let mut udp =
            ServerTransaction::new(&r.method, addr(), Transport::Udp, TimerConfig::default());
        udp.send_response(t0, &resp(&r, 200));
        udp.handle_request(t0, &Method::Options);
        assert_eq!(std::iter::from_fn(|| udp.poll_transmit()).count(), 2);
        assert_eq!(udp.poll_timeout(), Some(t0 + Duration::from_secs(32)));
        let mut tcp =
            ServerTransaction::new(&r.method, addr(), Transport::Tcp, TimerConfig::default());
        tcp.send_response(t0, &resp(&r, 200));
        assert_eq!(tcp.poll_timeout(), Some(t0));
    }

    #[test]
    fn non_invite_client_timer_k() {
        let t0 = crate::test_epoch();
        let r = req("OPTIONS");
        let mut tx = ClientTransaction::new(
            t0,
            r.clone(),
            addr(),
            Transport::Udp,
            TimerConfig::default(),
        );
        tx.handle_response(t0, resp(&r, 200));
        assert_eq!(tx.poll_timeout(), Some(t0 + Duration::from_secs(5)));
        tx.handle_response(t0, resp(&r, 200));
        assert!(matches!(tx.poll_event(), Some(TxEvent::Response(_))));
        assert_eq!(tx.poll_event(), None);
    }
}

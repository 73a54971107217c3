//! Which address a session takes RTP from: the address signalled in SDP, or — for
//! symmetric RTP behind NAT — one learned from the packets, under rules an attacker who can
//! reach our RTP ports cannot use to take a call over (issue 10, point 2).
//!
//! # Why
//!
//! A session used to switch to whoever sent it a valid packet. Someone on the office LAN or
//! on the trunk's network who sent one packet to every port of the range received the audio
//! of every call (on a bridged call: a resident's conversation) and could inject audio and
//! key presses. Learning the peer's address from its packets is still needed — a phone
//! behind NAT signals its private address and sends from its public one — so learning
//! ("latching") is allowed only where a legitimate peer needs it:
//!
//! 1. **Nothing before signalling.** Until SDP names the peer, every packet is dropped: no
//!    legitimate peer sends to a port it has not been told about (a few packets of an
//!    answering phone that race its 200 OK are lost, which nobody hears).
//! 2. **The current source is accepted.** That is the learned address once there is one,
//!    else the signalled address.
//! 3. **The signalled address wins within the window.** For [`LatchConfig::window`] (2 s by
//!    default) after the remote is signalled, packets from exactly the signalled address
//!    are accepted and move the latch back to it, even away from a learned address: SDP is
//!    authoritative, so an attacker racing the real peer loses as soon as the peer speaks.
//!    After the window it is an address like any other (a host that later sits at a NAT'd
//!    phone's private address must not take the call over).
//! 4. **Another address may be learned only within the window, only while the current
//!    source is quiet, and only after a probation.** The current source must have sent
//!    nothing for [`LatchConfig::quiet`] (1 s), or nothing at all — so the latch never moves
//!    while packets from the current source keep coming — and the newcomer must send
//!    [`LatchConfig::probation`] (3) valid packets in a row (one SSRC, consecutive sequence
//!    numbers) before it is latched; the probation packets are dropped. One packet per port,
//!    the attack that was reproduced, latches nothing, and a single forged key press is
//!    never heard. After the window the source is fixed until signalling changes it.
//! 5. **Everything else is dropped and counted** (`packets_foreign` in the session's
//!    statistics); the session logs the first such packet once.
//!
//! What this cannot stop: an attacker who streams well-formed RTP at a call whose peer is
//! behind NAT and has not yet sent anything, during that call's window; or one who spoofs
//! the peer's source address (audio injection without receiving anything). Only SRTP or
//! ICE would; `SECURITY.md` says so.
//!
//! A new remote from signalling (a re-INVITE moving the media, a 183 then a 200 with
//! another address) forgets the learned source and opens a new window; the same address
//! again opens a new window only while nothing has been accepted yet (a 200 after a long
//! 183 with no early media).
//!
//! Sans-IO: `now` is an argument; no allocation per packet.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// The latch rules' settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LatchConfig {
    /// How long after the remote is signalled a source may be learned.
    pub window: Duration,
    /// How long the current source must have been silent before another is learned.
    pub quiet: Duration,
    /// Valid packets in a row a new source must send before it is learned (at least 1).
    pub probation: u8,
}

impl Default for LatchConfig {
    fn default() -> Self {
        LatchConfig {
            window: Duration::from_secs(2),
            quiet: Duration::from_secs(1),
            probation: 3,
        }
    }
}

/// What to do with a packet from some address, before parsing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    /// Parse it and [`SourceLatch::admit`] it.
    Parse,
    /// Drop it: no remote is signalled yet.
    Unsignalled,
    /// Drop it: it comes from another address than the current source, which it may not
    /// replace; the current source is given.
    Foreign(SocketAddr),
}

/// What [`SourceLatch::admit`] decided about a valid packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admit {
    /// From the current source: accept it.
    Accept,
    /// Its address is now the source (it was `previous`): accept it.
    Latched {
        /// The source before (the signalled address when nothing was learned).
        previous: Option<SocketAddr>,
    },
    /// A new source on probation: drop it for now.
    Probation,
}

/// A newcomer on probation.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    from: SocketAddr,
    ssrc: u32,
    next_seq: u16,
    seen: u8,
}

/// One session's source rules (see the module docs).
#[derive(Debug, Clone)]
pub struct SourceLatch {
    config: LatchConfig,
    signalled: Option<SocketAddr>,
    /// The learned source, if any (may equal the signalled address).
    learned: Option<SocketAddr>,
    window_end: Option<Instant>,
    /// Last packet accepted from the current source.
    last_heard: Option<Instant>,
    candidate: Option<Candidate>,
}

impl SourceLatch {
    /// Rules for a session opened at `now`, with the remote from SDP if known.
    pub fn new(config: LatchConfig, signalled: Option<SocketAddr>, now: Instant) -> SourceLatch {
        SourceLatch {
            config,
            signalled,
            learned: None,
            window_end: signalled.map(|_| now + config.window),
            last_heard: None,
            candidate: None,
        }
    }

    /// The remote signalling names now (see the module docs for what it resets).
    pub fn set_signalled(&mut self, now: Instant, addr: SocketAddr) {
        if self.signalled != Some(addr) {
            self.signalled = Some(addr);
            self.learned = None;
            self.last_heard = None;
            self.candidate = None;
            self.window_end = Some(now + self.config.window);
        } else if self.last_heard.is_none() {
            self.window_end = Some(now + self.config.window);
        }
    }

    /// Where media comes from and goes to: the learned source, else the signalled address.
    pub fn current(&self) -> Option<SocketAddr> {
        self.learned.or(self.signalled)
    }

    /// The address SDP named.
    pub fn signalled(&self) -> Option<SocketAddr> {
        self.signalled
    }

    /// True once a source was learned from packets.
    pub fn learned(&self) -> bool {
        self.learned.is_some()
    }

    fn in_window(&self, now: Instant) -> bool {
        self.window_end.is_some_and(|end| now < end)
    }

    fn current_is_quiet(&self, now: Instant) -> bool {
        self.last_heard
            .is_none_or(|t| now.saturating_duration_since(t) >= self.config.quiet)
    }

    /// Whether a packet from `from` is worth parsing (cheap: no parsing, no allocation).
    pub fn screen(&self, now: Instant, from: SocketAddr) -> Screen {
        let Some(current) = self.current() else {
            return Screen::Unsignalled;
        };
        if from == current {
            return Screen::Parse;
        }
        let window = self.in_window(now);
        if window && (Some(from) == self.signalled || self.current_is_quiet(now)) {
            return Screen::Parse;
        }
        Screen::Foreign(current)
    }

    /// Decides about a valid packet (our payload type) that passed [`SourceLatch::screen`].
    pub fn admit(&mut self, now: Instant, from: SocketAddr, ssrc: u32, seq: u16) -> Admit {
        let current = self.current();
        if Some(from) == current {
            self.last_heard = Some(now);
            self.candidate = None;
            return Admit::Accept;
        }
        if Some(from) == self.signalled {
            return self.latch(now, from, current);
        }
        let seen = match self.candidate {
            Some(c) if c.from == from && c.ssrc == ssrc && c.next_seq == seq => c.seen + 1,
            _ => 1,
        };
        if seen >= self.config.probation.max(1) {
            return self.latch(now, from, current);
        }
        self.candidate = Some(Candidate {
            from,
            ssrc,
            next_seq: seq.wrapping_add(1),
            seen,
        });
        Admit::Probation
    }

    fn latch(&mut self, now: Instant, from: SocketAddr, previous: Option<SocketAddr>) -> Admit {
        self.learned = Some(from);
        self.last_heard = Some(now);
        self.candidate = None;
        Admit::Latched { previous }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> SocketAddr {
        s.parse().expect("test address")
    }

    const PEER: &str = "10.0.0.2:4000";
    const NAT: &str = "1.2.3.4:5000";
    const EVIL: &str = "6.6.6.6:7000";

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// Feeds packets `seqs` from `from` (SSRC 1) at `at`, returning what was decided.
    fn feed(
        l: &mut SourceLatch,
        at: Instant,
        from: &str,
        seqs: std::ops::Range<u16>,
    ) -> Vec<Option<Admit>> {
        seqs.map(|seq| match l.screen(at, addr(from)) {
            Screen::Parse => Some(l.admit(at, addr(from), 1, seq)),
            _ => None,
        })
        .collect()
    }

    #[test]
    fn nothing_is_accepted_before_signalling() {
        let t0 = crate::test_util::t0();
        let mut l = SourceLatch::new(LatchConfig::default(), None, t0);
        assert_eq!(l.screen(t0, addr(PEER)), Screen::Unsignalled);
        assert_eq!(l.current(), None);
        l.set_signalled(t0 + ms(30_000), addr(PEER));
        assert_eq!(l.screen(t0 + ms(30_000), addr(PEER)), Screen::Parse);
    }

    #[test]
    fn the_signalled_peer_is_accepted_and_others_are_not_while_it_talks() {
        let t0 = crate::test_util::t0();
        let mut l = SourceLatch::new(LatchConfig::default(), Some(addr(PEER)), t0);
        assert_eq!(feed(&mut l, t0, PEER, 0..1), [Some(Admit::Accept)]);
        // The attacker, inside the window, while the peer keeps talking: never parsed.
        for i in 1..50u64 {
            let t = t0 + ms(20 * i);
            assert_eq!(l.screen(t, addr(EVIL)), Screen::Foreign(addr(PEER)));
            assert_eq!(l.admit(t, addr(PEER), 1, i as u16), Admit::Accept);
        }
        assert!(!l.learned());
        assert_eq!(l.current(), Some(addr(PEER)));
    }

    #[test]
    fn one_packet_per_port_latches_nothing() {
        let t0 = crate::test_util::t0();
        let mut l = SourceLatch::new(LatchConfig::default(), Some(addr(PEER)), t0);
        // Before the peer speaks: a single packet (or two) from elsewhere is on probation.
        assert_eq!(
            feed(&mut l, t0 + ms(10), EVIL, 0..1),
            [Some(Admit::Probation)]
        );
        assert_eq!(
            feed(&mut l, t0 + ms(20), EVIL, 5..6),
            [Some(Admit::Probation)]
        );
        assert_eq!(l.current(), Some(addr(PEER)));
        // The peer speaks: accepted, and the candidate is forgotten.
        assert_eq!(feed(&mut l, t0 + ms(40), PEER, 0..1), [Some(Admit::Accept)]);
        assert_eq!(
            l.screen(t0 + ms(60), addr(EVIL)),
            Screen::Foreign(addr(PEER))
        );
    }

    #[test]
    fn a_nat_peer_is_learned_after_probation_inside_the_window() {
        let t0 = crate::test_util::t0();
        let mut l = SourceLatch::new(LatchConfig::default(), Some(addr(PEER)), t0);
        let got = feed(&mut l, t0 + ms(300), NAT, 10..14);
        assert_eq!(
            got,
            [
                Some(Admit::Probation),
                Some(Admit::Probation),
                Some(Admit::Latched {
                    previous: Some(addr(PEER))
                }),
                Some(Admit::Accept),
            ]
        );
        assert!(l.learned());
        assert_eq!(l.current(), Some(addr(NAT)));
        // Now the attacker cannot move it while the NAT'd peer talks...
        assert_eq!(
            l.screen(t0 + ms(320), addr(EVIL)),
            Screen::Foreign(addr(NAT))
        );
        // ...and after the window not even when it is quiet.
        assert_eq!(
            l.screen(t0 + ms(5_000), addr(EVIL)),
            Screen::Foreign(addr(NAT))
        );
    }

    #[test]
    fn probation_needs_consecutive_packets_of_one_stream() {
        let t0 = crate::test_util::t0();
        let mut l = SourceLatch::new(LatchConfig::default(), Some(addr(PEER)), t0);
        // A gap in the sequence, another SSRC, another sender: each starts over.
        assert_eq!(l.admit(t0, addr(NAT), 1, 1), Admit::Probation);
        assert_eq!(l.admit(t0, addr(NAT), 1, 3), Admit::Probation);
        assert_eq!(l.admit(t0, addr(NAT), 2, 4), Admit::Probation);
        assert_eq!(l.admit(t0, addr(EVIL), 2, 5), Admit::Probation);
        assert_eq!(l.admit(t0, addr(NAT), 2, 6), Admit::Probation);
        assert_eq!(l.admit(t0, addr(NAT), 2, 7), Admit::Probation);
        assert!(matches!(
            l.admit(t0, addr(NAT), 2, 8),
            Admit::Latched { .. }
        ));
        // Sequence numbers wrap.
        let mut l = SourceLatch::new(LatchConfig::default(), Some(addr(PEER)), t0);
        let got = feed(&mut l, t0, NAT, 65534..65535);
        assert_eq!(got, [Some(Admit::Probation)]);
        assert_eq!(l.admit(t0, addr(NAT), 1, 65535), Admit::Probation);
        assert!(matches!(
            l.admit(t0, addr(NAT), 1, 0),
            Admit::Latched { .. }
        ));
    }

    #[test]
    fn a_learned_source_moves_only_after_a_second_of_silence_and_within_the_window() {
        let t0 = crate::test_util::t0();
        let mut l = SourceLatch::new(LatchConfig::default(), Some(addr(PEER)), t0);
        feed(&mut l, t0, EVIL, 0..3);
        assert_eq!(
            l.current(),
            Some(addr(EVIL)),
            "an attacker that raced the peer"
        );
        // The NAT'd peer starts 200 ms later: refused while the other one was heard < 1 s ago.
        assert_eq!(
            l.screen(t0 + ms(200), addr(NAT)),
            Screen::Foreign(addr(EVIL))
        );
        // The racer has been silent for 1 s: the peer is learned after its probation.
        let got = feed(&mut l, t0 + ms(1_000), NAT, 0..3);
        assert!(matches!(got[2], Some(Admit::Latched { .. })), "{got:?}");
        assert_eq!(l.current(), Some(addr(NAT)));
        // After the window, silence changes nothing.
        assert_eq!(
            l.screen(t0 + ms(9_000), addr(EVIL)),
            Screen::Foreign(addr(NAT))
        );
    }

    #[test]
    fn the_signalled_address_takes_the_latch_back_within_the_window_only() {
        let t0 = crate::test_util::t0();
        let mut l = SourceLatch::new(LatchConfig::default(), Some(addr(PEER)), t0);
        feed(&mut l, t0, EVIL, 0..3);
        assert_eq!(l.current(), Some(addr(EVIL)));
        // The real peer speaks from the address its SDP named: it wins at once.
        assert_eq!(
            feed(&mut l, t0 + ms(100), PEER, 0..1),
            [Some(Admit::Latched {
                previous: Some(addr(EVIL))
            })]
        );
        assert_eq!(
            l.screen(t0 + ms(120), addr(EVIL)),
            Screen::Foreign(addr(PEER))
        );
        // Learned NAT address, window over: the signalled address no longer moves it.
        let mut l = SourceLatch::new(LatchConfig::default(), Some(addr(PEER)), t0);
        feed(&mut l, t0, NAT, 0..3);
        assert_eq!(
            l.screen(t0 + ms(3_000), addr(PEER)),
            Screen::Foreign(addr(NAT))
        );
    }

    #[test]
    fn signalling_resets_the_source_and_reopens_the_window() {
        let t0 = crate::test_util::t0();
        let mut l = SourceLatch::new(LatchConfig::default(), Some(addr(PEER)), t0);
        feed(&mut l, t0, NAT, 0..3);
        assert_eq!(l.current(), Some(addr(NAT)));
        // The same address again (the 200 after the 183): the learned source stays.
        let t1 = t0 + ms(10_000);
        l.set_signalled(t1, addr(PEER));
        assert_eq!(l.current(), Some(addr(NAT)));
        assert_eq!(l.screen(t1, addr(EVIL)), Screen::Foreign(addr(NAT)));
        // A new address: forgotten, and a new window.
        l.set_signalled(t1, addr("10.0.0.3:4002"));
        assert!(!l.learned());
        assert_eq!(l.current(), Some(addr("10.0.0.3:4002")));
        assert_eq!(l.screen(t1 + ms(100), addr(NAT)), Screen::Parse);
        // The same address while nothing was heard yet: the window starts again.
        let mut l = SourceLatch::new(LatchConfig::default(), Some(addr(PEER)), t0);
        assert_eq!(l.screen(t1, addr(NAT)), Screen::Foreign(addr(PEER)));
        l.set_signalled(t1, addr(PEER));
        assert_eq!(l.screen(t1 + ms(100), addr(NAT)), Screen::Parse);
    }
}

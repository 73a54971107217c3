//! One RTP session's state: what we send (SSRC, sequence, timestamps, marker bit) and what
//! we receive (which source is accepted — the [`latch`](crate::latch) rules —, loss,
//! RFC 3550 jitter, one-way-audio detection, key presses).
//!
//! Sans-IO: the engine passes `now`, the pacer's tick index and received bytes; the session
//! writes packets into the engine's buffer and returns what it learned. Randomness (SSRC,
//! first sequence number and timestamp) comes from an injected RNG so tests are repeatable.
//!
//! Timestamps follow the pacer's grid: the timestamp of tick `t` is
//! `initial + 160 × (t − first tick)`, so they keep advancing through silences and the
//! marker bit flags the first packet after one (the start of a talk-spurt).
//!
//! The source is screened before a packet is parsed, so a flood from other addresses costs
//! a comparison each, not a parse (and nothing is allocated for it).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rand::RngCore;
use rtp_rs::{RtpPacketBuilder, RtpReader, Seq};

use crate::dtmf::DtmfReceiver;
use crate::g711::Codec;
use crate::latch::{Admit, LatchConfig, Screen, SourceLatch};
use crate::prompt::FRAME_SAMPLES;
use crate::rtcp::SenderInfo;

/// Figures kept for the call log.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SessionStats {
    /// RTP packets sent.
    pub packets_sent: u64,
    /// RTP payload octets sent.
    pub octets_sent: u64,
    /// RTP packets received from the peer (valid, accepted).
    pub packets_received: u64,
    /// RTP payload octets received.
    pub octets_received: u64,
    /// Packets lost, from gaps in the peer's sequence numbers.
    pub packets_lost: u64,
    /// Interarrival jitter (RFC 3550 §6.4.1), in milliseconds.
    pub jitter_ms: f64,
    /// Packets not accepted: from another address than the peer's (also counted in
    /// `packets_foreign`), with a wrong payload type, or malformed.
    pub packets_rejected: u64,
    /// Packets dropped because they came from another address than the peer's (before
    /// signalling, from a newcomer on probation, or from anyone the latch rules refuse).
    pub packets_foreign: u64,
}

/// Why a received datagram was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RtpError {
    /// Not a parseable RTP packet.
    #[error("malformed RTP packet: {0}")]
    Malformed(String),
    /// A payload type we did not negotiate.
    #[error("unexpected payload type {0}")]
    PayloadType(u8),
    /// From an address other than the peer's, which may not replace it.
    #[error("RTP from {from}, expected {expected}")]
    WrongSource {
        /// Where it came from.
        from: SocketAddr,
        /// Where the peer's media comes from.
        expected: SocketAddr,
    },
    /// Before signalling named the peer.
    #[error("RTP from {from} before the peer's address is known")]
    Unsignalled {
        /// Where it came from.
        from: SocketAddr,
    },
    /// From a new source still on probation (see [`latch`](crate::latch)).
    #[error("RTP from {from}, a new source on probation")]
    Probation {
        /// Where it came from.
        from: SocketAddr,
    },
}

impl RtpError {
    /// True when the packet was refused for where it came from.
    pub fn is_foreign(&self) -> bool {
        matches!(
            self,
            RtpError::WrongSource { .. }
                | RtpError::Unsignalled { .. }
                | RtpError::Probation { .. }
        )
    }
}

/// What a received packet carried.
#[derive(Debug, PartialEq, Eq)]
pub enum Incoming<'a> {
    /// An audio frame in the session's codec.
    Audio {
        /// Its sequence number.
        seq: Seq,
        /// Its payload.
        payload: &'a [u8],
    },
    /// A telephone-event packet; `Some` the first time a key press is seen.
    Key(Option<char>),
}

/// What the one-way-audio check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoMedia {
    /// How long nothing has been received.
    pub silent_for: Duration,
}

/// Per-session settings.
#[derive(Debug, Clone, Copy)]
pub struct RtpConfig {
    /// Audio codec (and static payload type).
    pub codec: Codec,
    /// Negotiated RFC 4733 payload type, if any.
    pub telephone_event_pt: Option<u8>,
    /// After this long without a packet, report [`NoMedia`].
    pub no_media_timeout: Duration,
    /// Which sources are accepted.
    pub latch: LatchConfig,
}

/// Receive-side sequence tracking (RFC 3550 appendix A.1, simplified).
#[derive(Debug, Clone, Copy)]
struct SeqState {
    ssrc: u32,
    base: u32,
    /// Extended highest sequence number seen.
    max: u32,
    received: u64,
    last_transit: Option<i64>,
    /// Loss counted for earlier sources.
    lost_before: u64,
}

impl SeqState {
    /// Expected minus received (duplicates can make it negative: then 0).
    fn lost(&self) -> u64 {
        let expected = self.max.wrapping_sub(self.base) as u64 + 1;
        expected.saturating_sub(self.received)
    }
}

/// One call's RTP state.
#[derive(Debug)]
pub struct RtpSession {
    config: RtpConfig,
    ssrc: u32,
    seq: Seq,
    ts_initial: u32,
    first_tick: u64,
    last_sent_tick: Option<u64>,
    latch: SourceLatch,
    epoch: Instant,
    last_rx: Instant,
    no_media_reported: bool,
    /// The peer's address just became known: the silence clock restarts at the next
    /// check (a phone still ringing sends nothing and is not one-way audio).
    rearm: bool,
    rx: Option<SeqState>,
    jitter: f64,
    dtmf: DtmfReceiver,
    stats: SessionStats,
}

impl RtpSession {
    /// A session created at `now`, sending from pacer tick `first_tick` on.
    pub fn new(
        config: RtpConfig,
        rng: &mut impl RngCore,
        remote: Option<SocketAddr>,
        now: Instant,
        first_tick: u64,
    ) -> RtpSession {
        RtpSession {
            config,
            ssrc: rng.next_u32(),
            seq: Seq::from(rng.next_u32() as u16),
            ts_initial: rng.next_u32(),
            first_tick,
            last_sent_tick: None,
            latch: SourceLatch::new(config.latch, remote, now),
            epoch: now,
            last_rx: now,
            no_media_reported: false,
            rearm: false,
            rx: None,
            jitter: 0.0,
            dtmf: DtmfReceiver::new(),
            stats: SessionStats::default(),
        }
    }

    /// Our SSRC.
    pub fn ssrc(&self) -> u32 {
        self.ssrc
    }

    /// The codec.
    pub fn codec(&self) -> Codec {
        self.config.codec
    }

    /// Switches codec and telephone-event payload type (the answer chose another law);
    /// `true` when something changed.
    pub fn set_format(&mut self, codec: Codec, telephone_event_pt: Option<u8>) -> bool {
        let changed =
            self.config.codec != codec || self.config.telephone_event_pt != telephone_event_pt;
        self.config.codec = codec;
        self.config.telephone_event_pt = telephone_event_pt;
        changed
    }

    /// Where packets are sent and accepted from: the signalled address, or the source
    /// learned from the peer's packets (symmetric RTP, within the latch rules).
    pub fn remote(&self) -> Option<SocketAddr> {
        self.latch.current()
    }

    /// True once the remote was learned from the peer's packets (symmetric RTP).
    pub fn latched(&self) -> bool {
        self.latch.learned()
    }

    /// Sets the address from signalling (SDP) at `now`; a new address forgets the learned
    /// source and opens a new latch window.
    pub fn set_remote(&mut self, now: Instant, addr: SocketAddr) {
        if self.latch.current().is_none() && self.rx.is_none() {
            self.rearm = true;
        }
        self.latch.set_signalled(now, addr);
    }

    /// The figures so far.
    pub fn stats(&self) -> SessionStats {
        let mut s = self.stats;
        s.jitter_ms = self.jitter / 8.0;
        s
    }

    /// The RTP timestamp of pacer tick `tick`.
    pub fn timestamp_at(&self, tick: u64) -> u32 {
        let frames = tick.saturating_sub(self.first_tick);
        self.ts_initial
            .wrapping_add((frames as u32).wrapping_mul(FRAME_SAMPLES as u32))
    }

    /// Writes the audio packet for `tick` into `out`; returns where to send it and its length,
    /// or `None` when there is no remote yet or `out` is too small.
    pub fn write_audio(
        &mut self,
        tick: u64,
        payload: &[u8],
        out: &mut [u8],
    ) -> Option<(SocketAddr, usize)> {
        let remote = self.latch.current()?;
        let marker = match self.last_sent_tick {
            Some(last) => last + 1 != tick,
            None => true,
        };
        let len = RtpPacketBuilder::new()
            .payload_type(self.config.codec.payload_type())
            .marked(marker)
            .sequence(self.seq)
            .ssrc(self.ssrc)
            .timestamp(self.timestamp_at(tick))
            .payload(payload)
            .build_into(out)
            .ok()?;
        self.seq = self.seq.next();
        self.last_sent_tick = Some(tick);
        self.stats.packets_sent += 1;
        self.stats.octets_sent += payload.len() as u64;
        Some((remote, len))
    }

    /// Figures for an RTCP sender report at `tick`, if we have sent anything.
    pub fn sender_info(&self, tick: u64, wallclock: std::time::SystemTime) -> Option<SenderInfo> {
        (self.stats.packets_sent > 0).then(|| SenderInfo {
            ssrc: self.ssrc,
            wallclock,
            rtp_timestamp: self.timestamp_at(tick),
            packets: self.stats.packets_sent as u32,
            octets: self.stats.octets_sent as u32,
        })
    }

    /// Handles a received datagram.
    pub fn handle_packet<'a>(
        &mut self,
        now: Instant,
        from: SocketAddr,
        bytes: &'a [u8],
    ) -> Result<Incoming<'a>, RtpError> {
        let result = self.accept(now, from, bytes);
        if let Err(e) = &result {
            self.stats.packets_rejected += 1;
            if e.is_foreign() {
                self.stats.packets_foreign += 1;
            }
        }
        result
    }

    fn accept<'a>(
        &mut self,
        now: Instant,
        from: SocketAddr,
        bytes: &'a [u8],
    ) -> Result<Incoming<'a>, RtpError> {
        match self.latch.screen(now, from) {
            Screen::Parse => {}
            Screen::Unsignalled => return Err(RtpError::Unsignalled { from }),
            Screen::Foreign(expected) => return Err(RtpError::WrongSource { from, expected }),
        }
        let pkt = RtpReader::new(bytes).map_err(|e| RtpError::Malformed(format!("{e:?}")))?;
        let pt = pkt.payload_type();
        let is_audio = pt == self.config.codec.payload_type();
        let is_event = Some(pt) == self.config.telephone_event_pt;
        if !is_audio && !is_event {
            return Err(RtpError::PayloadType(pt));
        }
        let seq = pkt.sequence_number();
        match self.latch.admit(now, from, pkt.ssrc(), u16::from(seq)) {
            Admit::Accept => {}
            Admit::Latched { previous } => {
                tracing::info!(?previous, actual = %from, "symmetric RTP: sending to the peer's actual source address");
            }
            Admit::Probation => return Err(RtpError::Probation { from }),
        }
        self.last_rx = now;
        self.no_media_reported = false;
        let payload = pkt.payload();
        self.stats.packets_received += 1;
        self.stats.octets_received += payload.len() as u64;
        self.track_sequence(pkt.ssrc(), seq);
        if is_event {
            let key = self
                .dtmf
                .handle_packet(pkt.timestamp(), payload)
                .map_err(|e| RtpError::Malformed(e.to_string()))?;
            return Ok(Incoming::Key(key));
        }
        self.track_jitter(now, pkt.timestamp());
        Ok(Incoming::Audio { seq, payload })
    }

    fn track_sequence(&mut self, ssrc: u32, seq: Seq) {
        let s = u16::from(seq) as u32;
        match &mut self.rx {
            Some(st) if st.ssrc == ssrc => {
                let delta = seq - Seq::from(st.max as u16);
                if delta > 0 {
                    st.max = st.max.wrapping_add(delta as u32);
                }
                st.received += 1;
            }
            previous => {
                // First packet, or a new source (e.g. after a transfer): start over.
                let lost_before = previous.as_ref().map_or(0, |p| p.lost_before + p.lost());
                self.rx = Some(SeqState {
                    ssrc,
                    base: s,
                    max: s,
                    received: 1,
                    last_transit: None,
                    lost_before,
                });
                self.jitter = 0.0;
            }
        }
        if let Some(st) = &self.rx {
            self.stats.packets_lost = st.lost_before + st.lost();
        }
    }

    fn track_jitter(&mut self, now: Instant, rtp_ts: u32) {
        let arrival = now.duration_since(self.epoch).as_micros() as i64 * 8 / 1000;
        let Some(st) = &mut self.rx else { return };
        let transit = arrival - rtp_ts as i64;
        if let Some(prev) = st.last_transit {
            let mut d = transit - prev;
            // Timestamps wrap at 2^32: bring the difference back into range.
            if d > i64::from(u32::MAX) / 2 {
                d -= 1 << 32;
            } else if d < -(i64::from(u32::MAX) / 2) {
                d += 1 << 32;
            }
            self.jitter += (d.abs() as f64 - self.jitter) / 16.0;
        }
        st.last_transit = Some(transit);
    }

    /// When the one-way-audio check next needs to run.
    pub fn poll_timeout(&self) -> Option<Instant> {
        // No peer yet (an outgoing leg still ringing): nothing to miss.
        self.latch.current()?;
        if self.rearm {
            return Some(self.last_rx);
        }
        (!self.no_media_reported).then(|| self.last_rx + self.config.no_media_timeout)
    }

    /// Runs the one-way-audio check; reports once per silence.
    pub fn handle_timeout(&mut self, now: Instant) -> Option<NoMedia> {
        let deadline = self.poll_timeout()?;
        if self.rearm {
            self.rearm = false;
            self.last_rx = now;
            return None;
        }
        if now < deadline {
            return None;
        }
        self.no_media_reported = true;
        Some(NoMedia {
            silent_for: now.duration_since(self.last_rx),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dtmf::TelephoneEvent;
    use rand::SeedableRng;

    fn session(now: Instant, remote: Option<SocketAddr>) -> RtpSession {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        RtpSession::new(
            RtpConfig {
                codec: Codec::Pcmu,
                telephone_event_pt: Some(101),
                no_media_timeout: Duration::from_secs(5),
                latch: LatchConfig::default(),
            },
            &mut rng,
            remote,
            now,
            100,
        )
    }

    fn packet(pt: u8, seq: u16, ts: u32, payload: &[u8]) -> Vec<u8> {
        RtpPacketBuilder::new()
            .payload_type(pt)
            .sequence(Seq::from(seq))
            .ssrc(42)
            .timestamp(ts)
            .payload(payload)
            .build()
            .unwrap()
    }

    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn random_start_values_come_from_the_rng_and_marker_flags_talk_spurts() {
        let t0 = crate::test_util::t0();
        let mut a = session(t0, Some(addr("10.0.0.1:4000")));
        let b = session(t0, None);
        assert_eq!(a.ssrc(), b.ssrc(), "same seed, same SSRC");
        let mut buf = [0u8; 200];
        let mut sent = Vec::new();
        for tick in [100u64, 101, 102, 110, 111] {
            let (to, n) = a.write_audio(tick, &[0xFF; 160], &mut buf).unwrap();
            assert_eq!(to, addr("10.0.0.1:4000"));
            let r = RtpReader::new(&buf[..n]).unwrap();
            sent.push((r.mark(), r.timestamp(), u16::from(r.sequence_number())));
        }
        let (_, ts0, seq0) = sent[0];
        let marks: Vec<bool> = sent.iter().map(|s| s.0).collect();
        assert_eq!(marks, [true, false, false, true, false]);
        let ts: Vec<u32> = sent.iter().map(|s| s.1.wrapping_sub(ts0)).collect();
        assert_eq!(ts, [0, 160, 320, 1600, 1760]);
        let seqs: Vec<u16> = sent.iter().map(|s| s.2.wrapping_sub(seq0)).collect();
        assert_eq!(seqs, [0, 1, 2, 3, 4]);
        assert_eq!(a.stats().packets_sent, 5);
        assert_eq!(a.stats().octets_sent, 800);
        assert!(b.remote().is_none());
    }

    #[test]
    fn latches_to_the_actual_source_after_probation_and_rejects_others() {
        let t0 = crate::test_util::t0();
        let mut s = session(t0, Some(addr("192.168.1.10:4000")));
        let nat = addr("1.2.3.4:5000");
        // Wrong payload type first: no latch, not even probation.
        assert_eq!(
            s.handle_packet(t0, nat, &packet(9, 0, 0, &[0; 160])),
            Err(RtpError::PayloadType(9))
        );
        for seq in [1, 2] {
            assert_eq!(
                s.handle_packet(t0, nat, &packet(0, seq, 0, &[0xFF; 160])),
                Err(RtpError::Probation { from: nat })
            );
        }
        assert!(!s.latched());
        assert_eq!(s.remote(), Some(addr("192.168.1.10:4000")));
        assert!(s
            .handle_packet(t0, nat, &packet(0, 3, 0, &[0xFF; 160]))
            .is_ok());
        assert!(s.latched());
        assert_eq!(s.remote(), Some(nat));
        assert_eq!(
            s.handle_packet(t0, addr("6.6.6.6:5000"), &packet(0, 2, 160, &[0; 160])),
            Err(RtpError::WrongSource {
                from: addr("6.6.6.6:5000"),
                expected: nat
            })
        );
        assert_eq!(s.remote(), Some(nat));
        assert!(s.handle_packet(t0, nat, b"\x80").is_err());
        let st = s.stats();
        assert_eq!((st.packets_rejected, st.packets_foreign), (5, 3));
        assert_eq!(st.packets_received, 1);
        // New SDP: may latch again.
        let t1 = t0 + Duration::from_secs(60);
        s.set_remote(t1, addr("5.5.5.5:6000"));
        assert_eq!(s.remote(), Some(addr("5.5.5.5:6000")));
        for seq in 10..13 {
            let _ = s.handle_packet(t1, addr("5.5.5.6:6000"), &packet(0, seq, 320, &[0; 160]));
        }
        assert_eq!(s.remote(), Some(addr("5.5.5.6:6000")));
    }

    #[test]
    fn a_flood_from_elsewhere_is_counted_and_does_not_hide_one_way_audio() {
        let t0 = crate::test_util::t0();
        let peer = addr("10.0.0.2:4000");
        let mut s = session(t0, Some(peer));
        let mut heard = 0;
        for i in 0..1000u64 {
            let t = t0 + Duration::from_millis(10 * i);
            // The peer talks for the first 1.5 s (the latch window is 2 s), then falls silent.
            if i % 2 == 0 && i < 150 {
                s.handle_packet(t, peer, &packet(0, heard, 160 * heard as u32, &[0xFF; 160]))
                    .unwrap();
                heard += 1;
            }
            let from = SocketAddr::new(addr("6.6.6.6:1").ip(), 1000 + i as u16);
            // Well-formed DTMF, then garbage: neither is parsed.
            let bytes = if i % 2 == 0 {
                packet(101, i as u16, 0, &[1, 0x80, 0, 160])
            } else {
                vec![0xAB; 7]
            };
            assert_eq!(
                s.handle_packet(t, from, &bytes),
                Err(RtpError::WrongSource {
                    from,
                    expected: peer
                })
            );
        }
        let st = s.stats();
        assert_eq!((st.packets_received, st.packets_foreign), (75, 1000));
        assert_eq!(s.remote(), Some(peer));
        // The peer itself has been silent since 1.5 s: reported as one-way audio.
        assert!(s.handle_timeout(t0 + Duration::from_secs(10)).is_some());
    }

    #[test]
    fn nothing_is_accepted_before_the_peer_is_signalled() {
        let t0 = crate::test_util::t0();
        let mut s = session(t0, None);
        let from = addr("1.2.3.4:5000");
        for seq in 0..5 {
            assert_eq!(
                s.handle_packet(t0, from, &packet(0, seq, 0, &[0xFF; 160])),
                Err(RtpError::Unsignalled { from })
            );
        }
        assert_eq!(s.remote(), None);
        assert_eq!(s.stats().packets_foreign, 5);
    }

    #[test]
    fn counts_loss_from_sequence_gaps_across_wrap() {
        let t0 = crate::test_util::t0();
        let from = addr("1.2.3.4:5000");
        let mut s = session(t0, Some(from));
        for (i, seq) in [65533u16, 65534, 0, 1, 4, 5].into_iter().enumerate() {
            let t = t0 + Duration::from_millis(20 * i as u64);
            s.handle_packet(t, from, &packet(0, seq, 160 * i as u32, &[0xFF; 160]))
                .unwrap();
        }
        let st = s.stats();
        assert_eq!(st.packets_received, 6);
        // 65535, 2 and 3 missing.
        assert_eq!(st.packets_lost, 3);
    }

    #[test]
    fn reordering_is_not_loss() {
        let t0 = crate::test_util::t0();
        let from = addr("1.2.3.4:5000");
        let mut s = session(t0, Some(from));
        for seq in [1u16, 2, 4, 3, 5] {
            s.handle_packet(t0, from, &packet(0, seq, 0, &[0xFF; 160]))
                .unwrap();
        }
        assert_eq!(s.stats().packets_lost, 0);
    }

    #[test]
    fn jitter_is_zero_for_regular_arrivals_and_grows_with_irregular_ones() {
        let t0 = crate::test_util::t0();
        let from = addr("1.2.3.4:5000");
        let mut s = session(t0, Some(from));
        for i in 0..50u32 {
            let t = t0 + Duration::from_millis(20 * i as u64);
            s.handle_packet(t, from, &packet(0, i as u16, 160 * i, &[0xFF; 160]))
                .unwrap();
        }
        assert!(s.stats().jitter_ms.abs() < 1e-9);
        // Alternate 10 ms early / on time: |D| = 80 samples each step, J → 80 (10 ms).
        for i in 50..400u32 {
            let skew = if i % 2 == 0 { 10 } else { 0 };
            let t = t0 + Duration::from_millis(20 * i as u64 - skew);
            s.handle_packet(t, from, &packet(0, i as u16, 160 * i, &[0xFF; 160]))
                .unwrap();
        }
        let j = s.stats().jitter_ms;
        assert!((9.5..=10.0).contains(&j), "{j}");
    }

    #[test]
    fn key_presses_come_once_and_do_not_count_as_audio() {
        let t0 = crate::test_util::t0();
        let from = addr("1.2.3.4:5000");
        let mut s = session(t0, Some(from));
        let mut keys = String::new();
        for (seq, end) in [(1u16, false), (2, false), (3, true), (4, true), (5, true)] {
            let ev = TelephoneEvent {
                event: 5,
                end,
                volume: 10,
                duration: 160 * seq,
            };
            match s
                .handle_packet(t0, from, &packet(101, seq, 8000, &ev.write()))
                .unwrap()
            {
                Incoming::Key(k) => keys.extend(k),
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(keys, "5");
    }

    #[test]
    fn one_way_audio_is_reported_once_per_silence() {
        let t0 = crate::test_util::t0();
        let mut s = session(t0, Some(addr("1.2.3.4:5000")));
        assert_eq!(s.handle_timeout(t0 + Duration::from_secs(4)), None);
        let r = s.handle_timeout(t0 + Duration::from_secs(5)).unwrap();
        assert_eq!(r.silent_for, Duration::from_secs(5));
        assert_eq!(s.handle_timeout(t0 + Duration::from_secs(9)), None);
        assert_eq!(s.poll_timeout(), None);
        // Media arrives, then stops again.
        let t1 = t0 + Duration::from_secs(10);
        s.handle_packet(t1, addr("1.2.3.4:5000"), &packet(0, 1, 0, &[0xFF; 160]))
            .unwrap();
        assert_eq!(s.poll_timeout(), Some(t1 + Duration::from_secs(5)));
        assert!(s.handle_timeout(t1 + Duration::from_secs(6)).is_some());
    }

    /// Regression (found with baresip): an operator's phone that rang for 10 s was
    /// reported as one-way audio before it had even answered.
    #[test]
    fn no_silence_report_before_the_peer_is_known() {
        let t0 = crate::test_util::t0();
        let mut s = session(t0, None);
        assert_eq!(s.poll_timeout(), None);
        assert!(s.handle_timeout(t0 + Duration::from_secs(30)).is_none());
        let answered = t0 + Duration::from_secs(30);
        s.set_remote(answered, "127.0.0.1:40000".parse().expect("addr"));
        assert!(s.handle_timeout(answered).is_none(), "the clock restarts");
        assert!(s
            .handle_timeout(answered + Duration::from_secs(4))
            .is_none());
        assert!(s
            .handle_timeout(answered + Duration::from_secs(5))
            .is_some());
    }
}

//! Minimal RTCP (RFC 3550 §6): sender reports for long calls, receiver reports read.
//!
//! Carriers and some phones drop calls that send RTP but never RTCP, so a session that is
//! sending emits a compound SR + SDES(CNAME) every few seconds. Reports from the peer are
//! parsed so their loss and jitter figures can be logged; nothing else depends on them.
//! Sans-IO: the caller passes wall-clock time for the NTP timestamp.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Seconds from 1900 (NTP era 0) to 1970.
const NTP_UNIX_OFFSET: u64 = 2_208_988_800;

/// Why an RTCP packet was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RtcpError {
    /// Shorter than a header, or a length field points past the end.
    #[error("truncated RTCP packet")]
    Truncated,
    /// Not RTP version 2.
    #[error("RTCP version {0} is not 2")]
    Version(u8),
}

/// Figures for one sender report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SenderInfo {
    /// Our SSRC.
    pub ssrc: u32,
    /// Wall-clock time of the report.
    pub wallclock: SystemTime,
    /// RTP timestamp matching `wallclock`.
    pub rtp_timestamp: u32,
    /// Packets sent so far.
    pub packets: u32,
    /// Payload octets sent so far.
    pub octets: u32,
}

/// The 64-bit NTP timestamp of a wall-clock time.
pub fn ntp_timestamp(t: SystemTime) -> u64 {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
    let secs = d.as_secs() + NTP_UNIX_OFFSET;
    let frac = ((d.subsec_nanos() as u64) << 32) / 1_000_000_000;
    (secs << 32) | frac
}

/// Builds a compound SR (no report blocks) + SDES CNAME into `out`; returns its length.
pub fn build_sender_report(info: &SenderInfo, cname: &str, out: &mut Vec<u8>) -> usize {
    out.clear();
    // SR: V=2, P=0, RC=0, PT=200, length 6 (28 bytes).
    out.extend_from_slice(&[0x80, 200, 0, 6]);
    out.extend_from_slice(&info.ssrc.to_be_bytes());
    out.extend_from_slice(&ntp_timestamp(info.wallclock).to_be_bytes());
    out.extend_from_slice(&info.rtp_timestamp.to_be_bytes());
    out.extend_from_slice(&info.packets.to_be_bytes());
    out.extend_from_slice(&info.octets.to_be_bytes());
    // SDES: one chunk, CNAME item, END, padded to 32 bits.
    let cname = &cname.as_bytes()[..cname.len().min(255)];
    let sdes_start = out.len();
    out.extend_from_slice(&[0x81, 202, 0, 0]);
    out.extend_from_slice(&info.ssrc.to_be_bytes());
    out.push(1);
    out.push(cname.len() as u8);
    out.extend_from_slice(cname);
    out.push(0);
    while !(out.len() - sdes_start).is_multiple_of(4) {
        out.push(0);
    }
    let words = ((out.len() - sdes_start) / 4 - 1) as u16;
    out[sdes_start + 2..sdes_start + 4].copy_from_slice(&words.to_be_bytes());
    out.len()
}

/// One reception report block from a peer's SR or RR.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportBlock {
    /// Who sent the report.
    pub reporter: u32,
    /// The source reported on (should be our SSRC).
    pub source: u32,
    /// Fraction lost since the last report, out of 256.
    pub fraction_lost: u8,
    /// Cumulative packets lost (signed 24-bit).
    pub cumulative_lost: i32,
    /// Extended highest sequence number received.
    pub highest_seq: u32,
    /// Interarrival jitter in timestamp units.
    pub jitter: u32,
}

/// Parses a compound RTCP packet; returns every report block found (SR and RR).
pub fn parse_reports(mut buf: &[u8]) -> Result<Vec<ReportBlock>, RtcpError> {
    let mut blocks = Vec::new();
    while !buf.is_empty() {
        if buf.len() < 4 {
            return Err(RtcpError::Truncated);
        }
        let version = buf[0] >> 6;
        if version != 2 {
            return Err(RtcpError::Version(version));
        }
        let count = (buf[0] & 0x1F) as usize;
        let pt = buf[1];
        let len = (u16::from_be_bytes([buf[2], buf[3]]) as usize + 1) * 4;
        let Some(packet) = buf.get(..len) else {
            return Err(RtcpError::Truncated);
        };
        let blocks_at = match pt {
            200 => Some(28),
            201 => Some(8),
            _ => None,
        };
        if let Some(at) = blocks_at {
            let reporter = be32(packet, 4).ok_or(RtcpError::Truncated)?;
            for i in 0..count {
                let b = at + i * 24;
                let Some(block) = packet.get(b..b + 24) else {
                    return Err(RtcpError::Truncated);
                };
                let lost = u32::from_be_bytes([0, block[5], block[6], block[7]]);
                let cumulative_lost = ((lost << 8) as i32) >> 8;
                blocks.push(ReportBlock {
                    reporter,
                    source: be32(block, 0).unwrap_or(0),
                    fraction_lost: block[4],
                    cumulative_lost,
                    highest_seq: be32(block, 8).unwrap_or(0),
                    jitter: be32(block, 12).unwrap_or(0),
                });
            }
        }
        buf = &buf[len..];
    }
    Ok(blocks)
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at + 4)?;
    Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sender_report_layout() {
        let info = SenderInfo {
            ssrc: 0x1122_3344,
            wallclock: UNIX_EPOCH + Duration::from_millis(1_500),
            rtp_timestamp: 160,
            packets: 7,
            octets: 1120,
        };
        let mut out = Vec::new();
        let n = build_sender_report(&info, "lianxin", &mut out);
        assert_eq!(n % 4, 0);
        assert_eq!(&out[..4], &[0x80, 200, 0, 6]);
        assert_eq!(&out[4..8], &0x1122_3344u32.to_be_bytes());
        assert_eq!(be32(&out, 8), Some(NTP_UNIX_OFFSET as u32 + 1));
        assert_eq!(be32(&out, 12), Some(1 << 31));
        assert_eq!(be32(&out, 20), Some(7));
        assert_eq!(be32(&out, 24), Some(1120));
        assert_eq!(out[29], 202);
        assert_eq!(&out[36..38], &[1, 7]);
        assert_eq!(&out[38..45], b"lianxin");
        // Our own SR parses (no report blocks).
        assert_eq!(parse_reports(&out), Ok(vec![]));
    }

    #[test]
    fn parses_receiver_report() {
        let mut rr = vec![0x81, 201, 0, 7];
        rr.extend_from_slice(&0xAAAA_AAAAu32.to_be_bytes());
        rr.extend_from_slice(&0x1122_3344u32.to_be_bytes());
        rr.extend_from_slice(&[25, 0xFF, 0xFF, 0xFE]); // 10% lost, cumulative -2
        rr.extend_from_slice(&70_000u32.to_be_bytes());
        rr.extend_from_slice(&42u32.to_be_bytes());
        rr.extend_from_slice(&[0; 8]);
        let blocks = parse_reports(&rr).unwrap();
        assert_eq!(
            blocks,
            vec![ReportBlock {
                reporter: 0xAAAA_AAAA,
                source: 0x1122_3344,
                fraction_lost: 25,
                cumulative_lost: -2,
                highest_seq: 70_000,
                jitter: 42,
            }]
        );
        assert_eq!(parse_reports(&rr[..20]), Err(RtcpError::Truncated));
        assert_eq!(
            parse_reports(&[0x40, 201, 0, 0]),
            Err(RtcpError::Version(1))
        );
    }
}

//! RFC 4733 telephone-events: key presses sent as RTP packets.
//!
//! A phone sends each key press as a run of packets sharing one RTP timestamp (the event's
//! start): updates while the key is held, then the end packet, usually three times. The
//! [`DtmfReceiver`] reports each press once, as soon as its first packet arrives (menus feel
//! quicker), keyed by that timestamp, so retransmitted end packets and long presses never
//! become a second digit. Sans-IO: bytes in, digits out.

/// Why a telephone-event payload was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DtmfError {
    /// The payload is shorter than the 4-byte event block.
    #[error("telephone-event payload is {0} bytes, need 4")]
    TooShort(usize),
}

/// One parsed RFC 4733 event block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TelephoneEvent {
    /// Event code (0–9 digits, 10 `*`, 11 `#`, 12–15 `A`–`D`, 16 flash).
    pub event: u8,
    /// The E bit: this is (a retransmission of) the final packet.
    pub end: bool,
    /// Volume in -dBm0 (0–63).
    pub volume: u8,
    /// Duration so far, in timestamp units (1/8000 s).
    pub duration: u16,
}

impl TelephoneEvent {
    /// Parses the first event block of a payload (redundant blocks after it are ignored).
    pub fn parse(payload: &[u8]) -> Result<TelephoneEvent, DtmfError> {
        let [event, flags, d0, d1, ..] = *payload else {
            return Err(DtmfError::TooShort(payload.len()));
        };
        Ok(TelephoneEvent {
            event,
            end: flags & 0x80 != 0,
            volume: flags & 0x3F,
            duration: u16::from_be_bytes([d0, d1]),
        })
    }

    /// Writes the 4-byte block (for tests and for sending key presses).
    pub fn write(&self) -> [u8; 4] {
        let d = self.duration.to_be_bytes();
        [
            self.event,
            (if self.end { 0x80 } else { 0 }) | (self.volume & 0x3F),
            d[0],
            d[1],
        ]
    }

    /// The key as a character, for the events a keypad sends.
    pub fn key(&self) -> Option<char> {
        match self.event {
            0..=9 => Some((b'0' + self.event) as char),
            10 => Some('*'),
            11 => Some('#'),
            12..=15 => Some((b'A' + self.event - 12) as char),
            _ => None,
        }
    }
}

/// Turns a stream of telephone-event packets into one digit per key press.
#[derive(Debug, Default, Clone)]
pub struct DtmfReceiver {
    last: Option<(u32, u8)>,
}

impl DtmfReceiver {
    /// A receiver that has seen no event yet.
    pub fn new() -> DtmfReceiver {
        DtmfReceiver::default()
    }

    /// Feeds one telephone-event packet (its RTP timestamp and payload); returns the key the
    /// first time an event is seen.
    pub fn handle_packet(
        &mut self,
        rtp_timestamp: u32,
        payload: &[u8],
    ) -> Result<Option<char>, DtmfError> {
        let ev = TelephoneEvent::parse(payload)?;
        let key = (rtp_timestamp, ev.event);
        if self.last == Some(key) {
            return Ok(None);
        }
        self.last = Some(key);
        Ok(ev.key())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(event: u8, end: bool, duration: u16) -> [u8; 4] {
        TelephoneEvent {
            event,
            end,
            volume: 10,
            duration,
        }
        .write()
    }

    #[test]
    fn parses_rfc4733_block() {
        let e = TelephoneEvent::parse(&[0x0B, 0x8A, 0x03, 0x20]).unwrap();
        assert_eq!(
            e,
            TelephoneEvent {
                event: 11,
                end: true,
                volume: 10,
                duration: 800
            }
        );
        assert_eq!(e.key(), Some('#'));
        assert_eq!(
            TelephoneEvent::parse(&[1, 2, 3]),
            Err(DtmfError::TooShort(3))
        );
        let keys: String = (0..=16)
            .filter_map(|n| TelephoneEvent::parse(&ev(n, false, 0)).unwrap().key())
            .collect();
        assert_eq!(keys, "0123456789*#ABCD");
    }

    #[test]
    fn one_digit_per_press_despite_updates_and_three_end_packets() {
        let mut rx = DtmfReceiver::new();
        let mut got = String::new();
        // Key 1 at ts 1000: three updates, three end packets.
        for p in [
            ev(1, false, 160),
            ev(1, false, 320),
            ev(1, false, 480),
            ev(1, true, 640),
            ev(1, true, 640),
            ev(1, true, 640),
        ] {
            got.extend(rx.handle_packet(1000, &p).unwrap());
        }
        // The same key pressed again: a new event timestamp, a new digit.
        for p in [
            ev(1, false, 160),
            ev(1, true, 320),
            ev(1, true, 320),
            ev(1, true, 320),
        ] {
            got.extend(rx.handle_packet(5000, &p).unwrap());
        }
        // Only end packets arrive (the start was lost): still one digit.
        for _ in 0..3 {
            got.extend(rx.handle_packet(9000, &ev(2, true, 800)).unwrap());
        }
        assert_eq!(got, "112");
    }
}

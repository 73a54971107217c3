//! G.711 μ-law (PCMU) and A-law (PCMA), table-driven.
//!
//! Every prompt is encoded once at start, but bridged calls (caller ↔ operator) and
//! recordings decode and encode every 20 ms frame, so both directions are single table
//! lookups. The tables are computed at compile time from the reference algorithm of
//! ITU-T G.711 (as in the G.191 software tools): 14-bit input for μ-law, 13-bit for A-law,
//! output scaled to 16-bit linear PCM.

/// μ-law code for digital silence (positive zero).
pub const ULAW_SILENCE: u8 = 0xFF;
/// A-law code for digital silence (smallest positive step, even bits inverted).
pub const ALAW_SILENCE: u8 = 0xD5;

const fn ulaw_to_linear_ref(code: u8) -> i16 {
    let u = !code;
    let mut t: i32 = (((u & 0x0F) as i32) << 3) + 0x84;
    t <<= ((u & 0x70) >> 4) as i32;
    if u & 0x80 != 0 {
        (0x84 - t) as i16
    } else {
        (t - 0x84) as i16
    }
}

const fn alaw_to_linear_ref(code: u8) -> i16 {
    let a = code ^ 0x55;
    let mut t: i32 = ((a & 0x0F) as i32) << 4;
    let seg = ((a & 0x70) >> 4) as i32;
    match seg {
        0 => t += 8,
        1 => t += 0x108,
        _ => {
            t += 0x108;
            t <<= seg - 1;
        }
    }
    if a & 0x80 != 0 {
        t as i16
    } else {
        (-t) as i16
    }
}

/// μ-law encoding of a 14-bit sample (the 16-bit sample shifted right by 2).
const fn linear14_to_ulaw_ref(v14: i32) -> u8 {
    const SEG_END: [i32; 8] = [0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF];
    let (mut v, mask) = if v14 < 0 {
        (-v14, 0x7Fu8)
    } else {
        (v14, 0xFFu8)
    };
    if v > 8159 {
        v = 8159;
    }
    v += 0x21;
    let mut seg = 0;
    while seg < 8 && v > SEG_END[seg] {
        seg += 1;
    }
    if seg >= 8 {
        return 0x7F ^ mask;
    }
    let u = ((seg as i32) << 4) | ((v >> (seg + 1)) & 0x0F);
    (u as u8) ^ mask
}

/// A-law encoding of a 13-bit sample (the 16-bit sample shifted right by 3).
const fn linear13_to_alaw_ref(v13: i32) -> u8 {
    const SEG_END: [i32; 8] = [0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF];
    let (v, mask) = if v13 >= 0 {
        (v13, 0xD5u8)
    } else {
        (-v13 - 1, 0x55u8)
    };
    let mut seg = 0;
    while seg < 8 && v > SEG_END[seg] {
        seg += 1;
    }
    if seg >= 8 {
        return 0x7F ^ mask;
    }
    let mut a = (seg as i32) << 4;
    if seg < 2 {
        a |= (v >> 1) & 0x0F;
    } else {
        a |= (v >> seg) & 0x0F;
    }
    (a as u8) ^ mask
}

const fn build_ulaw_decode() -> [i16; 256] {
    let mut t = [0i16; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = ulaw_to_linear_ref(i as u8);
        i += 1;
    }
    t
}

const fn build_alaw_decode() -> [i16; 256] {
    let mut t = [0i16; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = alaw_to_linear_ref(i as u8);
        i += 1;
    }
    t
}

/// Indexed by the 14-bit two's-complement sample (`(s >> 2) & 0x3FFF`).
const fn build_ulaw_encode() -> [u8; 16384] {
    let mut t = [0u8; 16384];
    let mut i = 0;
    while i < 16384 {
        let v = if i >= 8192 {
            i as i32 - 16384
        } else {
            i as i32
        };
        t[i] = linear14_to_ulaw_ref(v);
        i += 1;
    }
    t
}

/// Indexed by the 13-bit two's-complement sample (`(s >> 3) & 0x1FFF`).
const fn build_alaw_encode() -> [u8; 8192] {
    let mut t = [0u8; 8192];
    let mut i = 0;
    while i < 8192 {
        let v = if i >= 4096 { i as i32 - 8192 } else { i as i32 };
        t[i] = linear13_to_alaw_ref(v);
        i += 1;
    }
    t
}

static ULAW_DECODE: [i16; 256] = build_ulaw_decode();
static ALAW_DECODE: [i16; 256] = build_alaw_decode();
static ULAW_ENCODE: [u8; 16384] = build_ulaw_encode();
static ALAW_ENCODE: [u8; 8192] = build_alaw_encode();

/// Decodes one μ-law byte to 16-bit linear PCM.
#[inline]
pub fn ulaw_decode(code: u8) -> i16 {
    ULAW_DECODE[code as usize]
}

/// Decodes one A-law byte to 16-bit linear PCM.
#[inline]
pub fn alaw_decode(code: u8) -> i16 {
    ALAW_DECODE[code as usize]
}

/// Encodes one 16-bit linear sample to μ-law.
#[inline]
pub fn ulaw_encode(sample: i16) -> u8 {
    ULAW_ENCODE[((sample >> 2) as u16 & 0x3FFF) as usize]
}

/// Encodes one 16-bit linear sample to A-law.
#[inline]
pub fn alaw_encode(sample: i16) -> u8 {
    ALAW_ENCODE[((sample >> 3) as u16 & 0x1FFF) as usize]
}

pub use lianxin_sdp::Codec;

/// G.711 sample arithmetic for a [`Codec`] (the type itself is `lianxin-sdp`'s, so the
/// negotiated value goes straight into a media session).
pub trait G711 {
    /// The code for silence.
    fn silence(self) -> u8;
    /// Encodes one sample.
    fn encode(self, sample: i16) -> u8;
    /// Decodes one byte.
    fn decode(self, code: u8) -> i16;
    /// Encodes `pcm` into `out` (same length; extra output bytes are left alone).
    fn encode_into(self, pcm: &[i16], out: &mut [u8]);
    /// Decodes `payload` into `out` (same length; extra output samples are left alone).
    fn decode_into(self, payload: &[u8], out: &mut [i16]);
}

impl G711 for Codec {
    fn silence(self) -> u8 {
        match self {
            Codec::Pcmu => ULAW_SILENCE,
            Codec::Pcma => ALAW_SILENCE,
        }
    }

    #[inline]
    fn encode(self, sample: i16) -> u8 {
        match self {
            Codec::Pcmu => ulaw_encode(sample),
            Codec::Pcma => alaw_encode(sample),
        }
    }

    #[inline]
    fn decode(self, code: u8) -> i16 {
        match self {
            Codec::Pcmu => ulaw_decode(code),
            Codec::Pcma => alaw_decode(code),
        }
    }

    fn encode_into(self, pcm: &[i16], out: &mut [u8]) {
        for (o, s) in out.iter_mut().zip(pcm) {
            *o = self.encode(*s);
        }
    }

    fn decode_into(self, payload: &[u8], out: &mut [i16]) {
        for (o, c) in out.iter_mut().zip(payload) {
            *o = self.decode(*c);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference points of ITU-T G.711 (16-bit scaled, as in G.191's g711 module).
    #[test]
    fn ulaw_reference_values() {
        assert_eq!(ulaw_decode(0x00), -32124);
        assert_eq!(ulaw_decode(0x80), 32124);
        assert_eq!(ulaw_decode(0xFF), 0);
        assert_eq!(ulaw_decode(0x7F), 0);
        assert_eq!(ulaw_decode(0xFE), 8);
        assert_eq!(ulaw_decode(0x7E), -8);
        assert_eq!(ulaw_decode(0xF0), 120);
        assert_eq!(ulaw_decode(0x8F), 16764);
        assert_eq!(ulaw_encode(0), 0xFF);
        assert_eq!(ulaw_encode(-1), 0x7E);
        assert_eq!(ulaw_encode(32767), 0x80);
        assert_eq!(ulaw_encode(-32768), 0x00);
        assert_eq!(ulaw_encode(1000), 0xCE);
        assert_eq!(ulaw_encode(-1000), 0x4E);
    }

    #[test]
    fn alaw_reference_values() {
        assert_eq!(alaw_decode(0xD5), 8);
        assert_eq!(alaw_decode(0x55), -8);
        assert_eq!(alaw_decode(0xAA), 32256);
        assert_eq!(alaw_decode(0x2A), -32256);
        assert_eq!(alaw_encode(0), 0xD5);
        assert_eq!(alaw_encode(-1), 0x55);
        assert_eq!(alaw_encode(32767), 0xAA);
        assert_eq!(alaw_encode(-32768), 0x2A);
        assert_eq!(alaw_encode(1000), 0xFA);
        assert_eq!(alaw_encode(-1000), 0x7A);
    }

    #[test]
    fn decode_then_encode_is_identity() {
        for code in 0..=255u8 {
            assert_eq!(alaw_encode(alaw_decode(code)), code, "A-law {code:#04x}");
            // μ-law has a negative zero (0x7F) that encodes back as positive zero.
            let expect = if code == 0x7F { 0xFF } else { code };
            assert_eq!(ulaw_encode(ulaw_decode(code)), expect, "μ-law {code:#04x}");
        }
    }

    #[test]
    fn tables_match_reference_algorithm_everywhere() {
        for s in i16::MIN..=i16::MAX {
            assert_eq!(ulaw_encode(s), linear14_to_ulaw_ref((s >> 2) as i32));
            assert_eq!(alaw_encode(s), linear13_to_alaw_ref((s >> 3) as i32));
        }
    }

    #[test]
    fn decoding_is_monotonic_and_error_is_bounded() {
        // Quantization error stays within half a step of the segment (≤ 1/32 of magnitude + 16).
        for s in (i16::MIN as i32 + 64..=i16::MAX as i32 - 1100).step_by(7) {
            let s = s as i16;
            for codec in [Codec::Pcmu, Codec::Pcma] {
                let d = codec.decode(codec.encode(s)) as i32;
                let err = (d - s as i32).abs();
                assert!(err <= (s as i32).abs() / 16 + 16, "{codec:?} {s} -> {d}");
            }
        }
    }
}

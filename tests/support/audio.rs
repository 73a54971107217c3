//! Known audio in, the same audio found out: a sine tone as raw μ-law (what sipp's
//! `rtp_stream` sends as PCMU), a μ-law decoder for what the server sends back, and a
//! Goertzel detector that says in how many 20 ms frames a given frequency dominates.
//!
//! The G.711 code here is written from the standard on purpose, not taken from
//! `lianxin-media`: a test that decoded with the product's own tables would share its bugs.

/// Samples per 20 ms frame at 8 kHz.
pub const FRAME: usize = 160;

/// `secs` seconds of a `freq` Hz sine at `amplitude` (linear 16-bit), 8 kHz, as μ-law bytes.
/// With a whole number of periods per second the file loops without a click.
pub fn ulaw_tone(freq: f64, secs: usize, amplitude: f64) -> Vec<u8> {
    (0..secs * 8000)
        .map(|i| {
            let s = amplitude * (2.0 * std::f64::consts::PI * freq * i as f64 / 8000.0).sin();
            ulaw_encode(s as i16)
        })
        .collect()
}

/// ITU-T G.711 μ-law encoding of one linear sample.
pub fn ulaw_encode(sample: i16) -> u8 {
    const BIAS: i32 = 0x84;
    const CLIP: i32 = 32635;
    let mut s = i32::from(sample);
    let sign = if s < 0 {
        s = -s;
        0x80
    } else {
        0
    };
    let s = s.min(CLIP) + BIAS;
    let exponent = (7 - (s.leading_zeros() as i32 - 17)).clamp(0, 7);
    let mantissa = (s >> (exponent + 3)) & 0x0F;
    !(sign | (exponent << 4) as u8 | mantissa as u8)
}

/// ITU-T G.711 μ-law decoding of one byte.
pub fn ulaw_decode(byte: u8) -> i16 {
    let b = !byte;
    let exponent = i32::from((b >> 4) & 0x07);
    let mantissa = i32::from(b & 0x0F);
    let magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84;
    if b & 0x80 != 0 {
        -magnitude as i16
    } else {
        magnitude as i16
    }
}

/// The share (0..=1) of a block's energy that lies at `freq` (Goertzel, one bin).
/// A pure tone at `freq` filling the block gives about 1; silence gives 0.
pub fn tone_share(samples: &[i16], freq: f64) -> f64 {
    let n = samples.len() as f64;
    let energy: f64 = samples.iter().map(|&s| f64::from(s).powi(2)).sum();
    if energy == 0.0 {
        return 0.0;
    }
    let coeff = 2.0 * (2.0 * std::f64::consts::PI * freq / 8000.0).cos();
    let (mut s1, mut s2) = (0.0f64, 0.0f64);
    for &x in samples {
        let s0 = f64::from(x) + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    let power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
    2.0 * power / (n * energy)
}

/// How many 20 ms frames of `samples` carry a tone at `freq`: loud enough to be speech
/// (RMS over 500) and with at least 80 % of their energy at that frequency.
pub fn tone_frames(samples: &[i16], freq: f64) -> usize {
    samples
        .chunks_exact(FRAME)
        .filter(|f| {
            let rms = (f.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / FRAME as f64).sqrt();
            rms > 500.0 && tone_share(f, freq) > 0.8
        })
        .count()
}

/// The helpers themselves: the encoder matches G.711's table ends, and the detector
/// finds the tone it is asked for and nothing else (so a test built on it can fail).
#[test]
fn support_tone_detector_finds_only_the_tone_asked_for() {
    assert_eq!(ulaw_encode(0), 0xFF);
    assert_eq!(ulaw_decode(0xFF), 0);
    assert_eq!(ulaw_decode(0x80), 32124);
    assert_eq!(ulaw_decode(0x00), -32124);
    for s in [-30000i16, -1000, -1, 1, 100, 1000, 30000] {
        let back = ulaw_decode(ulaw_encode(s));
        assert!(
            (i32::from(back) - i32::from(s)).abs() <= i32::from(s).abs() / 16 + 8,
            "{s} -> {back}"
        );
    }
    let pcm: Vec<i16> = ulaw_tone(1000.0, 1, 8000.0)
        .into_iter()
        .map(ulaw_decode)
        .collect();
    assert_eq!(tone_frames(&pcm, 1000.0), 50);
    assert_eq!(tone_frames(&pcm, 700.0), 0);
    assert_eq!(tone_frames(&pcm, 440.0), 0);
    assert_eq!(tone_frames(&[0; 8000], 1000.0), 0);
}

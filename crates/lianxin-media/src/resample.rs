//! Sample-rate conversion of whole prompts to the 8 kHz telephone rate.
//!
//! Runs once per prompt at load time, never per call, so quality matters more than speed:
//! `rubato`'s synchronous FFT resampler (band-limited, exact integer ratio). The resampler's
//! delay is trimmed so the output lines up with the input and has
//! `round(len * 8000 / rate)` samples.

use rubato::{FftFixedInOut, Resampler};

/// The telephone sample rate every prompt is converted to.
pub const TELEPHONE_RATE: u32 = 8000;

/// Why a resampling failed.
#[derive(Debug, thiserror::Error)]
pub enum ResampleError {
    /// The input rate is zero.
    #[error("sample rate 0 Hz is invalid")]
    ZeroRate,
    /// The resampler could not be built for this ratio.
    #[error("cannot build a resampler from {from} Hz to {to} Hz: {detail}")]
    Construction {
        /// Input rate.
        from: u32,
        /// Output rate.
        to: u32,
        /// The library's explanation.
        detail: String,
    },
    /// Processing failed.
    #[error("resampling failed: {0}")]
    Process(String),
}

/// Converts mono `samples` at `from` Hz to `to` Hz.
pub fn resample(samples: &[f32], from: u32, to: u32) -> Result<Vec<f32>, ResampleError> {
    if from == 0 || to == 0 {
        return Err(ResampleError::ZeroRate);
    }
    if from == to {
        return Ok(samples.to_vec());
    }
    let chunk = 1024;
    let mut rs = FftFixedInOut::<f32>::new(from as usize, to as usize, chunk, 1).map_err(|e| {
        ResampleError::Construction {
            from,
            to,
            detail: e.to_string(),
        }
    })?;
    let want = ((samples.len() as u64 * to as u64 + from as u64 / 2) / from as u64) as usize;
    let delay = rs.output_delay();
    let mut out: Vec<f32> = Vec::with_capacity(want + delay + rs.output_frames_max());
    let mut outbuf = rs.output_buffer_allocate(true);
    let mut pos = 0;
    let mut inbuf = vec![vec![0f32; rs.input_frames_max()]];
    while out.len() < want + delay {
        let need = rs.input_frames_next();
        let take = need.min(samples.len().saturating_sub(pos));
        inbuf[0].clear();
        inbuf[0].extend_from_slice(&samples[pos..pos + take]);
        inbuf[0].resize(need, 0.0);
        pos += take;
        let (_, produced) = rs
            .process_into_buffer(&inbuf, &mut outbuf, None)
            .map_err(|e| ResampleError::Process(e.to_string()))?;
        out.extend_from_slice(&outbuf[0][..produced]);
    }
    out.drain(..delay);
    out.truncate(want);
    Ok(out)
}

/// Converts mono `samples` at `rate` Hz to 8 kHz.
pub fn to_telephone_rate(samples: &[f32], rate: u32) -> Result<Vec<f32>, ResampleError> {
    resample(samples, rate, TELEPHONE_RATE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f32::consts::PI;

    fn sine(freq: f32, rate: u32, seconds: f32) -> Vec<f32> {
        let n = (rate as f32 * seconds) as usize;
        (0..n)
            .map(|i| 0.5 * (2.0 * PI * freq * i as f32 / rate as f32).sin())
            .collect()
    }

    /// Power at `freq` (Goertzel), normalized by length.
    fn goertzel(x: &[f32], freq: f32, rate: u32) -> f32 {
        let w = 2.0 * PI * freq / rate as f32;
        let c = 2.0 * w.cos();
        let (mut s1, mut s2) = (0f32, 0f32);
        for &v in x {
            let s0 = v + c * s1 - s2;
            s2 = s1;
            s1 = s0;
        }
        (s1 * s1 + s2 * s2 - c * s1 * s2) / (x.len() as f32 * x.len() as f32)
    }

    fn zero_crossings(x: &[f32]) -> usize {
        x.windows(2)
            .filter(|w| (w[0] < 0.0) != (w[1] < 0.0))
            .count()
    }

    #[test]
    fn one_khz_stays_one_khz() {
        for rate in [11025u32, 16000, 22050, 44100, 48000] {
            let out = to_telephone_rate(&sine(1000.0, rate, 1.0), rate).unwrap();
            assert_eq!(out.len(), 8000, "{rate} Hz");
            // Skip the edges, where the band-limited filter rings.
            let mid = &out[400..7600];
            let zc = zero_crossings(mid);
            // 1 kHz = 2000 crossings per second; 7200 samples = 0.9 s.
            assert!((1795..=1805).contains(&zc), "{rate} Hz: {zc} crossings");
            let at_1k = goertzel(mid, 1000.0, 8000);
            for other in [500.0, 900.0, 1100.0, 2000.0, 3000.0] {
                assert!(
                    at_1k > 100.0 * goertzel(mid, other, 8000),
                    "{rate} Hz vs {other}"
                );
            }
            // Level is kept: RMS of a 0.5 sine is 0.354 (within 5%).
            let rms = (mid.iter().map(|v| v * v).sum::<f32>() / mid.len() as f32).sqrt();
            assert!((0.336..0.371).contains(&rms), "{rate} Hz RMS {rms}");
        }
    }

    #[test]
    fn same_rate_is_a_copy_and_zero_rate_is_an_error() {
        let x = sine(440.0, 8000, 0.1);
        assert_eq!(to_telephone_rate(&x, 8000).unwrap(), x);
        assert!(matches!(
            to_telephone_rate(&x, 0),
            Err(ResampleError::ZeroRate)
        ));
    }

    #[test]
    fn output_length_rounds() {
        let x = vec![0.0f32; 44101];
        assert_eq!(to_telephone_rate(&x, 44100).unwrap().len(), 8000);
        assert_eq!(to_telephone_rate(&[], 44100).unwrap().len(), 0);
    }
}

//! Prompts and notices from the files staff actually have: MP3 (with and without an ID3
//! tag, whatever the file is called), WAV at 44.1 kHz stereo and 8-bit WAV, each decoded to
//! 8 kHz and checked by what it sounds like (duration and a 1 kHz tone found with a
//! Goertzel filter), and garbage refused with an error naming the file.
//!
//! `fixtures/tone_1khz_1250ms.mp3` (11 kB) was made once with
//! `sox -n -r 22050 -c 1 -b 16 tone.wav synth 1.25 sine 1000 vol 0.5` and
//! `lame -b 64 -m m --id3v2-only --tt "1 kHz tone, 1.25 s" tone.wav tone_1khz_1250ms.mp3`
//! (64 kbit/s so the first frame holds the LAME tag with the encoder delay and padding,
//! which gapless decoding trims; CI has no MP3 encoder, so the file is committed).

use std::f64::consts::PI;
use std::path::{Path, PathBuf};
use std::time::Duration;

use lianxin_media::g711::ulaw_decode;
use lianxin_media::{Codec, Prompt, PromptConfig, PromptError, PromptLibrary};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn mp3_bytes() -> Vec<u8> {
    std::fs::read(fixture("tone_1khz_1250ms.mp3")).expect("fixture")
}

/// The prompt's 8 kHz samples, decoded back from μ-law.
fn pcm(p: &Prompt) -> Vec<f64> {
    p.encoded(Codec::Pcmu)[..p.samples()]
        .iter()
        .map(|b| ulaw_decode(*b) as f64 / 32768.0)
        .collect()
}

/// Power at `freq` Hz in 8 kHz samples (Goertzel), normalized by length.
fn goertzel(x: &[f64], freq: f64) -> f64 {
    let c = 2.0 * (2.0 * PI * freq / 8000.0).cos();
    let (mut s1, mut s2) = (0.0, 0.0);
    for v in x {
        let s0 = v + c * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    (s1 * s1 + s2 * s2 - c * s1 * s2) / (x.len() as f64 * x.len() as f64)
}

/// Asserts `p` lasts `ms` (±50 ms) and is a 1 kHz tone of about `amplitude`.
fn assert_tone(p: &Prompt, ms: u64, amplitude: f64) {
    let want = Duration::from_millis(ms);
    let got = p.duration();
    assert!(
        got.abs_diff(want) <= Duration::from_millis(50),
        "{}: {got:?}, expected {want:?}",
        p.name()
    );
    let x = pcm(p);
    // Skip the edges (encoder and resampler ramps).
    let mid = &x[800..x.len() - 800];
    let at_1k = goertzel(mid, 1000.0);
    for other in [300.0, 700.0, 1300.0, 2000.0, 3000.0] {
        assert!(
            at_1k > 100.0 * goertzel(mid, other),
            "{}: no clear 1 kHz tone (vs {other} Hz)",
            p.name()
        );
    }
    // A sine of amplitude A has RMS A/√2.
    let rms = (mid.iter().map(|v| v * v).sum::<f64>() / mid.len() as f64).sqrt();
    let expected = amplitude / 2f64.sqrt();
    assert!(
        (rms - expected).abs() < 0.15 * expected,
        "{}: RMS {rms}, expected {expected}",
        p.name()
    );
}

fn write_wav(path: &Path, spec: hound::WavSpec, frames: usize, sample: impl Fn(usize, u16) -> f64) {
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for i in 0..frames {
        for ch in 0..spec.channels {
            let max = (1i64 << (spec.bits_per_sample - 1)) as f64;
            let v = (sample(i, ch) * max).round().clamp(-max, max - 1.0) as i32;
            w.write_sample(v).unwrap();
        }
    }
    w.finalize().unwrap();
}

fn sine(i: usize, rate: u32, amplitude: f64) -> f64 {
    amplitude * (2.0 * PI * 1000.0 * i as f64 / rate as f64).sin()
}

#[test]
fn mp3_file_decodes_to_its_tone_and_duration() {
    let p = Prompt::load(&fixture("tone_1khz_1250ms.mp3"), &PromptConfig::default()).unwrap();
    assert_eq!(p.name(), "tone_1khz_1250ms");
    assert_tone(&p, 1250, 0.5);
}

#[test]
fn mp3_bytes_decode_the_same_as_the_file() {
    let from_file =
        Prompt::load(&fixture("tone_1khz_1250ms.mp3"), &PromptConfig::default()).unwrap();
    let from_bytes =
        Prompt::decode("notice-water", &mp3_bytes(), &PromptConfig::default()).unwrap();
    assert_eq!(from_bytes.name(), "notice-water");
    assert_eq!(
        from_bytes.encoded(Codec::Pcma),
        from_file.encoded(Codec::Pcma)
    );
}

#[test]
fn mp3_is_told_by_content_not_by_name() {
    let bytes = mp3_bytes();
    // An ID3v2 header is 10 bytes; its size is syncsafe (7 bits a byte).
    assert_eq!(&bytes[..3], b"ID3");
    let tag = 10
        + bytes[6..10]
            .iter()
            .fold(0usize, |n, b| (n << 7) | *b as usize);
    let bare = &bytes[tag..];
    assert_eq!(bare[0], 0xFF, "an MPEG frame follows the tag");
    let dir = tempfile::tempdir().unwrap();
    // Without its tag, starting with a frame, and called .wav.
    let renamed = dir.path().join("misnamed.wav");
    std::fs::write(&renamed, bare).unwrap();
    let p = Prompt::load(&renamed, &PromptConfig::default()).unwrap();
    assert_tone(&p, 1250, 0.5);
    // The library loads MP3 files beside WAV files.
    std::fs::copy(
        fixture("tone_1khz_1250ms.mp3"),
        dir.path().join("notice_tone.mp3"),
    )
    .unwrap();
    let lib = PromptLibrary::load_dir(dir.path(), &PromptConfig::default()).unwrap();
    assert_eq!(lib.names().collect::<Vec<_>>(), ["misnamed", "notice_tone"]);
    assert_tone(&lib.prompt("notice-tone").unwrap(), 1250, 0.5);
}

#[test]
fn wav_at_44k_stereo_is_mixed_down_and_resampled() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cd.wav");
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: 44100,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    // The tone on the left, silence on the right: the mix has half its amplitude.
    write_wav(&path, spec, 44100 * 3 / 2, |i, ch| {
        if ch == 0 {
            sine(i, 44100, 0.6)
        } else {
            0.0
        }
    });
    let p = Prompt::load(&path, &PromptConfig::default()).unwrap();
    assert_eq!(p.samples(), 12000);
    assert_tone(&p, 1500, 0.3);
}

#[test]
fn eight_bit_wav_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.wav");
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 11025,
        bits_per_sample: 8,
        sample_format: hound::SampleFormat::Int,
    };
    write_wav(&path, spec, 11025, |i, _| sine(i, 11025, 0.5));
    let p = Prompt::load(&path, &PromptConfig::default()).unwrap();
    assert_tone(&p, 1000, 0.5);
}

#[test]
fn garbage_is_refused_naming_the_file() {
    let config = PromptConfig::default();
    let err = Prompt::decode("upload.mp3", b"<html>not audio</html>", &config).unwrap_err();
    assert!(matches!(err, PromptError::Unrecognized { .. }), "{err}");
    let text = err.to_string();
    assert!(
        text.contains("upload.mp3") && text.contains("neither"),
        "{text}"
    );
    let err = Prompt::decode("empty", b"", &config).unwrap_err();
    assert!(matches!(err, PromptError::Unrecognized { .. }), "{err}");

    // An ID3 tag followed by junk: an MP3 that does not decode.
    let bytes = mp3_bytes();
    let tag = 10
        + bytes[6..10]
            .iter()
            .fold(0usize, |n, b| (n << 7) | *b as usize);
    let mut broken = bytes[..tag].to_vec();
    broken.extend(std::iter::repeat_n(0x55u8, 4000));
    let err = Prompt::decode("broken-notice", &broken, &config).unwrap_err();
    assert!(matches!(err, PromptError::Mp3 { .. }), "{err}");
    let text = err.to_string();
    assert!(
        text.contains("broken-notice") && text.contains("MP3"),
        "{text}"
    );

    // Cut short mid-stream: what is there plays.
    let cut = &bytes[..bytes.len() / 2];
    let p = Prompt::decode("cut", cut, &config).unwrap();
    assert!(
        p.duration() > Duration::from_millis(300),
        "{:?}",
        p.duration()
    );
    assert!(
        p.duration() < Duration::from_millis(1000),
        "{:?}",
        p.duration()
    );
}

#[test]
fn mp3_longer_than_allowed_is_refused() {
    let config = PromptConfig {
        max_duration: Duration::from_secs(1),
    };
    let err = Prompt::load(&fixture("tone_1khz_1250ms.mp3"), &config).unwrap_err();
    match &err {
        PromptError::TooLong {
            seconds,
            max_seconds,
            ..
        } => {
            assert_eq!(*max_seconds, 1);
            assert!((seconds - 1.25).abs() < 0.06, "{seconds}");
        }
        other => panic!("{other}"),
    }
    assert!(err.to_string().contains("tone_1khz_1250ms.mp3"), "{err}");
}

/// Uploads come from outside: corrupted MP3s (bytes flipped, cut anywhere) give a prompt or
/// an error, never a panic.
#[test]
fn corrupted_mp3_never_panics() {
    let bytes = mp3_bytes();
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for round in 0..300 {
        let mut b = bytes.clone();
        for _ in 0..1 + round % 40 {
            let i = next() as usize % b.len();
            b[i] = next() as u8;
        }
        b.truncate(1 + next() as usize % b.len());
        let _ = Prompt::decode("fuzzed", &b, &PromptConfig::default());
    }
}

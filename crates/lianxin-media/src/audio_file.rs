//! Audio files as staff give them: WAV or MP3, told apart by their first bytes and decoded
//! to mono samples at the file's own rate (the [`prompt`](crate::prompt) module converts
//! them to 8 kHz G.711).
//!
//! Why by content and not by extension: notices are uploaded from consoles and files get
//! renamed (an MP3 saved as `通知.wav` is common), and the upload is kept under a name the
//! server chooses. The first bytes do not lie: a WAV file starts with `RIFF....WAVE`; an
//! MP3 with an ID3v2 tag (`ID3`) or directly with an MPEG audio Layer III frame header
//! (11 sync bits). Anything else is refused with [`AudioFileError::Unrecognized`].
//!
//! WAV is read with hound (8/16/24/32-bit integer, 32-bit float, any rate and channel
//! count); MP3 with symphonia's MPEG audio reader and decoder (only its `mp3` feature),
//! gapless (the encoder's delay and padding from the LAME tag are trimmed, so a 1.25 s
//! tone decodes to 1.25 s). Channels are mixed down by averaging. A decode error in one
//! MP3 frame skips that frame (as players do); a file of which no frame decodes is an error.
//!
//! The duration limit is checked before the samples are kept: from the header for WAV, as
//! frames are decoded for MP3 (past the limit the rest is only counted, not decoded).
//!
//! This module reads no files (the caller passes bytes) and keeps no clock.

use std::io::Cursor;
use std::time::Duration;

use symphonia::core::audio::{SampleBuffer, SignalSpec};
use symphonia::core::codecs::{Decoder, DecoderOptions};
use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::formats::{FormatOptions, FormatReader};
use symphonia::core::io::MediaSourceStream;
use symphonia::default::codecs::MpaDecoder;
use symphonia::default::formats::MpaReader;

/// The container a file's first bytes announce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AudioFormat {
    /// `RIFF` … `WAVE`.
    Wav,
    /// An MPEG audio Layer III stream; its first frame is searched for from `offset` (past
    /// any ID3v2 tags).
    Mp3 {
        /// Bytes of ID3v2 tags before the audio.
        offset: usize,
    },
}

/// What was decoded: mono samples in [-1, 1) at `rate` Hz.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    /// The container it came from.
    pub format: AudioFormat,
    /// Samples per second.
    pub rate: u32,
    /// Mono samples (channels averaged).
    pub samples: Vec<f32>,
    /// MP3 frames skipped because they did not decode (0 for WAV).
    pub skipped_frames: usize,
}

/// Why an audio file could not be decoded (the caller adds which file).
#[derive(Debug, thiserror::Error)]
pub enum AudioFileError {
    /// Neither a WAV nor an MP3 file.
    #[error("neither a WAV file (RIFF/WAVE header) nor an MP3 file (ID3 tag or MPEG audio frame)")]
    Unrecognized,
    /// A WAV header that hound cannot read.
    #[error("{0}")]
    Wav(#[from] hound::Error),
    /// An MP3 stream that cannot be decoded.
    #[error("{0}")]
    Mp3(String),
    /// A sample format, rate or channel count we do not handle.
    #[error("{0}")]
    Unsupported(String),
    /// Longer than allowed.
    #[error("{seconds:.1} s long, more than the {max_seconds} s allowed")]
    TooLong {
        /// The file's duration.
        seconds: f64,
        /// The limit.
        max_seconds: u64,
    },
}

/// Which container `bytes` hold, if one we read.
pub fn sniff(bytes: &[u8]) -> Option<AudioFormat> {
    if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WAVE" {
        return Some(AudioFormat::Wav);
    }
    let offset = id3v2_len(bytes);
    if offset > 0 || is_mp3_frame_header(bytes) {
        return Some(AudioFormat::Mp3 { offset });
    }
    None
}

/// Decodes a whole WAV or MP3 file to mono, refusing one longer than `max`.
pub fn decode(bytes: &[u8], max: Duration) -> Result<Decoded, AudioFileError> {
    let format = sniff(bytes).ok_or(AudioFileError::Unrecognized)?;
    let (rate, samples, skipped_frames) = match format {
        AudioFormat::Wav => {
            let (rate, samples) = decode_wav(bytes, max)?;
            (rate, samples, 0)
        }
        AudioFormat::Mp3 { offset } => decode_mp3(&bytes[offset..], max)?,
    };
    Ok(Decoded {
        format,
        rate,
        samples,
        skipped_frames,
    })
}

/// Length of the ID3v2 tags at the start of `bytes` (0 if none). Tags may repeat.
fn id3v2_len(bytes: &[u8]) -> usize {
    let mut at = 0;
    while let Some(h) = bytes.get(at..at + 10) {
        let valid =
            &h[..3] == b"ID3" && h[3] != 0xFF && h[4] != 0xFF && h[6..].iter().all(|b| *b < 0x80);
        if !valid {
            break;
        }
        let size = h[6..].iter().fold(0usize, |n, b| (n << 7) | *b as usize);
        let footer = if h[5] & 0x10 != 0 { 10 } else { 0 };
        at += 10 + size + footer;
    }
    at.min(bytes.len())
}

/// True when `bytes` start with a plausible MPEG audio Layer III frame header.
fn is_mp3_frame_header(bytes: &[u8]) -> bool {
    let [a, b, c, ..] = *bytes else {
        return false;
    };
    let sync = a == 0xFF && b & 0xE0 == 0xE0;
    let version = (b >> 3) & 0b11; // 01 is reserved
    let layer = (b >> 1) & 0b11; // 01 is Layer III
    let bitrate = c >> 4; // 1111 is invalid
    let rate = (c >> 2) & 0b11; // 11 is reserved
    sync && version != 0b01 && layer == 0b01 && bitrate != 0b1111 && rate != 0b11
}

fn too_long(seconds: f64, max: Duration) -> AudioFileError {
    AudioFileError::TooLong {
        seconds,
        max_seconds: max.as_secs(),
    }
}

fn decode_wav(bytes: &[u8], max: Duration) -> Result<(u32, Vec<f32>), AudioFileError> {
    let reader = hound::WavReader::new(Cursor::new(bytes))?;
    let spec = reader.spec();
    if spec.channels == 0 || spec.sample_rate == 0 {
        return Err(AudioFileError::Unsupported(format!(
            "{} channels at {} Hz",
            spec.channels, spec.sample_rate
        )));
    }
    let seconds = reader.duration() as f64 / spec.sample_rate as f64;
    if seconds > max.as_secs_f64() {
        return Err(too_long(seconds, max));
    }
    let interleaved = read_normalized(reader)?;
    let channels = spec.channels as usize;
    let mono = interleaved
        .chunks_exact(channels)
        .map(|c| c.iter().sum::<f32>() / channels as f32)
        .collect();
    Ok((spec.sample_rate, mono))
}

/// Reads all samples as f32 in [-1, 1), interleaved.
fn read_normalized<R: std::io::Read>(
    reader: hound::WavReader<R>,
) -> Result<Vec<f32>, AudioFileError> {
    let spec = reader.spec();
    match (spec.sample_format, spec.bits_per_sample) {
        (hound::SampleFormat::Float, 32) => reader
            .into_samples::<f32>()
            .map(|s| s.map_err(AudioFileError::from))
            .collect(),
        (hound::SampleFormat::Int, bits @ 1..=32) => {
            let scale = 1.0 / (1u64 << (bits - 1)) as f32;
            reader
                .into_samples::<i32>()
                .map(|s| s.map(|v| v as f32 * scale).map_err(AudioFileError::from))
                .collect()
        }
        (format, bits) => Err(AudioFileError::Unsupported(format!(
            "{bits}-bit {format:?} samples"
        ))),
    }
}

fn mp3_error(e: SymphoniaError) -> AudioFileError {
    AudioFileError::Mp3(e.to_string())
}

fn is_end(e: &SymphoniaError) -> bool {
    matches!(e, SymphoniaError::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof)
}

/// Rate, mono samples and the number of frames skipped.
fn decode_mp3(bytes: &[u8], max: Duration) -> Result<(u32, Vec<f32>, usize), AudioFileError> {
    let source = MediaSourceStream::new(Box::new(Cursor::new(bytes.to_vec())), Default::default());
    let options = FormatOptions {
        enable_gapless: true,
        ..Default::default()
    };
    let mut reader = MpaReader::try_new(source, &options).map_err(mp3_error)?;
    let params = reader
        .default_track()
        .map(|t| t.codec_params.clone())
        .ok_or_else(|| AudioFileError::Mp3("no audio track".to_owned()))?;
    let mut decoder =
        MpaDecoder::try_new(&params, &DecoderOptions::default()).map_err(mp3_error)?;
    let mut rate = params.sample_rate.unwrap_or(0);
    let max_frames = |rate: u32| (max.as_secs_f64() * rate as f64) as u64;
    let mut mono: Vec<f32> = Vec::new();
    let mut buffer: Option<SampleBuffer<f32>> = None;
    // Frames seen in total (decoded, then past the limit only counted).
    let mut frames: u64 = 0;
    let mut bad_frames = 0usize;
    let mut last_error = None;
    loop {
        let packet = match reader.next_packet() {
            Ok(p) => p,
            Err(e) if is_end(&e) => break,
            Err(e) => return Err(mp3_error(e)),
        };
        if rate > 0 && frames > max_frames(rate) {
            // Past the limit: count the rest for the message, do not decode it.
            frames += packet.dur;
            continue;
        }
        let decoded = match decoder.decode(&packet) {
            Ok(d) => d,
            Err(SymphoniaError::DecodeError(why)) => {
                bad_frames += 1;
                last_error = Some(why);
                continue;
            }
            Err(e) => return Err(mp3_error(e)),
        };
        let spec: SignalSpec = *decoded.spec();
        if rate == 0 {
            rate = spec.rate;
        }
        if spec.rate != rate {
            return Err(AudioFileError::Unsupported(format!(
                "sample rate changes from {rate} Hz to {} Hz within the file",
                spec.rate
            )));
        }
        let channels = spec.channels.count().max(1);
        // One buffer for the whole file, grown if a frame is larger (its copy asserts room).
        let needed = decoded.capacity() * channels;
        let buf = match &mut buffer {
            Some(b) if b.capacity() >= needed => b,
            slot => slot.insert(SampleBuffer::new(decoded.capacity() as u64, spec)),
        };
        buf.copy_interleaved_ref(decoded);
        let before = mono.len();
        mono.extend(
            buf.samples()
                .chunks_exact(channels)
                .map(|c| c.iter().sum::<f32>() / channels as f32),
        );
        frames += (mono.len() - before) as u64;
    }
    if rate == 0 || (mono.is_empty() && bad_frames > 0) {
        let why = last_error.unwrap_or("no MPEG audio frame found");
        return Err(AudioFileError::Mp3(format!(
            "no frame could be decoded ({bad_frames} bad): {why}"
        )));
    }
    if frames > max_frames(rate) {
        return Err(too_long(frames as f64 / rate as f64, max));
    }
    Ok((rate, mono, bad_frames))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_by_content() {
        assert_eq!(sniff(b"RIFF\x24\0\0\0WAVEfmt "), Some(AudioFormat::Wav));
        assert_eq!(sniff(b"RIFF\x24\0\0\0AVI LIST"), None);
        // ID3v2.3, no flags, 0x101 bytes of tag (syncsafe 0x02 0x01).
        let mut id3 = b"ID3\x03\0\0\0\0\x02\x01".to_vec();
        id3.resize(10 + 0x101, 0);
        id3.extend_from_slice(&[0xFF, 0xF3, 0x40, 0xC4]);
        assert_eq!(sniff(&id3), Some(AudioFormat::Mp3 { offset: 10 + 0x101 }));
        // MPEG-1 Layer III, 128 kbit/s, 44.1 kHz.
        assert_eq!(
            sniff(&[0xFF, 0xFB, 0x90, 0x64]),
            Some(AudioFormat::Mp3 { offset: 0 })
        );
        // Layer II, a reserved version, a bad bitrate, a reserved rate, too short.
        for bad in [
            &[0xFF, 0xFD, 0x90, 0x64][..],
            &[0xFF, 0xEB, 0x90, 0x64],
            &[0xFF, 0xFB, 0xF0, 0x64],
            &[0xFF, 0xFB, 0x9C, 0x64],
            &[0xFF, 0xFB],
            b"",
            b"<html>",
        ] {
            assert_eq!(sniff(bad), None, "{bad:02x?}");
        }
    }

    #[test]
    fn id3_sizes_cannot_run_past_the_end() {
        // A footer flag adds 10 bytes; a size past the end is cut to the end.
        let tag = b"ID3\x04\0\x10\0\0\0\x05";
        assert_eq!(id3v2_len(tag), tag.len());
        let huge = b"ID3\x04\0\0\x7F\x7F\x7F\x7F";
        assert_eq!(id3v2_len(huge), huge.len());
        assert!(matches!(
            decode(huge, Duration::from_secs(1)),
            Err(AudioFileError::Mp3(_))
        ));
        // Not a tag: a byte of the size with its top bit set.
        assert_eq!(id3v2_len(b"ID3\x03\0\0\x80\0\0\0"), 0);
    }
}

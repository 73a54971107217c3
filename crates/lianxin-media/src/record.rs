//! WAV recording of voice messages and calls.
//!
//! 8 kHz 16-bit PCM, mono (what the caller said) or two channels (left: the caller, right:
//! what was played or relayed to the caller, e.g. the operator). The header is patched every
//! `flush_every` frames (about a second), so if the process dies mid-call the file is
//! readable up to the last flush; [`Recorder::finalize`] must be called at the end (hound's
//! drop swallows errors). A maximum length stops the recording by itself.
//!
//! The recorder counts frames, not time, so its duration is exact whatever the clock does.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::prompt::FRAME_SAMPLES;
use crate::resample::TELEPHONE_RATE;

/// Channel layout of a recording.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channels {
    /// What the peer says (voice messages).
    Mono,
    /// Left: what the peer says; right: what is sent to the peer (prompts, the bridged
    /// operator). For whole-call recordings taken on the caller's leg.
    CallerOperator,
}

/// Why a recording failed.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// The WAV file could not be created or written.
    #[error("recording {file}: {source}")]
    Wav {
        /// The file.
        file: PathBuf,
        /// What hound said.
        source: hound::Error,
    },
}

/// Whether more audio may be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// Room for more.
    More,
    /// The maximum length is reached; finalize now.
    Full,
}

/// A WAV file being written.
pub struct Recorder {
    path: PathBuf,
    channels: Channels,
    writer: hound::WavWriter<BufWriter<File>>,
    frames: u64,
    max_frames: u64,
    flush_every: u64,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder")
            .field("path", &self.path)
            .field("channels", &self.channels)
            .field("frames", &self.frames)
            .finish()
    }
}

impl Recorder {
    /// Creates (truncates) `path`; records at most `max` and flushes every `flush_every`.
    pub fn create(
        path: &Path,
        channels: Channels,
        max: Duration,
        flush_every: Duration,
    ) -> Result<Recorder, RecordError> {
        let spec = hound::WavSpec {
            channels: match channels {
                Channels::Mono => 1,
                Channels::CallerOperator => 2,
            },
            sample_rate: TELEPHONE_RATE,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let writer = hound::WavWriter::create(path, spec).map_err(|source| RecordError::Wav {
            file: path.to_path_buf(),
            source,
        })?;
        let frame_ms = 1000 * FRAME_SAMPLES as u64 / TELEPHONE_RATE as u64;
        Ok(Recorder {
            path: path.to_path_buf(),
            channels,
            writer,
            frames: 0,
            max_frames: (max.as_millis() as u64 / frame_ms).max(1),
            flush_every: (flush_every.as_millis() as u64 / frame_ms).max(1),
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The layout.
    pub fn channels(&self) -> Channels {
        self.channels
    }

    /// Length recorded so far.
    pub fn duration(&self) -> Duration {
        Duration::from_micros(
            self.frames * FRAME_SAMPLES as u64 * 1_000_000 / TELEPHONE_RATE as u64,
        )
    }

    /// Appends one 20 ms frame: `peer` is what the peer said, `sent` what was sent to it
    /// (used by two-channel recordings only; `None` is silence).
    pub fn write_frame(
        &mut self,
        peer: &[i16],
        sent: Option<&[i16]>,
    ) -> Result<Written, RecordError> {
        if self.frames >= self.max_frames {
            return Ok(Written::Full);
        }
        let err = |source| RecordError::Wav {
            file: self.path.clone(),
            source,
        };
        for i in 0..FRAME_SAMPLES {
            let p = peer.get(i).copied().unwrap_or(0);
            self.writer.write_sample(p).map_err(err)?;
            if self.channels == Channels::CallerOperator {
                let s = sent.and_then(|s| s.get(i)).copied().unwrap_or(0);
                self.writer.write_sample(s).map_err(err)?;
            }
        }
        self.frames += 1;
        if self.frames.is_multiple_of(self.flush_every) {
            self.writer.flush().map_err(err)?;
        }
        Ok(if self.frames >= self.max_frames {
            Written::Full
        } else {
            Written::More
        })
    }

    /// Patches the header and closes the file; returns the recorded length.
    pub fn finalize(self) -> Result<Duration, RecordError> {
        let duration = self.duration();
        let path = self.path;
        self.writer
            .finalize()
            .map_err(|source| RecordError::Wav { file: path, source })?;
        Ok(duration)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ramp(start: i16) -> Vec<i16> {
        (0..FRAME_SAMPLES as i16).map(|i| start + i).collect()
    }

    #[test]
    fn mono_recording_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("msg.wav");
        let mut r = Recorder::create(
            &path,
            Channels::Mono,
            Duration::from_secs(60),
            Duration::from_secs(1),
        )
        .unwrap();
        for f in 0..10 {
            assert_eq!(r.write_frame(&ramp(f * 200), None).unwrap(), Written::More);
        }
        assert_eq!(r.finalize().unwrap(), Duration::from_millis(200));
        let mut rd = hound::WavReader::open(&path).unwrap();
        assert_eq!(rd.spec().channels, 1);
        assert_eq!(rd.spec().sample_rate, 8000);
        let got: Vec<i16> = rd.samples::<i16>().map(|s| s.unwrap()).collect();
        let want: Vec<i16> = (0..10).flat_map(|f| ramp(f * 200)).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn stereo_has_peer_left_and_sent_right() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("call.wav");
        let mut r = Recorder::create(
            &path,
            Channels::CallerOperator,
            Duration::from_secs(60),
            Duration::from_secs(1),
        )
        .unwrap();
        r.write_frame(&ramp(0), Some(&ramp(1000))).unwrap();
        r.write_frame(&ramp(5), None).unwrap();
        r.finalize().unwrap();
        let mut rd = hound::WavReader::open(&path).unwrap();
        assert_eq!(rd.spec().channels, 2);
        let got: Vec<i16> = rd.samples::<i16>().map(|s| s.unwrap()).collect();
        assert_eq!(got.len(), 2 * 2 * FRAME_SAMPLES);
        assert_eq!(&got[..4], &[0, 1000, 1, 1001]);
        assert_eq!(
            &got[2 * FRAME_SAMPLES..2 * FRAME_SAMPLES + 4],
            &[5, 0, 6, 0]
        );
    }

    #[test]
    fn stops_at_max_length() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("max.wav");
        let mut r = Recorder::create(
            &path,
            Channels::Mono,
            Duration::from_millis(100),
            Duration::from_secs(1),
        )
        .unwrap();
        let results: Vec<_> = (0..7)
            .map(|_| r.write_frame(&ramp(0), None).unwrap())
            .collect();
        assert_eq!(results[3], Written::More);
        assert_eq!(results[4], Written::Full);
        assert_eq!(results[6], Written::Full);
        assert_eq!(r.finalize().unwrap(), Duration::from_millis(100));
        assert_eq!(hound::WavReader::open(&path).unwrap().duration(), 800);
    }

    #[test]
    fn unfinalized_recording_is_readable_up_to_last_flush() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("crash.wav");
        let mut r = Recorder::create(
            &path,
            Channels::Mono,
            Duration::from_secs(60),
            Duration::from_millis(200),
        )
        .unwrap();
        for _ in 0..25 {
            r.write_frame(&ramp(0), None).unwrap();
        }
        // Simulate a crash: never finalize, never drop (drop would finalize).
        std::mem::forget(r);
        let rd = hound::WavReader::open(&path).unwrap();
        // Flushed at frames 10 and 20.
        assert_eq!(rd.duration() as usize, 20 * FRAME_SAMPLES);
    }

    #[test]
    fn unwritable_path_names_the_file() {
        let err = Recorder::create(
            Path::new("/nonexistent/dir/x.wav"),
            Channels::Mono,
            Duration::from_secs(1),
            Duration::from_secs(1),
        )
        .unwrap_err();
        assert!(err.to_string().contains("/nonexistent/dir/x.wav"));
    }
}

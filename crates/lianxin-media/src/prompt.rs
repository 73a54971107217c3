//! The prompt library: every WAV or MP3 file of a directory, loaded once at start and
//! pre-encoded.
//!
//! The hotline plays the same dozen prompts to every caller and the dialer plays one notice
//! to hundreds of households at once, so each prompt is converted to 8 kHz mono once, encoded
//! once into both G.711 laws, and shared (`Arc<[u8]>`): a call playing it only keeps a frame
//! index. A prompt comes from a file ([`Prompt::load`]) or from bytes already in memory, such
//! as an upload ([`Prompt::decode`]); both take one path: the format is told by content and
//! decoded by [`audio_file`](crate::audio_file) (WAV of 8/16/24/32-bit integer or 32-bit
//! float samples, and MP3, at any rate and channel count), then resampled to 8 kHz. Errors
//! name the file (or the upload's name), so a bad prompt is found at start, not mid-call.
//!
//! Staff may replace a prompt while the server runs (a new greeting recorded by the
//! committee): [`PromptLibrary::replace`] swaps it under a short lock, so the next call
//! that asks for it gets the new recording while calls already playing keep the one they
//! hold (an `Arc`); [`PromptLibrary::restore`] goes back to the shipped file.
//!
//! This module reads files but keeps no clock and no sockets.

use std::collections::BTreeMap;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use crate::audio_file::{self, AudioFileError};
use crate::g711::{Codec, G711};
use crate::resample::{to_telephone_rate, ResampleError, TELEPHONE_RATE};

/// Samples (and bytes, for G.711) in one 20 ms frame at 8 kHz.
pub const FRAME_SAMPLES: usize = 160;
/// Duration of one frame.
pub const FRAME_DURATION: Duration = Duration::from_millis(20);

/// Why a prompt could not be loaded. Every variant names the file (for
/// [`Prompt::decode`], the name it was given).
#[derive(Debug, thiserror::Error)]
pub enum PromptError {
    /// The prompt directory cannot be listed.
    #[error("cannot read prompt directory {dir}: {source}")]
    Directory {
        /// The directory.
        dir: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file is missing or cannot be read.
    #[error("cannot read prompt {file}: {source}")]
    Unreadable {
        /// The file.
        file: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file is neither WAV nor MP3 (judged by its first bytes, not its name).
    #[error("prompt {file} is neither a WAV file (RIFF/WAVE header) nor an MP3 file (ID3 tag or MPEG audio frame)")]
    Unrecognized {
        /// The file.
        file: PathBuf,
    },
    /// The file starts like a WAV file but is not one hound can read.
    #[error("prompt {file} is not a readable WAV file: {source}")]
    Wav {
        /// The file.
        file: PathBuf,
        /// What hound said.
        source: hound::Error,
    },
    /// The file starts like an MP3 file but its audio cannot be decoded.
    #[error("prompt {file} is not a readable MP3 file: {detail}")]
    Mp3 {
        /// The file.
        file: PathBuf,
        /// What the decoder said.
        detail: String,
    },
    /// The file is longer than the configured maximum.
    #[error("prompt {file} is {seconds:.1} s long, more than the {max_seconds} s allowed")]
    TooLong {
        /// The file.
        file: PathBuf,
        /// Its duration.
        seconds: f64,
        /// The limit.
        max_seconds: u64,
    },
    /// The file holds no audio.
    #[error("prompt {file} holds no audio")]
    Empty {
        /// The file.
        file: PathBuf,
    },
    /// The sample format is not supported (e.g. 64-bit float).
    #[error("prompt {file} has an unsupported format: {detail}")]
    Unsupported {
        /// The file.
        file: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// The file could not be resampled to 8 kHz.
    #[error("cannot convert prompt {file} to 8 kHz: {source}")]
    Resample {
        /// The file.
        file: PathBuf,
        /// The resampler's error.
        source: ResampleError,
    },
    /// A prompt the caller needs is not in the library.
    #[error("prompt {name:?} is missing: expected the file {file}")]
    Missing {
        /// The prompt's name.
        name: String,
        /// Where it was expected.
        file: PathBuf,
    },
}

impl PromptError {
    fn from_audio(file: &Path, e: AudioFileError) -> PromptError {
        let file = file.to_path_buf();
        match e {
            AudioFileError::Unrecognized => PromptError::Unrecognized { file },
            AudioFileError::Wav(source) => PromptError::Wav { file, source },
            AudioFileError::Mp3(detail) => PromptError::Mp3 { file, detail },
            AudioFileError::Unsupported(detail) => PromptError::Unsupported { file, detail },
            AudioFileError::TooLong {
                seconds,
                max_seconds,
            } => PromptError::TooLong {
                file,
                seconds,
                max_seconds,
            },
        }
    }
}

/// Options for loading prompts.
#[derive(Debug, Clone)]
pub struct PromptConfig {
    /// Longest prompt accepted (a guard against loading an hour of audio by mistake).
    pub max_duration: Duration,
}

impl Default for PromptConfig {
    fn default() -> Self {
        PromptConfig {
            max_duration: Duration::from_secs(600),
        }
    }
}

/// One prompt, converted and encoded once, shared by every call that plays it.
#[derive(Debug)]
pub struct Prompt {
    name: String,
    samples: usize,
    pcmu: Arc<[u8]>,
    pcma: Arc<[u8]>,
}

impl Prompt {
    /// Builds a prompt from 8 kHz mono 16-bit samples (tones, tests, generated audio).
    pub fn from_pcm(name: impl Into<String>, pcm: &[i16]) -> Prompt {
        let frames = pcm.len().div_ceil(FRAME_SAMPLES);
        let mut pcmu = vec![Codec::Pcmu.silence(); frames * FRAME_SAMPLES];
        let mut pcma = vec![Codec::Pcma.silence(); frames * FRAME_SAMPLES];
        Codec::Pcmu.encode_into(pcm, &mut pcmu);
        Codec::Pcma.encode_into(pcm, &mut pcma);
        Prompt {
            name: name.into(),
            samples: pcm.len(),
            pcmu: pcmu.into(),
            pcma: pcma.into(),
        }
    }

    /// Loads one WAV or MP3 file (see the module docs); the prompt is named after the
    /// file without its extension.
    pub fn load(path: &Path, config: &PromptConfig) -> Result<Prompt, PromptError> {
        let bytes = std::fs::read(path).map_err(|source| PromptError::Unreadable {
            file: path.to_path_buf(),
            source,
        })?;
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        Prompt::decode_as(name, path, &bytes, config)
    }

    /// Builds the prompt `name` from a WAV or MP3 file's bytes (an upload); the format is
    /// told by content. Errors name `name` as the file.
    pub fn decode(
        name: impl Into<String>,
        bytes: &[u8],
        config: &PromptConfig,
    ) -> Result<Prompt, PromptError> {
        let name = name.into();
        let file = PathBuf::from(&name);
        Prompt::decode_as(name, &file, bytes, config)
    }

    fn decode_as(
        name: String,
        file: &Path,
        bytes: &[u8],
        config: &PromptConfig,
    ) -> Result<Prompt, PromptError> {
        let decoded = audio_file::decode(bytes, config.max_duration)
            .map_err(|e| PromptError::from_audio(file, e))?;
        if decoded.skipped_frames > 0 {
            tracing::warn!(
                file = %file.display(),
                frames = decoded.skipped_frames,
                "MP3 frames that did not decode were skipped"
            );
        }
        if decoded.samples.is_empty() {
            return Err(PromptError::Empty {
                file: file.to_path_buf(),
            });
        }
        let at_8k = to_telephone_rate(&decoded.samples, decoded.rate).map_err(|source| {
            PromptError::Resample {
                file: file.to_path_buf(),
                source,
            }
        })?;
        let pcm: Vec<i16> = at_8k
            .iter()
            .map(|v| (v * 32768.0).round().clamp(-32768.0, 32767.0) as i16)
            .collect();
        Ok(Prompt::from_pcm(name, &pcm))
    }

    /// The prompt's name (the file name without its extension).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Number of 8 kHz samples (before padding to whole frames).
    pub fn samples(&self) -> usize {
        self.samples
    }

    /// Number of 20 ms frames (the last one padded with silence).
    pub fn frames(&self) -> usize {
        self.pcmu.len() / FRAME_SAMPLES
    }

    /// Playing time.
    pub fn duration(&self) -> Duration {
        Duration::from_micros(self.samples as u64 * 1_000_000 / TELEPHONE_RATE as u64)
    }

    /// The whole encoded prompt for `codec` (a multiple of 160 bytes).
    pub fn encoded(&self, codec: Codec) -> &Arc<[u8]> {
        match codec {
            Codec::Pcmu => &self.pcmu,
            Codec::Pcma => &self.pcma,
        }
    }

    /// Frame `index` (160 bytes) in `codec`, or `None` past the end.
    #[inline]
    pub fn frame(&self, codec: Codec, index: usize) -> Option<&[u8]> {
        let start = index.checked_mul(FRAME_SAMPLES)?;
        self.encoded(codec).get(start..start + FRAME_SAMPLES)
    }

    /// The prompt as a WAV file (8 kHz, 16-bit, mono) decoded from the μ-law a call
    /// plays, so staff can listen in a browser to exactly what callers hear.
    pub fn to_wav(&self) -> Vec<u8> {
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: TELEPHONE_RATE,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let n = self.samples.min(self.pcmu.len());
        let mut out = Cursor::new(Vec::with_capacity(44 + n * 2));
        // Writing into memory fails only if the data chunk passes 4 GiB, which the
        // prompt's maximum duration rules out; an empty file is then the honest answer.
        let written = hound::WavWriter::new(&mut out, spec).and_then(|mut w| {
            let mut samples = w.get_i16_writer(n as u32);
            for b in &self.pcmu[..n] {
                samples.write_sample(crate::g711::ulaw_decode(*b));
            }
            samples.flush()?;
            w.finalize()
        });
        match written {
            Ok(()) => out.into_inner(),
            Err(e) => {
                tracing::error!(prompt = %self.name, error = %e, "cannot write a prompt as WAV");
                Vec::new()
            }
        }
    }
}

/// Every prompt of a directory, by name, and the ones staff replaced.
#[derive(Debug, Default)]
pub struct PromptLibrary {
    dir: PathBuf,
    prompts: BTreeMap<String, Arc<Prompt>>,
    /// Replacements by name; looked up first. Held only to look up or swap one entry.
    replaced: RwLock<BTreeMap<String, Arc<Prompt>>>,
}

impl PromptLibrary {
    /// Loads every `*.wav` and `*.mp3` in `dir` (a name in both formats: the WAV wins); the
    /// first bad file stops the load with its name.
    pub fn load_dir(dir: &Path, config: &PromptConfig) -> Result<PromptLibrary, PromptError> {
        let dir_err = |source| PromptError::Directory {
            dir: dir.to_path_buf(),
            source,
        };
        let mut paths = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(dir_err)? {
            let path = entry.map_err(dir_err)?.path();
            let is_audio = path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("wav") || e.eq_ignore_ascii_case("mp3"));
            if is_audio {
                paths.push(path);
            }
        }
        // Sorted, `x.mp3` comes before `x.wav`: the WAV is inserted last and wins.
        paths.sort();
        let mut library = PromptLibrary {
            dir: dir.to_path_buf(),
            ..PromptLibrary::default()
        };
        for path in paths {
            let prompt = Prompt::load(&path, config)?;
            library.insert(prompt);
        }
        Ok(library)
    }

    /// An empty library (prompts added with [`PromptLibrary::insert`]).
    pub fn new() -> PromptLibrary {
        PromptLibrary::default()
    }

    /// Adds or replaces a prompt; returns the shared handle.
    pub fn insert(&mut self, prompt: Prompt) -> Arc<Prompt> {
        let prompt = Arc::new(prompt);
        self.prompts
            .insert(prompt.name().to_owned(), Arc::clone(&prompt));
        prompt
    }

    /// The prompt called `name`, if loaded: its replacement if staff replaced it, else the
    /// shipped one. Notices are named with either separator (`notice-security` finds
    /// `notice_security.wav`, and the other way round).
    pub fn get(&self, name: &str) -> Option<Arc<Prompt>> {
        let replaced = self.read_replaced();
        let find = |n: &str| replaced.get(n).or_else(|| self.prompts.get(n)).cloned();
        // The exact name first: a call asks for its prompts by their own names, so the
        // usual look-up allocates nothing.
        find(name)
            .or_else(|| find(&name.replace('-', "_")))
            .or_else(|| find(&name.replace('_', "-")))
    }

    /// The prompt shipped under exactly `name` (ignoring any replacement).
    pub fn shipped(&self, name: &str) -> Option<Arc<Prompt>> {
        self.prompts.get(name).cloned()
    }

    /// Whether staff replaced prompt `name`.
    pub fn is_replaced(&self, name: &str) -> bool {
        self.read_replaced().contains_key(name)
    }

    /// Plays `prompt` under its name from the next call on (calls already playing the old
    /// one finish it); returns the shared handle.
    pub fn replace(&self, prompt: Prompt) -> Arc<Prompt> {
        let prompt = Arc::new(prompt);
        self.write_replaced()
            .insert(prompt.name().to_owned(), Arc::clone(&prompt));
        prompt
    }

    /// Goes back to the shipped prompt `name`; false if it was not replaced.
    pub fn restore(&self, name: &str) -> bool {
        self.write_replaced().remove(name).is_some()
    }

    // A panic while the lock was held cannot leave the map half-changed (each write is
    // one insert or remove), so a poisoned lock is still safe to use.
    fn read_replaced(&self) -> RwLockReadGuard<'_, BTreeMap<String, Arc<Prompt>>> {
        self.replaced.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write_replaced(&self) -> RwLockWriteGuard<'_, BTreeMap<String, Arc<Prompt>>> {
        self.replaced.write().unwrap_or_else(|e| e.into_inner())
    }

    /// The prompt called `name`, or an error naming the file that should hold it.
    pub fn prompt(&self, name: &str) -> Result<Arc<Prompt>, PromptError> {
        self.get(name).ok_or_else(|| PromptError::Missing {
            name: name.to_owned(),
            file: self.dir.join(format!("{name}.wav")),
        })
    }

    /// Checks at start that every prompt in `names` is there.
    pub fn require(&self, names: &[&str]) -> Result<(), PromptError> {
        names.iter().try_for_each(|n| self.prompt(n).map(|_| ()))
    }

    /// Names of all loaded prompts, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.prompts.keys().map(String::as_str)
    }

    /// Number of prompts.
    pub fn len(&self) -> usize {
        self.prompts.len()
    }

    /// True when no prompt is loaded.
    pub fn is_empty(&self) -> bool {
        self.prompts.is_empty()
    }
}

/// The names of the prompts `prompts/` ships (see `prompts/README.md`).
pub mod names {
    /// 欢迎致电内务社区连心热线…
    pub const GREETING: &str = "greeting";
    /// 人工服务请按1，留言请按2，收听本周通知请按3
    pub const MENU: &str = "menu";
    /// 请稍候…
    pub const PLEASE_HOLD: &str = "please_hold";
    /// 值班员正忙…
    pub const ALL_BUSY: &str = "all_busy";
    /// 请在提示音后留言…
    pub const LEAVE_MESSAGE: &str = "leave_message";
    /// The beep before a voice message.
    pub const TONE: &str = "tone";
    /// 现在是非工作时间…
    pub const AFTER_HOURS: &str = "after_hours";
    /// 感谢您的来电，再见
    pub const GOODBYE: &str = "goodbye";
    /// 您前面还有多位来电者
    pub const QUEUE_AHEAD_MANY: &str = "queue_ahead_many";
    /// The example security notice (夏夜请关好门窗…).
    pub const NOTICE_SECURITY: &str = "notice_security";
    /// 如果您已收听本通知，请按1确认 (after a notice that asks for confirmation).
    pub const CONFIRM_HEARD: &str = "confirm_heard";
    /// The automatic return visit's question (满意请按1，不满意请按2).
    pub const RETURN_VISIT: &str = "return_visit";

    /// The prompts staff may replace with their own recording, in the order a caller
    /// meets them. The queue-position numbers and the beep are left out: they are a set
    /// spoken by one voice, and a beep is not the committee's words.
    pub const REPLACEABLE: &[&str] = &[
        GREETING,
        MENU,
        PLEASE_HOLD,
        ALL_BUSY,
        LEAVE_MESSAGE,
        AFTER_HOURS,
        GOODBYE,
        CONFIRM_HEARD,
        RETURN_VISIT,
    ];

    /// "您前面还有N位" for N in 1..=5; larger N gives the "many" prompt.
    pub fn queue_ahead(n: usize) -> String {
        match n {
            1..=5 => format!("queue_ahead_{n}"),
            _ => QUEUE_AHEAD_MANY.to_owned(),
        }
    }

    /// The prompts the hotline needs at start.
    pub const HOTLINE: &[&str] = &[
        GREETING,
        MENU,
        PLEASE_HOLD,
        ALL_BUSY,
        LEAVE_MESSAGE,
        TONE,
        AFTER_HOURS,
        GOODBYE,
        QUEUE_AHEAD_MANY,
        "queue_ahead_1",
        "queue_ahead_2",
        "queue_ahead_3",
        "queue_ahead_4",
        "queue_ahead_5",
    ];
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::g711::ulaw_decode;

    fn write_wav(path: &Path, spec: hound::WavSpec, samples: &[f64]) {
        let mut w = hound::WavWriter::create(path, spec).unwrap();
        for &s in samples {
            match (spec.sample_format, spec.bits_per_sample) {
                (hound::SampleFormat::Float, _) => w.write_sample(s as f32).unwrap(),
                (_, bits) => {
                    let max = (1i64 << (bits - 1)) as f64;
                    let v = (s * max).round().clamp(-max, max - 1.0) as i32;
                    w.write_sample(v).unwrap()
                }
            }
        }
        w.finalize().unwrap();
    }

    fn spec(rate: u32, channels: u16, bits: u16, float: bool) -> hound::WavSpec {
        hound::WavSpec {
            channels,
            sample_rate: rate,
            bits_per_sample: bits,
            sample_format: if float {
                hound::SampleFormat::Float
            } else {
                hound::SampleFormat::Int
            },
        }
    }

    #[test]
    fn loads_every_supported_format_to_the_same_8k_audio() {
        let dir = tempfile::tempdir().unwrap();
        // 0.5 s of a constant level (DC survives resampling exactly in the middle).
        let level = 0.25;
        let cases = [
            ("i8", spec(8000, 1, 8, false)),
            ("i16", spec(8000, 1, 16, false)),
            ("i24", spec(16000, 1, 24, false)),
            ("i32", spec(8000, 2, 32, false)),
            ("f32", spec(48000, 2, 32, true)),
        ];
        for (name, spec) in cases {
            let n = spec.sample_rate as usize / 2 * spec.channels as usize;
            write_wav(
                &dir.path().join(format!("{name}.wav")),
                spec,
                &vec![level; n],
            );
        }
        let lib = PromptLibrary::load_dir(dir.path(), &PromptConfig::default()).unwrap();
        assert_eq!(lib.len(), 5);
        for (name, _) in cases {
            let p = lib.prompt(name).unwrap();
            assert_eq!(p.samples(), 4000, "{name}");
            assert_eq!(p.frames(), 25, "{name}");
            let mid = p.frame(Codec::Pcmu, 12).unwrap();
            let v = ulaw_decode(mid[80]) as f64 / 32768.0;
            assert!((v - level).abs() < 0.02, "{name}: {v}");
        }
    }

    #[test]
    fn stereo_is_mixed_down() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("st.wav");
        // Left 0.5, right 0.0 → 0.25.
        let s: Vec<f64> = (0..1600)
            .map(|i| if i % 2 == 0 { 0.5 } else { 0.0 })
            .collect();
        write_wav(&path, spec(8000, 2, 16, false), &s);
        let p = Prompt::load(&path, &PromptConfig::default()).unwrap();
        assert_eq!(p.samples(), 800);
        let v = ulaw_decode(p.frame(Codec::Pcmu, 2).unwrap()[10]) as f64 / 32768.0;
        assert!((v - 0.25).abs() < 0.01, "{v}");
    }

    #[test]
    fn frames_are_padded_with_silence_and_shared() {
        let p = Prompt::from_pcm("x", &[1000i16; 170]);
        assert_eq!(p.frames(), 2);
        assert_eq!(p.frame(Codec::Pcmu, 1).unwrap()[9], 0xCE);
        assert_eq!(p.frame(Codec::Pcmu, 1).unwrap()[10], 0xFF);
        assert_eq!(p.frame(Codec::Pcma, 1).unwrap()[10], 0xD5);
        assert!(p.frame(Codec::Pcmu, 2).is_none());
        assert_eq!(p.duration(), Duration::from_micros(21_250));
        let shared = Arc::clone(p.encoded(Codec::Pcmu));
        assert!(Arc::ptr_eq(&shared, p.encoded(Codec::Pcmu)));
    }

    #[test]
    fn missing_file_names_the_file() {
        let err =
            Prompt::load(Path::new("/nonexistent/greeting.wav"), &Default::default()).unwrap_err();
        assert!(matches!(err, PromptError::Unreadable { .. }));
        assert!(err.to_string().contains("/nonexistent/greeting.wav"));
        let lib = PromptLibrary::new();
        let err = lib.require(&["menu"]).unwrap_err();
        assert!(err.to_string().contains("menu.wav"), "{err}");
    }

    #[test]
    fn unreadable_file_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("broken.wav"), b"RIFF\x10\0\0\0WAVEjunk").unwrap();
        let err = PromptLibrary::load_dir(dir.path(), &Default::default()).unwrap_err();
        assert!(matches!(err, PromptError::Wav { .. }), "{err}");
        assert!(err.to_string().contains("broken.wav"), "{err}");
        let err =
            PromptLibrary::load_dir(&dir.path().join("nope"), &Default::default()).unwrap_err();
        assert!(matches!(err, PromptError::Directory { .. }), "{err}");
    }

    #[test]
    fn too_long_file_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("long.wav");
        write_wav(&path, spec(8000, 1, 16, false), &vec![0.0; 8000 * 3]);
        let config = PromptConfig {
            max_duration: Duration::from_secs(2),
        };
        let err = Prompt::load(&path, &config).unwrap_err();
        assert!(matches!(err, PromptError::TooLong { .. }), "{err}");
        assert!(err.to_string().contains("long.wav"), "{err}");
        let empty = dir.path().join("empty.wav");
        write_wav(&empty, spec(8000, 1, 16, false), &[]);
        assert!(matches!(
            Prompt::load(&empty, &config),
            Err(PromptError::Empty { .. })
        ));
    }

    #[test]
    fn shipped_prompts_load() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../prompts");
        let lib = PromptLibrary::load_dir(&dir, &Default::default()).unwrap();
        lib.require(names::HOTLINE).unwrap();
        lib.require(&[names::NOTICE_SECURITY]).unwrap();
        // The demo's campaigns name their notices with hyphens.
        lib.require(&["notice-security", "notice-heating", "notice-fraud"])
            .unwrap();
        assert!(lib.prompt(names::GREETING).unwrap().duration() > Duration::from_secs(1));
    }

    #[test]
    fn a_replaced_prompt_is_found_until_restored() {
        let mut lib = PromptLibrary::new();
        lib.insert(Prompt::from_pcm("greeting", &[1000i16; 320]));
        lib.insert(Prompt::from_pcm("notice_security", &[1000i16; 160]));
        let held = lib.prompt("greeting").unwrap();
        lib.replace(Prompt::from_pcm("greeting", &[2000i16; 800]));
        assert!(lib.is_replaced("greeting"));
        assert_eq!(lib.prompt("greeting").unwrap().samples(), 800);
        assert_eq!(lib.shipped("greeting").unwrap().samples(), 320);
        // A call already playing keeps the recording it holds.
        assert_eq!(held.samples(), 320);
        // Either separator finds a replaced notice too.
        lib.replace(Prompt::from_pcm("notice_security", &[5i16; 480]));
        assert_eq!(lib.get("notice-security").unwrap().samples(), 480);
        assert!(lib.restore("greeting"));
        assert!(!lib.restore("greeting"));
        assert!(!lib.is_replaced("greeting"));
        assert_eq!(lib.prompt("greeting").unwrap().samples(), 320);
    }

    #[test]
    fn a_prompt_plays_back_as_the_wav_callers_hear() {
        let p = Prompt::from_pcm("x", &[0, 1000, -1000]);
        let wav = p.to_wav();
        let mut r = hound::WavReader::new(Cursor::new(wav)).unwrap();
        assert_eq!(r.spec().sample_rate, 8000);
        assert_eq!(r.spec().channels, 1);
        let s: Vec<i16> = r.samples::<i16>().map(|s| s.unwrap()).collect();
        // Exactly the samples, not the padding of the last frame; G.711 rounds them.
        assert_eq!(s.len(), 3);
        assert_eq!(s[0], 0);
        assert!(
            (s[1] - 1000).abs() < 40 && (s[2] + 1000).abs() < 40,
            "{s:?}"
        );
    }
}

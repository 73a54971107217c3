//! The notices a campaign can name: the shipped `notice_*` prompts and the audio files
//! staff upload.
//!
//! Why names and never paths: a console (or the command line through the HTTP API) only
//! ever names a notice, so nobody can make the server read an arbitrary file. An upload is
//! decoded in memory before it is kept, so a file that cannot be played is refused at upload
//! with a message saying which formats work, not found out when 800 households answer.
//! The original bytes are kept (`<dir>/<name>.wav` or `.mp3`, written to a temporary file
//! and renamed, so a crash never leaves half a notice) and converted to 8 kHz G.711 each
//! time a campaign starts. Staff listen to any notice in the console as a WAV file decoded
//! from exactly what a campaign plays ([`NoticeLibrary::wav`]).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use lianxin_desk::{CampaignRefused, NoticeInfo, NoticeSource};
use lianxin_media::audio_file::{self, AudioFormat};
use lianxin_media::g711::ulaw_decode;
use lianxin_media::{Codec, MediaHandle, Prompt, PromptConfig};

use super::refused;

/// Largest upload accepted (a 10-minute 16-bit 48 kHz stereo WAV is about 110 MB; a
/// notice is a minute or two, and an MP3 of ten minutes well under this).
pub const MAX_UPLOAD: usize = 20 * 1024 * 1024;

/// Longest name of an uploaded notice.
const MAX_NAME: usize = 40;

/// Where uploaded notices live, and the media engine's prompts.
#[derive(Debug, Clone)]
pub(crate) struct NoticeLibrary {
    dir: Option<PathBuf>,
    media: MediaHandle,
}

impl NoticeLibrary {
    pub(crate) fn new(dir: Option<PathBuf>, media: MediaHandle) -> Self {
        NoticeLibrary { dir, media }
    }

    /// The audio of notice `name`: a prompt (`notice-security` finds `notice_security`),
    /// else an uploaded notice.
    pub(crate) fn resolve(&self, name: &str) -> Result<Arc<Prompt>, CampaignRefused> {
        if let Some(p) = self.prompt(name) {
            return Ok(p);
        }
        if valid_name(name) {
            if let Some(path) = self.uploaded_path(name) {
                return Prompt::load(&path, &PromptConfig::default())
                    .map(Arc::new)
                    .map_err(|e| {
                        refused(
                            500,
                            Some("notice"),
                            format!("通知录音“{name}”无法读取：{e}"),
                        )
                    });
            }
        }
        Err(refused(
            400,
            Some("notice"),
            format!("没有名为“{name}”的通知录音；请先上传录音或选择已有的通知"),
        ))
    }

    fn prompt(&self, name: &str) -> Option<Arc<Prompt>> {
        let prompts = self.media.prompts();
        prompts
            .get(name)
            .or_else(|| prompts.get(&name.replace('-', "_")))
    }

    /// The kept file of uploaded notice `name`, if there is one.
    fn uploaded_path(&self, name: &str) -> Option<PathBuf> {
        let dir = self.dir.as_ref()?;
        ["wav", "mp3"]
            .iter()
            .map(|ext| dir.join(format!("{name}.{ext}")))
            .find(|p| p.is_file())
    }

    /// Every notice: prompts whose name starts with `notice`, then uploads.
    pub(crate) fn list(&self) -> Vec<NoticeInfo> {
        let prompts = self.media.prompts();
        let mut out: Vec<NoticeInfo> = prompts
            .names()
            .filter(|n| n.starts_with("notice"))
            .filter_map(|n| prompts.get(n))
            .map(|p| NoticeInfo {
                name: p.name().replace('_', "-"),
                seconds: seconds(&p),
                source: NoticeSource::Prompt,
            })
            .collect();
        let Some(dir) = &self.dir else {
            return out;
        };
        let Ok(entries) = std::fs::read_dir(dir) else {
            return out;
        };
        let mut uploaded: Vec<NoticeInfo> = entries
            .flatten()
            .filter_map(|e| {
                let path = e.path();
                let ext = path.extension()?.to_str()?;
                if ext != "wav" && ext != "mp3" {
                    return None;
                }
                let name = path.file_stem()?.to_str()?.to_owned();
                if !valid_name(&name) {
                    return None;
                }
                let prompt = Prompt::load(&path, &PromptConfig::default()).ok()?;
                Some(NoticeInfo {
                    name,
                    seconds: seconds(&prompt),
                    source: NoticeSource::Uploaded,
                })
            })
            .collect();
        uploaded.sort_by(|a, b| a.name.cmp(&b.name));
        out.extend(uploaded);
        out
    }

    /// Checks and keeps an upload (blocking: decodes and writes a file).
    pub(crate) fn add(&self, name: &str, audio: &[u8]) -> Result<NoticeInfo, CampaignRefused> {
        if !valid_name(name) {
            return Err(refused(
                400,
                Some("name"),
                format!("通知名称只能用小写字母、数字和“-”，最多 {MAX_NAME} 个字符"),
            ));
        }
        if self.prompt(name).is_some() {
            return Err(refused(
                409,
                Some("name"),
                format!("“{name}”是系统自带的通知，请换一个名称"),
            ));
        }
        if audio.len() > MAX_UPLOAD {
            return Err(refused(
                413,
                Some("notice"),
                format!("录音文件太大（最多 {} MB）", MAX_UPLOAD / 1024 / 1024),
            ));
        }
        let Some(dir) = &self.dir else {
            return Err(refused(
                503,
                Some("notice"),
                "服务器没有设置通知录音的保存目录".into(),
            ));
        };
        // The extension the media crate's own format check gives (decoding succeeded
        // below only if it recognised one).
        let ext = match audio_file::sniff(audio) {
            Some(AudioFormat::Wav) => "wav",
            _ => "mp3",
        };
        // Decoded in memory first: a file that cannot be played never touches the disk.
        let prompt = match Prompt::decode(name, audio, &PromptConfig::default()) {
            Ok(p) => p,
            Err(e) => {
                tracing::info!(notice = name, error = %e, "notice upload refused");
                return Err(refused(
                    400,
                    Some("notice"),
                    "无法识别这个录音文件：请上传 WAV（任意采样率和声道）或 MP3 文件".into(),
                ));
            }
        };
        std::fs::create_dir_all(dir).map_err(|e| io_refused(dir, e))?;
        let tmp = dir.join(format!(".upload-{name}.{ext}"));
        std::fs::write(&tmp, audio).map_err(|e| io_refused(&tmp, e))?;
        let kept = dir.join(format!("{name}.{ext}"));
        std::fs::rename(&tmp, &kept).map_err(|e| io_refused(&kept, e))?;
        // An older upload of the same name in the other format would shadow this one.
        let other = dir.join(format!(
            "{name}.{}",
            if ext == "wav" { "mp3" } else { "wav" }
        ));
        let _ = std::fs::remove_file(other);
        tracing::info!(notice = name, file = %kept.display(), seconds = seconds(&prompt), "notice uploaded");
        Ok(NoticeInfo {
            name: name.to_owned(),
            seconds: seconds(&prompt),
            source: NoticeSource::Uploaded,
        })
    }
}

impl NoticeLibrary {
    /// Notice `name` as a WAV file (8 kHz, 16-bit, mono) decoded from the G.711 a campaign
    /// plays, for listening in the console; an unknown name is `404 name`.
    pub(crate) fn wav(&self, name: &str) -> Result<Vec<u8>, CampaignRefused> {
        let prompt = self.resolve(name).map_err(|e| {
            if e.status == 400 {
                refused(404, Some("name"), e.message)
            } else {
                e
            }
        })?;
        let pcmu = prompt.encoded(Codec::Pcmu);
        let n = prompt.samples().min(pcmu.len());
        let pcm: Vec<i16> = pcmu[..n].iter().map(|b| ulaw_decode(*b)).collect();
        Ok(wav_bytes(&pcm))
    }
}

/// A 16-bit mono 8 kHz WAV file of `pcm` (the 44-byte RIFF header, then the samples).
fn wav_bytes(pcm: &[i16]) -> Vec<u8> {
    let data = u32::try_from(pcm.len() * 2).unwrap_or(u32::MAX - 36);
    let mut out = Vec::with_capacity(44 + pcm.len() * 2);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes()); // fmt chunk size
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&8000u32.to_le_bytes()); // sample rate
    out.extend_from_slice(&16000u32.to_le_bytes()); // bytes per second
    out.extend_from_slice(&2u16.to_le_bytes()); // block align
    out.extend_from_slice(&16u16.to_le_bytes()); // bits per sample
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data.to_le_bytes());
    for s in pcm {
        out.extend_from_slice(&s.to_le_bytes());
    }
    out
}

fn seconds(p: &Prompt) -> u32 {
    p.duration().as_secs_f64().ceil() as u32
}

/// `[a-z0-9-]{1,40}`, not starting with `-` or `.`.
pub(crate) fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_NAME
        && !name.starts_with('-')
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn io_refused(path: &Path, e: std::io::Error) -> CampaignRefused {
    tracing::error!(file = %path.display(), error = %e, "cannot keep an uploaded notice");
    refused(
        500,
        Some("notice"),
        "服务器无法保存录音文件，请联系管理员".into(),
    )
}

#[cfg(test)]
mod tests {
    use super::{valid_name, wav_bytes};

    #[test]
    fn a_notice_plays_back_as_a_wav_file() {
        let wav = wav_bytes(&[0, 1000, -1000]);
        assert_eq!(wav.len(), 44 + 6);
        assert_eq!(&wav[..4], b"RIFF");
        assert_eq!(&wav[8..16], b"WAVEfmt ");
        assert_eq!(
            u32::from_le_bytes([wav[24], wav[25], wav[26], wav[27]]),
            8000
        );
        assert_eq!(u32::from_le_bytes([wav[40], wav[41], wav[42], wav[43]]), 6);
        assert_eq!(i16::from_le_bytes([wav[46], wav[47]]), 1000);
    }

    #[test]
    fn names_are_plain_words() {
        assert!(valid_name("notice-water-2026"));
        assert!(!valid_name("../etc/passwd"));
        assert!(!valid_name("Notice"));
        assert!(!valid_name("-x"));
        assert!(!valid_name(""));
        assert!(!valid_name(&"a".repeat(41)));
        assert!(!valid_name("a.wav"));
    }
}

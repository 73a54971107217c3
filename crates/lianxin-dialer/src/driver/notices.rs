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
//!
//! Retiring a notice (停用, [`NoticeLibrary::retire`]) hides it from the list and from new
//! campaigns but deletes nothing: a campaign that played it still names it, may resume
//! after a restart, and staff can still listen to it. An upload moves into `retired/`; a
//! shipped notice (a file of the prompts folder, which the server does not own) gets a
//! marker file `retired/<name>.retired`. Uploading the name again brings it back.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use lianxin_desk::{CampaignRefused, NoticeInfo, NoticeSource};
use lianxin_media::kept_audio;
use lianxin_media::{MediaHandle, Prompt, PromptConfig};

use super::refused;

/// Largest upload accepted (a 10-minute 16-bit 48 kHz stereo WAV is about 110 MB; a
/// notice is a minute or two, and an MP3 of ten minutes well under this).
pub const MAX_UPLOAD: usize = 20 * 1024 * 1024;

/// Longest name of an uploaded notice.
const MAX_NAME: usize = 40;

/// The folder (inside the uploads folder) of retired notices.
const RETIRED: &str = "retired";

/// The extension of a shipped notice's retirement marker.
const MARKER: &str = "retired";

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
        // The library finds a notice under either separator itself.
        self.media.prompts().get(name)
    }

    /// The kept file of uploaded notice `name`, if there is one (retired or not).
    fn uploaded_path(&self, name: &str) -> Option<PathBuf> {
        self.active_path(name).or_else(|| self.retired_path(name))
    }

    /// The file of uploaded notice `name` in the list, if there is one.
    fn active_path(&self, name: &str) -> Option<PathBuf> {
        kept_audio::find(self.dir.as_ref()?, name)
    }

    /// The file of retired upload `name`, if there is one.
    fn retired_path(&self, name: &str) -> Option<PathBuf> {
        kept_audio::find(&self.dir.as_ref()?.join(RETIRED), name)
    }

    /// The marker that retires shipped notice `name` (with `-`, as the list names it).
    fn marker(&self, name: &str) -> Option<PathBuf> {
        let dir = self.dir.as_ref()?;
        Some(
            dir.join(RETIRED)
                .join(format!("{}.{MARKER}", name.replace('_', "-"))),
        )
    }

    /// Whether notice `name` was retired: a new campaign may not name it.
    pub(crate) fn is_retired(&self, name: &str) -> bool {
        if self.prompt(name).is_some() {
            return self.marker(name).is_some_and(|m| m.is_file());
        }
        self.active_path(name).is_none() && self.retired_path(name).is_some()
    }

    /// Retires notice `name` (blocking: moves or writes a file). Whether a campaign still
    /// plays it is the caller's check.
    pub(crate) fn retire(&self, name: &str) -> Result<(), CampaignRefused> {
        let missing = || {
            refused(
                404,
                Some("name"),
                format!("没有名为“{name}”的通知录音（可能已经停用）"),
            )
        };
        let Some(dir) = &self.dir else {
            return Err(missing());
        };
        if self.is_retired(name) {
            return Err(missing());
        }
        let retired = dir.join(RETIRED);
        if self.prompt(name).is_some() {
            let marker = self.marker(name).ok_or_else(missing)?;
            std::fs::create_dir_all(&retired).map_err(|e| io_refused(&retired, e))?;
            std::fs::write(&marker, b"").map_err(|e| io_refused(&marker, e))?;
        } else {
            let from = self.active_path(name).ok_or_else(missing)?;
            let file = from.file_name().ok_or_else(missing)?;
            std::fs::create_dir_all(&retired).map_err(|e| io_refused(&retired, e))?;
            let to = retired.join(file);
            std::fs::rename(&from, &to).map_err(|e| io_refused(&to, e))?;
        }
        tracing::info!(notice = name, "notice retired");
        Ok(())
    }

    /// Every notice: prompts whose name starts with `notice`, then uploads.
    pub(crate) fn list(&self) -> Vec<NoticeInfo> {
        let prompts = self.media.prompts();
        let mut out: Vec<NoticeInfo> = prompts
            .names()
            .filter(|n| n.starts_with("notice"))
            .filter(|n| !self.marker(n).is_some_and(|m| m.is_file()))
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
        let kept = kept_audio::keep(dir, name, audio).map_err(|e| io_refused(&e.path, e.source))?;
        // An upload under a retired name brings the name back with the new recording.
        let _ = kept_audio::remove(&dir.join(RETIRED), name);
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
        Ok(prompt.to_wav())
    }
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
    use super::valid_name;

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

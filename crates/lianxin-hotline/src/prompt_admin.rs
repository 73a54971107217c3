//! The hotline's prompts as admins replace them ([`HotlinePrompts`], the desk's
//! [`PromptControl`]): the committee records its own greeting, menu or after-hours
//! message, uploads it in the console, and the next caller hears it.
//!
//! Why it works this way:
//! - Only the names of [`names::REPLACEABLE`] that the shipped folder has can be replaced:
//!   a console names a prompt, it never makes the server write where it likes.
//! - An upload is decoded in memory first (WAV of any rate and channel count, or MP3, at
//!   most [`MAX_SECONDS`]): a file that cannot be played is refused before anything
//!   changes, not found out when a resident calls.
//! - The original bytes are kept in the replacements folder (`<db>-prompts/<name>.wav`,
//!   written to a temporary file and renamed, so a crash never leaves half a greeting),
//!   and [`HotlinePrompts::load`] swaps them in at every start. The shipped `prompts/`
//!   folder is never written: restoring just deletes the replacement.
//! - The swap itself is the media library's ([`PromptLibrary::replace`]): calls already
//!   playing the old recording finish it; the next call gets the new one.
//!
//! The methods block (decode, write files); the desk calls them off its request tasks.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use lianxin_desk::{CampaignRefused, PromptControl, PromptInfo};
use lianxin_media::kept_audio::{self, KeepError};
use lianxin_media::prompt::names;
use lianxin_media::{MediaHandle, Prompt, PromptConfig, PromptError, PromptLibrary};

/// Longest replacement accepted: a greeting or a menu is seconds long, and a caller
/// hears it before anything else.
pub const MAX_SECONDS: u64 = 120;

/// The replaceable prompts, kept in `dir`, played by `media`.
#[derive(Debug, Clone)]
pub struct HotlinePrompts {
    dir: PathBuf,
    media: MediaHandle,
}

impl HotlinePrompts {
    /// The prompts, with every replacement kept in `dir` swapped in (blocking: reads
    /// files). A kept file that no longer decodes is logged and the shipped prompt plays.
    pub fn load(dir: PathBuf, media: MediaHandle) -> HotlinePrompts {
        let prompts = HotlinePrompts { dir, media };
        for name in prompts.names() {
            let Some(path) = prompts.kept(name) else {
                continue;
            };
            match Prompt::load(&path, &config()) {
                Ok(p) => {
                    tracing::info!(prompt = name, file = %path.display(), "replaced prompt loaded");
                    prompts.library().replace(p);
                }
                Err(e) => tracing::error!(
                    prompt = name,
                    error = %e,
                    "a replaced prompt cannot be played; the shipped one plays (replace it again in the console)"
                ),
            }
        }
        prompts
    }

    fn library(&self) -> &PromptLibrary {
        self.media.prompts()
    }

    /// The replaceable names the shipped folder has.
    fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        names::REPLACEABLE
            .iter()
            .copied()
            .filter(|n| self.library().shipped(n).is_some())
    }

    /// `name` as one of ours, or 404 naming the field.
    fn known(&self, name: &str) -> Result<&'static str, CampaignRefused> {
        self.names()
            .find(|n| *n == name)
            .ok_or_else(|| refused(404, "name", format!("没有名为“{name}”的可替换提示音")))
    }

    /// The kept replacement of `name`, if there is one.
    fn kept(&self, name: &str) -> Option<PathBuf> {
        kept_audio::find(&self.dir, name)
    }

    fn info(&self, name: &str) -> PromptInfo {
        PromptInfo {
            name: name.to_owned(),
            seconds: self
                .library()
                .get(name)
                .map_or(0, |p| p.duration().as_secs_f64().ceil() as u32),
            replaced: self.library().is_replaced(name),
        }
    }
}

impl PromptControl for HotlinePrompts {
    fn list(&self) -> Vec<PromptInfo> {
        self.names().map(|n| self.info(n)).collect()
    }

    fn replace(&self, name: &str, audio: &[u8]) -> Result<PromptInfo, CampaignRefused> {
        let name = self.known(name)?;
        let prompt = Prompt::decode(name, audio, &config()).map_err(|e| {
            tracing::info!(prompt = name, error = %e, "prompt upload refused");
            match e {
                PromptError::TooLong { seconds, .. } => refused(
                    400,
                    "prompt",
                    format!("录音有 {seconds:.0} 秒，提示音最长 {MAX_SECONDS} 秒；请剪短后再上传"),
                ),
                _ => refused(
                    400,
                    "prompt",
                    "无法识别这个录音文件：请上传 WAV（任意采样率和声道）或 MP3 文件".into(),
                ),
            }
        })?;
        let kept = kept_audio::keep(&self.dir, name, audio).map_err(io_refused)?;
        let prompt: Arc<Prompt> = self.library().replace(prompt);
        tracing::info!(prompt = name, file = %kept.display(), seconds = prompt.duration().as_secs(), "prompt replaced; the next call plays it");
        Ok(self.info(name))
    }

    fn restore(&self, name: &str) -> Result<PromptInfo, CampaignRefused> {
        let name = self.known(name)?;
        kept_audio::remove(&self.dir, name).map_err(io_refused)?;
        self.library().restore(name);
        tracing::info!(prompt = name, "prompt restored to the shipped recording");
        Ok(self.info(name))
    }

    fn audio(&self, name: &str) -> Result<Vec<u8>, CampaignRefused> {
        let name = self.known(name)?;
        let prompt = self
            .library()
            .get(name)
            .ok_or_else(|| refused(404, "name", format!("没有名为“{name}”的提示音")))?;
        Ok(prompt.to_wav())
    }
}

fn config() -> PromptConfig {
    PromptConfig {
        max_duration: Duration::from_secs(MAX_SECONDS),
    }
}

fn refused(status: u16, field: &str, message: String) -> CampaignRefused {
    CampaignRefused {
        status,
        field: Some(field.to_owned()),
        message,
    }
}

fn io_refused(e: KeepError) -> CampaignRefused {
    tracing::error!(error = %e, "cannot keep a replaced prompt");
    refused(500, "prompt", "服务器无法保存录音文件，请联系管理员".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use lianxin_media::{MediaConfig, MediaEngine};

    /// A library of two shipped prompts (greeting 0.5 s, tone 0.1 s) in a media engine.
    fn engine() -> MediaHandle {
        let mut lib = PromptLibrary::new();
        lib.insert(Prompt::from_pcm("greeting", &[1000i16; 4000]));
        lib.insert(Prompt::from_pcm("tone", &[1000i16; 800]));
        let config = MediaConfig::new("127.0.0.1".parse().expect("ip"), Arc::new(lib));
        MediaEngine::start(config).expect("media engine")
    }

    /// `secs` seconds of audio as a WAV file's bytes.
    fn wav(secs: usize) -> Vec<u8> {
        Prompt::from_pcm("x", &vec![2000i16; secs * 8000]).to_wav()
    }

    #[test]
    fn a_replacement_plays_until_restored_and_survives_a_restart() {
        let dir = tempfile::tempdir().expect("dir");
        let kept = dir.path().join("replaced");
        let media = engine();
        let prompts = HotlinePrompts::load(kept.clone(), media.clone());
        assert_eq!(
            prompts.list(),
            [PromptInfo {
                name: "greeting".into(),
                seconds: 1,
                replaced: false
            }],
            "only replaceable names the shipped folder has"
        );
        let info = prompts.replace("greeting", &wav(3)).expect("replaced");
        assert_eq!((info.seconds, info.replaced), (3, true));
        assert_eq!(
            media.prompt("greeting").expect("greeting").samples(),
            24_000
        );
        assert!(kept.join("greeting.wav").is_file());
        // What an admin listens to is what callers hear.
        assert!(prompts.audio("greeting").expect("audio").len() > 48_000);

        // A restart (a fresh engine and library) plays the kept replacement.
        let media2 = engine();
        let again = HotlinePrompts::load(kept.clone(), media2.clone());
        assert_eq!(
            media2.prompt("greeting").expect("greeting").samples(),
            24_000
        );

        let info = again.restore("greeting").expect("restored");
        assert_eq!((info.seconds, info.replaced), (1, false));
        assert_eq!(media2.prompt("greeting").expect("greeting").samples(), 4000);
        assert!(!kept.join("greeting.wav").exists());
        media.shutdown();
        media2.shutdown();
    }

    #[test]
    fn bad_uploads_and_names_change_nothing() {
        let dir = tempfile::tempdir().expect("dir");
        let media = engine();
        let prompts = HotlinePrompts::load(dir.path().to_path_buf(), media.clone());
        let err = prompts.replace("tone", &wav(1)).unwrap_err();
        assert_eq!((err.status, err.field.as_deref()), (404, Some("name")));
        let err = prompts.replace("../greeting", &wav(1)).unwrap_err();
        assert_eq!(err.status, 404);
        let err = prompts
            .replace("greeting", b"not audio at all")
            .unwrap_err();
        assert_eq!((err.status, err.field.as_deref()), (400, Some("prompt")));
        let err = prompts
            .replace("greeting", &wav(MAX_SECONDS as usize + 1))
            .unwrap_err();
        assert_eq!((err.status, err.field.as_deref()), (400, Some("prompt")));
        assert!(err.message.contains("120"), "{}", err.message);
        assert_eq!(media.prompt("greeting").expect("greeting").samples(), 4000);
        assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 0);
        media.shutdown();
    }

    #[test]
    fn a_kept_file_that_no_longer_plays_leaves_the_shipped_prompt() {
        let dir = tempfile::tempdir().expect("dir");
        std::fs::write(dir.path().join("greeting.wav"), b"RIFF\x10\0\0\0WAVEjunk").expect("file");
        let media = engine();
        let prompts = HotlinePrompts::load(dir.path().to_path_buf(), media.clone());
        assert!(!prompts.list()[0].replaced);
        assert_eq!(media.prompt("greeting").expect("greeting").samples(), 4000);
        media.shutdown();
    }
}

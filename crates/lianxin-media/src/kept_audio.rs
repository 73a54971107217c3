//! Audio files staff upload, kept by name in a folder: `<dir>/<name>.wav` or `.mp3` (the
//! format told by content), written to a temporary file and renamed so a crash never
//! leaves half a file, and an older upload of the same name in the other format removed
//! so it cannot shadow the new one. Shared by the dialer's notices and the hotline's
//! replaced prompts; the callers check the name and decode the audio first.

use std::path::{Path, PathBuf};

use crate::audio_file::{sniff, AudioFormat};

/// The extensions a kept file may have, in the order they are looked for.
const EXTENSIONS: [&str; 2] = ["wav", "mp3"];

/// A kept file could not be written, renamed or removed.
#[derive(Debug, thiserror::Error)]
#[error("cannot keep {path}: {source}")]
pub struct KeepError {
    /// The file or folder at fault.
    pub path: PathBuf,
    /// The OS error.
    pub source: std::io::Error,
}

fn at(path: &Path) -> impl FnOnce(std::io::Error) -> KeepError + '_ {
    move |source| KeepError {
        path: path.to_path_buf(),
        source,
    }
}

/// Keeps `audio` as `<dir>/<name>.wav` (a WAV file) or `.mp3` (anything else); returns
/// the file's path.
pub fn keep(dir: &Path, name: &str, audio: &[u8]) -> Result<PathBuf, KeepError> {
    let ext = match sniff(audio) {
        Some(AudioFormat::Wav) => "wav",
        _ => "mp3",
    };
    std::fs::create_dir_all(dir).map_err(at(dir))?;
    let tmp = dir.join(format!(".upload-{name}.{ext}"));
    std::fs::write(&tmp, audio).map_err(at(&tmp))?;
    let kept = dir.join(format!("{name}.{ext}"));
    std::fs::rename(&tmp, &kept).map_err(at(&kept))?;
    for other in EXTENSIONS.iter().filter(|e| **e != ext) {
        let _ = std::fs::remove_file(dir.join(format!("{name}.{other}")));
    }
    Ok(kept)
}

/// The kept file of `name` in `dir`, if there is one.
pub fn find(dir: &Path, name: &str) -> Option<PathBuf> {
    EXTENSIONS
        .iter()
        .map(|ext| dir.join(format!("{name}.{ext}")))
        .find(|p| p.is_file())
}

/// Removes every kept file of `name` in `dir` (none is fine).
pub fn remove(dir: &Path, name: &str) -> Result<(), KeepError> {
    while let Some(path) = find(dir, name) {
        std::fs::remove_file(&path).map_err(at(&path))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Prompt;

    #[test]
    fn a_kept_file_replaces_the_other_format_and_is_found() {
        let dir = tempfile::tempdir().unwrap();
        let wav = Prompt::from_pcm("x", &[0i16; 800]).to_wav();
        std::fs::write(dir.path().join("greeting.mp3"), b"old").unwrap();
        let kept = keep(dir.path(), "greeting", &wav).unwrap();
        assert_eq!(kept, dir.path().join("greeting.wav"));
        assert!(!dir.path().join("greeting.mp3").exists());
        assert_eq!(find(dir.path(), "greeting"), Some(kept));
        remove(dir.path(), "greeting").unwrap();
        assert_eq!(find(dir.path(), "greeting"), None);
        // Nothing but the kept file is left behind.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}

//! Recordings for the demo community's voice messages: the demo lists two open voice
//! messages, and without files behind them the console's players answered 404. They are
//! written as 8 kHz mono 16-bit WAV (what the hotline records) into the folder beside the
//! database where `serve` keeps voice messages (`<database name>-voicemail/`), a quiet
//! pulsed tone as long as the message says.

use std::io::Write;
use std::path::{Path, PathBuf};

/// The voice-message folder `serve` uses by default for the database at `db`.
pub(crate) fn voicemail_folder(db: &Path) -> PathBuf {
    let stem = db
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_else(|| "lianxin".to_string());
    db.with_file_name(format!("{stem}-voicemail"))
}

/// Writes `seconds` of a pulsed 440 Hz tone (0.4 s on, 0.2 s off) to `path` as a WAV file.
pub(crate) fn write_recording(path: &Path, seconds: u32) -> std::io::Result<()> {
    const RATE: u32 = 8000;
    let samples = RATE * seconds;
    let data_len = samples * 2;
    let mut out = Vec::with_capacity(44 + data_len as usize);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&RATE.to_le_bytes());
    out.extend_from_slice(&(RATE * 2).to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    for i in 0..samples {
        let on = i % (RATE * 6 / 10) < RATE * 4 / 10;
        let s = if on {
            (f64::from(i) * 2.0 * std::f64::consts::PI * 440.0 / f64::from(RATE)).sin() * 3000.0
        } else {
            0.0
        };
        out.extend_from_slice(&(s as i16).to_le_bytes());
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::File::create(path)?.write_all(&out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_demo_recording_is_a_wav_of_the_given_length() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("demo.db");
        let path = voicemail_folder(&db).join("demo-1.wav");
        assert!(path.starts_with(dir.path().join("demo-voicemail")));
        write_recording(&path, 3).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(&bytes[..4], b"RIFF");
        assert_eq!(bytes.len(), 44 + 3 * 8000 * 2);
    }
}

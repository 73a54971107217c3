//! `--notice NAME-OR-FILE`: a notice the server knows by name, or an audio file to upload.
//!
//! A file (it exists, or the argument has a `/` or ends in `.wav` / `.mp3`) is uploaded
//! with `PUT /api/notices/{name}` before the campaign is previewed; the name is made from
//! the file name so staff can give it again later (`Heating Notice.wav` →
//! `heating-notice`). The server decodes and converts it (WAV of any rate and channels,
//! MP3); here only the size is checked first, so a 200 MB mistake is not sent.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use chrono::{DateTime, Utc};
use lianxin_store::china_time::china;

use super::wire::{self, Notice};
use super::Out;
use crate::client::{Client, ClientError};

/// Largest notice file the server takes.
const MAX_NOTICE_BYTES: u64 = 20 << 20;
/// Longest notice name the server takes.
const MAX_NOTICE_NAME: usize = 40;

/// Where `--notice` points.
#[derive(Debug, PartialEq, Eq)]
enum NoticeArg {
    /// A notice the server knows by name.
    Named(String),
    /// A file to upload first.
    File(PathBuf),
}

/// A file if it exists, or looks like a path or an audio file name; a name otherwise.
fn notice_arg(s: &str) -> NoticeArg {
    let lower = s.to_ascii_lowercase();
    let path = Path::new(s);
    if path.is_file()
        || s.contains('/')
        || s.contains(std::path::MAIN_SEPARATOR)
        || lower.ends_with(".wav")
        || lower.ends_with(".mp3")
    {
        NoticeArg::File(path.to_path_buf())
    } else {
        NoticeArg::Named(s.to_string())
    }
}

/// The name an uploaded file gets: its file stem lowercased, every run of other
/// characters than `a-z0-9` turned into one `-`, at most 40 characters; a stem with none
/// of those (`通知.wav`) gets `notice-MMDD-HHMM` (China time of `now`).
fn notice_name(path: &Path, now: DateTime<Utc>) -> String {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let mut name = String::new();
    for c in stem.chars() {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            name.push(c);
        } else if !name.is_empty() && !name.ends_with('-') {
            name.push('-');
        }
    }
    name.truncate(MAX_NOTICE_NAME);
    let name = name.trim_end_matches('-');
    if name.is_empty() {
        china(now).format("notice-%m%d-%H%M").to_string()
    } else {
        name.to_string()
    }
}

/// The notice name to give the campaign: `arg` itself, or the name an uploaded file got.
pub async fn resolve(client: &Client, arg: &str, out: &Out) -> anyhow::Result<String> {
    match notice_arg(arg) {
        NoticeArg::Named(n) => Ok(n),
        NoticeArg::File(path) => upload(client, &path, out).await,
    }
}

/// Uploads a notice file; returns the name the server keeps it under.
async fn upload(client: &Client, path: &Path, out: &Out) -> anyhow::Result<String> {
    let meta = std::fs::metadata(path).with_context(|| {
        format!(
            "--notice {}: no such file (give a WAV or MP3 file, or a notice name from `lianxin campaign notices`)",
            path.display()
        )
    })?;
    if !meta.is_file() {
        bail!("--notice {}: not a file", path.display());
    }
    if meta.len() > MAX_NOTICE_BYTES {
        bail!(
            "--notice {}: {} MB is more than the server takes (20 MB); shorten it or convert it to MP3",
            path.display(),
            meta.len() >> 20
        );
    }
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let name = notice_name(path, Utc::now());
    let what = format!("upload notice {name}");
    let answer = client
        .put_bytes(&format!("/api/notices/{name}"), bytes, &what)
        .await
        .map_err(upload_refused)?;
    let notice: Notice = wire::read(answer, "the upload")?;
    let name = if notice.name.is_empty() {
        name
    } else {
        notice.name
    };
    out.info(&format!(
        "uploaded {} as notice {name} ({} s)",
        path.display(),
        notice.seconds
    ));
    Ok(name)
}

/// An upload refusal with what to do about it.
fn upload_refused(e: ClientError) -> anyhow::Error {
    match e {
        // A shipped prompt's name (409) or a name the server will not take.
        ClientError::Refused(r) if r.status == 409 || r.field.as_deref() == Some("name") => {
            anyhow::anyhow!("{r}; rename the file: the notice's name is made from the file name")
        }
        ClientError::Refused(r) if r.status == 400 || r.status == 413 => {
            anyhow::anyhow!("{r}; check the file given to --notice (WAV or MP3, at most 20 MB)")
        }
        e => e.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notice_files_are_told_from_names() {
        assert_eq!(
            notice_arg("notice-security"),
            NoticeArg::Named("notice-security".into())
        );
        assert_eq!(
            notice_arg("Heating.WAV"),
            NoticeArg::File("Heating.WAV".into())
        );
        assert_eq!(
            notice_arg("recordings/x"),
            NoticeArg::File("recordings/x".into())
        );
        let dir = tempfile::tempdir().expect("tempdir");
        let f = dir.path().join("plain");
        std::fs::write(&f, b"RIFF").expect("write");
        let s = f.to_string_lossy().to_string();
        assert_eq!(notice_arg(&s), NoticeArg::File(f));
    }

    #[test]
    fn uploaded_names_are_safe_and_short() {
        let now = "2026-12-03T01:30:00Z".parse().expect("time");
        let name = |p: &str| notice_name(Path::new(p), now);
        assert_eq!(name("/tmp/Heating Notice_2026.wav"), "heating-notice-2026");
        assert_eq!(name("停水通知 v2.mp3"), "v2");
        assert_eq!(name("停水通知.mp3"), "notice-1203-0930");
        assert_eq!(name("--a--b--.wav"), "a-b");
        let long = format!("{}.wav", "a".repeat(60));
        assert_eq!(name(&long).len(), 40);
        let name = name("x_y-z.tar.mp3");
        assert_eq!(name, "x-y-z-tar");
        assert!(name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'));
    }

    #[test]
    fn upload_refusals_say_what_to_change() {
        let refused = |status, field: &str| {
            upload_refused(ClientError::Refused(crate::client::Refusal {
                status,
                error: Some("不行".into()),
                field: Some(field.into()),
                what: "upload notice notice-security".into(),
            }))
            .to_string()
        };
        assert!(refused(409, "name")
            .ends_with("rename the file: the notice's name is made from the file name"));
        assert!(refused(400, "notice")
            .ends_with("check the file given to --notice (WAV or MP3, at most 20 MB)"));
    }
}

//! What the desk may ask of the prompt library: the hotline's own recordings (欢迎语,
//! 主菜单, 非工作时间…) that an admin replaces with the committee's own voice, and
//! restores. Implemented by `lianxin-hotline` over the media engine's library.
//!
//! Why a trait: the desk knows nothing of audio. It checks who asks and audits; the
//! implementation decodes the upload (a file that cannot be played is refused before
//! anything changes), keeps it on disk so a restart plays it too, and swaps it in for
//! the next call. The methods block (they decode and write files): the desk calls them
//! off its request tasks.

use serde::Serialize;

use crate::campaigns::CampaignRefused;

/// One replaceable prompt, as the admins' page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PromptInfo {
    /// The prompt's name (`greeting`, `menu`, …; the page shows a Chinese label for it).
    pub name: String,
    /// Length in seconds (rounded up) of what callers hear now.
    pub seconds: u32,
    /// Whether staff replaced the shipped recording.
    pub replaced: bool,
}

/// The replaceable prompts. Refusals have the dialer's shape (status, field, message in
/// Simplified Chinese).
pub trait PromptControl: Send + Sync + 'static {
    /// Every replaceable prompt, in the order the call flow plays them.
    fn list(&self) -> Vec<PromptInfo>;
    /// Plays `audio` (WAV of any rate and channel count, or MP3) as prompt `name` from the
    /// next call on, and keeps it across restarts.
    fn replace(&self, name: &str, audio: &[u8]) -> Result<PromptInfo, CampaignRefused>;
    /// Goes back to the shipped recording of `name`.
    fn restore(&self, name: &str) -> Result<PromptInfo, CampaignRefused>;
    /// Prompt `name` as callers hear it, as an 8 kHz 16-bit mono WAV file.
    fn audio(&self, name: &str) -> Result<Vec<u8>, CampaignRefused>;
}

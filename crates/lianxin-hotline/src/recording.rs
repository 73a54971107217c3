//! Voice messages and conversation recordings.
//!
//! A recording needs a dated folder and a new WAV file: file-system work, so both are made
//! off the loop ([`lianxin_media::MediaHandle::recorder`] in `spawn_blocking`) and the
//! ready file comes back as an input, which starts it on the caller's leg. The length of
//! a finished voice message comes from the media engine (samples written), when the
//! recording stops or when the call's close finalizes it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use lianxin_media::Channels;
use lianxin_store::{CallUpdate, NewVoiceMessage};

use crate::acd::CallKey;
use crate::calllog::Entry;
use crate::driver::Driver;
use crate::legs::{Call, Recording};
use crate::now::Now;
use crate::work::{Done, Purpose};

/// Longest conversation recording (a guard against a line left open all night).
const CONVERSATION_MAX: Duration = Duration::from_secs(4 * 3600);

impl Driver {
    /// The flow asks for a voice message of at most `max`.
    pub(crate) fn record_voice_message(&mut self, key: CallKey, max: Duration) {
        let Some(call) = self.legs.get_mut(key) else {
            return;
        };
        call.voicemail = Recording::Starting { stop: false };
        self.start_recording(key, Purpose::VoiceMessage, max);
    }

    /// The flow asks to stop the voice message; `RecordingStopped` follows.
    pub(crate) fn stop_voice_message(&mut self, key: CallKey) {
        let Some(call) = self.legs.get_mut(key) else {
            return;
        };
        match &mut call.voicemail {
            Recording::Starting { stop } => *stop = true,
            Recording::Running { .. } => call.caller.stop_recording(),
            Recording::None => {}
        }
    }

    /// The operator answered: record the conversation when configured.
    pub(crate) fn record_conversation(&mut self, key: CallKey) {
        if self.config.record_calls.is_some() {
            self.start_recording(key, Purpose::Conversation, CONVERSATION_MAX);
        }
    }

    /// Makes the folder and file for a recording of the call (at most `max`), off the loop.
    fn start_recording(&mut self, key: CallKey, purpose: Purpose, max: Duration) {
        let Some(call) = self.legs.get(key) else {
            return;
        };
        let (root, channels) = match purpose {
            Purpose::VoiceMessage => (self.config.voicemail_dir.clone(), Channels::Mono),
            Purpose::Conversation => match &self.config.record_calls {
                Some(dir) => (dir.clone(), Channels::CallerOperator),
                None => return,
            },
        };
        let dir = root.join(call.about.arrived.format("%Y-%m-%d").to_string());
        let path = dir.join(format!("{}.wav", call.about.call_id));
        let media = self.ctx.media.clone();
        self.off_loop(move || {
            let made =
                make_recorder(&dir, &path, |p| media.recorder(p, max, channels)).map(|r| (r, path));
            Done::RecorderMade { key, purpose, made }
        });
    }

    /// A recording file is ready (or failed): start it on the caller's leg.
    pub(crate) fn on_recorder_made(
        &mut self,
        now: Now,
        key: CallKey,
        purpose: Purpose,
        made: Result<(lianxin_media::Recorder, PathBuf), String>,
    ) {
        let Some(call) = self.legs.get_mut(key) else {
            return;
        };
        let (recorder, path) = match made {
            Ok(m) => m,
            Err(e) => {
                match purpose {
                    Purpose::VoiceMessage => {
                        call.voicemail = Recording::None;
                        tracing::error!(call = key, error = %e, "cannot record voice message")
                    }
                    Purpose::Conversation => {
                        tracing::error!(call = key, error = %e, "cannot record the conversation")
                    }
                }
                return;
            }
        };
        if let Err(e) = call.caller.record(recorder) {
            tracing::error!(call = key, error = %e, ?purpose, "cannot start the recording");
            if purpose == Purpose::VoiceMessage {
                call.voicemail = Recording::None;
            }
            return;
        }
        match purpose {
            Purpose::VoiceMessage => {
                let stop = matches!(call.voicemail, Recording::Starting { stop: true });
                call.voicemail = Recording::Running {
                    path,
                    started: now.wall,
                };
                if stop {
                    call.caller.stop_recording();
                }
            }
            Purpose::Conversation => self.log.write(Entry::Update(
                key,
                CallUpdate {
                    recording_path: Some(path.display().to_string()),
                    ..CallUpdate::default()
                },
            )),
        }
    }

    /// The caller's recording stopped: a running voice message is stored.
    pub(crate) fn voice_message_stopped(&mut self, key: CallKey, duration: Duration) {
        let Some(call) = self.legs.get_mut(key) else {
            return;
        };
        if let Recording::Running { path, started } =
            std::mem::replace(&mut call.voicemail, Recording::None)
        {
            self.log.write(Entry::VoiceMessage {
                key,
                message: voice_message(call, path, started, duration),
                call_id: call.about.call_id.clone(),
            });
        }
    }
}

/// Creates `dir` and the recorder (blocking; runs off the loop).
fn make_recorder<R>(
    dir: &Path,
    path: &Path,
    create: impl FnOnce(&Path) -> Result<R, lianxin_media::MediaError>,
) -> Result<R, String> {
    std::fs::create_dir_all(dir)
        .map_err(|e| format!("cannot create folder {}: {e}", dir.display()))?;
    create(path).map_err(|e| e.to_string())
}

/// A finished voice message for the call log (the writer fills in the call's row).
pub(crate) fn voice_message(
    call: &Call,
    path: PathBuf,
    started: DateTime<Utc>,
    duration: Duration,
) -> NewVoiceMessage {
    NewVoiceMessage {
        call_id: None,
        household_id: call.about.household_id,
        caller_raw: call.about.caller_raw.clone(),
        caller_normalized: call.about.normalized.clone(),
        created: started,
        duration_ms: duration.as_millis() as u64,
        path: path.display().to_string(),
    }
}

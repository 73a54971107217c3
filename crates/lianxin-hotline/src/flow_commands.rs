//! Carrying out what a caller's flow asks for: play, queue, record, hang up.
//!
//! The flow ([`CallFlow`](crate::flow::CallFlow)) decides; this module only turns its
//! [`Command`]s into calls on the caller's leg, the queue and the consoles. A command
//! that cannot be carried out (no prompt to play) is answered at once with the input the
//! flow would otherwise wait for, so a caller is never stuck in silence.

use std::collections::VecDeque;

use lianxin_desk::DeskEvent;

use crate::acd::CallKey;
use crate::driver::Driver;
use crate::flow::{Command, Input};
use crate::now::Now;

impl Driver {
    pub(crate) async fn execute(&mut self, now: Now, key: CallKey, cmds: Vec<Command>) {
        let mut pending: VecDeque<Command> = cmds.into();
        while let Some(cmd) = pending.pop_front() {
            match cmd {
                Command::Play { prompts, loop_last } => {
                    let items = self.play_items(&prompts, loop_last);
                    let played = match self.legs.get_mut(key) {
                        Some(c) if !items.is_empty() => c.caller.play(items),
                        _ => false,
                    };
                    if !played {
                        // Nothing to play (missing prompts were logged): move on as if
                        // it had finished, so the caller is never stuck in silence.
                        if let Some(c) = self.legs.get_mut(key) {
                            pending.extend(c.flow.handle(now.mono, Input::PlaybackFinished));
                        }
                    }
                }
                Command::StopPlayback => {
                    if let Some(c) = self.legs.get_mut(key) {
                        c.caller.stop_playback();
                    }
                }
                Command::JoinQueue => {
                    self.acd.enqueue(now.mono, key);
                    if let (Some(c), Some(p)) = (self.legs.get(key), self.acd.position(key)) {
                        self.desk.publish(DeskEvent::CallQueued {
                            call_id: c.about.call_id.clone(),
                            position: p as u32,
                        });
                    }
                }
                Command::LeaveQueue => self.acd.remove(now.mono, key),
                Command::AnnouncePosition => {
                    let Some(pos) = self.acd.position(key) else {
                        continue;
                    };
                    let name = if pos <= 5 {
                        format!("queue_ahead_{pos}")
                    } else {
                        "queue_ahead_many".to_string()
                    };
                    let hold = self.flow_config.hold.clone();
                    let mut items = self.play_items(&[name], false);
                    items.extend(self.play_items(&[hold], true));
                    if let Some(c) = self.legs.get_mut(key) {
                        c.caller.play(items);
                    }
                }
                Command::Record { max } => self.record_voice_message(key, max),
                Command::StopRecording => self.stop_voice_message(key),
                Command::Hangup => {
                    if let Some(c) = self.legs.get_mut(key) {
                        c.caller.hang_up();
                    }
                    self.teardown(now, key, "flow finished").await;
                }
            }
        }
        self.drain_acd(now).await;
    }
}

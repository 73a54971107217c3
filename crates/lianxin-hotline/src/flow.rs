//! One caller's path through the hotline: greeting, menu, queue, operator or voice message.
//!
//! A [`CallFlow`] is a small state machine per inbound call. The driver feeds it what
//! happened ([`Input`]: the call was answered, a prompt finished, a key was pressed, the
//! caller hung up, the queue gave up) with the current time, and carries out the
//! [`Command`]s it returns (play these prompts, join the queue, record, bridge to an
//! operator, hang up). It reads no clock and touches no socket, so every path a caller can
//! take is a unit test below.
//!
//! Why the flow and the queue are separate machines: the queue ([`crate::acd`]) is shared
//! by all callers and decides *who* answers; the flow is per caller and decides *what the
//! caller hears*. The driver connects them ("joined the queue", "operator picked up").

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde::Deserialize;

/// What a key in the menu does.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MenuAction {
    /// Wait in the queue for an operator.
    Operator,
    /// Leave a voice message.
    Voicemail,
    /// Hear a recorded prompt (e.g. this week's notices), then the menu again.
    Info(String),
}

/// The call flow, as staff configure it (`[hotline.flow]` in the config file).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FlowConfig {
    /// Prompt played first.
    pub greeting: String,
    /// Menu prompt; `None` goes straight from the greeting to the queue.
    pub menu: Option<String>,
    /// What each key does.
    pub keys: BTreeMap<char, MenuAction>,
    /// Seconds to wait for a key after the menu prompt ends.
    pub menu_timeout_secs: u64,
    /// How many times the menu is played before the caller is queued anyway.
    pub menu_tries: u32,
    /// Prompt played on joining the queue, then looped while waiting.
    pub hold: String,
    /// How often (seconds) the caller hears their position in the queue; 0 = never.
    pub position_every_secs: u64,
    /// Prompt "all operators are busy / please leave a message".
    pub all_busy: String,
    /// Prompt played outside opening hours.
    pub after_hours: String,
    /// Prompt "leave a message after the tone".
    pub leave_message: String,
    /// The tone before recording.
    pub tone: String,
    /// Prompt played before hanging up.
    pub goodbye: String,
    /// Longest voice message, seconds.
    pub voicemail_max_secs: u64,
    /// Hang up when the greeting ends (an information line that only plays a recording).
    pub end_after_greeting: bool,
}

impl Default for FlowConfig {
    fn default() -> Self {
        let mut keys = BTreeMap::new();
        keys.insert('1', MenuAction::Operator);
        keys.insert('2', MenuAction::Voicemail);
        keys.insert('3', MenuAction::Info("notice_security".into()));
        FlowConfig {
            greeting: "greeting".into(),
            menu: Some("menu".into()),
            keys,
            menu_timeout_secs: 5,
            menu_tries: 2,
            hold: "please_hold".into(),
            position_every_secs: 30,
            all_busy: "all_busy".into(),
            after_hours: "after_hours".into(),
            leave_message: "leave_message".into(),
            tone: "tone".into(),
            goodbye: "goodbye".into(),
            voicemail_max_secs: 120,
            end_after_greeting: false,
        }
    }
}

/// What happened to the call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// The caller's leg is up (ACK received) and media flows. `open` says whether it is
    /// within opening hours.
    Answered {
        /// Within opening hours?
        open: bool,
    },
    /// The prompt chain last requested has finished playing.
    PlaybackFinished,
    /// The caller pressed a key.
    Digit(char),
    /// The queue gave up on this call (waited too long).
    QueueTimeout,
    /// An operator picked up and the legs are bridged.
    OperatorConnected,
    /// The operator hung up; the caller hears goodbye.
    OperatorLeft,
    /// The voice message recording stopped (maximum length, or silence).
    RecordingStopped,
    /// The caller hung up.
    Hangup,
}

/// What the driver must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Play these prompts in order; loop the last one when `loop_last`.
    Play {
        /// Prompt names.
        prompts: Vec<String>,
        /// Loop the last prompt until stopped.
        loop_last: bool,
    },
    /// Stop what is playing.
    StopPlayback,
    /// Put the call in the ACD queue.
    JoinQueue,
    /// Take the call out of the queue.
    LeaveQueue,
    /// Tell the caller their position (the driver knows it from the queue), then resume hold.
    AnnouncePosition,
    /// Start recording a voice message of at most this length.
    Record {
        /// Maximum length.
        max: Duration,
    },
    /// Stop recording and keep what was recorded.
    StopRecording,
    /// Hang up the caller's leg.
    Hangup,
}

/// Where the caller is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Waiting for the ACK.
    Answering,
    /// Hearing the greeting.
    Greeting,
    /// Hearing the menu / choosing.
    Menu,
    /// Hearing an information prompt chosen from the menu.
    Info,
    /// Waiting for an operator.
    Queued,
    /// Talking to an operator.
    Connected,
    /// Hearing "leave a message after the tone".
    VoicemailPrompt,
    /// Recording a message.
    Recording,
    /// Hearing goodbye.
    Goodbye,
    /// Finished.
    Done,
}

/// How the call ended up, for the call log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Talked to an operator.
    Answered,
    /// Left a voice message.
    VoiceMessage,
    /// Hung up before reaching anyone (in the greeting, menu or queue).
    Abandoned,
    /// Heard a whole recording on an information line.
    Informed,
}

/// How long past `voicemail_max_secs` of wall time a voice message may run before the
/// flow stops it itself (the recorder stops at the maximum of audio received).
pub const RECORD_GRACE: Duration = Duration::from_secs(2);

/// One caller's flow (see the module docs).
#[derive(Debug)]
pub struct CallFlow {
    config: std::sync::Arc<FlowConfig>,
    stage: Stage,
    menu_tries: u32,
    digit_deadline: Option<Instant>,
    position_at: Option<Instant>,
    /// When a voice message is cut off by the clock even if the recorder, which counts
    /// the caller's audio, never reaches its maximum (a caller who sends no RTP).
    record_deadline: Option<Instant>,
    reached_operator: bool,
    recorded: bool,
    informed: bool,
}

impl CallFlow {
    /// A new flow for a call that has just been answered (200 OK sent).
    pub fn new(config: std::sync::Arc<FlowConfig>) -> Self {
        CallFlow {
            config,
            stage: Stage::Answering,
            menu_tries: 0,
            digit_deadline: None,
            position_at: None,
            record_deadline: None,
            reached_operator: false,
            recorded: false,
            informed: false,
        }
    }

    /// Where the caller is now.
    pub fn stage(&self) -> Stage {
        self.stage
    }

    /// How the call ended up so far.
    pub fn outcome(&self) -> Outcome {
        if self.reached_operator {
            Outcome::Answered
        } else if self.recorded {
            Outcome::VoiceMessage
        } else if self.informed {
            Outcome::Informed
        } else {
            Outcome::Abandoned
        }
    }

    /// Feeds one input; returns what to do, in order.
    pub fn handle(&mut self, now: Instant, input: Input) -> Vec<Command> {
        let mut out = Vec::new();
        match (self.stage, input) {
            (Stage::Done, _) => {}
            (_, Input::Hangup) => {
                match self.stage {
                    Stage::Queued => out.push(Command::LeaveQueue),
                    Stage::Recording => out.push(Command::StopRecording),
                    _ => {}
                }
                self.finish();
            }
            (Stage::Answering, Input::Answered { open }) => {
                if open {
                    self.stage = Stage::Greeting;
                    out.push(self.play(&[&self.config.greeting], false));
                } else {
                    self.enter_voicemail(&mut out, true);
                }
            }
            (Stage::Greeting, Input::PlaybackFinished) => self.after_greeting(now, &mut out),
            (Stage::Greeting, Input::Digit(d)) if self.config.menu.is_some() => {
                out.push(Command::StopPlayback);
                self.choose(now, d, &mut out);
            }
            (Stage::Menu, Input::PlaybackFinished) => {
                self.digit_deadline =
                    Some(now + Duration::from_secs(self.config.menu_timeout_secs));
            }
            (Stage::Menu, Input::Digit(d)) => {
                out.push(Command::StopPlayback);
                self.choose(now, d, &mut out);
            }
            (Stage::Info, Input::PlaybackFinished) => self.enter_menu(now, &mut out),
            (Stage::Info, Input::Digit(d)) => {
                out.push(Command::StopPlayback);
                self.choose(now, d, &mut out);
            }
            (Stage::Queued, Input::QueueTimeout) => {
                out.push(Command::StopPlayback);
                self.enter_voicemail(&mut out, false);
            }
            (Stage::Queued, Input::OperatorConnected) => {
                out.push(Command::StopPlayback);
                self.stage = Stage::Connected;
                self.position_at = None;
                self.reached_operator = true;
            }
            (Stage::Connected, Input::OperatorLeft) => {
                self.stage = Stage::Goodbye;
                out.push(self.play(&[&self.config.goodbye], false));
            }
            (Stage::VoicemailPrompt, Input::PlaybackFinished) => {
                self.stage = Stage::Recording;
                self.recorded = true;
                let max = Duration::from_secs(self.config.voicemail_max_secs);
                self.record_deadline = Some(now + max + RECORD_GRACE);
                out.push(Command::Record { max });
            }
            (Stage::Recording, Input::RecordingStopped) => {
                self.record_deadline = None;
                self.stage = Stage::Goodbye;
                out.push(self.play(&[&self.config.goodbye], false));
            }
            // '#' ends a voice message early.
            (Stage::Recording, Input::Digit('#')) => {
                self.record_deadline = None;
                out.push(Command::StopRecording);
                self.stage = Stage::Goodbye;
                out.push(self.play(&[&self.config.goodbye], false));
            }
            (Stage::Goodbye, Input::PlaybackFinished) => {
                out.push(Command::Hangup);
                self.finish();
            }
            _ => {}
        }
        out
    }

    /// Advances time: menu key timeout and position announcements.
    pub fn handle_timeout(&mut self, now: Instant) -> Vec<Command> {
        let mut out = Vec::new();
        if self.digit_deadline.is_some_and(|d| now >= d) {
            self.digit_deadline = None;
            if self.stage == Stage::Menu {
                if self.menu_tries < self.config.menu_tries {
                    self.enter_menu(now, &mut out);
                } else {
                    self.enter_queue(now, &mut out);
                }
            }
        }
        if self.position_at.is_some_and(|d| now >= d) && self.stage == Stage::Queued {
            out.push(Command::AnnouncePosition);
            self.position_at = self.next_position(now);
        }
        if self.record_deadline.is_some_and(|d| now >= d) {
            self.record_deadline = None;
            if self.stage == Stage::Recording {
                out.push(Command::StopRecording);
                self.stage = Stage::Goodbye;
                out.push(self.play(&[&self.config.goodbye], false));
            }
        }
        out
    }

    /// The earliest moment [`CallFlow::handle_timeout`] has something to do.
    pub fn poll_timeout(&self) -> Option<Instant> {
        [self.digit_deadline, self.position_at, self.record_deadline]
            .into_iter()
            .flatten()
            .min()
    }

    fn after_greeting(&mut self, now: Instant, out: &mut Vec<Command>) {
        if self.config.end_after_greeting {
            self.informed = true;
            out.push(Command::Hangup);
            self.finish();
        } else if self.config.menu.is_some() {
            self.enter_menu(now, out);
        } else {
            self.enter_queue(now, out);
        }
    }

    fn enter_menu(&mut self, now: Instant, out: &mut Vec<Command>) {
        let Some(menu) = self.config.menu.clone() else {
            return self.enter_queue(now, out);
        };
        self.stage = Stage::Menu;
        self.menu_tries += 1;
        self.digit_deadline = None;
        out.push(self.play(&[&menu], false));
    }

    fn choose(&mut self, now: Instant, digit: char, out: &mut Vec<Command>) {
        self.digit_deadline = None;
        match self.config.keys.get(&digit).cloned() {
            Some(MenuAction::Operator) => self.enter_queue(now, out),
            Some(MenuAction::Voicemail) => self.enter_voicemail(out, false),
            Some(MenuAction::Info(prompt)) => {
                self.stage = Stage::Info;
                out.push(self.play(&[&prompt], false));
            }
            // An unknown key replays the menu (counts as a try).
            None => {
                if self.menu_tries < self.config.menu_tries {
                    self.enter_menu(now, out);
                } else {
                    self.enter_queue(now, out);
                }
            }
        }
    }

    fn enter_queue(&mut self, now: Instant, out: &mut Vec<Command>) {
        self.stage = Stage::Queued;
        self.digit_deadline = None;
        out.push(Command::JoinQueue);
        out.push(self.play(&[&self.config.hold], true));
        self.position_at = self.next_position(now);
    }

    fn enter_voicemail(&mut self, out: &mut Vec<Command>, after_hours: bool) {
        self.stage = Stage::VoicemailPrompt;
        self.position_at = None;
        let first = if after_hours {
            &self.config.after_hours
        } else {
            &self.config.all_busy
        };
        let prompts = [first, &self.config.leave_message, &self.config.tone];
        out.push(self.play(&prompts, false));
    }

    fn next_position(&self, now: Instant) -> Option<Instant> {
        (self.config.position_every_secs > 0)
            .then(|| now + Duration::from_secs(self.config.position_every_secs))
    }

    fn play(&self, prompts: &[&String], loop_last: bool) -> Command {
        Command::Play {
            prompts: prompts.iter().map(|p| (*p).clone()).collect(),
            loop_last,
        }
    }

    fn finish(&mut self) {
        self.stage = Stage::Done;
        self.digit_deadline = None;
        self.position_at = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[allow(clippy::disallowed_methods)] // one epoch for the test; all later times are offsets
    fn flow() -> (CallFlow, Instant) {
        (
            CallFlow::new(Arc::new(FlowConfig::default())),
            Instant::now(),
        )
    }

    fn play(prompts: &[&str], loop_last: bool) -> Command {
        Command::Play {
            prompts: prompts.iter().map(|s| s.to_string()).collect(),
            loop_last,
        }
    }

    #[test]
    fn greeting_menu_key_one_queues_then_operator() {
        let (mut f, t) = flow();
        assert_eq!(
            f.handle(t, Input::Answered { open: true }),
            vec![play(&["greeting"], false)]
        );
        assert_eq!(
            f.handle(t, Input::PlaybackFinished),
            vec![play(&["menu"], false)]
        );
        assert_eq!(f.handle(t, Input::PlaybackFinished), vec![]);
        assert_eq!(
            f.handle(t, Input::Digit('1')),
            vec![
                Command::StopPlayback,
                Command::JoinQueue,
                play(&["please_hold"], true)
            ]
        );
        assert_eq!(f.stage(), Stage::Queued);
        assert_eq!(
            f.handle(t, Input::OperatorConnected),
            vec![Command::StopPlayback]
        );
        assert_eq!(f.outcome(), Outcome::Answered);
        assert_eq!(
            f.handle(t, Input::OperatorLeft),
            vec![play(&["goodbye"], false)]
        );
        assert_eq!(f.handle(t, Input::PlaybackFinished), vec![Command::Hangup]);
        assert_eq!(f.stage(), Stage::Done);
    }

    #[test]
    fn key_during_greeting_barges_in() {
        let (mut f, t) = flow();
        f.handle(t, Input::Answered { open: true });
        assert_eq!(
            f.handle(t, Input::Digit('2')),
            vec![
                Command::StopPlayback,
                play(&["all_busy", "leave_message", "tone"], false)
            ]
        );
    }

    #[test]
    fn menu_times_out_twice_then_queues() {
        let (mut f, t) = flow();
        f.handle(t, Input::Answered { open: true });
        f.handle(t, Input::PlaybackFinished);
        f.handle(t, Input::PlaybackFinished);
        let due = f.poll_timeout().expect("menu timeout");
        assert_eq!(due, t + Duration::from_secs(5));
        assert_eq!(f.handle_timeout(due), vec![play(&["menu"], false)]);
        f.handle(due, Input::PlaybackFinished);
        let due2 = f.poll_timeout().expect("second menu timeout");
        assert_eq!(
            f.handle_timeout(due2),
            vec![Command::JoinQueue, play(&["please_hold"], true)]
        );
    }

    #[test]
    fn position_is_announced_periodically_in_queue() {
        let (mut f, t) = flow();
        f.handle(t, Input::Answered { open: true });
        f.handle(t, Input::PlaybackFinished);
        f.handle(t, Input::Digit('1'));
        let due = f.poll_timeout().expect("position timer");
        assert_eq!(due, t + Duration::from_secs(30));
        assert_eq!(f.handle_timeout(due), vec![Command::AnnouncePosition]);
        assert_eq!(f.poll_timeout(), Some(due + Duration::from_secs(30)));
    }

    #[test]
    fn queue_timeout_leads_to_recorded_message() {
        let (mut f, t) = flow();
        f.handle(t, Input::Answered { open: true });
        f.handle(t, Input::PlaybackFinished);
        f.handle(t, Input::Digit('1'));
        assert_eq!(
            f.handle(t, Input::QueueTimeout),
            vec![
                Command::StopPlayback,
                play(&["all_busy", "leave_message", "tone"], false)
            ]
        );
        assert_eq!(
            f.handle(t, Input::PlaybackFinished),
            vec![Command::Record {
                max: Duration::from_secs(120)
            }]
        );
        assert_eq!(f.outcome(), Outcome::VoiceMessage);
        assert_eq!(f.handle(t, Input::Hangup), vec![Command::StopRecording]);
        assert_eq!(f.stage(), Stage::Done);
    }

    #[test]
    fn after_hours_goes_straight_to_voicemail() {
        let (mut f, t) = flow();
        assert_eq!(
            f.handle(t, Input::Answered { open: false }),
            vec![play(&["after_hours", "leave_message", "tone"], false)]
        );
    }

    /// A caller who sends no audio never fills the recorder, so the flow's own clock
    /// ends the voice message at its maximum plus the grace (a line held forever before).
    #[test]
    fn a_silent_voice_message_is_stopped_by_the_clock() {
        let (mut f, t) = flow();
        f.handle(t, Input::Answered { open: false });
        assert_eq!(
            f.handle(t, Input::PlaybackFinished),
            vec![Command::Record {
                max: Duration::from_secs(120)
            }]
        );
        let due = f.poll_timeout().expect("the recording's deadline");
        assert_eq!(due, t + Duration::from_secs(120) + RECORD_GRACE);
        assert_eq!(f.handle_timeout(due - Duration::from_millis(1)), vec![]);
        assert_eq!(
            f.handle_timeout(due),
            vec![Command::StopRecording, play(&["goodbye"], false)]
        );
        assert_eq!(f.stage(), Stage::Goodbye);
        // The recorder's own stop afterwards changes nothing more.
        assert_eq!(f.poll_timeout(), None);
    }

    #[test]
    fn hangup_in_queue_leaves_queue_and_is_abandoned() {
        let (mut f, t) = flow();
        f.handle(t, Input::Answered { open: true });
        f.handle(t, Input::PlaybackFinished);
        f.handle(t, Input::Digit('1'));
        assert_eq!(f.handle(t, Input::Hangup), vec![Command::LeaveQueue]);
        assert_eq!(f.outcome(), Outcome::Abandoned);
        assert_eq!(f.poll_timeout(), None);
        assert_eq!(f.handle(t, Input::Digit('1')), vec![]);
    }

    #[test]
    fn info_key_plays_prompt_then_menu_again() {
        let (mut f, t) = flow();
        f.handle(t, Input::Answered { open: true });
        f.handle(t, Input::PlaybackFinished);
        assert_eq!(
            f.handle(t, Input::Digit('3')),
            vec![Command::StopPlayback, play(&["notice_security"], false)]
        );
        assert_eq!(
            f.handle(t, Input::PlaybackFinished),
            vec![play(&["menu"], false)]
        );
    }

    #[test]
    fn unknown_key_replays_menu() {
        let (mut f, t) = flow();
        f.handle(t, Input::Answered { open: true });
        f.handle(t, Input::PlaybackFinished);
        assert_eq!(
            f.handle(t, Input::Digit('9')),
            vec![Command::StopPlayback, play(&["menu"], false)]
        );
    }

    #[test]
    fn hash_ends_voice_message() {
        let (mut f, t) = flow();
        f.handle(t, Input::Answered { open: false });
        f.handle(t, Input::PlaybackFinished);
        assert_eq!(
            f.handle(t, Input::Digit('#')),
            vec![Command::StopRecording, play(&["goodbye"], false)]
        );
    }

    #[test]
    fn no_menu_goes_from_greeting_to_queue() {
        let config = FlowConfig {
            menu: None,
            ..FlowConfig::default()
        };
        let mut f = CallFlow::new(Arc::new(config));
        let (_, t) = flow();
        f.handle(t, Input::Answered { open: true });
        assert_eq!(
            f.handle(t, Input::PlaybackFinished),
            vec![Command::JoinQueue, play(&["please_hold"], true)]
        );
    }

    #[test]
    fn information_line_hangs_up_after_its_recording() {
        let config = FlowConfig {
            greeting: "notice_security".into(),
            menu: None,
            end_after_greeting: true,
            ..FlowConfig::default()
        };
        let mut f = CallFlow::new(Arc::new(config));
        let (_, t) = flow();
        assert_eq!(
            f.handle(t, Input::Answered { open: true }),
            vec![play(&["notice_security"], false)]
        );
        assert_eq!(f.handle(t, Input::PlaybackFinished), vec![Command::Hangup]);
        assert_eq!(f.stage(), Stage::Done);
        assert_eq!(f.outcome(), Outcome::Informed);
    }
}

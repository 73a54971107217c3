//! Work done off the event loop, and its results coming back as inputs.
//!
//! The loop never waits for SQLite or the file system (ARCHITECTURE.md). What needs them —
//! the screen-pop lookup of a new INVITE, checking the staff list for a supervisor,
//! creating a folder and a WAV file to record into — runs in `spawn_blocking`, and its
//! result is sent back to the loop on one bounded channel as a [`Done`], handled like
//! any other input.

use std::path::PathBuf;
use std::sync::Arc;

use lianxin_media::Recorder;
use lianxin_store::Staff;
use lianxin_ua::IncomingCall;

use crate::acd::{CallKey, OperatorId};
use crate::flow::FlowConfig;
use crate::legs::Caller;

/// Results of work done off the loop.
pub(crate) enum Done {
    /// The screen-pop lookup of an INVITE is done; the call can be answered.
    Popped(Box<Popped>),
    /// The staff list says who dialled a supervision code.
    SupervisorFound(Box<SupervisorFound>),
    /// A recording file was created (or could not be).
    RecorderMade {
        key: CallKey,
        purpose: Purpose,
        made: Result<(Recorder, PathBuf), String>,
    },
}

/// A new INVITE with its caller looked up.
pub(crate) struct Popped {
    pub(crate) key: CallKey,
    pub(crate) ic: IncomingCall,
    pub(crate) about: Caller,
    /// The pop pushed to the consoles (`None` for an information line: no pop).
    pub(crate) pop: Option<lianxin_desk::Pop>,
    pub(crate) flow: Arc<FlowConfig>,
}

/// A supervision code dialled, with the dialler's staff record if it is a supervisor.
pub(crate) struct SupervisorFound {
    pub(crate) ic: IncomingCall,
    pub(crate) operator: OperatorId,
    pub(crate) whisper: bool,
    pub(crate) supervisor: Option<Staff>,
}

/// What a recording is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Purpose {
    /// The caller's voice message.
    VoiceMessage,
    /// The whole conversation with the operator.
    Conversation,
}

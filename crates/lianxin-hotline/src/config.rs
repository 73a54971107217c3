//! What the hotline is given: its settings ([`HotlineConfig`]) and the handles it drives
//! ([`Handles`]).

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use lianxin_desk::{DeskCommand, DeskHandle};
use lianxin_media::MediaHandle;
use lianxin_store::Store;
use lianxin_ua::{UaEvent, UaHandle};
use tokio::sync::mpsc;

use crate::acd::AcdConfig;
use crate::flow::FlowConfig;
use crate::hours::OpeningHours;

/// Everything the hotline needs to know that is not a handle.
#[derive(Debug, Clone)]
pub struct HotlineConfig {
    /// The caller's path (prompts, menu keys, timeouts).
    pub flow: FlowConfig,
    /// Ring and queue timeouts.
    pub acd: AcdConfig,
    /// When the hotline is staffed.
    pub hours: OpeningHours,
    /// Our RTP address as written into SDP.
    pub media_ip: IpAddr,
    /// Host part of our SIP URIs (From of operator legs).
    pub sip_host: String,
    /// Where voice messages are written (a dated folder per day).
    pub voicemail_dir: PathBuf,
    /// Take the caller ID from P-Asserted-Identity when the INVITE has one (trusted
    /// trunk); otherwise from From.
    pub trust_pai: bool,
    /// How often live legs and registrations are re-checked.
    pub resync_every: Duration,
    /// Record whole conversations (caller left, operator right) into this folder; `None`
    /// records nothing but voice messages.
    pub record_calls: Option<PathBuf>,
    /// Information lines: dialled number → prompt played once before hanging up (no
    /// screen-pop, no queue).
    pub announcements: BTreeMap<String, String>,
}

/// The handles the hotline drives.
pub struct Handles {
    /// SIP call control.
    pub ua: UaHandle,
    /// SIP events (the hotline is their only reader).
    pub ua_events: mpsc::Receiver<UaEvent>,
    /// RTP sessions.
    pub media: MediaHandle,
    /// The database.
    pub store: Store,
    /// The consoles.
    pub desk: DeskHandle,
    /// Console commands.
    pub desk_commands: mpsc::Receiver<DeskCommand>,
}

//! How handles and the pacing thread talk: the state they share ([`Shared`]: the bounded
//! command channel, random port allocation, counters) and the [`Command`]s.

use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicU64, AtomicUsize};
use std::sync::mpsc::{SyncSender, TrySendError};
use std::sync::Mutex;

use tokio::sync::{mpsc as tmpsc, oneshot};

use crate::config::MediaConfig;
use crate::ports::PortPairs;
use crate::record::Recorder;
use crate::rtp::SessionStats;
use crate::session::{Closed, MediaError, MediaEvent, PlayItem, SessionParams};

pub(crate) struct Shared {
    pub(crate) config: MediaConfig,
    pub(crate) cmd_tx: SyncSender<Command>,
    pub(crate) next_id: AtomicU64,
    pub(crate) port_rng: Mutex<rand::rngs::StdRng>,
    pub(crate) open: AtomicUsize,
    pub(crate) inbound_dropped: AtomicU64,
    pub(crate) ticks_skipped: AtomicU64,
}

impl Shared {
    pub(crate) fn send(&self, cmd: Command) -> Result<(), MediaError> {
        self.cmd_tx.try_send(cmd).map_err(|e| match e {
            TrySendError::Full(_) => MediaError::Busy,
            TrySendError::Disconnected(_) => MediaError::Stopped,
        })
    }

    pub(crate) fn bind_pair(&self) -> Result<(UdpSocket, UdpSocket), MediaError> {
        let pairs = PortPairs::new(self.config.port_range);
        let order = {
            // A poisoned lock only means another open panicked; the generator is fine.
            let mut rng = self.port_rng.lock().unwrap_or_else(|p| p.into_inner());
            pairs.shuffled(&mut *rng)
        };
        for port in order {
            let Ok(rtp) = UdpSocket::bind((self.config.bind_ip, port)) else {
                continue;
            };
            let Ok(rtcp) = UdpSocket::bind((self.config.bind_ip, port + 1)) else {
                continue;
            };
            return Ok((rtp, rtcp));
        }
        let (first, last) = self.config.port_range;
        Err(MediaError::NoPort { first, last })
    }
}

pub(crate) struct NewSession {
    pub(crate) id: u64,
    pub(crate) params: SessionParams,
    pub(crate) rtp: UdpSocket,
    pub(crate) rtcp: UdpSocket,
    pub(crate) events: tmpsc::Sender<MediaEvent>,
}

pub(crate) enum Command {
    Open(Box<NewSession>),
    Sending {
        id: u64,
        sending: bool,
    },
    SetRemote {
        id: u64,
        addr: SocketAddr,
    },
    SetFormat {
        id: u64,
        codec: crate::g711::Codec,
        telephone_event_pt: Option<u8>,
    },
    Play {
        id: u64,
        items: Vec<PlayItem>,
        tag: Option<u64>,
    },
    Record {
        id: u64,
        recorder: Box<Recorder>,
    },
    StopRecording {
        id: u64,
    },
    Bridge {
        a: u64,
        b: u64,
    },
    Unbridge {
        id: u64,
    },
    Monitor {
        id: u64,
        caller: u64,
        operator: u64,
        whisper: bool,
    },
    Stats {
        id: u64,
        reply: oneshot::Sender<SessionStats>,
    },
    Close {
        id: u64,
        reply: Option<oneshot::Sender<Closed>>,
    },
    Shutdown,
}

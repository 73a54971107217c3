//! How handles and the pacing thread talk: the state they share ([`Shared`]: the bounded
//! command channel, random port allocation, counters) and the [`Command`]s.

use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{SyncSender, TrySendError};
use std::sync::{Arc, Mutex};

use tokio::sync::{mpsc as tmpsc, oneshot};

use crate::config::MediaConfig;
use crate::liveness::Heartbeat;
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
    /// The pacing thread's heartbeat (`liveness`).
    pub(crate) heartbeat: Arc<Heartbeat>,
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
        let open = || self.open.load(Ordering::Relaxed);
        for port in order {
            // A port in use is skipped; running out of descriptors is said as such, not
            // blamed on the port range (issue 10, point 6).
            let rtp = match UdpSocket::bind((self.config.bind_ip, port)) {
                Ok(s) => s,
                Err(e) if out_of_descriptors(&e) => {
                    return Err(MediaError::NoDescriptors { open: open() })
                }
                Err(_) => continue,
            };
            match UdpSocket::bind((self.config.bind_ip, port + 1)) {
                Ok(rtcp) => return Ok((rtp, rtcp)),
                Err(e) if out_of_descriptors(&e) => {
                    return Err(MediaError::NoDescriptors { open: open() })
                }
                Err(_) => continue,
            }
        }
        let (first, last) = self.config.port_range;
        Err(MediaError::NoPort {
            first,
            last,
            open: open(),
        })
    }
}

/// `EMFILE` (this process's open-files limit) or `ENFILE` (the system's).
fn out_of_descriptors(e: &std::io::Error) -> bool {
    matches!(e.raw_os_error(), Some(libc::EMFILE) | Some(libc::ENFILE))
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

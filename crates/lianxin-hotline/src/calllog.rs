//! The call log, written by a thread of its own.
//!
//! Every call is logged when it arrives, updated when an operator answers, closed when it
//! ends, and may leave a voice message. Those are SQLite writes that wait for the disk
//! (a commit is a sync), and the hotline's event loop must never wait for the disk: a
//! 2 ms sync per write at 200 calls a second would delay every later INVITE and its
//! screen-pop. So the driver sends [`Entry`]s down a bounded channel and this thread
//! writes them in order, everything that queued up meanwhile in one transaction (one sync
//! for a whole batch, so the log keeps up with hundreds of calls a second). It also owns the mapping from the driver's call keys to call-log
//! row ids, so the driver never needs an id back.
//!
//! A voice message becomes known to the consoles (`voicemail.new`) only once it is stored,
//! so this thread publishes that event itself.

use std::collections::HashMap;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};

use lianxin_desk::{DeskEvent, DeskHandle};
use lianxin_store::{CallLogBatch, CallUpdate, NewCall, NewVoiceMessage, Store};

use crate::acd::CallKey;

/// One write for the call log.
#[derive(Debug)]
pub(crate) enum Entry {
    /// A call arrived.
    Arrived(CallKey, NewCall),
    /// Something about the call changed (answered, ended, figures).
    Update(CallKey, CallUpdate),
    /// The caller left a voice message; `call_id` is the console's id of the call.
    VoiceMessage {
        key: CallKey,
        message: NewVoiceMessage,
        call_id: String,
    },
    /// The call is over; no more entries will come for it.
    Done(CallKey),
}

/// The driver's end of the call log.
#[derive(Debug, Clone)]
pub(crate) struct CallLog {
    tx: SyncSender<Entry>,
}

/// Entries waiting before the driver would have to wait too (minutes of calls at 200/s).
const QUEUE: usize = 65_536;

impl CallLog {
    /// Starts the writer thread.
    pub(crate) fn start(store: Store, desk: DeskHandle) -> std::io::Result<CallLog> {
        let (tx, rx) = sync_channel(QUEUE);
        std::thread::Builder::new()
            .name("lianxin-calllog".into())
            .spawn(move || write_all(rx, store, desk))?;
        Ok(CallLog { tx })
    }

    /// Queues a write. Only when the disk is minutes behind does this wait.
    pub(crate) fn write(&self, entry: Entry) {
        match self.tx.try_send(entry) {
            Ok(()) => {}
            Err(TrySendError::Full(entry)) => {
                tracing::warn!("call log is behind the calls (slow disk?); waiting for it");
                let _ = self.tx.send(entry);
            }
            Err(TrySendError::Disconnected(_)) => {
                tracing::error!("call log writer has stopped; call not logged");
            }
        }
    }
}

/// Most entries written in one transaction.
const BATCH: usize = 512;

fn write_all(rx: Receiver<Entry>, store: Store, desk: DeskHandle) {
    let mut ids: HashMap<CallKey, i64> = HashMap::new();
    let mut batch = Vec::with_capacity(BATCH);
    while let Ok(first) = rx.recv() {
        batch.push(first);
        while batch.len() < BATCH {
            match rx.try_recv() {
                Ok(e) => batch.push(e),
                Err(_) => break,
            }
        }
        // One transaction (one disk sync) for everything that queued up meanwhile. A bad
        // entry is logged and skipped; it does not undo the others.
        let mut stored = Vec::new();
        let written = store.call_log_batch(|b| {
            for entry in batch.drain(..) {
                apply(b, &mut ids, entry, &mut stored);
            }
            Ok(())
        });
        match written {
            Ok(()) => {
                for (key, id, message, call_id) in stored {
                    tracing::info!(
                        call = key,
                        voice_message = id,
                        secs = message.duration_ms / 1000,
                        "voice message saved"
                    );
                    desk.publish(DeskEvent::VoicemailNew(lianxin_desk::VoiceMessage {
                        id,
                        call_id: Some(call_id),
                        caller_raw: Some(message.caller_raw.clone()),
                        household_id: message.household_id,
                        household_label: None,
                        received_at: message.created,
                        duration_s: (message.duration_ms / 1000) as u32,
                        handled: false,
                    }));
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "call log write failed; these calls are not logged")
            }
        }
    }
}

type Stored = (CallKey, i64, NewVoiceMessage, String);

fn apply(
    b: &CallLogBatch<'_>,
    ids: &mut HashMap<CallKey, i64>,
    entry: Entry,
    stored: &mut Vec<Stored>,
) {
    match entry {
        Entry::Arrived(key, call) => match b.insert_call(&call) {
            Ok(id) => {
                ids.insert(key, id);
            }
            Err(e) => tracing::error!(call = key, error = %e, "call log insert failed"),
        },
        Entry::Update(key, up) => {
            if let Some(id) = ids.get(&key) {
                if let Err(e) = b.update_call(*id, &up) {
                    tracing::error!(call = key, error = %e, "call log update failed");
                }
            }
        }
        Entry::VoiceMessage {
            key,
            mut message,
            call_id,
        } => {
            message.call_id = ids.get(&key).copied();
            match b.insert_voice_message(&message) {
                Ok(id) => stored.push((key, id, message, call_id)),
                Err(e) => tracing::error!(call = key, error = %e, "voice message not saved"),
            }
        }
        Entry::Done(key) => {
            ids.remove(&key);
        }
    }
}

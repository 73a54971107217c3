//! The hotline driver's state: what the one hotline task owns.
//!
//! The behaviour is spread over one module per concern, each adding methods to
//! [`Driver`]: `event_loop` (inputs in, one `now` each), `inbound` (a new INVITE: pop,
//! answer), `flow_commands` (what a caller's flow asks for), `offers` (ringing operators'
//! phones), `supervision`, `recording` (voice messages and conversations) and `teardown`.
//! This module holds only the state and the few helpers they share.

use std::collections::HashMap;
use std::sync::Arc;

use lianxin_desk::DeskHandle;
use lianxin_leg::LegContext;
use lianxin_media::{MediaEvent, PlayItem};
use lianxin_store::Store;
use lianxin_ua::{CallEvent, CallHandle};
use tokio::sync::mpsc;

use crate::acd::{Acd, CallKey};
use crate::calllog::CallLog;
use crate::config::HotlineConfig;
use crate::flow::FlowConfig;
use crate::legs::Legs;
use crate::operators::Operators;
use crate::work::Done;

/// The loop's own input channels, for tasks that feed it.
pub(crate) struct Inputs {
    /// Media events of every leg, tagged with their session id.
    pub(crate) media: mpsc::Sender<(u64, MediaEvent)>,
    /// Results of work done off the loop.
    pub(crate) done: mpsc::Sender<Done>,
    /// Operator legs' own SIP events (each placed call reports to its placer).
    pub(crate) calls: mpsc::Sender<(CallHandle, CallEvent)>,
}

/// Everything the hotline task owns.
pub(crate) struct Driver {
    pub(crate) config: HotlineConfig,
    pub(crate) flow_config: Arc<FlowConfig>,
    /// Flows of the information lines, by dialled number.
    pub(crate) announcements: HashMap<String, Arc<FlowConfig>>,
    pub(crate) ctx: LegContext,
    pub(crate) store: Store,
    pub(crate) desk: DeskHandle,
    pub(crate) acd: Acd,
    pub(crate) legs: Legs,
    pub(crate) operators: Operators,
    pub(crate) log: CallLog,
    /// Media events of every leg, tagged with their session id.
    pub(crate) media_tx: mpsc::Sender<(u64, MediaEvent)>,
    /// Results of work done off the loop.
    pub(crate) done_tx: mpsc::Sender<Done>,
    /// Operator legs' own SIP events, tagged with their call handle.
    pub(crate) call_tx: mpsc::Sender<(CallHandle, CallEvent)>,
    /// INVITEs whose screen-pop lookup is running: `true` once the caller gave up.
    pub(crate) pending: HashMap<CallHandle, bool>,
    pub(crate) next_key: CallKey,
}

impl Driver {
    pub(crate) fn new(
        config: HotlineConfig,
        ctx: LegContext,
        store: Store,
        desk: DeskHandle,
        operators: Operators,
        log: CallLog,
        inputs: Inputs,
    ) -> Self {
        let announcements = config
            .announcements
            .iter()
            .map(|(number, prompt)| {
                let flow = FlowConfig {
                    greeting: prompt.clone(),
                    menu: None,
                    end_after_greeting: true,
                    ..config.flow.clone()
                };
                (number.clone(), Arc::new(flow))
            })
            .collect();
        Driver {
            flow_config: Arc::new(config.flow.clone()),
            acd: Acd::new(config.acd),
            config,
            announcements,
            ctx,
            store,
            desk,
            legs: Legs::default(),
            operators,
            log,
            media_tx: inputs.media,
            done_tx: inputs.done,
            call_tx: inputs.calls,
            pending: HashMap::new(),
            next_key: 1,
        }
    }

    /// A fresh call key.
    pub(crate) fn new_key(&mut self) -> CallKey {
        let key = self.next_key;
        self.next_key += 1;
        key
    }

    /// Sends a leg's media events to the loop, tagged with its session id.
    pub(crate) fn forward_media(&self, session: u64, events: mpsc::Receiver<MediaEvent>) {
        lianxin_leg::forward(session, events, self.media_tx.clone());
    }

    /// Sends a placed leg's own SIP events to the loop, tagged with its call handle. The
    /// forwarder holds the call's receiver, so the call lives until its final event.
    pub(crate) fn forward_calls(&self, call: CallHandle, events: mpsc::Receiver<CallEvent>) {
        lianxin_leg::forward(call, events, self.call_tx.clone());
    }

    /// Runs blocking work (SQLite, files) off the loop; its result comes back as an input.
    pub(crate) fn off_loop<F>(&self, work: F)
    where
        F: FnOnce() -> Done + Send + 'static,
    {
        let done = self.done_tx.clone();
        tokio::spawn(async move {
            match tokio::task::spawn_blocking(work).await {
                Ok(result) => {
                    let _ = done.send(result).await;
                }
                Err(e) => tracing::error!(error = %e, "hotline background work failed"),
            }
        });
    }

    /// The play list for prompt names (missing prompts are logged and skipped).
    pub(crate) fn play_items(&self, names: &[String], loop_last: bool) -> Vec<PlayItem> {
        let mut items = Vec::with_capacity(names.len());
        for (i, name) in names.iter().enumerate() {
            match self.ctx.media.prompt(name) {
                Ok(p) if loop_last && i + 1 == names.len() => items.push(PlayItem::Loop(p)),
                Ok(p) => items.push(PlayItem::Prompt(p)),
                Err(e) => tracing::error!(prompt = %name, error = %e, "prompt missing; skipped"),
            }
        }
        items
    }
}

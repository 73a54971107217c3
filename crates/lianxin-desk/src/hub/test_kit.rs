//! What the hub's tests share: a staff member, a hub with roomy limits, and the frames a
//! console's queue holds.

use std::sync::Arc;

use lianxin_store::Role;
use serde_json::Value;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::{Frame, Hub, HubConfig};
use crate::directory::Staff;
use crate::event::OperatorState;

/// Staff member `id` (`u{id}`, 员工{id}, extension `80{id}`).
pub(super) fn staff(id: i64, role: Role) -> Arc<Staff> {
    Arc::new(Staff {
        id,
        username: format!("u{id}"),
        display_name: format!("员工{id}"),
        role,
        extension: Some(format!("80{id}")),
    })
}

/// A hub whose consoles queue `queue` frames; 100 consoles, calls and consoles per staff.
pub(super) fn hub(queue: usize) -> Hub {
    Hub::new(
        HubConfig {
            queue,
            max_consoles: 100,
            max_consoles_per_staff: 100,
            max_live_calls: 100,
            initial_state: OperatorState::Available,
        },
        CancellationToken::new(),
    )
}

/// Every frame queued for a console, as JSON.
pub(super) fn drain(rx: &mut mpsc::Receiver<Frame>) -> Vec<Value> {
    let mut out = Vec::new();
    while let Ok(f) = rx.try_recv() {
        out.push(serde_json::from_str(f.text.as_str()).unwrap());
    }
    out
}

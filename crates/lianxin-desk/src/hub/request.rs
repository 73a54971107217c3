//! The hub's share of requests: `request.created`, `request.updated` and
//! `request.alarm` frames, each encoded once and queued for the consoles of the
//! request's responsible person and block captain and of supervisors and admins
//! (`request_access::receives`), and after an assign of whoever had it before. Like every fan-out it never waits.

use lianxin_store::{Alarm, RequestRecord};

use crate::protocol::Outgoing;

use super::{Audience, Frame, Hub};

impl Hub {
    /// A request was recorded.
    pub(crate) fn request_created(&self, request: &RequestRecord) {
        self.publish_request(request, None, Outgoing::RequestCreated { request });
    }

    /// A request changed (`change`: the action, e.g. `resolve`), by `by`; `previous` is
    /// who was responsible before, when the change moved it away from them (an assign),
    /// so their console drops it.
    pub(crate) fn request_updated(
        &self,
        request: &RequestRecord,
        change: &str,
        by: Option<i64>,
        previous: Option<i64>,
    ) {
        self.publish_request(
            request,
            previous,
            Outgoing::RequestUpdated {
                request,
                change,
                by,
            },
        );
    }

    /// A request's alarm colour changed from `previous`.
    pub(crate) fn request_alarm(&self, request: &RequestRecord, previous: Alarm) {
        self.publish_request(
            request,
            None,
            Outgoing::RequestAlarm {
                id: request.id,
                alarm: request.alarm,
                previous,
                request,
            },
        );
    }

    fn publish_request(&self, request: &RequestRecord, previous: Option<i64>, frame: Outgoing<'_>) {
        self.counters
            .published
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let text = frame.encode();
        let mut st = self.lock();
        self.deliver(
            &mut st,
            Audience::Request {
                responsible: request.responsible_staff_id,
                captain: request.captain_staff_id,
                previous: previous.filter(|p| Some(*p) != request.responsible_staff_id),
            },
            Frame {
                text: text.into(),
                t0: None,
            },
        );
    }
}

//! The legs table: every live hotline call and the legs hanging off it, in ONE place.
//!
//! A call is the resident's leg plus, at times, one operator's phone being offered or
//! talking, and any supervisors listening in. SIP events arrive by call handle and media
//! events by session id, so the table keeps two indexes beside the calls; every insert and
//! removal goes through [`Legs`], which keeps the indexes true (a leg is routable exactly
//! while it is in the table). Taking a leg out of the table hands it to the caller, who
//! closes it ([`Leg::close`]): the types make "closed once" hold.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Utc};
use lianxin_leg::Leg;
use lianxin_ua::CallHandle;

use crate::acd::{CallKey, OperatorId};
use crate::flow::{CallFlow, FlowConfig};

/// Which leg of a call an event is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// The resident's leg.
    Caller,
    /// The operator's phone.
    Operator,
    /// A supervisor listening to (or whispering into) the call.
    Supervisor,
}

/// One live hotline call.
pub(crate) struct Call {
    pub(crate) caller: Leg,
    /// Who called, and when.
    pub(crate) about: Caller,
    pub(crate) flow: CallFlow,
    pub(crate) operator: Option<OperatorLeg>,
    pub(crate) supervisors: Vec<SupervisorLeg>,
    pub(crate) voicemail: Recording,
}

impl Call {
    /// A call whose caller leg is open (not yet answered).
    pub(crate) fn new(caller: Leg, about: Caller, flow: Arc<FlowConfig>) -> Call {
        Call {
            caller,
            about,
            flow: CallFlow::new(flow),
            operator: None,
            supervisors: Vec::new(),
            voicemail: Recording::None,
        }
    }
}

/// What is known about a caller before the call is in the table.
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    /// The consoles' id of the call.
    pub(crate) call_id: String,
    pub(crate) number_dialled: String,
    pub(crate) caller_raw: String,
    pub(crate) normalized: Option<String>,
    pub(crate) household_id: Option<i64>,
    pub(crate) arrived: DateTime<Utc>,
}

/// The voice message of a call, which is made off the event loop before it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Recording {
    /// None asked for.
    None,
    /// The file is being created; `stop` when the flow already asked to stop.
    Starting { stop: bool },
    /// Recording into `path` since `started`.
    Running {
        path: PathBuf,
        started: DateTime<Utc>,
    },
}

/// An operator's phone offered the call, or talking.
pub(crate) struct OperatorLeg {
    pub(crate) staff_id: OperatorId,
    pub(crate) leg: Leg,
    pub(crate) connected: bool,
}

/// A supervisor's phone joined to the call.
pub(crate) struct SupervisorLeg {
    pub(crate) leg: Leg,
}

/// Every live call and the routes to its legs (see the module docs).
#[derive(Default)]
pub(crate) struct Legs {
    calls: HashMap<CallKey, Call>,
    by_handle: HashMap<CallHandle, (CallKey, Role)>,
    by_session: HashMap<u64, (CallKey, Role)>,
}

impl Legs {
    /// Adds a call (its caller leg becomes routable).
    pub(crate) fn insert(&mut self, key: CallKey, call: Call) {
        self.index(
            key,
            Role::Caller,
            call.caller.handle(),
            call.caller.session_id(),
        );
        self.calls.insert(key, call);
    }

    /// Takes a call out with every leg it holds; none of them is routable any more. The
    /// caller closes them.
    pub(crate) fn remove(&mut self, key: CallKey) -> Option<Call> {
        let call = self.calls.remove(&key)?;
        self.unindex(&call.caller);
        if let Some(op) = &call.operator {
            self.unindex(&op.leg);
        }
        for s in &call.supervisors {
            self.unindex(&s.leg);
        }
        Some(call)
    }

    pub(crate) fn get(&self, key: CallKey) -> Option<&Call> {
        self.calls.get(&key)
    }

    pub(crate) fn get_mut(&mut self, key: CallKey) -> Option<&mut Call> {
        self.calls.get_mut(&key)
    }

    pub(crate) fn keys(&self) -> Vec<CallKey> {
        self.calls.keys().copied().collect()
    }

    /// The call and leg a SIP event is for.
    pub(crate) fn by_handle(&self, handle: CallHandle) -> Option<(CallKey, Role)> {
        self.by_handle.get(&handle).copied()
    }

    /// The call and leg a media event is for.
    pub(crate) fn by_session(&self, session: u64) -> Option<(CallKey, Role)> {
        self.by_session.get(&session).copied()
    }

    /// The leg with this SIP handle.
    pub(crate) fn leg_mut(&mut self, handle: CallHandle) -> Option<&mut Leg> {
        let (key, role) = self.by_handle(handle)?;
        let call = self.calls.get_mut(&key)?;
        match role {
            Role::Caller => Some(&mut call.caller),
            Role::Operator => call.operator.as_mut().map(|o| &mut o.leg),
            Role::Supervisor => call
                .supervisors
                .iter_mut()
                .map(|s| &mut s.leg)
                .find(|l| l.handle() == handle),
        }
    }

    /// Gives the call its operator leg; hands the leg back (to be closed) when the call is
    /// gone or already has one.
    pub(crate) fn set_operator(&mut self, key: CallKey, op: OperatorLeg) -> Option<OperatorLeg> {
        match self.calls.get_mut(&key) {
            Some(call) if call.operator.is_none() => {
                let (handle, session) = (op.leg.handle(), op.leg.session_id());
                call.operator = Some(op);
                self.index(key, Role::Operator, handle, session);
                None
            }
            _ => Some(op),
        }
    }

    /// Takes the call's operator leg out (no longer routable).
    pub(crate) fn take_operator(&mut self, key: CallKey) -> Option<OperatorLeg> {
        let op = self.calls.get_mut(&key)?.operator.take()?;
        self.unindex(&op.leg);
        Some(op)
    }

    /// Joins a supervisor's leg to the call; hands the leg back (to be closed) when the
    /// call is gone.
    pub(crate) fn add_supervisor(
        &mut self,
        key: CallKey,
        sup: SupervisorLeg,
    ) -> Option<SupervisorLeg> {
        let Some(call) = self.calls.get_mut(&key) else {
            return Some(sup);
        };
        let (handle, session) = (sup.leg.handle(), sup.leg.session_id());
        call.supervisors.push(sup);
        self.index(key, Role::Supervisor, handle, session);
        None
    }

    /// Takes one supervisor's leg out.
    pub(crate) fn take_supervisor(&mut self, handle: CallHandle) -> Option<SupervisorLeg> {
        let (key, _) = self.by_handle(handle)?;
        let sups = &mut self.calls.get_mut(&key)?.supervisors;
        let at = sups.iter().position(|s| s.leg.handle() == handle)?;
        let sup = sups.swap_remove(at);
        self.unindex(&sup.leg);
        Some(sup)
    }

    /// Takes every supervisor leg of a call out.
    pub(crate) fn take_supervisors(&mut self, key: CallKey) -> Vec<SupervisorLeg> {
        let Some(call) = self.calls.get_mut(&key) else {
            return Vec::new();
        };
        let sups = std::mem::take(&mut call.supervisors);
        for s in &sups {
            self.unindex(&s.leg);
        }
        sups
    }

    /// The operator legs that are live: (operator, call, connected), for the queue's
    /// periodic re-check.
    pub(crate) fn operator_legs(&self) -> Vec<(OperatorId, CallKey, bool)> {
        self.calls
            .iter()
            .filter_map(|(k, c)| c.operator.as_ref().map(|o| (o.staff_id, *k, o.connected)))
            .collect()
    }

    /// The call an operator is talking on.
    pub(crate) fn talking_with(&self, operator: OperatorId) -> Option<CallKey> {
        self.calls.iter().find_map(|(k, c)| {
            c.operator
                .as_ref()
                .filter(|o| o.staff_id == operator && o.connected)
                .map(|_| *k)
        })
    }

    /// The earliest deadline of any call's flow.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.calls
            .values()
            .filter_map(|c| c.flow.poll_timeout())
            .min()
    }

    /// Calls whose flow deadline has passed.
    pub(crate) fn due(&self, now: Instant) -> Vec<CallKey> {
        self.calls
            .iter()
            .filter(|(_, c)| c.flow.poll_timeout().is_some_and(|d| d <= now))
            .map(|(k, _)| *k)
            .collect()
    }

    fn index(&mut self, key: CallKey, role: Role, handle: CallHandle, session: u64) {
        self.by_handle.insert(handle, (key, role));
        self.by_session.insert(session, (key, role));
    }

    fn unindex(&mut self, leg: &Leg) {
        self.by_handle.remove(&leg.handle());
        self.by_session.remove(&leg.session_id());
    }
}

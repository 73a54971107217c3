//! Supervisors joining a live conversation from their phone.
//!
//! A supervisor dials a [`SupervisionCode`](crate::supervision_code::SupervisionCode)
//! (`55`/`56` + the operator's extension). The dialler is checked against the staff list
//! (off the loop: it is a SQLite read) and against the registered phones of that
//! supervisor; then their leg is answered and joined to the operator's live call: they
//! hear both sides mixed, and with a whisper code the operator also hears them (the
//! caller never does).

use lianxin_leg::Leg;
use lianxin_store::pii::Redacted;
use lianxin_store::Role as StaffRole;
use lianxin_ua::IncomingCall;

use crate::acd::{CallKey, OperatorId};
use crate::driver::Driver;
use crate::legs::SupervisorLeg;
use crate::now::Now;
use crate::work::{Done, SupervisorFound};

impl Driver {
    /// A supervision code was dialled: find out who dialled it, off the loop.
    pub(crate) fn on_supervise(&mut self, ic: IncomingCall, operator: OperatorId, whisper: bool) {
        let store = self.store.clone();
        self.off_loop(move || {
            let user = ic.from.user.clone().unwrap_or_default();
            let supervisor = store.staff_list().ok().and_then(|l| {
                l.into_iter().find(|s| {
                    s.role == StaffRole::Supervisor
                        && (s.username == user || s.extension.as_deref() == Some(user.as_str()))
                })
            });
            Done::SupervisorFound(Box::new(SupervisorFound {
                ic,
                operator,
                whisper,
                supervisor,
            }))
        });
    }

    /// Checks that the code came from a supervisor's registered phone, finds the
    /// operator's live conversation and joins it silently.
    pub(crate) async fn on_supervisor_found(&mut self, now: Now, found: SupervisorFound) {
        let SupervisorFound {
            ic,
            operator,
            whisper,
            supervisor,
        } = found;
        let refuse = |code| lianxin_leg::refuse(&self.ctx.ua, ic.call, code);
        let user = ic.from.user.clone().unwrap_or_default();
        let Some(supervisor) = supervisor else {
            tracing::warn!(user = %Redacted(&user), source = %ic.source, "supervision code dialled by someone who is not a supervisor; 403");
            refuse(403);
            return;
        };
        // Phones register under the login name or the extension.
        let mut contacts = self
            .ctx
            .ua
            .contacts(&supervisor.username)
            .await
            .unwrap_or_default();
        if let Some(ext) = &supervisor.extension {
            contacts.extend(self.ctx.ua.contacts(ext).await.unwrap_or_default());
        }
        if !contacts.iter().any(|c| c.source == ic.source) {
            tracing::warn!(user = %Redacted(&user), source = %ic.source, ?contacts, "supervision code from an address that is not the supervisor's registered phone; 403");
            refuse(403);
            return;
        }
        let Some(key) = self.legs.talking_with(operator) else {
            tracing::info!(operator, "supervision: the operator is not on a call; 480");
            refuse(480);
            return;
        };
        // A supervisor's phone must offer (no late offer here).
        if ic.sdp.is_none() {
            refuse(488);
            return;
        }
        let session_id = key.wrapping_mul(15485863) + 5;
        let opened =
            match Leg::incoming(&self.ctx, ic.call, ic.sdp.as_deref(), session_id, now.mono) {
                Ok(o) => o,
                Err(e) => {
                    let code = e.status_code();
                    tracing::info!(error = %e, code, "cannot join the supervisor's phone; refused");
                    refuse(code);
                    return;
                }
            };
        let leg = opened.leg;
        if let Some(c) = self.legs.get(key) {
            if let Some(op) = &c.operator {
                if let Err(e) = leg
                    .media()
                    .monitor(c.caller.media(), op.leg.media(), whisper)
                {
                    tracing::error!(error = %e, "cannot join the supervisor to the call");
                }
            }
        }
        self.forward_media(leg.session_id(), opened.media_events);
        leg.answer(false);
        if let Some(sup) = self.legs.add_supervisor(key, SupervisorLeg { leg }) {
            drop(sup.leg.close(now.mono));
            return;
        }
        tracing::info!(
            call = key,
            operator,
            supervisor = supervisor.id,
            whisper,
            "supervisor joined the call"
        );
    }

    /// Hangs up every supervisor of a call (the conversation they listened to ended).
    pub(crate) fn drop_supervisors(&mut self, now: Now, key: CallKey) {
        for sup in self.legs.take_supervisors(key) {
            drop(sup.leg.close(now.mono));
        }
    }
}

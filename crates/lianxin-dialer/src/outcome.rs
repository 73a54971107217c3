//! What the far end's answer means for one attempt.
//!
//! The rules (issue 9) in one place:
//! - **Only a 200 OK is an answer.** A 183 with early media — a carrier announcement such
//!   as "the number you dialled is switched off" — is progress, never an answer.
//! - Answered: **heard** when the notice played to the end, **hung up early** otherwise
//!   (with the seconds heard).
//! - Not answered: **no answer** when the dialer cancelled at the ring timeout (whatever
//!   final response follows the CANCEL), **busy** (486, 600), **declined** (603),
//!   **invalid number** (404, 484), **failed** (any other code, kept with its reason).
//! - **Interrupted** when the server stopped, **cancelled** when staff cancelled.
//!
//! And what comes next ([`next_step`]): someone answered, declined, or the campaign was
//! cancelled — the household is done; an invalid number is dropped from its list; no
//! answer, busy, failed and interrupted are tried again while retries remain.

pub use lianxin_store::Outcome;

/// Why the dialer itself ended an unanswered call, if it did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cancelled {
    /// The ring timeout passed.
    RingTimeout,
    /// Staff cancelled the campaign.
    Campaign,
    /// The server is stopping.
    Stopping,
}

/// The outcome of a call that ended with a final non-2xx response `code` (or none at
/// all, `None`: a transport failure), given whether the dialer had cancelled it.
pub fn rejected(code: Option<u16>, cancelled: Option<Cancelled>) -> Outcome {
    match cancelled {
        Some(Cancelled::RingTimeout) => return Outcome::NoAnswer,
        Some(Cancelled::Campaign) => return Outcome::Cancelled,
        Some(Cancelled::Stopping) => return Outcome::Interrupted,
        None => {}
    }
    match code {
        Some(486) | Some(600) => Outcome::Busy,
        Some(603) => Outcome::Declined,
        Some(404) | Some(484) => Outcome::InvalidNumber,
        _ => Outcome::Failed,
    }
}

/// The outcome of an answered call: heard if the notice played to the end.
pub fn answered(heard_to_end: bool) -> Outcome {
    if heard_to_end {
        Outcome::Heard
    } else {
        Outcome::HungUpEarly
    }
}

/// What an attempt's outcome means for the household.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextStep {
    /// The household is done with this outcome.
    Done,
    /// Drop this number and go on with the others.
    DropNumber,
    /// Try again (the next number, or the next round after the pause).
    TryAgain,
}

/// What `outcome` means for the household.
pub fn next_step(outcome: Outcome) -> NextStep {
    match outcome {
        Outcome::Heard
        | Outcome::HungUpEarly
        | Outcome::Declined
        | Outcome::Cancelled
        | Outcome::OptedOut
        | Outcome::NoNumber => NextStep::Done,
        Outcome::InvalidNumber => NextStep::DropNumber,
        Outcome::NoAnswer | Outcome::Busy | Outcome::Failed | Outcome::Interrupted => {
            NextStep::TryAgain
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_to_outcomes() {
        let cases = [
            (486, Outcome::Busy),
            (600, Outcome::Busy),
            (603, Outcome::Declined),
            (404, Outcome::InvalidNumber),
            (484, Outcome::InvalidNumber),
            (480, Outcome::Failed),
            (503, Outcome::Failed),
            (408, Outcome::Failed),
            (487, Outcome::Failed),
            (500, Outcome::Failed),
        ];
        for (code, want) in cases {
            assert_eq!(rejected(Some(code), None), want, "{code}");
        }
        assert_eq!(rejected(None, None), Outcome::Failed);
    }

    #[test]
    fn after_our_cancel_the_reason_decides() {
        // 487 Request Terminated (or a late 486, or nothing) after the ring timeout: no answer.
        for code in [Some(487), Some(486), None] {
            assert_eq!(
                rejected(code, Some(Cancelled::RingTimeout)),
                Outcome::NoAnswer
            );
            assert_eq!(
                rejected(code, Some(Cancelled::Campaign)),
                Outcome::Cancelled
            );
            assert_eq!(
                rejected(code, Some(Cancelled::Stopping)),
                Outcome::Interrupted
            );
        }
    }

    #[test]
    fn answered_calls_are_heard_or_hung_up_early() {
        assert_eq!(answered(true), Outcome::Heard);
        assert_eq!(answered(false), Outcome::HungUpEarly);
        assert!(answered(false).reached(), "someone answered: 是");
    }

    #[test]
    fn which_outcomes_are_retried() {
        assert_eq!(next_step(Outcome::Heard), NextStep::Done);
        assert_eq!(next_step(Outcome::Declined), NextStep::Done);
        assert_eq!(next_step(Outcome::InvalidNumber), NextStep::DropNumber);
        for o in [
            Outcome::NoAnswer,
            Outcome::Busy,
            Outcome::Failed,
            Outcome::Interrupted,
        ] {
            assert_eq!(next_step(o), NextStep::TryAgain, "{o:?}");
        }
    }
}

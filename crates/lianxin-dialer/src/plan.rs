//! One household's way through its numbers and retries.
//!
//! A household is called in **rounds**. A round tries its numbers in order — landlines
//! before mobiles, then others — one after the other without a pause; with the "first
//! number" strategy a round is just the first of them. When a round ends without anyone
//! answering, the next round starts after the retry pause, while retries remain
//! (`retries` = rounds after the first). An invalid number (404/484) is dropped for good.
//! An interrupted attempt (the server stopped) is retried without the pause: it was not
//! the household's doing.
//!
//! The plan is rebuilt on resume by replaying the saved outcomes through
//! [`Plan::record`], so a restarted server continues exactly where it stopped.

use crate::outcome::{next_step, NextStep, Outcome};
use lianxin_store::{NumberKind, NumberStrategy, TargetNumber};

/// What to do after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The household is done with this outcome.
    Done(Outcome),
    /// Call the next number now.
    Next,
    /// Start the next round after the retry pause.
    Retry,
    /// Start the next round now (the last attempt was interrupted).
    RetryNow,
}

/// The state of one household's calls.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    numbers: Vec<String>,
    index: usize,
    round: u32,
    retries: u32,
    last_attempt: u32,
}

impl Plan {
    /// A plan for `numbers` (as entered) with `strategy` and `retries`.
    pub fn new(numbers: &[TargetNumber], strategy: NumberStrategy, retries: u32) -> Plan {
        let mut ordered: Vec<&TargetNumber> = numbers.iter().collect();
        ordered.sort_by_key(|n| match n.kind {
            NumberKind::Landline => 0,
            NumberKind::Mobile => 1,
            NumberKind::Other => 2,
        });
        let mut list: Vec<String> = Vec::new();
        for n in ordered {
            if !list.contains(&n.number) {
                list.push(n.number.clone());
            }
        }
        if strategy == NumberStrategy::First {
            list.truncate(1);
        }
        Plan {
            numbers: list,
            index: 0,
            round: 0,
            retries,
            last_attempt: 0,
        }
    }

    /// The number to call next; `None` when there is none (no numbers, or all invalid).
    pub fn number(&self) -> Option<&str> {
        self.numbers.get(self.index).map(String::as_str)
    }

    /// The next attempt's number (1, 2, …; never one already used).
    pub fn next_attempt(&self) -> u32 {
        self.last_attempt + 1
    }

    /// Attempts made so far (the highest attempt number used).
    pub fn attempts(&self) -> u32 {
        self.last_attempt
    }

    /// Records that attempt number `attempt` started (a saved one on resume, or a new one).
    pub fn started(&mut self, attempt: u32) {
        self.last_attempt = self.last_attempt.max(attempt);
    }

    /// Records how the current attempt ended; says what comes next.
    pub fn record(&mut self, outcome: Outcome) -> Step {
        match next_step(outcome) {
            NextStep::Done => return Step::Done(outcome),
            NextStep::DropNumber => {
                if self.index < self.numbers.len() {
                    self.numbers.remove(self.index);
                }
                if self.numbers.is_empty() {
                    return Step::Done(outcome);
                }
            }
            NextStep::TryAgain => self.index += 1,
        }
        if self.index < self.numbers.len() {
            return Step::Next;
        }
        self.index = 0;
        self.round += 1;
        if self.round > self.retries {
            Step::Done(outcome)
        } else if outcome == Outcome::Interrupted {
            Step::RetryNow
        } else {
            Step::Retry
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(number: &str, kind: NumberKind) -> TargetNumber {
        TargetNumber {
            number: number.into(),
            kind,
        }
    }

    fn home() -> Vec<TargetNumber> {
        vec![
            n("13912345678", NumberKind::Mobile),
            n("01065123456", NumberKind::Landline),
            n("13800001111", NumberKind::Mobile),
        ]
    }

    #[test]
    fn first_strategy_calls_the_landline_and_retries_it() {
        let mut p = Plan::new(&home(), NumberStrategy::First, 2);
        assert_eq!(p.number(), Some("01065123456"));
        assert_eq!(p.record(Outcome::NoAnswer), Step::Retry);
        assert_eq!(p.number(), Some("01065123456"));
        assert_eq!(p.record(Outcome::Busy), Step::Retry);
        assert_eq!(
            p.record(Outcome::Failed),
            Step::Done(Outcome::Failed),
            "2 retries used"
        );
    }

    #[test]
    fn each_strategy_goes_through_the_numbers_then_pauses() {
        let mut p = Plan::new(&home(), NumberStrategy::Each, 1);
        assert_eq!(p.number(), Some("01065123456"));
        assert_eq!(p.record(Outcome::NoAnswer), Step::Next);
        assert_eq!(p.number(), Some("13912345678"));
        assert_eq!(p.record(Outcome::Busy), Step::Next);
        assert_eq!(p.number(), Some("13800001111"));
        assert_eq!(p.record(Outcome::NoAnswer), Step::Retry);
        assert_eq!(p.number(), Some("01065123456"), "round two starts over");
        assert_eq!(p.record(Outcome::NoAnswer), Step::Next);
        assert_eq!(p.record(Outcome::Heard), Step::Done(Outcome::Heard));
    }

    #[test]
    fn answer_decline_and_cancel_end_the_household() {
        for o in [
            Outcome::Heard,
            Outcome::HungUpEarly,
            Outcome::Declined,
            Outcome::Cancelled,
        ] {
            let mut p = Plan::new(&home(), NumberStrategy::Each, 3);
            assert_eq!(p.record(o), Step::Done(o));
        }
    }

    #[test]
    fn invalid_numbers_are_dropped_for_good() {
        let mut p = Plan::new(&home(), NumberStrategy::Each, 1);
        assert_eq!(p.record(Outcome::InvalidNumber), Step::Next);
        assert_eq!(p.number(), Some("13912345678"));
        assert_eq!(p.record(Outcome::NoAnswer), Step::Next);
        assert_eq!(p.record(Outcome::InvalidNumber), Step::Retry);
        assert_eq!(p.number(), Some("13912345678"), "only the good one is left");
        assert_eq!(
            p.record(Outcome::InvalidNumber),
            Step::Done(Outcome::InvalidNumber)
        );
        assert_eq!(p.number(), None);
    }

    #[test]
    fn an_interrupted_attempt_is_retried_at_once_while_retries_remain() {
        let mut p = Plan::new(&home(), NumberStrategy::First, 1);
        assert_eq!(p.record(Outcome::Interrupted), Step::RetryNow);
        assert_eq!(
            p.record(Outcome::Interrupted),
            Step::Done(Outcome::Interrupted)
        );
    }

    #[test]
    fn attempt_numbers_never_repeat() {
        let mut p = Plan::new(&home(), NumberStrategy::First, 3);
        assert_eq!(p.next_attempt(), 1);
        p.started(1);
        p.started(3); // a saved attempt 3 (its row exists): the next one is 4
        assert_eq!(p.next_attempt(), 4);
        p.started(2); // an older one read late changes nothing
        assert_eq!((p.next_attempt(), p.attempts()), (4, 3));
    }

    #[test]
    fn duplicate_numbers_are_called_once_and_no_numbers_means_none() {
        let twice = vec![
            n("01065123456", NumberKind::Landline),
            n("01065123456", NumberKind::Landline),
        ];
        let mut p = Plan::new(&twice, NumberStrategy::Each, 0);
        assert_eq!(p.record(Outcome::NoAnswer), Step::Done(Outcome::NoAnswer));
        assert_eq!(Plan::new(&[], NumberStrategy::Each, 2).number(), None);
    }
}

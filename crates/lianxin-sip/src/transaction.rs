//! The four RFC 3261 §17 transaction machines.
//!
//! Each machine takes `now` and messages, and gives back bytes to (re)send, its next
//! deadline (from its [`crate::timer::TimerTable`]) and [`TxEvent`]s for its owner (the
//! endpoint). Retransmission goes on whether or not anybody waits for the result.

//! lianxin-store: placeholder until its issue lands (see ARCHITECTURE.md).
#![deny(missing_docs)]
#![warn(unreachable_pub)]

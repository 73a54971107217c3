//! The wire layer: bytes in, typed SIP heads out (and back).
//!
//! Why it exists: `rsip` 0.4 ignores Content-Length, fails on folded lines, on compact
//! header names, on whitespace before a colon, on `tel:` URIs and on IPv6 Via hosts, and
//! returns only the first of comma-joined Via values (see STYLE.md). So this module frames
//! messages itself ([`Framer`] for TCP streams, [`parse`] for one UDP datagram), unfolds
//! continuation lines, expands compact names, splits comma lists (Via, Contact, Route,
//! Record-Route), trims values and parses the few headers the core needs into types. The
//! rest of the crate sees only [`Request`] / [`Response`]; `rsip` stays behind this module
//! ([`Request::to_rsip`] hands the normalized text to rsip for callers that want its types).
//!
//! It also computes, once per message, the RFC 3261 §17.2.3 [`TransactionKey`] and the
//! role-aware [`DialogId`].
//!
//! What it is not: it knows nothing about transactions, dialogs or time.

//!
//! # Layout
//! - `error`: [`WireError`]; `transport`: [`Transport`]; `method`: [`Method`].
//! - `params`, `uri`, `name_addr`, `headers`: the grammars of one value ([`Param`],
//!   [`Uri`], [`NameAddr`], [`Via`], [`CSeq`], [`Header`], [`canonical_name`]).
//! - `message`: [`Head`], [`Request`], [`Response`], [`Message`] and serialization.
//! - `keys`: [`TransactionKey`] and [`DialogId`].
//! - `framer`: [`Framer`] and the size limits; `parser`: [`parse`]; `bad_request`:
//!   [`bad_request`].

mod bad_request;
mod error;
mod framer;
mod headers;
mod keys;
mod message;
mod method;
mod name_addr;
mod params;
mod parser;
mod transport;
mod uri;

pub use bad_request::bad_request;
pub use error::WireError;
pub use framer::{Framer, MAX_BODY, MAX_HEAD};
pub use headers::{canonical_name, CSeq, Header, Via};
pub use keys::{DialogId, TransactionKey, MAGIC_COOKIE};
pub use message::{Head, Message, Request, Response};
pub use method::Method;
pub use name_addr::NameAddr;
pub use params::Param;
pub use parser::parse;
pub use transport::Transport;
pub use uri::{Scheme, Uri};

#[cfg(test)]
mod tests;

//! A whole message: the typed [`Head`] shared by requests and responses, [`Request`],
//! [`Response`] and [`Message`], and their serialization (Content-Length computed).
//!
//! Why here: this is what the rest of the crate sees of the wire. `rsip` is reachable only
//! through [`Request::to_rsip`] / [`Response::to_rsip`], so it could be dropped without
//! touching anything else.

use super::error::WireError;
use super::headers::{canonical_name, CSeq, Header, Via};
use super::method::Method;
use super::name_addr::NameAddr;
use super::uri::Uri;
use std::fmt::Write as _;

/// The typed part of a message head shared by requests and responses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    /// Via values, top first (comma lists split).
    pub via: Vec<Via>,
    /// From.
    pub from: NameAddr,
    /// To.
    pub to: NameAddr,
    /// Call-ID.
    pub call_id: String,
    /// CSeq.
    pub cseq: CSeq,
    /// Max-Forwards, if present.
    pub max_forwards: Option<u32>,
    /// Contact values (comma lists split); empty when absent or `*`.
    pub contact: Vec<NameAddr>,
    /// True when Contact is `*` (REGISTER removal of all bindings).
    pub contact_star: bool,
    /// Route values.
    pub route: Vec<NameAddr>,
    /// Record-Route values.
    pub record_route: Vec<NameAddr>,
    /// Content-Type, if any.
    pub content_type: Option<String>,
    /// Every other header, in order, with canonical names.
    pub other: Vec<Header>,
}

impl Head {
    /// First value of an untyped header, by name (case-insensitive, compact forms expanded).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = canonical_name(name);
        self.other
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(&name))
            .map(|h| h.value.as_str())
    }

    /// All values of an untyped header.
    pub fn headers<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a str> + 'a {
        let name = canonical_name(name).into_owned();
        self.other
            .iter()
            .filter(move |h| h.name.eq_ignore_ascii_case(&name))
            .map(|h| h.value.as_str())
    }

    /// Append an untyped header.
    pub fn push(&mut self, name: &str, value: impl Into<String>) {
        self.other.push(Header::new(name, value));
    }

    /// Remove every untyped header with that name.
    pub fn remove(&mut self, name: &str) {
        self.other.retain(|h| !h.name.eq_ignore_ascii_case(name));
    }

    /// The top Via.
    pub fn top_via(&self) -> Option<&Via> {
        self.via.first()
    }

    /// The whole message: `start_line` (without CRLF), this head, and `body`.
    fn serialize(&self, start_line: std::fmt::Arguments<'_>, body: &[u8]) -> Vec<u8> {
        let mut s = String::with_capacity(512 + body.len());
        let _ = write!(s, "{start_line}\r\n");
        self.write(&mut s, body.len());
        let mut b = s.into_bytes();
        b.extend_from_slice(body);
        b
    }

    fn write(&self, out: &mut String, body_len: usize) {
        for v in &self.via {
            let _ = write!(out, "Via: {v}\r\n");
        }
        if let Some(m) = self.max_forwards {
            let _ = write!(out, "Max-Forwards: {m}\r\n");
        }
        for r in &self.route {
            let _ = write!(out, "Route: {r}\r\n");
        }
        for r in &self.record_route {
            let _ = write!(out, "Record-Route: {r}\r\n");
        }
        let _ = write!(out, "From: {}\r\nTo: {}\r\n", self.from, self.to);
        let _ = write!(
            out,
            "Call-ID: {}\r\nCSeq: {} {}\r\n",
            self.call_id, self.cseq.seq, self.cseq.method
        );
        if self.contact_star {
            out.push_str("Contact: *\r\n");
        }
        for c in &self.contact {
            let _ = write!(out, "Contact: {c}\r\n");
        }
        for h in &self.other {
            let _ = write!(out, "{}: {}\r\n", h.name, h.value);
        }
        if let Some(ct) = &self.content_type {
            let _ = write!(out, "Content-Type: {ct}\r\n");
        }
        let _ = write!(out, "Content-Length: {body_len}\r\n\r\n");
    }
}

/// A parsed SIP request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// Method.
    pub method: Method,
    /// Request-URI.
    pub uri: Uri,
    /// Typed head.
    pub head: Head,
    /// Body (exactly Content-Length bytes).
    pub body: Vec<u8>,
}

impl Request {
    /// Serialize (Content-Length is computed).
    pub fn to_bytes(&self) -> Vec<u8> {
        self.head.serialize(
            format_args!("{} {} SIP/2.0", self.method, self.uri),
            &self.body,
        )
    }

    /// Hand the normalized text to rsip (for callers that want rsip types).
    pub fn to_rsip(&self) -> Result<rsip::Request, WireError> {
        rsip::Request::try_from(self.to_bytes().as_slice())
            .map_err(|e| WireError::Rsip(e.to_string()))
    }
}

/// A parsed SIP response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// Status code (100..=699).
    pub code: u16,
    /// Reason phrase.
    pub reason: String,
    /// Typed head.
    pub head: Head,
    /// Body.
    pub body: Vec<u8>,
}

impl Response {
    /// Serialize (Content-Length is computed).
    pub fn to_bytes(&self) -> Vec<u8> {
        self.head.serialize(
            format_args!("SIP/2.0 {} {}", self.code, self.reason),
            &self.body,
        )
    }

    /// Hand the normalized text to rsip.
    pub fn to_rsip(&self) -> Result<rsip::Response, WireError> {
        rsip::Response::try_from(self.to_bytes().as_slice())
            .map_err(|e| WireError::Rsip(e.to_string()))
    }
}

/// A parsed message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// A request.
    Request(Request),
    /// A response.
    Response(Response),
}

impl Message {
    /// The head.
    pub fn head(&self) -> &Head {
        match self {
            Message::Request(r) => &r.head,
            Message::Response(r) => &r.head,
        }
    }
}

//! [`bad_request`]: a 400 for a request the parser refused, built from its raw lines.
//!
//! Why apart from the parser: it must work on text the parser could not read, so it
//! looks only for the five headers a response needs and skips broken lines.

use super::framer::{find_head_end, skip_leading_crlf};
use super::headers::canonical_name;
use super::parser::unfold;
use std::fmt::Write as _;

/// Build a 400 response to a malformed request from its raw lines, when the headers
/// needed to answer (Via, From, To, Call-ID, CSeq) can be found. `None` otherwise
/// (then the message is dropped).
pub fn bad_request(bytes: &[u8], reason: &str) -> Option<Vec<u8>> {
    let bytes = &bytes[skip_leading_crlf(bytes)..];
    let end = find_head_end(bytes).map(|e| e.0).unwrap_or(bytes.len());
    let head = std::str::from_utf8(bytes.get(..end)?).ok()?;
    let lines = unfold(head);
    let first = lines.first()?;
    if first.starts_with("SIP/") || first.split(' ').count() < 2 {
        return None;
    }
    let mut via = Vec::new();
    let (mut from, mut to, mut cid, mut cseq) = (None, None, None, None);
    for l in lines.iter().skip(1) {
        // Broken lines are what makes the request malformed: skip them.
        let Some((n, v)) = l.split_once(':') else {
            continue;
        };
        let n = canonical_name(n.trim());
        let v = v.trim();
        match &*n {
            "Via" => via.push(v.to_string()),
            "From" => from = Some(v.to_string()),
            "To" => to = Some(v.to_string()),
            "Call-ID" => cid = Some(v.to_string()),
            "CSeq" => cseq = Some(v.to_string()),
            _ => {}
        }
    }
    if via.is_empty() {
        return None;
    }
    let reason: String = reason
        .chars()
        .filter(|c| !c.is_control())
        .take(100)
        .collect();
    let mut out = format!("SIP/2.0 400 {reason}\r\n");
    for v in via {
        let _ = write!(out, "Via: {v}\r\n");
    }
    let _ = write!(
        out,
        "From: {}\r\nTo: {}\r\nCall-ID: {}\r\nCSeq: {}\r\nContent-Length: 0\r\n\r\n",
        from?, to?, cid?, cseq?
    );
    Some(out.into_bytes())
}

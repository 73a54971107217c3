//! [`parse`]: one complete message (a UDP datagram or one message from the framer) into a
//! typed [`Message`].
//!
//! Why our own: rsip 0.4 refuses 8 of the 25 valid RFC 4475 messages. This parser unfolds
//! continuation lines, expands compact names, splits comma lists (Via, Contact, Route,
//! Record-Route), checks the few headers the core relies on, and takes exactly
//! Content-Length bytes of body.

use super::error::{truncate_for_error, WireError};
use super::framer::{find_head_end, skip_leading_crlf, MAX_BODY, MAX_HEAD};
use super::headers::{canonical_name, CSeq, Header, Via};
use super::message::{Head, Message, Request, Response};
use super::method::{is_token_char, Method};
use super::name_addr::NameAddr;
use super::params::split_outside_quotes;
use super::uri::Uri;

/// Parse one complete message: a UDP datagram, or one message popped from a [`Framer`](super::Framer).
///
/// On UDP a missing Content-Length means "the rest of the datagram"; a body shorter than
/// Content-Length is [`WireError::Truncated`]; bytes after Content-Length are ignored.
pub fn parse(bytes: &[u8]) -> Result<Message, WireError> {
    let start = skip_leading_crlf(bytes);
    let bytes = &bytes[start..];
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(WireError::Empty);
    }
    let (head_len, body_start) = find_head_end(bytes).ok_or(WireError::NoEndOfHead)?;
    if head_len > MAX_HEAD {
        return Err(WireError::TooLarge);
    }
    let head = std::str::from_utf8(&bytes[..head_len]).map_err(|_| WireError::NotUtf8)?;
    let rest = &bytes[body_start..];
    let lines = unfold(head);
    let mut it = lines.into_iter();
    let start_line = it.next().ok_or(WireError::Empty)?;
    let mut headers = Vec::with_capacity(16);
    for line in it {
        let (name, value) = line.split_once(':').ok_or(WireError::BadHeaderLine)?;
        let name = name.trim_end_matches([' ', '\t']);
        if name.is_empty() || !name.bytes().all(is_token_char) {
            return Err(WireError::BadHeaderLine);
        }
        headers.push(Header {
            name: canonical_name(name).into_owned(),
            value: value.trim().to_string(),
        });
    }
    let head = build_head(headers)?;
    let cl = head.1;
    let body = match cl {
        Some(n) => {
            if n > MAX_BODY {
                return Err(WireError::TooLarge);
            }
            rest.get(..n).ok_or(WireError::Truncated)?.to_vec()
        }
        None => {
            if rest.len() > MAX_BODY {
                return Err(WireError::TooLarge);
            }
            rest.to_vec()
        }
    };
    let head = head.0;
    if let Some(status) = start_line.strip_prefix("SIP/") {
        let mut parts = status.splitn(3, ' ');
        let version = parts.next().unwrap_or("");
        if version != "2.0" {
            return Err(WireError::BadVersion);
        }
        let code_s = parts.next().unwrap_or("");
        if code_s.len() != 3 {
            return Err(WireError::BadStartLine(truncate_for_error(&start_line)));
        }
        let code: u16 = code_s
            .parse()
            .map_err(|_| WireError::BadStartLine(truncate_for_error(&start_line)))?;
        if !(100..=699).contains(&code) {
            return Err(WireError::BadStartLine(truncate_for_error(&start_line)));
        }
        let reason = parts.next().unwrap_or("").to_string();
        Ok(Message::Response(Response {
            code,
            reason,
            head,
            body,
        }))
    } else {
        let parts: Vec<&str> = start_line.split(' ').collect();
        let bad = || WireError::BadStartLine(truncate_for_error(&start_line));
        if parts.len() != 3 {
            return Err(bad());
        }
        let method = Method::from_token(parts[0]).ok_or_else(bad)?;
        if parts[2] != "SIP/2.0" {
            if parts[2].starts_with("SIP/") {
                return Err(WireError::BadVersion);
            }
            return Err(bad());
        }
        let uri = Uri::parse(parts[1])?;
        if uri.headers.is_some() {
            // RFC 3261 §19.1.5: headers are not allowed in a Request-URI (4475 escruri).
            return Err(WireError::BadUri(truncate_for_error(parts[1])));
        }
        if head.cseq.method != method {
            return Err(WireError::CSeqMismatch);
        }
        Ok(Message::Request(Request {
            method,
            uri,
            head,
            body,
        }))
    }
}

/// Split a head into logical lines, joining continuation lines (leading SP/HT) with one space.
pub(super) fn unfold(head: &str) -> Vec<std::borrow::Cow<'_, str>> {
    use std::borrow::Cow;
    let mut lines: Vec<Cow<'_, str>> = Vec::with_capacity(24);
    for raw in head.split('\n') {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        if raw.starts_with([' ', '\t']) {
            let n = lines.len();
            if let Some(last) = lines.last_mut() {
                if n > 1 {
                    let joined = last.to_mut();
                    joined.push(' ');
                    joined.push_str(raw.trim());
                    continue;
                }
            }
        }
        // (A continuation of the start line or a leading blank is malformed; it is kept
        // as its own line so the header parser refuses it.)
        lines.push(Cow::Borrowed(raw));
    }
    lines
}

fn build_head(headers: Vec<Header>) -> Result<(Head, Option<usize>), WireError> {
    let mut via = Vec::new();
    let mut from = None;
    let mut to = None;
    let mut call_id = None;
    let mut cseq = None;
    let mut max_forwards = None;
    let mut contact = Vec::new();
    let mut contact_star = false;
    let mut route = Vec::new();
    let mut record_route = Vec::new();
    let mut content_type = None;
    let mut content_length: Option<usize> = None;
    let mut other = Vec::with_capacity(headers.len());
    for h in headers {
        match h.name.as_str() {
            "Via" => {
                for v in split_outside_quotes(&h.value, b',') {
                    if v.trim().is_empty() {
                        return Err(WireError::BadHeader("Via"));
                    }
                    via.push(Via::parse(v)?);
                }
            }
            "From" => {
                if from.is_some() {
                    return Err(WireError::BadHeader("From"));
                }
                from = Some(NameAddr::parse(&h.value).map_err(|_| WireError::BadHeader("From"))?)
            }
            "To" => {
                if to.is_some() {
                    return Err(WireError::BadHeader("To"));
                }
                to = Some(NameAddr::parse(&h.value).map_err(|_| WireError::BadHeader("To"))?)
            }
            "Call-ID" => {
                if call_id.is_some() || h.value.is_empty() || h.value.contains(char::is_whitespace)
                {
                    return Err(WireError::BadHeader("Call-ID"));
                }
                call_id = Some(h.value)
            }
            "CSeq" => {
                if cseq.is_some() {
                    return Err(WireError::BadHeader("CSeq"));
                }
                cseq = Some(CSeq::parse(&h.value)?)
            }
            "Max-Forwards" => {
                let v: u32 = h
                    .value
                    .parse()
                    .map_err(|_| WireError::BadHeader("Max-Forwards"))?;
                if v > 255 {
                    return Err(WireError::BadHeader("Max-Forwards"));
                }
                max_forwards = Some(v)
            }
            "Contact" => {
                if h.value == "*" {
                    contact_star = true;
                } else {
                    for v in split_outside_quotes(&h.value, b',') {
                        contact
                            .push(NameAddr::parse(v).map_err(|_| WireError::BadHeader("Contact"))?);
                    }
                }
            }
            "Route" | "Record-Route" => {
                let list = if h.name == "Route" {
                    &mut route
                } else {
                    &mut record_route
                };
                for v in split_outside_quotes(&h.value, b',') {
                    list.push(NameAddr::parse(v).map_err(|_| WireError::BadHeader("Route"))?);
                }
            }
            "Content-Type" => {
                if !h.value.contains('/') {
                    return Err(WireError::BadHeader("Content-Type"));
                }
                content_type = Some(h.value)
            }
            "Content-Length" => {
                let v: usize = h.value.parse().map_err(|_| WireError::BadContentLength)?;
                if content_length.is_some_and(|c| c != v) {
                    return Err(WireError::BadContentLength);
                }
                content_length = Some(v);
            }
            "Expires" => {
                // RFC 3261: delta-seconds; a date here is invalid in a REGISTER (4475 baddate
                // is in Expires of an INVITE: refuse non-numbers everywhere).
                if h.value.parse::<u64>().is_err() {
                    return Err(WireError::BadHeader("Expires"));
                }
                other.push(h)
            }
            "Date" => {
                // RFC 3261 §20.17: rfc1123-date, always GMT (4475 baddate).
                if !h.value.ends_with("GMT") {
                    return Err(WireError::BadHeader("Date"));
                }
                other.push(h)
            }
            "Retry-After" => {
                let digits: String = h.value.chars().take_while(char::is_ascii_digit).collect();
                if digits.is_empty() || digits.parse::<u32>().is_err() {
                    return Err(WireError::BadHeader("Retry-After"));
                }
                other.push(h)
            }
            "Warning" => {
                for w in split_outside_quotes(&h.value, b',') {
                    let code = w.split_whitespace().next().unwrap_or("");
                    if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_digit()) {
                        return Err(WireError::BadHeader("Warning"));
                    }
                }
                other.push(h)
            }
            _ => other.push(h),
        }
    }
    if contact_star && !contact.is_empty() {
        return Err(WireError::BadHeader("Contact"));
    }
    if via.is_empty() {
        return Err(WireError::MissingHeader("Via"));
    }
    Ok((
        Head {
            via,
            from: from.ok_or(WireError::MissingHeader("From"))?,
            to: to.ok_or(WireError::MissingHeader("To"))?,
            call_id: call_id.ok_or(WireError::MissingHeader("Call-ID"))?,
            cseq: cseq.ok_or(WireError::MissingHeader("CSeq"))?,
            max_forwards,
            contact,
            contact_star,
            route,
            record_route,
            content_type,
            other,
        },
        content_length,
    ))
}

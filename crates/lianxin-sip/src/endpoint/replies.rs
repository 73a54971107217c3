//! Building responses: [`make_response`], [`reason_phrase`], the [`ALLOW`] list, and
//! where responses go (RFC 3261 §18.2 with RFC 3581 `received` / `rport`).
//!
//! Why a file of its own: these are pure functions of a request, used by the router, the
//! UAS core and the transaction glue alike; keeping them apart keeps those one-way.

use crate::wire::{Head, Request, Response, Transport};
use std::net::SocketAddr;

/// Methods we implement (the Allow header).
pub const ALLOW: &str =
    "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, REGISTER, MESSAGE, NOTIFY";

/// Standard reason phrase of a status code.
pub fn reason_phrase(code: u16) -> &'static str {
    match code {
        100 => "Trying",
        180 => "Ringing",
        181 => "Call Is Being Forwarded",
        182 => "Queued",
        183 => "Session Progress",
        200 => "OK",
        202 => "Accepted",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        407 => "Proxy Authentication Required",
        408 => "Request Timeout",
        415 => "Unsupported Media Type",
        416 => "Unsupported URI Scheme",
        420 => "Bad Extension",
        423 => "Interval Too Brief",
        480 => "Temporarily Unavailable",
        481 => "Call/Transaction Does Not Exist",
        483 => "Too Many Hops",
        486 => "Busy Here",
        487 => "Request Terminated",
        488 => "Not Acceptable Here",
        491 => "Request Pending",
        500 => "Server Internal Error",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        603 => "Decline",
        _ => match code / 100 {
            1 => "Progress",
            2 => "OK",
            3 => "Redirect",
            4 => "Client Error",
            5 => "Server Error",
            _ => "Global Failure",
        },
    }
}

/// A response to `req` copying Via, From, To (adding our tag), Call-ID and CSeq.
pub fn make_response(req: &Request, code: u16, to_tag: Option<&str>) -> Response {
    let mut to = req.head.to.clone();
    if let Some(tag) = to_tag {
        if to.tag().is_none() && code > 100 {
            to.set_param("tag", Some(tag));
        }
    }
    Response {
        code,
        reason: reason_phrase(code).to_string(),
        head: Head {
            via: req.head.via.clone(),
            from: req.head.from.clone(),
            to,
            call_id: req.head.call_id.clone(),
            cseq: req.head.cseq.clone(),
            max_forwards: None,
            contact: Vec::new(),
            contact_star: false,
            route: Vec::new(),
            record_route: Vec::new(),
            content_type: None,
            other: Vec::new(),
        },
        body: Vec::new(),
    }
}

/// RFC 3581 / RFC 3261 §18.2.1: record where the request really came from in the top Via.
pub(super) fn stamp_via(req: &mut Request, remote: SocketAddr) {
    if let Some(v) = req.head.via.first_mut() {
        let ip = remote.ip().to_string();
        if v.host.trim_start_matches('[').trim_end_matches(']') != ip {
            v.set_param("received", Some(&ip));
        }
        if v.param("rport").is_some() {
            v.set_param("rport", Some(&remote.port().to_string()));
            v.set_param("received", Some(&ip));
        }
    }
}

/// RFC 3261 §18.2.2 with RFC 3581: where responses to this request go.
pub(super) fn response_destination(
    req: &Request,
    remote: SocketAddr,
    transport: Transport,
) -> SocketAddr {
    if transport.is_reliable() {
        return remote;
    }
    let Some(v) = req.head.top_via() else {
        return remote;
    };
    let host = v
        .param("received")
        .unwrap_or(v.host.trim_start_matches('[').trim_end_matches(']'));
    let Ok(ip) = host.parse() else {
        return remote;
    };
    let port = v
        .param("rport")
        .and_then(|p| p.parse().ok())
        .or(v.port)
        .unwrap_or(5060);
    SocketAddr::new(ip, port)
}

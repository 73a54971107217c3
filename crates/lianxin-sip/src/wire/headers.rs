//! The typed headers the core needs besides addresses ([`Via`], [`CSeq`]), the untyped
//! [`Header`] line, and [`canonical_name`] (compact forms expanded, known names capitalized).
//!
//! Why here: these are the per-header grammars the parser applies to one value each;
//! the head that holds them is in `message`.

use super::error::WireError;
use super::method::{is_token_char, Method};
use super::params::{find_param, parse_params, set_param, write_params, Param};
use super::transport::Transport;
use super::uri::parse_hostport;
use std::fmt;

/// One Via value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Via {
    /// Transport token as received (`UDP`, `TCP`, `TLS`, `SCTP`, ...), uppercased.
    pub transport: String,
    /// sent-by host (IPv6 keeps brackets).
    pub host: String,
    /// sent-by port.
    pub port: Option<u16>,
    /// Parameters (branch, received, rport, ...).
    pub params: Vec<Param>,
}

impl Via {
    /// A Via for us with a branch and an empty `rport` (RFC 3581).
    pub fn new(transport: Transport, host: &str, port: u16, branch: &str) -> Via {
        Via {
            transport: transport.as_str().to_string(),
            host: host.to_string(),
            port: Some(port),
            params: vec![
                Param {
                    name: "branch".into(),
                    value: Some(branch.to_string()),
                },
                Param {
                    name: "rport".into(),
                    value: None,
                },
            ],
        }
    }

    /// Parse one Via value (after comma splitting).
    pub fn parse(s: &str) -> Result<Via, WireError> {
        let bad = || WireError::BadHeader("Via");
        let s = strip_comments(s);
        let s = s.trim();
        // sent-protocol: name / version / transport, whitespace allowed around '/'.
        let mut parts = s.splitn(3, '/');
        let name = parts.next().ok_or_else(bad)?.trim();
        let version = parts.next().ok_or_else(bad)?.trim();
        let rest = parts.next().ok_or_else(bad)?.trim_start();
        if !name.eq_ignore_ascii_case("SIP") || version != "2.0" {
            return Err(bad());
        }
        let tend = rest
            .find(|c: char| c.is_ascii_whitespace())
            .ok_or_else(bad)?;
        let transport = rest[..tend].to_ascii_uppercase();
        if transport.is_empty() || !transport.bytes().all(is_token_char) {
            return Err(bad());
        }
        let rest = rest[tend..].trim();
        let (sent_by, params) = match rest.split_once(';') {
            Some((h, p)) => (h, parse_params(p)),
            None => (rest, Vec::new()),
        };
        let sent_by: String = sent_by.split_whitespace().collect();
        let (host, port) = parse_hostport(&sent_by).ok_or_else(bad)?;
        Ok(Via {
            transport,
            host,
            port,
            params,
        })
    }

    /// The branch parameter.
    pub fn branch(&self) -> Option<&str> {
        self.param("branch")
    }

    /// A parameter value by name; `Some("")` for a flag.
    pub fn param(&self, name: &str) -> Option<&str> {
        find_param(&self.params, name).map(|p| p.value.as_deref().unwrap_or(""))
    }

    /// Set (or replace) a parameter.
    pub fn set_param(&mut self, name: &str, value: Option<&str>) {
        set_param(&mut self.params, name, value.map(str::to_string));
    }

    /// `host:port` with the default port 5060, host lowercased (the §17.2.3 sent-by).
    pub fn sent_by(&self) -> String {
        format!(
            "{}:{}",
            self.host.to_ascii_lowercase(),
            self.port.unwrap_or(5060)
        )
    }
}

fn strip_comments(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.contains('(') {
        return s.into();
    }
    let mut out = String::with_capacity(s.len());
    let mut depth = 0u32;
    for c in s.chars() {
        match c {
            '(' => depth += 1,
            ')' if depth > 0 => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out.into()
}

impl fmt::Display for Via {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SIP/2.0/{} {}", self.transport, self.host)?;
        if let Some(p) = self.port {
            write!(f, ":{p}")?;
        }
        write_params(f, &self.params)
    }
}

/// The CSeq header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CSeq {
    /// Sequence number (< 2^31).
    pub seq: u32,
    /// Method.
    pub method: Method,
}

impl CSeq {
    /// Parse `seq METHOD`.
    pub(super) fn parse(s: &str) -> Result<CSeq, WireError> {
        let bad = || WireError::BadHeader("CSeq");
        let mut it = s.split_whitespace();
        let seq: u32 = it.next().ok_or_else(bad)?.parse().map_err(|_| bad())?;
        if seq >= 1 << 31 {
            return Err(bad());
        }
        let method = Method::from_token(it.next().ok_or_else(bad)?).ok_or_else(bad)?;
        if it.next().is_some() {
            return Err(bad());
        }
        Ok(CSeq { seq, method })
    }
}

/// An untyped header line (canonical name, trimmed value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// Canonical header name (compact forms expanded, known names capitalized).
    pub name: String,
    /// Value, trimmed, unfolded.
    pub value: String,
}

impl Header {
    /// A header.
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Header {
        Header {
            name: name.into(),
            value: value.into(),
        }
    }
}

/// Compact name → full name, and canonical capitalization of the names the core uses.
pub fn canonical_name(name: &str) -> std::borrow::Cow<'_, str> {
    let full = match name.len() {
        1 => match name.as_bytes()[0].to_ascii_lowercase() {
            b'v' => "Via",
            b'i' => "Call-ID",
            b'f' => "From",
            b't' => "To",
            b'm' => "Contact",
            b'l' => "Content-Length",
            b'c' => "Content-Type",
            b'k' => "Supported",
            b's' => "Subject",
            b'e' => "Content-Encoding",
            b'o' => "Event",
            b'r' => "Refer-To",
            b'b' => "Referred-By",
            b'u' => "Allow-Events",
            b'x' => "Session-Expires",
            b'a' => "Accept-Contact",
            b'j' => "Reject-Contact",
            b'd' => "Request-Disposition",
            b'y' => "Identity",
            _ => return name.into(),
        },
        _ => {
            const KNOWN: &[&str] = &[
                "Via",
                "Call-ID",
                "From",
                "To",
                "Contact",
                "Content-Length",
                "Content-Type",
                "CSeq",
                "Max-Forwards",
                "Route",
                "Record-Route",
                "Expires",
                "Allow",
                "Supported",
                "Require",
                "User-Agent",
                "Server",
                "Authorization",
                "Proxy-Authorization",
                "WWW-Authenticate",
                "Proxy-Authenticate",
                "P-Asserted-Identity",
                "Min-Expires",
                "Unsupported",
                "Session-Expires",
                "Min-SE",
                "Date",
                "Warning",
                "Retry-After",
                "Accept",
                "Subject",
                "Event",
            ];
            match KNOWN.iter().find(|k| k.eq_ignore_ascii_case(name)) {
                Some(k) => k,
                None => return name.into(),
            }
        }
    };
    full.into()
}

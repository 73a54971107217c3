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

use std::fmt::{self, Write as _};

/// The RFC 3261 magic cookie that starts every compliant branch.
pub const MAGIC_COOKIE: &str = "z9hG4bK";

/// Largest head (start line + headers) the framer accepts before giving up on a stream.
pub const MAX_HEAD: usize = 64 * 1024;
/// Largest body accepted.
pub const MAX_BODY: usize = 64 * 1024;

/// Errors of the wire layer. None of them panics; every one means "this message is refused".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// The input held no message at all (only whitespace).
    #[error("empty message")]
    Empty,
    /// The head (start line and headers) is not valid UTF-8.
    #[error("head is not UTF-8")]
    NotUtf8,
    /// No blank line ends the head.
    #[error("no end of head")]
    NoEndOfHead,
    /// The start line is neither a request line nor a status line.
    #[error("bad start line: {0}")]
    BadStartLine(String),
    /// The SIP version is not SIP/2.0.
    #[error("unsupported SIP version")]
    BadVersion,
    /// A header line has no colon or an invalid name.
    #[error("bad header line")]
    BadHeaderLine,
    /// A header the core needs has an invalid value.
    #[error("bad {0} header")]
    BadHeader(&'static str),
    /// A mandatory header is missing.
    #[error("missing {0} header")]
    MissingHeader(&'static str),
    /// Content-Length is not a number, conflicts with another one, or is too large.
    #[error("bad Content-Length")]
    BadContentLength,
    /// Content-Length is missing on a stream transport.
    #[error("missing Content-Length on a stream")]
    MissingContentLength,
    /// The body is shorter than Content-Length (a truncated UDP datagram).
    #[error("truncated body")]
    Truncated,
    /// The head or body exceeds the configured limits.
    #[error("message too large")]
    TooLarge,
    /// A URI could not be parsed.
    #[error("bad URI: {0}")]
    BadUri(String),
    /// The CSeq method differs from the request method.
    #[error("CSeq method does not match request method")]
    CSeqMismatch,
    /// rsip refused the normalized text (only from [`Request::to_rsip`]).
    #[error("rsip: {0}")]
    Rsip(String),
}

/// Transport a message came on or goes out on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    /// Datagrams: one datagram is one message; the transaction layer retransmits.
    Udp,
    /// A reliable stream: messages are framed by Content-Length; no retransmissions.
    Tcp,
}

impl Transport {
    /// The Via transport token (`UDP`, `TCP`).
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Udp => "UDP",
            Transport::Tcp => "TCP",
        }
    }
    /// True for stream transports (RFC 3261 "reliable").
    pub fn is_reliable(self) -> bool {
        matches!(self, Transport::Tcp)
    }
}

/// A SIP method.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Method {
    /// INVITE
    Invite,
    /// ACK
    Ack,
    /// BYE
    Bye,
    /// CANCEL
    Cancel,
    /// OPTIONS
    Options,
    /// REGISTER
    Register,
    /// INFO
    Info,
    /// UPDATE
    Update,
    /// MESSAGE
    Message,
    /// PRACK
    Prack,
    /// SUBSCRIBE
    Subscribe,
    /// NOTIFY
    Notify,
    /// REFER
    Refer,
    /// PUBLISH
    Publish,
    /// Any other token (extension method).
    Other(String),
}

impl Method {
    /// Parse a method token (case-sensitive, as RFC 3261 says).
    pub fn from_token(s: &str) -> Option<Method> {
        if s.is_empty() || !s.bytes().all(is_token_char) {
            return None;
        }
        Some(match s {
            "INVITE" => Method::Invite,
            "ACK" => Method::Ack,
            "BYE" => Method::Bye,
            "CANCEL" => Method::Cancel,
            "OPTIONS" => Method::Options,
            "REGISTER" => Method::Register,
            "INFO" => Method::Info,
            "UPDATE" => Method::Update,
            "MESSAGE" => Method::Message,
            "PRACK" => Method::Prack,
            "SUBSCRIBE" => Method::Subscribe,
            "NOTIFY" => Method::Notify,
            "REFER" => Method::Refer,
            "PUBLISH" => Method::Publish,
            other => Method::Other(other.to_string()),
        })
    }
    /// The token.
    pub fn as_str(&self) -> &str {
        match self {
            Method::Invite => "INVITE",
            Method::Ack => "ACK",
            Method::Bye => "BYE",
            Method::Cancel => "CANCEL",
            Method::Options => "OPTIONS",
            Method::Register => "REGISTER",
            Method::Info => "INFO",
            Method::Update => "UPDATE",
            Method::Message => "MESSAGE",
            Method::Prack => "PRACK",
            Method::Subscribe => "SUBSCRIBE",
            Method::Notify => "NOTIFY",
            Method::Refer => "REFER",
            Method::Publish => "PUBLISH",
            Method::Other(s) => s,
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

fn is_token_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-.!%*_+`'~".contains(&b)
}

/// A `name[=value]` parameter (URI, Via, name-addr).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    /// Name as received.
    pub name: String,
    /// Value, if any (quotes kept as received).
    pub value: Option<String>,
}

fn find_param<'a>(params: &'a [Param], name: &str) -> Option<&'a Param> {
    params.iter().find(|p| p.name.eq_ignore_ascii_case(name))
}

fn set_param(params: &mut Vec<Param>, name: &str, value: Option<String>) {
    if let Some(p) = params
        .iter_mut()
        .find(|p| p.name.eq_ignore_ascii_case(name))
    {
        p.value = value;
    } else {
        params.push(Param {
            name: name.to_string(),
            value,
        });
    }
}

fn write_params(f: &mut impl fmt::Write, params: &[Param]) -> fmt::Result {
    for p in params {
        match &p.value {
            Some(v) => write!(f, ";{}={}", p.name, v)?,
            None => write!(f, ";{}", p.name)?,
        }
    }
    Ok(())
}

fn parse_params(s: &str) -> Vec<Param> {
    split_outside_quotes(s, b';')
        .into_iter()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((n, v)) => Param {
                name: n.trim().to_string(),
                value: Some(v.trim().to_string()),
            },
            None => Param {
                name: p.to_string(),
                value: None,
            },
        })
        .collect()
}

/// URI scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scheme {
    /// `sip:`
    Sip,
    /// `sips:`
    Sips,
    /// `tel:` (RFC 3966); the number is in [`Uri::user`].
    Tel,
    /// Any other scheme; the rest of the URI is kept opaque in [`Uri::host`].
    Other(String),
}

/// A URI as SIP uses it (sip, sips, tel, or opaque other).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uri {
    /// The scheme.
    pub scheme: Scheme,
    /// The user part (for `tel:` the number).
    pub user: Option<String>,
    /// The password part (deprecated but legal).
    pub password: Option<String>,
    /// Host (IPv6 literals keep their brackets); empty for `tel:`.
    pub host: String,
    /// Port, if given.
    pub port: Option<u16>,
    /// URI parameters.
    pub params: Vec<Param>,
    /// URI headers (`?a=b&c=d`), raw.
    pub headers: Option<String>,
}

impl Uri {
    /// Parse a URI (no surrounding `<>`).
    pub fn parse(s: &str) -> Result<Uri, WireError> {
        let s = s.trim();
        let bad = || WireError::BadUri(truncate_for_error(s));
        if s.bytes()
            .any(|b| b <= b' ' || b == b'<' || b == b'>' || b == b'"')
        {
            return Err(bad());
        }
        let (scheme, rest) = s.split_once(':').ok_or_else(bad)?;
        let scheme_lc = scheme.to_ascii_lowercase();
        if scheme.is_empty()
            || !scheme
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
        {
            return Err(bad());
        }
        match scheme_lc.as_str() {
            "sip" | "sips" => {
                let scheme = if scheme_lc == "sip" {
                    Scheme::Sip
                } else {
                    Scheme::Sips
                };
                // Headers (`?`) normally follow the host, but a user part may itself
                // contain `?` (RFC 4475 intmeth): try "headers first", then "last @ first".
                parse_sip_rest(scheme.clone(), rest, true)
                    .or_else(|| parse_sip_rest(scheme, rest, false))
                    .ok_or_else(bad)
            }
            "tel" => {
                let (num, params) = match rest.split_once(';') {
                    Some((n, p)) => (n, parse_params(p)),
                    None => (rest, Vec::new()),
                };
                if num.is_empty() {
                    return Err(bad());
                }
                Ok(Uri {
                    scheme: Scheme::Tel,
                    user: Some(num.to_string()),
                    password: None,
                    host: String::new(),
                    port: None,
                    params,
                    headers: None,
                })
            }
            _ => {
                if rest.is_empty() {
                    return Err(bad());
                }
                Ok(Uri {
                    scheme: Scheme::Other(scheme.to_string()),
                    user: None,
                    password: None,
                    host: rest.to_string(),
                    port: None,
                    params: Vec::new(),
                    headers: None,
                })
            }
        }
    }

    /// A `sip:` URI for `user@host:port`.
    pub fn sip(user: Option<&str>, host: &str, port: Option<u16>) -> Uri {
        Uri {
            scheme: Scheme::Sip,
            user: user.map(str::to_string),
            password: None,
            host: host.to_string(),
            port,
            params: Vec::new(),
            headers: None,
        }
    }

    /// A URI parameter by name (case-insensitive).
    pub fn param(&self, name: &str) -> Option<&Param> {
        find_param(&self.params, name)
    }

    /// True when the URI carries `;lr` (loose routing).
    pub fn is_loose_route(&self) -> bool {
        self.param("lr").is_some()
    }

    /// The user part with %-escapes decoded (lossy).
    pub fn user_unescaped(&self) -> Option<String> {
        self.user.as_deref().map(unescape)
    }
}

fn parse_sip_rest(scheme: Scheme, rest: &str, headers_first: bool) -> Option<Uri> {
    let (main, headers) = if headers_first {
        match rest.split_once('?') {
            Some((r, h)) => (r, Some(h)),
            None => (rest, None),
        }
    } else {
        (rest, None)
    };
    // The userinfo may contain ';' and '?' (user params) so split on the last '@'.
    let (userinfo, hostpart) = match main.rfind('@') {
        Some(i) => (Some(&main[..i]), &main[i + 1..]),
        None => (None, main),
    };
    let (hostpart, headers) = match (headers, hostpart.split_once('?')) {
        (None, Some((h, q))) => (h, Some(q)),
        (h, _) => (hostpart, h),
    };
    let (hostport, params) = match hostpart.split_once(';') {
        Some((h, p)) => (h, parse_params(p)),
        None => (hostpart, Vec::new()),
    };
    let (host, port) = parse_hostport(hostport)?;
    let (user, password) = match userinfo {
        Some(ui) => {
            if ui.is_empty() || !valid_escapes(ui) {
                return None;
            }
            match ui.split_once(':') {
                Some((u, p)) => (Some(u.to_string()), Some(p.to_string())),
                None => (Some(ui.to_string()), None),
            }
        }
        None => (None, None),
    };
    Some(Uri {
        scheme,
        user,
        password,
        host,
        port,
        params,
        headers: headers.map(str::to_string),
    })
}

fn truncate_for_error(s: &str) -> String {
    s.chars().take(64).collect()
}

fn valid_escapes(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            match (b.get(i + 1), b.get(i + 2)) {
                (Some(x), Some(y)) if x.is_ascii_hexdigit() && y.is_ascii_hexdigit() => i += 3,
                _ => return false,
            }
        } else {
            i += 1;
        }
    }
    true
}

fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            if let (Some(x), Some(y)) = (b.get(i + 1), b.get(i + 2)) {
                if let (Some(x), Some(y)) = ((*x as char).to_digit(16), (*y as char).to_digit(16)) {
                    out.push((x * 16 + y) as u8);
                    i += 3;
                    continue;
                }
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn parse_hostport(s: &str) -> Option<(String, Option<u16>)> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if let Some(rest) = s.strip_prefix('[') {
        let end = rest.find(']')?;
        let host = &rest[..end];
        if host.is_empty()
            || !host
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
        {
            return None;
        }
        let after = &rest[end + 1..];
        let port = if after.is_empty() {
            None
        } else {
            Some(after.strip_prefix(':')?.parse().ok()?)
        };
        return Some((format!("[{host}]"), port));
    }
    let (host, port) = match s.split_once(':') {
        Some((h, p)) => (h, Some(p.trim().parse::<u16>().ok()?)),
        None => (s, None),
    };
    if host.is_empty()
        || !host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
    {
        return None;
    }
    Some((host.to_string(), port))
}

impl fmt::Display for Uri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.scheme {
            Scheme::Sip | Scheme::Sips => {
                f.write_str(if self.scheme == Scheme::Sip {
                    "sip:"
                } else {
                    "sips:"
                })?;
                if let Some(u) = &self.user {
                    f.write_str(u)?;
                    if let Some(p) = &self.password {
                        write!(f, ":{p}")?;
                    }
                    f.write_str("@")?;
                }
                f.write_str(&self.host)?;
                if let Some(p) = self.port {
                    write!(f, ":{p}")?;
                }
                write_params(f, &self.params)?;
                if let Some(h) = &self.headers {
                    write!(f, "?{h}")?;
                }
                Ok(())
            }
            Scheme::Tel => {
                write!(f, "tel:{}", self.user.as_deref().unwrap_or(""))?;
                write_params(f, &self.params)
            }
            Scheme::Other(s) => write!(f, "{s}:{}", self.host),
        }
    }
}

/// A name-addr or addr-spec with header parameters (From, To, Contact, Route, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameAddr {
    /// Display name, unquoted (escapes kept).
    pub display: Option<String>,
    /// The URI.
    pub uri: Uri,
    /// Header parameters (after `>` or after an addr-spec).
    pub params: Vec<Param>,
}

impl NameAddr {
    /// A name-addr for a URI with no display name and no params.
    pub fn new(uri: Uri) -> NameAddr {
        NameAddr {
            display: None,
            uri,
            params: Vec::new(),
        }
    }

    /// Parse one value.
    pub fn parse(s: &str) -> Result<NameAddr, WireError> {
        let s = s.trim();
        let bad = || WireError::BadUri(truncate_for_error(s));
        let (display, rest) = if let Some(q) = s.strip_prefix('"') {
            let end = closing_quote(q).ok_or_else(bad)?;
            let disp = &q[..end];
            let rest = q[end + 1..].trim_start();
            if !rest.starts_with('<') {
                return Err(bad());
            }
            (Some(disp.to_string()), rest)
        } else if let Some(lt) = s.find('<') {
            let disp = s[..lt].trim();
            if disp.contains(['>', ';', ',', '"']) {
                return Err(bad());
            }
            (
                if disp.is_empty() {
                    None
                } else {
                    Some(disp.to_string())
                },
                &s[lt..],
            )
        } else {
            (None, s)
        };
        if let Some(inner) = rest.strip_prefix('<') {
            let end = inner.find('>').ok_or_else(bad)?;
            let raw = &inner[..end];
            if raw.starts_with(char::is_whitespace) || raw.ends_with(char::is_whitespace) {
                return Err(bad());
            }
            let uri = Uri::parse(raw)?;
            let after = inner[end + 1..].trim();
            if !after.is_empty() && !after.starts_with(';') {
                return Err(bad());
            }
            Ok(NameAddr {
                display,
                uri,
                params: parse_params(after),
            })
        } else {
            if rest.contains('>') {
                return Err(bad());
            }
            let (uri, params) = match rest.split_once(';') {
                Some((u, p)) => (u, parse_params(p)),
                None => (rest, Vec::new()),
            };
            // an addr-spec must not contain '?' headers or whitespace.
            if uri.contains('?') {
                return Err(bad());
            }
            Ok(NameAddr {
                display: None,
                uri: Uri::parse(uri)?,
                params,
            })
        }
    }

    /// The `tag` parameter.
    pub fn tag(&self) -> Option<&str> {
        self.param("tag")
    }

    /// A header parameter value by name (case-insensitive); `Some("")` for a flag.
    pub fn param(&self, name: &str) -> Option<&str> {
        find_param(&self.params, name).map(|p| p.value.as_deref().unwrap_or(""))
    }

    /// Set (or replace) a header parameter.
    pub fn set_param(&mut self, name: &str, value: Option<&str>) {
        set_param(&mut self.params, name, value.map(str::to_string));
    }

    /// Display name with surrounding quotes removed and `\x` escapes resolved.
    pub fn display_text(&self) -> Option<String> {
        self.display.as_ref().map(|d| {
            let mut out = String::with_capacity(d.len());
            let mut esc = false;
            for c in d.chars() {
                if esc {
                    out.push(c);
                    esc = false;
                } else if c == '\\' {
                    esc = true;
                } else {
                    out.push(c);
                }
            }
            out
        })
    }
}

fn closing_quote(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return Some(i),
            _ => i += 1,
        }
    }
    None
}

impl fmt::Display for NameAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(d) = &self.display {
            write!(f, "\"{d}\" ")?;
        }
        write!(f, "<{}>", self.uri)?;
        write_params(f, &self.params)
    }
}

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
    fn parse(s: &str) -> Result<CSeq, WireError> {
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
        let mut s = String::with_capacity(512 + self.body.len());
        let _ = write!(s, "{} {} SIP/2.0\r\n", self.method, self.uri);
        self.head.write(&mut s, self.body.len());
        let mut b = s.into_bytes();
        b.extend_from_slice(&self.body);
        b
    }

    /// The server transaction key of this request (RFC 3261 §17.2.3).
    pub fn transaction_key(&self) -> TransactionKey {
        TransactionKey::for_request(self)
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
        let mut s = String::with_capacity(512 + self.body.len());
        let _ = write!(s, "SIP/2.0 {} {}\r\n", self.code, self.reason);
        self.head.write(&mut s, self.body.len());
        let mut b = s.into_bytes();
        b.extend_from_slice(&self.body);
        b
    }

    /// The client transaction key this response matches (RFC 3261 §17.1.3).
    pub fn transaction_key(&self) -> Option<TransactionKey> {
        TransactionKey::for_response(self)
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

/// The RFC 3261 §17.2.3 transaction key: branch + sent-by + method (ACK folds into INVITE).
/// For pre-RFC 3261 branches the branch field holds a synthesized key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TransactionKey {
    /// Branch (or synthesized RFC 2543 key).
    pub branch: String,
    /// Top Via sent-by, `host:port`, lowercased.
    pub sent_by: String,
    /// Method (ACK is stored as INVITE so an ACK for a non-2xx finds its INVITE).
    pub method: Method,
}

impl TransactionKey {
    /// The key of a request as a server sees it.
    pub fn for_request(req: &Request) -> TransactionKey {
        let method = if req.method == Method::Ack {
            Method::Invite
        } else {
            req.method.clone()
        };
        let via = req.head.top_via();
        let sent_by = via.map(Via::sent_by).unwrap_or_default();
        match via.and_then(Via::branch) {
            Some(b) if b.starts_with(MAGIC_COOKIE) => TransactionKey {
                branch: b.to_string(),
                sent_by,
                method,
            },
            _ => TransactionKey {
                branch: format!(
                    "2543|{}|{}|{}|{}",
                    req.uri,
                    req.head.from.tag().unwrap_or(""),
                    req.head.call_id,
                    req.head.cseq.seq
                ),
                sent_by,
                method,
            },
        }
    }

    /// The key of the client transaction a response belongs to.
    pub fn for_response(resp: &Response) -> Option<TransactionKey> {
        let via = resp.head.top_via()?;
        let method = if resp.head.cseq.method == Method::Ack {
            Method::Invite
        } else {
            resp.head.cseq.method.clone()
        };
        Some(TransactionKey {
            branch: via.branch()?.to_string(),
            sent_by: via.sent_by(),
            method,
        })
    }

    /// The same key with another method (CANCEL → INVITE lookup).
    pub fn with_method(&self, method: Method) -> TransactionKey {
        TransactionKey {
            branch: self.branch.clone(),
            sent_by: self.sent_by.clone(),
            method,
        }
    }
}

/// A dialog id (Call-ID, local tag, remote tag), always from *our* point of view.
///
/// The role trap: for a message we receive as a request, our tag is the To tag; for a
/// response we receive, our tag is the From tag. Use [`DialogId::of_request`] /
/// [`DialogId::of_response`] and never swap by hand.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DialogId {
    /// Call-ID.
    pub call_id: String,
    /// Our tag.
    pub local_tag: String,
    /// The peer's tag.
    pub remote_tag: String,
}

impl DialogId {
    /// Dialog id of a request we received (local = To tag, remote = From tag).
    /// `None` when the To tag is missing (not an in-dialog request).
    pub fn of_request(req: &Request) -> Option<DialogId> {
        Some(DialogId {
            call_id: req.head.call_id.clone(),
            local_tag: req.head.to.tag()?.to_string(),
            remote_tag: req.head.from.tag().unwrap_or("").to_string(),
        })
    }

    /// Dialog id of a response we received to our request (local = From tag, remote = To tag).
    pub fn of_response(resp: &Response) -> Option<DialogId> {
        Some(DialogId {
            call_id: resp.head.call_id.clone(),
            local_tag: resp.head.from.tag()?.to_string(),
            remote_tag: resp.head.to.tag()?.to_string(),
        })
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

/// Split on `sep` outside double quotes and angle brackets.
fn split_outside_quotes(s: &str, sep: u8) -> Vec<&str> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    let mut in_q = false;
    let mut in_angle = false;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if in_q {
            if c == b'\\' {
                i += 1;
            } else if c == b'"' {
                in_q = false;
            }
        } else if c == b'"' {
            in_q = true;
        } else if c == b'<' {
            in_angle = true;
        } else if c == b'>' {
            in_angle = false;
        } else if c == sep && !in_angle {
            out.push(&s[start..i]);
            start = i + 1;
        }
        i += 1;
    }
    out.push(&s[start.min(s.len())..]);
    out
}

/// Find the end of the head: index of the first byte of the body, and the head length
/// without the blank line. Accepts CRLFCRLF, and LFLF for lenient peers.
fn find_head_end(b: &[u8]) -> Option<(usize, usize)> {
    let mut i = 0;
    while i + 1 < b.len() {
        if b[i] == b'\n' {
            if b[i + 1] == b'\n' {
                return Some((i, i + 2));
            }
            if b[i + 1] == b'\r' && b.get(i + 2) == Some(&b'\n') {
                return Some((i, i + 3));
            }
        }
        i += 1;
    }
    None
}

fn skip_leading_crlf(b: &[u8]) -> usize {
    b.iter()
        .take_while(|c| **c == b'\r' || **c == b'\n')
        .count()
}

/// Scan a head for Content-Length without a full parse (for the framer).
fn scan_content_length(head: &str) -> Result<Option<usize>, WireError> {
    let mut found: Option<usize> = None;
    for line in head.lines() {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let name = name.trim();
        if name.eq_ignore_ascii_case("content-length") || name.eq_ignore_ascii_case("l") {
            let v: usize = value
                .trim()
                .parse()
                .map_err(|_| WireError::BadContentLength)?;
            if found.is_some_and(|f| f != v) {
                return Err(WireError::BadContentLength);
            }
            found = Some(v);
        }
    }
    Ok(found)
}

/// Parse one complete message: a UDP datagram, or one message popped from a [`Framer`].
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
fn unfold(head: &str) -> Vec<std::borrow::Cow<'_, str>> {
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

/// Frames messages on a stream transport by Content-Length (RFC 3261 §18.3).
///
/// Push bytes as they arrive; pop whole messages. `Ok(None)` ("incomplete") is normal.
/// An error means the stream is unusable and should be closed.
#[derive(Debug, Default)]
pub struct Framer {
    buf: Vec<u8>,
}

impl Framer {
    /// An empty framer.
    pub fn new() -> Framer {
        Framer::default()
    }

    /// Append received bytes.
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Bytes buffered and not yet popped.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// Pop one whole message (its raw bytes, ready for [`parse`]), if one is complete.
    pub fn pop(&mut self) -> Result<Option<Vec<u8>>, WireError> {
        let skip = skip_leading_crlf(&self.buf);
        if skip > 0 {
            self.buf.drain(..skip);
        }
        if self.buf.is_empty() {
            return Ok(None);
        }
        let Some((head_len, body_start)) = find_head_end(&self.buf) else {
            if self.buf.len() > MAX_HEAD {
                return Err(WireError::TooLarge);
            }
            return Ok(None);
        };
        if head_len > MAX_HEAD {
            return Err(WireError::TooLarge);
        }
        let head = std::str::from_utf8(&self.buf[..head_len]).map_err(|_| WireError::NotUtf8)?;
        let cl = scan_content_length(head)?.ok_or(WireError::MissingContentLength)?;
        if cl > MAX_BODY {
            return Err(WireError::TooLarge);
        }
        let total = body_start + cl;
        if self.buf.len() < total {
            return Ok(None);
        }
        let rest = self.buf.split_off(total);
        let msg = std::mem::replace(&mut self.buf, rest);
        Ok(Some(msg))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INV: &str = "INVITE sip:bob@example.com SIP/2.0\r\n\
v: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1, SIP/2.0/TCP [2001:db8::1]:5070;branch=z9hG4bK2\r\n\
Max-Forwards: 70\r\n\
f: \"Alice\" <sip:alice@example.com>;tag=a1\r\n\
t : <tel:+86-10-1234>\r\n\
i: abc@host\r\n\
CSeq: 1\r\n INVITE\r\n\
m: <sip:alice@10.0.0.1>, <sip:alice@10.0.0.2>;expires=30\r\n\
c: application/sdp\r\n\
l: 4\r\n\
\r\n\
v=0\r\nextra";

    #[test]
    fn parses_compact_folded_ipv6_tel() {
        let Ok(Message::Request(r)) = parse(INV.as_bytes()) else {
            panic!("parse failed: {:?}", parse(INV.as_bytes()));
        };
        assert_eq!(r.method, Method::Invite);
        assert_eq!(r.head.via.len(), 2);
        assert_eq!(r.head.via[1].host, "[2001:db8::1]");
        assert_eq!(r.head.via[1].port, Some(5070));
        assert_eq!(r.head.to.uri.scheme, Scheme::Tel);
        assert_eq!(r.head.contact.len(), 2);
        assert_eq!(r.head.contact[1].param("expires"), Some("30"));
        assert_eq!(r.body, b"v=0\r");
        assert_eq!(r.head.from.tag(), Some("a1"));
        assert_eq!(r.head.from.display_text().as_deref(), Some("Alice"));
        let again = parse(&r.to_bytes());
        assert_eq!(again, Ok(Message::Request(r)));
    }

    #[test]
    fn udp_truncated_body_is_refused() {
        let t = INV.replace("l: 4", "l: 400");
        assert_eq!(parse(t.as_bytes()), Err(WireError::Truncated));
    }

    #[test]
    fn framer_pops_whole_messages_split_anywhere() {
        let msg = INV.replace("\r\nextra", "\r\n");
        let two = format!("\r\n\r\n{msg}{msg}");
        for cut in 0..two.len() {
            let mut f = Framer::new();
            f.push(&two.as_bytes()[..cut]);
            let mut got = Vec::new();
            while let Ok(Some(m)) = f.pop() {
                got.push(m);
            }
            f.push(&two.as_bytes()[cut..]);
            while let Ok(Some(m)) = f.pop() {
                got.push(m);
            }
            assert_eq!(got.len(), 2, "cut at {cut}");
            assert!(parse(&got[1]).is_ok());
        }
    }

    #[test]
    fn transaction_key_folds_ack_into_invite() {
        let Ok(Message::Request(r)) = parse(INV.as_bytes()) else {
            panic!()
        };
        let k = r.transaction_key();
        assert_eq!(k.branch, "z9hG4bK1");
        assert_eq!(k.sent_by, "10.0.0.1:5060");
        assert_eq!(k.method, Method::Invite);
    }

    #[test]
    fn rsip_accepts_normalized_text() {
        let Ok(Message::Request(r)) = parse(
            INV.replace("<tel:+86-10-1234>", "<sip:x@y>")
                .replace(", SIP/2.0/TCP [2001:db8::1]:5070;branch=z9hG4bK2", "")
                .as_bytes(),
        ) else {
            panic!()
        };
        assert!(r.to_rsip().is_ok(), "{:?}", r.to_rsip());
    }

    #[test]
    fn bad_request_reply_copies_headers() {
        let t = INV.replace("Max-Forwards: 70", "Max-Forwards: many");
        assert!(parse(t.as_bytes()).is_err());
        let reply = bad_request(t.as_bytes(), "Bad CSeq").unwrap_or_default();
        let Ok(Message::Response(r)) = parse(&reply) else {
            panic!()
        };
        assert_eq!(r.code, 400);
        assert_eq!(r.head.via.len(), 2);
    }
}

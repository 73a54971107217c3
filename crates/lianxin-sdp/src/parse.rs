//! The typed SDP model, its parser and its printer.
//!
//! Parsing is line based (`<type>=<value>`, CRLF or bare LF). Lines this crate has no use
//! for (`i=`, `u=`, `e=`, `p=`, `b=`, `z=`, `k=`, `r=`) are skipped; `t=` is kept so an
//! answer can echo it; unknown `a=` attributes are kept verbatim in order. Printing always
//! uses CRLF and the RFC 4566 line order.

use std::fmt;
use std::net::IpAddr;

/// Why a session description could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// The body is empty or has no `v=` line first.
    #[error("SDP must start with v=0")]
    MissingVersion,
    /// The `v=` line carries a version other than 0.
    #[error("unsupported SDP version {0:?}")]
    BadVersion(String),
    /// No `o=` line before the first media section.
    #[error("SDP has no o= line")]
    MissingOrigin,
    /// A line is not of the form `x=value`.
    #[error("line {line}: not a type=value line")]
    Malformed {
        /// One-based line number.
        line: usize,
    },
    /// A known line has a value that does not parse.
    #[error("line {line}: bad {what} value")]
    BadValue {
        /// One-based line number.
        line: usize,
        /// Which field was wrong (`origin`, `connection`, `media`, `rtpmap`, `ptime`).
        what: &'static str,
    },
    /// The body is not UTF-8.
    #[error("SDP is not UTF-8")]
    NotUtf8,
}

/// Media direction attribute (RFC 4566 §6, RFC 3264 §5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Direction {
    /// `a=sendrecv` (the default when absent).
    #[default]
    SendRecv,
    /// `a=sendonly`: the sender puts the other side on hold (music on hold).
    SendOnly,
    /// `a=recvonly`.
    RecvOnly,
    /// `a=inactive`: no media either way.
    Inactive,
}

impl Direction {
    /// The attribute name, e.g. `sendonly`.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::SendRecv => "sendrecv",
            Direction::SendOnly => "sendonly",
            Direction::RecvOnly => "recvonly",
            Direction::Inactive => "inactive",
        }
    }

    /// The direction an answerer uses for an offered direction, given what it wants itself
    /// (RFC 3264 §6.1): sendonly ↔ recvonly, inactive stays inactive.
    pub fn answer_to(self, local: Direction) -> Direction {
        let (offer_send, offer_recv) = self.flags();
        let (local_send, local_recv) = local.flags();
        Direction::from_flags(local_send && offer_recv, local_recv && offer_send)
    }

    /// Whether this side sends media.
    pub fn sends(self) -> bool {
        self.flags().0
    }

    /// Whether this side receives media.
    pub fn receives(self) -> bool {
        self.flags().1
    }

    fn flags(self) -> (bool, bool) {
        match self {
            Direction::SendRecv => (true, true),
            Direction::SendOnly => (true, false),
            Direction::RecvOnly => (false, true),
            Direction::Inactive => (false, false),
        }
    }

    fn from_flags(send: bool, recv: bool) -> Direction {
        match (send, recv) {
            (true, true) => Direction::SendRecv,
            (true, false) => Direction::SendOnly,
            (false, true) => Direction::RecvOnly,
            (false, false) => Direction::Inactive,
        }
    }

    fn parse(s: &str) -> Option<Direction> {
        Some(match s {
            "sendrecv" => Direction::SendRecv,
            "sendonly" => Direction::SendOnly,
            "recvonly" => Direction::RecvOnly,
            "inactive" => Direction::Inactive,
            _ => return None,
        })
    }
}

/// The `o=` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// User name, `-` when none.
    pub username: String,
    /// Session id (numeric in practice; kept as text since some devices exceed `u64`).
    pub session_id: String,
    /// Session version; an answerer increments it on every changed description.
    pub session_version: String,
    /// Address type and unicast address, e.g. `IP4 192.0.2.1`.
    pub address: Connection,
}

/// A `c=` line: `IN IP4 <addr>` or `IN IP6 <addr>`, a TTL/count suffix dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    /// `true` for `IP6`.
    pub ipv6: bool,
    /// The address text (an IP address, or a host name some devices send).
    pub address: String,
}

impl Connection {
    /// A connection line for an IP address.
    pub fn new(ip: IpAddr) -> Connection {
        Connection {
            ipv6: ip.is_ipv6(),
            address: ip.to_string(),
        }
    }

    /// The address as an IP address, if it is one.
    pub fn ip(&self) -> Option<IpAddr> {
        self.address.parse().ok()
    }

    /// Old-style hold (RFC 2543): `c=IN IP4 0.0.0.0`.
    pub fn is_hold(&self) -> bool {
        self.ip().is_some_and(|ip| ip.is_unspecified())
    }

    fn parse(value: &str) -> Option<Connection> {
        let mut it = value.split_ascii_whitespace();
        let (net, ty, addr) = (it.next()?, it.next()?, it.next()?);
        if net != "IN" {
            return None;
        }
        let ipv6 = match ty {
            "IP4" => false,
            "IP6" => true,
            _ => return None,
        };
        let address = addr.split('/').next().unwrap_or(addr).to_string();
        if address.is_empty() {
            return None;
        }
        Some(Connection { ipv6, address })
    }
}

impl fmt::Display for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ty = if self.ipv6 { "IP6" } else { "IP4" };
        write!(f, "IN {ty} {}", self.address)
    }
}

/// An `a=rtpmap:<pt> <encoding>/<clock>[/<channels>]` attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtpMap {
    /// Payload type.
    pub payload_type: u8,
    /// Encoding name as sent (compare case-insensitively).
    pub encoding: String,
    /// Clock rate in Hz.
    pub clock_rate: u32,
    /// Channel count, when given.
    pub channels: Option<u8>,
}

impl RtpMap {
    fn parse(value: &str) -> Option<RtpMap> {
        let (pt, rest) = value.split_once(char::is_whitespace)?;
        let mut parts = rest.trim().split('/');
        let encoding = parts.next()?.to_string();
        let clock_rate = parts.next()?.trim().parse().ok()?;
        let channels = match parts.next() {
            Some(c) => Some(c.trim().parse().ok()?),
            None => None,
        };
        Some(RtpMap {
            payload_type: pt.trim().parse().ok()?,
            encoding,
            clock_rate,
            channels,
        })
    }
}

impl fmt::Display for RtpMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}/{}",
            self.payload_type, self.encoding, self.clock_rate
        )?;
        if let Some(c) = self.channels {
            write!(f, "/{c}")?;
        }
        Ok(())
    }
}

/// An attribute this crate does not interpret, kept verbatim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    /// Name before the colon.
    pub name: String,
    /// Value after the colon, `None` for a flag attribute.
    pub value: Option<String>,
}

impl fmt::Display for Attribute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.value {
            Some(v) => write!(f, "{}:{}", self.name, v),
            None => f.write_str(&self.name),
        }
    }
}

/// One `m=` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaDescription {
    /// Media type: `audio`, `video`, `image`, …
    pub media: String,
    /// Transport port; 0 means the stream is rejected/disabled.
    pub port: u16,
    /// Proto, e.g. `RTP/AVP`.
    pub proto: String,
    /// Format list in offer order (payload type numbers for RTP).
    pub formats: Vec<String>,
    /// Media-level `c=` line, overriding the session one.
    pub connection: Option<Connection>,
    /// `a=rtpmap` lines.
    pub rtpmaps: Vec<RtpMap>,
    /// `a=fmtp` lines as (payload type, parameters).
    pub fmtps: Vec<(u8, String)>,
    /// Media-level direction, if given.
    pub direction: Option<Direction>,
    /// `a=ptime` in milliseconds.
    pub ptime: Option<u32>,
    /// Other attributes, verbatim.
    pub attributes: Vec<Attribute>,
}

impl MediaDescription {
    /// A new media section without attributes.
    pub fn new(media: &str, port: u16, proto: &str) -> MediaDescription {
        MediaDescription {
            media: media.to_string(),
            port,
            proto: proto.to_string(),
            formats: Vec::new(),
            connection: None,
            rtpmaps: Vec::new(),
            fmtps: Vec::new(),
            direction: None,
            ptime: None,
            attributes: Vec::new(),
        }
    }

    /// The rtpmap of a payload type, if present.
    pub fn rtpmap(&self, pt: u8) -> Option<&RtpMap> {
        self.rtpmaps.iter().find(|m| m.payload_type == pt)
    }

    /// The fmtp parameters of a payload type, if present.
    pub fn fmtp(&self, pt: u8) -> Option<&str> {
        self.fmtps
            .iter()
            .find(|(p, _)| *p == pt)
            .map(|(_, s)| s.as_str())
    }

    /// Payload types in offer order (formats that are not numbers are skipped).
    pub fn payload_types(&self) -> impl Iterator<Item = u8> + '_ {
        self.formats.iter().filter_map(|f| f.parse().ok())
    }

    fn parse_m(value: &str) -> Option<MediaDescription> {
        let mut it = value.split_ascii_whitespace();
        let media = it.next()?;
        let port_text = it.next()?;
        let port = port_text.split('/').next()?.parse().ok()?;
        let proto = it.next()?;
        let mut m = MediaDescription::new(media, port, proto);
        m.formats = it.map(str::to_string).collect();
        Some(m)
    }
}

impl fmt::Display for MediaDescription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "m={} {} {}", self.media, self.port, self.proto)?;
        for fmt in &self.formats {
            write!(f, " {fmt}")?;
        }
        f.write_str("\r\n")?;
        if let Some(c) = &self.connection {
            write!(f, "c={c}\r\n")?;
        }
        for m in &self.rtpmaps {
            write!(f, "a=rtpmap:{m}\r\n")?;
        }
        for (pt, p) in &self.fmtps {
            write!(f, "a=fmtp:{pt} {p}\r\n")?;
        }
        if let Some(p) = self.ptime {
            write!(f, "a=ptime:{p}\r\n")?;
        }
        for a in &self.attributes {
            write!(f, "a={a}\r\n")?;
        }
        if let Some(d) = self.direction {
            write!(f, "a={}\r\n", d.as_str())?;
        }
        Ok(())
    }
}

/// A whole session description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionDescription {
    /// The `o=` line.
    pub origin: Origin,
    /// The `s=` line (`-` when empty).
    pub session_name: String,
    /// Session-level `c=` line.
    pub connection: Option<Connection>,
    /// The first `t=` line, `0 0` by default.
    pub timing: String,
    /// Session-level direction, if given.
    pub direction: Option<Direction>,
    /// Other session-level attributes, verbatim.
    pub attributes: Vec<Attribute>,
    /// Media sections in order.
    pub media: Vec<MediaDescription>,
}

impl SessionDescription {
    /// Parses an SDP body (bytes from a SIP message).
    pub fn parse_bytes(body: &[u8]) -> Result<SessionDescription, ParseError> {
        let text = std::str::from_utf8(body).map_err(|_| ParseError::NotUtf8)?;
        SessionDescription::parse(text)
    }

    /// Parses SDP text.
    pub fn parse(text: &str) -> Result<SessionDescription, ParseError> {
        let mut lines = text
            .split('\n')
            .map(|l| l.strip_suffix('\r').unwrap_or(l))
            .enumerate()
            .map(|(i, l)| (i + 1, l))
            .filter(|(_, l)| !l.trim().is_empty());

        match lines.next() {
            Some((_, l)) if l.starts_with("v=") => {
                let v = l[2..].trim();
                if v != "0" {
                    return Err(ParseError::BadVersion(v.to_string()));
                }
            }
            _ => return Err(ParseError::MissingVersion),
        }

        let mut origin = None;
        let mut session_name = String::from("-");
        let mut connection = None;
        let mut timing = None;
        let mut direction = None;
        let mut attributes = Vec::new();
        let mut media: Vec<MediaDescription> = Vec::new();

        for (n, line) in lines {
            let bytes = line.as_bytes();
            if bytes.len() < 2 || bytes[1] != b'=' || !bytes[0].is_ascii_alphabetic() {
                return Err(ParseError::Malformed { line: n });
            }
            let kind = bytes[0];
            let value = line[2..].trim();
            let bad = |what| ParseError::BadValue { line: n, what };
            match (kind, media.last_mut()) {
                (b'o', None) => {
                    origin = Some(parse_origin(value).ok_or(bad("origin"))?);
                }
                (b's', None) => {
                    session_name = if value.is_empty() { "-" } else { value }.to_string();
                }
                (b't', None) if timing.is_none() => {
                    timing = Some(value.to_string());
                }
                (b'c', None) => {
                    connection = Some(Connection::parse(value).ok_or(bad("connection"))?);
                }
                (b'c', Some(m)) => {
                    m.connection = Some(Connection::parse(value).ok_or(bad("connection"))?);
                }
                (b'm', _) => {
                    if origin.is_none() {
                        return Err(ParseError::MissingOrigin);
                    }
                    media.push(MediaDescription::parse_m(value).ok_or(bad("media"))?);
                }
                (b'a', None) => {
                    let (name, val) = split_attr(value);
                    match Direction::parse(name) {
                        Some(d) if val.is_none() => direction = Some(d),
                        _ => attributes.push(Attribute {
                            name: name.to_string(),
                            value: val.map(str::to_string),
                        }),
                    }
                }
                (b'a', Some(m)) => parse_media_attr(m, value).ok_or_else(|| {
                    bad(if value.starts_with("rtpmap") {
                        "rtpmap"
                    } else {
                        "ptime"
                    })
                })?,
                _ => {}
            }
        }

        Ok(SessionDescription {
            origin: origin.ok_or(ParseError::MissingOrigin)?,
            session_name,
            connection,
            timing: timing.unwrap_or_else(|| "0 0".to_string()),
            direction,
            attributes,
            media,
        })
    }

    /// The connection that applies to a media section: its own, else the session one.
    pub fn connection_for<'a>(&'a self, media: &'a MediaDescription) -> Option<&'a Connection> {
        media.connection.as_ref().or(self.connection.as_ref())
    }

    /// The direction that applies to a media section: its own, else the session one,
    /// else sendrecv.
    pub fn direction_for(&self, media: &MediaDescription) -> Direction {
        media.direction.or(self.direction).unwrap_or_default()
    }

    /// The first audio section with a non-zero port and its index.
    pub fn audio(&self) -> Option<(usize, &MediaDescription)> {
        self.media
            .iter()
            .enumerate()
            .find(|(_, m)| m.media.eq_ignore_ascii_case("audio") && m.port != 0)
    }
}

impl fmt::Display for SessionDescription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let o = &self.origin;
        write!(
            f,
            "v=0\r\no={} {} {} {}\r\ns={}\r\n",
            o.username, o.session_id, o.session_version, o.address, self.session_name
        )?;
        if let Some(c) = &self.connection {
            write!(f, "c={c}\r\n")?;
        }
        write!(f, "t={}\r\n", self.timing)?;
        for a in &self.attributes {
            write!(f, "a={a}\r\n")?;
        }
        if let Some(d) = self.direction {
            write!(f, "a={}\r\n", d.as_str())?;
        }
        for m in &self.media {
            write!(f, "{m}")?;
        }
        Ok(())
    }
}

fn parse_origin(value: &str) -> Option<Origin> {
    let mut it = value.split_ascii_whitespace();
    let username = it.next()?.to_string();
    let session_id = it.next()?.to_string();
    let session_version = it.next()?.to_string();
    let rest: Vec<&str> = it.collect();
    let address = Connection::parse(&rest.join(" "))?;
    Some(Origin {
        username,
        session_id,
        session_version,
        address,
    })
}

fn split_attr(value: &str) -> (&str, Option<&str>) {
    match value.split_once(':') {
        Some((n, v)) => (n.trim(), Some(v.trim())),
        None => (value.trim(), None),
    }
}

fn parse_media_attr(m: &mut MediaDescription, value: &str) -> Option<()> {
    let (name, val) = split_attr(value);
    match (name, val) {
        ("rtpmap", Some(v)) => m.rtpmaps.push(RtpMap::parse(v)?),
        ("fmtp", Some(v)) => {
            // A malformed fmtp is kept verbatim rather than failing the whole body.
            match v.split_once(char::is_whitespace) {
                Some((pt, p)) if pt.parse::<u8>().is_ok() => {
                    m.fmtps.push((pt.parse().ok()?, p.trim().to_string()));
                }
                _ => m.attributes.push(Attribute {
                    name: name.to_string(),
                    value: Some(v.to_string()),
                }),
            }
        }
        ("ptime", Some(v)) => {
            // Some devices send fractional ptime ("20.0").
            let ms: f64 = v.parse().ok()?;
            if !(1.0..=1000.0).contains(&ms) {
                return None;
            }
            m.ptime = Some(ms.round() as u32);
        }
        _ => match Direction::parse(name) {
            Some(d) if val.is_none() => m.direction = Some(d),
            _ => m.attributes.push(Attribute {
                name: name.to_string(),
                value: val.map(str::to_string),
            }),
        },
    }
    Some(())
}

//! [`Uri`]: `sip:`, `sips:`, `tel:` and opaque URIs, parsed and written back.
//!
//! Why our own: rsip 0.4 refuses `tel:` URIs and IPv6 hosts, and RFC 4475 has URIs whose
//! user part holds `?` and `;`. Host-and-port parsing lives here too (Via uses it).

use super::error::{truncate_for_error, WireError};
use super::params::{find_param, parse_params, write_params, Param};
use std::fmt;

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

/// Parse `host[:port]` (IPv6 literals in brackets, which are kept).
pub(super) fn parse_hostport(s: &str) -> Option<(String, Option<u16>)> {
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

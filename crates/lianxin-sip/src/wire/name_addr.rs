//! [`NameAddr`]: a name-addr or addr-spec with header parameters (From, To, Contact, Route).
//!
//! Why a file of its own: display names with quotes and escapes, `<uri>` versus bare
//! addr-spec, and the parameters after them are one grammar that four headers share.

use super::error::{truncate_for_error, WireError};
use super::params::{find_param, parse_params, set_param, write_params, Param};
use super::uri::Uri;
use std::fmt;

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

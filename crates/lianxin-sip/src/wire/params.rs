//! `;name=value` parameters (URI, Via, name-addr) and the quote-aware list splitter.
//!
//! Why a file of its own: URIs, name-addrs and Via share one parameter syntax, and comma
//! or semicolon lists must be split outside quotes and angle brackets everywhere alike.

use std::fmt;

/// A `name[=value]` parameter (URI, Via, name-addr).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    /// Name as received.
    pub name: String,
    /// Value, if any (quotes kept as received).
    pub value: Option<String>,
}

/// The first parameter with that name (case-insensitive).
pub(super) fn find_param<'a>(params: &'a [Param], name: &str) -> Option<&'a Param> {
    params.iter().find(|p| p.name.eq_ignore_ascii_case(name))
}

/// Set (or add) a parameter.
pub(super) fn set_param(params: &mut Vec<Param>, name: &str, value: Option<String>) {
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

/// Write `;name[=value]` for each parameter.
pub(super) fn write_params(f: &mut impl fmt::Write, params: &[Param]) -> fmt::Result {
    for p in params {
        match &p.value {
            Some(v) => write!(f, ";{}={}", p.name, v)?,
            None => write!(f, ";{}", p.name)?,
        }
    }
    Ok(())
}

/// Parse `a=b;c` (the text after the first `;`).
pub(super) fn parse_params(s: &str) -> Vec<Param> {
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

/// Split on `sep` outside double quotes and angle brackets.
pub(super) fn split_outside_quotes(s: &str, sep: u8) -> Vec<&str> {
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

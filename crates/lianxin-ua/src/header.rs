//! Checks on the extra headers an owner puts on an outbound INVITE
//! ([`OutgoingCall::headers`](crate::OutgoingCall::headers)).
//!
//! The headers come from configuration and campaign data, not from the SIP core, so a
//! stray CR/LF could smuggle a header or a whole message onto the wire. Each pair is
//! checked before the INVITE is built: the name must be an RFC 3261 `token` and must not
//! be one of the headers the SIP core writes itself (Via, From, To, Call-ID, CSeq, …);
//! the value must hold no control characters but HTAB. A refused header refuses the
//! whole call with [`HeaderError`]; nothing is sent.

/// Headers the SIP core writes itself (long and compact forms, lowercase).
const RESERVED: &[&str] = &[
    "via",
    "v",
    "from",
    "f",
    "to",
    "t",
    "call-id",
    "i",
    "cseq",
    "contact",
    "m",
    "content-length",
    "l",
    "content-type",
    "c",
    "max-forwards",
    "route",
    "record-route",
    "allow",
    "user-agent",
    "authorization",
    "proxy-authorization",
];

/// Most bytes in one extra header value.
const MAX_VALUE: usize = 1024;

/// Why an extra header was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    /// The name is empty or holds a character outside the RFC 3261 `token` set.
    #[error("header name {0:?} is not a SIP token")]
    BadName(String),
    /// The SIP core writes this header itself.
    #[error("header {0:?} is set by the user agent and cannot be given")]
    Reserved(String),
    /// The value holds CR, LF or another control character, or is too long.
    #[error("value of header {0:?} holds a line break or control character, or is too long")]
    BadValue(String),
}

/// Checks one extra header.
pub fn check(name: &str, value: &str) -> Result<(), HeaderError> {
    if name.is_empty() || !name.bytes().all(is_token_byte) {
        return Err(HeaderError::BadName(name.to_string()));
    }
    if RESERVED.contains(&name.to_ascii_lowercase().as_str()) {
        return Err(HeaderError::Reserved(name.to_string()));
    }
    if value.len() > MAX_VALUE || value.chars().any(|c| c.is_control() && c != '\t') {
        return Err(HeaderError::BadValue(name.to_string()));
    }
    Ok(())
}

/// RFC 3261 §25.1: `token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~")`.
fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-.!%*_+`'~".contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn campaign_and_identity_headers_pass() {
        assert_eq!(
            check(
                "P-Asserted-Identity",
                "\"居委会\" <sip:+861051663371@trunk>"
            ),
            Ok(())
        );
        assert_eq!(check("X-Lianxin-Campaign", "42"), Ok(()));
        assert_eq!(check("X-Tab", "a\tb"), Ok(()));
        assert_eq!(check("X-Empty", ""), Ok(()));
    }

    #[test]
    fn bad_names_are_refused() {
        for name in [
            "",
            "X Campaign",
            "X-Camp:aign",
            "X-Lianxin\r\nVia",
            "名字",
            "X@1",
        ] {
            assert_eq!(
                check(name, "1"),
                Err(HeaderError::BadName(name.to_string())),
                "{name:?}"
            );
        }
    }

    #[test]
    fn headers_the_core_writes_are_refused() {
        for name in [
            "Via",
            "call-id",
            "CSEQ",
            "i",
            "Content-Length",
            "Contact",
            "To",
        ] {
            assert_eq!(
                check(name, "x"),
                Err(HeaderError::Reserved(name.to_string())),
                "{name:?}"
            );
        }
    }

    #[test]
    fn line_breaks_and_controls_in_values_are_refused() {
        for value in [
            "42\r\nVia: SIP/2.0/UDP evil",
            "42\n",
            "42\r",
            "a\0b",
            "\u{7f}",
        ] {
            assert_eq!(
                check("X-Lianxin-Campaign", value),
                Err(HeaderError::BadValue("X-Lianxin-Campaign".into())),
                "{value:?}"
            );
        }
        assert!(check("X-Long", &"a".repeat(MAX_VALUE + 1)).is_err());
    }
}

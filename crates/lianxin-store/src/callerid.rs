//! Caller-ID normalization for Chinese numbers.
//!
//! The carrier trunk, desk phones, CSV files and staff at the keyboard write the same
//! number in many shapes: `65123456`, `010-6512 3456`, `+86 10 6512 3456`,
//! `0086 10 65123456`, `sip:+861065123456@trunk;user=phone`, `"Fan" <sip:65123456@pbx>`.
//! Every one of them must find the same household, so [`normalize`] reduces them all to a
//! single *national significant form with trunk prefix*: landlines as `0` + area code +
//! subscriber number (`01065123456`), mobiles as their 11 digits (`13912345678`). The
//! database stores and indexes that form; nothing else is ever compared.
//!
//! This module is pure (no I/O, no clock) and never panics on any input.

use serde::Serialize;
use std::fmt;

/// What kind of number a normalized caller ID is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NumberKind {
    /// A fixed line: `0` + area code + subscriber number.
    Landline,
    /// A Chinese mobile number, 11 digits starting with `1[3-9]`.
    Mobile,
    /// A service or short number (`110`, `95555`, `400…`) or a foreign number (`+44…`).
    Other,
}

impl NumberKind {
    /// The text stored in the database (`landline`, `mobile`, `other`).
    pub fn as_str(self) -> &'static str {
        match self {
            NumberKind::Landline => "landline",
            NumberKind::Mobile => "mobile",
            NumberKind::Other => "other",
        }
    }

    /// Parses the database text back.
    pub fn parse(s: &str) -> Option<NumberKind> {
        match s {
            "landline" => Some(NumberKind::Landline),
            "mobile" => Some(NumberKind::Mobile),
            "other" => Some(NumberKind::Other),
            _ => None,
        }
    }
}

/// A number in its normalized form (see the module documentation).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Normalized {
    /// Digits in national form: `01065123456`, `13912345678`; foreign numbers keep `+`.
    pub number: String,
    /// Landline, mobile or other.
    pub kind: NumberKind,
}

impl Normalized {
    /// The E.164 form (`+861065123456`), for dialling out over a trunk that wants it.
    pub fn e164(&self) -> String {
        match self.kind {
            NumberKind::Landline => format!("+86{}", &self.number[1..]),
            NumberKind::Mobile => format!("+86{}", self.number),
            NumberKind::Other => self.number.clone(),
        }
    }
}

impl fmt::Display for Normalized {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.number)
    }
}

/// The result of normalizing a caller ID.
///
/// Serializes as `{"type":"number","number":"01065123456","kind":"landline"}`,
/// `{"type":"anonymous"}` or `{"type":"invalid","reason":"…"}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CallerId {
    /// A usable number.
    Number(Normalized),
    /// The caller withheld the number (or the network did not deliver one).
    Anonymous,
    /// Something that is not a phone number; the text says why.
    Invalid(String),
}

impl Serialize for CallerId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        match self {
            CallerId::Number(n) => {
                let mut st = s.serialize_struct("CallerId", 3)?;
                st.serialize_field("type", "number")?;
                st.serialize_field("number", &n.number)?;
                st.serialize_field("kind", &n.kind)?;
                st.end()
            }
            CallerId::Anonymous => {
                let mut st = s.serialize_struct("CallerId", 1)?;
                st.serialize_field("type", "anonymous")?;
                st.end()
            }
            CallerId::Invalid(reason) => {
                let mut st = s.serialize_struct("CallerId", 2)?;
                st.serialize_field("type", "invalid")?;
                st.serialize_field("reason", reason)?;
                st.end()
            }
        }
    }
}

impl CallerId {
    /// The normalized number, when there is one.
    pub fn number(&self) -> Option<&Normalized> {
        match self {
            CallerId::Number(n) => Some(n),
            _ => None,
        }
    }
}

/// Words that carriers and PBXs put in place of a withheld number.
const ANONYMOUS_WORDS: &[&str] = &[
    "anonymous",
    "anonymous.invalid",
    "unavailable",
    "unknown",
    "restricted",
    "private",
    "withheld",
    "blocked",
    "unknown-caller",
    "null",
    "none",
];

/// Normalizes a caller ID as it arrives from SIP, a CSV file or a keyboard.
///
/// `local_area` is the area code assumed for 7–8 digit local numbers, with or without its
/// trunk `0` (`"010"` and `"10"` both mean Beijing).
pub fn normalize(raw: &str, local_area: &str) -> CallerId {
    let text = raw.trim();
    if text.is_empty() {
        return CallerId::Anonymous;
    }
    let user = match uri_user(text) {
        Ok(u) => u,
        Err(reason) => return CallerId::Invalid(reason),
    };
    let lowered = user.trim().to_ascii_lowercase();
    if lowered.is_empty() || ANONYMOUS_WORDS.contains(&lowered.as_str()) {
        return CallerId::Anonymous;
    }
    let digits = match clean_digits(&user) {
        Ok(d) => d,
        Err(reason) => return CallerId::Invalid(reason),
    };
    classify(&digits, local_area)
}

/// Extracts the user part of a SIP/TEL URI (or returns the text itself).
fn uri_user(text: &str) -> Result<String, String> {
    let mut s = text;
    // Display-name form: `"Fan" <sip:65123456@trunk>;tag=1`.
    if let Some(open) = s.find('<') {
        let rest = &s[open + 1..];
        let close = rest
            .find('>')
            .ok_or_else(|| "unterminated <…> in caller ID".to_string())?;
        s = rest[..close].trim();
    }
    let s = s.trim_matches('"').trim();
    let lower_prefix: String = s.chars().take(5).collect::<String>().to_ascii_lowercase();
    let (is_uri, body) = if lower_prefix.starts_with("sips:") {
        (true, &s[5..])
    } else if lower_prefix.starts_with("sip:") || lower_prefix.starts_with("tel:") {
        (true, &s[4..])
    } else {
        (false, s)
    };
    if !is_uri {
        return Ok(s.to_string());
    }
    let (user, host) = match body.find('@') {
        Some(at) => (&body[..at], Some(&body[at + 1..])),
        None => (body, None),
    };
    // A user part may carry tel parameters (`+861065123456;npdi`).
    let user = user.split(';').next().unwrap_or("");
    let user = percent_decode(user);
    if let Some(host) = host {
        let host = host.split([';', ':', '?']).next().unwrap_or("");
        if host.eq_ignore_ascii_case("anonymous.invalid") {
            return Ok("anonymous".to_string());
        }
    }
    Ok(user)
}

/// Decodes `%XX` escapes (a `+` is often sent as `%2B`); bad escapes stay as they are.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hi = (bytes[i + 1] as char).to_digit(16);
            let lo = (bytes[i + 2] as char).to_digit(16);
            if let (Some(hi), Some(lo)) = (hi, lo) {
                out.push((hi * 16 + lo) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_string())
}

/// Keeps a leading `+` and the digits; drops visual separators; rejects anything else.
fn clean_digits(user: &str) -> Result<String, String> {
    let mut out = String::with_capacity(user.len());
    for (i, c) in user.chars().enumerate() {
        match c {
            '0'..='9' => out.push(c),
            // Full-width digits typed with a Chinese input method.
            '０'..='９' => out.push((b'0' + (c as u32 - '０' as u32) as u8) as char),
            '+' | '＋' if out.is_empty() => out.push('+'),
            ' ' | '-' | '.' | '(' | ')' | '/' | '\u{a0}' | '\u{3000}' | '－' | '（' | '）' => {}
            _ => {
                return Err(format!(
                    "unexpected character {c:?} at position {} in caller ID",
                    i + 1
                ))
            }
        }
    }
    if out.is_empty() || out == "+" {
        return Err("no digits in caller ID".to_string());
    }
    Ok(out)
}

fn is_mobile(d: &str) -> bool {
    let b = d.as_bytes();
    b.len() == 11 && b[0] == b'1' && (b'3'..=b'9').contains(&b[1])
}

/// Length of the area code (without trunk 0) at the start of a national number, if valid.
fn area_len(national: &str) -> Option<usize> {
    let b = national.as_bytes();
    match b.first()? {
        b'1' if b.get(1) == Some(&b'0') => Some(2), // 10 Beijing
        b'2' => Some(2),                            // 20–29 big cities
        b'3'..=b'9' => Some(3),
        _ => None,
    }
}

/// A national number without trunk 0 (`1065123456`, `13912345678`) → normalized.
fn national(n: &str) -> Option<Normalized> {
    if is_mobile(n) {
        return Some(Normalized {
            number: n.to_string(),
            kind: NumberKind::Mobile,
        });
    }
    let area = area_len(n)?;
    let subscriber = n.len().checked_sub(area)?;
    if (7..=8).contains(&subscriber) && !n[area..].starts_with(['0', '1']) {
        return Some(Normalized {
            number: format!("0{n}"),
            kind: NumberKind::Landline,
        });
    }
    None
}

fn classify(digits: &str, local_area: &str) -> CallerId {
    let invalid = |why: &str| CallerId::Invalid(format!("{why}: {digits}"));
    if digits.len() > 20 {
        return invalid("too many digits");
    }
    // International forms.
    let intl = if let Some(rest) = digits.strip_prefix('+') {
        Some(rest)
    } else {
        digits.strip_prefix("00")
    };
    if let Some(rest) = intl {
        if let Some(cn) = rest.strip_prefix("86") {
            let cn = cn.strip_prefix('0').unwrap_or(cn); // `+86 010 …` is a common mistake
            return match national(cn) {
                Some(n) => CallerId::Number(n),
                None => invalid("not a valid Chinese number after +86"),
            };
        }
        if rest.len() < 6 || rest.starts_with('0') {
            return invalid("not a valid international number");
        }
        return CallerId::Number(Normalized {
            number: format!("+{rest}"),
            kind: NumberKind::Other,
        });
    }
    // `86…` without `+`: only when the rest is a full national number.
    if let Some(rest) = digits.strip_prefix("86") {
        if (10..=11).contains(&rest.len()) {
            if let Some(n) = national(rest) {
                return CallerId::Number(n);
            }
        }
    }
    if is_mobile(digits) {
        return CallerId::Number(Normalized {
            number: digits.to_string(),
            kind: NumberKind::Mobile,
        });
    }
    if let Some(rest) = digits.strip_prefix('0') {
        // `013912345678`: a PBX put a trunk 0 in front of a mobile.
        if is_mobile(rest) {
            return CallerId::Number(Normalized {
                number: rest.to_string(),
                kind: NumberKind::Mobile,
            });
        }
        return match national(rest) {
            Some(n) => CallerId::Number(n),
            None => invalid("not a valid area code and number"),
        };
    }
    // Beijing number without trunk 0 (`1065123456`).
    if digits.len() == 10 && digits.starts_with("10") {
        if let Some(n) = national(digits) {
            return CallerId::Number(n);
        }
    }
    // Service numbers: 400/800 and short codes.
    if (digits.len() == 10 && (digits.starts_with("400") || digits.starts_with("800")))
        || (3..=6).contains(&digits.len())
    {
        return CallerId::Number(Normalized {
            number: digits.to_string(),
            kind: NumberKind::Other,
        });
    }
    // Local subscriber number.
    if (7..=8).contains(&digits.len()) && !digits.starts_with('1') {
        let area = local_area.trim().trim_start_matches('0');
        if area.is_empty() || !area.bytes().all(|b| b.is_ascii_digit()) {
            return invalid("local number but no valid local area code configured");
        }
        return CallerId::Number(Normalized {
            number: format!("0{area}{digits}"),
            kind: NumberKind::Landline,
        });
    }
    invalid("not a recognizable phone number")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn land(n: &str) -> CallerId {
        CallerId::Number(Normalized {
            number: n.into(),
            kind: NumberKind::Landline,
        })
    }
    fn mob(n: &str) -> CallerId {
        CallerId::Number(Normalized {
            number: n.into(),
            kind: NumberKind::Mobile,
        })
    }
    fn other(n: &str) -> CallerId {
        CallerId::Number(Normalized {
            number: n.into(),
            kind: NumberKind::Other,
        })
    }

    #[test]
    fn table() {
        let cases: &[(&str, CallerId)] = &[
            // Beijing landline, every form.
            ("65123456", land("01065123456")),
            ("6512-3456", land("01065123456")),
            ("6512 3456", land("01065123456")),
            ("01065123456", land("01065123456")),
            ("010-65123456", land("01065123456")),
            ("(010) 6512-3456", land("01065123456")),
            ("（010）65123456", land("01065123456")),
            ("+861065123456", land("01065123456")),
            ("+86 10 6512 3456", land("01065123456")),
            ("+86-10-6512-3456", land("01065123456")),
            ("+86 (0)10 65123456", land("01065123456")),
            ("+86010 65123456", land("01065123456")),
            ("00861065123456", land("01065123456")),
            ("0086 10 65123456", land("01065123456")),
            ("861065123456", land("01065123456")),
            ("1065123456", land("01065123456")),
            ("  65123456  ", land("01065123456")),
            ("６５１２３４５６", land("01065123456")),
            // Other cities.
            ("02162345678", land("02162345678")),
            ("+862162345678", land("02162345678")),
            (
                "02112345678",
                CallerId::Invalid("not a valid area code and number: 02112345678".into()),
            ),
            ("075582345678", land("075582345678")),
            ("05718234567", land("05718234567")),
            // Mobiles.
            ("13912345678", mob("13912345678")),
            ("139 1234 5678", mob("13912345678")),
            ("139-1234-5678", mob("13912345678")),
            ("+8613912345678", mob("13912345678")),
            ("+86 139 1234 5678", mob("13912345678")),
            ("008613912345678", mob("13912345678")),
            ("8613912345678", mob("13912345678")),
            ("013912345678", mob("13912345678")),
            ("19912345678", mob("19912345678")),
            // SIP and TEL URIs.
            (
                "sip:+861065123456@trunk.example;user=phone",
                land("01065123456"),
            ),
            ("sip:65123456@192.168.1.1", land("01065123456")),
            (
                "sip:01065123456@trunk:5060;transport=udp",
                land("01065123456"),
            ),
            ("sips:+8613912345678@host", mob("13912345678")),
            ("SIP:13912345678@host", mob("13912345678")),
            ("tel:+86-10-6512-3456", land("01065123456")),
            ("tel:+8613912345678;phone-context=+86", mob("13912345678")),
            ("sip:%2B861065123456@host", land("01065123456")),
            (
                "sip:+861065123456;npdi@host;user=phone",
                land("01065123456"),
            ),
            ("\"Fan\" <sip:65123456@trunk>", land("01065123456")),
            (
                "\"范先翔\" <sip:+8613912345678@trunk>;tag=abc",
                mob("13912345678"),
            ),
            ("<tel:65123456>", land("01065123456")),
            ("Fan <sip:010-6512-3456@trunk>", land("01065123456")),
            // Anonymous / withheld.
            ("", CallerId::Anonymous),
            ("   ", CallerId::Anonymous),
            ("anonymous", CallerId::Anonymous),
            ("Anonymous", CallerId::Anonymous),
            ("sip:anonymous@anonymous.invalid", CallerId::Anonymous),
            (
                "\"Anonymous\" <sip:anonymous@anonymous.invalid>;tag=1",
                CallerId::Anonymous,
            ),
            ("sip:unknown@host", CallerId::Anonymous),
            ("sip:12345@anonymous.invalid", CallerId::Anonymous),
            ("unavailable", CallerId::Anonymous),
            ("restricted", CallerId::Anonymous),
            ("private", CallerId::Anonymous),
            ("PRIVATE", CallerId::Anonymous),
            ("sip:@host", CallerId::Anonymous),
            // Service and foreign numbers.
            ("110", other("110")),
            ("95555", other("95555")),
            ("4008123123", other("4008123123")),
            ("+442079460000", other("+442079460000")),
            ("0044 20 7946 0000", other("+442079460000")),
        ];
        for (raw, want) in cases {
            assert_eq!(&normalize(raw, "010"), want, "input {raw:?}");
        }
    }

    #[test]
    fn invalid_inputs() {
        for raw in [
            "abc",
            "6512x3456",
            "+",
            "12",
            "1234567890123456789012",
            "0123",
            "+86 123",
            "<sip:65123456@host",
            "0012",
            "12345678",
            "10651234",
        ] {
            assert!(
                matches!(normalize(raw, "010"), CallerId::Invalid(_)),
                "{raw:?} should be invalid, got {:?}",
                normalize(raw, "010")
            );
        }
    }

    #[test]
    fn local_area_is_configurable() {
        assert_eq!(
            normalize("12345678", "21"),
            CallerId::Invalid("not a recognizable phone number: 12345678".into())
        );
        assert_eq!(normalize("62345678", "021"), land("02162345678"));
        assert_eq!(normalize("62345678", "21"), land("02162345678"));
        assert_eq!(normalize("6234567", "0571"), land("05716234567"));
        assert!(matches!(normalize("62345678", ""), CallerId::Invalid(_)));
    }

    #[test]
    fn serializes_every_variant() {
        let j = |c: CallerId| serde_json::to_string(&c).unwrap();
        assert_eq!(
            j(normalize("65123456", "010")),
            r#"{"type":"number","number":"01065123456","kind":"landline"}"#
        );
        assert_eq!(j(CallerId::Anonymous), r#"{"type":"anonymous"}"#);
        assert_eq!(
            j(CallerId::Invalid("x".into())),
            r#"{"type":"invalid","reason":"x"}"#
        );
    }

    #[test]
    fn e164() {
        let n = normalize("65123456", "010");
        assert_eq!(
            n.number().map(|n| n.e164()).as_deref(),
            Some("+861065123456")
        );
        let m = normalize("13912345678", "010");
        assert_eq!(
            m.number().map(|n| n.e164()).as_deref(),
            Some("+8613912345678")
        );
    }

    #[test]
    fn never_panics_on_odd_text() {
        for raw in [
            "<",
            ">",
            "<>",
            "\"",
            "sip:",
            "tel:",
            "sips:@",
            "%",
            "%2",
            "%zz1",
            "＋",
            "😀",
            "sip:😀@x",
            "<sip:%E6%@x>",
        ] {
            let _ = normalize(raw, "010");
        }
    }
}

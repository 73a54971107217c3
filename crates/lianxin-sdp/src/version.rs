//! The `o=` version rule for the descriptions one side sends in one dialog.
//!
//! RFC 3264 §8 (and RFC 4566 §5.2): every SDP a side sends after the first carries the
//! same `o=` session id; its version is the previous one plus one when anything in the
//! description changed, and stays the same when nothing did. [`offer`](crate::offer) and
//! [`answer`](crate::answer) are stateless and write
//! [`LocalMedia::session_version`](crate::LocalMedia::session_version) as given, so a
//! caller that answers a hold
//! re-INVITE (a=recvonly) and then the resume (a=sendrecv) with the same `LocalMedia`
//! repeats one version for three different bodies. Seen with baresip against the hotline;
//! baresip did not mind, but a phone may take an unchanged version as "no change" and keep
//! the old direction. [`SdpVersions`] remembers the last description sent and stamps each
//! new one with the right version.

use crate::SessionDescription;

/// The last description one side sent in one dialog; stamps the next one's `o=` version.
#[derive(Debug, Clone, Default)]
pub struct SdpVersions {
    last: Option<SessionDescription>,
}

impl SdpVersions {
    /// Nothing sent yet.
    pub fn new() -> SdpVersions {
        SdpVersions::default()
    }

    /// Starts from a description already sent (e.g. the 200 of the INVITE).
    pub fn with_sent(sent: SessionDescription) -> SdpVersions {
        SdpVersions { last: Some(sent) }
    }

    /// The description last stamped, if any.
    pub fn last(&self) -> Option<&SessionDescription> {
        self.last.as_ref()
    }

    /// Gives `next` the previous description's session id and the version the rule
    /// requires (previous + 1 if anything else differs, the previous one otherwise),
    /// remembers it and returns it. The first description is returned unchanged.
    pub fn stamp(&mut self, mut next: SessionDescription) -> SessionDescription {
        if let Some(prev) = &self.last {
            next.origin.session_id = prev.origin.session_id.clone();
            next.origin.session_version = prev.origin.session_version.clone();
            if &next != prev {
                next.origin.session_version = increment(&prev.origin.session_version);
            }
        }
        self.last = Some(next.clone());
        next
    }
}

/// The decimal text plus one (versions may exceed `u64` on some devices, so the text is
/// incremented digit by digit; a non-numeric version restarts at 1).
fn increment(version: &str) -> String {
    if version.is_empty() || !version.bytes().all(|b| b.is_ascii_digit()) {
        return "1".to_string();
    }
    let mut digits = version.as_bytes().to_vec();
    for d in digits.iter_mut().rev() {
        if *d == b'9' {
            *d = b'0';
        } else {
            *d += 1;
            return String::from_utf8(digits).unwrap_or_else(|_| "1".to_string());
        }
    }
    let mut out = String::with_capacity(digits.len() + 1);
    out.push('1');
    out.push_str(&String::from_utf8(digits).unwrap_or_default());
    out
}

#[cfg(test)]
mod tests {
    use super::increment;

    #[test]
    fn increments_decimal_text() {
        for (v, next) in [
            ("0", "1"),
            ("41", "42"),
            ("199", "200"),
            ("999", "1000"),
            ("18446744073709551615", "18446744073709551616"),
            ("", "1"),
            ("abc", "1"),
        ] {
            assert_eq!(increment(v), next, "{v}");
        }
    }
}

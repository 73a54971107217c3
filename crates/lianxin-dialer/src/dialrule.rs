//! How a stored number is dialled on the trunk.
//!
//! The database keeps numbers normalized: Beijing landlines as `010` + 8 digits, mobiles
//! as 11 digits. Trunks differ: one wants the 8-digit local form for its own area, another
//! an outside-line or carrier prefix, another E.164 (`+86…`). A [`DialRule`] is that small,
//! configurable rewrite (the `[dialer.dial_rule]` section of the config); the default
//! dials numbers as stored.

use serde::{Deserialize, Serialize};

/// The rewrite from a stored number to the digits sent to the trunk.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DialRule {
    /// Landlines of this area code are dialled in local form (`010` → 8 digits);
    /// empty = keep the area code.
    pub local_area: String,
    /// Dial in E.164 form: `+86` and the number without its leading `0`.
    pub e164: bool,
    /// Put before every dialled number (an outside line `9`, a carrier code).
    pub prefix: String,
}

/// A dial rule that cannot be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DialRuleError {
    /// The area code is not `0` followed by digits.
    #[error("dial_rule.local_area {0:?} must be an area code such as \"010\"")]
    LocalArea(String),
    /// The prefix has characters a trunk cannot dial.
    #[error("dial_rule.prefix {0:?} may only hold digits, *, # and a leading +")]
    Prefix(String),
    /// Local form and E.164 exclude each other.
    #[error("dial_rule: local_area and e164 cannot both be set")]
    Both,
}

impl DialRule {
    /// Checks the rule.
    pub fn validate(&self) -> Result<(), DialRuleError> {
        let a = &self.local_area;
        if !a.is_empty()
            && (!a.starts_with('0')
                || a.len() < 2
                || a.len() > 4
                || !a.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(DialRuleError::LocalArea(a.clone()));
        }
        let p = self.prefix.strip_prefix('+').unwrap_or(&self.prefix);
        if !p
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'*' || b == b'#')
        {
            return Err(DialRuleError::Prefix(self.prefix.clone()));
        }
        if !a.is_empty() && self.e164 {
            return Err(DialRuleError::Both);
        }
        Ok(())
    }

    /// The digits to dial for the stored number `number`.
    pub fn apply(&self, number: &str) -> String {
        let mut out = self.prefix.clone();
        let is_landline = number.starts_with('0') && !number.starts_with("00");
        let is_mobile = number.len() == 11 && number.starts_with('1');
        let local = number.strip_prefix(self.local_area.as_str());
        match local {
            // Only a whole local subscriber number (7–8 digits) loses its area code.
            Some(rest) if !self.local_area.is_empty() && (7..=8).contains(&rest.len()) => {
                out.push_str(rest)
            }
            _ if self.e164 && is_landline => {
                out.push_str("+86");
                out.push_str(&number[1..]);
            }
            _ if self.e164 && is_mobile => {
                out.push_str("+86");
                out.push_str(number);
            }
            _ => out.push_str(number),
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_dials_as_stored() {
        let r = DialRule::default();
        assert_eq!(r.apply("01065123456"), "01065123456");
        assert_eq!(r.apply("13912345678"), "13912345678");
    }

    #[test]
    fn local_form_drops_only_this_areas_code() {
        let r = DialRule {
            local_area: "010".into(),
            ..Default::default()
        };
        assert_eq!(r.apply("01065123456"), "65123456");
        assert_eq!(
            r.apply("02161234567"),
            "02161234567",
            "Shanghai keeps its code"
        );
        assert_eq!(r.apply("13912345678"), "13912345678");
        assert_eq!(
            r.apply("0106512"),
            "0106512",
            "too short to be a local number"
        );
    }

    #[test]
    fn prefix_and_e164() {
        let r = DialRule {
            prefix: "9".into(),
            local_area: "010".into(),
            ..Default::default()
        };
        assert_eq!(r.apply("01065123456"), "965123456");
        assert_eq!(r.apply("13912345678"), "913912345678");
        let r = DialRule {
            e164: true,
            ..Default::default()
        };
        assert_eq!(r.apply("01065123456"), "+861065123456");
        assert_eq!(r.apply("13912345678"), "+8613912345678");
        assert_eq!(r.apply("110"), "110", "service numbers stay as they are");
    }

    #[test]
    fn validation_names_the_problem() {
        let bad = |r: DialRule| r.validate().unwrap_err();
        assert_eq!(
            bad(DialRule {
                local_area: "10".into(),
                ..Default::default()
            }),
            DialRuleError::LocalArea("10".into())
        );
        assert_eq!(
            bad(DialRule {
                prefix: "9-".into(),
                ..Default::default()
            }),
            DialRuleError::Prefix("9-".into())
        );
        assert_eq!(
            bad(DialRule {
                local_area: "010".into(),
                e164: true,
                ..Default::default()
            }),
            DialRuleError::Both
        );
        assert!(DialRule {
            prefix: "+".into(),
            ..Default::default()
        }
        .validate()
        .is_ok());
    }
}

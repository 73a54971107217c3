//! Redaction of personal data in logs.
//!
//! Phone numbers and names are personal data; logs are read by technicians who have no
//! business seeing them. Wrap them in [`Redacted`] when logging: the log line still shows
//! enough to correlate (`139****5678`, `范**`), not enough to identify.

use std::fmt;

/// Displays a phone number or name with its middle masked.
#[derive(Clone, Copy)]
pub struct Redacted<'a>(pub &'a str);

impl fmt::Display for Redacted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let chars: Vec<char> = self.0.chars().collect();
        let n = chars.len();
        let digits = chars.iter().filter(|c| c.is_ascii_digit()).count();
        if digits * 2 >= n && n >= 7 {
            // A number: keep the first 3 and last 4 characters.
            let head: String = chars[..3].iter().collect();
            let tail: String = chars[n - 4..].iter().collect();
            write!(f, "{head}****{tail}")
        } else if n <= 1 {
            f.write_str("*")
        } else {
            let head: String = chars[..1].iter().collect();
            write!(f, "{head}{}", "*".repeat(n - 1))
        }
    }
}

impl fmt::Debug for Redacted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{self}\"")
    }
}

#[cfg(test)]
mod tests {
    use super::Redacted;

    #[test]
    fn masks_numbers_and_names() {
        assert_eq!(Redacted("13912345678").to_string(), "139****5678");
        assert_eq!(Redacted("01065123456").to_string(), "010****3456");
        assert_eq!(Redacted("范先翔").to_string(), "范**");
        assert_eq!(Redacted("王").to_string(), "*");
        assert_eq!(Redacted("").to_string(), "*");
        assert_eq!(format!("{:?}", Redacted("65123456")), "\"651****3456\"");
    }
}

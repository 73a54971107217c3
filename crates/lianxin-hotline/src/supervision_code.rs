//! The numbers a supervisor dials to join an operator's call: `55<ext>` listens, `56<ext>`
//! also whispers to the operator. Parsed here and only here; `serve` builds the list of
//! numbers the UA admits with [`SupervisionCode::numbers`].

/// Dialled prefix to listen to an operator's call (`55` + extension).
pub const LISTEN_PREFIX: &str = "55";
/// Dialled prefix to whisper to an operator (`56` + extension).
pub const WHISPER_PREFIX: &str = "56";

/// A dialled supervision code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SupervisionCode<'a> {
    /// The operator's extension (or login name).
    pub operator: &'a str,
    /// What the supervisor says reaches the operator (never the caller).
    pub whisper: bool,
}

impl<'a> SupervisionCode<'a> {
    /// The code in a dialled number, if it is one.
    pub fn parse(number: &'a str) -> Option<SupervisionCode<'a>> {
        let (operator, whisper) = match number.strip_prefix(LISTEN_PREFIX) {
            Some(rest) => (rest, false),
            None => (number.strip_prefix(WHISPER_PREFIX)?, true),
        };
        (!operator.is_empty()).then_some(SupervisionCode { operator, whisper })
    }

    /// Both numbers that supervise the operator with this extension (listen, whisper).
    pub fn numbers(extension: &str) -> [String; 2] {
        [
            format!("{LISTEN_PREFIX}{extension}"),
            format!("{WHISPER_PREFIX}{extension}"),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::SupervisionCode;

    #[test]
    fn listen_and_whisper_codes() {
        let listen = SupervisionCode::parse("551001").unwrap();
        assert_eq!((listen.operator, listen.whisper), ("1001", false));
        let whisper = SupervisionCode::parse("561001").unwrap();
        assert_eq!((whisper.operator, whisper.whisper), ("1001", true));
        assert_eq!(SupervisionCode::parse("12345"), None);
        assert_eq!(SupervisionCode::parse("55"), None);
        for n in SupervisionCode::numbers("1001") {
            assert_eq!(SupervisionCode::parse(&n).unwrap().operator, "1001");
        }
    }
}

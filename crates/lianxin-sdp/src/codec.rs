//! [`Codec`]: the one definition of "which G.711 law a stream uses" in the workspace.
//!
//! SDP negotiates it and the media engine encodes with it, so the type lives here, in the
//! crate with no dependencies, and `lianxin-media` re-exports it (adding the G.711 sample
//! arithmetic through its `g711::G711` trait). Anything that turns an SDP answer into a
//! media session passes the negotiated value straight through, with no conversion.

/// An audio codec: one of the two G.711 laws, with its static RTP payload type (RFC 3551).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Codec {
    /// G.711 μ-law, static payload type 0.
    Pcmu,
    /// G.711 A-law, static payload type 8.
    Pcma,
}

impl Codec {
    /// The static payload type (0 or 8).
    pub fn payload_type(self) -> u8 {
        match self {
            Codec::Pcmu => 0,
            Codec::Pcma => 8,
        }
    }

    /// The codec for a static payload type, if it is one of ours.
    pub fn from_payload_type(pt: u8) -> Option<Codec> {
        match pt {
            0 => Some(Codec::Pcmu),
            8 => Some(Codec::Pcma),
            _ => None,
        }
    }

    /// The rtpmap encoding name.
    pub fn encoding(self) -> &'static str {
        match self {
            Codec::Pcmu => "PCMU",
            Codec::Pcma => "PCMA",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Codec;

    #[test]
    fn payload_types_round_trip() {
        for c in [Codec::Pcmu, Codec::Pcma] {
            assert_eq!(Codec::from_payload_type(c.payload_type()), Some(c));
        }
        assert_eq!(Codec::from_payload_type(101), None);
        assert_eq!(Codec::Pcma.encoding(), "PCMA");
    }
}

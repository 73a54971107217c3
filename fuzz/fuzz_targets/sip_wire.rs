//! The SIP wire layer: the parser on a datagram, and the TCP framer on the same bytes
//! pushed in two pieces (every framed message parsed too). Nothing may panic.
#![no_main]

use lianxin_sip::wire::{parse, Framer};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(message) = parse(data) {
        // Serializing what was parsed must not panic either.
        let _ = match &message {
            lianxin_sip::wire::Message::Request(r) => r.to_bytes(),
            lianxin_sip::wire::Message::Response(r) => r.to_bytes(),
        };
    }
    let cut = data
        .first()
        .map_or(0, |b| usize::from(*b) % (data.len() + 1));
    let mut framer = Framer::new();
    for piece in [&data[..cut], &data[cut..]] {
        framer.push(piece);
        while let Ok(Some(message)) = framer.pop() {
            let _ = parse(&message);
        }
    }
});

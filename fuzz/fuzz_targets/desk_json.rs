//! What consoles send the desk: WebSocket command frames and the JSON body of a group-call
//! request (the HTTP body parser and the strict campaign request). Nothing may panic.
#![no_main]

use lianxin_desk::fuzzing;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = fuzzing::console_command(text);
    }
    let _ = fuzzing::campaign_request(data);
});

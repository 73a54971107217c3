//! DTMF carried in SIP INFO bodies (`application/dtmf-relay` and `application/dtmf`).
//!
//! Why a file of its own: it is a small body parser with its own formats, used only by
//! the in-dialog part.

use crate::wire::Request;

/// The digit (and duration in ms, if given) an INFO carries; `None` when it carries none.
pub(super) fn dtmf_from_info(req: &Request) -> Option<(char, Option<u32>)> {
    let ct = req.head.content_type.as_deref()?.to_ascii_lowercase();
    let body = std::str::from_utf8(&req.body).ok()?;
    let valid = |c: char| matches!(c, '0'..='9' | '*' | '#' | 'A'..='D');
    if ct.starts_with("application/dtmf-relay") {
        let mut digit = None;
        let mut duration = None;
        for line in body.lines() {
            let Some((k, v)) = line.split_once('=') else {
                continue;
            };
            match k.trim().to_ascii_lowercase().as_str() {
                "signal" => digit = v.trim().chars().next().map(|c| c.to_ascii_uppercase()),
                "duration" => duration = v.trim().parse().ok(),
                _ => {}
            }
        }
        digit.filter(|c| valid(*c)).map(|d| (d, duration))
    } else if ct.starts_with("application/dtmf") {
        let c = body.trim().chars().next()?.to_ascii_uppercase();
        valid(c).then_some((c, None))
    } else {
        None
    }
}

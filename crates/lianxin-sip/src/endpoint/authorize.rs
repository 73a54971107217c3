//! Answering a digest challenge on a request we send (401 / 407, one retry).
//!
//! Why a file of its own: outgoing calls, in-dialog requests (trunks that challenge BYE)
//! and out-of-dialog requests retry the same way; the digest arithmetic is in `auth`.

use crate::auth::{self, Challenge, Credentials};
use crate::wire::{Request, Response};

/// Add `Authorization` (401) or `Proxy-Authorization` (407) answering the challenge in
/// `resp`. False when there is no usable challenge.
pub(super) fn add_authorization(
    req: &mut Request,
    resp: &Response,
    creds: &Credentials,
    cnonce: &str,
) -> bool {
    let (chal_name, auth_name) = if resp.code == 407 {
        ("Proxy-Authenticate", "Proxy-Authorization")
    } else {
        ("WWW-Authenticate", "Authorization")
    };
    // Prefer SHA-256 when offered, else the first usable challenge.
    let mut best: Option<Challenge> = None;
    for v in resp.head.headers(chal_name) {
        if let Ok(c) = Challenge::parse(v) {
            let better = match &best {
                None => true,
                Some(b) => {
                    b.algorithm == auth::Algorithm::Md5 && c.algorithm == auth::Algorithm::Sha256
                }
            };
            if better {
                best = Some(c);
            }
        }
    }
    let Some(ch) = best else { return false };
    let a = auth::authorize(
        &ch,
        creds,
        req.method.as_str(),
        &req.uri.to_string(),
        cnonce,
        1,
    );
    req.head.remove("Authorization");
    req.head.remove("Proxy-Authorization");
    req.head.push(auth_name, a.to_header_value());
    true
}

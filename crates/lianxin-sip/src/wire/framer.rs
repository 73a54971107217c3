//! Framing: where a message ends. [`Framer`] pops whole messages from a TCP stream by
//! Content-Length (RFC 3261 §18.3); the head-end scan is shared with the parser.
//!
//! Why first: "incomplete" is a normal result on a stream, so framing is decided before
//! any parsing (STYLE.md habit 7), and the size limits are enforced here.

use super::error::WireError;

/// Largest head (start line + headers) the framer accepts before giving up on a stream.
pub const MAX_HEAD: usize = 64 * 1024;
/// Largest body accepted.
pub const MAX_BODY: usize = 64 * 1024;

/// Find the end of the head: index of the first byte of the body, and the head length
/// without the blank line. Accepts CRLFCRLF, and LFLF for lenient peers.
pub(super) fn find_head_end(b: &[u8]) -> Option<(usize, usize)> {
    let mut i = 0;
    while i + 1 < b.len() {
        if b[i] == b'\n' {
            if b[i + 1] == b'\n' {
                return Some((i, i + 2));
            }
            if b[i + 1] == b'\r' && b.get(i + 2) == Some(&b'\n') {
                return Some((i, i + 3));
            }
        }
        i += 1;
    }
    None
}

/// Number of CR/LF bytes before a message (keep-alives between messages).
pub(super) fn skip_leading_crlf(b: &[u8]) -> usize {
    b.iter()
        .take_while(|c| **c == b'\r' || **c == b'\n')
        .count()
}

/// Scan a head for Content-Length without a full parse (for the framer).
fn scan_content_length(head: &str) -> Result<Option<usize>, WireError> {
    let mut found: Option<usize> = None;
    for line in head.lines() {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let name = name.trim();
        if name.eq_ignore_ascii_case("content-length") || name.eq_ignore_ascii_case("l") {
            let v: usize = value
                .trim()
                .parse()
                .map_err(|_| WireError::BadContentLength)?;
            if found.is_some_and(|f| f != v) {
                return Err(WireError::BadContentLength);
            }
            found = Some(v);
        }
    }
    Ok(found)
}

/// Frames messages on a stream transport by Content-Length (RFC 3261 §18.3).
///
/// Push bytes as they arrive; pop whole messages. `Ok(None)` ("incomplete") is normal.
/// An error means the stream is unusable and should be closed.
#[derive(Debug, Default)]
pub struct Framer {
    buf: Vec<u8>,
}

impl Framer {
    /// An empty framer.
    pub fn new() -> Framer {
        Framer::default()
    }

    /// Append received bytes.
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Bytes buffered and not yet popped.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// Pop one whole message (its raw bytes, ready for [`parse`](super::parse)), if one is complete.
    pub fn pop(&mut self) -> Result<Option<Vec<u8>>, WireError> {
        let skip = skip_leading_crlf(&self.buf);
        if skip > 0 {
            self.buf.drain(..skip);
        }
        if self.buf.is_empty() {
            return Ok(None);
        }
        let Some((head_len, body_start)) = find_head_end(&self.buf) else {
            if self.buf.len() > MAX_HEAD {
                return Err(WireError::TooLarge);
            }
            return Ok(None);
        };
        if head_len > MAX_HEAD {
            return Err(WireError::TooLarge);
        }
        let head = std::str::from_utf8(&self.buf[..head_len]).map_err(|_| WireError::NotUtf8)?;
        let cl = scan_content_length(head)?.ok_or(WireError::MissingContentLength)?;
        if cl > MAX_BODY {
            return Err(WireError::TooLarge);
        }
        let total = body_start + cl;
        if self.buf.len() < total {
            return Ok(None);
        }
        let rest = self.buf.split_off(total);
        let msg = std::mem::replace(&mut self.buf, rest);
        Ok(Some(msg))
    }
}

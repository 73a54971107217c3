//! Dialog state (RFC 3261 §12): ids, route set, remote target and CSeq.

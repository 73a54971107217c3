//! The keys that route a message to its owner: the RFC 3261 §17.2.3 [`TransactionKey`]
//! and the role-aware [`DialogId`], computed once per message.
//!
//! Why a file of its own: matching is the endpoint's O(1) lookup, and the two traps it
//! guards against (ACK folding into INVITE, the dialog id depending on our role) are
//! easiest to check in one place.

use super::headers::Via;
use super::message::{Request, Response};
use super::method::Method;

/// The RFC 3261 magic cookie that starts every compliant branch.
pub const MAGIC_COOKIE: &str = "z9hG4bK";

impl Request {
    /// The server transaction key of this request (RFC 3261 §17.2.3).
    pub fn transaction_key(&self) -> TransactionKey {
        TransactionKey::for_request(self)
    }
}

impl Response {
    /// The client transaction key this response matches (RFC 3261 §17.1.3).
    pub fn transaction_key(&self) -> Option<TransactionKey> {
        TransactionKey::for_response(self)
    }
}

/// The RFC 3261 §17.2.3 transaction key: branch + sent-by + method (ACK folds into INVITE).
/// For pre-RFC 3261 branches the branch field holds a synthesized key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TransactionKey {
    /// Branch (or synthesized RFC 2543 key).
    pub branch: String,
    /// Top Via sent-by, `host:port`, lowercased.
    pub sent_by: String,
    /// Method (ACK is stored as INVITE so an ACK for a non-2xx finds its INVITE).
    pub method: Method,
}

impl TransactionKey {
    /// The key of a request as a server sees it.
    pub fn for_request(req: &Request) -> TransactionKey {
        let method = if req.method == Method::Ack {
            Method::Invite
        } else {
            req.method.clone()
        };
        let via = req.head.top_via();
        let sent_by = via.map(Via::sent_by).unwrap_or_default();
        match via.and_then(Via::branch) {
            Some(b) if b.starts_with(MAGIC_COOKIE) => TransactionKey {
                branch: b.to_string(),
                sent_by,
                method,
            },
            _ => TransactionKey {
                branch: format!(
                    "2543|{}|{}|{}|{}",
                    req.uri,
                    req.head.from.tag().unwrap_or(""),
                    req.head.call_id,
                    req.head.cseq.seq
                ),
                sent_by,
                method,
            },
        }
    }

    /// The key of the client transaction a response belongs to.
    pub fn for_response(resp: &Response) -> Option<TransactionKey> {
        let via = resp.head.top_via()?;
        let method = if resp.head.cseq.method == Method::Ack {
            Method::Invite
        } else {
            resp.head.cseq.method.clone()
        };
        Some(TransactionKey {
            branch: via.branch()?.to_string(),
            sent_by: via.sent_by(),
            method,
        })
    }

    /// The same key with another method (CANCEL → INVITE lookup).
    pub fn with_method(&self, method: Method) -> TransactionKey {
        TransactionKey {
            branch: self.branch.clone(),
            sent_by: self.sent_by.clone(),
            method,
        }
    }
}

/// A dialog id (Call-ID, local tag, remote tag), always from *our* point of view.
///
/// The role trap: for a message we receive as a request, our tag is the To tag; for a
/// response we receive, our tag is the From tag. Use [`DialogId::of_request`] /
/// [`DialogId::of_response`] and never swap by hand.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DialogId {
    /// Call-ID.
    pub call_id: String,
    /// Our tag.
    pub local_tag: String,
    /// The peer's tag.
    pub remote_tag: String,
}

impl DialogId {
    /// Dialog id of a request we received (local = To tag, remote = From tag).
    /// `None` when the To tag is missing (not an in-dialog request).
    pub fn of_request(req: &Request) -> Option<DialogId> {
        Some(DialogId {
            call_id: req.head.call_id.clone(),
            local_tag: req.head.to.tag()?.to_string(),
            remote_tag: req.head.from.tag().unwrap_or("").to_string(),
        })
    }

    /// Dialog id of a response we received to our request (local = From tag, remote = To tag).
    pub fn of_response(resp: &Response) -> Option<DialogId> {
        Some(DialogId {
            call_id: resp.head.call_id.clone(),
            local_tag: resp.head.from.tag()?.to_string(),
            remote_tag: resp.head.to.tag()?.to_string(),
        })
    }
}

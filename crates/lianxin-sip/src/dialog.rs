//! Dialog state (RFC 3261 §12): id, route set, remote target, CSeq, and the builder for
//! in-dialog requests.
//!
//! A [`Dialog`] is created from a 2xx (or a 1xx with a To tag: early) by the UAC
//! ([`Dialog::from_uac_response`]) or from the INVITE by the UAS ([`Dialog::from_uas_request`]).
//! The route set comes from Record-Route (reversed for the UAC), the remote target from
//! Contact. [`Dialog::request`] builds BYE / re-INVITE / INFO / ACK with the right
//! Request-URI, Route headers and CSeq; [`Dialog::next_hop`] says where to send it.
//!
//! What it is not: no transactions, no timers — the endpoint owns those.

use crate::wire::{CSeq, DialogId, Head, Method, NameAddr, Request, Response, Uri, Via};
use std::net::{IpAddr, SocketAddr};

/// Our role in the dialog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// We sent the INVITE.
    Uac,
    /// We received the INVITE.
    Uas,
}

/// Dialog state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dialog {
    /// Our role.
    pub role: Role,
    /// The id, from our point of view.
    pub id: DialogId,
    /// Our URI + tag (From of our requests).
    pub local: NameAddr,
    /// Their URI + tag (To of our requests).
    pub remote: NameAddr,
    /// Remote target (their Contact URI).
    pub remote_target: Uri,
    /// Route set, in the order our requests carry it.
    pub route_set: Vec<NameAddr>,
    /// Last CSeq we sent.
    pub local_seq: u32,
    /// Last CSeq we received (`None` before any request from them).
    pub remote_seq: Option<u32>,
    /// True while only a provisional response established it.
    pub early: bool,
}

impl Dialog {
    /// UAC: from our INVITE and a response with a To tag (1xx: early, 2xx: confirmed).
    pub fn from_uac_response(invite: &Request, response: &Response) -> Option<Dialog> {
        let id = DialogId::of_response(response)?;
        let remote_target = response
            .head
            .contact
            .first()
            .map(|c| c.uri.clone())
            .unwrap_or_else(|| invite.uri.clone());
        Some(Dialog {
            role: Role::Uac,
            id,
            local: invite.head.from.clone(),
            remote: response.head.to.clone(),
            remote_target,
            route_set: response.head.record_route.iter().rev().cloned().collect(),
            local_seq: invite.head.cseq.seq,
            remote_seq: None,
            early: response.code < 200,
        })
    }

    /// UAS: from the INVITE we received and the To tag we chose.
    pub fn from_uas_request(invite: &Request, local_tag: &str) -> Dialog {
        let mut local = invite.head.to.clone();
        local.set_param("tag", Some(local_tag));
        let remote_target = invite
            .head
            .contact
            .first()
            .map(|c| c.uri.clone())
            .unwrap_or_else(|| invite.head.from.uri.clone());
        Dialog {
            role: Role::Uas,
            id: DialogId {
                call_id: invite.head.call_id.clone(),
                local_tag: local_tag.to_string(),
                remote_tag: invite.head.from.tag().unwrap_or("").to_string(),
            },
            local,
            remote: invite.head.from.clone(),
            remote_target,
            route_set: invite.head.record_route.clone(),
            local_seq: 0,
            remote_seq: Some(invite.head.cseq.seq),
            early: true,
        }
    }

    /// Update from a later 2xx (UAC): confirm, refresh the remote target and route set.
    pub fn confirm(&mut self, response: &Response) {
        if self.early {
            self.route_set = response.head.record_route.iter().rev().cloned().collect();
        }
        if let Some(c) = response.head.contact.first() {
            self.remote_target = c.uri.clone();
        }
        self.remote = response.head.to.clone();
        self.early = false;
    }

    /// Check and record the CSeq of a request from the peer; false = out of order (500).
    pub fn accept_remote_seq(&mut self, request: &Request) -> bool {
        let seq = request.head.cseq.seq;
        if request.method == Method::Ack || request.method == Method::Cancel {
            return true;
        }
        match self.remote_seq {
            Some(last) if seq < last => false,
            _ => {
                self.remote_seq = Some(seq);
                true
            }
        }
    }

    /// Build an in-dialog request. ACK reuses the INVITE's CSeq (`ack_seq`); every other
    /// method takes the next local CSeq.
    pub fn request(&mut self, method: Method, via: Via, ack_seq: Option<u32>) -> Request {
        let seq = match (&method, ack_seq) {
            (Method::Ack, Some(s)) => s,
            _ => {
                self.local_seq += 1;
                self.local_seq
            }
        };
        // Loose routing (RFC 3261 §12.2.1.1): Request-URI = remote target, Route = set.
        // Strict routing (first route without ;lr): Request-URI = first route.
        let (uri, route) = match self.route_set.first() {
            Some(first) if !first.uri.is_loose_route() => {
                let mut r: Vec<NameAddr> = self.route_set[1..].to_vec();
                r.push(NameAddr::new(self.remote_target.clone()));
                (first.uri.clone(), r)
            }
            _ => (self.remote_target.clone(), self.route_set.clone()),
        };
        Request {
            method: method.clone(),
            uri,
            head: Head {
                via: vec![via],
                from: self.local.clone(),
                to: self.remote.clone(),
                call_id: self.id.call_id.clone(),
                cseq: CSeq { seq, method },
                max_forwards: Some(70),
                contact: Vec::new(),
                contact_star: false,
                route,
                record_route: Vec::new(),
                content_type: None,
                other: Vec::new(),
            },
            body: Vec::new(),
        }
    }

    /// Where in-dialog requests go: the first route if any, else the remote target —
    /// when that URI names an IP literal. `None` means "use the fallback address"
    /// (the sans-IO core does no DNS).
    pub fn next_hop(&self) -> Option<SocketAddr> {
        let uri = match self.route_set.first() {
            Some(r) => &r.uri,
            None => &self.remote_target,
        };
        uri_addr(uri)
    }
}

/// The socket address a URI names, when its host is an IP literal (default port 5060).
pub fn uri_addr(uri: &Uri) -> Option<SocketAddr> {
    let host = uri.host.trim_start_matches('[').trim_end_matches(']');
    let ip: IpAddr = host.parse().ok()?;
    Some(SocketAddr::new(ip, uri.port.unwrap_or(5060)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{parse, Message, Transport};

    fn msg(t: &str) -> Message {
        parse(t.as_bytes()).unwrap_or_else(|e| panic!("{e}"))
    }

    const INVITE: &str = "INVITE sip:bob@10.0.0.2 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1\r\n\
From: <sip:alice@a>;tag=A\r\nTo: <sip:bob@b>\r\nCall-ID: c\r\nCSeq: 5 INVITE\r\nContact: <sip:alice@10.0.0.1:5070>\r\n\
Record-Route: <sip:p1@10.0.0.9;lr>, <sip:p2@10.0.0.8;lr>\r\nContent-Length: 0\r\n\r\n";

    const OK: &str = "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1\r\n\
From: <sip:alice@a>;tag=A\r\nTo: <sip:bob@b>;tag=B\r\nCall-ID: c\r\nCSeq: 5 INVITE\r\nContact: <sip:bob@10.0.0.2:5080>\r\n\
Record-Route: <sip:p1@10.0.0.9;lr>, <sip:p2@10.0.0.8;lr>\r\nContent-Length: 0\r\n\r\n";

    /// Trap: the dialog id depends on our role.
    #[test]
    fn regression_dialog_id_is_role_aware() {
        let (Message::Request(inv), Message::Response(ok)) = (msg(INVITE), msg(OK)) else {
            panic!()
        };
        let uac = Dialog::from_uac_response(&inv, &ok).unwrap_or_else(|| panic!());
        assert_eq!(
            (uac.id.local_tag.as_str(), uac.id.remote_tag.as_str()),
            ("A", "B")
        );
        let uas = Dialog::from_uas_request(&inv, "B");
        assert_eq!(
            (uas.id.local_tag.as_str(), uas.id.remote_tag.as_str()),
            ("B", "A")
        );
    }

    /// Trap: the ACK for a 2xx goes to the remote target through the route set.
    #[test]
    fn regression_ack_goes_to_contact_via_route_set() {
        let (Message::Request(inv), Message::Response(ok)) = (msg(INVITE), msg(OK)) else {
            panic!()
        };
        let mut d = Dialog::from_uac_response(&inv, &ok).unwrap_or_else(|| panic!());
        let ack = d.request(
            Method::Ack,
            Via::new(Transport::Udp, "10.0.0.1", 5060, "z9hG4bKx"),
            Some(5),
        );
        assert_eq!(ack.uri.to_string(), "sip:bob@10.0.0.2:5080");
        assert_eq!(ack.head.cseq.seq, 5);
        // reversed Record-Route for the UAC
        assert_eq!(ack.head.route[0].uri.host, "10.0.0.8");
        assert_eq!(d.next_hop(), Some(SocketAddr::from(([10, 0, 0, 8], 5060))));
        let bye = d.request(
            Method::Bye,
            Via::new(Transport::Udp, "10.0.0.1", 5060, "z9hG4bKy"),
            None,
        );
        assert_eq!(bye.head.cseq.seq, 6);
        assert_eq!(bye.head.to.tag(), Some("B"));
        d.route_set.clear();
        assert_eq!(d.next_hop(), Some(SocketAddr::from(([10, 0, 0, 2], 5080))));
    }
}

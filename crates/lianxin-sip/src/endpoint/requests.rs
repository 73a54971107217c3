//! Non-INVITE requests outside dialogs, both ways: answering one the owner was given
//! ([`Event::IncomingRequest`]) and sending one ([`Endpoint::request`]: REGISTER,
//! OPTIONS, MESSAGE) with one digest retry.
//!
//! Why a file of its own: these requests have no call; their owner is a request handle.

use super::authorize::add_authorization;
use super::command::{command_uris, EndpointError, OutgoingRequest};
use super::entry::{OutReq, Owner};
use super::event::{Event, RequestHandle};
use super::routing::Endpoint;
use crate::wire::{CSeq, Head, Header, Method, NameAddr, Request, Response, Transport};
use std::time::Instant;

impl Endpoint {
    /// Answer a request from [`Event::IncomingRequest`].
    pub fn respond(
        &mut self,
        now: Instant,
        request: RequestHandle,
        code: u16,
        headers: Vec<Header>,
        body: Option<(String, Vec<u8>)>,
    ) -> Result<(), EndpointError> {
        if !(100..=699).contains(&code) {
            return Err(EndpointError::BadStatus(code));
        }
        let &i = self
            .pending
            .get(&request)
            .ok_or(EndpointError::UnknownRequest)?;
        if code >= 200 {
            self.pending.remove(&request);
        }
        self.reply(now, i, code, headers, body);
        Ok(())
    }

    /// Send a non-INVITE request outside dialogs; its final response comes as
    /// [`Event::Response`] (after one digest retry when credentials were given).
    pub fn request(
        &mut self,
        now: Instant,
        request: OutgoingRequest,
    ) -> Result<RequestHandle, EndpointError> {
        if matches!(
            request.method,
            Method::Invite | Method::Ack | Method::Cancel
        ) {
            return Err(EndpointError::BadMethod);
        }
        let (uri, from_uri, to_uri) =
            command_uris(&request.target, &request.from, request.to.as_deref())?;
        let rh = RequestHandle(self.new_handle());
        let tag = self.token();
        let call_id = match &request.call_id {
            Some(c) => c.clone(),
            None => format!("{}@{}", self.token(), self.config.contact_host),
        };
        let via = self.our_via(request.transport);
        let mut from = NameAddr::new(from_uri);
        from.set_param("tag", Some(&tag));
        let mut other = request.headers.clone();
        other.push(Header::new("User-Agent", self.config.user_agent.clone()));
        let contact = if request.method == Method::Register
            && !request
                .headers
                .iter()
                .any(|h| h.name.eq_ignore_ascii_case("Contact"))
        {
            vec![self.our_contact(request.transport)]
        } else {
            Vec::new()
        };
        let (content_type, body) = match &request.body {
            Some((ct, b)) => (Some(ct.clone()), b.clone()),
            None => (None, Vec::new()),
        };
        let req = Request {
            method: request.method.clone(),
            uri,
            head: Head {
                via: vec![via],
                from,
                to: NameAddr::new(to_uri),
                call_id,
                cseq: CSeq {
                    seq: request.cseq.unwrap_or(1),
                    method: request.method.clone(),
                },
                max_forwards: Some(70),
                contact,
                contact_star: false,
                route: Vec::new(),
                record_route: Vec::new(),
                content_type,
                other,
            },
            body,
        };
        let (dest, tr) = (request.destination, request.transport);
        self.outgoing.insert(
            rh,
            OutReq {
                request,
                sent: req.clone(),
                auth_tried: false,
            },
        );
        self.start_client(now, Owner::Outgoing(rh), req, dest, tr);
        Ok(rh)
    }

    pub(super) fn outgoing_response(&mut self, now: Instant, rh: RequestHandle, resp: Response) {
        if resp.code < 200 {
            return;
        }
        if (resp.code == 401 || resp.code == 407) && self.retry_with_auth(now, rh, &resp) {
            return;
        }
        self.outgoing.remove(&rh);
        self.events.push_back(Event::Response {
            request: rh,
            code: resp.code,
            message: Some(Box::new(resp)),
        });
    }

    /// The one digest retry of an outgoing request challenged by `resp` (401 / 407);
    /// false when there is none to make (no credentials, tried already, no usable
    /// challenge).
    fn retry_with_auth(&mut self, now: Instant, rh: RequestHandle, resp: &Response) -> bool {
        let cnonce = self.token();
        let mut via = self.our_via(Transport::Udp);
        let Some(o) = self.outgoing.get_mut(&rh) else {
            return false;
        };
        if o.auth_tried {
            return false;
        }
        let Some(creds) = o.request.credentials.clone() else {
            return false;
        };
        o.auth_tried = true;
        let mut req = o.sent.clone();
        if !add_authorization(&mut req, resp, &creds, &cnonce) {
            return false;
        }
        via.transport = o.request.transport.as_str().to_string();
        req.head.via = vec![via];
        req.head.cseq.seq += 1;
        o.sent = req.clone();
        let (dest, tr) = (o.request.destination, o.request.transport);
        self.start_client(now, Owner::Outgoing(rh), req, dest, tr);
        true
    }
}

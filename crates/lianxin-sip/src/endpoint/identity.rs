//! How the endpoint names things and itself: tags, branches and handles drawn from the
//! seeded RNG, and our Via and Contact.
//!
//! Why a file of its own: all randomness of the crate is drawn here, from
//! `EndpointConfig::seed`, so tests are deterministic.

use super::routing::Endpoint;
use crate::wire::{self, NameAddr, Transport, Uri, Via};
use rand::RngCore;

impl Endpoint {
    pub(super) fn token(&mut self) -> String {
        format!("{:016x}", self.rng.next_u64())
    }

    pub(super) fn branch(&mut self) -> String {
        format!("{}{}", wire::MAGIC_COOKIE, self.token())
    }

    pub(super) fn new_handle(&mut self) -> u64 {
        let h = self.next_handle;
        self.next_handle += 1;
        h
    }

    /// Our host as it goes into Via and Contact (IPv6 literals get brackets).
    fn our_host(&self) -> String {
        let h = &self.config.contact_host;
        if h.contains(':') && !h.starts_with('[') {
            format!("[{h}]")
        } else {
            h.clone()
        }
    }

    pub(super) fn our_via(&mut self, transport: Transport) -> Via {
        let b = self.branch();
        Via::new(transport, &self.our_host(), self.config.contact_port, &b)
    }

    pub(super) fn our_contact(&self, transport: Transport) -> NameAddr {
        let mut uri = Uri::sip(None, &self.our_host(), Some(self.config.contact_port));
        if transport == Transport::Tcp {
            uri.params.push(wire::Param {
                name: "transport".into(),
                value: Some("tcp".into()),
            });
        }
        NameAddr::new(uri)
    }
}

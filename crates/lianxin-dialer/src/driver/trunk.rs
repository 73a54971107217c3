//! Where a campaign's calls go: the carrier trunk, as the dialer needs to address it.
//!
//! Why its own type: the INVITE's Request-URI host (the carrier's SIP domain), the address
//! the packets go to (its proxy), the transport and the digest credentials it challenges
//! with are four separate facts in a trunk's paperwork; mixing them up (e.g. putting our
//! own address in the From host, or the proxy's IP where the carrier wants its domain) is
//! a classic reason a carrier refuses every call.

use std::net::{IpAddr, SocketAddr};

use lianxin_ua::{Credentials, OutgoingCall, Transport};

/// The carrier trunk the dialer sends INVITEs to.
#[derive(Debug, Clone)]
pub struct OutboundTrunk {
    /// Where INVITEs are sent (the trunk's proxy).
    pub destination: SocketAddr,
    /// UDP (default) or TCP.
    pub transport: Transport,
    /// Host of the Request-URI, e.g. `bj.ims.example.cn`; `None`: the destination.
    pub domain: Option<String>,
    /// Digest credentials for a 401/407 challenge.
    pub credentials: Option<Credentials>,
}

impl OutboundTrunk {
    /// A trunk that takes calls at `destination` over UDP without a domain or credentials
    /// (a test peer, a local gateway).
    pub fn at(destination: SocketAddr) -> Self {
        OutboundTrunk {
            destination,
            transport: Transport::Udp,
            domain: None,
            credentials: None,
        }
    }

    /// The INVITE for `dialled` (digits as the trunk wants them), presenting `caller`
    /// (`""`: our default user) at our address `local`.
    pub(crate) fn invite(
        &self,
        dialled: &str,
        caller: &str,
        local: IpAddr,
        headers: Vec<(String, String)>,
    ) -> OutgoingCall {
        let host = match &self.domain {
            Some(d) => d.clone(),
            None => self.destination.to_string(),
        };
        let user = if caller.is_empty() { "lianxin" } else { caller };
        OutgoingCall {
            target: format!("sip:{dialled}@{host}"),
            from: format!("sip:{user}@{local}"),
            from_display: None,
            destination: self.destination,
            transport: self.transport,
            sdp: None,
            credentials: self.credentials.clone(),
            headers,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invite_addresses_the_domain_and_sends_to_the_proxy() {
        let mut t = OutboundTrunk::at("203.0.113.10:5060".parse().unwrap());
        let local: IpAddr = "192.0.2.7".parse().unwrap();
        let i = t.invite("65123456", "51663371", local, Vec::new());
        assert_eq!(i.target, "sip:65123456@203.0.113.10:5060");
        assert_eq!(i.from, "sip:51663371@192.0.2.7");
        assert_eq!(i.destination, t.destination);
        t.domain = Some("bj.ims.example.cn".into());
        let i = t.invite("65123456", "", local, Vec::new());
        assert_eq!(i.target, "sip:65123456@bj.ims.example.cn");
        assert_eq!(i.from, "sip:lianxin@192.0.2.7");
    }
}

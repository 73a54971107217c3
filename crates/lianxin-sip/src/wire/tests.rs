//! Unit tests of the wire layer: compact, folded, IPv6 and tel: input; framing; keys.

use super::*;

const INV: &str = "INVITE sip:bob@example.com SIP/2.0\r\n\
v: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1, SIP/2.0/TCP [2001:db8::1]:5070;branch=z9hG4bK2\r\n\
Max-Forwards: 70\r\n\
f: \"Alice\" <sip:alice@example.com>;tag=a1\r\n\
t : <tel:+86-10-1234>\r\n\
i: abc@host\r\n\
CSeq: 1\r\n INVITE\r\n\
m: <sip:alice@10.0.0.1>, <sip:alice@10.0.0.2>;expires=30\r\n\
c: application/sdp\r\n\
l: 4\r\n\
\r\n\
v=0\r\nextra";

#[test]
fn parses_compact_folded_ipv6_tel() {
    let Ok(Message::Request(r)) = parse(INV.as_bytes()) else {
        panic!("parse failed: {:?}", parse(INV.as_bytes()));
    };
    assert_eq!(r.method, Method::Invite);
    assert_eq!(r.head.via.len(), 2);
    assert_eq!(r.head.via[1].host, "[2001:db8::1]");
    assert_eq!(r.head.via[1].port, Some(5070));
    assert_eq!(r.head.to.uri.scheme, Scheme::Tel);
    assert_eq!(r.head.contact.len(), 2);
    assert_eq!(r.head.contact[1].param("expires"), Some("30"));
    assert_eq!(r.body, b"v=0\r");
    assert_eq!(r.head.from.tag(), Some("a1"));
    assert_eq!(r.head.from.display_text().as_deref(), Some("Alice"));
    let again = parse(&r.to_bytes());
    assert_eq!(again, Ok(Message::Request(r)));
}

#[test]
fn udp_truncated_body_is_refused() {
    let t = INV.replace("l: 4", "l: 400");
    assert_eq!(parse(t.as_bytes()), Err(WireError::Truncated));
}

#[test]
fn framer_pops_whole_messages_split_anywhere() {
    let msg = INV.replace("\r\nextra", "\r\n");
    let two = format!("\r\n\r\n{msg}{msg}");
    for cut in 0..two.len() {
        let mut f = Framer::new();
        f.push(&two.as_bytes()[..cut]);
        let mut got = Vec::new();
        while let Ok(Some(m)) = f.pop() {
            got.push(m);
        }
        f.push(&two.as_bytes()[cut..]);
        while let Ok(Some(m)) = f.pop() {
            got.push(m);
        }
        assert_eq!(got.len(), 2, "cut at {cut}");
        assert!(parse(&got[1]).is_ok());
    }
}

#[test]
fn transaction_key_folds_ack_into_invite() {
    let Ok(Message::Request(r)) = parse(INV.as_bytes()) else {
        panic!()
    };
    let k = r.transaction_key();
    assert_eq!(k.branch, "z9hG4bK1");
    assert_eq!(k.sent_by, "10.0.0.1:5060");
    assert_eq!(k.method, Method::Invite);
}

#[test]
fn rsip_accepts_normalized_text() {
    let Ok(Message::Request(r)) = parse(
        INV.replace("<tel:+86-10-1234>", "<sip:x@y>")
            .replace(", SIP/2.0/TCP [2001:db8::1]:5070;branch=z9hG4bK2", "")
            .as_bytes(),
    ) else {
        panic!()
    };
    assert!(r.to_rsip().is_ok(), "{:?}", r.to_rsip());
}

#[test]
fn bad_request_reply_copies_headers() {
    let t = INV.replace("Max-Forwards: 70", "Max-Forwards: many");
    assert!(parse(t.as_bytes()).is_err());
    let reply = bad_request(t.as_bytes(), "Bad CSeq").unwrap_or_default();
    let Ok(Message::Response(r)) = parse(&reply) else {
        panic!()
    };
    assert_eq!(r.code, 400);
    assert_eq!(r.head.via.len(), 2);
}

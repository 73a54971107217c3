//! Registrar: digest against stored HA1, bindings with expiry, removal, lookup order; and
//! the outbound registration client's refresh schedule.

mod common;

use common::*;
use lianxin_sip::auth::{self, Algorithm, Challenge, Credentials};
use lianxin_sip::registrar::{
    CredentialStore, RegisterClient, RegisterClientConfig, Registrar, RegistrarConfig,
    RegistrationState,
};
use lianxin_sip::wire::{self, Message, Request, Response};
use lianxin_sip::{Event, Transport};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

struct Staff;

impl CredentialStore for Staff {
    fn ha1(&self, username: &str, realm: &str, algorithm: Algorithm) -> Option<String> {
        (username == "8001").then(|| auth::ha1(algorithm, username, realm, "pa55word"))
    }
}

fn register(
    contact: &str,
    expires: Option<u32>,
    cseq: u32,
    auth_header: Option<String>,
) -> Request {
    let text = format!(
        "
REGISTER sip:10.0.0.2 SIP/2.0
Via: SIP/2.0/UDP 192.0.2.7:5062;branch=z9hG4bKr{cseq}
From: <sip:8001@10.0.0.2>;tag=a
To: <sip:8001@10.0.0.2>
Call-ID: reg-1
CSeq: {cseq} REGISTER
Contact: {contact}
{}{}Content-Length: 0
",
        expires
            .map(|e| format!("Expires: {e}\n"))
            .unwrap_or_default(),
        auth_header
            .map(|a| format!("Authorization: {a}\n"))
            .unwrap_or_default(),
    );
    match wire::parse(&sip(&text)) {
        Ok(Message::Request(r)) => r,
        other => panic!("{other:?}"),
    }
}

fn answer(
    reg: &mut Registrar,
    now: Instant,
    req: &Request,
    password: &str,
) -> lianxin_sip::registrar::Reply {
    answer_from(reg, now, req, addr("192.0.2.7:5062"), password)
}

/// [`answer`] for a REGISTER from `src`: challenged (401), then sent again with the digest.
fn answer_from(
    reg: &mut Registrar,
    now: Instant,
    req: &Request,
    src: SocketAddr,
    password: &str,
) -> lianxin_sip::registrar::Reply {
    // A nonce is used once: each challenge gets its own random part.
    let random = 1000 + u64::from(req.head.cseq.seq);
    let first = reg.handle_register(now, req, src, Transport::Udp, &Staff, random);
    assert_eq!(first.code, 401);
    let chal = Challenge::parse(&first.headers[0].value).unwrap_or_else(|e| panic!("{e}"));
    let a = auth::authorize(
        &chal,
        &Credentials {
            username: "8001".into(),
            password: password.into(),
        },
        "REGISTER",
        "sip:10.0.0.2",
        "c0ffee",
        1,
    );
    let mut req = req.clone();
    req.head.push("Authorization", a.to_header_value());
    reg.handle_register(now, &req, src, Transport::Udp, &Staff, 2)
}

fn registrar(t0: Instant) -> Registrar {
    Registrar::new(
        RegistrarConfig {
            realm: "lianxin".into(),
            secret: 99,
            ..RegistrarConfig::default()
        },
        t0,
    )
}

#[test]
fn digest_ok_and_wrong_password() {
    let t0 = epoch();
    let mut reg = registrar(t0);
    let req = register("<sip:8001@192.0.2.7:5062>", Some(300), 1, None);
    let ok = answer(&mut reg, t0, &req, "pa55word");
    assert_eq!(ok.code, 200);
    assert_eq!(ok.user.as_deref(), Some("8001"));
    assert_eq!(ok.headers[0].value, "<sip:8001@192.0.2.7:5062>;expires=300");
    let bad = answer(
        &mut reg,
        t0,
        &register("<sip:8001@192.0.2.7:5063>", Some(300), 2, None),
        "guess",
    );
    assert_eq!(bad.code, 403);
    assert_eq!(reg.lookup(t0, "8001").len(), 1);
}

#[test]
fn forged_and_stale_nonces() {
    let t0 = epoch();
    let mut reg = registrar(t0);
    let src = addr("192.0.2.7:5062");
    let forged = r#"Digest username="8001", realm="lianxin", nonce="1.2.3", uri="sip:10.0.0.2", response="00""#;
    let r = reg.handle_register(
        t0,
        &register("<sip:8001@h>", None, 1, Some(forged.into())),
        src,
        Transport::Udp,
        &Staff,
        5,
    );
    assert_eq!(r.code, 401, "forged nonce: new challenge");
    // a correct answer to a nonce older than the validity → 401 stale=true
    let first = reg.handle_register(
        t0,
        &register("<sip:8001@h>", None, 1, None),
        src,
        Transport::Udp,
        &Staff,
        6,
    );
    let chal = Challenge::parse(&first.headers[0].value).unwrap_or_else(|e| panic!("{e}"));
    let a = auth::authorize(
        &chal,
        &Credentials {
            username: "8001".into(),
            password: "pa55word".into(),
        },
        "REGISTER",
        "sip:10.0.0.2",
        "x",
        1,
    );
    let later = t0 + Duration::from_secs(3600);
    let r = reg.handle_register(
        later,
        &register("<sip:8001@h>", None, 2, Some(a.to_header_value())),
        src,
        Transport::Udp,
        &Staff,
        7,
    );
    assert_eq!(r.code, 401);
    let again = Challenge::parse(&r.headers[0].value).unwrap_or_else(|e| panic!("{e}"));
    assert!(again.stale);
}

#[test]
fn bindings_expire_refresh_remove_and_order() {
    let t0 = epoch();
    let mut reg = registrar(t0);
    assert_eq!(
        answer(
            &mut reg,
            t0,
            &register("<sip:8001@desk>", Some(120), 1, None),
            "pa55word"
        )
        .code,
        200
    );
    let t1 = t0 + Duration::from_secs(10);
    let r = answer(
        &mut reg,
        t1,
        &register("<sip:8001@phone>;expires=600", Some(120), 2, None),
        "pa55word",
    );
    assert_eq!(r.code, 200);
    assert_eq!(r.headers.len(), 2, "200 lists every current contact");
    let hosts: Vec<String> = reg
        .lookup(t1, "8001")
        .iter()
        .map(|b| b.contact.uri.host.clone())
        .collect();
    assert_eq!(hosts, ["phone", "desk"], "most recent first");
    // desk lapses at 120 s
    let t2 = t0 + Duration::from_secs(130);
    assert_eq!(reg.lookup(t2, "8001").len(), 1);
    // too short → 423 with Min-Expires
    let r = answer(
        &mut reg,
        t2,
        &register("<sip:8001@desk>", Some(5), 3, None),
        "pa55word",
    );
    assert_eq!((r.code, r.headers[0].name.as_str()), (423, "Min-Expires"));
    // unregister one with expires=0, then all with *
    let r = answer(
        &mut reg,
        t2,
        &register("<sip:8001@phone>;expires=0", None, 4, None),
        "pa55word",
    );
    assert_eq!(r.code, 200);
    assert!(reg.lookup(t2, "8001").is_empty());
    answer(
        &mut reg,
        t2,
        &register("<sip:8001@a>", Some(300), 5, None),
        "pa55word",
    );
    answer(
        &mut reg,
        t2,
        &register("<sip:8001@b>", Some(300), 6, None),
        "pa55word",
    );
    assert_eq!(reg.lookup(t2, "8001").len(), 2);
    let r = answer(&mut reg, t2, &register("*", Some(0), 7, None), "pa55word");
    assert_eq!(r.code, 200);
    assert!(reg.lookup(t2, "8001").is_empty());
    let r = answer(&mut reg, t2, &register("*", Some(60), 8, None), "pa55word");
    assert_eq!(r.code, 400, "* needs Expires: 0");
    reg.expire(t2);
    assert_eq!(reg.users(), 0);
}

/// The outbound registration client through a real endpoint: digest retry inside the
/// endpoint, then a refresh at 80% of the granted expiry.
#[test]
fn outbound_registration_refreshes_before_expiry() {
    let t0 = epoch();
    let mut ep = endpoint(11, "10.0.0.1", 5060);
    let mut rc = RegisterClient::new(RegisterClientConfig {
        registrar: "sip:trunk.example.com".into(),
        aor: "sip:hotline@trunk.example.com".into(),
        destination: addr("192.0.2.50:5060"),
        transport: Transport::Udp,
        credentials: Some(Credentials {
            username: "hotline".into(),
            password: "pw".into(),
        }),
        expires: 600,
        retry_after: Duration::from_secs(30),
    });
    let req = rc
        .poll_request(t0)
        .unwrap_or_else(|| panic!("first REGISTER due at once"));
    assert_eq!(rc.state(), RegistrationState::Pending);
    assert!(rc.poll_request(t0).is_none());
    let rh = ep.request(t0, req).unwrap_or_else(|e| panic!("{e}"));
    let sent = drain(&mut ep).text(0);
    assert!(sent.starts_with("REGISTER sip:trunk.example.com SIP/2.0"));
    assert!(sent.contains("Contact: <sip:10.0.0.1:5060>"));
    let resp = |code: u16, reason: &str, sent: &str, extra: &str| {
        let mut out = format!("SIP/2.0 {code} {reason}\n");
        for l in sent.lines() {
            if ["Via:", "From:", "To:", "Call-ID:", "CSeq:"]
                .iter()
                .any(|p| l.starts_with(p))
            {
                out.push_str(l);
                out.push('\n');
            }
        }
        out.push_str(extra);
        out.push_str("Content-Length: 0\n\n");
        out
    };
    let out = check(
        &mut ep,
        t0,
        "192.0.2.50:5060",
        &resp(
            401,
            "Unauthorized",
            &sent,
            "WWW-Authenticate: Digest realm=\"trunk\", nonce=\"n1\", qop=\"auth\"\n",
        ),
    );
    assert!(out.events.is_empty());
    let retry = out.text(0);
    assert!(retry.contains("Authorization: Digest username=\"hotline\""));
    assert!(retry.contains("CSeq: 2 REGISTER"));
    let out = check(
        &mut ep,
        t0,
        "192.0.2.50:5060",
        &resp(
            200,
            "OK",
            &retry,
            "Contact: <sip:10.0.0.1:5060>;expires=300\n",
        ),
    );
    let (code, msg) = match out.events.into_iter().next() {
        Some(Event::Response {
            request,
            code,
            message,
        }) if request == rh => (code, message),
        other => panic!("{other:?}"),
    };
    rc.handle_response(t0, code, msg.as_deref());
    assert_eq!(
        rc.state(),
        RegistrationState::Registered(t0 + Duration::from_secs(300))
    );
    assert_eq!(rc.poll_timeout(), Some(t0 + Duration::from_secs(240)));
    assert!(rc.poll_request(t0 + Duration::from_secs(200)).is_none());
    let refresh = rc
        .poll_request(t0 + Duration::from_secs(240))
        .unwrap_or_else(|| panic!("refresh due"));
    assert_eq!(
        refresh.call_id.as_deref(),
        msg.as_ref().map(|m| m.head.call_id.as_str()),
        "same Call-ID"
    );
    assert_eq!(
        refresh.cseq,
        Some(3),
        "CSeq goes on after the endpoint's auth retry"
    );
    // a failure retries later
    rc.handle_response(t0 + Duration::from_secs(241), 503, None::<&Response>);
    assert_eq!(rc.poll_timeout(), Some(t0 + Duration::from_secs(271)));
}

/// Issue 10, point 5: a captured Authorization header cannot be replayed; a higher nonce
/// count from the phone is fine; the digest uri must be the Request-URI; a binding from
/// another address ranks after the live one.
#[test]
fn replayed_digest_is_refused_and_the_holder_keeps_first_place() {
    let t0 = epoch();
    let mut reg = registrar(t0);
    let phone = addr("192.0.2.7:5062");
    let attacker = addr("198.51.100.9:5060");
    let first = reg.handle_register(
        t0,
        &register("<sip:8001@phone>", Some(300), 1, None),
        phone,
        Transport::Udp,
        &Staff,
        1,
    );
    let chal = Challenge::parse(&first.headers[0].value).unwrap_or_else(|e| panic!("{e}"));
    let creds = Credentials {
        username: "8001".into(),
        password: "pa55word".into(),
    };
    let a1 = auth::authorize(&chal, &creds, "REGISTER", "sip:10.0.0.2", "c1", 1);
    let ok = reg.handle_register(
        t0,
        &register("<sip:8001@phone>", Some(300), 2, Some(a1.to_header_value())),
        phone,
        Transport::Udp,
        &Staff,
        2,
    );
    assert_eq!(ok.code, 200);
    // The same header again, from elsewhere with another Contact and Call-ID.
    let mut replay = register("<sip:8001@evil>", Some(300), 2, Some(a1.to_header_value()));
    replay.head.call_id = "evil-1".into();
    let r = reg.handle_register(t0, &replay, attacker, Transport::Udp, &Staff, 3);
    assert_eq!(r.code, 401, "replay");
    let again = Challenge::parse(&r.headers[0].value).unwrap_or_else(|e| panic!("{e}"));
    assert!(again.stale);
    // The phone itself may reuse the nonce with the next nonce count.
    let a2 = auth::authorize(&chal, &creds, "REGISTER", "sip:10.0.0.2", "c1", 2);
    let r = reg.handle_register(
        t0,
        &register("<sip:8001@phone>", Some(300), 3, Some(a2.to_header_value())),
        phone,
        Transport::Udp,
        &Staff,
        4,
    );
    assert_eq!(r.code, 200, "nc=2");
    // A digest for another uri.
    let fresh = reg.handle_register(
        t0,
        &register("<sip:8001@phone>", Some(300), 4, None),
        phone,
        Transport::Udp,
        &Staff,
        5,
    );
    let ch = Challenge::parse(&fresh.headers[0].value).unwrap_or_else(|e| panic!("{e}"));
    let wrong_uri = auth::authorize(&ch, &creds, "REGISTER", "sip:elsewhere", "c2", 1);
    let r = reg.handle_register(
        t0,
        &register(
            "<sip:8001@phone>",
            Some(300),
            5,
            Some(wrong_uri.to_header_value()),
        ),
        phone,
        Transport::Udp,
        &Staff,
        6,
    );
    assert_eq!(r.code, 400, "digest uri");
    // A second phone with right credentials, from another address: ranked after.
    let t1 = t0 + Duration::from_secs(5);
    let mut other = register("<sip:8001@other>", Some(300), 1, None);
    other.head.call_id = "other-1".into();
    assert_eq!(
        answer_from(&mut reg, t1, &other, attacker, "pa55word").code,
        200
    );
    let hosts: Vec<String> = reg
        .lookup(t1, "8001")
        .iter()
        .map(|b| b.contact.uri.host.clone())
        .collect();
    assert_eq!(hosts, ["phone", "other"]);
    // The other phone cannot remove the holder's binding.
    let mut gone = register("<sip:8001@phone>;expires=0", None, 2, None);
    gone.head.call_id = "other-1".into();
    assert_eq!(
        answer_from(&mut reg, t1, &gone, attacker, "pa55word").code,
        200
    );
    assert_eq!(reg.lookup(t1, "8001").len(), 2);
    assert_eq!(reg.lookup(t1, "8001")[0].contact.uri.host, "phone");
}

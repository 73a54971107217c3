//! Endpoint behaviour: raw SIP in, transmits and events out (data-driven), the STYLE.md
//! trap regressions, and a two-endpoint call over a lossy virtual network.

mod common;

use common::*;
use lianxin_sip::auth::{self, Algorithm, Credentials};
use lianxin_sip::{CallHandle, Event, OutgoingInvite, TerminationReason, Transport};
use std::time::Duration;

const PEER: &str = "192.0.2.7:5062";

fn invite(branch: &str, extra: &str) -> String {
    format!(
        "
INVITE sip:110@10.0.0.2 SIP/2.0
Via: SIP/2.0/UDP 192.0.2.7:5062;branch={branch};rport
Max-Forwards: 70
From: \"Zhang San\" <sip:13800138000@192.0.2.7>;tag=ft1
To: <sip:110@10.0.0.2>
Call-ID: call-1@192.0.2.7
CSeq: 1 INVITE
Contact: <sip:13800138000@192.0.2.7:5062>
{extra}Content-Type: application/sdp
Content-Length: *

v=0
o=- 1 1 IN IP4 192.0.2.7
s=-
c=IN IP4 192.0.2.7
t=0 0
m=audio 4000 RTP/AVP 0
"
    )
}

fn incoming_call(out: &Out) -> CallHandle {
    out.events
        .iter()
        .find_map(|e| match e {
            Event::IncomingCall { call, .. } => Some(*call),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no IncomingCall in {:?}", out.events))
}

fn to_tag(text: &str) -> String {
    text.lines()
        .find(|l| l.starts_with("To:"))
        .and_then(|l| l.split("tag=").nth(1))
        .map(|t| t.split(';').next().unwrap_or(t).trim().to_string())
        .unwrap_or_default()
}

/// Data-driven table: raw request in, expected first lines out, expected event kind.
#[test]
fn requests_outside_dialogs() {
    struct Case {
        name: &'static str,
        input: String,
        out: &'static [&'static str],
        event: Option<&'static str>,
    }
    let cases = [
        Case {
            name: "options auto 200",
            input: "
OPTIONS sip:10.0.0.2 SIP/2.0
Via: SIP/2.0/UDP 192.0.2.7:5062;branch=z9hG4bKo1
From: <sip:trunk@192.0.2.7>;tag=a
To: <sip:10.0.0.2>
Call-ID: o1
CSeq: 7 OPTIONS
Content-Length: 0
"
            .into(),
            out: &["SIP/2.0 200 OK"],
            event: None,
        },
        Case {
            name: "unknown method 405",
            input: "
FOO sip:10.0.0.2 SIP/2.0
Via: SIP/2.0/UDP 192.0.2.7:5062;branch=z9hG4bKf1
From: <sip:x@192.0.2.7>;tag=a
To: <sip:10.0.0.2>
Call-ID: f1
CSeq: 1 FOO
Content-Length: 0
"
            .into(),
            out: &["SIP/2.0 405 Method Not Allowed"],
            event: None,
        },
        Case {
            name: "malformed but answerable 400",
            input: "
INVITE sip:110@10.0.0.2 SIP/2.0
Via: SIP/2.0/UDP 192.0.2.7:5062;branch=z9hG4bKm1
From: <sip:x@192.0.2.7>;tag=a
To: <sip:110@10.0.0.2>
Call-ID: m1
CSeq: 1 INVITE
Max-Forwards: lots
Content-Length: 0
"
            .into(),
            out: &["SIP/2.0 400 Bad Request (bad Max-Forwards header)"],
            event: None,
        },
        Case {
            name: "a line without a colon still gets a 400",
            input: "
REGISTER sip:10.0.0.2 SIP/2.0
Via: SIP/2.0/UDP 192.0.2.7:5062;branch=z9hG4bKx1
From: <sip:8001@10.0.0.2>;tag=a
To: <sip:8001@10.0.0.2>
Call-ID: x1
CSeq: 2 REGISTER
8001[authentication username= password=secret]
Content-Length: 0
"
            .into(),
            out: &["SIP/2.0 400 Bad Request (bad header line)"],
            event: None,
        },
        Case {
            name: "garbage dropped",
            input: "\u{1}\u{2}hello world".into(),
            out: &[],
            event: None,
        },
        Case {
            name: "bye outside dialog 481",
            input: "
BYE sip:110@10.0.0.2 SIP/2.0
Via: SIP/2.0/UDP 192.0.2.7:5062;branch=z9hG4bKb1
From: <sip:x@192.0.2.7>;tag=a
To: <sip:110@10.0.0.2>;tag=nope
Call-ID: b1
CSeq: 2 BYE
Content-Length: 0
"
            .into(),
            out: &["SIP/2.0 481 Call/Transaction Does Not Exist"],
            event: None,
        },
        Case {
            name: "register goes to the owner",
            input: "
REGISTER sip:10.0.0.2 SIP/2.0
Via: SIP/2.0/UDP 192.0.2.7:5062;branch=z9hG4bKr1
From: <sip:8001@10.0.0.2>;tag=a
To: <sip:8001@10.0.0.2>
Call-ID: r1
CSeq: 1 REGISTER
Contact: <sip:8001@192.0.2.7:5062>
Expires: 300
Content-Length: 0
"
            .into(),
            out: &[],
            event: Some("IncomingRequest"),
        },
        Case {
            name: "invite: 100 at once and an event",
            input: invite("z9hG4bKi1", ""),
            out: &["SIP/2.0 100 Trying"],
            event: Some("IncomingCall"),
        },
        Case {
            name: "unsupported URI scheme 416",
            input: invite("z9hG4bKi2", "").replace("INVITE sip:110@10.0.0.2", "INVITE mailto:x@y"),
            out: &["SIP/2.0 416 Unsupported URI Scheme"],
            event: None,
        },
    ];
    for case in cases {
        let t0 = epoch();
        let mut ep = endpoint(1, "10.0.0.2", 5060);
        let out = check(&mut ep, t0, PEER, &case.input);
        assert_eq!(out.lines(), case.out, "{}", case.name);
        let kinds: Vec<String> = out
            .events
            .iter()
            .map(|e| {
                format!("{e:?}")
                    .split([' ', '{', '('])
                    .next()
                    .unwrap_or("")
                    .to_string()
            })
            .collect();
        assert_eq!(
            kinds,
            case.event.into_iter().map(String::from).collect::<Vec<_>>(),
            "{}",
            case.name
        );
    }
}

/// Trap: UDP responses go to the received / rport address (RFC 3581).
#[test]
fn regression_responses_go_to_received_rport() {
    let t0 = epoch();
    let mut ep = endpoint(1, "10.0.0.2", 5060);
    // The Via claims 192.0.2.7:5062 but the packet came from a NAT at 198.51.100.9:40000.
    let out = check(&mut ep, t0, "198.51.100.9:40000", &invite("z9hG4bKn1", ""));
    assert_eq!(out.transmits[0].destination, addr("198.51.100.9:40000"));
    let text = out.text(0);
    assert!(text.contains("received=198.51.100.9"), "{text}");
    assert!(text.contains("rport=40000"), "{text}");
}

/// Trap: a UAS retransmits its 2xx until the ACK comes (T1 doubling to T2).
#[test]
fn regression_uas_retransmits_2xx_until_ack() {
    let t0 = epoch();
    let mut ep = endpoint(1, "10.0.0.2", 5060);
    let out = check(&mut ep, t0, PEER, &invite("z9hG4bKa1", ""));
    let call = incoming_call(&out);
    ep.send_provisional(t0, call, 180, None)
        .unwrap_or_else(|e| panic!("{e}"));
    ep.accept(t0, call, Some(b"v=0\r\n".to_vec()))
        .unwrap_or_else(|e| panic!("{e}"));
    let out = drain(&mut ep);
    assert_eq!(out.lines(), ["SIP/2.0 180 Ringing", "SIP/2.0 200 OK"]);
    let tag = to_tag(&out.text(1));
    assert!(!tag.is_empty());
    let log = run_timers(&mut ep, t0, Duration::from_millis(12_000));
    let times: Vec<u128> = log.iter().map(|(t, _)| *t).collect();
    assert_eq!(times, [500, 1500, 3500, 7500, 11500]);
    let ack = format!(
        "
ACK sip:110@10.0.0.2 SIP/2.0
Via: SIP/2.0/UDP 192.0.2.7:5062;branch=z9hG4bKack1
From: <sip:13800138000@192.0.2.7>;tag=ft1
To: <sip:110@10.0.0.2>;tag={tag}
Call-ID: call-1@192.0.2.7
CSeq: 1 ACK
Content-Length: 0
"
    );
    let out = check(&mut ep, t0 + Duration::from_secs(12), PEER, &ack);
    assert!(
        matches!(out.events[..], [Event::CallAcked { .. }]),
        "{:?}",
        out.events
    );
    let log = run_timers(&mut ep, t0, Duration::from_secs(40));
    assert!(
        log.iter()
            .all(|(_, o)| o.lines().iter().all(|l| !l.starts_with("SIP/2.0 200"))),
        "no 200 after the ACK"
    );
    // Hang up from our side: BYE with the dialog's tags to the remote target.
    ep.hangup(t0 + Duration::from_secs(40), call)
        .unwrap_or_else(|e| panic!("{e}"));
    let out = drain(&mut ep);
    assert_eq!(out.lines(), ["BYE sip:13800138000@192.0.2.7:5062 SIP/2.0"]);
    assert!(out.text(0).contains(&format!(";tag={tag}")));
}

/// A 2xx that is never ACKed: give up after 64*T1, send BYE and tell the owner.
#[test]
fn uas_gives_up_without_ack() {
    let t0 = epoch();
    let mut ep = endpoint(1, "10.0.0.2", 5060);
    let call = incoming_call(&check(&mut ep, t0, PEER, &invite("z9hG4bKg1", "")));
    ep.accept(t0, call, None).unwrap_or_else(|e| panic!("{e}"));
    drain(&mut ep);
    let log = run_timers(&mut ep, t0, Duration::from_secs(40));
    let (at, out) = log
        .iter()
        .find(|(_, o)| o.lines().iter().any(|l| l.starts_with("BYE")))
        .unwrap_or_else(|| panic!("no BYE"));
    assert_eq!(*at, 32_000);
    assert!(out.events.contains(&Event::CallTerminated {
        call,
        reason: TerminationReason::AckTimeout
    }));
}

/// Regression (issue 10, point 3): a shorter ACK wait ends an unacknowledged answer (and
/// so frees its media) after that wait, with the 2xx retransmitted until then.
#[test]
fn uas_ack_wait_is_configurable() {
    let t0 = epoch();
    let mut ep = lianxin_sip::Endpoint::new(lianxin_sip::EndpointConfig {
        seed: 1,
        contact_host: "10.0.0.2".into(),
        contact_port: 5060,
        ack_wait: Some(Duration::from_secs(8)),
        ..lianxin_sip::EndpointConfig::default()
    });
    let call = incoming_call(&check(&mut ep, t0, PEER, &invite("z9hG4bKg2", "")));
    ep.accept(t0, call, None).unwrap_or_else(|e| panic!("{e}"));
    drain(&mut ep);
    let log = run_timers(&mut ep, t0, Duration::from_secs(40));
    let retransmits = log
        .iter()
        .filter(|(_, o)| o.lines().iter().any(|l| l.starts_with("SIP/2.0 200")))
        .count();
    assert!(retransmits >= 3, "{retransmits} retransmissions of the 200");
    let (at, out) = log
        .iter()
        .find(|(_, o)| o.lines().iter().any(|l| l.starts_with("BYE")))
        .unwrap_or_else(|| panic!("no BYE"));
    assert_eq!(*at, 8_000);
    assert!(out.events.contains(&Event::CallTerminated {
        call,
        reason: TerminationReason::AckTimeout
    }));
}

/// INVITE retransmissions are absorbed: one call, not two.
#[test]
fn invite_retransmission_is_one_call() {
    let t0 = epoch();
    let mut ep = endpoint(1, "10.0.0.2", 5060);
    let first = check(&mut ep, t0, PEER, &invite("z9hG4bKr1", ""));
    let call = incoming_call(&first);
    let again = check(
        &mut ep,
        t0 + Duration::from_millis(500),
        PEER,
        &invite("z9hG4bKr1", ""),
    );
    assert!(again.events.is_empty());
    assert_eq!(again.lines(), ["SIP/2.0 100 Trying"]);
    ep.accept(t0, call, None).unwrap_or_else(|e| panic!("{e}"));
    drain(&mut ep);
    let late = check(
        &mut ep,
        t0 + Duration::from_secs(1),
        PEER,
        &invite("z9hG4bKr1", ""),
    );
    assert!(late.events.is_empty(), "{:?}", late.events);
    assert_eq!(ep.calls(), 1);
}

/// CANCEL before answer: 200 to the CANCEL, 487 to the INVITE, event; the ACK is absorbed.
#[test]
fn cancel_gets_200_and_487() {
    let t0 = epoch();
    let mut ep = endpoint(1, "10.0.0.2", 5060);
    let call = incoming_call(&check(&mut ep, t0, PEER, &invite("z9hG4bKc1", "")));
    let cancel = "
CANCEL sip:110@10.0.0.2 SIP/2.0
Via: SIP/2.0/UDP 192.0.2.7:5062;branch=z9hG4bKc1;rport
From: \"Zhang San\" <sip:13800138000@192.0.2.7>;tag=ft1
To: <sip:110@10.0.0.2>
Call-ID: call-1@192.0.2.7
CSeq: 1 CANCEL
Content-Length: 0
";
    let out = check(&mut ep, t0, PEER, cancel);
    assert_eq!(
        out.lines(),
        ["SIP/2.0 200 OK", "SIP/2.0 487 Request Terminated"]
    );
    assert_eq!(out.events, [Event::Cancelled { call }]);
    assert!(ep.accept(t0, call, None).is_err(), "too late to answer");
    let tag = to_tag(&out.text(1));
    let ack = format!(
        "
ACK sip:110@10.0.0.2 SIP/2.0
Via: SIP/2.0/UDP 192.0.2.7:5062;branch=z9hG4bKc1
From: <sip:13800138000@192.0.2.7>;tag=ft1
To: <sip:110@10.0.0.2>;tag={tag}
Call-ID: call-1@192.0.2.7
CSeq: 1 ACK
Content-Length: 0
"
    );
    let out = check(&mut ep, t0, PEER, &ack);
    assert!(out.transmits.is_empty() && out.events.is_empty());
    // Without the ACK the 487 would be retransmitted on timer G; with it, nothing more.
    let log = run_timers(&mut ep, t0, Duration::from_secs(40));
    assert!(log.iter().all(|(_, o)| o.transmits.is_empty()));
    assert_eq!(ep.calls(), 0, "call freed");
}

fn outgoing(sdp: Option<&[u8]>, credentials: Option<Credentials>) -> OutgoingInvite {
    OutgoingInvite {
        target: "sip:13900139000@192.0.2.50".into(),
        from: "sip:hotline@10.0.0.1".into(),
        from_display: Some("Hotline".into()),
        to: None,
        destination: addr("192.0.2.50:5060"),
        transport: Transport::Udp,
        sdp: sdp.map(<[u8]>::to_vec),
        credentials,
        headers: Vec::new(),
    }
}

/// Build a response to the INVITE text `inv` (as the far end would).
fn respond_to(inv: &str, code: u16, reason: &str, extra: &str) -> String {
    let mut out = format!("SIP/2.0 {code} {reason}\n");
    for l in inv.lines() {
        if l.starts_with("Via:")
            || l.starts_with("From:")
            || l.starts_with("Call-ID:")
            || l.starts_with("CSeq:")
        {
            out.push_str(l);
            out.push('\n');
        } else if l.starts_with("To:") {
            out.push_str(l);
            if code > 100 {
                out.push_str(";tag=remote1");
            }
            out.push('\n');
        }
    }
    out.push_str(extra);
    out.push_str("Content-Length: 0\n\n");
    out
}

/// Trap: the UAC ACKs every retransmitted 2xx; the ACK goes to the Contact through the
/// route set (reversed Record-Route).
#[test]
fn regression_uac_acks_every_2xx_to_contact_via_route_set() {
    let t0 = epoch();
    let mut ep = endpoint(7, "10.0.0.1", 5060);
    let call = ep
        .invite(t0, outgoing(Some(b"v=0\r\n"), None))
        .unwrap_or_else(|e| panic!("{e}"));
    let out = drain(&mut ep);
    assert_eq!(out.lines(), ["INVITE sip:13900139000@192.0.2.50 SIP/2.0"]);
    assert_eq!(out.transmits[0].destination, addr("192.0.2.50:5060"));
    let inv = out.text(0).replace("\r\n", "\n");
    let ringing = respond_to(&inv, 180, "Ringing", "");
    let out = check(&mut ep, t0, "192.0.2.50:5060", &ringing);
    assert!(matches!(
        out.events[..],
        [Event::Progress { code: 180, .. }]
    ));
    let ok = respond_to(
        &inv,
        200,
        "OK",
        "Contact: <sip:callee@192.0.2.99:5099>\nRecord-Route: <sip:p2@192.0.2.61;lr>, <sip:p1@192.0.2.60;lr>\n",
    );
    let out = check(&mut ep, t0, "192.0.2.50:5060", &ok);
    assert!(
        matches!(out.events[..], [Event::Answered { .. }]),
        "{:?}",
        out.events
    );
    assert_eq!(out.lines(), ["ACK sip:callee@192.0.2.99:5099 SIP/2.0"]);
    assert_eq!(
        out.transmits[0].destination,
        addr("192.0.2.60:5060"),
        "first route = last Record-Route"
    );
    let ack1 = out.text(0);
    assert!(
        ack1.contains("Route: <sip:p1@192.0.2.60;lr>\r\nRoute: <sip:p2@192.0.2.61;lr>"),
        "{ack1}"
    );
    for _ in 0..3 {
        let out = check(&mut ep, t0 + Duration::from_secs(1), "192.0.2.50:5060", &ok);
        assert_eq!(out.lines(), ["ACK sip:callee@192.0.2.99:5099 SIP/2.0"]);
        assert!(out.events.is_empty());
    }
    ep.bye(t0 + Duration::from_secs(2), call)
        .unwrap_or_else(|e| panic!("{e}"));
    let out = drain(&mut ep);
    assert_eq!(out.lines(), ["BYE sip:callee@192.0.2.99:5099 SIP/2.0"]);
    assert!(out.text(0).contains("CSeq: 2 BYE"));
}

/// UAC: INVITE timeout gives Failed 408 at 64*T1 (and the INVITE was retransmitted).
#[test]
fn uac_timeout_is_408() {
    let t0 = epoch();
    let mut ep = endpoint(7, "10.0.0.1", 5060);
    let call = ep
        .invite(t0, outgoing(None, None))
        .unwrap_or_else(|e| panic!("{e}"));
    drain(&mut ep);
    let log = run_timers(&mut ep, t0, Duration::from_secs(40));
    let sends: Vec<u128> = log
        .iter()
        .filter(|(_, o)| !o.transmits.is_empty())
        .map(|(t, _)| *t)
        .collect();
    assert_eq!(sends, [500, 1500, 3500, 7500, 15500, 31500]);
    assert!(log.iter().any(|(t, o)| *t == 32_000
        && o.events.iter().any(|e| *e
            == Event::Failed {
                call,
                code: 408,
                reason: "Request Timeout".into(),
                retry_after: None
            })));
}

/// Regression (baresip interop, 2026-11-22): an operator's softphone registered over
/// TCP was killed; the hotline's INVITE to its contact could not connect, yet the call
/// was only given up by timer B 32 s later, and the queue kept re-offering to the dead
/// phone meanwhile. A transport error now fails the INVITE at once; other destinations
/// and other transports are untouched.
#[test]
fn regression_tcp_connect_refused_fails_the_invite_at_once() {
    let t0 = epoch();
    let mut ep = endpoint(7, "10.0.0.1", 5060);
    let mut dead = outgoing(Some(b"v=0\r\n"), None);
    dead.target = "sip:8002-0x555ddd12c260@127.0.0.1:25061;transport=tcp".into();
    dead.destination = addr("127.0.0.1:25061");
    dead.transport = Transport::Tcp;
    let call = ep.invite(t0, dead).unwrap_or_else(|e| panic!("{e}"));
    let other = ep
        .invite(t0, outgoing(Some(b"v=0\r\n"), None))
        .unwrap_or_else(|e| panic!("{e}"));
    let out = drain(&mut ep);
    assert_eq!(out.transmits.len(), 2);
    let inv = out.text(0);
    assert!(inv.starts_with("INVITE sip:8002-"), "{inv}");
    assert!(inv.contains("Via: SIP/2.0/TCP"), "{inv}");

    // Same address over UDP: not the broken connection.
    ep.handle_transport_error(t0, Transport::Udp, addr("127.0.0.1:25061"));
    assert!(drain(&mut ep).events.is_empty());

    let t1 = t0 + Duration::from_millis(3);
    ep.handle_transport_error(t1, Transport::Tcp, addr("127.0.0.1:25061"));
    let out = drain(&mut ep);
    assert!(
        out.transmits.is_empty(),
        "nothing resent: {:?}",
        out.lines()
    );
    assert!(
        out.events.iter().any(|e| *e
            == Event::Failed {
                call,
                code: 408,
                reason: "Request Timeout".into(),
                retry_after: None
            }),
        "{:?}",
        out.events
    );
    assert!(!out
        .events
        .iter()
        .any(|e| matches!(e, Event::Failed { call: c, .. } if *c == other)));

    // The UDP call still retransmits and times out on its own; the dead one is gone.
    let log = run_timers(&mut ep, t1, Duration::from_secs(40));
    let failed: Vec<CallHandle> = log
        .iter()
        .flat_map(|(_, o)| o.events.iter())
        .filter_map(|e| match e {
            Event::Failed { call, .. } => Some(*call),
            _ => None,
        })
        .collect();
    assert_eq!(failed, [other]);
    // A second error for the same address finds nothing left to fail.
    ep.handle_transport_error(t1, Transport::Tcp, addr("127.0.0.1:25061"));
    assert!(drain(&mut ep).events.is_empty());
}

/// UAC: a trunk's 503 carries `Retry-After`, and the failure event says how long to wait
/// (the dialer's governor backs off by it); a response without one says nothing.
#[test]
fn uac_failure_reports_retry_after() {
    let t0 = epoch();
    let mut ep = endpoint(7, "10.0.0.1", 5060);
    let call = ep
        .invite(t0, outgoing(Some(b"v=0\r\n"), None))
        .unwrap_or_else(|e| panic!("{e}"));
    let inv = drain(&mut ep).text(0).replace("\r\n", "\n");
    let busy = respond_to(
        &inv,
        503,
        "Service Unavailable",
        "Retry-After: 30 (overloaded);duration=60\n",
    );
    let out = check(&mut ep, t0, "192.0.2.50:5060", &busy);
    assert!(
        out.events.contains(&Event::Failed {
            call,
            code: 503,
            reason: "Service Unavailable".into(),
            retry_after: Some(30),
        }),
        "{:?}",
        out.events
    );
    let call = ep
        .invite(t0, outgoing(Some(b"v=0\r\n"), None))
        .unwrap_or_else(|e| panic!("{e}"));
    let inv = drain(&mut ep).text(0).replace("\r\n", "\n");
    let busy = respond_to(&inv, 486, "Busy Here", "");
    let out = check(&mut ep, t0, "192.0.2.50:5060", &busy);
    assert!(out.events.contains(&Event::Failed {
        call,
        code: 486,
        reason: "Busy Here".into(),
        retry_after: None,
    }));
}

/// UAC: 407 → retry once with Proxy-Authorization that verifies against the HA1.
#[test]
fn uac_retries_once_with_digest() {
    let t0 = epoch();
    let mut ep = endpoint(7, "10.0.0.1", 5060);
    let creds = Credentials {
        username: "hotline".into(),
        password: "s3cret".into(),
    };
    let call = ep
        .invite(t0, outgoing(Some(b"v=0\r\n"), Some(creds)))
        .unwrap_or_else(|e| panic!("{e}"));
    let inv = drain(&mut ep).text(0).replace("\r\n", "\n");
    let chal = respond_to(
        &inv,
        407,
        "Proxy Authentication Required",
        "Proxy-Authenticate: Digest realm=\"trunk\", nonce=\"abc\", qop=\"auth\", algorithm=SHA-256\n",
    );
    let out = check(&mut ep, t0, "192.0.2.50:5060", &chal);
    assert_eq!(
        out.lines(),
        [
            "ACK sip:13900139000@192.0.2.50 SIP/2.0",
            "INVITE sip:13900139000@192.0.2.50 SIP/2.0"
        ]
    );
    assert!(out.events.is_empty(), "{:?}", out.events);
    let retry = out.text(1);
    assert!(retry.contains("CSeq: 2 INVITE"));
    let value = retry
        .lines()
        .find_map(|l| l.strip_prefix("Proxy-Authorization: "))
        .unwrap_or_else(|| panic!("{retry}"));
    let a = auth::Authorization::parse(value).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(a.algorithm, Algorithm::Sha256);
    assert!(auth::verify(
        &a,
        "INVITE",
        &auth::ha1(Algorithm::Sha256, "hotline", "trunk", "s3cret")
    ));
    // A second challenge is final.
    let chal2 = respond_to(
        &retry.replace("\r\n", "\n"),
        407,
        "Proxy Authentication Required",
        "Proxy-Authenticate: Digest realm=\"trunk\", nonce=\"def\"\n",
    );
    let out = check(&mut ep, t0, "192.0.2.50:5060", &chal2);
    assert!(out.events.contains(&Event::Failed {
        call,
        code: 407,
        reason: "Proxy Authentication Required".into(),
        retry_after: None
    }));
}

/// Two endpoints, 20% loss each way: the call is set up, confirmed and torn down anyway.
#[test]
fn pair_call_survives_loss() {
    let mut dropped = 0;
    for seed in 0..20u64 {
        let mut p = Pair::new(seed, 0.2);
        let b_addr = p.b_addr;
        let mut inv = outgoing(Some(b"v=0\r\n"), None);
        inv.target = "sip:110@10.0.0.2".into();
        inv.destination = b_addr;
        let now = p.now;
        let call_a = p.a.invite(now, inv).unwrap_or_else(|e| panic!("{e}"));
        let deadline = p.t0 + Duration::from_secs(120);
        let mut answered_b = None;
        let mut bye_sent = false;
        while p.step(deadline) {
            if answered_b.is_none() {
                if let Some(call) = p.b_events.iter().find_map(|(_, e)| match e {
                    Event::IncomingCall { call, .. } => Some(*call),
                    _ => None,
                }) {
                    let now = p.now;
                    p.b.send_provisional(now, call, 180, None)
                        .unwrap_or_else(|e| panic!("{e}"));
                    p.b.accept(now, call, Some(b"v=0\r\n".to_vec()))
                        .unwrap_or_else(|e| panic!("{e}"));
                    answered_b = Some(call);
                }
            }
            let answered = p
                .a_events
                .iter()
                .any(|(_, e)| matches!(e, Event::Answered { .. }));
            let acked = p
                .b_events
                .iter()
                .any(|(_, e)| matches!(e, Event::CallAcked { .. }));
            if answered && acked && !bye_sent {
                let now = p.now;
                p.a.bye(now, call_a).unwrap_or_else(|e| panic!("{e}"));
                bye_sent = true;
            }
        }
        let incoming = p
            .b_events
            .iter()
            .filter(|(_, e)| matches!(e, Event::IncomingCall { .. }))
            .count();
        assert_eq!(incoming, 1, "seed {seed}: one call, not two");
        assert!(
            bye_sent,
            "seed {seed}: call not confirmed; a={:?} b={:?}",
            p.a_events, p.b_events
        );
        assert!(
            p.b_events.iter().any(|(_, e)| matches!(
                e,
                Event::CallTerminated {
                    reason: TerminationReason::RemoteBye,
                    ..
                }
            )),
            "seed {seed}: b never saw the end: {:?}",
            p.b_events
        );
        assert_eq!(
            (
                p.a.calls(),
                p.b.calls(),
                p.a.transactions(),
                p.b.transactions()
            ),
            (0, 0, 0, 0),
            "seed {seed}: everything freed"
        );
        dropped += p.dropped;
    }
    assert!(dropped > 20, "the network really lost packets ({dropped})");
}

/// UAC CANCEL: held until a provisional arrives (RFC 3261 §9.1), then 487 fails the call;
/// without any final response the INVITE gives up 64*T1 after the CANCEL.
#[test]
fn uac_cancel_waits_for_provisional_then_487() {
    let t0 = epoch();
    let mut ep = endpoint(7, "10.0.0.1", 5060);
    let call = ep
        .invite(t0, outgoing(Some(b"v=0\r\n"), None))
        .unwrap_or_else(|e| panic!("{e}"));
    let inv = drain(&mut ep).text(0).replace("\r\n", "\n");
    ep.cancel(t0, call).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        drain(&mut ep).transmits.is_empty(),
        "no CANCEL before a provisional"
    );
    let out = check(
        &mut ep,
        t0,
        "192.0.2.50:5060",
        &respond_to(&inv, 100, "Trying", ""),
    );
    assert_eq!(out.lines(), ["CANCEL sip:13900139000@192.0.2.50 SIP/2.0"]);
    let cancel = out.text(0);
    let branch = |t: &str| {
        t.lines()
            .find(|l| l.starts_with("Via:"))
            .and_then(|l| l.split("branch=").nth(1))
            .map(|b| b.split(';').next().unwrap_or(b).to_string())
    };
    assert_eq!(
        branch(&cancel),
        branch(&inv),
        "CANCEL reuses the INVITE branch"
    );
    assert!(cancel.contains("CSeq: 1 CANCEL"));
    let out = check(
        &mut ep,
        t0,
        "192.0.2.50:5060",
        &respond_to(&inv, 487, "Request Terminated", ""),
    );
    assert_eq!(out.lines(), ["ACK sip:13900139000@192.0.2.50 SIP/2.0"]);
    assert_eq!(
        out.events,
        [Event::Failed {
            call,
            code: 487,
            reason: "Request Terminated".into(),
            retry_after: None
        }]
    );
}

#[test]
fn uac_cancel_without_answer_times_out() {
    let t0 = epoch();
    let mut ep = endpoint(7, "10.0.0.1", 5060);
    let call = ep
        .invite(t0, outgoing(Some(b"v=0\r\n"), None))
        .unwrap_or_else(|e| panic!("{e}"));
    let inv = drain(&mut ep).text(0).replace("\r\n", "\n");
    check(
        &mut ep,
        t0,
        "192.0.2.50:5060",
        &respond_to(&inv, 180, "Ringing", ""),
    );
    let t1 = t0 + Duration::from_secs(60);
    ep.cancel(t1, call).unwrap_or_else(|e| panic!("{e}"));
    drain(&mut ep);
    let log = run_timers(&mut ep, t0, Duration::from_secs(200));
    assert!(log.iter().any(|(t, o)| *t == 92_000
        && o.events.contains(&Event::Failed {
            call,
            code: 408,
            reason: "Request Timeout".into(),
            retry_after: None
        })));
    ep.handle_timeout(t0 + Duration::from_secs(300)); // the next input frees the call
    assert_eq!(ep.calls(), 0);
    assert_eq!(ep.transactions(), 0);
}

/// An INVITE that requires an extension we lack (100rel) gets 420 + Unsupported;
/// `Require: timer` is fine.
#[test]
fn require_100rel_gets_420() {
    let t0 = epoch();
    let mut ep = endpoint(1, "10.0.0.2", 5060);
    let out = check(&mut ep, t0, PEER, &invite("z9hG4bKq1", "Require: 100rel\n"));
    assert_eq!(out.lines(), ["SIP/2.0 420 Bad Extension"]);
    assert!(out.text(0).contains("Unsupported: 100rel"));
    let out = check(&mut ep, t0, PEER, &invite("z9hG4bKq2", "Require: timer\n"));
    assert_eq!(out.lines(), ["SIP/2.0 100 Trying"]);
}

/// A request the owner never answers is answered 500 after 64*T1, so nothing leaks.
#[test]
fn unanswered_request_gets_500_and_is_freed() {
    let t0 = epoch();
    let mut ep = endpoint(1, "10.0.0.2", 5060);
    let msg = "
MESSAGE sip:110@10.0.0.2 SIP/2.0
Via: SIP/2.0/UDP 192.0.2.7:5062;branch=z9hG4bKmsg1
From: <sip:x@192.0.2.7>;tag=a
To: <sip:110@10.0.0.2>
Call-ID: msg1
CSeq: 1 MESSAGE
Content-Type: text/plain
Content-Length: *

hello
";
    let out = check(&mut ep, t0, PEER, msg);
    let request = match &out.events[..] {
        [Event::IncomingRequest {
            request, message, ..
        }] => {
            assert_eq!(message.body, b"hello\r\n");
            *request
        }
        other => panic!("{other:?}"),
    };
    let log = run_timers(&mut ep, t0, Duration::from_secs(100));
    assert_eq!(log[0].0, 32_000);
    assert_eq!(log[0].1.lines(), ["SIP/2.0 500 Server Internal Error"]);
    assert!(ep.respond(t0, request, 200, Vec::new(), None).is_err());
    assert_eq!(ep.transactions(), 0);
}

/// A 2xx from a second fork is ACKed and hung up; the call keeps the first answer.
#[test]
fn second_fork_2xx_gets_ack_and_bye() {
    let t0 = epoch();
    let mut ep = endpoint(7, "10.0.0.1", 5060);
    let call = ep
        .invite(t0, outgoing(Some(b"v=0\r\n"), None))
        .unwrap_or_else(|e| panic!("{e}"));
    let inv = drain(&mut ep).text(0).replace("\r\n", "\n");
    let ok1 = respond_to(&inv, 200, "OK", "Contact: <sip:a@192.0.2.71>\n");
    let out = check(&mut ep, t0, "192.0.2.50:5060", &ok1);
    assert!(matches!(out.events[..], [Event::Answered { .. }]));
    let ok2 = ok1
        .replace("tag=remote1", "tag=remote2")
        .replace("sip:a@192.0.2.71", "sip:b@192.0.2.72");
    let out = check(&mut ep, t0, "192.0.2.50:5060", &ok2);
    assert_eq!(
        out.lines(),
        [
            "ACK sip:b@192.0.2.72 SIP/2.0",
            "BYE sip:b@192.0.2.72 SIP/2.0"
        ]
    );
    assert!(out.text(1).contains("tag=remote2"));
    assert!(out.events.is_empty());
    // the real call is untouched
    ep.bye(t0, call).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(drain(&mut ep).lines(), ["BYE sip:a@192.0.2.71 SIP/2.0"]);
}

/// A full transaction table answers new requests with a stateless 503.
#[test]
fn full_table_gets_503() {
    let t0 = epoch();
    let mut ep = lianxin_sip::Endpoint::new(lianxin_sip::EndpointConfig {
        max_transactions: 1,
        ..lianxin_sip::EndpointConfig::default()
    });
    let first = check(&mut ep, t0, PEER, &invite("z9hG4bKf1", ""));
    assert_eq!(first.lines(), ["SIP/2.0 100 Trying"]);
    let second = check(
        &mut ep,
        t0,
        PEER,
        &invite("z9hG4bKf2", "").replace("call-1@", "call-2@"),
    );
    assert_eq!(second.lines(), ["SIP/2.0 503 Service Unavailable"]);
    assert!(second.events.is_empty());
    // A To tag is no ticket past the cap (issue 10, point 4).
    let tagged = invite("z9hG4bKf3", "")
        .replace("call-1@", "call-3@")
        .replace(
            "To: <sip:110@10.0.0.2>",
            "To: <sip:110@10.0.0.2>;tag=nodialog",
        );
    let out = check(&mut ep, t0, PEER, &tagged);
    assert_eq!(out.lines(), ["SIP/2.0 503 Service Unavailable"]);
}

/// A trunk that challenges our BYE gets it again with credentials (next CSeq).
#[test]
fn challenged_bye_is_retried_with_credentials() {
    let t0 = epoch();
    let mut ep = endpoint(7, "10.0.0.1", 5060);
    let creds = Credentials {
        username: "hotline".into(),
        password: "s3cret".into(),
    };
    let call = ep
        .invite(t0, outgoing(Some(b"v=0\r\n"), Some(creds)))
        .unwrap_or_else(|e| panic!("{e}"));
    let inv = drain(&mut ep).text(0).replace("\r\n", "\n");
    let ok = respond_to(&inv, 200, "OK", "Contact: <sip:x@192.0.2.50>\n");
    check(&mut ep, t0, "192.0.2.50:5060", &ok);
    ep.bye(t0, call).unwrap_or_else(|e| panic!("{e}"));
    let bye = drain(&mut ep).text(0).replace("\r\n", "\n");
    let chal = respond_to(
        &bye,
        407,
        "Proxy Authentication Required",
        "Proxy-Authenticate: Digest realm=\"trunk\", nonce=\"b1\"\n",
    )
    .replace(";tag=remote1;tag=remote1", ";tag=remote1");
    let out = check(&mut ep, t0, "192.0.2.50:5060", &chal);
    assert_eq!(out.lines(), ["BYE sip:x@192.0.2.50 SIP/2.0"]);
    assert!(out.text(0).contains("CSeq: 3 BYE"));
    assert!(out
        .text(0)
        .contains("Proxy-Authorization: Digest username=\"hotline\""));
}

/// Trap: a transaction must not stop retransmitting because nobody awaits it. The owner
/// here never polls events (nobody "awaits" the INVITE or the OPTIONS); the timers alone
/// drive the retransmissions.
#[test]
fn regression_transactions_retransmit_though_nobody_awaits() {
    let t0 = epoch();
    let mut ep = endpoint(7, "10.0.0.1", 5060);
    ep.invite(t0, outgoing(Some(b"v=0\r\n"), None))
        .unwrap_or_else(|e| panic!("{e}"));
    ep.request(
        t0,
        lianxin_sip::OutgoingRequest {
            method: lianxin_sip::Method::Options,
            target: "sip:192.0.2.50".into(),
            from: "sip:hotline@10.0.0.1".into(),
            to: None,
            call_id: None,
            cseq: None,
            destination: addr("192.0.2.50:5060"),
            transport: Transport::Udp,
            credentials: None,
            headers: Vec::new(),
            body: None,
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let mut sends: Vec<(u128, String)> = Vec::new();
    let mut now = t0;
    loop {
        while let Some(t) = ep.poll_transmit() {
            let line = String::from_utf8_lossy(&t.payload)
                .lines()
                .next()
                .unwrap_or("")
                .split(' ')
                .next()
                .unwrap_or("")
                .to_string();
            sends.push(((now - t0).as_millis(), line));
        }
        match ep.poll_timeout() {
            Some(at) if at - t0 <= Duration::from_secs(8) => {
                now = at;
                ep.handle_timeout(at);
            }
            _ => break,
        }
    }
    let times = |m: &str| -> Vec<u128> {
        sends
            .iter()
            .filter(|(_, l)| l == m)
            .map(|(t, _)| *t)
            .collect()
    };
    assert_eq!(times("INVITE"), [0, 500, 1500, 3500, 7500]);
    assert_eq!(times("OPTIONS"), [0, 500, 1500, 3500, 7500]);
}

//! In-dialog behaviour: late offer both ways, re-INVITE, INFO DTMF, session-timer headers,
//! TCP responses to the connection, BYE from the far end.

mod common;

use common::*;
use lianxin_sip::{CallHandle, Event, OutgoingInvite, TerminationReason, Transport};
use std::time::Duration;

const PEER: &str = "192.0.2.7:5062";

fn invite(body: &str, extra: &str) -> String {
    let ct = if body.is_empty() {
        ""
    } else {
        "Content-Type: application/sdp\n"
    };
    format!(
        "
INVITE sip:110@10.0.0.2 SIP/2.0
Via: SIP/2.0/UDP 192.0.2.7:5062;branch=z9hG4bKd1;rport
Max-Forwards: 70
From: <sip:13800138000@192.0.2.7>;tag=ft1
To: <sip:110@10.0.0.2>
Call-ID: dlg-1@192.0.2.7
CSeq: 1 INVITE
Contact: <sip:13800138000@192.0.2.7:5062>
{extra}{ct}Content-Length: *

{body}"
    )
}

fn in_dialog(method: &str, cseq: u32, tag: &str, branch: &str, extra: &str, body: &str) -> String {
    format!(
        "
{method} sip:10.0.0.2:5060 SIP/2.0
Via: SIP/2.0/UDP 192.0.2.7:5062;branch={branch};rport
Max-Forwards: 70
From: <sip:13800138000@192.0.2.7>;tag=ft1
To: <sip:110@10.0.0.2>;tag={tag}
Call-ID: dlg-1@192.0.2.7
CSeq: {cseq} {method}
{extra}Content-Length: *

{body}"
    )
}

fn tag_of(text: &str) -> String {
    text.lines()
        .find(|l| l.starts_with("To:"))
        .and_then(|l| l.split("tag=").nth(1))
        .map(|t| t.trim().to_string())
        .unwrap_or_default()
}

/// Answer an incoming INVITE and ACK it; returns (call, our tag).
fn established(ep: &mut lianxin_sip::Endpoint, extra: &str) -> (CallHandle, String) {
    let t0 = epoch();
    let out = check(ep, t0, PEER, &invite("v=0\n", extra));
    let call = out
        .events
        .iter()
        .find_map(|e| match e {
            Event::IncomingCall { call, .. } => Some(*call),
            _ => None,
        })
        .unwrap_or_else(|| panic!("{:?}", out.events));
    ep.accept(t0, call, Some(b"v=0\r\n".to_vec()))
        .unwrap_or_else(|e| panic!("{e}"));
    let tag = tag_of(&drain(ep).text(0));
    let out = check(ep, t0, PEER, &in_dialog("ACK", 1, &tag, "z9hG4bKa", "", ""));
    assert!(matches!(out.events[..], [Event::CallAcked { .. }]));
    (call, tag)
}

#[test]
fn uas_late_offer_answer_comes_in_the_ack() {
    let t0 = epoch();
    let mut ep = endpoint(1, "10.0.0.2", 5060);
    let out = check(&mut ep, t0, PEER, &invite("", ""));
    let call = match &out.events[..] {
        [Event::IncomingCall {
            call, sdp: None, ..
        }] => *call,
        other => panic!("{other:?}"),
    };
    ep.accept(t0, call, Some(b"v=0 offer\r\n".to_vec()))
        .unwrap_or_else(|e| panic!("{e}"));
    let out = drain(&mut ep);
    assert!(out.text(0).ends_with("v=0 offer\r\n"));
    let tag = tag_of(&out.text(0));
    let ack = in_dialog(
        "ACK",
        1,
        &tag,
        "z9hG4bKa",
        "Content-Type: application/sdp\n",
        "v=0 answer\n",
    );
    let out = check(&mut ep, t0, PEER, &ack);
    assert_eq!(
        out.events,
        [Event::CallAcked {
            call,
            sdp: Some(b"v=0 answer\r\n".to_vec())
        }]
    );
}

#[test]
fn uac_late_offer_owner_sends_the_ack() {
    let t0 = epoch();
    let mut ep = endpoint(9, "10.0.0.1", 5060);
    let call = ep
        .invite(
            t0,
            OutgoingInvite {
                target: "sip:8001@192.0.2.8:5070".into(),
                from: "sip:hotline@10.0.0.1".into(),
                from_display: None,
                to: None,
                destination: addr("192.0.2.8:5070"),
                transport: Transport::Udp,
                sdp: None,
                credentials: None,
                headers: Vec::new(),
            },
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let inv = drain(&mut ep).text(0);
    assert!(!inv.contains("Content-Type"));
    let pick = |p: &str| {
        inv.lines()
            .find(|l| l.starts_with(p))
            .unwrap_or("")
            .to_string()
    };
    let ok = format!(
        "
SIP/2.0 200 OK
{}
{}
{};tag=far
{}
{}
Contact: <sip:8001@192.0.2.8:5070>
Content-Type: application/sdp
Content-Length: *

v=0 offer
",
        pick("Via:"),
        pick("From:"),
        pick("To:"),
        pick("Call-ID:"),
        pick("CSeq:")
    );
    let out = check(&mut ep, t0, "192.0.2.8:5070", &ok);
    assert!(
        out.transmits.is_empty(),
        "no automatic ACK for a late offer"
    );
    assert!(matches!(
        &out.events[..],
        [Event::Answered { sdp: Some(_), .. }]
    ));
    ep.ack(t0, call, Some(b"v=0 answer\r\n".to_vec()))
        .unwrap_or_else(|e| panic!("{e}"));
    let out = drain(&mut ep);
    assert_eq!(out.lines(), ["ACK sip:8001@192.0.2.8:5070 SIP/2.0"]);
    assert!(out.text(0).ends_with("v=0 answer\r\n"));
    // a 2xx retransmission gets the same ACK (with the answer) again
    let out = check(&mut ep, t0, "192.0.2.8:5070", &ok);
    assert!(out.text(0).ends_with("v=0 answer\r\n"));
}

#[test]
fn reinvite_for_hold_is_answered_by_the_owner() {
    let mut ep = endpoint(1, "10.0.0.2", 5060);
    let (call, tag) = established(&mut ep, "");
    let t0 = epoch();
    let re = in_dialog(
        "INVITE",
        2,
        &tag,
        "z9hG4bKre",
        "Content-Type: application/sdp\n",
        "v=0 sendonly\n",
    );
    let out = check(&mut ep, t0, PEER, &re);
    assert_eq!(
        out.events,
        [Event::Reinvite {
            call,
            sdp: Some(b"v=0 sendonly\r\n".to_vec())
        }]
    );
    ep.answer_reinvite(t0, call, 200, Some(b"v=0 recvonly\r\n".to_vec()))
        .unwrap_or_else(|e| panic!("{e}"));
    let out = drain(&mut ep);
    assert_eq!(out.lines(), ["SIP/2.0 200 OK"]);
    // retransmitted until the ACK
    let log = run_timers(&mut ep, t0, Duration::from_millis(1600));
    assert_eq!(log.len(), 2);
    check(
        &mut ep,
        t0,
        PEER,
        &in_dialog("ACK", 2, &tag, "z9hG4bKa2", "", ""),
    );
    let log = run_timers(&mut ep, t0, Duration::from_secs(10));
    assert!(log.iter().all(|(_, o)| o.transmits.is_empty()));
    // an old CSeq is refused
    let out = check(
        &mut ep,
        t0,
        PEER,
        &in_dialog("INFO", 1, &tag, "z9hG4bKold", "", ""),
    );
    assert_eq!(out.lines(), ["SIP/2.0 500 Server Internal Error"]);
}

#[test]
fn info_dtmf_relay_becomes_an_event() {
    let mut ep = endpoint(1, "10.0.0.2", 5060);
    let (call, tag) = established(&mut ep, "");
    let info = in_dialog(
        "INFO",
        2,
        &tag,
        "z9hG4bKi",
        "Content-Type: application/dtmf-relay\n",
        "Signal=5\nDuration=160\n",
    );
    let out = check(&mut ep, epoch(), PEER, &info);
    assert_eq!(out.lines(), ["SIP/2.0 200 OK"]);
    assert_eq!(
        out.events,
        [Event::Dtmf {
            call,
            digit: '5',
            duration_ms: Some(160)
        }]
    );
}

/// Session-timer headers are ignored without breaking the call (and refreshes by UPDATE or
/// re-INVITE are answered).
#[test]
fn session_timer_headers_do_not_break_calls() {
    let mut ep = endpoint(1, "10.0.0.2", 5060);
    let (call, tag) = established(
        &mut ep,
        "Supported: timer\nSession-Expires: 90;refresher=uac\nMin-SE: 90\n",
    );
    let out = check(
        &mut ep,
        epoch(),
        PEER,
        &in_dialog(
            "UPDATE",
            2,
            &tag,
            "z9hG4bKu",
            "Session-Expires: 90;refresher=uac\n",
            "",
        ),
    );
    assert_eq!(out.lines(), ["SIP/2.0 200 OK"]);
    let out = check(
        &mut ep,
        epoch(),
        PEER,
        &in_dialog("BYE", 3, &tag, "z9hG4bKbye", "", ""),
    );
    assert_eq!(out.lines(), ["SIP/2.0 200 OK"]);
    assert_eq!(
        out.events,
        [Event::CallTerminated {
            call,
            reason: TerminationReason::RemoteBye
        }]
    );
    // The owner can still name the call (for its tracing span) while draining the event.
    assert_eq!(ep.call_id(call), Some("dlg-1@192.0.2.7"));
    // A retransmitted BYE is absorbed by its transaction.
    let out = check(
        &mut ep,
        epoch(),
        PEER,
        &in_dialog("BYE", 3, &tag, "z9hG4bKbye", "", ""),
    );
    assert_eq!(out.lines(), ["SIP/2.0 200 OK"]);
    assert!(out.events.is_empty());
    assert!(ep.hangup(epoch(), call).is_err());
}

/// Over TCP, responses go back to the connection's remote address, never Via, and nothing
/// is retransmitted by the transaction layer.
#[test]
fn tcp_responses_go_to_the_connection() {
    let t0 = epoch();
    let mut ep = endpoint(1, "10.0.0.2", 5060);
    let text = invite("v=0\n", "").replace("SIP/2.0/UDP", "SIP/2.0/TCP");
    ep.handle_message(
        t0,
        Transport::Tcp,
        addr(LOCAL),
        addr("198.51.100.3:41000"),
        &sip(&text),
    );
    let out = drain(&mut ep);
    assert_eq!(out.transmits[0].destination, addr("198.51.100.3:41000"));
    assert_eq!(out.transmits[0].transport, Transport::Tcp);
    let call = match &out.events[..] {
        [Event::IncomingCall { call, .. }] => *call,
        other => panic!("{other:?}"),
    };
    ep.reject(t0, call, 486, None)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(drain(&mut ep).lines(), ["SIP/2.0 486 Busy Here"]);
    let log = run_timers(&mut ep, t0, Duration::from_secs(40));
    assert!(
        log.iter().all(|(_, o)| o.transmits.is_empty()),
        "no timer G on TCP"
    );
}

/// An IPv6 local address goes into Via and Contact with brackets, and parses back.
#[test]
fn ipv6_contact_host_is_bracketed() {
    let t0 = epoch();
    let mut ep = lianxin_sip::Endpoint::new(lianxin_sip::EndpointConfig {
        contact_host: "2001:db8::2".into(),
        ..lianxin_sip::EndpointConfig::default()
    });
    ep.invite(
        t0,
        OutgoingInvite {
            target: "sip:8001@[2001:db8::8]:5070".into(),
            from: "sip:hotline@[2001:db8::2]".into(),
            from_display: None,
            to: None,
            destination: addr("[2001:db8::8]:5070"),
            transport: Transport::Udp,
            sdp: None,
            credentials: None,
            headers: Vec::new(),
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let out = drain(&mut ep);
    let text = out.text(0);
    assert!(
        text.contains("Via: SIP/2.0/UDP [2001:db8::2]:5060;branch="),
        "{text}"
    );
    assert!(text.contains("Contact: <sip:[2001:db8::2]:5060>"), "{text}");
    assert!(lianxin_sip::wire::parse(&out.transmits[0].payload).is_ok());
}

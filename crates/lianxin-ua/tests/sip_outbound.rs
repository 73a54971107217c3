//! Outbound calls through `UaHandle::invite` against sipp callees on 127.0.0.1: answer
//! and hang-up (UDP, TCP, late offer), per-call event routing beside an inbound call
//! (progress, early media, answer, INFO digits, re-INVITEs both ways, end),
//! hang-up by dropping a call's receiver (CANCEL while ringing, ACK + BYE when a 2xx
//! crosses the CANCEL, BYE once answered), extra INVITE headers.
//!
//! The callee scenarios check what they receive (`check_it` on headers, an expected
//! CANCEL or BYE), so a sipp exit code other than 0 is a failure of the UA.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

mod support;

use lianxin_sdp::{LocalMedia, SessionDescription};
use lianxin_ua::{
    CallEvent, CallHandle, EndReason, HeaderError, OutboundCall, OutgoingCall, Transport, UaError,
    UaEvent, UaHandle,
};
use support::raw::{next_event, start_raw};
use support::sipp::{assert_ok, free_udp_port, wait_listening, SippChild};
use tokio::runtime::Runtime;
use tokio::sync::mpsc;

/// A call to sipp's callee on `port`, with `local` as the SDP offer (`None`: late offer).
fn household(ua: &UaHandle, port: u16, local: Option<&LocalMedia>) -> OutgoingCall {
    OutgoingCall {
        target: format!("sip:household@127.0.0.1:{port}"),
        from: format!("sip:hotline@{}", ua.local_addr()),
        from_display: None,
        destination: SocketAddr::from(([127, 0, 0, 1], port)),
        transport: Transport::Udp,
        sdp: local.map(|l| lianxin_sdp::offer(l).to_string().into_bytes()),
        credentials: None,
        headers: Vec::new(),
    }
}

/// Events until one matches `last` (included) or `secs` pass.
fn events_until<E>(
    rt: &Runtime,
    events: &mut mpsc::Receiver<E>,
    secs: u64,
    last: impl Fn(&E) -> bool,
) -> Vec<E> {
    rt.block_on(async {
        let mut seen = Vec::new();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        while let Ok(Some(e)) = tokio::time::timeout_at(deadline, events.recv()).await {
            let stop = last(&e);
            seen.push(e);
            if stop {
                break;
            }
        }
        seen
    })
}

/// Whether the stream has ended (`None`) within `secs`, with no event left in it.
fn ends(rt: &Runtime, events: &mut mpsc::Receiver<CallEvent>, secs: u64) -> bool {
    rt.block_on(async {
        matches!(
            tokio::time::timeout(Duration::from_secs(secs), events.recv()).await,
            Ok(None)
        )
    })
}

/// Waits (bounded) until the UA routes no outbound call any more: no call leaked.
fn assert_no_outbound_left(rt: &Runtime, ua: &UaHandle) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let stats = rt.block_on(ua.stats()).expect("stats");
        if stats.outbound == 0 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "outbound calls still routed: {stats:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A sipp callee running `scenario` (`""`: built-in, named in `args`) on a free port,
/// listening on `transport` before it is returned with its port.
fn callee(scenario: &str, args: &[String], transport: Transport) -> (SippChild, u16) {
    let port = free_udp_port();
    let callee = SippChild::spawn(scenario, port, args);
    wait_listening(port, transport);
    (callee, port)
}

/// sipp's built-in callee: 180, 200 with SDP, then waits for our BYE (timeout: failure).
fn builtin_uas() -> Vec<String> {
    vec!["-sn".to_string(), "uas".to_string()]
}

/// A callee running `uas_progress_info` that sends `digit`.
fn progress_info_callee(digit: char) -> (SippChild, u16) {
    let args = ["-key".to_string(), "digit".to_string(), digit.to_string()];
    callee("uas_progress_info", &args, Transport::Udp)
}

/// The code of the call's first provisional response within 10 s.
fn ringing(rt: &Runtime, events: &mut mpsc::Receiver<CallEvent>) -> Option<u16> {
    next_event(rt, events, 10, |e| match e {
        CallEvent::Progress { code, .. } => Some(*code),
        _ => None,
    })
}

#[test]
fn sip_outbound_calls_and_an_inbound_call_each_hear_only_their_own_events() {
    let (rt, ua, mut inbound) = start_raw(|_| {});
    // The inbound call: sipp calls, we answer, it sends digit 1 and waits for our BYE.
    let caller = SippChild::spawn(
        "uac_info_wait_bye",
        free_udp_port(),
        &[ua.local_addr().to_string(), "-s".into(), "100".into()],
    );
    let incoming = next_event(&rt, &mut inbound, 10, |e| match e {
        UaEvent::IncomingCall(c) => Some(c.clone()),
        _ => None,
    })
    .expect("incoming call");
    let offer = SessionDescription::parse_bytes(incoming.sdp.as_deref().expect("offer"))
        .expect("valid offer");
    let local = LocalMedia::new(ua.local_addr().ip(), 40_000, 1);
    let answer = lianxin_sdp::answer(&offer, &local)
        .expect("common codec")
        .answer;
    rt.block_on(ua.ringing(incoming.call)).expect("ringing");
    rt.block_on(ua.answer(incoming.call, answer.to_string().into_bytes()))
        .expect("answer");
    let mut inbound_seen =
        events_until(&rt, &mut inbound, 10, |e| matches!(e, UaEvent::Dtmf { .. }));

    // Two outbound calls while it is up, each callee ringing (180, then 183 with early
    // media), answering and sending its own digit: A sends 5, B sends 7. Both check the
    // extra headers.
    let (callee_a, port_a) = progress_info_callee('5');
    let (callee_b, port_b) = progress_info_callee('7');
    let headers = vec![
        (
            "P-Asserted-Identity".to_string(),
            "<sip:+861051663371@trunk.example>".to_string(),
        ),
        ("X-Lianxin-Campaign".to_string(), "42".to_string()),
    ];
    let place = |port| {
        let mut call = household(&ua, port, Some(&local));
        call.headers = headers.clone();
        rt.block_on(ua.invite(call)).expect("invite")
    };
    let mut a = place(port_a);
    let mut b = place(port_b);
    let is_dtmf = |e: &CallEvent| matches!(e, CallEvent::Dtmf { .. });
    let seen_a = events_until(&rt, &mut a.events, 10, is_dtmf);
    let seen_b = events_until(&rt, &mut b.events, 10, is_dtmf);
    for (seen, digit) in [(&seen_a, '5'), (&seen_b, '7')] {
        assert!(
            matches!(
                seen.as_slice(),
                [
                    CallEvent::Progress { code: 180, sdp: None },
                    CallEvent::Progress { code: 183, sdp: Some(_) },
                    CallEvent::Answered { sdp: Some(_) },
                    CallEvent::Dtmf { digit: d },
                ] if *d == digit
            ),
            "call sending {digit} saw {seen:?}"
        );
    }
    // Each callee holds its call (re-INVITE), then takes ours: both on its own receiver.
    for out in [&mut a, &mut b] {
        let hold = events_until(&rt, &mut out.events, 10, |_| true);
        let Some(CallEvent::Reinvite { sdp: Some(offer) }) = hold.first() else {
            panic!("expected the callee's re-INVITE, saw {hold:?}");
        };
        let offer = SessionDescription::parse_bytes(offer).expect("valid re-INVITE offer");
        let answer = lianxin_sdp::answer(&offer, &local).expect("common codec");
        assert!(answer.remote.held, "the callee holds the call");
        let body = answer.answer.to_string().into_bytes();
        rt.block_on(ua.answer_reinvite(out.call, 200, Some(body)))
            .expect("answer re-INVITE");
        // Ours may go once the callee has ACKed our 200 (no event tells): retry.
        let offer = lianxin_sdp::offer(&local).to_string().into_bytes();
        let deadline = Instant::now() + Duration::from_secs(5);
        while let Err(e) = rt.block_on(ua.reinvite(out.call, offer.clone())) {
            assert!(Instant::now() < deadline, "re-INVITE refused: {e}");
            std::thread::sleep(Duration::from_millis(10));
        }
        let result = events_until(&rt, &mut out.events, 10, |_| true);
        assert!(
            matches!(
                result.as_slice(),
                [CallEvent::ReinviteResult {
                    code: 200,
                    sdp: Some(_)
                }]
            ),
            "{result:?}"
        );
    }
    for out in [&a, &b] {
        rt.block_on(ua.hangup(out.call)).expect("hangup");
    }
    for out in [&mut a, &mut b] {
        let end = events_until(&rt, &mut out.events, 10, |_| true);
        assert!(
            matches!(
                end.as_slice(),
                [CallEvent::Terminated {
                    reason: EndReason::LocalBye
                }]
            ),
            "{end:?}"
        );
        assert!(
            ends(&rt, &mut out.events, 5),
            "the stream ends after Terminated"
        );
    }
    assert_ok(&callee_a.wait());
    assert_ok(&callee_b.wait());

    // The inbound receiver heard its own call only: ACK, digit 1, and our BYE.
    rt.block_on(ua.hangup(incoming.call))
        .expect("hang up inbound");
    inbound_seen.extend(events_until(&rt, &mut inbound, 10, |e| {
        matches!(e, UaEvent::Terminated { .. })
    }));
    let own = |c: &CallHandle| *c == incoming.call;
    assert!(
        matches!(
            inbound_seen.as_slice(),
            [
                UaEvent::Acked { call: c1, .. },
                UaEvent::Dtmf { call: c2, digit: '1' },
                UaEvent::Terminated { call: c3, reason: EndReason::LocalBye },
            ] if own(c1) && own(c2) && own(c3)
        ),
        "inbound receiver saw {inbound_seen:?}"
    );
    assert_ok(&caller.wait());
    assert!(
        inbound.try_recv().is_err(),
        "nothing else on the inbound receiver"
    );
    assert_no_outbound_left(&rt, &ua);
    rt.block_on(ua.shutdown());
}

#[test]
fn sip_dropping_a_ringing_call_sends_cancel() {
    let (callee, port) = callee("uas_expect_cancel", &[], Transport::Udp);
    let (rt, ua, _inbound) = start_raw(|_| {});
    let local = LocalMedia::new(ua.local_addr().ip(), 40_000, 3);
    let mut out = rt
        .block_on(ua.invite(household(&ua, port, Some(&local))))
        .expect("invite");
    assert_eq!(ringing(&rt, &mut out.events), Some(180));
    drop(out);
    // sipp fails (timeout) unless CANCEL comes; it then sends 487 and wants the ACK.
    assert_ok(&callee.wait());
    assert_no_outbound_left(&rt, &ua);
    rt.block_on(ua.shutdown());
}

#[test]
fn sip_answer_crossing_the_cancel_of_a_dropped_call_is_acked_then_byed() {
    let (callee, port) = callee("uas_answer_after_cancel", &[], Transport::Udp);
    let (rt, ua, _inbound) = start_raw(|_| {});
    let local = LocalMedia::new(ua.local_addr().ip(), 40_000, 4);
    let mut out = rt
        .block_on(ua.invite(household(&ua, port, Some(&local))))
        .expect("invite");
    assert_eq!(ringing(&rt, &mut out.events), Some(180));
    drop(out);
    // sipp wants CANCEL, answers 200 anyway, then wants the ACK and a BYE.
    assert_ok(&callee.wait());
    assert_no_outbound_left(&rt, &ua);
    rt.block_on(ua.shutdown());
}

#[test]
fn sip_dropping_an_answered_call_sends_bye() {
    let (callee, port) = callee("", &builtin_uas(), Transport::Udp);
    let (rt, ua, _inbound) = start_raw(|_| {});
    let local = LocalMedia::new(ua.local_addr().ip(), 40_000, 5);
    let mut out = rt
        .block_on(ua.invite(household(&ua, port, Some(&local))))
        .expect("invite");
    let answered = next_event(&rt, &mut out.events, 10, |e| {
        matches!(e, CallEvent::Answered { .. }).then_some(())
    });
    assert_eq!(answered, Some(()));
    drop(out);
    assert_ok(&callee.wait());
    assert_no_outbound_left(&rt, &ua);
    rt.block_on(ua.shutdown());
}

#[test]
fn sip_outbound_call_whose_owner_stops_reading_is_hung_up() {
    // Built-in callee: 180, then 200 at once, then waits for a BYE (timeout: failure).
    let (callee, port) = callee("", &builtin_uas(), Transport::Udp);
    // Room for one event: the 180 fills it, the 200 finds it full.
    let (rt, ua, _inbound) = start_raw(|c| c.call_event_capacity = 1);
    let local = LocalMedia::new(ua.local_addr().ip(), 40_000, 6);
    let mut out = rt
        .block_on(ua.invite(household(&ua, port, Some(&local))))
        .expect("invite");
    // Not reading: the UA must not wait on us, and must not keep the call up.
    assert_ok(&callee.wait());
    let seen = events_until(&rt, &mut out.events, 5, |_| false);
    assert!(
        matches!(seen.as_slice(), [CallEvent::Progress { code: 180, .. }]),
        "{seen:?}"
    );
    assert_no_outbound_left(&rt, &ua);
    rt.block_on(ua.shutdown());
}

#[test]
fn sip_bad_extra_header_refuses_the_call_and_sends_nothing() {
    let (rt, ua, _inbound) = start_raw(|_| {});
    let mut call = household(&ua, 9, None);
    call.headers = vec![(
        "X-Lianxin-Campaign".into(),
        "42\r\nVia: SIP/2.0/UDP 192.0.2.66".into(),
    )];
    match rt.block_on(ua.invite(call.clone())) {
        Err(UaError::Header(HeaderError::BadValue(name))) => {
            assert_eq!(name, "X-Lianxin-Campaign")
        }
        other => panic!("expected a header error, got {other:?}"),
    }
    call.headers = vec![("Call-ID".into(), "mine".into())];
    assert!(matches!(
        rt.block_on(ua.invite(call)),
        Err(UaError::Header(HeaderError::Reserved(_)))
    ));
    let stats = rt.block_on(ua.stats()).expect("stats");
    assert_eq!((stats.calls, stats.outbound), (0, 0));
    rt.block_on(ua.shutdown());
}

#[test]
fn sip_outbound_call_answered_and_hung_up() {
    outbound_call(Transport::Udp);
}

#[test]
fn sip_outbound_call_over_tcp() {
    outbound_call(Transport::Tcp);
}

fn outbound_call(transport: Transport) {
    let mut args = builtin_uas();
    if transport == Transport::Tcp {
        args.extend(["-t".to_string(), "t1".to_string()]);
    }
    let (callee, port) = callee("", &args, transport);
    let (rt, ua, _inbound) = start_raw(|_| {});
    let local = lianxin_sdp::LocalMedia::new(ua.local_addr().ip(), 40_000, 1);
    let mut outgoing = household(&ua, port, Some(&local));
    outgoing.transport = transport;
    outgoing.from_display = Some("hotline".into());
    let OutboundCall { call, mut events } = rt.block_on(ua.invite(outgoing)).expect("invite");
    let answered = next_event(&rt, &mut events, 10, |e| match e {
        CallEvent::Answered { sdp } => Some(sdp.clone()),
        CallEvent::Failed { code, .. } => panic!("call failed with {code}"),
        _ => None,
    });
    let sdp = answered.expect("answered").expect("SDP in the 200");
    let answer = lianxin_sdp::SessionDescription::parse_bytes(&sdp).expect("valid SDP");
    lianxin_sdp::accept_answer(&local, &answer).expect("usable answer");
    rt.block_on(ua.hangup(call)).expect("hangup");
    let ended = next_event(&rt, &mut events, 10, |e| match e {
        CallEvent::Terminated { reason } => Some(*reason),
        _ => None,
    });
    assert_eq!(ended, Some(EndReason::LocalBye));
    assert_ok(&callee.wait());
    rt.block_on(ua.shutdown());
}

#[test]
fn sip_outbound_late_offer_call() {
    let (callee, port) = callee("", &builtin_uas(), Transport::Udp);
    let (rt, ua, _inbound) = start_raw(|_| {});
    let OutboundCall { call, mut events } = rt
        .block_on(ua.invite(household(&ua, port, None)))
        .expect("invite");
    let offer = next_event(&rt, &mut events, 10, |e| match e {
        CallEvent::Answered { sdp } => Some(sdp.clone()),
        CallEvent::Failed { code, .. } => panic!("call failed with {code}"),
        _ => None,
    })
    .expect("answered")
    .expect("the 200 carries the offer");
    let offer = lianxin_sdp::SessionDescription::parse_bytes(&offer).expect("valid SDP");
    let local = lianxin_sdp::LocalMedia::new(ua.local_addr().ip(), 40_000, 2);
    let negotiated = lianxin_sdp::answer(&offer, &local).expect("common codec");
    rt.block_on(ua.ack(call, Some(negotiated.answer.to_string().into_bytes())))
        .expect("ack");
    // The ACK is on the wire before the BYE: the UA sends in command order.
    rt.block_on(ua.hangup(call)).expect("hangup");
    let ended = next_event(&rt, &mut events, 10, |e| match e {
        CallEvent::Terminated { reason } => Some(*reason),
        _ => None,
    });
    assert_eq!(ended, Some(EndReason::LocalBye));
    assert_ok(&callee.wait());
    rt.block_on(ua.shutdown());
}

//! Two legs talking over real sockets on 127.0.0.1: one placed with `Leg::outgoing`, one
//! taken with `Leg::incoming`, each on its own UA, sharing one media engine. Every wait is
//! bounded.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use lianxin_leg::{Leg, LegContext, LegError, LegEvent};
use lianxin_media::{Channels, MediaConfig, MediaEngine, MediaHandle, PlayItem, PromptLibrary};
use lianxin_ua::{
    CallEvent, CallHandle, EndReason, OutgoingCall, StaticCredentials, Transport, Ua, UaConfig,
    UaEvent,
};
use tokio::sync::mpsc;

async fn ua() -> (lianxin_ua::UaHandle, mpsc::Receiver<UaEvent>) {
    let mut config = UaConfig::new("127.0.0.1:0".parse().unwrap());
    config.tcp = false;
    Ua::start(config, Arc::new(StaticCredentials::default()))
        .await
        .expect("UA starts")
}

fn media(first_port: u16) -> MediaHandle {
    let mut config = MediaConfig::new("127.0.0.1".parse().unwrap(), Arc::new(PromptLibrary::new()));
    config.port_range = (first_port, first_port + 199);
    MediaEngine::start(config).expect("engine starts")
}

/// The next event `pick` accepts, within 10 s (of the UA, or of one placed call).
async fn next<E, T>(events: &mut mpsc::Receiver<E>, mut pick: impl FnMut(E) -> Option<T>) -> T {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let ev = tokio::time::timeout_at(deadline, events.recv())
            .await
            .expect("event within 10 s")
            .expect("events until the awaited one");
        if let Some(t) = pick(ev) {
            return t;
        }
    }
}

fn dial(to: SocketAddr) -> OutgoingCall {
    OutgoingCall {
        target: format!("sip:household@{to}"),
        from: "sip:notice@127.0.0.1".to_string(),
        from_display: None,
        destination: to,
        transport: Transport::Udp,
        sdp: None,
        credentials: None,
        headers: Vec::new(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn placed_and_taken_legs_talk_hold_record_and_close_once() {
    let engine = media(46000);
    let (ua_a, mut ev_a) = ua().await;
    let (ua_b, mut ev_b) = ua().await;
    let ip = "127.0.0.1".parse().unwrap();
    let ctx_a = LegContext {
        ua: ua_a.clone(),
        media: engine.clone(),
        media_ip: ip,
    };
    let ctx_b = LegContext {
        ua: ua_b.clone(),
        media: engine.clone(),
        media_ip: ip,
    };
    let start = Instant::now();

    // A places the call; B takes it and answers with its leg.
    let mut a = Leg::outgoing(&ctx_a, dial(ua_b.local_addr()), 1, start)
        .await
        .expect("call placed");
    let ic = next(&mut ev_b, |e| match e {
        UaEvent::IncomingCall(ic) => Some(ic),
        _ => None,
    })
    .await;
    assert!(ic.sdp.is_some(), "the placed leg offers in the INVITE");
    let mut b =
        Leg::incoming(&ctx_b, ic.call, ic.sdp.as_deref(), 2, ic.received).expect("offer answered");
    b.leg.answer(true);
    // A's events come on its own receiver, through its leg (which applies the answer).
    let mut calls_a = a
        .call_events
        .take()
        .expect("a placed leg has its own events");
    assert!(
        ev_a.try_recv().is_err(),
        "nothing of A's call on the inbound receiver"
    );
    next(&mut calls_a, |e| match a.leg.on_call_event(e) {
        Some(LegEvent::Failed { code, .. }) => panic!("call failed with {code}"),
        Some(LegEvent::Answered) => Some(()),
        _ => None,
    })
    .await;

    // B records what A sends; both send a second of (silent) audio.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("b.wav");
    let recorder = engine
        .recorder(&path, Duration::from_secs(30), Channels::Mono)
        .expect("recording file");
    b.leg.record(recorder).expect("recording starts");
    assert!(a
        .leg
        .play(vec![PlayItem::Silence(Duration::from_millis(600))]));
    assert!(b
        .leg
        .play(vec![PlayItem::Silence(Duration::from_millis(600))]));
    // A's list ends once and is reported once.
    let done = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            let ev = a.media_events.recv().await.expect("media events");
            if let Some(e) = a.leg.on_media(ev) {
                return e;
            }
        }
    })
    .await
    .expect("playback ends");
    assert_eq!(done, LegEvent::PlaybackFinished);

    // A phone puts B on hold (sendonly offer): B answers 200 and says so.
    let mut hold = lianxin_sdp::LocalMedia::new(ip, 40000, 9);
    hold.direction = lianxin_sdp::Direction::SendOnly;
    ua_a.reinvite(
        a.leg.handle(),
        lianxin_sdp::offer(&hold).to_string().into_bytes(),
    )
    .await
    .expect("re-INVITE sent");
    let offer = next(&mut ev_b, |e| match e {
        UaEvent::Reinvite { call, sdp } if call == b.leg.handle() => Some(sdp),
        _ => None,
    })
    .await;
    assert_eq!(b.leg.on_reinvite(offer.as_deref()), Some(true));
    let code = next(&mut calls_a, |e| match e {
        CallEvent::ReinviteResult { code, .. } => Some(code),
        _ => None,
    })
    .await;
    assert_eq!(code, 200);

    // A hangs up by closing its leg; B sees the BYE and closes without sending one.
    let figures_a = a.leg.close(Instant::now()).await;
    let reason = next(&mut ev_b, |e| match e {
        UaEvent::Terminated { call, reason } if call == b.leg.handle() => Some(reason),
        _ => None,
    })
    .await;
    assert_eq!(reason, EndReason::RemoteBye);
    b.leg.sip_ended();
    let figures_b = b.leg.close(Instant::now()).await;
    assert!(figures_a.duration >= Duration::from_millis(600));
    assert!(figures_a.stats.packets_sent > 10, "{:?}", figures_a.stats);
    assert!(
        figures_b.stats.packets_received > 10,
        "{:?}",
        figures_b.stats
    );
    // The recording's length comes from the engine, and the file is there.
    let rec = figures_b
        .recording
        .expect("the close finalized B's recording");
    assert_eq!(rec.path, path);
    assert!(rec.duration >= Duration::from_millis(200), "{rec:?}");
    assert!(std::fs::metadata(&path).unwrap().len() > 44);
    // A's dialog ended with its own BYE (the close sent it once).
    let reason = next(&mut calls_a, |e| match e {
        CallEvent::Terminated { reason } => Some(reason),
        _ => None,
    })
    .await;
    assert_eq!(reason, EndReason::LocalBye);
    assert!(
        calls_a.recv().await.is_none(),
        "the final event ends the stream"
    );
    ua_a.shutdown().await;
    ua_b.shutdown().await;
    engine.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unusable_offers_say_which_status_to_refuse_with() {
    let engine = media(46400);
    let (ua, _events) = ua().await;
    let ctx = LegContext {
        ua: ua.clone(),
        media: engine.clone(),
        media_ip: "127.0.0.1".parse().unwrap(),
    };
    let now = Instant::now();
    let unreadable = Leg::incoming(&ctx, CallHandle(1), Some(b"not sdp"), 1, now).unwrap_err();
    assert!(matches!(unreadable, LegError::Sdp(_)));
    assert_eq!(unreadable.status_code(), 488);
    let video_only = b"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=video 5000 RTP/AVP 96\r\n";
    let no_audio = Leg::incoming(&ctx, CallHandle(2), Some(video_only), 2, now).unwrap_err();
    assert!(matches!(no_audio, LegError::Negotiation(_)));
    assert_eq!(no_audio.status_code(), 488);
    assert_eq!(
        engine.open_sessions(),
        0,
        "nothing is left open by a refused offer"
    );
    ua.shutdown().await;
    engine.shutdown();
}

/// A carrier that answers our PCMU+PCMA offer with PCMA gets A-law with payload type 8,
/// not μ-law: the placed leg applies the answer's codec, not only its address.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_placed_leg_speaks_the_law_the_answer_chose() {
    let engine = media(46400);
    let (ua_a, _ev_a) = ua().await;
    let (ua_b, mut ev_b) = ua().await;
    let ctx_a = LegContext {
        ua: ua_a.clone(),
        media: engine.clone(),
        media_ip: "127.0.0.1".parse().unwrap(),
    };
    let mut a = Leg::outgoing(&ctx_a, dial(ua_b.local_addr()), 1, Instant::now())
        .await
        .expect("call placed");
    let ic = next(&mut ev_b, |e| match e {
        UaEvent::IncomingCall(ic) => Some(ic),
        _ => None,
    })
    .await;
    let offer = String::from_utf8(ic.sdp.clone().expect("an offer")).unwrap();
    assert!(
        offer.contains("PCMA/8000"),
        "the offer lists A-law: {offer}"
    );
    // The far end: a plain socket, announced in an answer that picks PCMA.
    let phone = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = phone.local_addr().unwrap().port();
    let answer = format!(
        "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
         m=audio {port} RTP/AVP 8 101\r\na=rtpmap:8 PCMA/8000\r\n\
         a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=sendrecv\r\n"
    );
    ua_b.answer(ic.call, answer.into_bytes())
        .await
        .expect("answered");
    let mut calls_a = a
        .call_events
        .take()
        .expect("a placed leg has its own events");
    next(&mut calls_a, |e| match a.leg.on_call_event(e) {
        Some(LegEvent::Failed { code, .. }) => panic!("call failed with {code}"),
        Some(LegEvent::Answered) => Some(()),
        _ => None,
    })
    .await;
    assert!(a
        .leg
        .play(vec![PlayItem::Silence(Duration::from_millis(600))]));
    phone
        .set_read_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    let mut buf = [0u8; 1500];
    let mut seen = Vec::new();
    while seen.len() < 10 {
        let (len, _) = phone.recv_from(&mut buf).expect("RTP from the placed leg");
        if len > 12 {
            seen.push((buf[1] & 0x7f, buf[12]));
        }
    }
    // A-law silence is 0xD5 (μ-law's is 0xFF).
    assert!(seen.iter().all(|&(pt, b)| pt == 8 && b == 0xD5), "{seen:?}");
    let _ = a.leg.close(Instant::now()).await;
    ua_a.shutdown().await;
    ua_b.shutdown().await;
    engine.shutdown();
}

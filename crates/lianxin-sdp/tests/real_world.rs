//! Offer/answer against SDP bodies captured from real peers (sipp, baresip, linphone,
//! Asterisk, a carrier softswitch), plus hold, late offer and malformed input.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use lianxin_sdp::{
    accept_answer, answer, offer, Codec, Direction, LocalMedia, NegotiationError, ParseError,
    SessionDescription,
};

const SIPP: &str = "v=0\r\no=user1 53655765 2353687637 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";

const BARESIP: &str = "v=0\r\no=- 3966243532 1594734591 IN IP4 192.168.1.10\r\ns=-\r\nc=IN IP4 192.168.1.10\r\nt=0 0\r\na=tool:baresip 3.10.1\r\nm=audio 10000 RTP/AVP 96 9 0 8 101\r\nb=AS:96\r\na=rtpmap:96 opus/48000/2\r\na=fmtp:96 stereo=1;sprop-stereo=1\r\na=rtpmap:9 G722/8000\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=sendrecv\r\na=label:1\r\na=ssrc:1460326012 cname:7f0a2b9d\r\na=rtcp-rsize\r\na=ptime:20\r\n";

const LINPHONE: &str = "v=0\no=alice 1988 3245 IN IP4 192.168.0.20\ns=Talk\nc=IN IP4 192.168.0.20\nt=0 0\na=rtcp-xr:rcvr-rtt=all:10000 stat-summary=loss,dup,jitt,TTL voip-metrics\nm=audio 7078 RTP/AVP 96 97 98 0 8 18 101 99 100\na=rtpmap:96 opus/48000/2\na=fmtp:96 useinbandfec=1\na=rtpmap:97 speex/16000\na=fmtp:97 vbr=on\na=rtpmap:98 speex/8000\na=fmtp:98 vbr=on\na=fmtp:18 annexb=yes\na=rtpmap:101 telephone-event/48000\na=rtpmap:99 telephone-event/16000\na=rtpmap:100 telephone-event/8000\na=rtcp-fb:* trr-int 1000\nm=video 9078 RTP/AVP 96\na=rtpmap:96 VP8/90000\na=rtcp-fb:96 nack pli\n";

const ASTERISK: &str = "v=0\r\no=- 1715160432 1715160432 IN IP4 10.0.0.1\r\ns=Asterisk\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 12000 RTP/AVP 8 0 3 101\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:3 GSM/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=ptime:20\r\na=maxptime:150\r\na=sendrecv\r\n";

const CARRIER: &str = "v=0\r\no=HuaweiSoftX3000 1073741824 1073741824 IN IP4 10.1.1.1\r\ns=Sip Call\r\nc=IN IP4 10.1.1.1\r\nt=0 0\r\nm=audio 30000 RTP/AVP 18 4 98 8 0 96 97 102\r\na=rtpmap:18 G729/8000\r\na=fmtp:18 annexb=no\r\na=rtpmap:4 G723/8000\r\na=rtpmap:98 AMR-WB/16000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:96 AMR/8000\r\na=rtpmap:97 iLBC/8000\r\na=rtpmap:102 telephone-event/8000\r\na=fmtp:102 0-15\r\na=ptime:20.0\r\n";

fn local() -> LocalMedia {
    LocalMedia::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 5)), 20000, 42)
}

fn parse(s: &str) -> SessionDescription {
    SessionDescription::parse(s).expect("fixture parses")
}

#[test]
fn sipp_pcmu_only() {
    let n = answer(&parse(SIPP), &local()).unwrap();
    assert_eq!(n.remote.codec, Codec::Pcmu);
    assert_eq!(n.remote.payload_type, 0);
    assert_eq!(n.remote.telephone_event, None);
    assert_eq!(n.remote.address, Some("127.0.0.1:6000".parse().unwrap()));
    assert_eq!(n.remote.direction, Direction::SendRecv);
    let text = n.answer.to_string();
    assert!(text.contains("m=audio 20000 RTP/AVP 0\r\n"), "{text}");
    assert!(text.contains("c=IN IP4 192.0.2.5\r\n"));
    assert!(!text.contains("telephone-event"));
}

#[test]
fn baresip_prefers_pcmu_keeps_event_pt() {
    let n = answer(&parse(BARESIP), &local()).unwrap();
    assert_eq!(n.remote.codec, Codec::Pcmu);
    assert_eq!(n.remote.telephone_event, Some(101));
    assert_eq!(n.remote.ptime, Some(20));
    assert!(n
        .answer
        .to_string()
        .contains("m=audio 20000 RTP/AVP 0 101\r\n"));
}

#[test]
fn linphone_event_pt_is_the_8k_one_and_video_is_rejected() {
    let sdp = parse(LINPHONE);
    assert_eq!(sdp.media.len(), 2);
    let n = answer(&sdp, &local()).unwrap();
    assert_eq!(n.remote.codec, Codec::Pcmu);
    assert_eq!(n.remote.telephone_event, Some(100));
    assert_eq!(n.answer.media.len(), 2, "answer keeps the m-line count");
    assert_eq!(n.answer.media[1].port, 0);
    assert_eq!(n.answer.media[1].media, "video");
    let text = n.answer.to_string();
    assert!(text.contains("a=rtpmap:100 telephone-event/8000"));
    assert!(text.contains("m=video 0 RTP/AVP 96\r\n"));
}

#[test]
fn asterisk_prefers_pcma_first() {
    let n = answer(&parse(ASTERISK), &local()).unwrap();
    assert_eq!(n.remote.codec, Codec::Pcma);
    assert_eq!(n.remote.payload_type, 8);
    assert_eq!(n.remote.telephone_event, Some(101));
}

#[test]
fn carrier_many_codecs_picks_first_g711() {
    let n = answer(&parse(CARRIER), &local()).unwrap();
    assert_eq!(n.remote.codec, Codec::Pcma);
    assert_eq!(n.remote.telephone_event, Some(102));
    assert_eq!(n.remote.ptime, Some(20));
    assert_eq!(n.remote.address, Some("10.1.1.1:30000".parse().unwrap()));
}

#[test]
fn local_codec_list_restricts_answer() {
    let mut l = local();
    l.codecs = vec![Codec::Pcma];
    let n = answer(&parse(BARESIP), &l).unwrap();
    assert_eq!(n.remote.codec, Codec::Pcma);
    l.telephone_event = None;
    let n = answer(&parse(BARESIP), &l).unwrap();
    assert_eq!(n.remote.telephone_event, None);
    assert!(!n.answer.to_string().contains("101"));
}

#[test]
fn no_common_codec_is_488() {
    let g729 = "v=0\r\no=- 1 1 IN IP4 10.0.0.9\r\ns=-\r\nc=IN IP4 10.0.0.9\r\nt=0 0\r\nm=audio 4000 RTP/AVP 18 101\r\na=rtpmap:18 G729/8000\r\na=rtpmap:101 telephone-event/8000\r\n";
    let err = answer(&parse(g729), &local()).unwrap_err();
    assert_eq!(err, NegotiationError::NoCommonCodec);
    assert_eq!(err.status_code(), 488);
}

#[test]
fn no_audio_or_secure_only_is_488() {
    let video = "v=0\r\no=- 1 1 IN IP4 10.0.0.9\r\ns=-\r\nt=0 0\r\nm=video 4000 RTP/AVP 96\r\n";
    assert_eq!(
        answer(&parse(video), &local()).unwrap_err(),
        NegotiationError::NoAudio
    );
    let srtp = "v=0\r\no=- 1 1 IN IP4 10.0.0.9\r\ns=-\r\nc=IN IP4 10.0.0.9\r\nt=0 0\r\nm=audio 4000 RTP/SAVP 0\r\n";
    assert_eq!(
        answer(&parse(srtp), &local()).unwrap_err(),
        NegotiationError::NoAudio
    );
    let empty = "v=0\r\no=- 1 1 IN IP4 10.0.0.9\r\ns=-\r\nt=0 0\r\n";
    assert_eq!(
        answer(&parse(empty), &local()).unwrap_err().status_code(),
        488
    );
}

#[test]
fn dynamic_pt_mapped_to_pcmu_is_accepted() {
    let s = "v=0\r\no=- 1 1 IN IP4 10.0.0.9\r\ns=-\r\nc=IN IP4 10.0.0.9\r\nt=0 0\r\nm=audio 4000 RTP/AVP 110\r\na=rtpmap:110 pcmu/8000\r\n";
    let n = answer(&parse(s), &local()).unwrap();
    assert_eq!((n.remote.codec, n.remote.payload_type), (Codec::Pcmu, 110));
}

#[test]
fn hold_directions_are_mirrored() {
    for (offered, expected, held) in [
        ("sendonly", Direction::RecvOnly, true),
        ("recvonly", Direction::SendOnly, false),
        ("inactive", Direction::Inactive, true),
        ("sendrecv", Direction::SendRecv, false),
    ] {
        let s = format!("{SIPP}a={offered}\r\n");
        let n = answer(&parse(&s), &local()).unwrap();
        assert_eq!(n.remote.direction, expected, "{offered}");
        assert_eq!(n.remote.held, held, "{offered}");
        assert!(n
            .answer
            .to_string()
            .contains(&format!("a={}\r\n", expected.as_str())));
    }
}

#[test]
fn session_level_direction_applies() {
    let s = "v=0\r\no=- 1 2 IN IP4 10.0.0.9\r\ns=-\r\nc=IN IP4 10.0.0.9\r\nt=0 0\r\na=sendonly\r\nm=audio 4000 RTP/AVP 0\r\n";
    let n = answer(&parse(s), &local()).unwrap();
    assert_eq!(n.remote.direction, Direction::RecvOnly);
    assert!(n.remote.held);
}

#[test]
fn old_style_hold_zero_address() {
    let s = SIPP.replace("c=IN IP4 127.0.0.1", "c=IN IP4 0.0.0.0");
    let n = answer(&parse(&s), &local()).unwrap();
    assert!(n.remote.held);
    assert_eq!(n.remote.address, None);
}

#[test]
fn media_level_connection_overrides_session() {
    let s = "v=0\r\no=- 1 1 IN IP4 10.0.0.9\r\ns=-\r\nc=IN IP4 10.0.0.9\r\nt=0 0\r\nm=audio 4000 RTP/AVP 8\r\nc=IN IP4 10.0.0.77/127\r\n";
    let n = answer(&parse(s), &local()).unwrap();
    assert_eq!(n.remote.address, Some("10.0.0.77:4000".parse().unwrap()));
    let only_media = "v=0\r\no=- 1 1 IN IP4 10.0.0.9\r\ns=-\r\nt=0 0\r\nm=audio 4000 RTP/AVP 8\r\nc=IN IP4 10.0.0.78\r\n";
    let n = answer(&parse(only_media), &local()).unwrap();
    assert_eq!(n.remote.address, Some("10.0.0.78:4000".parse().unwrap()));
}

#[test]
fn ipv6_connection() {
    let s = "v=0\r\no=- 1 1 IN IP6 2001:db8::1\r\ns=-\r\nc=IN IP6 2001:db8::1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n";
    let n = answer(&parse(s), &local()).unwrap();
    let expected: SocketAddr = "[2001:db8::1]:4000".parse().unwrap();
    assert_eq!(n.remote.address, Some(expected));
}

#[test]
fn late_offer_round_trip() {
    // INVITE without SDP: we offer in the 200, the caller answers in the ACK.
    let us = local();
    let our_offer = offer(&us);
    let text = our_offer.to_string();
    assert!(text.contains("m=audio 20000 RTP/AVP 0 8 101\r\n"), "{text}");
    assert!(text.contains("a=fmtp:101 0-16\r\n"));
    assert!(text.contains("a=ptime:20\r\n"));

    // The peer answers with PCMA only.
    let mut peer = LocalMedia::new("10.0.0.9".parse().unwrap(), 4000, 7);
    peer.codecs = vec![Codec::Pcma];
    let their = answer(&SessionDescription::parse(&text).unwrap(), &peer).unwrap();
    let got = accept_answer(
        &us,
        &SessionDescription::parse(&their.answer.to_string()).unwrap(),
    )
    .unwrap();
    assert_eq!(got.codec, Codec::Pcma);
    assert_eq!(got.telephone_event, Some(101));
    assert_eq!(got.address, Some("10.0.0.9:4000".parse().unwrap()));
}

#[test]
fn accept_answer_rejects_unknown_codec() {
    let s = "v=0\r\no=- 1 1 IN IP4 10.0.0.9\r\ns=-\r\nc=IN IP4 10.0.0.9\r\nt=0 0\r\nm=audio 4000 RTP/AVP 18\r\n";
    assert_eq!(
        accept_answer(&local(), &parse(s)).unwrap_err(),
        NegotiationError::NoCommonCodec
    );
    let rejected = "v=0\r\no=- 1 1 IN IP4 10.0.0.9\r\ns=-\r\nt=0 0\r\nm=audio 0 RTP/AVP 0\r\n";
    assert_eq!(
        accept_answer(&local(), &parse(rejected)).unwrap_err(),
        NegotiationError::NoAudio
    );
}

#[test]
fn hold_offer_from_us() {
    let mut us = local();
    us.direction = Direction::SendOnly;
    us.session_version += 1;
    let o = offer(&us);
    assert!(o.to_string().contains("a=sendonly\r\n"));
    assert!(o
        .to_string()
        .contains("o=lianxin 42 43 IN IP4 192.0.2.5\r\n"));
    let n = answer(&o, &local()).unwrap();
    assert_eq!(n.remote.direction, Direction::RecvOnly);
}

#[test]
fn print_parse_round_trip() {
    for s in [SIPP, BARESIP, LINPHONE, ASTERISK, CARRIER] {
        let a = parse(s);
        let b = parse(&a.to_string());
        assert_eq!(a, b);
    }
}

#[test]
fn malformed_bodies_are_typed_errors() {
    assert_eq!(
        SessionDescription::parse(""),
        Err(ParseError::MissingVersion)
    );
    assert_eq!(
        SessionDescription::parse("o=x\r\n"),
        Err(ParseError::MissingVersion)
    );
    assert_eq!(
        SessionDescription::parse("v=1\r\n"),
        Err(ParseError::BadVersion("1".into()))
    );
    assert_eq!(
        SessionDescription::parse("v=0\r\ns=-\r\nm=audio 1 RTP/AVP 0\r\n"),
        Err(ParseError::MissingOrigin)
    );
    assert_eq!(
        SessionDescription::parse("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ngarbage\r\n"),
        Err(ParseError::Malformed { line: 3 })
    );
    assert_eq!(
        SessionDescription::parse("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nm=audio x RTP/AVP 0\r\n"),
        Err(ParseError::BadValue {
            line: 3,
            what: "media"
        })
    );
    assert_eq!(
        SessionDescription::parse("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nc=IN IP9 1.2.3.4\r\n"),
        Err(ParseError::BadValue {
            line: 3,
            what: "connection"
        })
    );
    assert_eq!(
        SessionDescription::parse(
            "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nm=audio 1 RTP/AVP 0\r\na=rtpmap:x\r\n"
        ),
        Err(ParseError::BadValue {
            line: 4,
            what: "rtpmap"
        })
    );
    assert_eq!(
        SessionDescription::parse_bytes(&[0xff, 0xfe]),
        Err(ParseError::NotUtf8)
    );
}

#[test]
fn truncations_and_mutations_never_panic() {
    for s in [SIPP, BARESIP, LINPHONE, ASTERISK, CARRIER] {
        let b = s.as_bytes();
        for cut in 0..b.len() {
            if let Ok(sdp) = SessionDescription::parse_bytes(&b[..cut]) {
                let _ = answer(&sdp, &local());
            }
            let mut m = b.to_vec();
            m[cut] = b"=:/ \n0"[cut % 6];
            if let Ok(sdp) = SessionDescription::parse_bytes(&m) {
                let _ = answer(&sdp, &local());
                let _ = accept_answer(&local(), &sdp);
            }
        }
    }
}

// baresip 1.0.0 putting the hotline on hold and resuming (captured 2026-11-22 against
// `lianxin serve --demo`): the answers used to repeat `o=lianxin 15839 15839` for the
// sendrecv, recvonly and sendrecv bodies.
const BARESIP_1_0_INITIAL: &str = "v=0\r\no=- 2611625093 1210743202 IN IP4 192.0.2.2\r\ns=-\r\nc=IN IP4 192.0.2.2\r\nt=0 0\r\na=tool:baresip 1.0.0\r\nm=audio 24114 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=sendrecv\r\na=label:1\r\na=rtcp-rsize\r\na=ssrc:2707861074 cname:sip:65123456@127.0.0.1:25060\r\na=minptime:20\r\na=ptime:20\r\n";
const BARESIP_1_0_HOLD: &str = "v=0\r\no=- 2611625093 1210743203 IN IP4 192.0.2.2\r\ns=-\r\nc=IN IP4 192.0.2.2\r\nt=0 0\r\na=tool:baresip 1.0.0\r\nm=audio 24114 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=sendonly\r\na=label:1\r\na=rtcp-rsize\r\na=ssrc:2707861074 cname:sip:65123456@127.0.0.1:25060\r\na=minptime:20\r\na=ptime:20\r\n";
const BARESIP_1_0_RESUME: &str = "v=0\r\no=- 2611625093 1210743204 IN IP4 192.0.2.2\r\ns=-\r\nc=IN IP4 192.0.2.2\r\nt=0 0\r\na=tool:baresip 1.0.0\r\nm=audio 24114 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=sendrecv\r\na=label:1\r\na=rtcp-rsize\r\na=ssrc:2707861074 cname:sip:65123456@127.0.0.1:25060\r\na=minptime:20\r\na=ptime:20\r\n";

#[test]
fn baresip_hold_resume_answers_bump_the_origin_version() {
    let mut local = local();
    local.session_id = 15839;
    local.session_version = 15839;
    let mut versions = lianxin_sdp::SdpVersions::new();
    let mut sent = Vec::new();
    for (offer_text, dir) in [
        (BARESIP_1_0_INITIAL, "a=sendrecv"),
        (BARESIP_1_0_HOLD, "a=recvonly"),
        // The same hold offer again (a retried re-INVITE): nothing changed, same version.
        (BARESIP_1_0_HOLD, "a=recvonly"),
        (BARESIP_1_0_RESUME, "a=sendrecv"),
    ] {
        let n = answer(&parse(offer_text), &local).unwrap();
        let text = versions.stamp(n.answer).to_string();
        assert!(text.contains(dir), "{text}");
        sent.push(text);
    }
    let origins: Vec<&str> = sent
        .iter()
        .map(|t| t.lines().find(|l| l.starts_with("o=")).unwrap())
        .collect();
    assert_eq!(
        origins,
        [
            "o=lianxin 15839 15839 IN IP4 192.0.2.5",
            "o=lianxin 15839 15840 IN IP4 192.0.2.5",
            "o=lianxin 15839 15840 IN IP4 192.0.2.5",
            "o=lianxin 15839 15841 IN IP4 192.0.2.5",
        ]
    );
    assert_eq!(
        versions.last().map(|d| d.origin.session_version.as_str()),
        Some("15841")
    );
}

#[test]
fn versions_continue_from_the_description_sent_in_the_200() {
    let first = offer(&local());
    let mut versions = lianxin_sdp::SdpVersions::with_sent(first.clone());
    // A later description built with a different session id keeps the dialog's id.
    let mut other = local();
    other.session_id = 7;
    other.session_version = 7;
    other.direction = Direction::SendOnly;
    let next = versions.stamp(offer(&other));
    assert_eq!(next.origin.session_id, first.origin.session_id);
    assert_eq!(next.origin.session_version, "43");
    // Unchanged media: the version stays.
    let again = versions.stamp(offer(&other));
    assert_eq!(again.origin.session_version, "43");
}

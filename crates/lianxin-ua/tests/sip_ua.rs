//! The SIP user agent against sipp on 127.0.0.1, as the called side: calls, CANCEL,
//! retransmissions, lost ACK, codecs, late offer, REGISTER with digest (as registrar and
//! to a trunk), OPTIONS, garbage, rate limit, TCP. Outbound calls: `sip_outbound.rs`.
//!
//! Each test starts the UA in-process (port 0) with the scripted answer policy
//! (`support/answer.rs`) or none, on its own tokio runtime, runs one sipp scenario from
//! `tests/sipp/` on free ports with `-m 1` and a global timeout, and checks sipp's exit
//! code and the policy's counters. Every wait is bounded; sipp is killed after 40 s if its
//! own timeout did not fire.

use std::net::{SocketAddr, UdpSocket};
use std::sync::Arc;
use std::time::{Duration, Instant};

mod support;

use lianxin_ua::ratelimit::{Bucket, RateLimitConfig};
use lianxin_ua::{
    Credentials, Transport, TrunkConfig, TrunkState, Ua, UaConfig, UaEvent, UaHandle, UaStats,
};
use support::answer::{self, AnswerPolicy, AnswerSnapshot, AnswerStats};
use support::raw::{self, next_event, start_raw};
use support::sipp::{assert_ok, free_udp_port, sipp, SippChild};
use tokio::sync::mpsc;

struct Server {
    rt: tokio::runtime::Runtime,
    ua: UaHandle,
    stats: Arc<AnswerStats>,
}

impl Server {
    fn start(policy: AnswerPolicy) -> Server {
        Server::start_with(policy, |_| {})
    }

    fn start_with(policy: AnswerPolicy, tweak: impl FnOnce(&mut UaConfig)) -> Server {
        let rt = raw::runtime();
        let mut config = raw::local_config();
        config.numbers = vec!["100".into(), "51663371".into()];
        config.seed = Some(7);
        tweak(&mut config);
        let stats = Arc::new(AnswerStats::default());
        let ua = rt.block_on(async {
            let (ua, events) = Ua::start(config, raw::credentials())
                .await
                .expect("start UA");
            tokio::spawn(answer::run(ua.clone(), events, policy, stats.clone()));
            ua
        });
        Server { rt, ua, stats }
    }

    fn addr(&self) -> SocketAddr {
        self.ua.local_addr()
    }

    /// The UA's own counters now.
    fn ua_stats(&self) -> UaStats {
        self.rt.block_on(self.ua.stats()).expect("stats")
    }

    /// Counters once they stop changing (the last events may trail sipp's exit).
    fn settled(&self, until: impl Fn(&AnswerSnapshot) -> bool) -> AnswerSnapshot {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let s = self.stats.snapshot();
            if until(&s) || Instant::now() > deadline {
                return s;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let ua = self.ua.clone();
        self.rt.block_on(async move { ua.shutdown().await });
    }
}

fn holding(ms: u64) -> AnswerPolicy {
    AnswerPolicy {
        hold: Some(Duration::from_millis(ms)),
        ..AnswerPolicy::default()
    }
}

#[test]
fn sip_call_hung_up_by_caller() {
    let server = Server::start(AnswerPolicy::default());
    let run = sipp(server.addr(), "uac_caller_bye", &["-d", "300"]);
    assert_ok(&run);
    let s = server.settled(|s| s.remote_bye == 1);
    assert_eq!(
        (s.incoming, s.answered, s.acked, s.remote_bye),
        (1, 1, 1, 1)
    );
}

#[test]
fn sip_call_hung_up_by_server() {
    let server = Server::start(holding(300));
    let run = sipp(server.addr(), "uac_server_bye", &[]);
    assert_ok(&run);
    let s = server.settled(|s| s.local_bye == 1);
    assert_eq!((s.incoming, s.answered, s.local_bye), (1, 1, 1));
}

#[test]
fn sip_call_over_tcp() {
    let server = Server::start(AnswerPolicy::default());
    let run = sipp(server.addr(), "uac_caller_bye", &["-t", "t1", "-d", "200"]);
    assert_ok(&run);
    let s = server.settled(|s| s.remote_bye == 1);
    assert_eq!((s.incoming, s.remote_bye), (1, 1));
}

#[test]
fn sip_cancel_before_answer_gets_200_and_487() {
    let server = Server::start(AnswerPolicy {
        ring: Duration::from_secs(3),
        ..AnswerPolicy::default()
    });
    let run = sipp(server.addr(), "uac_cancel", &[]);
    assert_ok(&run);
    let s = server.settled(|s| s.cancelled == 1);
    assert_eq!((s.incoming, s.answered, s.cancelled), (1, 0, 1));
}

#[test]
fn sip_invite_retransmission_is_one_call() {
    let server = Server::start(AnswerPolicy::default());
    let run = sipp(server.addr(), "uac_invite_retrans", &[]);
    assert_ok(&run);
    let s = server.settled(|s| s.remote_bye == 1);
    assert_eq!(
        s.incoming, 1,
        "a retransmitted INVITE must not be a second call"
    );
    assert_eq!(s.remote_bye, 1);
}

#[test]
fn sip_lost_ack_recovered_by_200_retransmission() {
    let server = Server::start(AnswerPolicy::default());
    let run = sipp(server.addr(), "uac_lost_ack", &[]);
    assert_ok(&run);
    assert!(
        run.count("4_200_Retrans") >= 1,
        "the 200 must be retransmitted while the ACK is missing"
    );
    let s = server.settled(|s| s.remote_bye == 1);
    assert_eq!(
        (s.incoming, s.acked, s.remote_bye, s.other_end),
        (1, 1, 1, 0)
    );
}

#[test]
fn sip_no_common_codec_gets_488() {
    let server = Server::start(AnswerPolicy::default());
    let run = sipp(server.addr(), "uac_no_codec", &[]);
    assert_ok(&run);
    let s = server.settled(|s| s.rejected == 1);
    assert_eq!((s.incoming, s.rejected, s.answered), (1, 1, 0));
}

#[test]
fn sip_unknown_number_gets_404() {
    let server = Server::start(AnswerPolicy::default());
    let run = sipp(server.addr(), "uac_unknown_number", &["-s", "999"]);
    assert_ok(&run);
    let stats = server.ua_stats();
    assert_eq!(stats.unknown_number, 1);
    assert_eq!(server.stats.snapshot().incoming, 0);
}

#[test]
fn sip_call_cap_gets_503() {
    let server = Server::start_with(AnswerPolicy::default(), |c| c.max_calls = 0);
    let run = sipp(server.addr(), "uac_overloaded", &[]);
    assert_ok(&run);
    let stats = server.ua_stats();
    assert_eq!(stats.overloaded, 1);
    assert_eq!(server.stats.snapshot().incoming, 0);
}

#[test]
fn sip_late_offer() {
    let server = Server::start(AnswerPolicy::default());
    let run = sipp(server.addr(), "uac_late_offer", &[]);
    assert_ok(&run);
    let s = server.settled(|s| s.remote_bye == 1);
    // A bad answer in the ACK would make the policy hang up (local_bye).
    assert_eq!(
        (s.incoming, s.acked, s.remote_bye, s.local_bye),
        (1, 1, 1, 0)
    );
}

#[test]
fn sip_hold_and_unhold_by_reinvite() {
    let server = Server::start(AnswerPolicy::default());
    let run = sipp(server.addr(), "uac_hold", &[]);
    assert_ok(&run);
    let s = server.settled(|s| s.remote_bye == 1);
    assert_eq!((s.incoming, s.remote_bye, s.other_end), (1, 1, 0));
}

#[test]
fn sip_options_gets_200() {
    let server = Server::start(AnswerPolicy::default());
    assert_ok(&sipp(server.addr(), "uac_options", &[]));
}

#[test]
fn sip_register_with_digest() {
    let server = Server::start(AnswerPolicy::default());
    let run = sipp(
        server.addr(),
        "uac_register",
        &["-s", "1001", "-au", "1001", "-ap", "secret"],
    );
    assert_ok(&run);
}

#[test]
fn sip_register_wrong_password_fails() {
    let server = Server::start(AnswerPolicy::default());
    let run = sipp(
        server.addr(),
        "uac_register_wrong",
        &["-s", "1001", "-au", "1001", "-ap", "not-the-password"],
    );
    assert_ok(&run);
    let stats = server.ua_stats();
    assert_eq!(stats.registered_users, 0);
}

#[test]
fn sip_garbage_during_call_does_not_disturb_it() {
    let server = Server::start(AnswerPolicy::default());
    let target = server.addr();
    let stats = server.stats.clone();
    let junk = std::thread::spawn(move || {
        let s = UdpSocket::bind("127.0.0.1:0").expect("bind");
        // Garbage while the call is up: wait for it (bounded) rather than guess.
        let deadline = Instant::now() + Duration::from_secs(10);
        while stats.snapshot().acked == 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        let samples: [&[u8]; 8] = [
            b"",
            b"\r\n\r\n",
            b"\x00\x01\x02\xff\xfe",
            b"INVITE sip:100@x SIP/2.0\r\nVia: SIP/2.0/UDP\r\n\r\n",
            b"SIP/2.0 200 OK\r\nCall-ID: nope\r\n\r\n",
            b"BYE sip:x SIP/2.0\r\nContent-Length: 99999\r\n\r\n",
            b"OPTIONS sip:x SIP/2.0\r\nVia: SIP/2.0/UDP 1.2.3.4;branch=z9hG4bKx\r\nCSeq: x\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        ];
        for i in 0..400 {
            let _ = s.send_to(samples[i % samples.len()], target);
        }
    });
    let run = sipp(server.addr(), "uac_caller_bye", &["-d", "1500"]);
    junk.join().expect("junk thread");
    assert_ok(&run);
    let s = server.settled(|s| s.remote_bye == 1);
    assert_eq!((s.incoming, s.remote_bye, s.other_end), (1, 1, 0));
}

#[test]
fn sip_scanner_flood_is_rate_limited_and_calls_go_through() {
    let server = Server::start_with(AnswerPolicy::default(), |c| {
        c.rate_limit = RateLimitConfig {
            requests: Bucket {
                per_second: 20.0,
                burst: 20.0,
            },
            register: Bucket {
                per_second: 5.0,
                burst: 5.0,
            },
            ..RateLimitConfig::default()
        };
    });
    let target = server.addr();
    // The scanner floods from 127.0.0.2, the real caller calls from 127.0.0.1.
    let flood = std::thread::spawn(move || {
        let s = UdpSocket::bind("127.0.0.2:0").expect("bind 127.0.0.2");
        for i in 0..3000u32 {
            let msg = format!(
                "OPTIONS sip:100@{target} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.2:5999;branch=z9hG4bK-scan-{i}\r\nFrom: <sip:scan@127.0.0.2>;tag={i}\r\nTo: <sip:100@{target}>\r\nCall-ID: scan-{i}\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
            );
            let _ = s.send_to(msg.as_bytes(), target);
            if i % 100 == 0 {
                std::thread::sleep(Duration::from_millis(5));
            }
        }
    });
    let run = sipp(server.addr(), "uac_caller_bye", &["-d", "500"]);
    flood.join().expect("flood thread");
    assert_ok(&run);
    let stats = server.ua_stats();
    assert!(stats.rate_limited >= 2000, "dropped {}", stats.rate_limited);
    assert_eq!(server.settled(|s| s.remote_bye == 1).remote_bye, 1);
}

fn trunk_config(port: u16) -> TrunkConfig {
    TrunkConfig {
        domain: "trunk.example".into(),
        destination: SocketAddr::from(([127, 0, 0, 1], port)),
        transport: Transport::Udp,
        credentials: Credentials {
            username: "hotline".into(),
            password: "trunkpw".into(),
        },
        expires: Duration::from_secs(60),
        retry_after: Duration::from_secs(30),
    }
}

fn next_trunk_state(
    rt: &tokio::runtime::Runtime,
    events: &mut mpsc::Receiver<UaEvent>,
) -> Option<TrunkState> {
    next_event(rt, events, 10, |e| match e {
        UaEvent::TrunkRegistration(s) => Some(*s),
        _ => None,
    })
}

#[test]
fn sip_trunk_registration_with_digest() {
    let port = free_udp_port();
    let registrar = SippChild::spawn("uas_registrar", port, &[]);
    let (rt, ua, mut events) = start_raw(|c| c.trunk = Some(trunk_config(port)));
    let state = next_trunk_state(&rt, &mut events);
    assert!(
        matches!(state, Some(TrunkState::Registered(_))),
        "trunk registration: {state:?}"
    );
    assert_ok(&registrar.wait());
    rt.block_on(ua.shutdown());
}

#[test]
fn sip_trunk_registration_refreshed_before_expiry() {
    let port = free_udp_port();
    let registrar = SippChild::spawn("uas_registrar_refresh", port, &[]);
    let (rt, ua, mut events) = start_raw(|c| c.trunk = Some(trunk_config(port)));
    let first = next_trunk_state(&rt, &mut events);
    let Some(TrunkState::Registered(until)) = first else {
        panic!("first registration: {first:?}");
    };
    // Granted 2 s: the refresh must come before `until`, and be accepted.
    let second = next_trunk_state(&rt, &mut events);
    let refreshed_at = Instant::now();
    assert!(
        matches!(second, Some(TrunkState::Registered(u)) if u > until),
        "refresh: {second:?}"
    );
    assert!(
        refreshed_at < until + Duration::from_millis(200),
        "refreshed too late"
    );
    assert_ok(&registrar.wait());
    rt.block_on(ua.shutdown());
}

#[test]
fn sip_register_reports_bindings_and_unregister() {
    let (rt, ua, mut events) = start_raw(|_| {});
    let registrar = ua.local_addr();
    let sipp_port = free_udp_port();
    let run = std::thread::spawn(move || {
        let mut args = vec![registrar.to_string()];
        args.extend(
            ["-s", "1001", "-au", "1001", "-ap", "secret"]
                .iter()
                .map(|a| a.to_string()),
        );
        SippChild::spawn("uac_register", sipp_port, &args).wait()
    });
    let registered = next_event(&rt, &mut events, 10, |e| match e {
        UaEvent::RegistrationChanged { user, contacts } if !contacts.is_empty() => {
            Some((user.clone(), contacts.clone()))
        }
        _ => None,
    })
    .expect("registration event");
    assert_eq!(registered.0, "1001");
    assert!(
        registered.1[0].uri.contains(&format!(":{sipp_port}")),
        "{:?}",
        registered.1
    );
    let unregistered = next_event(&rt, &mut events, 10, |e| match e {
        UaEvent::RegistrationChanged { user, contacts } if contacts.is_empty() => {
            Some(user.clone())
        }
        _ => None,
    });
    assert_eq!(unregistered.as_deref(), Some("1001"));
    assert_ok(&run.join().expect("sipp thread"));
    let contacts = rt.block_on(ua.contacts("1001")).expect("contacts");
    assert!(contacts.is_empty(), "{contacts:?}");
    rt.block_on(ua.shutdown());
}

#[test]
fn sip_register_flood_is_limited_and_phones_still_register() {
    let server = Server::start_with(AnswerPolicy::default(), |c| {
        c.rate_limit = RateLimitConfig::default();
    });
    let target = server.addr();
    // A scanner guessing passwords from 127.0.0.2; the phone registers from 127.0.0.1.
    let flood = std::thread::spawn(move || {
        let s = UdpSocket::bind("127.0.0.2:0").expect("bind 127.0.0.2");
        for i in 0..2000u32 {
            let msg = format!(
                "REGISTER sip:{target} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.2:5999;branch=z9hG4bK-reg-{i}\r\nFrom: <sip:{i}@{target}>;tag={i}\r\nTo: <sip:{i}@{target}>\r\nCall-ID: reg-{i}\r\nCSeq: 1 REGISTER\r\nContact: <sip:{i}@127.0.0.2:5999>\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
            );
            let _ = s.send_to(msg.as_bytes(), target);
            if i % 100 == 0 {
                std::thread::sleep(Duration::from_millis(5));
            }
        }
    });
    let run = sipp(
        server.addr(),
        "uac_register",
        &["-s", "1001", "-au", "1001", "-ap", "secret"],
    );
    flood.join().expect("flood thread");
    assert_ok(&run);
    let stats = server.ua_stats();
    assert!(stats.rate_limited >= 1500, "dropped {}", stats.rate_limited);
}

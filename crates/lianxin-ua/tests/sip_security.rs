//! Issue 10, the SIP side: each test performs an attack on the real UA on 127.0.0.1 with a
//! raw UDP/TCP socket and checks that it no longer works (each failed before its fix).
//!
//! - `rate_limit_*`: a `;tag=` is no ticket past the per-source limit (point 4).
//! - `digest_*`: a captured Authorization header cannot be replayed (point 5).
//! - `calls_per_source_*`, `accept_from_*`: one source cannot fill the hotline (point 3).
//! - `tcp_*`: idle TCP connections cannot exhaust descriptors (point 6).
//! - `pai_*`: P-Asserted-Identity only from trusted sources (point 11).

use std::collections::HashSet;
use std::net::{SocketAddr, UdpSocket};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

mod support;

use lianxin_ua::ratelimit::RateLimitConfig;
use support::raw::start_raw;

/// Sends `n` messages built by `make(i)` from a socket on `from` to `target`, and counts
/// the distinct Call-IDs answered (any response) within a quiet second after the last one.
fn flood(
    from: &str,
    target: SocketAddr,
    n: u32,
    make: impl Fn(u32, SocketAddr) -> String,
) -> usize {
    let s = UdpSocket::bind(from).expect("bind");
    let me = s.local_addr().expect("addr");
    let answered = Arc::new(Mutex::new(HashSet::new()));
    let reader = {
        let s = s.try_clone().expect("clone");
        let answered = answered.clone();
        std::thread::spawn(move || {
            s.set_read_timeout(Some(Duration::from_millis(1000)))
                .expect("timeout");
            let mut buf = [0u8; 4096];
            let deadline = Instant::now() + Duration::from_secs(20);
            while let Ok(n) = s.recv(&mut buf) {
                let text = String::from_utf8_lossy(&buf[..n]);
                if let Some(id) = call_id(&text) {
                    answered.lock().expect("lock").insert(id);
                }
                if Instant::now() > deadline {
                    break;
                }
            }
        })
    };
    for i in 0..n {
        let _ = s.send_to(make(i, me).as_bytes(), target);
        if i % 100 == 99 {
            std::thread::sleep(Duration::from_millis(5));
        }
    }
    reader.join().expect("reader");
    let n = answered.lock().expect("lock").len();
    n
}

fn call_id(text: &str) -> Option<String> {
    text.lines().find_map(|l| {
        let (name, value) = l.split_once(':')?;
        let name = name.trim();
        (name.eq_ignore_ascii_case("call-id") || name.eq_ignore_ascii_case("i"))
            .then(|| value.trim().to_string())
    })
}

fn options(to_tag: &str, i: u32, me: SocketAddr, target: SocketAddr) -> String {
    let port = me.port();
    format!(
        "OPTIONS sip:100@{target} SIP/2.0\r\nVia: SIP/2.0/UDP {me};branch=z9hG4bK-o{port}-{i}\r\nFrom: <sip:scan@{me}>;tag=f{i}\r\nTo: <sip:100@{target}>{to_tag}\r\nCall-ID: opt-{port}-{i}\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
    )
}

#[test]
fn rate_limit_tagged_options_are_not_exempt() {
    let (rt, ua, _events) = start_raw(|c| c.rate_limit = RateLimitConfig::default());
    let target = ua.local_addr();
    let untagged = flood("127.0.0.2:0", target, 2000, |i, me| {
        options("", i, me, target)
    });
    let tagged = flood("127.0.0.3:0", target, 2000, |i, me| {
        options(";tag=x", i, me, target)
    });
    eprintln!("answered: untagged {untagged}, tagged {tagged}");
    // The default bucket: a burst of 200, 100/s.
    assert!(
        untagged > 100 && untagged < 600,
        "untagged answered {untagged}"
    );
    assert!(
        tagged < 600,
        "tagged answered {tagged}, untagged {untagged}"
    );
    rt.block_on(ua.shutdown());
}

#[test]
fn rate_limit_tag_inside_the_to_uri_is_a_new_call() {
    let (rt, ua, mut events) = start_raw(|c| c.rate_limit = RateLimitConfig::default());
    let target = ua.local_addr();
    let answered = flood("127.0.0.2:0", target, 600, |i, me| {
        format!(
            "INVITE sip:100@{target} SIP/2.0\r\nVia: SIP/2.0/UDP {me};branch=z9hG4bK-i{i}\r\nFrom: <sip:scan@{me}>;tag=f{i}\r\nTo: <sip:100@{target};tag=x>\r\nCall-ID: inv-{i}\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\nContact: <sip:scan@{me}>\r\nContent-Length: 0\r\n\r\n"
        )
    });
    assert!(answered < 400, "INVITEs answered {answered}");
    let mut incoming = 0;
    while let Ok(e) = events.try_recv() {
        if matches!(e, lianxin_ua::UaEvent::IncomingCall(_)) {
            incoming += 1;
        }
    }
    assert!(incoming <= answered, "incoming {incoming}");
    rt.block_on(ua.shutdown());
}

/// Sends `msg` from `s` and returns the first response (within 3 s).
fn ask(s: &UdpSocket, target: SocketAddr, msg: &str) -> String {
    s.set_read_timeout(Some(Duration::from_secs(3)))
        .expect("timeout");
    s.send_to(msg.as_bytes(), target).expect("send");
    let mut buf = [0u8; 4096];
    loop {
        let n = s.recv(&mut buf).expect("response");
        let text = String::from_utf8_lossy(&buf[..n]).to_string();
        if !text.starts_with("SIP/2.0 100") {
            return text;
        }
    }
}

fn register_msg(
    target: SocketAddr,
    me: SocketAddr,
    call_id: &str,
    cseq: u32,
    contact: &str,
    auth: Option<&str>,
) -> String {
    let auth = auth
        .map(|a| format!("Authorization: {a}\r\n"))
        .unwrap_or_default();
    format!(
        "REGISTER sip:{target} SIP/2.0\r\nVia: SIP/2.0/UDP {me};branch=z9hG4bK-{call_id}-{cseq}\r\nFrom: <sip:1001@{target}>;tag={call_id}\r\nTo: <sip:1001@{target}>\r\nCall-ID: {call_id}\r\nCSeq: {cseq} REGISTER\r\nContact: <{contact}>\r\nExpires: 300\r\n{auth}Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
    )
}

fn status(response: &str) -> u16 {
    response
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

#[test]
fn digest_replay_from_another_socket_is_refused() {
    use lianxin_sip::auth::{authorize, Challenge, Credentials};
    let (rt, ua, _events) = start_raw(|_| {});
    let target = ua.local_addr();
    let phone = UdpSocket::bind("127.0.0.1:0").expect("bind");
    let me = phone.local_addr().expect("addr");
    let contact = format!("sip:1001@{me}");
    let r = ask(
        &phone,
        target,
        &register_msg(target, me, "phone-1", 1, &contact, None),
    );
    assert_eq!(status(&r), 401, "{r}");
    let value = r
        .lines()
        .find_map(|l| l.strip_prefix("WWW-Authenticate:"))
        .expect("challenge");
    let chal = Challenge::parse(value.trim()).expect("parse challenge");
    let creds = Credentials {
        username: "1001".into(),
        password: "secret".into(),
    };
    let auth = authorize(
        &chal,
        &creds,
        "REGISTER",
        &format!("sip:{target}"),
        "cn1",
        1,
    )
    .to_header_value();
    let msg = register_msg(target, me, "phone-1", 2, &contact, Some(&auth));
    let r = ask(&phone, target, &msg);
    assert_eq!(status(&r), 200, "{r}");
    // The attacker replays the header: another host, Contact and Call-ID.
    let evil = UdpSocket::bind("127.0.0.2:0").expect("bind 127.0.0.2");
    let evil_me = evil.local_addr().expect("addr");
    let evil_contact = format!("sip:1001@{evil_me}");
    let replay = register_msg(target, evil_me, "evil-1", 2, &evil_contact, Some(&auth));
    let r = ask(&evil, target, &replay);
    assert_eq!(status(&r), 401, "replay answered {r}");
    let contacts = rt.block_on(ua.contacts("1001")).expect("contacts");
    assert_eq!(contacts.len(), 1, "{contacts:?}");
    assert_eq!(contacts[0].source, me, "the live binding keeps first place");
    rt.block_on(ua.shutdown());
}

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

/// The Authorization value answering the digest challenge in `response` (a 401 to a
/// REGISTER from user 1001, password `secret`), with client nonce `cnonce` and nc 1.
fn answer_challenge(response: &str, target: SocketAddr, cnonce: &str) -> String {
    use lianxin_sip::auth::{authorize, Challenge, Credentials};
    let value = response
        .lines()
        .find_map(|l| l.strip_prefix("WWW-Authenticate:"))
        .expect("challenge");
    let chal = Challenge::parse(value.trim()).expect("parse challenge");
    let creds = Credentials {
        username: "1001".into(),
        password: "secret".into(),
    };
    authorize(
        &chal,
        &creds,
        "REGISTER",
        &format!("sip:{target}"),
        cnonce,
        1,
    )
    .to_header_value()
}

#[test]
fn digest_replay_from_another_socket_is_refused() {
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
    let auth = answer_challenge(&r, target, "cn1");
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

fn invite_msg(target: SocketAddr, me: SocketAddr, call_id: &str, extra: &str) -> String {
    let sdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n";
    format!(
        "INVITE sip:100@{target} SIP/2.0\r\nVia: SIP/2.0/UDP {me};branch=z9hG4bK-{call_id}\r\nFrom: <sip:13800138000@{me}>;tag=f-{call_id}\r\nTo: <sip:100@{target}>\r\nCall-ID: {call_id}\r\nCSeq: 1 INVITE\r\nContact: <sip:caller@{me}>\r\n{extra}Max-Forwards: 70\r\nContent-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{sdp}",
        sdp.len()
    )
}

/// Final status per Call-ID of everything `s` receives until 1.5 s of quiet.
fn finals(s: &UdpSocket) -> std::collections::HashMap<String, u16> {
    s.set_read_timeout(Some(Duration::from_millis(1500)))
        .expect("timeout");
    let mut out = std::collections::HashMap::new();
    let mut buf = [0u8; 4096];
    while let Ok(n) = s.recv(&mut buf) {
        let text = String::from_utf8_lossy(&buf[..n]).to_string();
        let code = status(&text);
        if code >= 200 {
            if let Some(id) = call_id(&text) {
                out.insert(id, code);
            }
        }
    }
    out
}

/// Call-ID and P-Asserted-Identity URI of every incoming call the owner saw.
type Seen = Arc<Mutex<Vec<(String, Option<String>)>>>;

/// Answers every incoming call (never ACKed by the attacker) and records the PAI seen.
fn answer_all(
    rt: &tokio::runtime::Runtime,
    ua: lianxin_ua::UaHandle,
    mut events: tokio::sync::mpsc::Receiver<lianxin_ua::UaEvent>,
) -> Seen {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    rt.spawn(async move {
        while let Some(e) = events.recv().await {
            if let lianxin_ua::UaEvent::IncomingCall(ic) = e {
                let pai = ic.pai.as_ref().map(|p| p.uri.clone());
                log.lock().expect("lock").push((ic.call_id.clone(), pai));
                let sdp = b"v=0\r\no=- 2 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\n";
                let _ = ua.answer(ic.call, sdp.to_vec()).await;
            }
        }
    });
    seen
}

#[test]
fn calls_per_source_are_capped_and_others_still_get_through() {
    let (rt, ua, events) = start_raw(|_| {});
    let target = ua.local_addr();
    let _seen = answer_all(&rt, ua.clone(), events);
    let attacker = UdpSocket::bind("127.0.0.2:0").expect("bind 127.0.0.2");
    let me = attacker.local_addr().expect("addr");
    for i in 0..60 {
        let msg = invite_msg(target, me, &format!("fill-{i}"), "");
        attacker.send_to(msg.as_bytes(), target).expect("send");
        std::thread::sleep(Duration::from_millis(5));
    }
    let got = finals(&attacker);
    let ok = got.values().filter(|&&c| c == 200).count();
    let busy = got.values().filter(|&&c| c == 486 || c == 503).count();
    assert_eq!(got.len(), 60, "every INVITE answered: {got:?}");
    assert!(ok <= 20, "{ok} calls from one source answered");
    assert!(busy >= 40, "{busy} refused");
    // A caller from elsewhere still gets through.
    let caller = UdpSocket::bind("127.0.0.3:0").expect("bind 127.0.0.3");
    let cme = caller.local_addr().expect("addr");
    let r = ask(&caller, target, &invite_msg(target, cme, "real-1", ""));
    assert_eq!(status(&r), 200, "{r}");
    rt.block_on(ua.shutdown());
}

#[test]
fn accept_from_refuses_strangers_but_not_registered_phones() {
    let (rt, ua, events) = start_raw(|c| {
        c.accept_from = vec!["127.0.0.5".parse().expect("ip")];
        c.rate_limit.exempt = vec!["127.0.0.4".parse().expect("ip")];
    });
    let target = ua.local_addr();
    let seen = answer_all(&rt, ua.clone(), events);
    // A stranger: 403.
    let stranger = UdpSocket::bind("127.0.0.2:0").expect("bind");
    let sme = stranger.local_addr().expect("addr");
    let r = ask(
        &stranger,
        target,
        &invite_msg(target, sme, "stranger-1", ""),
    );
    assert_eq!(status(&r), 403, "{r}");
    // A registered phone (no digest in this UA? it asks: answer the challenge).
    let phone = UdpSocket::bind("127.0.0.3:0").expect("bind");
    let pme = phone.local_addr().expect("addr");
    let contact = format!("sip:1001@{pme}");
    let r = ask(
        &phone,
        target,
        &register_msg(target, pme, "ph", 1, &contact, None),
    );
    let a = answer_challenge(&r, target, "c");
    let r = ask(
        &phone,
        target,
        &register_msg(target, pme, "ph", 2, &contact, Some(&a)),
    );
    assert_eq!(status(&r), 200, "{r}");
    let r = ask(&phone, target, &invite_msg(target, pme, "phone-call", ""));
    assert_eq!(status(&r), 200, "registered phone: {r}");
    // The listed gateway and the trusted proxy.
    let gw = UdpSocket::bind("127.0.0.5:0").expect("bind");
    let gme = gw.local_addr().expect("addr");
    let pai = "P-Asserted-Identity: <sip:13911112222@gw>\r\n";
    let r = ask(&gw, target, &invite_msg(target, gme, "gw-call", pai));
    assert_eq!(status(&r), 200, "gateway: {r}");
    let proxy = UdpSocket::bind("127.0.0.4:0").expect("bind");
    let prme = proxy.local_addr().expect("addr");
    let r = ask(&proxy, target, &invite_msg(target, prme, "proxy-call", pai));
    assert_eq!(status(&r), 200, "trusted proxy: {r}");
    // PAI believed only from the trusted proxy (point 11).
    let seen = seen.lock().expect("lock").clone();
    let pai_of = |id: &str| seen.iter().find(|(c, _)| c == id).map(|(_, p)| p.clone());
    assert_eq!(pai_of("gw-call"), Some(None), "{seen:?}");
    assert!(
        matches!(pai_of("proxy-call"), Some(Some(ref u)) if u.contains("13911112222")),
        "{seen:?}"
    );
    rt.block_on(ua.shutdown());
}

/// One response read from a TCP stream (heads only; our answers here have no body).
fn tcp_ask(s: &mut std::net::TcpStream, msg: &str) -> String {
    use std::io::{Read, Write};
    s.set_read_timeout(Some(Duration::from_secs(3)))
        .expect("timeout");
    s.write_all(msg.as_bytes()).expect("write");
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = s.read(&mut buf).expect("read");
        assert!(n > 0, "connection closed");
        got.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&got).to_string();
        if let Some(end) = text.find("\r\n\r\n") {
            let head = &text[..end];
            if !head.starts_with("SIP/2.0 100") {
                return head.to_string();
            }
            got.drain(..end + 4);
        }
    }
}

/// Is the peer's end of `s` closed (EOF or reset) within `wait`?
fn closed(s: &mut std::net::TcpStream, wait: Duration) -> bool {
    use std::io::Read;
    s.set_read_timeout(Some(wait)).expect("timeout");
    let mut buf = [0u8; 64];
    match s.read(&mut buf) {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) => !matches!(
            e.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ),
    }
}

#[test]
fn tcp_idle_connections_are_capped_and_closed_and_phones_still_work() {
    use std::net::TcpStream;
    let (rt, ua, _events) = start_raw(|c| {
        c.tcp_idle_timeout = Duration::from_millis(1500);
    });
    let target = ua.local_addr();
    let connect_from = |ip: &str| {
        let sock = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)
            .expect("socket");
        let local: SocketAddr = format!("{ip}:0").parse().expect("addr");
        sock.bind(&local.into()).expect("bind");
        sock.connect(&target.into()).expect("connect");
        TcpStream::from(sock)
    };
    // 300 idle connections from one host.
    let mut idle: Vec<TcpStream> = (0..300).map(|_| connect_from("127.0.0.2")).collect();
    let refused = idle
        .iter_mut()
        .map(|s| closed(s, Duration::from_millis(10)))
        .filter(|&c| c)
        .count();
    assert!(refused >= 300 - 32, "closed at once: {refused}");
    // A phone registers over TCP meanwhile.
    let mut phone = connect_from("127.0.0.1");
    let me = phone.local_addr().expect("addr");
    let reg = |cseq: u32, auth: Option<&str>| {
        register_msg(
            target,
            me,
            "tcp-phone",
            cseq,
            &format!("sip:1001@{me};transport=tcp"),
            auth,
        )
        .replace("SIP/2.0/UDP", "SIP/2.0/TCP")
    };
    let r = tcp_ask(&mut phone, &reg(1, None));
    let a = answer_challenge(&r, target, "c");
    let r = tcp_ask(&mut phone, &reg(2, Some(&a)));
    assert!(r.starts_with("SIP/2.0 200"), "{r}");
    // Past the idle timeout: every idle connection is gone, the phone's is not.
    std::thread::sleep(Duration::from_millis(3000));
    let still_open = idle
        .iter_mut()
        .map(|s| closed(s, Duration::from_millis(10)))
        .filter(|c| !c)
        .count();
    assert_eq!(still_open, 0, "idle connections kept");
    let options = options("", 1, me, target).replace("SIP/2.0/UDP", "SIP/2.0/TCP");
    let r = tcp_ask(&mut phone, &options);
    assert!(r.starts_with("SIP/2.0 200"), "phone's connection: {r}");
    rt.block_on(ua.shutdown());
}

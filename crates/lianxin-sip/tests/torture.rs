//! RFC 4475 torture messages: valid ones parse, invalid ones are refused, nothing panics;
//! plus a seeded mutation fuzz run over the valid corpus.

mod common;

use lianxin_sip::wire::{self, Framer, Message, Scheme};
use lianxin_sip::Transport;
use rand::{rngs::StdRng, Rng, SeedableRng};
use std::path::Path;

/// Expand the RFC 4475 §2 conventions and turn LF into CRLF.
fn load(path: &Path) -> Vec<u8> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    // <allOneLine> joins lines.
    let mut joined = String::new();
    let mut one_line = false;
    for line in text.split('\n') {
        if line == "<allOneLine>" {
            one_line = true;
            continue;
        }
        if line == "</allOneLine>" {
            one_line = false;
            joined.push('\n');
            continue;
        }
        joined.push_str(line);
        if !one_line {
            joined.push('\n');
        }
    }
    joined.pop(); // the split added one trailing newline
                  // <repeat count=N>x</repeat>
    while let Some(start) = joined.find("<repeat count=") {
        let Some(gt) = joined[start..].find('>') else {
            break;
        };
        let n: usize = joined[start + 14..start + gt].parse().unwrap_or(0);
        let Some(end) = joined[start..].find("</repeat>") else {
            break;
        };
        let body = joined[start + gt + 1..start + end].to_string();
        joined.replace_range(start..start + end + 9, &body.repeat(n));
    }
    let crlf = joined.replace('\n', "\r\n");
    // Content-Length: * → the body length
    let (head, body) = match crlf.split_once("\r\n\r\n") {
        Some((h, b)) => (h.to_string(), b.to_string()),
        None => (crlf.clone(), String::new()),
    };
    let text = if head.contains("Content-Length: *") || head.contains("l: *") {
        let n = body.len().to_string();
        format!(
            "{}\r\n\r\n{body}",
            head.replace("Content-Length: *", &format!("Content-Length: {n}"))
                .replace("l: *", &format!("l: {n}"))
        )
    } else {
        crlf
    };
    // <hex>..</hex> → raw bytes
    let mut out = Vec::new();
    let mut rest = text.as_str();
    while let Some(i) = rest.find("<hex>") {
        out.extend_from_slice(&rest.as_bytes()[..i]);
        let after = &rest[i + 5..];
        let j = after.find("</hex>").unwrap_or(after.len());
        let hex = &after[..j];
        for k in (0..hex.len()).step_by(2) {
            out.push(u8::from_str_radix(hex.get(k..k + 2).unwrap_or("00"), 16).unwrap_or(0));
        }
        rest = after.get(j + 6..).unwrap_or("");
    }
    out.extend_from_slice(rest.as_bytes());
    out
}

fn corpus(dir: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/torture")
        .join(dir);
    let mut v: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "sip"))
        .map(|p| {
            (
                p.file_stem()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned(),
                load(&p),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn valid_torture_messages_parse() {
    let all = corpus("valid");
    assert!(all.len() >= 20);
    let mut failed = Vec::new();
    for (name, bytes) in &all {
        if let Err(e) = wire::parse(bytes) {
            failed.push(format!("{name}: {e}"));
        }
    }
    assert!(failed.is_empty(), "{failed:#?}");
}

#[test]
fn invalid_torture_messages_are_refused() {
    let all = corpus("invalid");
    assert!(all.len() >= 20);
    let mut accepted = Vec::new();
    for (name, bytes) in &all {
        if let Ok(m) = wire::parse(bytes) {
            accepted.push(format!("{name}: {:?}", m.head().call_id));
        }
    }
    assert!(accepted.is_empty(), "{accepted:#?}");
}

/// Spot checks of what the wire layer made of the tortuous ones.
#[test]
fn torture_details() {
    let get = |name: &str| {
        let (_, b) = corpus("valid")
            .into_iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("{name}"));
        wire::parse(&b).unwrap_or_else(|e| panic!("{name}: {e}"))
    };
    let Message::Request(r) = get("wsinv") else {
        panic!()
    };
    assert_eq!(r.head.via.len(), 3);
    assert_eq!(r.head.via[1].host, "spindle.example.com");
    assert_eq!(r.head.via[2].branch(), Some("z9hG4bK30239"));
    assert_eq!(r.head.to.tag(), Some("1918181833n"));
    assert_eq!(r.head.from.tag(), Some("98asjd8"));
    assert_eq!(r.head.max_forwards, Some(68));
    assert_eq!(r.head.cseq.seq, 9);
    assert_eq!(r.head.contact[0].param("q"), Some("0.33"));
    assert_eq!(r.body.len(), 150);
    assert_eq!(
        r.head.header("NewFangledHeader"),
        Some("newfangled value continued newfangled value")
    );
    assert_eq!(r.head.header("Subject"), Some(""));
    // legacy (RFC 2543) branch: key is synthesized, not the bare branch
    assert!(r.transaction_key().branch.starts_with("2543|"));

    let Message::Request(r) = get("intmeth") else {
        panic!()
    };
    assert_eq!(
        r.method.as_str(),
        "!interesting-Method0123456789_*+`.%indeed'~"
    );
    assert_eq!(r.uri.host, "example.com");
    assert_eq!(r.uri.user.as_deref(), Some("1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)").map(|u| u.split(':').next().unwrap_or(u)));

    let Message::Request(r) = get("esc01") else {
        panic!()
    };
    assert_eq!(r.head.to.uri.user_unescaped().as_deref(), Some("user"));
    assert_eq!(r.head.content_type.as_deref(), Some("application/sdp"));

    let Message::Request(r) = get("unkscm") else {
        panic!()
    };
    assert!(matches!(r.uri.scheme, Scheme::Other(_)));

    let Message::Request(r) = get("dblreq") else {
        panic!()
    };
    assert!(r.body.is_empty(), "only the first message of the datagram");

    let Message::Request(r) = get("ipv6via") else {
        panic!()
    };
    assert_eq!(r.head.via[0].host, "[2001:db8::9:1]");
    assert_eq!(r.head.via[0].port, Some(6050));

    let Message::Response(r) = get("noreason") else {
        panic!()
    };
    assert_eq!((r.code, r.reason.as_str()), (100, ""));
}

/// Every corpus message through a whole endpoint (UDP and TCP framing): no panic.
#[test]
fn endpoint_survives_the_corpus() {
    let t0 = common::epoch();
    let mut ep = common::endpoint(3, "10.0.0.2", 5060);
    for (_, bytes) in corpus("valid").into_iter().chain(corpus("invalid")) {
        ep.handle_message(
            t0,
            Transport::Udp,
            common::addr(common::LOCAL),
            common::addr("192.0.2.1:5060"),
            &bytes,
        );
        let mut f = Framer::new();
        f.push(&bytes);
        while let Ok(Some(m)) = f.pop() {
            ep.handle_message(
                t0,
                Transport::Tcp,
                common::addr(common::LOCAL),
                common::addr("192.0.2.1:5060"),
                &m,
            );
        }
        common::drain(&mut ep);
    }
}

/// Seeded random mutations (byte flips, inserts, deletes, truncations, CRLF/colon/comma
/// injections) of the valid corpus never panic the parser, the framer or the endpoint.
#[test]
fn fuzz_mutations_never_panic() {
    let seeds = corpus("valid");
    let mut rng = StdRng::seed_from_u64(4475);
    let t0 = common::epoch();
    let mut ep = common::endpoint(5, "10.0.0.2", 5060);
    const SPECIAL: &[u8] = b"\r\n:;,<>\"\\ %@?=[]0\xff\x00";
    let mut parsed = 0;
    for iter in 0..20_000 {
        let (_, base) = &seeds[iter % seeds.len()];
        let mut b = base.clone();
        for _ in 0..rng.random_range(1..6) {
            if b.is_empty() {
                break;
            }
            let i = rng.random_range(0..b.len());
            match rng.random_range(0..5) {
                0 => b[i] = rng.random(),
                1 => b.insert(i, SPECIAL[rng.random_range(0..SPECIAL.len())]),
                2 => {
                    b.remove(i);
                }
                3 => b.truncate(i),
                _ => b[i] = SPECIAL[rng.random_range(0..SPECIAL.len())],
            }
        }
        if wire::parse(&b).is_ok() {
            parsed += 1;
        }
        let _ = wire::bad_request(&b, "x");
        let mut f = Framer::new();
        f.push(&b);
        let _ = f.pop();
        ep.handle_message(
            t0,
            Transport::Udp,
            common::addr(common::LOCAL),
            common::addr("192.0.2.1:5060"),
            &b,
        );
        common::drain(&mut ep);
    }
    assert!(parsed > 100, "mutations still parse sometimes ({parsed})");
}

/// Each invalid message is refused for its own reason (not, say, a loader slip).
#[test]
fn invalid_reasons() {
    use wire::WireError as E;
    type Check = fn(&E) -> bool;
    let expect: &[(&str, Check)] = &[
        ("badinv01", |e| *e == E::BadHeader("Via")),
        ("clerr", |e| *e == E::Truncated),
        ("ncl", |e| *e == E::BadContentLength),
        ("scalar02", |e| matches!(e, E::BadHeader(_))),
        ("scalarlg", |e| matches!(e, E::BadHeader(_))),
        ("quotbal", |e| *e == E::BadHeader("To")),
        ("ltgtruri", |e| matches!(e, E::BadUri(_))),
        ("lwsruri", |e| matches!(e, E::BadStartLine(_))),
        ("lwsstart", |e| matches!(e, E::BadStartLine(_))),
        ("trws", |e| matches!(e, E::BadStartLine(_))),
        ("escruri", |e| matches!(e, E::BadUri(_))),
        ("baddate", |e| *e == E::BadHeader("Date")),
        ("regbadct", |e| *e == E::BadHeader("Contact")),
        ("badaspec", |e| *e == E::BadHeader("To")),
        ("baddn", |e| *e == E::BadHeader("From")),
        ("badvers", |e| {
            matches!(e, E::BadVersion | E::BadHeader("Via"))
        }),
        ("mismatch01", |e| *e == E::CSeqMismatch),
        ("mismatch02", |e| *e == E::CSeqMismatch),
        ("bigcode", |e| matches!(e, E::BadStartLine(_))),
        ("insuf", |e| matches!(e, E::MissingHeader(_))),
        ("multi01", |e| matches!(e, E::BadHeader(_))),
        ("mcl01", |e| *e == E::BadContentLength),
        ("nohead", |e| *e == E::NoEndOfHead),
        ("garbage", |e| matches!(e, E::NoEndOfHead | E::NotUtf8)),
    ];
    let all = corpus("invalid");
    assert_eq!(all.len(), expect.len());
    for (name, bytes) in all {
        let err = wire::parse(&bytes)
            .err()
            .unwrap_or_else(|| panic!("{name} parsed"));
        let (_, ok) = expect
            .iter()
            .find(|(n, _)| *n == name)
            .unwrap_or_else(|| panic!("{name}: no expectation"));
        assert!(ok(&err), "{name}: {err:?}");
    }
}

/// Digest headers come from the network too (401/407 challenges, Authorization in
/// REGISTER): seeded mutations of real ones never panic the parsers.
#[test]
fn fuzz_digest_headers_never_panic() {
    use lianxin_sip::auth::{Authorization, Challenge};
    let bases = [
        r#"Digest realm="trunk", nonce="abc\"def", qop="auth,auth-int", algorithm=SHA-256, opaque="o""#,
        r#"Digest username="8001",realm="lianxin",cnonce="6b8b4567",nc=00000001,qop=auth,uri="sip:127.0.0.1:5197",nonce="46b.1.1193",response="0123456789abcdef",algorithm=MD5"#,
        "Digest realm=\"大停電\", nonce=\"\\\u{e9}\"",
    ];
    let mut rng = StdRng::seed_from_u64(2617);
    let mut ok = 0;
    for iter in 0..20_000 {
        let mut b = bases[iter % bases.len()].as_bytes().to_vec();
        for _ in 0..rng.random_range(1..5) {
            if b.is_empty() {
                break;
            }
            let i = rng.random_range(0..b.len());
            match rng.random_range(0..4) {
                0 => b[i] = b"\"\\,= \xc3"[rng.random_range(0..6)],
                1 => b.truncate(i),
                2 => {
                    b.remove(i);
                }
                _ => b.insert(i, b"\"\\,="[rng.random_range(0..4)]),
            }
        }
        let s = String::from_utf8_lossy(&b);
        ok += usize::from(Challenge::parse(&s).is_ok());
        ok += usize::from(Authorization::parse(&s).is_ok());
    }
    assert!(ok > 0);
}

/// Why the wire layer exists: rsip 0.4 alone refuses valid torture messages that we parse,
/// while the text we normalize them to is accepted by rsip (rsip stays usable behind us).
#[test]
fn rsip_alone_fails_where_the_wire_layer_parses() {
    let mut rsip_failed = Vec::new();
    let mut normalized_ok = 0;
    for (name, bytes) in corpus("valid") {
        if rsip::SipMessage::try_from(bytes.as_slice()).is_err() {
            rsip_failed.push(name.clone());
        }
        if let Ok(Message::Request(r)) = wire::parse(&bytes) {
            if matches!(r.uri.scheme, Scheme::Sip) && r.to_rsip().is_ok() {
                normalized_ok += 1;
            }
        }
    }
    assert!(rsip_failed.iter().any(|n| n == "wsinv"), "{rsip_failed:?}");
    assert!(normalized_ok >= 5, "{normalized_ok}");
    eprintln!(
        "rsip alone refuses {} of the valid messages: {rsip_failed:?}",
        rsip_failed.len()
    );
}

//! The hotline's own prompts and the group-call notices, kept by an admin in a real
//! browser (issue 12, "Admins: prompts and notices"): headless Chromium against
//! `lianxin serve --demo` on 127.0.0.1, sipp as the caller.
//!
//! An admin replaces the greeting with the committee's own recording (a 700 Hz tone
//! here, where every shipped test prompt is 440 Hz), and the next sipp call hears it in
//! its RTP, without a restart; a file that is not audio is refused next to its field;
//! 恢复默认 brings the shipped greeting back for the call after. A notice retired (停用)
//! leaves the notices list and the group-call form. Screenshots at 1366×768 and 375 px.
//! The harness is in `browser/`.

mod browser;
mod support;

use std::net::UdpSocket;
use std::time::{Duration, Instant};

use browser::{Browser, Server};
use serde_json::json;
use support::audio::{tone_frames, ulaw_decode};

/// The committee's greeting: a tone no shipped test prompt has.
const NEW_HZ: f64 = 700.0;
/// The tone of every shipped test prompt (tests/browser write_prompts).
const SHIPPED_HZ: f64 = 440.0;

/// `secs` seconds of a `freq` Hz tone as a 16 kHz WAV file's bytes.
fn wav(freq: f64, secs: usize) -> Vec<u8> {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 16000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut out = std::io::Cursor::new(Vec::new());
    let mut w = hound::WavWriter::new(&mut out, spec).expect("wav");
    for i in 0..secs * 16000 {
        let s = (i as f64 * 2.0 * std::f64::consts::PI * freq / 16000.0).sin() * 8000.0;
        w.write_sample(s as i16).expect("sample");
    }
    w.finalize().expect("finalize");
    out.into_inner()
}

/// Puts `bytes` as file `name` into the file input `css`, as a user choosing it would.
async fn choose_file(b: &Browser, css: &str, name: &str, bytes: &[u8]) {
    b.js(
        "const i = document.querySelector(arguments[0]); const dt = new DataTransfer(); \
         dt.items.add(new File([new Uint8Array(arguments[2])], arguments[1], {type: 'audio/wav'})); \
         i.files = dt.files; i.dispatchEvent(new Event('change', {bubbles: true}));",
        vec![json!(css), json!(name), json!(bytes)],
    )
    .await;
}

/// Places one hotline call that listens for 3 s (sipp, `hotline/caller_listens.xml`) with
/// its media sent to a socket of this test, and returns the audio the caller heard.
fn heard_on_a_call(server: &Server, name: &str) -> Vec<i16> {
    let sock = UdpSocket::bind("127.0.0.1:0").expect("rtp socket");
    sock.set_read_timeout(Some(Duration::from_millis(200)))
        .expect("timeout");
    let media_port = sock.local_addr().expect("addr").port();
    let dir = server.dir.path().join(name);
    let sc = support::scenario(
        "hotline/caller_listens.xml",
        &[
            ("MEDIA_PORT", media_port.to_string()),
            ("HOLD_MS", "3000".to_string()),
        ],
        &dir,
    );
    let args = vec![
        format!("127.0.0.1:{}", server.sip),
        "-sf".into(),
        sc.display().to_string(),
        "-s".into(),
        "51663371".into(),
        "-i".into(),
        "127.0.0.1".into(),
        "-p".into(),
        support::free_port().to_string(),
        "-mi".into(),
        "127.0.0.1".into(),
        "-mp".into(),
        support::free_rtp_port().to_string(),
        "-m".into(),
        "1".into(),
    ];
    let mut caller = support::Sipp::start(name, server.dir.path(), &args);
    // Until the call has been quiet for a second after its audio (sipp hangs up after
    // 3 s), at most 10 s.
    let mut samples = Vec::new();
    let mut buf = [0u8; 2048];
    let until = Instant::now() + Duration::from_secs(10);
    let mut last = None;
    while Instant::now() < until {
        match sock.recv_from(&mut buf) {
            // PCMU audio (payload type 0) after the 12-byte header; key events are not.
            Ok((n, _)) if n > 12 && buf[1] & 0x7F == 0 => {
                samples.extend(buf[12..n].iter().map(|&b| ulaw_decode(b)));
                last = Some(Instant::now());
            }
            Ok(_) => {}
            Err(_) if last.is_some_and(|t| t.elapsed() > Duration::from_secs(1)) => break,
            Err(_) => {}
        }
    }
    caller.expect_success(Duration::from_secs(20));
    samples
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replaced_greeting_is_heard_on_the_next_call_and_a_retired_notice_is_gone() {
    let server = Server::start();
    let b = Browser::open(&server.url(), 1366, 768).await;
    b.login("admin", "demo-admin").await;
    b.click("#admin-nav button[data-panel=prompts]").await;
    b.until(
        "the prompts panel",
        "document.querySelectorAll('table.prompts tbody tr').length >= 7",
    )
    .await;
    assert_eq!(
        b.text("table.prompts tr[data-prompt=greeting] .source")
            .await,
        "系统自带"
    );
    // Before: the caller hears the shipped greeting.
    let before = heard_on_a_call(&server, "before");
    assert!(
        tone_frames(&before, SHIPPED_HZ) >= 5,
        "shipped greeting heard"
    );
    assert_eq!(tone_frames(&before, NEW_HZ), 0);

    // A file that is not audio: refused next to the file field, nothing changes.
    let greeting = "table.prompts tr[data-prompt=greeting]";
    choose_file(
        &b,
        &format!("{greeting} input[type=file]"),
        "notes.wav",
        b"not audio",
    )
    .await;
    b.click(&format!("{greeting} .replace-prompt button[type=submit]"))
        .await;
    b.until(
        "the error next to the file",
        "document.querySelector('table.prompts tr[data-prompt=greeting] .err[data-for=prompt]').textContent.includes('WAV')",
    )
    .await;

    // The committee's own greeting (2 s) replaces it.
    choose_file(
        &b,
        &format!("{greeting} input[type=file]"),
        "欢迎语.wav",
        &wav(NEW_HZ, 2),
    )
    .await;
    b.click(&format!("{greeting} .replace-prompt button[type=submit]"))
        .await;
    b.until(
        "the greeting marked replaced",
        "(() => { const r = document.querySelector('table.prompts tr[data-prompt=greeting]'); return r && r.classList.contains('replaced') && r.children[1].textContent === '2 秒'; })()",
    )
    .await;
    b.click(&format!("{greeting} button.listen")).await;
    b.until(
        "the new greeting in the page's player",
        "(() => { const a = document.querySelector('table.prompts tr[data-prompt=greeting] audio'); return a && a.src.startsWith('blob:') && a.duration > 1.9; })()",
    )
    .await;
    b.screenshot("admin-prompts-1366").await;

    // The next call hears it, without a restart: about 2 s of 700 Hz.
    let after = heard_on_a_call(&server, "after");
    let new_frames = tone_frames(&after, NEW_HZ);
    assert!(
        (80..=101).contains(&new_frames),
        "the new 2 s greeting heard: {new_frames} frames of {NEW_HZ} Hz"
    );
    assert!(server.log().contains("prompt replaced"));

    // 恢复默认 (two clicks): the call after hears the shipped greeting again.
    b.click(&format!("{greeting} button.restore")).await;
    b.click(&format!("{greeting} button.restore")).await;
    b.until(
        "the greeting shipped again",
        "document.querySelector('table.prompts tr[data-prompt=greeting] .source').textContent === '系统自带'",
    )
    .await;
    let restored = heard_on_a_call(&server, "restored");
    assert_eq!(tone_frames(&restored, NEW_HZ), 0, "the replacement is gone");
    assert!(tone_frames(&restored, SHIPPED_HZ) >= 5);

    // A notice retired (停用, two clicks) leaves the list and the group-call form.
    b.click("#admin-nav button[data-panel=notices]").await;
    b.until(
        "the notices panel",
        "document.querySelector('table.notices tr[data-notice=notice-heating]')",
    )
    .await;
    b.click("table.notices tr[data-notice=notice-heating] button.retire")
        .await;
    b.click("table.notices tr[data-notice=notice-heating] button.retire")
        .await;
    b.until(
        "the retired notice gone from the list",
        "document.querySelectorAll('table.notices tbody tr').length >= 2 && !document.querySelector('table.notices tr[data-notice=notice-heating]')",
    )
    .await;
    let token = server.token("admin", "demo-admin");
    let (_, notices) = support::http_get(server.http, "/api/notices", Some(&token));
    assert!(!notices.contains("notice-heating"), "{notices}");
    assert!(notices.contains("notice-fraud"), "{notices}");

    // The refused upload (400) is logged by the browser.
    b.finish(&["/api/prompts/greeting - Failed to load resource: the server responded with a status of 400"])
        .await;

    // On a phone (375 px): the group-call form no longer offers the retired notice, and
    // the prompts table still reads.
    let p = Browser::open(&server.url(), 375, 740).await;
    p.login("admin", "demo-admin").await;
    p.click("#tabs button[data-screen=campaign-screen]").await;
    p.until(
        "the group-call form's notices",
        "[...document.querySelectorAll('.campaign-form select[name=notice] option')].some((o) => o.value === 'notice-fraud')",
    )
    .await;
    assert_eq!(
        p.js(
            "return [...document.querySelectorAll('.campaign-form select[name=notice] option')].some((o) => o.value === 'notice-heating');",
            vec![],
        )
        .await,
        json!(false),
        "a retired notice is not offered"
    );
    p.click("#tabs button[data-screen=admin-screen]").await;
    p.click("#admin-nav button[data-panel=prompts]").await;
    p.until(
        "the prompts panel at 375 px",
        "document.querySelectorAll('table.prompts tbody tr').length >= 7",
    )
    .await;
    p.screenshot("admin-prompts-375").await;
    p.finish(&[]).await;
}

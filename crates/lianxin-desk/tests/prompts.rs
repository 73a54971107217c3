//! The hotline's prompts over HTTP (issue 12, "prompts"; `docs/desk-protocol.md` §13.4),
//! against a fake prompt library: 503 until the server hands one over; admins only
//! (`403 role` for everyone else); names only, never a path (`404 name`); an upload is
//! handed over whole and audited; the library's own refusals reach the page with their
//! field; restoring goes back to the shipped recording; listening gives `audio/wav`.
//! Staff who may not upload are refused before their body is read (they cannot hold the
//! two upload permits with large bodies).

mod demo;
mod http;
use demo::demo_desk;
use http::{assert_refused, call, login, request, send};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use lianxin_desk::{CampaignRefused, PromptControl, PromptInfo};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Two prompts; a replacement is kept as its byte count (a second per 1000 bytes).
#[derive(Default)]
struct FakePrompts {
    replaced: Mutex<BTreeMap<String, usize>>,
}

impl FakePrompts {
    fn info(&self, name: &str) -> Result<PromptInfo, CampaignRefused> {
        if !["greeting", "menu"].contains(&name) {
            return Err(CampaignRefused {
                status: 404,
                field: Some("name".into()),
                message: "没有这个提示音".into(),
            });
        }
        let replaced = self.replaced.lock().unwrap().get(name).copied();
        Ok(PromptInfo {
            name: name.into(),
            seconds: replaced.map_or(3, |b| (b / 1000) as u32),
            replaced: replaced.is_some(),
        })
    }
}

impl PromptControl for FakePrompts {
    fn list(&self) -> Vec<PromptInfo> {
        ["greeting", "menu"]
            .iter()
            .filter_map(|n| self.info(n).ok())
            .collect()
    }
    fn replace(&self, name: &str, audio: &[u8]) -> Result<PromptInfo, CampaignRefused> {
        self.info(name)?;
        if !audio.starts_with(b"RIFF") {
            return Err(CampaignRefused {
                status: 400,
                field: Some("prompt".into()),
                message: "无法识别这个录音文件".into(),
            });
        }
        self.replaced
            .lock()
            .unwrap()
            .insert(name.into(), audio.len());
        self.info(name)
    }
    fn restore(&self, name: &str) -> Result<PromptInfo, CampaignRefused> {
        self.info(name)?;
        self.replaced.lock().unwrap().remove(name);
        self.info(name)
    }
    fn audio(&self, name: &str) -> Result<Vec<u8>, CampaignRefused> {
        self.info(name)?;
        Ok(b"RIFF....WAVE".to_vec())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_replace_and_restore_the_hotlines_prompts() {
    let demo = demo_desk(7, 30, Utc::now()).await;
    let (store, desk) = (demo.store.clone(), &demo.desk);
    let addr = desk.local_addr();
    let (admin, _) = login(addr, "admin", "demo-admin").await;

    // No hotline yet: the page is told so.
    assert_refused(
        call(addr, "GET", "/api/prompts", &admin, Value::Null).await,
        503,
        "prompt",
    );
    desk.set_prompts(Arc::new(FakePrompts::default()));

    // Admins only.
    for (user, password) in [
        ("super", "demo-super"),
        ("staff", "demo-staff"),
        ("8001", "demo8001"),
    ] {
        let (token, _) = login(addr, user, password).await;
        assert_refused(
            call(addr, "GET", "/api/prompts", &token, Value::Null).await,
            403,
            "role",
        );
        let (status, v) = request(
            addr,
            "PUT",
            "/api/prompts/greeting",
            Some(&token),
            b"RIFF1".to_vec(),
        )
        .await;
        assert_eq!(
            (status, v["field"].as_str()),
            (403, Some("role")),
            "{user}: {v}"
        );
        assert_refused(
            call(addr, "DELETE", "/api/prompts/greeting", &token, Value::Null).await,
            403,
            "role",
        );
    }
    let (status, v) = call(addr, "GET", "/api/prompts", &admin, Value::Null).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(
        v["prompts"][0],
        json!({"name": "greeting", "seconds": 3, "replaced": false})
    );

    // Names only.
    for bad in ["..%2Fgreeting", "Greeting", "notice-security", "a.wav"] {
        let (status, v) = request(
            addr,
            "PUT",
            &format!("/api/prompts/{bad}"),
            Some(&admin),
            b"RIFF".to_vec(),
        )
        .await;
        assert_eq!(
            (status, v["field"].as_str()),
            (404, Some("name")),
            "{bad}: {v}"
        );
    }
    // The library decides which names exist.
    let (status, v) = request(
        addr,
        "PUT",
        "/api/prompts/tone",
        Some(&admin),
        b"RIFF".to_vec(),
    )
    .await;
    assert_eq!((status, v["field"].as_str()), (404, Some("name")), "{v}");
    // An empty body, and a file the library cannot play, name the file field.
    let (status, v) = request(
        addr,
        "PUT",
        "/api/prompts/greeting",
        Some(&admin),
        Vec::new(),
    )
    .await;
    assert_eq!((status, v["field"].as_str()), (400, Some("prompt")), "{v}");
    let (status, v) = request(
        addr,
        "PUT",
        "/api/prompts/greeting",
        Some(&admin),
        b"not audio".to_vec(),
    )
    .await;
    assert_eq!((status, v["field"].as_str()), (400, Some("prompt")), "{v}");

    // A replacement larger than the API's usual 64 KiB: handed over whole and audited.
    let before = store.counts().unwrap().audit;
    let mut wav = b"RIFF".to_vec();
    wav.resize(100_000, 0);
    let (status, v) = request(addr, "PUT", "/api/prompts/greeting", Some(&admin), wav).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(
        v,
        json!({"name": "greeting", "seconds": 100, "replaced": true})
    );
    assert_eq!(store.counts().unwrap().audit, before + 1);
    let (_, v) = call(addr, "GET", "/api/prompts", &admin, Value::Null).await;
    assert_eq!(v["prompts"][0]["replaced"], true, "{v}");

    // Listening: a WAV file, never cached.
    let a = send(
        addr,
        "GET",
        "/api/prompts/greeting/audio",
        Some(&admin),
        "application/json",
        b"",
    )
    .await;
    assert_eq!(a.status, 200);
    assert!(
        a.head
            .to_ascii_lowercase()
            .contains("content-type: audio/wav"),
        "{}",
        a.head
    );
    assert!(
        a.head
            .to_ascii_lowercase()
            .contains("cache-control: no-store"),
        "{}",
        a.head
    );
    assert!(a.body.starts_with(b"RIFF"));

    // Restoring: the shipped recording again, audited.
    let (status, v) = call(addr, "DELETE", "/api/prompts/greeting", &admin, Value::Null).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(
        v,
        json!({"name": "greeting", "seconds": 3, "replaced": false})
    );
    assert_eq!(store.counts().unwrap().audit, before + 2);
}

/// The status line the desk answers to a PUT that announces a 10 MiB body and sends none
/// of it (`None` if no answer comes within 5 s, i.e. the server waits for the body).
async fn answer_before_the_body(addr: SocketAddr, path: &str, token: &str) -> Option<String> {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "PUT {path} HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {token}\r\nContent-Length: {}\r\n\r\n",
        10 << 20
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let mut buf = vec![0u8; 4096];
    match tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf)).await {
        Ok(Ok(n)) if n > 0 => String::from_utf8_lossy(&buf[..n])
            .lines()
            .next()
            .map(str::to_owned),
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_are_refused_before_their_body_is_read() {
    let demo = demo_desk(7, 30, Utc::now()).await;
    let desk = &demo.desk;
    desk.set_prompts(Arc::new(FakePrompts::default()));
    let addr = desk.local_addr();
    let (op, _) = login(addr, "8001", "demo8001").await;
    let (sup, _) = login(addr, "super", "demo-super").await;
    for (path, token) in [
        ("/api/notices/water-cut", &op),
        ("/api/prompts/greeting", &op),
        ("/api/prompts/greeting", &sup),
    ] {
        let line = answer_before_the_body(addr, path, token).await;
        assert!(
            line.as_deref().is_some_and(|l| l.contains(" 403 ")),
            "{path}: {line:?}"
        );
    }
}

//! A desk console as the browser runs it: logged in over HTTP (`/api/login`), connected
//! over WebSocket, reading the server's JSON events. Every read is bounded.

use std::time::{Duration, Instant, SystemTime};

use futures_util::StreamExt;
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;

use super::http_post;

/// A desk console: logged in over HTTP, connected over WebSocket.
pub struct Console {
    ws: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
    /// The session token from the login.
    pub token: String,
}

impl Console {
    /// Logs in as `user` on the console API at `http` and connects the WebSocket.
    pub async fn connect(http: u16, user: &str, password: &str) -> Console {
        let body = format!(r#"{{"username":"{user}","password":"{password}"}}"#);
        let (status, resp) = http_post(http, "/api/login", &body, None);
        assert_eq!(status, 200, "login failed: {resp}");
        let v: Value = serde_json::from_str(&resp).expect("login json");
        let token = v["token"].as_str().expect("token").to_string();
        Console::with_token(http, token).await
    }

    /// Connects the WebSocket with an existing session token.
    pub async fn with_token(http: u16, token: String) -> Console {
        let (ws, _) = tokio_tungstenite::connect_async(super::ws_url(http, &token))
            .await
            .expect("websocket connect");
        Console { ws, token }
    }

    /// The first event of each of `types`, in whatever order they come, within `limit`.
    pub async fn each(&mut self, types: &[&str], limit: Duration) -> Vec<Value> {
        let deadline = Instant::now() + limit;
        let mut found: Vec<Option<Value>> = vec![None; types.len()];
        while found.iter().any(Option::is_none) {
            let left = deadline.saturating_duration_since(Instant::now());
            let Ok(Some(Ok(msg))) = tokio::time::timeout(left, self.ws.next()).await else {
                panic!("not all of {types:?} within {limit:?}: got {found:?}");
            };
            if let Message::Text(t) = msg {
                let v: Value = serde_json::from_str(&t).expect("event json");
                if let Some(i) = types.iter().position(|ty| v["type"] == *ty) {
                    found[i].get_or_insert(v);
                }
            }
        }
        found.into_iter().flatten().collect()
    }

    /// Whether an event of type `ty` arrives within `limit` (others are skipped).
    pub async fn gets(&mut self, ty: &str, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let Ok(Some(Ok(msg))) = tokio::time::timeout(left, self.ws.next()).await else {
                return false;
            };
            if let Message::Text(t) = msg {
                let v: Value = serde_json::from_str(&t).expect("event json");
                if v["type"] == ty {
                    return true;
                }
            }
        }
    }

    /// The next event of type `ty` (others are skipped), within `limit`, and when it
    /// arrived.
    pub async fn next(&mut self, ty: &str, limit: Duration) -> (Value, SystemTime) {
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let msg = tokio::time::timeout(left, self.ws.next())
                .await
                .unwrap_or_else(|_| panic!("no {ty} event within {limit:?}"))
                .expect("websocket closed")
                .expect("websocket error");
            let at = SystemTime::now();
            if let Message::Text(t) = msg {
                let v: Value = serde_json::from_str(&t).expect("event json");
                if v["type"] == ty {
                    return (v, at);
                }
            }
        }
    }

    /// Closes the WebSocket.
    pub async fn close(mut self) {
        let _ = self.ws.close(None).await;
    }
}

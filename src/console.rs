//! `lianxin console`: a terminal desk console.
//!
//! Logs in to a running server like the browser console does (`POST /api/login`, through
//! [`crate::client`], which `lianxin campaign` shares), opens the WebSocket and prints
//! every screen-pop and call event as a readable line (or the raw JSON frames with
//! `--json`). Useful for a quick check that pops arrive, and for staff
//! who want the pops in a terminal window.

use anyhow::{bail, Context};
use chrono::{DateTime, Utc};
use futures_util::{SinkExt, StreamExt};
use lianxin_store::china_time::china;
use serde_json::Value;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

use crate::client::{Client, ServerArgs};

/// Options of `lianxin console`.
#[derive(Debug, Clone, clap::Args)]
pub struct ConsoleArgs {
    /// Server address and log-in.
    #[command(flatten)]
    pub server: ServerArgs,
    /// Print the raw JSON frames instead of readable lines.
    #[arg(long)]
    pub json: bool,
    /// Stop after this many call events (0 = run until Ctrl-C).
    #[arg(long, default_value_t = 0)]
    pub count: usize,
}

/// Logs in, connects and prints events.
pub async fn run(args: &ConsoleArgs) -> anyhow::Result<()> {
    let client = Client::login(&args.server).await?;
    let http = client.addr();
    // The token goes in the Authorization header, never in the URL (proxy logs).
    let mut request = format!("ws://{http}/ws")
        .into_client_request()
        .context("bad console address")?;
    request.headers_mut().insert(
        "authorization",
        format!("Bearer {}", client.token())
            .parse()
            .context("the log-in answer has a malformed token")?,
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(request)
        .await
        .with_context(|| format!("cannot open the console WebSocket at {http}"))?;
    eprintln!(
        "connected to {http} as {}; waiting for calls (Ctrl-C to stop)",
        client.user()
    );
    let mut seen = 0;
    loop {
        let msg = tokio::select! {
            m = ws.next() => m,
            _ = tokio::signal::ctrl_c() => break,
        };
        let Some(msg) = msg else {
            bail!("the server closed the console connection");
        };
        let text = match msg.context("console connection failed")? {
            Message::Text(t) => t.to_string(),
            Message::Ping(p) => {
                ws.send(Message::Pong(p)).await.ok();
                continue;
            }
            Message::Close(_) => bail!("the server closed the console connection"),
            _ => continue,
        };
        let v: Value =
            serde_json::from_str(&text).context("the server sent a frame that is not JSON")?;
        if args.json {
            println!("{text}");
        } else if let Some(line) = render(&v) {
            println!("{line}");
        }
        if v["type"].as_str().is_some_and(|t| t.starts_with("call.")) {
            seen += 1;
            if args.count > 0 && seen >= args.count {
                break;
            }
        }
    }
    let _ = ws.close(None).await;
    Ok(())
}

fn china_time(v: &Value) -> String {
    v.as_str()
        .and_then(|s| s.parse::<DateTime<Utc>>().ok())
        .map(|t| china(t).format("%H:%M:%S").to_string())
        .unwrap_or_else(|| "--:--:--".into())
}

/// One readable line per event (None for events not worth a line).
fn render(v: &Value) -> Option<String> {
    let id = v["call_id"].as_str().unwrap_or("");
    Some(match v["type"].as_str()? {
        "hello" => {
            let calls = v["calls"].as_array().cloned().unwrap_or_default();
            let mut out = format!(
                "logged in as {} ({}); state {}; {} call(s) in progress",
                v["staff"]["display_name"].as_str().unwrap_or("?"),
                v["staff"]["role"].as_str().unwrap_or("?"),
                v["state"].as_str().unwrap_or("?"),
                calls.len()
            );
            for mut card in calls {
                card["type"] = "call.ringing".into();
                if let Some(line) = render(&card) {
                    out.push('\n');
                    out.push_str(&line);
                }
            }
            out
        }
        "call.ringing" => {
            let caller = v["caller_raw"]
                .as_str()
                .filter(|s| !s.is_empty())
                .unwrap_or("withheld");
            let mut out = format!("{} call {id} from {caller}", china_time(&v["arrived_at"]));
            let matches = v["pop"]["matches"].as_array().cloned().unwrap_or_default();
            if matches.is_empty() {
                out.push_str(": unknown caller (未知来电)");
            }
            for m in &matches {
                let members: Vec<String> = m["members"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|p| {
                        format!(
                            "{}({},{})",
                            p["name"].as_str().unwrap_or("?"),
                            match p["sex"].as_str() {
                                Some("female") => "女",
                                Some("male") => "男",
                                _ => "?",
                            },
                            p["age"].as_u64().map_or("?".into(), |a| format!("{a}岁"))
                        )
                    })
                    .collect();
                let requests = m["requests"].as_array().cloned().unwrap_or_default();
                let open = requests.iter().filter(|r| r["open"] == true).count();
                let red = requests.iter().filter(|r| r["alarm"] == "red").count();
                out.push_str(&format!(
                    "\n    {} | {} | captain {} | groups {} | members {} | requests {} ({} open, {} red)",
                    m["address"].as_str().unwrap_or("?"),
                    m["block"]["name"].as_str().unwrap_or("-"),
                    m["block"]["captain_name"].as_str().unwrap_or("-"),
                    m["groups"]
                        .as_array()
                        .map(|g| g.iter().filter_map(Value::as_str).collect::<Vec<_>>().join("、"))
                        .unwrap_or_default(),
                    members.join(" "),
                    requests.len(),
                    open,
                    red
                ));
            }
            out
        }
        "call.queued" => format!("call {id} waiting, position {}", v["position"]),
        "call.offered" => format!(
            "call {id} ringing {} ({})",
            v["operator"]["display_name"].as_str().unwrap_or("?"),
            v["operator"]["extension"].as_str().unwrap_or("-")
        ),
        "call.answered" => format!(
            "call {id} answered by {}",
            v["operator"]["display_name"].as_str().unwrap_or("?")
        ),
        "call.ended" => format!(
            "call {id} ended: {} after {} s",
            v["outcome"].as_str().unwrap_or("?"),
            v["duration_s"]
        ),
        "voicemail.new" => format!(
            "voice message {} from {} ({} s)",
            v["voice_message"]["id"],
            v["voice_message"]["caller_raw"]
                .as_str()
                .unwrap_or("withheld"),
            v["voice_message"]["duration_s"]
        ),
        "error" => format!("server error: {}", v["message"].as_str().unwrap_or("?")),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pop_line_names_the_resident_and_history() {
        let v = serde_json::json!({
            "type": "call.ringing", "call_id": "c1", "caller_raw": "65123456",
            "arrived_at": "2026-11-21T02:15:07Z",
            "pop": {"matches": [{
                "address": "内务部街27号", "block": {"name": "第一片区", "captain_name": "李建国"},
                "groups": ["低保人员家庭"],
                "members": [{"name": "范先翔", "sex": "female", "age": 44}],
                "requests": [{"open": true, "alarm": "red"}, {"open": false, "alarm": "green"}]
            }]}
        });
        let line = render(&v).expect("a line");
        assert!(line.starts_with("10:15:07 call c1 from 65123456"), "{line}");
        assert!(line.contains("范先翔(女,44岁)"), "{line}");
        assert!(line.contains("requests 2 (1 open, 1 red)"), "{line}");
    }

    #[test]
    fn unknown_caller_is_said_so() {
        let v = serde_json::json!({"type": "call.ringing", "call_id": "c2", "caller_raw": "",
            "arrived_at": "2026-11-21T02:15:07Z", "pop": {"matches": []}});
        let line = render(&v).expect("a line");
        assert!(line.contains("from withheld: unknown caller"), "{line}");
    }
}

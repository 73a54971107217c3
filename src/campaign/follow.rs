//! `--follow`: watch a campaign until it ends.
//!
//! Polls `GET /api/campaigns/{id}` twice a second (the dialer throttles its counters to
//! about that rate anyway) and draws one indicatif bar: households done out of all, with
//! reached, not reached, in call, ringing, calls per second and whether the dialer is
//! backing off or waiting for the calling window. Without a terminal on stderr (indicatif
//! draws nothing then) it prints a plain line every few seconds when something changed.
//! When the state is `finished` or `cancelled` it prints the summary. Ctrl-C only stops the
//! watching; the campaign goes on in the server.
//!
//! The server may restart under it (a crash, an upgrade): sessions end with a restart, so
//! a 401 logs in again once, and a server that does not answer is retried for a while.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::Value;

use super::wire::{self, Counters, Status};
use super::Out;
use crate::client::{Client, ClientError, ServerArgs};

/// Time between two polls.
const POLL: Duration = Duration::from_millis(500);
/// Polls in a row the server may miss before we give up (30 s).
const MAX_MISSED: u32 = 60;
/// The progress display: two lines, so the counters keep a whole terminal line (cut to
/// its width, never wrapped).
const BAR: &str =
    "{spinner} campaign {prefix} [{bar:30}] {pos}/{len} households done\n  {wide_msg}";
/// Time between two plain progress lines (no terminal).
const PLAIN_EVERY: Duration = Duration::from_secs(5);

/// The live part of the progress line.
pub fn progress_message(c: &Counters) -> String {
    let mut parts = vec![
        format!("reached {}", c.reached),
        format!("not reached {}", c.not_reached),
        format!("in call {}", c.in_call),
        format!("ringing {}", c.ringing),
        format!("{} calls/s", fmt_rate(c.calls_per_second)),
    ];
    if c.backing_off {
        parts.push("backing off (trunk busy)".into());
    }
    if c.waiting_for_window {
        parts.push("waiting for the calling window".into());
    }
    parts.join(", ")
}

/// The whole progress line, for logs and pipes.
pub fn plain_line(id: i64, state: &str, c: &Counters) -> String {
    format!(
        "campaign {id} {state}: {}/{} households done; {}",
        c.done(),
        c.households,
        progress_message(c)
    )
}

fn fmt_rate(r: f64) -> String {
    if r.fract() == 0.0 {
        format!("{r:.0}")
    } else {
        format!("{r:.1}")
    }
}

/// What is said when a campaign ends.
pub fn summary(s: &Status) -> String {
    let c = &s.counters;
    let mut text = format!(
        "campaign {} {}: {} households, {} reached (是), {} not reached (否)",
        s.id, s.state, c.households, c.reached, c.not_reached
    );
    if c.remaining > 0 {
        text.push_str(&format!(", {} not called", c.remaining));
    }
    text.push_str(&format!(
        "\nreport: lianxin campaign report {} (add --csv for a spreadsheet)",
        s.id
    ));
    text
}

/// The JSON printed by `start --json --follow`: the start answer overlaid with the final
/// status (so it keeps `id` and `households` and gains `state` and `counters`).
pub fn final_json(started: &Value, status: Value) -> Value {
    let mut out = started.clone();
    let households = status["counters"]["households"].clone();
    if let (Some(o), Value::Object(s)) = (out.as_object_mut(), status) {
        for (k, v) in s {
            o.insert(k, v);
        }
        if !o.contains_key("households") && !households.is_null() {
            o.insert("households".into(), households);
        }
    }
    out
}

/// Follows campaign `id` (of `households` households) to its end; returns its last status
/// as the server gave it.
pub async fn run(
    client: &Client,
    server: &ServerArgs,
    id: i64,
    households: u64,
    out: &Out,
) -> anyhow::Result<Value> {
    let mut client = client.clone();
    let path = format!("/api/campaigns/{id}");
    let what = format!("see campaign {id}");
    let terminal = std::io::stderr().is_terminal();
    let bar = if terminal {
        ProgressBar::with_draw_target(Some(households), ProgressDrawTarget::stderr())
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template(BAR)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_prefix(id.to_string());
    bar.enable_steady_tick(Duration::from_millis(200));
    let mut ticker = tokio::time::interval(POLL);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    let mut missed = 0;
    let mut relogged = false;
    let mut last = Value::Null;
    let mut plain: Option<(Instant, String)> = None;
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            _ = &mut ctrl_c => {
                bar.abandon();
                out.info(&format!(
                    "stopped following; campaign {id} goes on in the server (`lianxin campaign status {id}`, `lianxin campaign cancel {id}`)"
                ));
                return Ok(last);
            }
        }
        let answer = match client.get(&path, &what).await {
            Ok(v) => v,
            Err(ClientError::Refused(r)) if r.status == 401 && !relogged => {
                // The server restarted (sessions do not survive it): log in once more.
                relogged = true;
                client = Client::login(server).await?;
                continue;
            }
            Err(
                e @ (ClientError::Unreachable { .. }
                | ClientError::Broken { .. }
                | ClientError::Timeout { .. }),
            ) => {
                missed += 1;
                if missed >= MAX_MISSED {
                    bar.abandon();
                    return Err(anyhow::Error::new(e)
                        .context(format!("lost the server while following campaign {id}")));
                }
                bar.set_message("the server does not answer; retrying…");
                if !terminal && missed == 1 {
                    eprintln!("campaign {id}: the server does not answer ({e}); retrying for 30 s");
                }
                continue;
            }
            Err(e) => {
                bar.abandon();
                return Err(e.into());
            }
        };
        missed = 0;
        relogged = false;
        let status: Status = wire::read(answer.clone(), "the status")?;
        last = answer;
        let c = &status.counters;
        bar.set_length(c.households);
        bar.set_position(c.done());
        let mut msg = progress_message(c);
        if status.state == "paused" {
            msg = format!("PAUSED; {msg}");
        }
        bar.set_message(msg);
        if !terminal {
            let line = plain_line(id, &status.state, c);
            let due = plain
                .as_ref()
                .is_none_or(|(at, prev)| *prev != line && at.elapsed() >= PLAIN_EVERY);
            if due || status.ended() {
                eprintln!("{line}");
                plain = Some((Instant::now(), line));
            }
        }
        if status.ended() {
            bar.finish_and_clear();
            out.info(&summary(&status));
            return Ok(last);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn counters() -> Counters {
        Counters {
            households: 120,
            dialled: 90,
            ringing: 12,
            in_call: 40,
            reached: 30,
            not_reached: 5,
            remaining: 85,
            calls_per_second: 48.0,
            backing_off: false,
            waiting_for_window: false,
        }
    }

    #[test]
    fn progress_line_has_every_counter() {
        let c = counters();
        assert_eq!(
            progress_message(&c),
            "reached 30, not reached 5, in call 40, ringing 12, 48 calls/s"
        );
        assert_eq!(
            plain_line(7, "running", &c),
            "campaign 7 running: 35/120 households done; reached 30, not reached 5, in call 40, ringing 12, 48 calls/s"
        );
    }

    #[test]
    fn bar_template_is_valid() {
        assert!(ProgressStyle::with_template(BAR).is_ok());
    }

    #[test]
    fn progress_line_says_why_it_is_slow() {
        let c = Counters {
            backing_off: true,
            waiting_for_window: true,
            calls_per_second: 2.5,
            ..counters()
        };
        let m = progress_message(&c);
        assert!(
            m.ends_with("2.5 calls/s, backing off (trunk busy), waiting for the calling window"),
            "{m}"
        );
    }

    #[test]
    fn counters_read_leniently() {
        let s: Status = serde_json::from_value(json!({
            "id": 7, "state": "finished", "name": "x", "notice": "notice-security",
            "created_at": "2026-12-03T01:00:00Z", "finished_at": null, "settings": {},
            "counters": {"households": 3, "reached": 2, "not_reached": 1, "remaining": 0,
                         "calls_per_second": 0, "new_field": 1}
        }))
        .expect("status");
        assert!(s.ended());
        assert_eq!(s.counters.done(), 3);
        assert_eq!(
            summary(&s),
            "campaign 7 finished: 3 households, 2 reached (是), 1 not reached (否)\nreport: lianxin campaign report 7 (add --csv for a spreadsheet)"
        );
    }

    #[test]
    fn cancelled_summary_counts_the_uncalled() {
        let s = Status {
            id: 9,
            state: "cancelled".into(),
            counters: Counters {
                households: 10,
                reached: 2,
                not_reached: 1,
                remaining: 7,
                ..Counters::default()
            },
            ..Status::default()
        };
        assert!(summary(&s).starts_with(
            "campaign 9 cancelled: 10 households, 2 reached (是), 1 not reached (否), 7 not called\n"
        ));
    }

    #[test]
    fn json_after_follow_keeps_id_and_households() {
        let started = json!({"id": 7, "households": 120, "state": "running"});
        let status =
            json!({"id": 7, "state": "finished", "counters": {"households": 120, "reached": 100}});
        let v = final_json(&started, status);
        assert_eq!(v["id"], 7);
        assert_eq!(v["households"], 120);
        assert_eq!(v["state"], "finished");
        assert_eq!(v["counters"]["reached"], 100);
    }
}

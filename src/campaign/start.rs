//! `lianxin campaign start`: from flags to a running campaign.
//!
//! Steps: upload the notice if `--notice` is a file ([`super::notice`]), ask the
//! server for the preview (`POST /api/campaigns/preview`), show it and ask "Start? [y/N]"
//! (unless `--yes`), then start (`POST /api/campaigns`) and, with `--follow`, watch it to
//! the end. The flags map one to one onto the request body of the contract; options left
//! out are left out of the body too, so the server's `[dialer]` defaults apply.

use std::io::IsTerminal;

use anyhow::{bail, Context};
use chrono::NaiveTime;
use serde_json::{json, Map, Value};

use super::wire::{self, Preview, Started};
use super::{follow, notice, Out};
use crate::client::{Client, ClientError, ServerArgs};

/// Options of `lianxin campaign start`.
#[derive(Debug, Clone, clap::Args)]
#[command(group = clap::ArgGroup::new("targets").required(true).multiple(true))]
pub struct StartArgs {
    /// Server address and log-in.
    #[command(flatten)]
    pub server: ServerArgs,
    /// A phone group to call (repeat for several; a household in two groups is called once).
    #[arg(long = "group", value_name = "NAME", group = "targets")]
    pub groups: Vec<String>,
    /// A household to call, by id (repeat for several).
    #[arg(long = "household", value_name = "ID", group = "targets")]
    pub households: Vec<i64>,
    /// The notice: a name the server knows (`lianxin campaign notices`, e.g.
    /// notice-security) or a WAV/MP3 file, uploaded first under a name made from its file
    /// name.
    #[arg(long, value_name = "NAME-OR-FILE")]
    pub notice: String,
    /// Name shown to staff [default: the server's, '<first group> 通知 <date time>'].
    #[arg(long, value_name = "TEXT")]
    pub name: Option<String>,
    /// Most simultaneous calls (1–800) [default: the server's [dialer]].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=800))]
    pub max_calls: Option<u32>,
    /// Most new calls per second (e.g. 50 or 12.5), 0 = unlimited [default: the server's
    /// [dialer]].
    #[arg(long, value_name = "CPS", value_parser = parse_rate)]
    pub rate: Option<f64>,
    /// Seconds a call may ring before it is cancelled (5–120).
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u32).range(5..=120))]
    pub ring_timeout: Option<u32>,
    /// Further attempts after no answer, busy or failure (0–5).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(0..=5))]
    pub retries: Option<u32>,
    /// Seconds between attempts (10–86400).
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u32).range(10..=86400))]
    pub retry_pause: Option<u32>,
    /// Try each of a household's numbers in turn until one answers (default: only the
    /// first, landlines first).
    #[arg(long)]
    pub each_number: bool,
    /// Calling window in China time, e.g. 08:00-20:00, or `any` for none.
    #[arg(long, value_name = "HH:MM-HH:MM", value_parser = parse_window)]
    pub window: Option<Window>,
    /// Number presented to the households [default: the server's [dialer]].
    #[arg(long, value_name = "NUMBER")]
    pub caller_id: Option<String>,
    /// End the notice with "press 1 to confirm you heard it" and log the key.
    #[arg(long)]
    pub confirm_key: bool,
    /// Urgent: call outside the calling window and also households that asked for no notices.
    #[arg(long)]
    pub urgent: bool,
    /// Start without asking (needed when standard input is not a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Show live progress until the campaign ends, then its summary.
    #[arg(long)]
    pub follow: bool,
    /// Print one JSON object (at least `id` and `households`) and nothing else on stdout.
    #[arg(long)]
    pub json: bool,
}

/// A calling window from `--window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    /// `any`: no window.
    Any,
    /// Opening and closing time, China time.
    Between(NaiveTime, NaiveTime),
}

fn parse_window(s: &str) -> Result<Window, String> {
    let s = s.trim();
    if matches!(s, "any" | "none") {
        return Ok(Window::Any);
    }
    let bad = || {
        format!("{s:?} is not a calling window; write it like 08:00-20:00 (China time), or `any`")
    };
    let (a, b) = s.split_once('-').ok_or_else(bad)?;
    let time = |t: &str| NaiveTime::parse_from_str(t.trim(), "%H:%M").map_err(|_| bad());
    let (open, close) = (time(a)?, time(b)?);
    if open == close {
        return Err(format!(
            "{s:?}: the window opens and closes at the same time"
        ));
    }
    Ok(Window::Between(open, close))
}

fn parse_rate(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(r) if r.is_finite() && r >= 0.0 => Ok(r),
        _ => Err(format!(
            "{s:?} is not a call rate; give calls per second, e.g. 50 or 12.5 (0 = unlimited)"
        )),
    }
}

/// The request body of preview and start (the contract's field names; options not given
/// are left out so the server's defaults apply).
fn body(args: &StartArgs, notice: &str) -> Value {
    let mut b = Map::new();
    if let Some(n) = &args.name {
        b.insert("name".into(), json!(n));
    }
    if !args.groups.is_empty() {
        b.insert("groups".into(), json!(args.groups));
    }
    if !args.households.is_empty() {
        b.insert("households".into(), json!(args.households));
    }
    b.insert("notice".into(), json!(notice));
    if let Some(c) = &args.caller_id {
        b.insert("caller_id".into(), json!(c));
    }
    if let Some(r) = args.rate {
        // Whole rates go out as integers (`50`, as the contract writes them).
        let v = if r.fract() == 0.0 && r <= f64::from(u32::MAX) {
            json!(r as u64)
        } else {
            json!(r)
        };
        b.insert("calls_per_second".into(), v);
    }
    let numbers = [
        ("max_calls", args.max_calls),
        ("ring_timeout_s", args.ring_timeout),
        ("retries", args.retries),
        ("retry_pause_s", args.retry_pause),
    ];
    for (k, v) in numbers {
        if let Some(v) = v {
            b.insert(k.into(), json!(v));
        }
    }
    if args.each_number {
        b.insert("strategy".into(), json!("each"));
    }
    match args.window {
        Some(Window::Any) => {
            b.insert("window".into(), Value::Null);
        }
        Some(Window::Between(open, close)) => {
            b.insert(
                "window".into(),
                json!([
                    open.format("%H:%M").to_string(),
                    close.format("%H:%M").to_string()
                ]),
            );
        }
        None => {}
    }
    if args.urgent {
        b.insert("urgent".into(), json!(true));
    }
    if args.confirm_key {
        b.insert("confirm_key".into(), json!(true));
    }
    Value::Object(b)
}

/// The flag that sets a request field, to name it in errors.
fn flag_of(field: &str) -> Option<&'static str> {
    Some(match field {
        "name" => "--name",
        "groups" => "--group",
        "households" => "--household",
        "notice" => "--notice",
        "caller_id" => "--caller-id",
        "max_calls" => "--max-calls",
        "calls_per_second" => "--rate",
        "ring_timeout_s" => "--ring-timeout",
        "retries" => "--retries",
        "retry_pause_s" => "--retry-pause",
        "strategy" => "--each-number",
        "window" => "--window",
        "urgent" => "--urgent",
        "confirm_key" => "--confirm-key",
        _ => return None,
    })
}

/// A refusal with the flag to fix named.
fn with_flag(e: ClientError) -> anyhow::Error {
    let flag = match &e {
        ClientError::Refused(r) if r.status == 400 => r.field.as_deref().and_then(flag_of),
        _ => None,
    };
    match flag {
        Some(flag) => anyhow::anyhow!("{e}; check {flag}"),
        None => e.into(),
    }
}

/// The preview as text.
fn render_preview(p: &Preview, urgent: bool) -> String {
    let mut out = String::new();
    let mut line = |s: String| {
        out.push_str(&s);
        out.push('\n');
    };
    line("Campaign preview:".into());
    line(format!("  households      {}", p.households));
    line(format!("  phone numbers   {}", p.numbers));
    line(format!(
        "  calls           {} in the first round (at most {} with retries)",
        p.calls, p.max_calls
    ));
    if p.without_number > 0 {
        line(format!(
            "  without number  {} (not called; they go on the captains' follow-up list)",
            p.without_number
        ));
    }
    if !p.opted_out.is_empty() {
        let note = if urgent {
            "asked for no notices; called anyway (--urgent)"
        } else {
            "asked for no notices; not called (--urgent would call them)"
        };
        line(format!("  opted out       {} ({note})", p.opted_out.len()));
        for o in &p.opted_out {
            line(format!("    {}  {}  {}", o.household_id, o.code, o.address));
        }
    }
    if let Some(settings) = wire::settings_line(&p.settings) {
        line(format!("  settings        {settings}"));
    }
    out
}

/// Runs `lianxin campaign start`.
pub async fn run(args: &StartArgs) -> anyhow::Result<()> {
    let out = Out::new(args.json);
    if !args.yes && !std::io::stdin().is_terminal() {
        bail!("standard input is not a terminal, so I cannot ask before starting: pass --yes to start without asking");
    }
    let client = Client::login(&args.server).await?;
    let notice = notice::resolve(&client, &args.notice, &out).await?;
    let body = body(args, &notice);
    let preview: Preview = wire::read(
        client
            .post("/api/campaigns/preview", &body, "preview the campaign")
            .await
            .map_err(with_flag)?,
        "the preview",
    )?;
    out.info(&render_preview(&preview, args.urgent));
    if !args.yes && !confirm().await? {
        out.info("not started");
        return Ok(());
    }
    let answer = client
        .post("/api/campaigns", &body, "start the campaign")
        .await
        .map_err(with_flag)?;
    let started: Started = wire::read(answer.clone(), "the start")?;
    if !args.json {
        println!(
            "started campaign {} ({} households, notice {notice}); follow it with `lianxin campaign status {}`",
            started.id, started.households, started.id
        );
    }
    let mut result = answer;
    if args.follow {
        let status =
            follow::run(&client, &args.server, started.id, started.households, &out).await?;
        result = follow::final_json(&result, status);
    }
    if args.json {
        if let Some(o) = result.as_object_mut() {
            o.entry("notice").or_insert_with(|| json!(notice));
        }
        println!("{result}");
    }
    Ok(())
}

/// Asks "Start? [y/N]" on the terminal.
async fn confirm() -> anyhow::Result<bool> {
    let answer = tokio::task::spawn_blocking(|| {
        use std::io::Write;
        let mut err = std::io::stderr();
        let _ = write!(err, "Start? [y/N] ");
        let _ = err.flush();
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).map(|_| line)
    })
    .await
    .context("cannot ask on the terminal")?
    .context("cannot read the answer")?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "Yes" | "YES"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        start: StartArgs,
    }

    fn parse(extra: &[&str]) -> StartArgs {
        let mut argv = vec!["campaign-start", "-u", "staff", "-p", "demo-staff"];
        argv.extend_from_slice(extra);
        Cli::try_parse_from(argv).expect("parses").start
    }

    #[test]
    fn flags_become_the_contract_body() {
        let args = parse(&[
            "--group",
            "低保人员家庭",
            "--group",
            "独居老人",
            "--household",
            "12",
            "--notice",
            "notice-security",
            "--name",
            "防诈骗",
            "--max-calls",
            "800",
            "--rate",
            "50",
            "--ring-timeout",
            "30",
            "--retries",
            "2",
            "--retry-pause",
            "300",
            "--each-number",
            "--window",
            "08:00-20:00",
            "--caller-id",
            "51663371",
            "--confirm-key",
            "--urgent",
            "--yes",
        ]);
        assert_eq!(
            body(&args, "notice-security"),
            json!({
                "name": "防诈骗",
                "groups": ["低保人员家庭", "独居老人"],
                "households": [12],
                "notice": "notice-security",
                "caller_id": "51663371",
                "max_calls": 800,
                "calls_per_second": 50,
                "ring_timeout_s": 30,
                "retries": 2,
                "retry_pause_s": 300,
                "strategy": "each",
                "window": ["08:00", "20:00"],
                "urgent": true,
                "confirm_key": true
            })
        );
    }

    #[test]
    fn options_left_out_are_left_to_the_server() {
        let args = parse(&["--group", "独居老人", "--notice", "notice-fraud"]);
        assert_eq!(
            body(&args, "notice-fraud"),
            json!({"groups": ["独居老人"], "notice": "notice-fraud"})
        );
        let args = parse(&["--household", "3", "--notice", "n", "--window", "any"]);
        assert_eq!(
            body(&args, "n"),
            json!({"households": [3], "notice": "n", "window": null})
        );
    }

    #[test]
    fn targets_are_required_and_ranges_checked() {
        let base = ["x", "-u", "a", "-p", "b", "--notice", "n"];
        assert!(Cli::try_parse_from(base).is_err());
        let with = |extra: &[&str]| {
            let mut v = base.to_vec();
            v.extend_from_slice(&["--group", "g"]);
            v.extend_from_slice(extra);
            Cli::try_parse_from(v)
        };
        assert!(with(&[]).is_ok());
        assert!(with(&["--max-calls", "801"]).is_err());
        assert!(with(&["--max-calls", "0"]).is_err());
        assert!(with(&["--ring-timeout", "4"]).is_err());
        assert!(with(&["--retries", "6"]).is_err());
        assert!(with(&["--retry-pause", "9"]).is_err());
        assert!(with(&["--window", "8-20"]).is_err());
        assert!(with(&["--window", "20:00-08:00"]).is_ok());
        assert!(with(&["--rate", "-1"]).is_err());
        assert!(with(&["--rate", "fast"]).is_err());
        let args = parse(&["--group", "g", "--notice", "n", "--rate", "12.5"]);
        assert_eq!(body(&args, "n")["calls_per_second"], json!(12.5));
    }

    #[test]
    fn preview_shows_counts_opted_out_and_settings() {
        let p: Preview = serde_json::from_value(json!({
            "households": 120, "numbers": 150, "calls": 118, "max_calls": 800,
            "without_number": 2,
            "opted_out": [{"household_id": 7, "code": "NW000007", "address": "内务部街27号"}],
            "settings": {"retries": 2, "window": ["08:00", "20:00"], "caller_id": ""}
        }))
        .expect("preview");
        let text = render_preview(&p, false);
        assert!(text.contains("households      120"), "{text}");
        assert!(
            text.contains("calls           118 in the first round (at most 800 with retries)"),
            "{text}"
        );
        assert!(text.contains("without number  2"), "{text}");
        assert!(
            text.contains("opted out       1 (asked for no notices; not called"),
            "{text}"
        );
        assert!(text.contains("    7  NW000007  内务部街27号"), "{text}");
        assert!(
            text.contains("settings        caller_id default, retries 2, window 08:00-20:00"),
            "{text}"
        );
    }

    #[test]
    fn a_refused_field_names_its_flag() {
        let e = ClientError::Refused(crate::client::Refusal {
            status: 400,
            error: Some("最多 800 路".into()),
            field: Some("calls_per_second".into()),
            what: "start the campaign".into(),
        });
        let m = format!("{:#}", with_flag(e));
        assert_eq!(
            m,
            "the server refused to start the campaign: 最多 800 路 (field `calls_per_second`); check --rate"
        );
    }
}

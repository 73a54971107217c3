//! `lianxin campaign`: group-call notices (电话群拨) from the command line.
//!
//! A client of a running `lianxin serve`, like `lianxin console`: it logs in over the
//! console's HTTP API (same `--http`, `-u`, `-p` / `LIANXIN_PASSWORD`, through
//! [`crate::client`]) and uses the campaign endpoints (docs/desk-protocol.md). It never
//! opens the database: the server owns the dialer and its log, and the role checks
//! (committee, supervisor, admin: any campaign; a captain: their blocks) are the server's.
//!
//! Layout: [`start`] (flags → request body, preview, confirmation), [`notice`] (a notice
//! name, or a file to upload), [`follow`] (the live progress display), [`report`] (per
//! household / per attempt, table or CSV), [`view`] (list, status, notices as text),
//! [`wire`] (the answers' shapes).
//! Everything a script reads goes to stdout (`--json`, `--csv`); chatter goes to stderr
//! when stdout is for a script.

mod follow;
mod notice;
mod report;
mod start;
mod view;
mod wire;

use anyhow::Context;
use serde_json::Value;

use crate::client::{Client, ServerArgs};

/// `lianxin campaign …`.
#[derive(Debug, clap::Subcommand)]
pub enum CampaignCommand {
    /// Preview a campaign, ask, start it (and with --follow watch it to the end).
    ///
    /// Example: lianxin campaign start -u staff -p demo-staff --group 独居老人 --notice
    /// notice-security --yes --follow
    Start(Box<start::StartArgs>),
    /// The campaigns, newest first.
    List(ListArgs),
    /// One campaign's state and counters.
    Status(IdArgs),
    /// Stop placing new calls (calls in progress finish).
    Pause(IdArgs),
    /// Place calls again after a pause.
    Resume(IdArgs),
    /// Cancel: no new calls, calls in progress are hung up.
    Cancel(IdArgs),
    /// Who heard the notice: one row per household (是/否), or per attempt.
    Report(ReportArgs),
    /// The notices the server can play (prompts and uploaded recordings).
    Notices(JsonArgs),
}

/// Options of `campaign list`.
#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// Server address and log-in.
    #[command(flatten)]
    server: ServerArgs,
    /// At most this many campaigns.
    #[arg(long)]
    limit: Option<u32>,
    /// Print the server's JSON.
    #[arg(long)]
    json: bool,
}

/// Options of the commands about one campaign.
#[derive(Debug, clap::Args)]
pub struct IdArgs {
    /// Campaign id (see `lianxin campaign list`).
    id: i64,
    /// Server address and log-in.
    #[command(flatten)]
    server: ServerArgs,
    /// Print the server's JSON.
    #[arg(long)]
    json: bool,
}

/// Options of `campaign notices`.
#[derive(Debug, clap::Args)]
pub struct JsonArgs {
    /// Server address and log-in.
    #[command(flatten)]
    server: ServerArgs,
    /// Print the server's JSON.
    #[arg(long)]
    json: bool,
}

/// Options of `campaign report`.
#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// Campaign id (see `lianxin campaign list`).
    id: i64,
    /// Server address and log-in.
    #[command(flatten)]
    server: ServerArgs,
    /// One row per call attempt instead of one per household.
    #[arg(long)]
    attempts: bool,
    /// Write CSV (UTF-8, header line) to standard output.
    #[arg(long, conflicts_with = "json")]
    csv: bool,
    /// Print the server's JSON.
    #[arg(long)]
    json: bool,
}

/// Where a command's words go: stdout for people, or stderr when stdout carries JSON.
pub(crate) struct Out {
    json: bool,
}

impl Out {
    fn new(json: bool) -> Self {
        Out { json }
    }

    /// A message for the person at the terminal.
    fn info(&self, text: &str) {
        let text = text.trim_end_matches('\n');
        if self.json {
            eprintln!("{text}");
        } else {
            println!("{text}");
        }
    }
}

/// Runs a `lianxin campaign` command.
pub async fn run(cmd: &CampaignCommand) -> anyhow::Result<()> {
    match cmd {
        CampaignCommand::Start(args) => start::run(args).await,
        CampaignCommand::List(a) => {
            let client = Client::login(&a.server).await?;
            let path = match a.limit {
                Some(n) => format!("/api/campaigns?limit={n}"),
                None => "/api/campaigns".into(),
            };
            let v = client.get(&path, "list campaigns").await?;
            print(a.json, v, "the list", view::list)
        }
        CampaignCommand::Status(a) => {
            let client = Client::login(&a.server).await?;
            let v = client
                .get(
                    &format!("/api/campaigns/{}", a.id),
                    &format!("see campaign {}", a.id),
                )
                .await?;
            print(a.json, v, "the status", view::status)
        }
        CampaignCommand::Pause(a) => control(a, "pause").await,
        CampaignCommand::Resume(a) => control(a, "resume").await,
        CampaignCommand::Cancel(a) => control(a, "cancel").await,
        CampaignCommand::Report(a) => report(a).await,
        CampaignCommand::Notices(a) => {
            let client = Client::login(&a.server).await?;
            let v = client.get("/api/notices", "list notices").await?;
            print(a.json, v, "the notices", view::notices)
        }
    }
}

/// Prints the server's JSON as it came, or its text rendering.
fn print<T: serde::de::DeserializeOwned>(
    json: bool,
    v: Value,
    what: &str,
    render: fn(&T) -> String,
) -> anyhow::Result<()> {
    if json {
        println!("{v}");
    } else {
        let t: T = wire::read(v, what)?;
        print!("{}", render(&t));
    }
    Ok(())
}

async fn control(a: &IdArgs, verb: &str) -> anyhow::Result<()> {
    let client = Client::login(&a.server).await?;
    let v = client
        .post(
            &format!("/api/campaigns/{}/{verb}", a.id),
            &Value::Object(Default::default()),
            &format!("{verb} campaign {}", a.id),
        )
        .await?;
    if a.json {
        println!("{v}");
    } else {
        let c: wire::Control = wire::read(v, "the request")?;
        println!(
            "campaign {}: {}",
            a.id,
            if c.state.is_empty() { "done" } else { &c.state }
        );
    }
    Ok(())
}

async fn report(a: &ReportArgs) -> anyhow::Result<()> {
    let client = Client::login(&a.server).await?;
    let (path, what) = if a.attempts {
        ("attempts", format!("see the attempts of campaign {}", a.id))
    } else {
        ("report", format!("see the report of campaign {}", a.id))
    };
    let v = client
        .get(&format!("/api/campaigns/{}/{path}", a.id), &what)
        .await?;
    if a.json {
        println!("{v}");
        return Ok(());
    }
    let stdout = || std::io::stdout().lock();
    if a.attempts {
        let rows: wire::Attempts = wire::read(v, "the attempts")?;
        if a.csv {
            report::attempts_csv(&rows.attempts, stdout()).context("cannot write the CSV")?;
        } else {
            print!("{}", report::attempts_table(a.id, &rows.attempts));
        }
    } else {
        let rows: wire::Report = wire::read(v, "the report")?;
        if a.csv {
            report::households_csv(&rows.households, stdout()).context("cannot write the CSV")?;
        } else {
            print!("{}", report::households_table(a.id, &rows.households));
        }
    }
    Ok(())
}

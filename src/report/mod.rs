//! `lianxin report`: the statistics ("盘点", issue 11) from the database, for the monthly
//! stock-taking and for scripts: requests grouped by category, channel, block, stage or
//! responsible person; home visits per visitor; population (elderly share per block,
//! households per phone group). Dates are Asia/Shanghai calendar days, both included.
//!
//! Like the other database commands it sees the whole community (no role). The figures
//! are the store's (`lianxin_store::stats`), the same the desk's `/api/reports/…`
//! answers; this module only picks the rows (`rows`) and prints them as a table, CSV
//! (one row per group, with a `count` column) or JSON.

mod rows;

use anyhow::bail;
use chrono::NaiveDate;
use lianxin_store::{Period, RequestBy, Store};

use crate::table::table;

/// `lianxin report …`
#[derive(Debug, clap::Subcommand)]
pub enum ReportCommand {
    /// Requests created in the period, per group: count, closed, closed by the
    /// deadline, average and p90 hours to close, satisfaction.
    Requests {
        #[command(flatten)]
        opts: ReportOpts,
        /// Group by: category, channel, block, stage, responsible.
        #[arg(long, default_value = "category", value_parser = parse_request_by)]
        by: RequestBy,
    },
    /// Home visits in the period per visitor.
    Visits {
        #[command(flatten)]
        opts: ReportOpts,
    },
    /// Population on the period's last day: residents and elderly (60+) per block, or
    /// households per phone group.
    Population {
        #[command(flatten)]
        opts: ReportOpts,
        /// Group by: block, group (phone group).
        #[arg(long, default_value = "block", value_parser = ["block", "group"])]
        by: String,
    },
}

/// What every report takes.
#[derive(Debug, clap::Args)]
pub struct ReportOpts {
    /// First day (YYYY-MM-DD, China time).
    #[arg(long, value_parser = parse_date)]
    from: NaiveDate,
    /// Last day, included (YYYY-MM-DD, China time).
    #[arg(long, value_parser = parse_date)]
    to: NaiveDate,
    /// Print CSV (one row per group, with a `count` column).
    #[arg(long, conflicts_with = "json")]
    csv: bool,
    /// Print the whole report as JSON.
    #[arg(long)]
    json: bool,
}

fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| format!("{s:?} is not a date like 2026-03-01"))
}

fn parse_request_by(s: &str) -> Result<RequestBy, String> {
    RequestBy::parse(s).ok_or_else(|| {
        let all: Vec<&str> = RequestBy::ALL.iter().map(|b| b.as_str()).collect();
        format!("{s:?}: choose one of {}", all.join(", "))
    })
}

/// Runs a report command.
pub fn run(store: &Store, cmd: &ReportCommand) -> anyhow::Result<()> {
    let opts = match cmd {
        ReportCommand::Requests { opts, .. }
        | ReportCommand::Visits { opts }
        | ReportCommand::Population { opts, .. } => opts,
    };
    if opts.to < opts.from {
        bail!("--to ({}) is before --from ({})", opts.to, opts.from);
    }
    let period = Period::new(opts.from, opts.to)?;
    let (json, table_rows) = match cmd {
        ReportCommand::Requests { by, .. } => {
            let r = store.request_report(period, *by, None)?;
            (serde_json::to_string_pretty(&r)?, rows::requests(&r))
        }
        ReportCommand::Visits { .. } => {
            let r = store.visit_report(period, None)?;
            (serde_json::to_string_pretty(&r)?, rows::visits(&r))
        }
        ReportCommand::Population { by, .. } => {
            let r = store.population_report(period, None)?;
            let t = if by == "group" {
                rows::phone_groups(&r)
            } else {
                rows::blocks(&r)
            };
            (serde_json::to_string_pretty(&r)?, t)
        }
    };
    if opts.json {
        println!("{json}");
    } else if opts.csv {
        let mut w = csv::Writer::from_writer(std::io::stdout().lock());
        w.write_record(&table_rows.header)?;
        for row in &table_rows.groups {
            w.write_record(row)?;
        }
        w.flush()?;
    } else {
        let mut out = String::new();
        let mut all = table_rows.groups.clone();
        all.extend(table_rows.total);
        table(&mut out, "", &table_rows.header, &all);
        print!("{out}");
    }
    Ok(())
}

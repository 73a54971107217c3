//! The `lianxin` command line: database setup, import/export (CSV, Excel), caller lookup, demo
//! data, the database benchmark, `serve`, and the clients of a running server (`console`,
//! `campaign`).
//!
//! Only wiring lives here: parse flags and the config file, open the store, call it, print.
//! English on the terminal; the data itself (names, addresses) is Chinese.

mod bench;
mod campaign;
mod client;
mod config;
mod console;
mod fd_budget;
mod import;
mod liveness;
mod lookup;
mod memory;
mod report;
mod request;
mod serve;
mod staff;
mod table;
mod unit_search;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use config::Config;
use lianxin_store::demo::{DemoOptions, DEMO_STAFF};
use lianxin_store::{Store, StoreOptions};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Lianxin (连心): call-center server for a community service hotline.
///
/// Quick start: `lianxin serve --demo` runs the server with a generated demo community
/// (in ./lianxin-demo.db). `lianxin lookup 65123456 --db lianxin-demo.db` shows what an
/// operator's screen pops up for a caller.
#[derive(Debug, Parser)]
#[command(name = "lianxin", version, propagate_version = true)]
struct Cli {
    /// SQLite database file [default: from the config file, else ./lianxin.db]
    #[arg(long, global = true, env = "LIANXIN_DB", value_name = "PATH")]
    db: Option<PathBuf>,
    /// Configuration file (TOML; see deploy/lianxin.example.toml). Flags override it.
    #[arg(long, global = true, env = "LIANXIN_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    /// Area code for 7–8 digit local numbers [default: from the config file, else 010]
    #[arg(long, global = true, value_name = "CODE")]
    local_area: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Database maintenance.
    Db {
        #[command(subcommand)]
        command: DbCommand,
    },
    /// Import a CSV file (UTF-8 or GB18030, detected) or an Excel workbook (.xlsx), with
    /// English or Chinese column headers (column layouts in the README).
    ///
    /// All or nothing: if any row is bad, every bad row is listed with its line number (the
    /// sheet's row number for .xlsx) and the database is left unchanged (unless --skip-bad).
    Import(import::ImportArgs),
    /// Export in the layout import reads: FILE.csv (English header), FILE.xlsx (Excel,
    /// Chinese header), or "-" for CSV on standard output.
    Export(import::ExportArgs),
    /// Show the screen-pop record for a phone number, in any form
    /// (65123456, 010-65123456, +86 10 6512 3456, sip:+861065123456@host, ...).
    Lookup {
        /// The caller ID.
        phone: String,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Search households by member name, address, household code or phone number
    /// (with --units: resident units by name, address, open jobs or number).
    Search {
        /// Text to look for (e.g. 范先翔, 内务部街27, NW000000; with --units: 招聘).
        text: String,
        /// Search resident units (驻区单位) instead of households.
        #[arg(long)]
        units: bool,
        /// At most this many households.
        #[arg(long, default_value_t = 20)]
        limit: usize,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Fill an empty database with a realistic demo community (deterministic per seed).
    DemoData(DemoArgs),
    /// Benchmark: build a 1,000,000-resident database through the CSV import path and
    /// measure import rate, size and screen-pop latency. Use a release build.
    BenchDb(bench::BenchArgs),
    /// Run the server: SIP hotline, RTP media, console (HTTP + WebSocket), until Ctrl-C.
    Serve(serve::ServeArgs),
    /// Staff accounts: console log-ins and the operators' phones.
    Staff {
        #[command(subcommand)]
        command: staff::StaffCommand,
    },
    /// A terminal desk console: log in to a running server and print screen-pops and call
    /// events as they happen.
    Console(console::ConsoleArgs),
    /// Group-call notices (电话群拨) on a running server: start (with preview and live
    /// progress), list, status, pause, resume, cancel, report (是/否 per household, CSV).
    Campaign {
        #[command(subcommand)]
        command: campaign::CampaignCommand,
    },
    /// Service requests (诉求) in the database: list, show (the task sheet), create,
    /// resolve, feedback.
    Request {
        #[command(subcommand)]
        command: request::RequestCommand,
    },
    /// Statistics (盘点) from the database over a period of China days: requests,
    /// visits, population, as a table, CSV or JSON.
    Report {
        #[command(subcommand)]
        command: report::ReportCommand,
    },
}

#[derive(Debug, Subcommand)]
enum DbCommand {
    /// Create the database (or bring an existing one's schema up to date).
    Init,
    /// Print row counts and check the file's integrity.
    Check,
}

#[derive(Debug, Args)]
struct DemoArgs {
    /// Random seed: the same seed gives the same community.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Number of generated households (three fixed ones are added).
    #[arg(long, default_value_t = 3000)]
    households: usize,
}

/// Default database when neither --db nor the config file names one.
const DEFAULT_DB: &str = "lianxin.db";
/// Default database of `serve --demo`.
const DEMO_DB: &str = "lianxin-demo.db";

fn main() -> ExitCode {
    memory::tune();
    let cli = Cli::parse();
    // The server logs what it does (calls, registrations); one-shot commands only warn.
    let default_level = if matches!(cli.command, Command::Serve(_)) {
        "info"
    } else {
        "warn"
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("LIANXIN_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level)),
        )
        .with_writer(std::io::stderr)
        // Colours only on a terminal: journald and log files get plain text.
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

struct Env {
    config: Config,
    db: PathBuf,
}

impl Env {
    fn open(&self) -> anyhow::Result<Store> {
        let opts = StoreOptions {
            local_area: self.config.local_area.clone(),
            ..StoreOptions::default()
        };
        Store::open_with(&self.db, opts)
            .with_context(|| format!("cannot open database {}", self.db.display()))
    }

    /// Opens an existing database (commands that read should not create an empty file).
    fn open_existing(&self) -> anyhow::Result<Store> {
        if !self.db.exists() {
            anyhow::bail!(
                "database {} does not exist; create it with `lianxin db init` or `lianxin demo-data`, or pass --db",
                self.db.display()
            );
        }
        self.open()
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let mut config = Config::load(cli.config.as_deref())?;
    if let Some(a) = cli.local_area {
        config.local_area = a;
    }
    let demo = matches!(&cli.command, Command::Serve(a) if a.demo);
    let explicit_db = cli.db.clone();
    let db = cli
        .db
        .or_else(|| config.database.clone())
        .unwrap_or_else(|| PathBuf::from(if demo { DEMO_DB } else { DEFAULT_DB }));
    let env = Env { config, db };
    match cli.command {
        Command::Db {
            command: DbCommand::Init,
        } => {
            let store = env.open()?;
            let c = store.counts()?;
            println!(
                "database {} ready (schema version {}; {} households, {} residents)",
                env.db.display(),
                lianxin_store::SCHEMA_VERSION,
                c.households,
                c.residents
            );
        }
        Command::Db {
            command: DbCommand::Check,
        } => {
            let store = env.open_existing()?;
            store.integrity_check()?;
            println!("{}", serde_json::to_string_pretty(&store.counts()?)?);
            println!("integrity: ok");
        }
        Command::Import(args) => return import::import(&env.open()?, &args),
        Command::Export(args) => import::export(&env.open_existing()?, &args)?,
        Command::Lookup { phone, json } => {
            let store = env.open_existing()?;
            let caller = store.normalize(&phone);
            if let lianxin_store::CallerId::Invalid(why) = &caller {
                anyhow::bail!("{phone:?} is not a phone number: {why}");
            }
            let pop = store.screen_pop(&caller, chrono::Utc::now())?;
            if json {
                println!("{}", serde_json::to_string_pretty(&pop)?);
            } else {
                print!("{}", lookup::render(&pop));
            }
        }
        Command::Search {
            text,
            units: true,
            limit,
            json,
        } => {
            let found = env.open_existing()?.search_units(&text, limit)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&found)?);
            } else {
                print!("{}", unit_search::render(&found));
            }
        }
        Command::Search {
            text, limit, json, ..
        } => {
            let store = env.open_existing()?;
            let hits = store.search_households(&text, limit)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&hits)?);
            } else {
                print!("{}", lookup::render_search(&hits));
            }
        }
        Command::DemoData(args) => {
            let store = env.open()?;
            generate_demo(&store, args.seed, args.households)?;
            print_demo_accounts();
        }
        Command::BenchDb(args) => {
            bench::run(explicit_db.as_deref(), &env.config.local_area, &args)?
        }
        Command::Staff { command } => {
            let store = env.open_existing()?;
            staff::run(&store, &command)?;
        }
        Command::Request { command } => request::run(&env.open_existing()?, &command)?,
        Command::Report { command } => report::run(&env.open_existing()?, &command)?,
        Command::Console(args) => {
            let rt = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
            rt.block_on(console::run(&args))?;
        }
        Command::Campaign { command } => {
            let rt = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
            rt.block_on(campaign::run(&command))?;
        }
        Command::Serve(args) => {
            let demo = args.demo;
            if demo && !env.db.exists() {
                create_demo_db(&env)?;
            }
            let store = if demo {
                env.open()?
            } else {
                env.open_existing()?
            };
            if demo {
                print_demo_accounts();
            }
            let rt = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
            rt.block_on(serve::run(store, &env.config, &args))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn generate_demo(store: &Store, seed: u64, households: usize) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let opts = DemoOptions {
        seed,
        households,
        now: chrono::Utc::now(),
    };
    let sum = store.generate_demo(&opts, &mut |step| eprintln!("demo data: {step}…"))?;
    eprintln!(
        "demo data: {} households, {} residents, {} requests, {} calls in {:.1} s",
        sum.households,
        sum.residents,
        sum.requests,
        sum.calls,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Generates the demo database next to its final name and renames it into place, so an
/// interrupted generation never leaves a half-filled demo database behind.
fn create_demo_db(env: &Env) -> anyhow::Result<()> {
    eprintln!("creating demo database {} …", env.db.display());
    let tmp = tmp_path(&env.db);
    remove_db_files(&tmp);
    {
        let tmp_env = Env {
            config: env.config.clone(),
            db: tmp.clone(),
        };
        let store = tmp_env.open()?;
        generate_demo(&store, 1, 3000)?;
    }
    std::fs::rename(&tmp, &env.db)
        .with_context(|| format!("cannot move {} to {}", tmp.display(), env.db.display()))?;
    remove_db_files(&tmp);
    Ok(())
}

fn tmp_path(db: &Path) -> PathBuf {
    let mut s = db.as_os_str().to_owned();
    s.push(format!(".partial-{}", std::process::id()));
    PathBuf::from(s)
}

/// Removes a database file and its WAL/shared-memory companions, ignoring missing files.
pub(crate) fn remove_db_files(db: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut s = db.as_os_str().to_owned();
        s.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(s));
    }
}

fn print_demo_accounts() {
    println!("demo accounts (username / password):");
    for (user, name, role, ext, pw) in DEMO_STAFF {
        println!(
            "  {user:<8} {pw:<13} {name}  {}{}",
            role.as_str(),
            ext.map(|e| format!(", extension {e}")).unwrap_or_default()
        );
    }
}

//! `lianxin bench-db`: command-line wrapper of `lianxin_store::bench` (build a large
//! database through the CSV import path; time screen-pop lookups). Use a release build.

use clap::Args;
use lianxin_store::bench::BenchOptions;
use std::path::Path;

/// Options of `bench-db`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Residents to generate and import.
    #[arg(long, default_value_t = 1_000_000)]
    residents: u64,
    /// Random screen-pop lookups to time.
    #[arg(long, default_value_t = 100_000)]
    lookups: usize,
    /// Share of households that get service history (requests, calls).
    #[arg(long, default_value_t = 0.5)]
    history: f64,
    /// Random seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Keep the generated database and CSV file (they are deleted otherwise).
    #[arg(long)]
    keep: bool,
}

/// Runs the benchmark into `db` (`./lianxin-bench.db` when no --db was given).
pub fn run(db: Option<&Path>, local_area: &str, args: &BenchArgs) -> anyhow::Result<()> {
    if cfg!(debug_assertions) {
        eprintln!(
            "warning: debug build; the figures mean little, use `cargo run --release -- bench-db`"
        );
    }
    let opts = BenchOptions {
        db: db
            .map(Path::to_path_buf)
            .unwrap_or_else(|| "lianxin-bench.db".into()),
        residents: args.residents,
        lookups: args.lookups,
        history: args.history,
        seed: args.seed,
        keep: args.keep,
        local_area: local_area.to_string(),
    };
    lianxin_store::bench::run(&opts, &mut |line| println!("{line}"))?;
    Ok(())
}

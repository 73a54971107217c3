//! `lianxin bench-db`: builds a large database through the CSV import path and measures
//! import rate, database size and screen-pop latency with service history.
//!
//! Figures are printed, never asserted (the machine's load varies). Run a release build:
//! `cargo run --release -- bench-db`.

use anyhow::Context;
use chrono::Utc;
use clap::Args;
use lianxin_store::demo::write_residents_csv;
use lianxin_store::{ImportKind, ImportOptions, Store, StoreOptions};
use std::path::{Path, PathBuf};
use std::time::Instant;

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

/// Runs the benchmark; `db` is where the database goes (overwritten if --db names an
/// existing bench file, refused otherwise).
pub fn run(db: &Path, local_area: &str, args: &BenchArgs) -> anyhow::Result<()> {
    let db: PathBuf = if db == Path::new("lianxin.db") {
        PathBuf::from("lianxin-bench.db")
    } else {
        db.to_path_buf()
    };
    if db.exists() {
        anyhow::bail!(
            "{} already exists; bench-db builds a new database, pass --db NEW-FILE or delete it",
            db.display()
        );
    }
    if cfg!(debug_assertions) {
        eprintln!("warning: this is a debug build; figures are meaningless, use `cargo run --release -- bench-db`");
    }
    let mut csv_path = db.as_os_str().to_owned();
    csv_path.push(".residents.csv");
    let csv_path = PathBuf::from(csv_path);

    let now = Utc::now();
    let t = Instant::now();
    let f = std::fs::File::create(&csv_path)
        .with_context(|| format!("cannot create {}", csv_path.display()))?;
    let n = write_residents_csv(
        args.seed,
        args.residents,
        lianxin_store::screen::china_today(now),
        "B",
        std::io::BufWriter::with_capacity(1 << 20, f),
    )?;
    let csv_size = std::fs::metadata(&csv_path)?.len();
    println!(
        "generated {n} residents into {} ({:.1} MB) in {:.2} s",
        csv_path.display(),
        mb(csv_size),
        t.elapsed().as_secs_f64()
    );

    let store = Store::open_with(
        &db,
        StoreOptions {
            local_area: local_area.to_string(),
            ..StoreOptions::default()
        },
    )?;
    let t = Instant::now();
    let file = std::fs::File::open(&csv_path)?;
    let report = store.import_csv(
        ImportKind::Residents,
        std::io::BufReader::with_capacity(1 << 20, file),
        &ImportOptions {
            skip_bad: false,
            staff_id: None,
            source: csv_path.display().to_string(),
        },
        &mut |_| {},
    )?;
    let secs = t.elapsed().as_secs_f64();
    println!(
        "import: {} residents, {} households, {} phone numbers in {:.2} s = {:.0} residents/s",
        report.residents,
        report.households,
        report.phones,
        secs,
        report.residents as f64 / secs
    );

    let t = Instant::now();
    let requests = store.generate_history(args.seed, now, args.history)?;
    println!(
        "history: {requests} requests (and their calls) for {:.0}% of households in {:.2} s",
        args.history * 100.0,
        t.elapsed().as_secs_f64()
    );
    store.checkpoint()?;
    let size = std::fs::metadata(&db)?.len();
    println!("database size: {:.1} MB ({})", mb(size), db.display());

    let numbers = store.sample_numbers(args.lookups + 1000, args.seed ^ 0x5eed)?;
    let callers: Vec<_> = numbers.iter().map(|n| store.normalize(n)).collect();
    for c in &callers[..1000.min(callers.len())] {
        store.screen_pop(c, now)?;
    }
    let mut lat = Vec::with_capacity(args.lookups);
    let (mut found, mut with_history, mut members) = (0u64, 0u64, 0u64);
    for c in &callers[1000.min(callers.len())..] {
        let t = Instant::now();
        let pop = store.screen_pop(c, now)?;
        lat.push(t.elapsed().as_nanos() as u64);
        found += (!pop.matches.is_empty()) as u64;
        with_history += pop.matches.iter().any(|m| !m.requests.is_empty()) as u64;
        members += pop
            .matches
            .iter()
            .map(|m| m.members.len() as u64)
            .sum::<u64>();
    }
    lat.sort_unstable();
    if !lat.is_empty() {
        let pct = |p: f64| lat[((lat.len() - 1) as f64 * p).round() as usize] as f64 / 1000.0;
        let mean = lat.iter().sum::<u64>() as f64 / lat.len() as f64 / 1000.0;
        println!(
            "screen_pop over {} random numbers ({} found, {} with request history, {:.1} members avg): \
             min {:.1} µs, median {:.1} µs, p99 {:.1} µs, max {:.1} µs, mean {:.1} µs",
            lat.len(),
            found,
            with_history,
            members as f64 / lat.len() as f64,
            pct(0.0),
            pct(0.5),
            pct(0.99),
            pct(1.0),
            mean
        );
    }
    let t = Instant::now();
    let k = 10_000.min(numbers.len());
    for n in &numbers[..k] {
        std::hint::black_box(store.normalize(n));
    }
    if k > 0 {
        println!(
            "caller-ID normalization: {:.2} µs per number",
            t.elapsed().as_secs_f64() * 1e6 / k as f64
        );
    }
    drop(store);
    if !args.keep {
        let _ = std::fs::remove_file(&csv_path);
        crate::remove_db_files(&db);
        println!("(deleted the benchmark database and CSV; pass --keep to keep them)");
    }
    Ok(())
}

fn mb(b: u64) -> f64 {
    b as f64 / 1_048_576.0
}

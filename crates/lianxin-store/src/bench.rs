//! The database benchmark behind `lianxin bench-db`: build a large database through the
//! CSV import path, then time screen-pop lookups with service history.
//!
//! It lives here (not in the binary) so it can also run as
//! `cargo run --release -p lianxin-store --example bench_db`. Figures are returned, never
//! asserted: the machine's load varies.

use crate::china_time::china_today;
use crate::demo::write_residents_csv;
use crate::import::{ImportKind, ImportOptions};
use crate::{Result, Store, StoreError, StoreOptions};
use chrono::Utc;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// What to build and measure.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// New database file (must not exist).
    pub db: PathBuf,
    /// Residents to generate and import.
    pub residents: u64,
    /// Random lookups to time.
    pub lookups: usize,
    /// Share of households that get request/call history.
    pub history: f64,
    /// Random seed.
    pub seed: u64,
    /// Keep the database and CSV afterwards.
    pub keep: bool,
    /// Local area code.
    pub local_area: String,
}

/// The figures.
#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    /// Residents imported.
    pub residents: u64,
    /// Households imported.
    pub households: u64,
    /// Phone numbers imported.
    pub phones: u64,
    /// CSV size in bytes.
    pub csv_bytes: u64,
    /// Import wall time, seconds.
    pub import_seconds: f64,
    /// Residents per second.
    pub residents_per_second: f64,
    /// Requests written as history.
    pub history_requests: u64,
    /// Database size after checkpoint, bytes.
    pub db_bytes: u64,
    /// Lookups timed.
    pub lookups: usize,
    /// Lookups whose number was found.
    pub found: u64,
    /// Lookups whose household(s) had requests.
    pub with_history: u64,
    /// Latency in microseconds: min, median, p99, max, mean.
    pub latency_us: [f64; 5],
    /// Caller-ID normalization, microseconds per number.
    pub normalize_us: f64,
}

/// Runs the benchmark; `log` hears progress lines.
pub fn run(opts: &BenchOptions, log: &mut dyn FnMut(&str)) -> Result<BenchReport> {
    let db = &opts.db;
    if db.exists() {
        return Err(StoreError::Invalid(format!(
            "{} already exists; the benchmark builds a new database",
            db.display()
        )));
    }
    let csv_path = suffixed(db, ".residents.csv");
    let now = Utc::now();
    let t = Instant::now();
    let f = std::fs::File::create(&csv_path)?;
    let n = write_residents_csv(
        opts.seed,
        opts.residents,
        china_today(now),
        "B",
        std::io::BufWriter::with_capacity(1 << 20, f),
    )?;
    let csv_bytes = std::fs::metadata(&csv_path)?.len();
    log(&format!(
        "generated {n} residents into {} ({:.1} MB) in {:.2} s",
        csv_path.display(),
        mb(csv_bytes),
        t.elapsed().as_secs_f64()
    ));

    let store = Store::open_with(
        db,
        StoreOptions {
            local_area: opts.local_area.clone(),
            ..StoreOptions::default()
        },
    )?;
    let t = Instant::now();
    let cpu0 = cpu_seconds();
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
    let import_seconds = t.elapsed().as_secs_f64();
    let import_cpu = cpu_seconds().zip(cpu0).map(|(b, a)| b - a);
    let rate = report.residents as f64 / import_seconds;
    log(&format!(
        "import: {} residents, {} households, {} phone numbers in {:.2} s = {:.0} residents/s{}",
        report.residents,
        report.households,
        report.phones,
        import_seconds,
        rate,
        import_cpu
            .map(|c| format!(" (CPU {c:.2} s = {:.0} residents per CPU-second; the rest is waiting for a shared CPU or the disk)", report.residents as f64 / c))
            .unwrap_or_default()
    ));

    let t = Instant::now();
    let history_requests = store.generate_history(opts.seed, now, opts.history)?;
    log(&format!(
        "history: {history_requests} requests (and their calls) for {:.0}% of households in {:.2} s",
        opts.history * 100.0,
        t.elapsed().as_secs_f64()
    ));
    store.checkpoint()?;
    let db_bytes = std::fs::metadata(db)?.len();
    log(&format!("database size: {:.1} MB", mb(db_bytes)));

    let warm = 1000;
    let numbers = store.sample_numbers(opts.lookups + warm, opts.seed ^ 0x5eed)?;
    let callers: Vec<_> = numbers.iter().map(|n| store.normalize(n)).collect();
    let split = warm.min(callers.len());
    for c in &callers[..split] {
        store.screen_pop(c, now)?;
    }
    let mut lat = Vec::with_capacity(opts.lookups);
    let cpu0 = cpu_seconds();
    let wall0 = Instant::now();
    let (mut found, mut with_history) = (0u64, 0u64);
    for c in &callers[split..] {
        let t = Instant::now();
        let pop = store.screen_pop(c, now)?;
        lat.push(t.elapsed().as_nanos() as u64);
        found += u64::from(!pop.matches.is_empty());
        with_history += u64::from(pop.matches.iter().any(|m| !m.requests.is_empty()));
    }
    let lookup_cpu = cpu_seconds().zip(cpu0).map(|(b, a)| b - a);
    let lookup_wall = wall0.elapsed().as_secs_f64();
    lat.sort_unstable();
    let mut latency_us = [0.0; 5];
    if !lat.is_empty() {
        let pct = |p: f64| lat[((lat.len() - 1) as f64 * p).round() as usize] as f64 / 1000.0;
        let mean = lat.iter().sum::<u64>() as f64 / lat.len() as f64 / 1000.0;
        latency_us = [pct(0.0), pct(0.5), pct(0.99), pct(1.0), mean];
        log(&format!(
            "screen_pop over {} random numbers ({found} found, {with_history} with request history): \
             min {:.1} µs, median {:.1} µs, p99 {:.1} µs, max {:.1} µs, mean {:.1} µs",
            lat.len(),
            latency_us[0],
            latency_us[1],
            latency_us[2],
            latency_us[3],
            latency_us[4]
        ));
        if let Some(c) = lookup_cpu {
            log(&format!(
                "lookups used {c:.2} s CPU in {lookup_wall:.2} s wall ({:.1} µs CPU per lookup)",
                c * 1e6 / lat.len() as f64
            ));
        }
    }
    let k = 10_000.min(numbers.len());
    let t = Instant::now();
    for n in &numbers[..k] {
        std::hint::black_box(store.normalize(std::hint::black_box(n)));
    }
    let normalize_us = if k > 0 {
        t.elapsed().as_secs_f64() * 1e6 / k as f64
    } else {
        0.0
    };
    log(&format!(
        "caller-ID normalization: {normalize_us:.2} µs per number"
    ));
    drop(store);
    if !opts.keep {
        let _ = std::fs::remove_file(&csv_path);
        for s in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(suffixed(db, s));
        }
        log("(deleted the benchmark database and CSV; keep them with --keep)");
    }
    Ok(BenchReport {
        residents: report.residents,
        households: report.households,
        phones: report.phones,
        csv_bytes,
        import_seconds,
        residents_per_second: rate,
        history_requests,
        db_bytes,
        lookups: lat.len(),
        found,
        with_history,
        latency_us,
        normalize_us,
    })
}

fn suffixed(p: &Path, s: &str) -> PathBuf {
    let mut o = p.as_os_str().to_owned();
    o.push(s);
    PathBuf::from(o)
}

/// CPU time (user + system) of this process so far, from /proc (Linux); `None` elsewhere.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the ")" closing the command name: state is field 3; utime 14, stime 15.
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = f.get(11)?.parse().ok()?;
    let stime: f64 = f.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

fn mb(b: u64) -> f64 {
    b as f64 / 1_048_576.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_benchmark_runs_and_cleans_up() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("b.db");
        let mut lines = Vec::new();
        let r = run(
            &BenchOptions {
                db: db.clone(),
                residents: 2000,
                lookups: 200,
                history: 0.5,
                seed: 1,
                keep: false,
                local_area: "010".into(),
            },
            &mut |l| lines.push(l.to_string()),
        )
        .unwrap();
        assert!(r.residents >= 2000);
        assert_eq!(r.lookups, 200);
        assert_eq!(r.found, 200, "every sampled number exists");
        assert!(r.with_history > 0);
        assert!(r.latency_us[0] <= r.latency_us[1] && r.latency_us[1] <= r.latency_us[3]);
        assert!(!db.exists());
        assert!(lines.iter().any(|l| l.contains("residents/s")));
    }
}

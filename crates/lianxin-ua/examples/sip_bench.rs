//! Short-call benchmark: sipp as caller against the UA's answer policy, stepping the call
//! rate, and the UA's CPU and memory while the calls run.
//!
//! ```text
//! ulimit -n 20000
//! cargo run --release -p lianxin-ua --example sip_bench -- \
//!     [--rates 250,500,1000,1500,2000] [--seconds 10] [--hold-ms 1000] [--port 15060]
//! ```
//!
//! Each call: INVITE (PCMU), 100, 180, 200 with SDP, ACK, `hold-ms` of silence, BYE from
//! the caller, 200 (`tests/sipp/uac_caller_bye.xml`; no RTP). Each step runs
//! `rate × seconds` calls at `rate` calls per second; a step is clean when fewer than 0.1%
//! of its calls failed. The UA runs in this process (2 tokio workers), so the CPU figure
//! (`/proc/self/stat`, % of one core) and RSS (`/proc/self/status`) are the UA's alone;
//! sipp's CPU is reported beside it. With `hold-ms` 1000, the 1000/s step holds about
//! 1000 calls up at once.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[path = "../tests/support/answer.rs"]
mod answer;

use answer::{AnswerPolicy, AnswerStats};
use lianxin_ua::ratelimit::RateLimitConfig;
use lianxin_ua::{StaticCredentials, Ua, UaConfig};

struct Args {
    rates: Vec<u32>,
    seconds: u32,
    hold_ms: u32,
    port: u16,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        rates: vec![250, 500, 1000, 1500, 2000],
        seconds: 10,
        hold_ms: 1000,
        port: 15060,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let v = it.next().ok_or(format!("{arg} needs a value"))?;
        let bad = |_| format!("bad value for {arg}");
        match arg.as_str() {
            "--rates" => {
                a.rates = v
                    .split(',')
                    .map(|r| r.trim().parse().map_err(bad))
                    .collect::<Result<_, _>>()?
            }
            "--seconds" => a.seconds = v.parse().map_err(bad)?,
            "--hold-ms" => a.hold_ms = v.parse().map_err(bad)?,
            "--port" => a.port = v.parse().map_err(bad)?,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(a)
}

/// utime + stime of a process, in clock ticks (100 per second on Linux).
fn cpu_ticks(pid: &str) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
}

fn rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn scenario() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/sipp/uac_caller_bye.xml")
}

/// (successful, failed) from the last line of sipp's `-trace_stat` CSV.
fn sipp_result(dir: &Path) -> Option<(u64, u64)> {
    let file = std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .find(|e| e.file_name().to_string_lossy().ends_with(".csv"))?;
    let text = std::fs::read_to_string(file.path()).ok()?;
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next()?.split(';').collect();
    let last: Vec<&str> = lines.last()?.split(';').collect();
    let col = |name: &str| -> Option<u64> {
        let i = header.iter().position(|h| *h == name)?;
        last.get(i)?.parse().ok()
    };
    Some((col("SuccessfulCall(C)")?, col("FailedCall(C)")?))
}

struct Step {
    rate: u32,
    calls: u64,
    ok: u64,
    failed: u64,
    elapsed: f64,
    cpu: f64,
    sipp_cpu: f64,
    rss_mb: f64,
    max_calls: usize,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = parse_args()?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let mut config = UaConfig::new(format!("127.0.0.1:{}", args.port).parse()?);
    config.rate_limit = RateLimitConfig::unlimited();
    config.max_calls = 100_000;
    // sipp calls from one address: no per-source cap.
    config.max_calls_per_source = usize::MAX;
    config.max_transactions = 2_000_000;
    config.event_capacity = 65_536;
    let stats = Arc::new(AnswerStats::default());
    let ua = rt.block_on(async {
        let (ua, events) = Ua::start(config, Arc::new(StaticCredentials::default())).await?;
        tokio::spawn(answer::run(
            ua.clone(),
            events,
            AnswerPolicy::default(),
            stats.clone(),
        ));
        Ok::<_, lianxin_ua::UaError>(ua)
    })?;
    let target = ua.local_addr();
    println!(
        "lianxin-ua short-call benchmark: UA on {target}, {} s per step, {} ms hold, rates {:?}",
        args.seconds, args.hold_ms, args.rates
    );
    println!("idle RSS {:.1} MB", rss_kb() as f64 / 1024.0);

    let mut steps = Vec::new();
    for &rate in &args.rates {
        let calls = u64::from(rate) * u64::from(args.seconds);
        let dir = tempfile::tempdir()?;
        let limit = (u64::from(rate) * u64::from(args.hold_ms) / 1000 * 3).max(100);
        let mut child = Command::new("sipp")
            .current_dir(dir.path())
            .arg(target.to_string())
            .arg("-sf")
            .arg(scenario())
            .args(["-i", "127.0.0.1", "-p", &(args.port + 1).to_string()])
            .args(["-mp", &(args.port + 2).to_string()])
            .args(["-cp", &(args.port + 3).to_string()])
            .args(["-s", "100", "-nostdin", "-max_socket", "20000"])
            .args(["-buff_size", "4194304"])
            .args(["-r", &rate.to_string(), "-rp", "1000"])
            .args(["-m", &calls.to_string(), "-l", &limit.to_string()])
            .args(["-d", &args.hold_ms.to_string()])
            .args(["-trace_stat", "-stf", "stat.csv", "-fd", "1"])
            .args(["-timeout", &format!("{}s", args.seconds * 3 + 30)])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        let sipp_pid = child.id().to_string();
        let t0 = Instant::now();
        let cpu0 = cpu_ticks("self").unwrap_or(0);
        let mut sipp_cpu = 0;
        let mut rss = 0;
        let mut max_calls = 0;
        loop {
            std::thread::sleep(Duration::from_millis(250));
            sipp_cpu = cpu_ticks(&sipp_pid).unwrap_or(sipp_cpu);
            rss = rss.max(rss_kb());
            if let Ok(s) = rt.block_on(ua.stats()) {
                max_calls = max_calls.max(s.calls);
            }
            if child.try_wait()?.is_some() {
                break;
            }
        }
        let elapsed = t0.elapsed().as_secs_f64();
        let cpu = (cpu_ticks("self").unwrap_or(0) - cpu0) as f64 / elapsed;
        let (ok, failed) = sipp_result(dir.path()).unwrap_or((0, calls));
        let step = Step {
            rate,
            calls,
            ok,
            failed: failed.max(calls.saturating_sub(ok + failed)),
            elapsed,
            cpu,
            sipp_cpu: sipp_cpu as f64 / elapsed,
            rss_mb: rss as f64 / 1024.0,
            max_calls,
        };
        println!(
            "rate {:>5}/s: {:>6} calls, {:>6} ok, {:>4} failed ({:.3}%), {:>5.1} s, UA CPU {:>5.1}% of a core, sipp CPU {:>5.1}%, UA RSS {:>6.1} MB, peak {:>5} calls up",
            step.rate,
            step.calls,
            step.ok,
            step.failed,
            100.0 * step.failed as f64 / step.calls as f64,
            step.elapsed,
            step.cpu,
            step.sipp_cpu,
            step.rss_mb,
            step.max_calls
        );
        steps.push(step);
        // Let the previous step's transactions drain (Timer J/K, RFC 6026 Accepted).
        std::thread::sleep(Duration::from_secs(3));
    }
    let clean = steps
        .iter()
        .filter(|s| (s.failed as f64) < 0.001 * s.calls as f64)
        .map(|s| s.rate)
        .max();
    match clean {
        Some(r) => println!("highest clean rate (<0.1% failed): {r} calls/s"),
        None => println!("no step was clean"),
    }
    println!("answer policy counters: {:?}", stats.snapshot());
    rt.block_on(ua.shutdown());
    Ok(())
}

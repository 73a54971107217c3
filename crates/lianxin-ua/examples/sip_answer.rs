//! Runs the SIP user agent alone with the scripted answer policy
//! (`tests/support/answer.rs`), until Ctrl-C.
//!
//! ```text
//! cargo run -p lianxin-ua --example sip_answer -- --listen 127.0.0.1:5070 \
//!     [--hold-ms 1000] [--ring-ms 0] [--number 51663371]... [--user 1001:secret]... \
//!     [--no-rate-limit]
//! ```
//! With `--hold-ms` the UA hangs up that long after answering; without it, it waits for
//! the caller's BYE. Numbers restrict which Request-URI users are answered (others: 404).

use std::sync::Arc;
use std::time::Duration;

#[path = "../tests/support/answer.rs"]
mod answer;

use answer::AnswerPolicy;
use lianxin_ua::ratelimit::RateLimitConfig;
use lianxin_ua::{StaticCredentials, UaConfig};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();

    let mut config = UaConfig::new("127.0.0.1:5070".parse()?);
    let mut policy = AnswerPolicy::default();
    let mut creds = StaticCredentials::default();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--listen" => config.listen = value()?.parse()?,
            "--hold-ms" => policy.hold = Some(Duration::from_millis(value()?.parse()?)),
            "--ring-ms" => policy.ring = Duration::from_millis(value()?.parse()?),
            "--number" => config.numbers.push(value()?),
            "--realm" => config.realm = value()?,
            "--user" => {
                let v = value()?;
                let (u, p) = v.split_once(':').ok_or("--user wants NAME:PASSWORD")?;
                creds = creds.with(u, p);
            }
            "--no-rate-limit" => {
                config.rate_limit = RateLimitConfig::unlimited();
                config.max_calls_per_source = usize::MAX;
            }
            "--max-calls" => config.max_calls = value()?.parse()?,
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    // Unspecified: the UA puts its advertised address in the SDP.
    policy.media_addr = config.listen.ip();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let stats = rt.block_on(answer::serve_until(config, Arc::new(creds), policy, ctrl_c))?;
    eprintln!("{stats:?}");
    Ok(())
}

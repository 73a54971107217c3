//! A UA without the answer policy: the test reads the events itself.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use lianxin_ua::ratelimit::RateLimitConfig;
use lianxin_ua::{StaticCredentials, Ua, UaConfig, UaEvent, UaHandle};
use tokio::sync::mpsc;

/// Starts a UA on 127.0.0.1 (port 0, no rate limit, user 1001:secret) on its own runtime.
pub fn start_raw(
    tweak: impl FnOnce(&mut UaConfig),
) -> (tokio::runtime::Runtime, UaHandle, mpsc::Receiver<UaEvent>) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let mut config = UaConfig::new("127.0.0.1:0".parse().unwrap());
    config.rate_limit = RateLimitConfig::unlimited();
    tweak(&mut config);
    let (ua, events) = rt
        .block_on(Ua::start(
            config,
            Arc::new(StaticCredentials::default().with("1001", "secret")),
        ))
        .expect("start UA");
    (rt, ua, events)
}

/// Next event matching `pick`, within `secs`.
pub fn next_event<E, T>(
    rt: &tokio::runtime::Runtime,
    events: &mut mpsc::Receiver<E>,
    secs: u64,
    mut pick: impl FnMut(&E) -> Option<T>,
) -> Option<T> {
    rt.block_on(async {
        tokio::time::timeout(Duration::from_secs(secs), async {
            while let Some(e) = events.recv().await {
                if let Some(t) = pick(&e) {
                    return Some(t);
                }
            }
            None
        })
        .await
        .ok()
        .flatten()
    })
}

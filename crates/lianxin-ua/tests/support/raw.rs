//! A UA without the answer policy: the test reads the events itself.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use lianxin_ua::ratelimit::RateLimitConfig;
use lianxin_ua::{StaticCredentials, Ua, UaConfig, UaEvent, UaHandle};
use tokio::sync::mpsc;

/// The runtime a test UA runs on: two worker threads, I/O and time enabled.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

/// A test UA's configuration: 127.0.0.1, port 0, no rate limit.
pub fn local_config() -> UaConfig {
    let mut config = UaConfig::new("127.0.0.1:0".parse().unwrap());
    config.rate_limit = RateLimitConfig::unlimited();
    config
}

/// A test UA's only user: 1001, password `secret`.
pub fn credentials() -> Arc<StaticCredentials> {
    Arc::new(StaticCredentials::default().with("1001", "secret"))
}

/// Starts a UA on 127.0.0.1 (port 0, no rate limit, user 1001:secret) on its own runtime.
pub fn start_raw(
    tweak: impl FnOnce(&mut UaConfig),
) -> (tokio::runtime::Runtime, UaHandle, mpsc::Receiver<UaEvent>) {
    let rt = runtime();
    let mut config = local_config();
    tweak(&mut config);
    let (ua, events) = rt
        .block_on(Ua::start(config, credentials()))
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

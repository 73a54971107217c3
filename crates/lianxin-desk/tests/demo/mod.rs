//! A desk on 127.0.0.1 over a fresh demo community in a temporary database: what most of
//! the desk's HTTP tests start from. Shared so that each test file says only what it
//! checks.
#![allow(dead_code)]

use std::sync::Arc;

use chrono::{DateTime, Utc};
use lianxin_desk::{Desk, DeskCommand, DeskConfig, DeskHandle};
use lianxin_store::demo::DemoOptions;
use lianxin_store::Store;
use tokio::sync::mpsc;

/// The demo's database and the desk serving it; the folder lives as long as this.
pub struct DemoDesk {
    pub tmp: tempfile::TempDir,
    pub store: Store,
    pub desk: DeskHandle,
    /// What the desk sends the hotline (opening hours, attach…).
    pub commands: mpsc::Receiver<DeskCommand>,
}

impl DemoDesk {
    /// The desk's address.
    pub fn addr(&self) -> std::net::SocketAddr {
        self.desk.local_addr()
    }
}

/// `households` demo households generated from `seed` as of `now`, and a desk with the
/// default settings on a free port.
pub async fn demo_desk(seed: u64, households: usize, now: DateTime<Utc>) -> DemoDesk {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path().join("demo.db")).unwrap();
    let s2 = store.clone();
    tokio::task::spawn_blocking(move || {
        s2.generate_demo(
            &DemoOptions {
                seed,
                households,
                now,
            },
            &mut |_| {},
        )
    })
    .await
    .unwrap()
    .unwrap();
    let cfg = DeskConfig::new("127.0.0.1:0".parse().unwrap());
    let (desk, commands) = Desk::start(cfg, Arc::new(store.clone())).await.unwrap();
    DemoDesk {
        tmp,
        store,
        desk,
        commands,
    }
}

//! Database preparation for the hotline benchmark (`deploy/bench/hotline_pop.sh`): gives
//! a share of the households in an existing database the same synthetic service history
//! (requests with their calls) that `lianxin bench-db` generates, so that the pops of the
//! 1,000,000 imported residents are as large as real ones. Needs the demo staff accounts
//! in the database (the requests name an operator).
//!
//! ```sh
//! cargo run --release -p lianxin-desk --example pop_history -- pop.db 0.5
//! ```

use lianxin_store::Store;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(db), Some(fraction)) = (
        args.first(),
        args.get(1).and_then(|f| f.parse::<f64>().ok()),
    ) else {
        eprintln!("usage: pop_history DB FRACTION (e.g. pop.db 0.5)");
        std::process::exit(2)
    };
    let store = match Store::open(db) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("pop_history: cannot open {db}: {e}");
            std::process::exit(1)
        }
    };
    let t = std::time::Instant::now();
    match store
        .generate_history(7, chrono::Utc::now(), fraction)
        .and_then(|n| store.checkpoint().map(|()| n))
    {
        Ok(n) => println!(
            "pop_history: {n} requests (and their calls) for {:.0}% of households in {:.1} s",
            fraction * 100.0,
            t.elapsed().as_secs_f64()
        ),
        Err(e) => {
            eprintln!("pop_history: {e}");
            std::process::exit(1)
        }
    }
}

//! The database benchmark without the full `lianxin` binary:
//! `cargo run --release -p lianxin-store --example bench_db -- [RESIDENTS] [LOOKUPS] [DB]`.

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let residents = args
        .get(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let lookups = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let db = args
        .get(3)
        .cloned()
        .unwrap_or_else(|| "lianxin-bench.db".into());
    let opts = lianxin_store::bench::BenchOptions {
        db: db.into(),
        residents,
        lookups,
        history: 0.5,
        seed: 1,
        keep: false,
        local_area: "010".into(),
    };
    if let Err(e) = lianxin_store::bench::run(&opts, &mut |l| println!("{l}")) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

//! Deduplication of one CSV file with the engine's phase timings and per-rule pair counts.
//!
//! `cargo run --release -p baoho-match --example dedupe_bench -- FILE.csv`

use baoho_match::{LinkConfig, dedupe, io::read_path};
use std::time::Instant;

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: dedupe_bench FILE.csv");
        std::process::exit(2);
    };
    let t = Instant::now();
    let file = match read_path(std::path::Path::new(&path), None) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("{path}: {e}");
            std::process::exit(1);
        }
    };
    println!(
        "read {} records in {:.2}s",
        file.records.len(),
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    let res = dedupe(&file.records, &LinkConfig::default());
    let s = &res.stats;
    println!(
        "dedupe {:.2}s | pairs {} | clusters {} | ms prep {:.0} block {:.0} train {:.0} score {:.0}",
        t.elapsed().as_secs_f64(),
        s.pairs_compared,
        res.clusters.len(),
        s.prepare_ms,
        s.blocking_ms,
        s.training_ms,
        s.scoring_ms
    );
    for r in &s.rules {
        println!(
            "  rule {:<66} pairs {:>9} new {:>9} skipped blocks {}",
            r.rule, r.pairs, r.new_pairs, r.skipped_blocks
        );
    }
}

//! FEBRL benchmark: FEBRL4 linkage (5,000 × 5,000) and FEBRL3 deduplication (5,000), with
//! thresholds chosen without labels. Prints precision, recall, F1 and wall time.
//!
//! `cargo run --release -p baoho-match --example febrl [DATA_DIR]`
//! (default `../shared/data/febrl` from the workspace root).

use baoho_match::{Decision, LinkConfig, dedupe, link};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Instant;

fn truth(path: &Path) -> Result<HashSet<(String, String)>, Box<dyn std::error::Error>> {
    let mut rdr = csv::Reader::from_path(path)?;
    let mut out = HashSet::new();
    for row in rdr.records() {
        let row = row?;
        let a = row.get(0).unwrap_or("").to_owned();
        let b = row.get(1).unwrap_or("").to_owned();
        out.insert((a.clone(), b.clone()));
        out.insert((b, a));
    }
    Ok(out)
}

fn prf(tp: usize, found: usize, truth: usize) -> (f64, f64, f64) {
    let p = tp as f64 / found.max(1) as f64;
    let r = tp as f64 / truth.max(1) as f64;
    (p, r, 2.0 * p * r / (p + r).max(1e-12))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("../shared/data/febrl"));
    if !dir.join("febrl4_a.csv").exists() {
        println!("FEBRL data not found in {}; skipping", dir.display());
        return Ok(());
    }
    let a = baoho_match::io::read_febrl(&dir.join("febrl4_a.csv"))?;
    let b = baoho_match::io::read_febrl(&dir.join("febrl4_b.csv"))?;
    let t4 = truth(&dir.join("febrl4_truth.csv"))?;
    let cfg = LinkConfig::default();
    let t = Instant::now();
    // B is the incoming list, A the registry.
    let res = link(&a, &b, &cfg);
    let wall = t.elapsed().as_secs_f64();
    let n_truth = t4.len() / 2;
    let mut tp = 0;
    let mut found = 0;
    let mut tp_any = 0;
    let mut found_any = 0;
    let mut review_rows = HashSet::new();
    let mut covered = HashSet::new();
    for c in &res.candidates {
        let is_true = t4.contains(&(b[c.list_idx].id.clone(), a[c.reg_idx].id.clone()));
        if c.decision == Decision::Match {
            found += 1;
            tp += usize::from(is_true);
        }
        if c.decision != Decision::NonMatch {
            if is_true {
                covered.insert(c.list_idx);
            }
            if c.decision == Decision::Review {
                review_rows.insert(c.list_idx);
            }
        }
        if c.probability >= 0.5 {
            found_any += 1;
            tp_any += usize::from(is_true);
        }
    }
    if std::env::var_os("FEBRL_DEBUG").is_some() {
        let by_id: std::collections::HashMap<&str, usize> = a
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.as_str(), i))
            .collect();
        for (j, rb) in b.iter().enumerate() {
            if res.candidates.iter().any(|c| {
                c.list_idx == j
                    && c.decision == Decision::Match
                    && t4.contains(&(rb.id.clone(), a[c.reg_idx].id.clone()))
            }) {
                continue;
            }
            let want = rb.id.replace("-dup-0", "-org");
            let ai = by_id.get(want.as_str()).copied();
            println!("MISS {:?}\n  vs {:?}", rb, ai.map(|i| &a[i]));
            for c in res.candidates.iter().filter(|c| c.list_idx == j) {
                let lv: Vec<String> = c
                    .explanation
                    .fields
                    .iter()
                    .map(|f| format!("{}={}({:.1})", f.field, f.level, f.log2_weight))
                    .collect();
                println!(
                    "  cand {} p={:.4} w={:.1} {:?} true={} {}",
                    a[c.reg_idx].id,
                    c.probability,
                    c.match_weight,
                    c.decision,
                    Some(c.reg_idx) == ai,
                    lv.join(" ")
                );
            }
        }
    }
    let (p, r, f1) = prf(tp, found, n_truth);
    let (p5, r5, f15) = prf(tp_any, found_any, n_truth);
    println!(
        "FEBRL4 link: pairs {} | auto-match P {p:.5} R {r:.5} F1 {f1:.5} | p>=0.5 P {p5:.5} R {r5:.5} F1 {f15:.5} | true in match+review {:.5} | review rows {} | wall {wall:.3}s",
        res.stats.pairs_compared,
        covered.len() as f64 / n_truth as f64,
        review_rows.len()
    );
    println!("  stats: {:?}", res.stats);
    let d = baoho_match::io::read_febrl(&dir.join("febrl3.csv"))?;
    let t3 = truth(&dir.join("febrl3_truth.csv"))?;
    let t = Instant::now();
    let res = dedupe(&d, &cfg);
    let wall = t.elapsed().as_secs_f64();
    let n_truth = t3.len() / 2;
    let mut tp = 0;
    let mut found = 0;
    for c in res.pairs.iter().filter(|c| c.decision == Decision::Match) {
        found += 1;
        tp += usize::from(t3.contains(&(d[c.list_idx].id.clone(), d[c.reg_idx].id.clone())));
    }
    let (p, r, f1) = prf(tp, found, n_truth);
    let mut ctp = 0;
    let mut cfound = 0;
    for g in &res.clusters {
        for (i, &x) in g.iter().enumerate() {
            for &y in &g[i + 1..] {
                cfound += 1;
                ctp += usize::from(t3.contains(&(d[x].id.clone(), d[y].id.clone())));
            }
        }
    }
    let (cp, cr, cf1) = prf(ctp, cfound, n_truth);
    println!(
        "FEBRL3 dedupe: pairs {} | match pairs P {p:.5} R {r:.5} F1 {f1:.5} | clusters P {cp:.5} R {cr:.5} F1 {cf1:.5} | wall {wall:.3}s",
        res.stats.pairs_compared
    );
    println!("  stats: {:?}", res.stats);
    Ok(())
}

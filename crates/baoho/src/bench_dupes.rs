//! `baoho bench dupes`: the intake duplicate warning's matcher on N synthetic persons: time
//! and memory to build and train it, and the latency of one candidate query, with how often
//! the person typed the way an officer would (folded, reordered, one letter off, with the date
//! of birth) comes first. In memory, no database: the server's own [`Matcher`] on the same
//! rows the store would give it. Nothing personal is printed: only counts and times.

use crate::bench::SplitMix64;
use baoho_domain::text::fold;
use baoho_gen::{Generator, SynthPerson};
use baoho_server::dupes::{MIN_REGISTRY, Matcher, Probe, row_of_synthetic};
use baoho_store::MatchRow;
use std::time::{Duration, Instant};

#[derive(clap::Args, Debug)]
pub struct DupesArgs {
    /// Synthetic persons in the registry.
    #[arg(long, default_value_t = 100_000)]
    persons: usize,
    /// Queries per variant (folded, reordered, one letter off).
    #[arg(long, default_value_t = 1000)]
    queries: usize,
    /// Seed of the synthetic registry and of the query draw.
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Train from this many persons on (default: the server's minimum), to see how a smaller
    /// registry would do.
    #[arg(long)]
    min: Option<usize>,
}

/// Resident set size now and at its peak, MiB (Linux).
fn rss_mib() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let get = |k: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(k))
            .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    (get("VmRSS:"), get("VmHWM:"))
}

fn variant(kind: usize, p: &SynthPerson) -> String {
    match kind {
        // As a foreign list or a hurried officer types it.
        0 => fold(&p.full_name()).to_uppercase(),
        // Given name first.
        1 => {
            let mut parts = vec![p.given_name.clone()];
            parts.extend(p.middle_names.iter().cloned());
            parts.push(p.family_name.clone());
            fold(&parts.join(" "))
        }
        // One letter of the given name lost.
        _ => {
            let mut g: Vec<char> = fold(&p.given_name).chars().collect();
            if g.len() > 2 {
                g.remove(g.len() / 2);
            }
            let mut s = p.family_name.clone();
            for m in &p.middle_names {
                s.push(' ');
                s.push_str(m);
            }
            s.push(' ');
            s.extend(g);
            s
        }
    }
}

fn pct(sorted: &[Duration], q: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted.get(i).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

pub fn run(a: DupesArgs) -> anyhow::Result<()> {
    let n = a.persons.max(1);
    let mut g = Generator::new(a.seed);
    let people = g.registry(n);
    let rows: Vec<MatchRow> = people
        .iter()
        .enumerate()
        .map(|(i, p)| row_of_synthetic(i, p))
        .collect();
    let (rss0, _) = rss_mib();
    let t0 = Instant::now();
    let m = Matcher::build_with_min(&rows, a.min.unwrap_or(MIN_REGISTRY));
    let build = t0.elapsed();
    let (rss1, peak) = rss_mib();
    println!(
        "registry {n} persons: built and trained in {:.2} s (trained: {}); RSS {rss0:.0} → {rss1:.0} MiB (+{:.0} MiB kept by the matcher), peak {peak:.0} MiB",
        build.as_secs_f64(),
        m.is_trained(),
        rss1 - rss0,
    );
    if !m.is_trained() {
        println!("below the training minimum: the server would use the text search");
        return Ok(());
    }
    let mut rng = SplitMix64(a.seed ^ 0xd0_0b1e);
    let mut times = Vec::new();
    for (kind, label) in ["folded", "reordered", "one letter off"].iter().enumerate() {
        let (mut first, mut shown, mut q, mut lines) = (0usize, 0usize, 0usize, 0usize);
        for _ in 0..a.queries {
            let p = &people[rng.below(n)];
            let probe = Probe {
                name: variant(kind, p),
                birth: Some(p.dob),
                ..Probe::default()
            };
            let t = Instant::now();
            let found = m.candidates(&probe, 10).unwrap_or_default();
            times.push(t.elapsed());
            q += 1;
            lines += found.len();
            match found.iter().position(|f| f.person_id == p.id) {
                Some(0) => {
                    first += 1;
                    shown += 1;
                }
                Some(_) => shown += 1,
                None => {}
            }
        }
        println!(
            "{label:>15}: true person first {:.1} %, in the warning {:.1} %, {:.1} persons listed on average ({q} queries)",
            100.0 * first as f64 / q.max(1) as f64,
            100.0 * shown as f64 / q.max(1) as f64,
            lines as f64 / q.max(1) as f64,
        );
    }
    times.sort();
    println!(
        "candidate query (matcher only, one thread): p50 {:.3} ms, p90 {:.3} ms, p99 {:.3} ms, max {:.3} ms over {} queries",
        pct(&times, 0.5),
        pct(&times, 0.9),
        pct(&times, 0.99),
        pct(&times, 1.0),
        times.len()
    );
    Ok(())
}

//! `baoho match`: link a list against a registry, or deduplicate one file.
//!
//! ```text
//! baoho match --registry R.csv --list L.xlsx [--map list:id=No,name=Full name] --out matches.csv
//! baoho match --registry R.csv --list L.csv --truth T.csv --out matches.csv
//! baoho match --dedupe F.csv --out clusters.csv
//! ```
//!
//! `matches.csv` has one row per list row and candidate: `list_id,registry_id,probability,
//! decision` (`match`, `review`, `non_match`); a list row without any candidate gets one row
//! with an empty `registry_id` and `no_candidate`. `clusters.csv` has `cluster,id` for every
//! record that has a duplicate.

use anyhow::Context;
use baoho_match::eval::{Evaluation, evaluate, evaluate_dedupe};
use baoho_match::io::{
    ColumnMap, Field, MapSide, ReadResult, read_clusters, read_path_skipping, read_truth,
};
use baoho_match::{
    Candidate, Decision, LinkConfig, Progress, REVIEW_TIE_CAP, REVIEW_TIE_RATIO, Record,
};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

#[derive(clap::Args, Debug)]
pub struct MatchArgs {
    /// Registry file (CSV, xlsx, xls, ods).
    #[arg(long, value_name = "R.csv")]
    pub registry: Option<PathBuf>,
    /// Incoming list to link against the registry.
    #[arg(long, value_name = "L.csv")]
    pub list: Option<PathBuf>,
    /// Deduplicate this one file instead of linking.
    #[arg(long, value_name = "F.csv", conflicts_with_all = ["registry", "list"])]
    pub dedupe: Option<PathBuf>,
    /// Column mapping, one per side: `list:id=list_id,name=full_name,dob=dob`,
    /// `registry:…`; without a side it applies to the only file (dedupe) or to both.
    #[arg(long, value_name = "MAP")]
    pub map: Vec<String>,
    /// Output CSV: candidates (linking) or clusters (dedupe).
    #[arg(long, value_name = "OUT.csv")]
    pub out: Option<PathBuf>,
    /// Truth CSV, as `baoho gen` writes it: `list_id,registry_id` for linking, `id,cluster` for
    /// --dedupe. Prints precision, recall, F1…
    #[arg(long, value_name = "T.csv")]
    pub truth: Option<PathBuf>,
    /// Candidates kept per list row.
    #[arg(long, default_value_t = 5)]
    pub max_candidates: usize,
    /// Fixed match threshold (probability) instead of the model's choice.
    #[arg(long)]
    pub match_threshold: Option<f64>,
    /// Fixed review threshold (probability) instead of the model's choice.
    #[arg(long)]
    pub review_threshold: Option<f64>,
    /// Worker threads (0 = all cores).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// No progress display.
    #[arg(long, short)]
    pub quiet: bool,
}

fn spinner(quiet: bool, msg: String) -> ProgressBar {
    if quiet {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new_spinner();
    pb.set_style(
        ProgressStyle::with_template("{spinner} {msg} [{elapsed_precise}]")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    pb.set_message(msg);
    pb.enable_steady_tick(Duration::from_millis(120));
    pb
}

/// A progress bar that follows the engine's [`Progress`] from a polling thread while `run`
/// works: phase name, a bar of the phase's units, elapsed time and the phase's ETA.
fn with_progress<T: Send>(quiet: bool, run: impl FnOnce(&Progress) -> T + Send) -> T {
    let progress = Progress::new();
    if quiet {
        return run(&progress);
    }
    let pb = ProgressBar::new(1);
    pb.set_style(
        ProgressStyle::with_template(
            "{msg:>18} [{bar:30}] {pos}/{len} [{elapsed_precise}, {eta} left in phase]",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    let done = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|s| {
        let poller = s.spawn(|| {
            let mut last_phase = "";
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                let (phase, pos, len) = progress.get();
                if phase != last_phase {
                    pb.reset();
                    pb.set_message(phase);
                    last_phase = phase;
                }
                pb.set_length(len.max(1));
                pb.set_position(pos);
                std::thread::park_timeout(Duration::from_millis(100));
            }
        });
        let out = run(&progress);
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        poller.thread().unpark();
        pb.finish_and_clear();
        out
    })
}

/// The mapping for one side from the `--map` values.
fn map_for(maps: &[(Option<MapSide>, ColumnMap)], side: Option<MapSide>) -> Option<&ColumnMap> {
    maps.iter()
        .find(|(s, _)| *s == side && side.is_some())
        .or_else(|| maps.iter().find(|(s, _)| s.is_none()))
        .map(|(_, m)| m)
}

fn read_input(
    path: &Path,
    map: Option<&ColumnMap>,
    skip: &[Field],
    quiet: bool,
) -> anyhow::Result<ReadResult> {
    let pb = spinner(quiet, format!("reading {}", path.display()));
    let r = read_path_skipping(path, map, skip)
        .with_context(|| format!("reading {}", path.display()))?;
    pb.finish_and_clear();
    eprintln!(
        "{}: {} rows read, {} bad ({}; header on line {}; columns: {})",
        path.display(),
        r.records.len(),
        r.bad_rows.len(),
        r.format,
        r.header_line,
        r.describe_mapping()
    );
    for b in r.bad_rows.iter().take(5) {
        eprintln!("  skipped line {}: {}", b.line, b.message);
    }
    if r.bad_rows.len() > 5 {
        eprintln!("  … and {} more bad rows", r.bad_rows.len() - 5);
    }
    Ok(r)
}

/// Registry fields only compared when the list has them, and that the list never has.
fn unused_registry_fields(list: &[Record]) -> Vec<Field> {
    let has = |f: fn(&Record) -> &Option<String>| {
        list.iter()
            .any(|r| f(r).as_deref().is_some_and(|v| !v.trim().is_empty()))
    };
    let mut skip = Vec::new();
    if !has(|r| &r.address) {
        skip.push(Field::Address);
    }
    if !has(|r| &r.locality) {
        skip.push(Field::Locality);
    }
    if !has(|r| &r.postcode) {
        skip.push(Field::Postcode);
    }
    if !has(|r| &r.phone) {
        skip.push(Field::Phone);
    }
    skip
}

fn decision_str(d: Decision) -> &'static str {
    match d {
        Decision::Match => "match",
        Decision::Review => "review",
        Decision::NonMatch => "non_match",
    }
}

pub fn run(args: MatchArgs) -> anyhow::Result<()> {
    let start = Instant::now();
    let maps = args
        .map
        .iter()
        .map(|m| ColumnMap::parse(m).with_context(|| format!("--map {m:?}")))
        .collect::<anyhow::Result<Vec<_>>>()?;
    for side in [Some(MapSide::List), Some(MapSide::Registry), None] {
        if maps.iter().filter(|(s, _)| *s == side).count() > 1 {
            anyhow::bail!("give at most one --map per side (list:, registry:, or none)");
        }
    }
    let cfg = LinkConfig {
        max_candidates: args.max_candidates.max(1),
        threads: args.threads,
        match_threshold: args.match_threshold,
        review_threshold: args.review_threshold,
        ..LinkConfig::default()
    };
    if let Some(path) = &args.dedupe {
        return run_dedupe(&args, path, &maps, &cfg, start);
    }
    let (Some(reg_path), Some(list_path)) = (&args.registry, &args.list) else {
        anyhow::bail!("give --registry R.csv and --list L.csv, or --dedupe F.csv");
    };
    // The list first: registry fields it never has are not compared (the engine treats them
    // as null for every pair), so they are not even read.
    let list = read_input(
        list_path,
        map_for(&maps, Some(MapSide::List)),
        &[],
        args.quiet,
    )?;
    let skip = unused_registry_fields(&list.records);
    let registry = read_input(
        reg_path,
        map_for(&maps, Some(MapSide::Registry)),
        &skip,
        args.quiet,
    )?;
    let t_read = start.elapsed();

    // With a truth file, the engine also returns the pairs it compared: blocking recall is
    // then exact.
    let run_cfg = LinkConfig {
        keep_compared: args.truth.is_some(),
        ..cfg.clone()
    };
    if !args.quiet {
        eprintln!(
            "matching {} list rows against {} registry records",
            list.records.len(),
            registry.records.len()
        );
    }
    let t0 = Instant::now();
    let mut result = with_progress(args.quiet, |p| {
        baoho_match::link_with_progress(&registry.records, &list.records, &run_cfg, p)
    });
    let t_match = t0.elapsed();
    let all = std::mem::take(&mut result.candidates);
    let kept = keep_configured(&all, &cfg);

    if let Some(out) = &args.out {
        write_matches(out, &list.records, &registry.records, &kept)?;
    }

    // Summary.
    let mut best: Vec<Option<Decision>> = vec![None; list.records.len()];
    for c in &kept {
        if let Some(b) = best.get_mut(c.list_idx)
            && b.is_none()
        {
            *b = Some(c.decision);
        }
    }
    let auto = best.iter().filter(|b| **b == Some(Decision::Match)).count();
    let review = best
        .iter()
        .filter(|b| **b == Some(Decision::Review))
        .count();
    let none = best.len() - auto - review;
    let s = &result.stats;
    println!(
        "list rows {} (bad {}), registry rows {} (bad {})",
        list.records.len(),
        list.bad_rows.len(),
        registry.records.len(),
        registry.bad_rows.len()
    );
    println!("auto matches {auto}, reviews {review}, no match {none}");
    println!(
        "pairs compared {}, thresholds match {:.3} review {:.3}",
        s.pairs_compared, s.match_threshold, s.review_threshold
    );
    println!(
        "wall time {:.2?} (read {:.2?}, match {:.2?})",
        start.elapsed(),
        t_read,
        t_match
    );
    if let Some(out) = &args.out {
        println!("candidates → {}", out.display());
    }

    if let Some(tp) = &args.truth {
        let truth = read_truth(tp).with_context(|| format!("reading {}", tp.display()))?;
        let compared = |l: usize, r: usize| result.was_compared(l, r);
        let e = evaluate(
            &list.records,
            &registry.records,
            &kept,
            &truth,
            Some(&compared),
        );
        println!("\n{}", e.report());
        print_ceiling(tp, &e);
        println!("wall time {:.2?}", start.elapsed());
    }
    Ok(())
}

/// The candidates the configuration asks for: at most `max_candidates` per row, probability at
/// least `min_probability`, then the review candidates tying with the last kept (up to
/// `REVIEW_TIE_CAP`), as the engine itself keeps them.
fn keep_configured(all: &[Candidate], cfg: &LinkConfig) -> Vec<Candidate> {
    let mut out = Vec::with_capacity(all.len());
    let mut row = usize::MAX;
    let mut n = 0;
    let mut last = 0.0;
    let mut tying = true;
    let mut sorted: Vec<&Candidate> = all.iter().collect();
    sorted.sort_by(|a, b| {
        a.list_idx
            .cmp(&b.list_idx)
            .then(b.probability.total_cmp(&a.probability))
    });
    for c in sorted {
        if c.list_idx != row {
            row = c.list_idx;
            n = 0;
            tying = true;
        }
        if c.probability < cfg.min_probability {
            continue;
        }
        if n < cfg.max_candidates {
            out.push(c.clone());
            n += 1;
            last = c.probability;
            tying = c.decision == Decision::Review;
        } else if tying
            && n < REVIEW_TIE_CAP
            && c.decision == Decision::Review
            && c.probability >= REVIEW_TIE_RATIO * last
        {
            out.push(c.clone());
            n += 1;
        } else {
            tying = false;
        }
    }
    out
}

fn write_matches(
    path: &Path,
    list: &[Record],
    registry: &[Record],
    cands: &[Candidate],
) -> anyhow::Result<()> {
    let f =
        std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    let mut w = csv::Writer::from_writer(std::io::BufWriter::new(f));
    w.write_record(["list_id", "registry_id", "probability", "decision"])?;
    let mut i = 0;
    for (li, l) in list.iter().enumerate() {
        let mut any = false;
        while i < cands.len() && cands[i].list_idx == li {
            let c = &cands[i];
            let rid = registry.get(c.reg_idx).map_or("", |r| r.id.as_str());
            w.write_record([
                l.id.as_str(),
                rid,
                &format!("{:.6}", c.probability),
                decision_str(c.decision),
            ])?;
            any = true;
            i += 1;
        }
        if !any {
            w.write_record([l.id.as_str(), "", "0", "no_candidate"])?;
        }
    }
    w.flush()?;
    Ok(())
}

/// Print the oracle ceiling stored beside the truth by `baoho gen`, if any.
fn print_ceiling(truth: &Path, e: &Evaluation) {
    let path = truth.with_extension("ceiling.json");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return;
    };
    let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) else {
        eprintln!("warning: {} is not valid JSON", path.display());
        return;
    };
    let f = |k: &str| {
        v.get(k)
            .and_then(serde_json::Value::as_f64)
            .unwrap_or(f64::NAN)
    };
    let n = |k: &str| v.get(k).and_then(serde_json::Value::as_u64).unwrap_or(0);
    println!(
        "oracle ceiling (top-1)        P {:.4}  R {:.4}  F1 {:.4} ({} of {} matched rows settleable); achieved {:.1} % of the ceiling F1",
        f("precision"),
        f("recall"),
        f("f1"),
        n("settleable"),
        n("rows_with_match"),
        100.0 * e.top1.f1 / f("f1"),
    );
}

fn run_dedupe(
    args: &MatchArgs,
    path: &Path,
    maps: &[(Option<MapSide>, ColumnMap)],
    cfg: &LinkConfig,
    start: Instant,
) -> anyhow::Result<()> {
    let file = read_input(path, map_for(maps, None), &[], args.quiet)?;
    let pb = spinner(
        args.quiet,
        format!("deduplicating {} records", file.records.len()),
    );
    let t0 = Instant::now();
    let result = baoho_match::dedupe(&file.records, cfg);
    let t_match = t0.elapsed();
    pb.finish_and_clear();
    if let Some(out) = &args.out {
        let f = std::fs::File::create(out)
            .with_context(|| format!("cannot create {}", out.display()))?;
        let mut w = csv::Writer::from_writer(std::io::BufWriter::new(f));
        w.write_record(["cluster", "id"])?;
        for (ci, cluster) in result.clusters.iter().enumerate() {
            for &i in cluster {
                if let Some(r) = file.records.get(i) {
                    w.write_record([(ci + 1).to_string().as_str(), r.id.as_str()])?;
                }
            }
        }
        w.flush()?;
        w.into_inner()
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .flush()?;
    }
    let in_clusters: usize = result.clusters.iter().map(Vec::len).sum();
    let reviews = result
        .pairs
        .iter()
        .filter(|p| p.decision == Decision::Review)
        .count();
    println!(
        "records {} (bad {}), clusters {} holding {} records, pairs for review {}",
        file.records.len(),
        file.bad_rows.len(),
        result.clusters.len(),
        in_clusters,
        reviews
    );
    println!("wall time {:.2?} (dedupe {:.2?})", start.elapsed(), t_match);
    if let Some(out) = &args.out {
        println!("clusters → {}", out.display());
    }
    if let Some(tp) = &args.truth {
        let truth = read_clusters(tp).with_context(|| format!("reading {}", tp.display()))?;
        let e = evaluate_dedupe(&file.records, &result, &truth);
        println!("\n{}", e.report());
    }
    let _ = std::io::stdout().flush();
    Ok(())
}

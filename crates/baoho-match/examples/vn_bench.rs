//! Vietnamese benchmark: a synthetic registry and a corrupted deportee list from `baoho-gen`,
//! linked with thresholds chosen without labels; compared with the generator's oracle ceiling.
//!
//! `cargo run --release -p baoho-match --example vn_bench -- REGISTRY LIST [MATCH_SHARE] [SEED] [--no-ceiling]`

use baoho_gen::{Generator, SynthPerson, ceiling, make_list};
use baoho_match::{Decision, LinkConfig, Record, link};
use std::collections::HashMap;
use std::time::Instant;

/// A registry record, moving the person's strings (no second copy of a million records).
fn registry_record(p: SynthPerson) -> Record {
    let name = p.full_name();
    let mut given = p.middle_names.join(" ");
    if !given.is_empty() {
        given.push(' ');
    }
    given.push_str(&p.given_name);
    Record {
        id: p.id,
        name,
        family_name: Some(p.family_name),
        given_name: Some(given),
        dob: Some(p.dob.to_string()),
        sex: Some(p.sex.code().to_owned()),
        hometown: Some(p.hometown),
        passport: p.passport,
        national_id: Some(p.national_id),
        phone: Some(p.phone),
        address: Some(p.address),
        ..Record::default()
    }
}

fn peak_rss_mib() -> f64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// CPU seconds (user + system) this process has used, from /proc/self/stat.
fn cpu_secs() -> f64 {
    let s = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = s.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let tick = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // Fields 14 and 15 of the file (utime, stime), 11 and 12 after the command name.
    (tick(11) + tick(12)) / 100.0
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let num = |i: usize, d: usize| args.get(i).and_then(|s| s.parse().ok()).unwrap_or(d);
    let n_reg = num(0, 100_000);
    let n_list = num(1, 10_000);
    let share: f64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(0.8);
    let seed = num(3, 7) as u64;
    let want_ceiling = !args.iter().any(|a| a == "--no-ceiling");
    let t = Instant::now();
    let people = Generator::new(seed).registry(n_reg);
    let (rows, truth) = make_list(&people, n_list, share, seed + 1);
    let ceil = want_ceiling.then(|| ceiling(&people, &rows, &truth));
    let list: Vec<Record> = rows
        .iter()
        .map(|r| Record {
            id: r.list_id.clone(),
            name: r.full_name.clone(),
            dob: r.dob.clone(),
            sex: r.sex.clone(),
            hometown: r.hometown.clone(),
            passport: r.passport.clone(),
            national_id: r.national_id.clone(),
            ..Record::default()
        })
        .collect();
    let registry: Vec<Record> = people.into_iter().map(registry_record).collect();
    eprintln!("generated in {:.1}s", t.elapsed().as_secs_f64());
    let reg_pos: HashMap<&str, usize> = registry
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.as_str(), i))
        .collect();
    let true_of: Vec<Option<usize>> = truth
        .iter()
        .map(|t| {
            t.registry_id
                .as_deref()
                .and_then(|id| reg_pos.get(id).copied())
        })
        .collect();
    drop(reg_pos);
    // Reset the peak-RSS counter so VmHWM reports the linkage's own peak.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let rss_before = peak_rss_mib();
    // Keep the compared pairs so blocking recall is exact (`--no-pairs` to leave them out).
    let cfg = LinkConfig {
        keep_compared: !args.iter().any(|a| a == "--no-pairs"),
        ..LinkConfig::default()
    };
    let t = Instant::now();
    let cpu0 = cpu_secs();
    let res = link(&registry, &list, &cfg);
    let wall = t.elapsed().as_secs_f64();
    let cpu = cpu_secs() - cpu0;
    let rss = peak_rss_mib();

    let mut best: Vec<Option<(usize, Decision, f64)>> = vec![None; list.len()];
    let mut covered = vec![false; list.len()];
    let mut listed = vec![false; list.len()];
    for c in &res.candidates {
        if best[c.list_idx].is_none() {
            best[c.list_idx] = Some((c.reg_idx, c.decision, c.probability));
        }
        if true_of[c.list_idx] == Some(c.reg_idx) {
            listed[c.list_idx] = true;
        }
        if c.decision != Decision::NonMatch && true_of[c.list_idx] == Some(c.reg_idx) {
            covered[c.list_idx] = true;
        }
    }
    let with_match = true_of.iter().filter(|t| t.is_some()).count();
    let (mut auto, mut auto_ok, mut review_rows) = (0usize, 0usize, 0usize);
    let mut scored: Vec<(f64, bool)> = Vec::new();
    for (i, b) in best.iter().enumerate() {
        if let Some((j, d, p)) = b {
            let ok = true_of[i] == Some(*j);
            scored.push((*p, ok));
            match d {
                Decision::Match => {
                    auto += 1;
                    auto_ok += usize::from(ok);
                }
                Decision::Review => review_rows += 1,
                Decision::NonMatch => {}
            }
        }
    }
    if let Ok(v) = std::env::var("VN_DEBUG") {
        let limit: usize = v.parse().unwrap_or(20);
        // VN_DEBUG_MISSES: only rows whose true person is neither matched nor in review.
        let misses_only = std::env::var_os("VN_DEBUG_MISSES").is_some();
        let mut shown = 0;
        for (i, t) in true_of.iter().enumerate() {
            let Some(j) = t else { continue };
            let auto_ok = matches!(best[i], Some((b, Decision::Match, _)) if b == *j);
            let skip = if misses_only { covered[i] } else { auto_ok };
            if skip || shown >= limit {
                continue;
            }
            shown += 1;
            println!(
                "ROW {:?} {:?}\n  TRUE {:?}\n  oracle {} compared {}",
                list[i],
                truth[i].applied,
                registry[*j],
                ceil.as_ref().map_or(0, |c| c.row_sizes[i]),
                res.was_compared(i, *j)
            );
            let cands: Vec<_> = res.candidates.iter().filter(|c| c.list_idx == i).collect();
            if !cands.iter().any(|c| c.reg_idx == *j) {
                println!("  (true person not among candidates)");
            }
            for c in cands {
                let lv: Vec<String> = c
                    .explanation
                    .fields
                    .iter()
                    .filter(|f| f.level != "null")
                    .map(|f| format!("{}={}({:.1})", f.field, f.level, f.log2_weight))
                    .collect();
                println!(
                    "  cand {} {} p={:.4} w={:.1} {:?} true={} {}",
                    registry[c.reg_idx].id,
                    registry[c.reg_idx].name,
                    c.probability,
                    c.match_weight,
                    c.decision,
                    c.reg_idx == *j,
                    lv.join(" ")
                );
            }
        }
    }
    if let Ok(path) = std::env::var("VN_DUMP") {
        use std::fmt::Write as _;
        let mut out = String::from("list,reg,p,decision,is_true,has_true,levels\n");
        for c in &res.candidates {
            let lv: Vec<&str> = c
                .explanation
                .fields
                .iter()
                .map(|f| f.level.as_ref())
                .collect();
            let _ = writeln!(
                out,
                "{},{},{},{:?},{},{},{}",
                c.list_idx,
                c.reg_idx,
                c.probability,
                c.decision,
                u8::from(true_of[c.list_idx] == Some(c.reg_idx)),
                u8::from(true_of[c.list_idx].is_some()),
                lv.join("|")
            );
        }
        let _ = std::fs::write(path, out);
    }
    let precision = auto_ok as f64 / auto.max(1) as f64;
    let recall = auto_ok as f64 / with_match.max(1) as f64;
    let f1 = 2.0 * precision * recall / (precision + recall).max(1e-12);
    // Best F1 over thresholds on the best candidate's probability (uses labels: reference only).
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    let (mut tp, mut n, mut best_f1) = (0usize, 0usize, 0.0f64);
    for (_, ok) in &scored {
        n += 1;
        tp += usize::from(*ok);
        let p = tp as f64 / n as f64;
        let r = tp as f64 / with_match.max(1) as f64;
        best_f1 = best_f1.max(2.0 * p * r / (p + r).max(1e-12));
    }
    let coverage = covered.iter().filter(|&&c| c).count() as f64 / with_match.max(1) as f64;
    let listed_share = listed.iter().filter(|&&c| c).count() as f64 / with_match.max(1) as f64;
    println!("true person among returned candidates (any decision): {listed_share:.5}");
    if cfg.keep_compared {
        // Rows whose true person is not on screen, by where it was lost.
        let (mut blocked, mut not_blocked, mut cut, mut non_match) = (0usize, 0, 0, 0);
        for (i, t) in true_of.iter().enumerate() {
            let Some(j) = *t else { continue };
            let was = res.was_compared(i, j);
            blocked += usize::from(was);
            if covered[i] {
                continue;
            }
            if !was {
                not_blocked += 1;
            } else if listed[i] {
                non_match += 1;
            } else {
                cut += 1;
            }
        }
        println!(
            "blocking recall (exact) {:.5} | true person off screen: not compared {not_blocked}, compared but not returned {cut}, returned as non-match {non_match}",
            blocked as f64 / with_match.max(1) as f64
        );
        if let Some(c) = &ceil {
            // Off-screen rows by the oracle's consistent-set size: above REVIEW_TIE_CAP no
            // screen of that size can be sure to hold the person.
            let mut by: std::collections::BTreeMap<&str, [usize; 3]> = Default::default();
            for (i, t) in true_of.iter().enumerate() {
                let Some(j) = *t else { continue };
                if !covered[i] {
                    let k = match c.row_sizes[i] {
                        0..=1 => "1",
                        2..=5 => "2-5",
                        6..=20 => "6-20",
                        21..=50 => "21-50",
                        _ => "51+",
                    };
                    let why = if !res.was_compared(i, j) {
                        0
                    } else if listed[i] {
                        2
                    } else {
                        1
                    };
                    by.entry(k).or_default()[why] += 1;
                }
            }
            println!(
                "off-screen rows by oracle consistent-set size [not compared, not returned, non-match]: {by:?}"
            );
            // The best any matcher could do with a screen of REVIEW_TIE_CAP lines: every row
            // with at most that many consistent persons on screen, the others by chance.
            let bound = |cap: f64| {
                true_of
                    .iter()
                    .enumerate()
                    .filter(|(_, t)| t.is_some())
                    .map(|(i, _)| (cap / f64::from(c.row_sizes[i].max(1))).min(1.0))
                    .sum::<f64>()
                    / with_match.max(1) as f64
            };
            let caps = [baoho_match::REVIEW_TIE_CAP, 50, 100, 200];
            let bounds: Vec<String> = caps
                .iter()
                .map(|&k| format!("{k}: {:.5}", bound(k as f64)))
                .collect();
            println!(
                "on-screen bound by lines per row (oracle's consistent sets, chance above): {}",
                bounds.join(", ")
            );
        }
    }
    println!(
        "registry {n_reg} list {n_list} (with match {with_match}) | wall {wall:.3}s cpu {cpu:.2}s | peak RSS {rss:.0} MiB (base {rss_before:.0}) | pairs {}",
        res.stats.pairs_compared
    );
    println!(
        "auto-match precision {precision:.5} recall {recall:.5} F1 {f1:.5} | best-threshold F1 {best_f1:.5} | true in match+review {coverage:.5} | review rows {review_rows} ({:.2}%)",
        100.0 * review_rows as f64 / list.len().max(1) as f64
    );
    if let Some(c) = ceil {
        println!(
            "oracle ceiling: F1 {:.5} recall {:.5} settleable {} / {} | sizes {:?}",
            c.f1, c.recall, c.settleable, c.rows_with_match, c.consistent_sizes
        );
    }
    println!(
        "thresholds match {:.3} review {:.3} | lambda {:.3e} match share {:.3} | patterns {} | EM iters {} | ms prep {:.0} block {:.0} train {:.0} score {:.0}",
        res.stats.match_threshold,
        res.stats.review_threshold,
        res.stats.lambda,
        res.stats.match_share,
        res.stats.patterns,
        res.stats.em_iterations,
        res.stats.prepare_ms,
        res.stats.blocking_ms,
        res.stats.training_ms,
        res.stats.scoring_ms
    );
    for r in &res.stats.rules {
        println!(
            "  rule {:<62} pairs {:>9} new {:>9} skipped blocks {}",
            r.rule, r.pairs, r.new_pairs, r.skipped_blocks
        );
    }
}

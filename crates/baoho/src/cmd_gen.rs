//! `baoho gen`: synthetic labelled data (registry, corrupted list, truth).
//!
//! ```text
//! baoho gen --registry R.csv --list L.csv --truth T.csv --size 1000000 --list-size 10000 --seed 42
//! baoho gen --persons 5000 --out persons.csv
//! baoho gen --persons 100000 --dupes 0.1 --out F.csv --truth F.truth.csv
//! ```
//!
//! With `--dupes`, a share of the people get one to three duplicate records (retyped names,
//! renewed passports, new phones…) and the truth file says which records are one person
//! (`id,cluster`), for `baoho match --dedupe F.csv --truth F.truth.csv`.
//!
//! With a list, the oracle ceiling (see `baoho_gen::ceiling`) is computed and written beside
//! the truth as `T.ceiling.json`, where `baoho match --truth T.csv` finds it.

use anyhow::Context;
use baoho_gen::{
    Generator, ceiling, make_duplicates, make_list, write_clusters, write_list, write_registry,
    write_truth,
};
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(clap::Args, Debug)]
pub struct GenArgs {
    /// Registry CSV to write.
    #[arg(long, value_name = "R.csv")]
    pub registry: Option<PathBuf>,
    /// Corrupted deportee list CSV to write (needs --registry).
    #[arg(long, value_name = "L.csv")]
    pub list: Option<PathBuf>,
    /// Truth CSV to write: list_id, registry_id, corruption (default: beside the list).
    #[arg(long, value_name = "T.csv")]
    pub truth: Option<PathBuf>,
    /// Registry size.
    #[arg(long, default_value_t = 100_000)]
    pub size: usize,
    /// List rows.
    #[arg(long, default_value_t = 1_000)]
    pub list_size: usize,
    /// Share of list rows that are registry people (the rest are not in the registry).
    #[arg(long, default_value_t = 0.8)]
    pub match_share: f64,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Write a plain file of N synthetic people (with --out) instead.
    #[arg(long, value_name = "N")]
    pub persons: Option<usize>,
    /// With --persons: give this share of people one to three duplicate records, and write the
    /// clusters truth (`id,cluster`) to --truth (default: beside --out).
    #[arg(long, value_name = "SHARE")]
    pub dupes: Option<f64>,
    /// Output file for --persons.
    #[arg(long, value_name = "persons.csv")]
    pub out: Option<PathBuf>,
    /// Skip the oracle ceiling.
    #[arg(long)]
    pub no_ceiling: bool,
}

fn create(path: &Path) -> anyhow::Result<BufWriter<File>> {
    let f = File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    Ok(BufWriter::with_capacity(1 << 20, f))
}

/// `T.csv` → `T.ceiling.json`.
pub fn ceiling_path(truth: &Path) -> PathBuf {
    truth.with_extension("ceiling.json")
}

pub fn run(args: GenArgs) -> anyhow::Result<()> {
    let start = Instant::now();
    if let Some(n) = args.persons {
        let out = args.out.as_deref().context("--persons needs --out FILE")?;
        let people = Generator::new(args.seed).registry(n);
        if let Some(share) = args.dupes {
            if !(0.0..=1.0).contains(&share) {
                anyhow::bail!("--dupes must be between 0 and 1");
            }
            let (records, truth) = make_duplicates(&people, share, args.seed);
            write_registry(create(out)?, &records)
                .with_context(|| format!("writing {}", out.display()))?;
            let tpath = args
                .truth
                .clone()
                .unwrap_or_else(|| out.with_extension("truth.csv"));
            write_clusters(create(&tpath)?, &truth)
                .with_context(|| format!("writing {}", tpath.display()))?;
            eprintln!(
                "wrote {} records of {n} people to {}, clusters → {} in {:.2?}",
                records.len(),
                out.display(),
                tpath.display(),
                start.elapsed()
            );
            return Ok(());
        }
        write_registry(create(out)?, &people)
            .with_context(|| format!("writing {}", out.display()))?;
        eprintln!(
            "wrote {n} people to {} in {:.2?}",
            out.display(),
            start.elapsed()
        );
        return Ok(());
    }
    let Some(reg_path) = args.registry.as_deref() else {
        anyhow::bail!(
            "give --registry R.csv (with --list L.csv --truth T.csv), or --persons N --out F.csv"
        );
    };
    if !(0.0..=1.0).contains(&args.match_share) {
        anyhow::bail!("--match-share must be between 0 and 1");
    }
    let people = Generator::new(args.seed).registry(args.size);
    let t_gen = start.elapsed();
    write_registry(create(reg_path)?, &people)
        .with_context(|| format!("writing {}", reg_path.display()))?;
    eprintln!(
        "registry: {} people → {} (generated in {t_gen:.2?}, written in {:.2?})",
        people.len(),
        reg_path.display(),
        start.elapsed() - t_gen
    );

    let Some(list_path) = args.list.as_deref() else {
        return Ok(());
    };
    let t0 = Instant::now();
    let (rows, truth) = make_list(&people, args.list_size, args.match_share, args.seed);
    write_list(create(list_path)?, &rows)
        .with_context(|| format!("writing {}", list_path.display()))?;
    let truth_path = args
        .truth
        .clone()
        .unwrap_or_else(|| list_path.with_extension("truth.csv"));
    write_truth(create(&truth_path)?, &truth)
        .with_context(|| format!("writing {}", truth_path.display()))?;
    let matched = truth.iter().filter(|t| t.registry_id.is_some()).count();
    eprintln!(
        "list: {} rows ({matched} in the registry) → {}, truth → {} ({:.2?})",
        rows.len(),
        list_path.display(),
        truth_path.display(),
        t0.elapsed()
    );

    if !args.no_ceiling {
        let t0 = Instant::now();
        let c = ceiling(&people, &rows, &truth);
        let cpath = ceiling_path(&truth_path);
        let json = serde_json::to_string_pretty(&c)?;
        std::fs::write(&cpath, json).with_context(|| format!("writing {}", cpath.display()))?;
        eprintln!(
            "ceiling: {} of {} matched rows settleable → top-1 P 1.000 R {:.3} F1 {:.3} (consistent-set sizes {:?}; {:.2?}) → {}",
            c.settleable,
            c.rows_with_match,
            c.recall,
            c.f1,
            c.consistent_sizes,
            t0.elapsed(),
            cpath.display()
        );
        if c.true_inconsistent > 0 {
            eprintln!(
                "warning: the oracle missed {} true people (a generator bug)",
                c.true_inconsistent
            );
        }
    }
    eprintln!("done in {:.2?}", start.elapsed());
    Ok(())
}

//! `baoho bench search`: latency of the person registry's folded-name search on a large
//! synthetic registry (SQLite).
//!
//! The registry is made of `baoho-gen` persons imported through [`Persons::import`] (the same
//! checks, encryption and audit rows as a real import) by an HQ officer, spread over a few
//! missions. The queries are names drawn from the generated registry as an officer types them,
//! and each is timed around one [`Persons::search`] call, its audit row (and commit) included.
//! Nothing personal is printed: only counts and times.

use crate::bench::SplitMix64;
use anyhow::{Context, bail};
use baoho_domain::access::{AgencyKind, Restricted, Role};
use baoho_domain::person::{Document, DocumentKind, PersonInput, PersonQuery, Sex};
use baoho_domain::text::fold;
use baoho_gen::{Generator, SynthPerson};
use baoho_store::Identity;
use baoho_store::{Backend, DatabaseUrl, Keyring, OpenMode, Persons, RefData, Store};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(clap::Args, Debug)]
pub struct SearchArgs {
    /// Synthetic persons in the registry.
    #[arg(long, default_value_t = 1_000_000)]
    persons: usize,
    /// Searches measured per officer (an HQ officer, then a mission officer).
    #[arg(long, default_value_t = 2000)]
    queries: usize,
    /// SQLite database URL. Default: a temporary directory, deleted afterwards (with --keep:
    /// `sqlite://baoho-bench/search-N.db`, kept and reused by the next run with --keep).
    /// An existing database is only reused if an earlier run of this bench filled it with the
    /// same number of persons and seed; any other existing file is refused.
    #[arg(long, value_name = "sqlite://PATH")]
    database: Option<String>,
    /// Keep the database for the next run instead of deleting it.
    #[arg(long)]
    keep: bool,
    /// Seed of the synthetic registry and of the query draw.
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Persons per import transaction.
    #[arg(long, default_value_t = 2000)]
    batch: usize,
}

/// Where the bench records what it imported, beside the database file.
#[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
struct Marker {
    persons: usize,
    seed: u64,
    batch: usize,
    import_secs: f64,
}

const HQ_USER: &str = "bench.hq";
const MISSION_USER: &str = "bench.tokyo";
const MISSION: &str = "EMB-JP-TOKYO";
/// Searches run before the measured ones (not counted): the first query of a process pays
/// for preparing statements.
const WARM_UP: usize = 20;

/// Where the synthetic persons live now: (country, mission, share). Real codes from
/// `baoho-domain/refdata/missions.csv`.
const PLACES: &[(&str, &str, f64)] = &[
    ("JP", "EMB-JP-TOKYO", 0.25),
    ("JP", "CG-JP-OSAKA", 0.10),
    ("KR", "EMB-KR-SEOUL", 0.20),
    ("TW", "REP-TW-TAIPEI", 0.20),
    ("MY", "EMB-MY-KUALALUMPUR", 0.10),
    ("TH", "EMB-TH-BANGKOK", 0.10),
    ("DE", "EMB-DE-BERLIN", 0.05),
];

/// Share of persons in a restricted category (visible to their creator, not to the mission).
const RESTRICTED_SHARE: f64 = 0.01;

pub fn run(a: SearchArgs) -> anyhow::Result<()> {
    if a.persons == 0 || a.queries == 0 || a.batch == 0 {
        bail!("--persons, --queries and --batch must be at least 1");
    }
    let (url, tmp) =
        crate::bench::bench_database(a.database.as_deref(), a.keep, "search", a.persons)?;
    if url.backend() != Backend::Sqlite {
        bail!("bench search runs on a SQLite file (sqlite://PATH)");
    }
    let path = PathBuf::from(url.sqlite_path().unwrap_or_default());
    let marker_path = PathBuf::from(format!("{}.bench.json", path.display()));
    let reuse = if path.exists() {
        let marker: Option<Marker> = std::fs::read_to_string(&marker_path)
            .ok()
            .and_then(|s| serde_json::from_str(&s).ok());
        match marker {
            Some(m) if m.persons == a.persons && m.seed == a.seed => Some(m),
            _ => bail!(
                "{} exists but was not filled by `baoho bench search` with {} persons (seed {}); \
                 remove it or choose another --database",
                path.display(),
                a.persons,
                a.seed
            ),
        }
    } else {
        None
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let result = rt.block_on(bench(&a, &url, &path, &marker_path, reuse));
    if a.keep && tmp.is_none() && result.is_ok() {
        println!("  kept {url} for the next run");
    }
    drop(tmp);
    result
}

async fn bench(
    a: &SearchArgs,
    url: &DatabaseUrl,
    path: &Path,
    marker_path: &Path,
    reuse: Option<Marker>,
) -> anyhow::Result<()> {
    let store = baoho_store::open(url, OpenMode::CreateIfMissing).await?;
    store.load_reference_data(&RefData::embedded()).await?;
    let keys = Arc::new(Keyring::generate("bench")?);
    let hq = crate::bench::officer(
        store.as_ref(),
        HQ_USER,
        Role::HqOfficer,
        AgencyKind::ConsularDepartment,
        "CD",
    )
    .await?;
    let tokyo = crate::bench::officer(
        store.as_ref(),
        MISSION_USER,
        Role::MissionOfficer,
        AgencyKind::Mission,
        MISSION,
    )
    .await?;

    // The persons whose names become queries, chosen before generation (uniformly).
    let total = a.queries + WARM_UP;
    let mut draw = SplitMix64(a.seed ^ 0x005E_A2C4);
    let mut wanted: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for q in 0..total {
        wanted.entry(draw.below(a.persons)).or_default().push(q);
    }
    let mut picked: Vec<Option<SynthPerson>> = vec![None; total];

    let mut generator = Generator::new(a.seed);
    let mut place_rng = SplitMix64(a.seed ^ 0x0091_ACE5);
    let import = match reuse {
        Some(m) => {
            // Same seed, same persons: only their names are needed again.
            for i in 0..a.persons {
                let p = generator.person();
                keep_if_wanted(&wanted, &mut picked, i, &p);
            }
            Imported {
                secs: m.import_secs,
                batch: m.batch,
                reused: true,
            }
        }
        None => {
            let h = handle(store.as_ref(), &keys, &hq, "bench-import");
            let t0 = Instant::now();
            let mut done = 0usize;
            while done < a.persons {
                let n = a.batch.min(a.persons - done);
                let mut batch = Vec::with_capacity(n);
                for i in done..done + n {
                    let p = generator.person();
                    keep_if_wanted(&wanted, &mut picked, i, &p);
                    batch.push(input_of(&p, &mut place_rng));
                }
                h.import(batch)
                    .await
                    .with_context(|| format!("importing persons {}–{}", done + 1, done + n))?;
                done += n;
                let secs = t0.elapsed().as_secs_f64();
                eprint!(
                    "\rimported {done} / {} persons ({:.0} persons/s)   ",
                    a.persons,
                    done as f64 / secs.max(1e-9)
                );
                let _ = std::io::stderr().flush();
            }
            eprintln!();
            let m = Marker {
                persons: a.persons,
                seed: a.seed,
                batch: a.batch,
                import_secs: t0.elapsed().as_secs_f64(),
            };
            std::fs::write(marker_path, serde_json::to_string_pretty(&m)?)
                .with_context(|| format!("writing {}", marker_path.display()))?;
            Imported {
                secs: m.import_secs,
                batch: m.batch,
                reused: false,
            }
        }
    };

    let queries: Vec<PersonQuery> = picked
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let text = match p {
                Some(p) => query_text(p, i),
                None => String::new(),
            };
            PersonQuery {
                text,
                birth_year: None,
                limit: 0,
            }
        })
        .collect();
    if queries.iter().any(|q| q.text.is_empty()) {
        bail!("internal error: a query person was not generated");
    }

    let hq_stats = measure(store.as_ref(), &keys, &hq, &queries).await?;
    let tokyo_stats = measure(store.as_ref(), &keys, &tokyo, &queries).await?;
    store.close().await;

    let size = |p: &Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    let main = size(path);
    let wal = size(&PathBuf::from(format!("{}-wal", path.display())));
    let mib = |b: u64| b as f64 / (1024.0 * 1024.0);

    println!(
        "bench search: {} synthetic persons, SQLite ({}), {} queries per officer",
        a.persons,
        if import.reused {
            "database reused"
        } else {
            "database built now"
        },
        a.queries
    );
    println!(
        "  import: {:.1} s, {:.0} persons/s (batches of {}, one transaction and one audit row per person each){}",
        import.secs,
        a.persons as f64 / import.secs.max(1e-9),
        import.batch,
        if import.reused {
            "; measured when the database was built"
        } else {
            ""
        }
    );
    println!(
        "  database size: {:.1} MiB ({:.1} MiB file + {:.1} MiB WAL)",
        mib(main + wal),
        mib(main),
        mib(wal)
    );
    println!(
        "  queries: names drawn from the registry, by thirds: full name folded in lower case, \
         family + given name folded, full name in upper case with diacritics; {WARM_UP} warm-up \
         searches per officer not counted; each time includes the search's audit row and commit"
    );
    hq_stats.print("HQ officer (CD, whole registry)");
    tokyo_stats.print(&format!("mission officer ({MISSION}, scoped)"));
    Ok(())
}

struct Imported {
    secs: f64,
    batch: usize,
    reused: bool,
}

fn keep_if_wanted(
    wanted: &BTreeMap<usize, Vec<usize>>,
    picked: &mut [Option<SynthPerson>],
    i: usize,
    p: &SynthPerson,
) {
    if let Some(slots) = wanted.get(&i) {
        for &q in slots {
            picked[q] = Some(p.clone());
        }
    }
}

/// The query an officer would type for `p`; the form rotates with `i`.
fn query_text(p: &SynthPerson, i: usize) -> String {
    match i % 3 {
        0 => fold(&p.full_name()),
        1 => fold(&format!("{} {}", p.family_name, p.given_name)),
        _ => p.full_name().to_uppercase(),
    }
}

/// The person as the registry import gets them.
fn input_of(p: &SynthPerson, rng: &mut SplitMix64) -> PersonInput {
    let mut r = rng.unit();
    let mut place = PLACES[0];
    for pl in PLACES {
        if r < pl.2 {
            place = *pl;
            break;
        }
        r -= pl.2;
    }
    let restricted = if rng.unit() < RESTRICTED_SHARE {
        vec![Restricted::Trafficking]
    } else {
        vec![]
    };
    PersonInput {
        full_name: p.full_name(),
        birth: Some(p.dob),
        sex: match p.sex {
            baoho_gen::Sex::Male => Sex::Male,
            baoho_gen::Sex::Female => Sex::Female,
        },
        hometown: p.hometown.clone(),
        nationality: "VN".into(),
        country: place.0.into(),
        mission: place.1.into(),
        restricted,
        documents: p
            .passport
            .iter()
            .map(|n| Document {
                kind: DocumentKind::Passport,
                number: n.clone(),
                issuing_country: "VN".into(),
                issued_by: String::new(),
                issued_on: None,
                expires_on: None,
            })
            .collect(),
        ..Default::default()
    }
}

fn handle(s: &dyn Store, keys: &Arc<Keyring>, who: &Identity, request_id: &str) -> Persons {
    Persons::new(
        s,
        keys.clone(),
        crate::bench::access(who, request_id, chrono::Utc::now()),
    )
}

struct Stats {
    times: Vec<Duration>,
    hits: Vec<usize>,
    more: usize,
}

/// Run every query once as `who` (warm-up first), timing each [`Persons::search`] call.
async fn measure(
    s: &dyn Store,
    keys: &Arc<Keyring>,
    who: &Identity,
    queries: &[PersonQuery],
) -> anyhow::Result<Stats> {
    let (warm, measured) = queries.split_at(WARM_UP.min(queries.len()));
    for (i, q) in warm.iter().enumerate() {
        handle(s, keys, who, &format!("bench-warm-{i}"))
            .search(q)
            .await?;
    }
    let mut stats = Stats {
        times: Vec::with_capacity(measured.len()),
        hits: Vec::with_capacity(measured.len()),
        more: 0,
    };
    for (i, q) in measured.iter().enumerate() {
        let request = format!("bench-search-{i}");
        let t0 = Instant::now();
        let r = handle(s, keys, who, &request).search(q).await?;
        stats.times.push(t0.elapsed());
        stats.hits.push(r.hits.len());
        stats.more += usize::from(r.more);
    }
    Ok(stats)
}

impl Stats {
    fn print(&self, who: &str) {
        let n = self.times.len();
        let mut h = self.hits.clone();
        h.sort_unstable();
        let mean_hits = h.iter().sum::<usize>() as f64 / n as f64;
        let none = h.iter().filter(|&&x| x == 0).count();
        println!("  {who}:");
        println!(
            "    latency: {} ({n} searches)",
            crate::bench::Latency::of(&self.times)
        );
        println!(
            "    hits per query: mean {:.1}, median {}, max {}; {} of {n} at the page limit (more exist), {} without a hit",
            mean_hits,
            h[(n - 1) / 2],
            h[n - 1],
            self.more,
            none
        );
    }
}

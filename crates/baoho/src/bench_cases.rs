//! `baoho bench cases`: audited case writes per second, and the work-queue page's latency on a
//! large case load (SQLite, or PostgreSQL with `--database postgres://…`).
//!
//! Every case is created through [`Cases::create`] (one write transaction with its audit row,
//! answered once it is committed and on disk, exactly what `POST /cases` does), by mission officers of
//! 15 missions. The work queue is timed as `queue_page` in `baoho-server` builds it:
//! [`Cases::work_queue`] (mine and open, overdue, awaiting approval for a head of mission, new,
//! new since the last look, referrals awaiting approval, referral answers since the last look:
//! read concurrently, one audit row) beside the incoming transfers. Before it is measured, some
//! referrals are made on the officers' own cases so that the referral lists read a table that
//! has rows.
//! Nothing personal is generated: summaries are fixed text.

use crate::bench::SplitMix64;
use anyhow::{Context, bail};
use baoho_domain::access::{AgencyKind, Role};
use baoho_domain::case::case_types;
use baoho_store::Identity;
use baoho_store::{
    Backend, CaseFilter, CaseIntake, Cases, DatabaseUrl, Keyring, OpenMode, RefData, Store,
};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

#[derive(clap::Args, Debug)]
pub struct CasesArgs {
    /// Open cases the database is filled to before the work queue is measured.
    #[arg(long, default_value_t = 100_000)]
    open_cases: usize,
    /// Audited case creations measured (on top of the fill).
    #[arg(long, default_value_t = 4000)]
    writes: usize,
    /// Concurrent tasks creating cases (the fill uses them too).
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// Work-queue pages measured per viewer (a mission officer, a head of mission).
    #[arg(long, default_value_t = 500)]
    queries: usize,
    /// Database URL: `sqlite://PATH` or `postgres://…`. Default: a SQLite file in a temporary
    /// directory, deleted afterwards (with --keep: `sqlite://baoho-bench/cases-N.db`, kept and
    /// reused). An existing SQLite file is only reused if this bench created it; a PostgreSQL
    /// database gets the bench's accounts and cases (use a throwaway one).
    #[arg(long, value_name = "URL")]
    database: Option<String>,
    /// Keep the SQLite database for the next run instead of deleting it.
    #[arg(long)]
    keep: bool,
    /// Seed of the synthetic cases.
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Referrals made (through `Cases::refer`, each on a case opened for it, by the officers
    /// of the missions in their shares) before the work queue is measured: a third without
    /// consent (awaiting approval), a third to the case country's state with its answer
    /// recorded, a third sent to the police.
    #[arg(long, default_value_t = 300)]
    referrals: usize,
}

/// Written beside a SQLite database the bench created.
#[derive(serde::Serialize, serde::Deserialize, Debug)]
struct Marker {
    created_by: String,
    seed: u64,
    /// Cases the bench has created in it so far (all open: the bench changes no status).
    cases: usize,
}

/// (mission, country, share of the cases). Real codes from `baoho-domain/refdata/missions.csv`.
/// The measured officers work at Tokyo, whose jurisdiction (JP) also covers Osaka's cases.
const MISSIONS: &[(&str, &str, f64)] = &[
    ("EMB-JP-TOKYO", "JP", 0.20),
    ("CG-JP-OSAKA", "JP", 0.06),
    ("EMB-KR-SEOUL", "KR", 0.10),
    ("CG-KR-BUSAN", "KR", 0.04),
    ("REP-TW-TAIPEI", "TW", 0.10),
    ("EMB-MY-KUALALUMPUR", "MY", 0.06),
    ("EMB-TH-BANGKOK", "TH", 0.06),
    ("EMB-DE-BERLIN", "DE", 0.05),
    ("EMB-CN-BEIJING", "CN", 0.06),
    ("EMB-LA-VIENTIANE", "LA", 0.05),
    ("EMB-KH-PHNOMPENH", "KH", 0.05),
    ("EMB-GB-LONDON", "GB", 0.04),
    ("EMB-FR-PARIS", "FR", 0.03),
    ("CG-AU-SYDNEY", "AU", 0.04),
    ("EMB-PH-MANILA", "PH", 0.06),
];
/// Mission officers per mission; cases of a mission are spread over them.
const OFFICERS: usize = 4;
/// Cases are opened up to this many days before the run (so a share is overdue).
const SPREAD_DAYS: f64 = 30.0;
const HQ_USER: &str = "bench.cases.hq";
const HOM_USER: &str = "bench.cases.tokyo.hom";
const WARM_UP: usize = 10;

pub fn run(a: CasesArgs) -> anyhow::Result<()> {
    if a.writes == 0 || a.queries == 0 || a.concurrency == 0 {
        bail!("--writes, --queries and --concurrency must be at least 1");
    }
    let (url, tmp) =
        crate::bench::bench_database(a.database.as_deref(), a.keep, "cases", a.open_cases)?;
    let mut reused = None;
    let mut marker_path = None;
    if url.backend() == Backend::Sqlite {
        let path = PathBuf::from(url.sqlite_path().unwrap_or_default());
        let mp = PathBuf::from(format!("{}.bench.json", path.display()));
        if path.exists() {
            let marker: Option<Marker> = std::fs::read_to_string(&mp)
                .ok()
                .and_then(|s| serde_json::from_str(&s).ok());
            match marker {
                Some(m) if m.created_by == "bench cases" && m.seed == a.seed => {
                    reused = Some(m.cases)
                }
                _ => bail!(
                    "{} exists but was not created by `baoho bench cases` (seed {}); \
                     remove it or choose another --database",
                    path.display(),
                    a.seed
                ),
            }
        } else {
            if let Some(dir) = path.parent()
                && !dir.as_os_str().is_empty()
            {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("creating {}", dir.display()))?;
            }
            write_marker(&mp, a.seed, 0)?;
        }
        marker_path = Some(mp);
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let result = rt.block_on(bench(&a, &url, reused, marker_path.as_deref()));
    if a.keep && tmp.is_none() && result.is_ok() {
        println!("  kept the database for the next run");
    }
    drop(tmp);
    result
}

struct Staff {
    /// Mission officers by mission (index in [`MISSIONS`]).
    officers: Vec<Vec<Identity>>,
    hq: Identity,
    hom: Identity,
}

fn write_marker(path: &std::path::Path, seed: u64, cases: usize) -> anyhow::Result<()> {
    let m = Marker {
        created_by: "bench cases".into(),
        seed,
        cases,
    };
    std::fs::write(path, serde_json::to_string_pretty(&m)?)
        .with_context(|| format!("writing {}", path.display()))
}

/// `reused`: the cases an earlier run created in this SQLite database (its marker).
async fn bench(
    a: &CasesArgs,
    url: &DatabaseUrl,
    reused: Option<usize>,
    marker: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    let store = baoho_store::open(url, OpenMode::CreateIfMissing).await?;
    store.load_reference_data(&RefData::embedded()).await?;
    // The envelopes are encrypted with a throwaway key: the bench never reads them back after
    // the run, and a reused database is only listed (summaries are not encrypted).
    let keys = Arc::new(Keyring::generate("bench")?);
    let staff = staff(store.as_ref()).await?;
    let backend = match url.backend() {
        Backend::Sqlite => "SQLite",
        Backend::Postgres => "PostgreSQL",
    };

    // Fill up to --open-cases open cases (whatever an earlier run left counts). Restricted
    // cases are listed only to their members, so the HQ count is a lower bound: a SQLite
    // database's marker knows the exact number.
    let existing = match reused {
        Some(n) => n,
        None => usize::try_from(open_cases(store.as_ref(), &keys, &staff.hq).await?)?,
    };
    let fill_n = a.open_cases.saturating_sub(existing);
    let fill = if fill_n > 0 {
        let r = create_many(
            store.clone(),
            keys.clone(),
            &staff,
            fill_n,
            a.concurrency,
            a.seed,
            true,
            "filling",
        )
        .await?;
        eprintln!();
        if let Some(m) = marker {
            write_marker(m, a.seed, existing + fill_n)?;
        }
        Some(r)
    } else {
        None
    };

    // The measured writes: now, on the filled database.
    let writes = create_many(
        store.clone(),
        keys.clone(),
        &staff,
        a.writes,
        a.concurrency,
        a.seed ^ 0x0057_17E5,
        false,
        "measured writes",
    )
    .await?;
    eprintln!();
    if let Some(m) = marker {
        write_marker(m, a.seed, existing + fill_n + a.writes)?;
    }

    let referrals = refer_some(
        store.as_ref(),
        &keys,
        &staff,
        a.referrals,
        a.seed ^ 0x0005_EFE5,
    )
    .await?;
    if let Some(m) = marker {
        write_marker(m, a.seed, existing + fill_n + a.writes + referrals.0)?;
    }

    let tokyo = staff.officers[0][0].clone();
    let officer_q = queue(store.as_ref(), &keys, &tokyo, a.queries).await?;
    let hom_q = queue(store.as_ref(), &keys, &staff.hom, a.queries).await?;
    let total_open = open_cases(store.as_ref(), &keys, &staff.hq).await?;
    let durability = store.durability().await?;
    store.close().await;

    println!(
        "bench cases: {backend} ({}), {} missions, {} open cases now ({total_open} of them unrestricted, seen by HQ)",
        if existing > 0 {
            "database reused"
        } else {
            "database built now"
        },
        MISSIONS.len(),
        existing + fill_n + a.writes + referrals.0
    );
    println!(
        "  durability: journal {}, synchronous {}",
        durability.journal, durability.synchronous
    );
    match &fill {
        Some(f) => println!(
            "  fill: {} cases in {:.1} s, {:.0} cases/s ({} tasks; opened over the last {SPREAD_DAYS} days)",
            f.n,
            f.wall.as_secs_f64(),
            f.rate(),
            a.concurrency
        ),
        None => println!("  fill: none needed ({existing} open cases already there)"),
    }
    println!(
        "  writes: {} audited case creations (Cases::create: the case, its member, its first timeline entry and the create audit row in one transaction, committed and synced before it returns) from {} tasks in {:.2} s",
        writes.n,
        a.concurrency,
        writes.wall.as_secs_f64()
    );
    println!("    writes/s: {:.0}", writes.rate());
    println!(
        "    per write: {}",
        crate::bench::Latency::of(&writes.times)
    );
    println!(
        "  referrals: {} made before the queue was measured, each on a case opened for it ({} awaiting approval, {} with a recorded answer) in {:.1} s",
        referrals.0,
        referrals.0.div_ceil(3),
        referrals.0 / 3,
        referrals.1.as_secs_f64()
    );
    officer_q.print(&format!(
        "work queue, mission officer ({}, {} officers there)",
        MISSIONS[0].0, OFFICERS
    ));
    hom_q.print(&format!("work queue, head of mission ({})", MISSIONS[0].0));
    Ok(())
}

async fn staff(s: &dyn Store) -> anyhow::Result<Staff> {
    let mut officers = Vec::new();
    for (code, _, _) in MISSIONS {
        let mut v = Vec::new();
        for k in 0..OFFICERS {
            let user = format!("bench.cases.{}.{k}", code.to_ascii_lowercase());
            v.push(
                crate::bench::officer(s, &user, Role::MissionOfficer, AgencyKind::Mission, code)
                    .await?,
            );
        }
        officers.push(v);
    }
    Ok(Staff {
        officers,
        hq: crate::bench::officer(
            s,
            HQ_USER,
            Role::HqOfficer,
            AgencyKind::ConsularDepartment,
            "CD",
        )
        .await?,
        hom: crate::bench::officer(
            s,
            HOM_USER,
            Role::HeadOfMission,
            AgencyKind::Mission,
            MISSIONS[0].0,
        )
        .await?,
    })
}

fn handle(
    s: &dyn Store,
    keys: &Arc<Keyring>,
    who: &Identity,
    request_id: String,
    at: chrono::DateTime<chrono::Utc>,
) -> Cases {
    Cases::new(s, keys.clone(), crate::bench::access(who, request_id, at))
}

/// Open cases in the whole system (an HQ officer's count).
async fn open_cases(s: &dyn Store, keys: &Arc<Keyring>, hq: &Identity) -> anyhow::Result<i64> {
    let page = handle(s, keys, hq, "bench-count".into(), chrono::Utc::now())
        .list(&CaseFilter {
            open_only: true,
            limit: 1,
            ..Default::default()
        })
        .await?;
    Ok(page.total)
}

struct Writes {
    n: usize,
    wall: Duration,
    times: Vec<Duration>,
}

impl Writes {
    fn rate(&self) -> f64 {
        self.n as f64 / self.wall.as_secs_f64().max(1e-9)
    }
}

/// Create `n` cases from `tasks` concurrent tasks; case i is drawn from `seed` and i. With
/// `backdate`, each case is opened at a time up to [`SPREAD_DAYS`] in the past.
#[allow(clippy::too_many_arguments)]
async fn create_many(
    store: Arc<dyn Store>,
    keys: Arc<Keyring>,
    staff: &Staff,
    n: usize,
    tasks: usize,
    seed: u64,
    backdate: bool,
    what: &'static str,
) -> anyhow::Result<Writes> {
    let next = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicUsize::new(0));
    let officers = Arc::new(staff.officers.clone());
    let t0 = Instant::now();
    let now = chrono::Utc::now();
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..tasks {
        let (store, keys, next, done, officers) = (
            store.clone(),
            keys.clone(),
            next.clone(),
            done.clone(),
            officers.clone(),
        );
        set.spawn(async move {
            let mut times = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    break;
                }
                let mut rng = SplitMix64(seed ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
                let (m, intake) = intake(&mut rng, i);
                let who = &officers[m][rng.below(OFFICERS)];
                let at = if backdate {
                    now - chrono::Duration::seconds((rng.unit() * SPREAD_DAYS * 86_400.0) as i64)
                } else {
                    chrono::Utc::now()
                };
                let h = handle(store.as_ref(), &keys, who, format!("bench-case-{i}"), at);
                let t = Instant::now();
                h.create(intake)
                    .await
                    .with_context(|| format!("creating case {i}"))?;
                times.push(t.elapsed());
                let d = done.fetch_add(1, Ordering::Relaxed) + 1;
                if d % 500 == 0 || d == n {
                    let secs = t0.elapsed().as_secs_f64();
                    eprint!(
                        "\r{what}: {d} / {n} cases ({:.0} cases/s)   ",
                        d as f64 / secs.max(1e-9)
                    );
                    let _ = std::io::stderr().flush();
                }
            }
            anyhow::Ok(times)
        });
    }
    let mut times = Vec::with_capacity(n);
    while let Some(r) = set.join_next().await {
        times.extend(r.context("a writer task panicked")??);
    }
    Ok(Writes {
        n,
        wall: t0.elapsed(),
        times,
    })
}

/// Make `n` referrals, sequentially, each on a case its officer opens for it now (the cases of
/// the fill were encrypted under an earlier run's throwaway key, and referring reads the case):
/// referral i is without consent (awaiting the head of mission) when i % 3 == 0, to the case
/// country's state with an answer recorded when i % 3 == 1, and to the police with consent
/// otherwise. Returns how many and how long.
async fn refer_some(
    s: &dyn Store,
    keys: &Arc<Keyring>,
    staff: &Staff,
    n: usize,
    seed: u64,
) -> anyhow::Result<(usize, Duration)> {
    let t0 = Instant::now();
    for i in 0..n {
        let mut rng = SplitMix64(seed ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let (m, intake) = intake(&mut rng, i);
        let who = &staff.officers[m][rng.below(OFFICERS)];
        let h = handle(
            s,
            keys,
            who,
            format!("bench-referral-{i}"),
            chrono::Utc::now(),
        );
        let case = h
            .create(intake)
            .await
            .with_context(|| format!("case for referral {i}"))?;
        let consent = i % 3 != 0;
        let agency = if i % 3 == 1 {
            format!("STATE-{}", MISSIONS[m].1)
        } else {
            "MPS".to_owned()
        };
        let r = h
            .refer(
                &case.summary.id,
                baoho_store::NewReferral {
                    agency,
                    purpose: "Verify the citizen's identity and nationality".into(),
                    fields: vec!["identity".into(), "location".into()],
                    consent: consent.then(|| baoho_store::ConsentInput {
                        given_by: baoho_store::ConsentGiver::Person,
                        given_by_name: String::new(),
                        purpose: baoho_store::ConsentPurpose::IdentityVerification,
                        given_on: chrono::Utc::now().date_naive(),
                        method: baoho_store::ConsentMethod::InPerson,
                    }),
                    override_reason: if consent {
                        String::new()
                    } else {
                        "The citizen cannot be reached to consent in time".into()
                    },
                },
            )
            .await
            .with_context(|| format!("referral {i}"))?;
        if i % 3 == 1 {
            h.record_state_answer(&case.summary.id, &r.id, "acknowledged", "")
                .await
                .with_context(|| format!("answer to referral {i}"))?;
        }
    }
    Ok((n, t0.elapsed()))
}

/// A synthetic intake (no personal data) and the index of its mission.
fn intake(rng: &mut SplitMix64, i: usize) -> (usize, CaseIntake) {
    let mut r = rng.unit();
    let mut m = 0;
    for (k, pl) in MISSIONS.iter().enumerate() {
        if r < pl.2 {
            m = k;
            break;
        }
        r -= pl.2;
        m = k;
    }
    let types = case_types();
    let ty = &types[rng.below(types.len())];
    let priority = match rng.below(10) {
        0 => "urgent",
        1 | 2 => "high",
        3..=7 => "normal",
        _ => "low",
    };
    let channel = ["hotline", "mission", "partner", "portal"][rng.below(4)];
    (
        m,
        CaseIntake {
            case_type: ty.code.clone(),
            priority: priority.into(),
            channel: channel.into(),
            country: MISSIONS[m].1.into(),
            city: String::new(),
            mission: MISSIONS[m].0.into(),
            summary: format!(
                "Synthetic benchmark case {i}: a citizen asked the mission for help; \
                 details to follow after the first call."
            ),
            reporter: "Benchmark reporter".into(),
            reporter_contact: "+00 000 0000".into(),
            persons: vec![],
            details: Default::default(),
        },
    )
}

struct Queue {
    pages: Vec<Duration>,
    /// Per list: (name, total matching items on the last page).
    lists: Vec<(&'static str, String)>,
}

/// Time the work-queue page's reads for `who`, `q` times (warm-up first), as `queue_page`
/// in `baoho-server` makes them: [`Cases::work_queue`] (its lists concurrently, one audit row
/// and the record of the look) beside the incoming transfers.
async fn queue(
    s: &dyn Store,
    keys: &Arc<Keyring>,
    who: &Identity,
    q: usize,
) -> anyhow::Result<Queue> {
    let mut out = Queue {
        pages: Vec::with_capacity(q),
        lists: Vec::new(),
    };
    for i in 0..q + WARM_UP {
        // One handle per page, as the server makes one per request.
        let h = handle(s, keys, who, format!("bench-queue-{i}"), chrono::Utc::now());
        let t0 = Instant::now();
        let (wq, _incoming) = tokio::try_join!(h.work_queue(), h.incoming_transfers())?;
        if i >= WARM_UP {
            out.pages.push(t0.elapsed());
            out.lists = vec![
                ("mine and open", wq.mine.shown_total()),
                ("overdue", wq.overdue.shown_total()),
                ("awaiting approval", wq.approvals.shown_total()),
                ("new, not yet assessed", wq.unassessed.shown_total()),
                ("new since the last look", wq.since_last_look.shown_total()),
                (
                    "referrals awaiting approval",
                    wq.referral_approvals.shown_total(),
                ),
                (
                    "referral answers since the last look",
                    wq.referral_answers.shown_total(),
                ),
            ];
        }
    }
    Ok(out)
}

impl Queue {
    fn print(&self, who: &str) {
        println!("  {who}:");
        println!(
            "    page (work queue: 7 lists read concurrently, each counted up to 1000, one audit row and commit; incoming transfers beside it): {} ({} pages)",
            crate::bench::Latency::of(&self.pages),
            self.pages.len()
        );
        let totals: Vec<String> = self
            .lists
            .iter()
            .map(|(name, total)| format!("{name} {total}"))
            .collect();
        println!("    lists: {}", totals.join(", "));
    }
}

//! `baoho bench audit-touched`: the auditor's report "every person one account touched in the
//! last 30 days" (issue #14 check 9: under 60 s over 1,000,000 audit rows), on a synthetic
//! hash-chained trail loaded into an empty database (SQLite by default, PostgreSQL with
//! `--database postgres://…`).
//!
//! The trail spans `--days` days ending now. Its accounts act with a skew: the busiest one
//! writes 5 % of the rows (the report's worst case), the others share the rest. The rows are
//! what the server writes: reads of one person, searches and duplicate checks naming the
//! persons returned (ADR 0018), case list exports naming a few hundred, incoming-transfer
//! listings, case updates, refusals and sign-ins. Ids only, drawn from the benches' own
//! deterministic source ([`SplitMix64`]), so a seed gives the same trail. The report is the
//! store.s [`baoho_store::Store::audit_touched`], as the audit page and API call it.

use crate::bench::SplitMix64;
use anyhow::{Context, bail};
use baoho_store::audit::{AuditAction, AuditEntry, AuditFilter, AuditOutcome, TouchedQuery};
use baoho_store::{Backend, DatabaseUrl, OpenMode};
use chrono::{DateTime, Duration as Days, Utc};
use std::io::Write;
use std::time::{Duration, Instant};

#[derive(clap::Args, Debug)]
pub struct AuditTouchedArgs {
    /// Audit rows in the synthetic trail.
    #[arg(long, default_value_t = 1_000_000)]
    rows: usize,
    /// Accounts acting in it.
    #[arg(long, default_value_t = 300)]
    accounts: usize,
    /// Persons they see.
    #[arg(long, default_value_t = 200_000)]
    persons: usize,
    /// Days the trail spans, ending now (the report reads the last 30).
    #[arg(long, default_value_t = 90)]
    days: u32,
    /// Database URL: `sqlite://PATH` or `postgres://…`, whose audit trail must be empty (the
    /// bench appends synthetic rows). Default: a SQLite file in a temporary directory.
    #[arg(long, value_name = "URL")]
    database: Option<String>,
    /// Seed of the synthetic trail.
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Report runs per account (min, median and max are printed).
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// Also time `audit verify` (the chain and the subject index) over the whole trail.
    #[arg(long)]
    verify: bool,
}

/// Rows generated and appended at a time (memory stays flat whatever `--rows`).
const CHUNK: usize = 10_000;

/// The busiest account's share of the rows.
const BUSIEST_SHARE: f64 = 0.05;

pub fn run(a: AuditTouchedArgs) -> anyhow::Result<()> {
    if a.rows == 0 || a.accounts < 2 || a.persons == 0 || a.days == 0 || a.runs == 0 {
        bail!("--rows, --persons, --days and --runs must be at least 1, --accounts at least 2");
    }
    let (url, tmp) = match &a.database {
        Some(db) => (db.clone(), None),
        None => {
            let dir = tempfile::Builder::new()
                .prefix("baoho-bench-audit-")
                .tempdir()
                .context("creating a temporary directory")?;
            let url = format!("sqlite://{}", dir.path().join("bench.db").display());
            (url, Some(dir))
        }
    };
    let url = DatabaseUrl::parse(&url)?;
    if url.is_memory() {
        bail!("bench audit-touched needs a database file or server (not :memory:)");
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let result = rt.block_on(bench(&a, &url));
    drop(tmp);
    result
}

fn account(i: usize) -> String {
    format!("acc-bench-{i:04}")
}

/// A person id shaped like the registry's (a UUID v7).
fn person(n: usize) -> String {
    format!("01900000-0000-7000-8000-{n:012x}")
}

/// What the generator wrote, to print beside the figures.
#[derive(Default)]
struct Drawn {
    subjects: u64,
    with_subjects: u64,
    /// Rows of each measured account in the report's window.
    in_window: [u64; 2],
}

/// The synthetic trail, a chunk at a time, in time order.
struct Trail {
    rng: SplitMix64,
    rows: usize,
    next: usize,
    start: DateTime<Utc>,
    span: Days,
    window_from: DateTime<Utc>,
    accounts: usize,
    persons: usize,
    drawn: Drawn,
}

impl Trail {
    fn persons_drawn(&mut self, lo: usize, hi: usize) -> Vec<String> {
        let n = lo + self.rng.below(hi - lo + 1);
        (0..n)
            .map(|_| person(self.rng.below(self.persons)))
            .collect()
    }

    fn entry(&mut self) -> AuditEntry {
        let i = self.next;
        self.next += 1;
        // Evenly spread over the span, in seq order (the store's clock only moves forward).
        let span_us = i128::from(self.span.num_microseconds().unwrap_or(i64::MAX));
        let offset = span_us * i as i128 / self.rows as i128;
        let at = self.start + Days::microseconds(i64::try_from(offset).unwrap_or(i64::MAX));
        let who = if self.rng.unit() < BUSIEST_SHARE {
            0
        } else {
            1 + self.rng.below(self.accounts - 1)
        };
        if who < 2 && at >= self.window_from {
            self.drawn.in_window[who] += 1;
        }
        let base = |action| {
            AuditEntry::new(at, account(who), action, AuditOutcome::Allowed)
                .role("mission_officer")
                .agency("EMB-JP-TOKYO")
                .purpose("bench")
                .request(format!("req-{i}"))
        };
        let kind = self.rng.unit();
        let e = if kind < 0.50 {
            base(AuditAction::Read).object("person", person(self.rng.below(self.persons)))
        } else if kind < 0.70 {
            let hits = self.persons_drawn(0, 20);
            base(AuditAction::Search).subjects(hits)
        } else if kind < 0.75 {
            let hits = self.persons_drawn(1, 5);
            base(AuditAction::Search)
                .purpose("duplicate check")
                .subjects(hits)
        } else if kind < 0.752 {
            let hits = self.persons_drawn(20, 500);
            base(AuditAction::Export).object("case", "").subjects(hits)
        } else if kind < 0.755 {
            let hits = self.persons_drawn(1, 3);
            base(AuditAction::Search)
                .object("transfer", "")
                .subjects(hits)
        } else if kind < 0.85 {
            base(AuditAction::Update).object("case", format!("case-{}", self.rng.below(50_000)))
        } else if kind < 0.90 {
            base(AuditAction::Read)
                .object("person", person(self.rng.below(self.persons)))
                .with_action(AuditAction::Read, AuditOutcome::Denied)
        } else {
            base(AuditAction::Login).object("session", "")
        };
        if !e.subjects.is_empty() {
            self.drawn.with_subjects += 1;
            self.drawn.subjects += e.subjects.len() as u64;
        }
        e
    }

    fn chunk(&mut self) -> Vec<AuditEntry> {
        let n = CHUNK.min(self.rows - self.next);
        (0..n).map(|_| self.entry()).collect()
    }
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

async fn bench(a: &AuditTouchedArgs, url: &DatabaseUrl) -> anyhow::Result<()> {
    let store = baoho_store::open(url, OpenMode::CreateIfMissing).await?;
    let any = store
        .audit_query(&AuditFilter {
            limit: 1,
            ..Default::default()
        })
        .await?;
    if !any.is_empty() {
        bail!(
            "the database already holds an audit trail: the bench appends synthetic rows, \
             give it an empty database"
        );
    }
    let backend = match url.backend() {
        Backend::Sqlite => "SQLite",
        Backend::Postgres => "PostgreSQL",
    };
    let now = Utc::now();
    let span = Days::days(i64::from(a.days));
    let window_from = now - Days::days(30);
    let mut trail = Trail {
        rng: SplitMix64(a.seed),
        rows: a.rows,
        next: 0,
        start: now - span,
        span,
        window_from,
        accounts: a.accounts,
        persons: a.persons,
        drawn: Drawn::default(),
    };

    // Load: generated a chunk at a time (not timed), appended through the store (timed).
    let mut load = Duration::ZERO;
    while trail.next < trail.rows {
        let chunk = trail.chunk();
        let t0 = Instant::now();
        store.append_audit_many(&chunk).await?;
        load += t0.elapsed();
        eprint!("\r  loading: {} / {} rows", trail.next, trail.rows);
        let _ = std::io::stderr().flush();
    }
    eprintln!();
    let d = &trail.drawn;
    println!(
        "bench audit-touched on {backend}: {} audit rows over {} days, {} accounts, {} persons (seed {})",
        a.rows, a.days, a.accounts, a.persons, a.seed
    );
    println!(
        "  load: {:.1} s ({:.0} rows/s; {} rows name {} persons in all, ADR 0018's subjects; a thousand rows per transaction, hash-chained)",
        secs(load),
        a.rows as f64 / secs(load).max(1e-9),
        d.with_subjects,
        d.subjects
    );

    for (which, label) in [(0usize, "busiest account"), (1, "a typical account")] {
        let q = TouchedQuery {
            actor: account(which),
            from: Some(window_from),
            ..Default::default()
        };
        let mut times = Vec::with_capacity(a.runs);
        let mut objects = Vec::new();
        for _ in 0..a.runs {
            let t0 = Instant::now();
            objects = store.audit_touched(&q).await?;
            times.push(t0.elapsed());
        }
        times.sort();
        let persons = objects.iter().filter(|o| o.object_kind == "person").count();
        let in_lists = objects
            .iter()
            .filter(|o| o.object_kind == "person" && o.seen_in_lists > 0)
            .count();
        println!(
            "  report, {label} ({} rows in the last 30 days): min {:.3} s, median {:.3} s, max {:.3} s over {} runs; {} persons touched ({} of them seen in lists), {} objects in all",
            d.in_window[which],
            secs(times[0]),
            secs(times[times.len() / 2]),
            secs(times[times.len() - 1]),
            a.runs,
            persons,
            in_lists,
            objects.len()
        );
    }

    if a.verify {
        let t0 = Instant::now();
        let v = store.verify_audit().await?;
        println!(
            "  verify: {} rows (chain and subject index) in {:.1} s: {}",
            v.rows,
            secs(t0.elapsed()),
            if v.is_ok() { "intact" } else { "BROKEN" }
        );
        if !v.is_ok() {
            bail!("the synthetic trail does not verify: {:?}", v.broken);
        }
    }
    store.close().await;
    Ok(())
}

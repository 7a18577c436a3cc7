//! `baoho bench …`: benchmarks that print figures (recorded in docs/benchmarks.md).

use anyhow::{Context, bail};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    #[command(subcommand)]
    what: What,
}

#[derive(clap::Subcommand, Debug)]
enum What {
    /// Start-up time of `baoho serve` on an existing database: from process start until
    /// `/readyz` answers 200, over several runs.
    Startup {
        /// Database URL (created and migrated first if it is a SQLite file that is missing).
        #[arg(long, default_value = "sqlite://baoho-bench/startup.db")]
        database: String,
        /// Number of runs.
        #[arg(long, default_value_t = 20)]
        runs: usize,
    },
    /// Latency of the person registry's folded-name search on N synthetic persons (SQLite):
    /// p50/p90/p99/max/mean for an HQ officer and for a mission officer's scoped search.
    Search(crate::bench_search::SearchArgs),
    /// Audited case writes per second (SQLite, or PostgreSQL with --database postgres://…) and
    /// the work-queue page's latency with N open cases: p50/p99 for a mission officer and a
    /// head of mission.
    Cases(crate::bench_cases::CasesArgs),
    /// The intake duplicate warning's matcher on N synthetic persons (in memory): build and
    /// training time, memory, candidate query latency p50/p90/p99, and how often a folded,
    /// reordered or misspelled name with its date of birth finds its person first.
    Dupes(crate::bench_dupes::DupesArgs),
    /// The auditor's "every person one account touched in 30 days" over a synthetic trail of
    /// N audit rows (SQLite, or PostgreSQL with --database postgres://…): load time, report
    /// time, persons in the report.
    AuditTouched(crate::bench_audit::AuditTouchedArgs),
}

pub fn run(a: BenchArgs) -> anyhow::Result<()> {
    match a.what {
        What::Startup { database, runs } => startup(&database, runs.max(1)),
        What::Search(a) => crate::bench_search::run(a),
        What::Cases(a) => crate::bench_cases::run(a),
        What::Dupes(a) => crate::bench_dupes::run(a),
        What::AuditTouched(a) => crate::bench_audit::run(a),
    }
}

fn startup(database: &str, runs: usize) -> anyhow::Result<()> {
    let exe = std::env::current_exe().context("locating the baoho binary")?;
    // Make sure the database exists and is migrated, so every run measures an existing one.
    let status = Command::new(&exe)
        .args(["migrate", "--database", database])
        .stdout(Stdio::null())
        .status()?;
    if !status.success() {
        bail!("baoho migrate failed for {database}");
    }
    // serve needs the field-encryption key: the configured one, else a throwaway for the bench
    // (the first run records its key check in the database; later runs check against it).
    let key_file = match std::env::var_os("BAOHO_KEY_FILE") {
        Some(k) => std::path::PathBuf::from(k),
        None => {
            let Some(path) = database.strip_prefix("sqlite://") else {
                bail!("set BAOHO_KEY_FILE to the database's key file");
            };
            let p = std::path::PathBuf::from(format!("{path}.bench-keys"));
            if !p.exists() {
                baoho_store::crypto::generate_key_file(&p, None)?;
            }
            p
        }
    };
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t0 = Instant::now();
        let mut child = Command::new(&exe)
            .args(["serve", "--listen", "127.0.0.1:0", "--database", database])
            .env("BAOHO_LOG_LEVEL", "warn")
            .env("BAOHO_KEY_FILE", &key_file)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let stdout = child.stdout.take().context("no stdout")?;
        let (tx, rx) = std::sync::mpsc::channel::<String>();
        // Keep draining stdout: a closed pipe would kill the server at its next line.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(rest) = line.trim().strip_prefix("Baoho is running at http://") {
                    let _ = tx.send(rest.split('/').next().unwrap_or_default().to_owned());
                }
            }
        });
        let addr = rx
            .recv_timeout(Duration::from_secs(30))
            .context("server did not print its address")?;
        // The address is printed after the listener is bound, so this connection queues
        // until the server accepts it: no polling needed.
        if !ready(&addr) {
            let _ = child.kill();
            bail!("server at {addr} did not answer /readyz with 200");
        }
        times.push(t0.elapsed());
        let _ = child.kill();
        let _ = child.wait();
    }
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let p50 = times[times.len() / 2];
    let max = times[times.len() - 1];
    println!("bench startup: {runs} runs of `baoho serve` on {database}");
    println!(
        "  process start → /readyz 200: min {:.1} ms, p50 {:.1} ms, max {:.1} ms",
        ms(times[0]),
        ms(p50),
        ms(max)
    );
    Ok(())
}

/// One `GET /readyz` over plain HTTP/1.1; true on 200.
fn ready(addr: &str) -> bool {
    let Ok(mut s) = TcpStream::connect(addr) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(30)));
    if s.write_all(
        format!("GET /readyz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .is_err()
    {
        return false;
    }
    let mut buf = [0u8; 16];
    matches!(s.read(&mut buf), Ok(n) if n >= 12 && &buf[9..12] == b"200")
}

/// A small deterministic random source for the benches' own draws (where persons live, which
/// names become queries, which cases are made), kept apart from the generator's stream and
/// stable across versions of `rand`, so a kept bench database matches its seed.
pub(crate) struct SplitMix64(pub(crate) u64);

impl SplitMix64 {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in 0..n (n ≥ 1; the modulo bias is negligible for n ≪ 2^64).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Latency figures of a list of timings, in milliseconds: nearest-rank percentiles, the
/// maximum and the mean (every bench prints these the same way).
pub(crate) struct Latency {
    pub(crate) p50: f64,
    pub(crate) p90: f64,
    pub(crate) p99: f64,
    pub(crate) max: f64,
    pub(crate) mean: f64,
}

impl Latency {
    pub(crate) fn of(times: &[Duration]) -> Latency {
        let mut t = times.to_vec();
        t.sort();
        let n = t.len().max(1);
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let at = |p: f64| {
            t.get(((p * n as f64).ceil() as usize).clamp(1, n) - 1)
                .map_or(0.0, |d| ms(*d))
        };
        Latency {
            p50: at(0.50),
            p90: at(0.90),
            p99: at(0.99),
            max: t.last().map_or(0.0, |d| ms(*d)),
            mean: t.iter().map(|d| ms(*d)).sum::<f64>() / n as f64,
        }
    }
}

impl std::fmt::Display for Latency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms, mean {:.2} ms",
            self.p50, self.p90, self.p99, self.max, self.mean
        )
    }
}

/// Where a bench's database lives: the one given, a kept file under `baoho-bench/` named
/// after the bench and its size (with --keep), or a temporary directory deleted when the
/// returned guard is dropped.
pub(crate) fn bench_database(
    given: Option<&str>,
    keep: bool,
    bench: &str,
    size: usize,
) -> anyhow::Result<(baoho_store::DatabaseUrl, Option<tempfile::TempDir>)> {
    let (url, tmp) = match (given, keep) {
        (Some(db), _) => (db.to_owned(), None),
        (None, true) => (format!("sqlite://baoho-bench/{bench}-{size}.db"), None),
        (None, false) => {
            let dir = tempfile::Builder::new()
                .prefix(&format!("baoho-bench-{bench}-"))
                .tempdir()
                .context("creating a temporary directory")?;
            let url = format!("sqlite://{}", dir.path().join("bench.db").display());
            (url, Some(dir))
        }
    };
    let url = baoho_store::DatabaseUrl::parse(&url)?;
    if url.is_memory() {
        bail!("bench {bench} needs a database file or server (not :memory:)");
    }
    Ok((url, tmp))
}

/// The bench's staff account `username` (created on first use, with no usable password: nobody
/// can sign in as the bench) and its identity.
pub(crate) async fn officer(
    s: &dyn baoho_store::Store,
    username: &str,
    role: baoho_domain::access::Role,
    kind: baoho_domain::access::AgencyKind,
    code: &str,
) -> anyhow::Result<baoho_store::Identity> {
    use baoho_store::audit::{AuditAction, AuditEntry, AuditOutcome};
    let accounts = baoho_store::Accounts::new(s);
    let account = match accounts.by_username(username).await? {
        Some(a) => a,
        None => {
            accounts
                .create(
                    &baoho_store::NewAccount {
                        username: username.into(),
                        display_name: format!("Benchmark {username}"),
                        role,
                        agency: baoho_domain::access::Agency {
                            kind,
                            code: code.into(),
                        },
                        supervisor_id: None,
                        password_hash: "!bench".into(),
                        demo: false,
                    },
                    AuditEntry::system(
                        chrono::Utc::now(),
                        AuditAction::Create,
                        AuditOutcome::Allowed,
                    ),
                )
                .await?
        }
    };
    Ok(accounts.identity(&account).await?)
}

/// The access context of one bench request made by `who`.
pub(crate) fn access(
    who: &baoho_store::Identity,
    request_id: impl Into<String>,
    at: chrono::DateTime<chrono::Utc>,
) -> baoho_store::AccessCtx {
    baoho_store::AccessCtx {
        who: who.clone(),
        request_id: request_id.into(),
        purpose: String::new(),
        at,
    }
}

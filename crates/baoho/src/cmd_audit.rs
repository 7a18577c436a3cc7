//! `baoho audit …`: the audit trail from the command line.

use anyhow::{Context, bail};
use baoho_server::config::{Config, Overrides};
use baoho_store::audit::checkpoint;
use baoho_store::{DatabaseUrl, OpenMode};
use std::path::{Path, PathBuf};

#[derive(clap::Args, Debug)]
pub struct AuditArgs {
    #[command(subcommand)]
    what: What,
}

#[derive(clap::Subcommand, Debug)]
enum What {
    /// Recompute the audit hash chain: prints OK with the row count and the head, or the first
    /// broken link (and exits non-zero).
    ///
    /// With --checkpoints and --public-key, also compares the chain with every signed
    /// checkpoint there: a head below a checkpoint (rows cut off) or a different hash at a
    /// checkpointed seq (the chain recomputed) fails.
    Verify {
        /// Database URL (default: the configuration's `database`).
        #[arg(long, value_name = "URL")]
        database: Option<String>,
        /// The folder of signed checkpoints (`baoho audit checkpoint --out`).
        #[arg(long, value_name = "DIR", requires = "public_key")]
        checkpoints: Option<PathBuf>,
        /// The checkpoint signer's public key file (`baoho audit keygen` writes FILE.pub).
        #[arg(long, value_name = "FILE", requires = "checkpoints")]
        public_key: Option<PathBuf>,
    },
    /// Write a new Ed25519 checkpoint-signing key: FILE (secret, mode 0600, never overwritten)
    /// and FILE.pub. Keep the secret outside the database server and its backups.
    Keygen {
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Verify the chain and write a signed checkpoint of its head (seq, hash, time) into DIR.
    Checkpoint {
        #[arg(long, value_name = "URL")]
        database: Option<String>,
        /// The secret key file from `baoho audit keygen`.
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
        /// Where checkpoints are kept (created if missing); best on another machine.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
}

pub fn run(file: Option<&Path>, a: AuditArgs) -> anyhow::Result<()> {
    match a.what {
        What::Verify {
            database,
            checkpoints,
            public_key,
        } => verify(file, database, checkpoints.zip(public_key)),
        What::Keygen { out } => {
            let public = checkpoint::generate_key(&out)?;
            println!(
                "wrote {} (secret, keep it off the database server) and {} (public)",
                out.display(),
                public.display()
            );
            Ok(())
        }
        What::Checkpoint { database, key, out } => {
            let url = database_url(file, database)?;
            let key = checkpoint::signing_key(&key)?;
            runtime()?.block_on(async {
                let store = baoho_store::open_existing(&url).await?;
                let r =
                    checkpoint::checkpoint(store.as_ref(), &key, &out, chrono::Utc::now()).await;
                store.close().await;
                match r? {
                    Some((path, c)) => {
                        println!("checkpoint: seq {} hash {} at {}", c.seq, c.hash, c.at);
                        println!("wrote {}", path.display());
                    }
                    None => println!("the audit trail is empty: no checkpoint written"),
                }
                Ok(())
            })
        }
    }
}

/// The database URL from the flag, the environment or the configuration file.
pub fn database_url(file: Option<&Path>, database: Option<String>) -> anyhow::Result<DatabaseUrl> {
    let config = config_with(file, database)?;
    Ok(DatabaseUrl::parse(&config.database)?)
}

/// The configuration, with the database given by the flag if any.
pub fn config_with(file: Option<&Path>, database: Option<String>) -> anyhow::Result<Config> {
    let o = Overrides {
        database,
        ..Default::default()
    };
    Ok(Config::load(file, std::env::vars(), &o)?)
}

pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

fn verify(
    file: Option<&Path>,
    database: Option<String>,
    anchors: Option<(PathBuf, PathBuf)>,
) -> anyhow::Result<()> {
    let url = database_url(file, database)?;
    let key = anchors
        .as_ref()
        .map(|(_, k)| checkpoint::verifying_key(k))
        .transpose()?;
    runtime()?.block_on(async {
        let store = baoho_store::open(&url, OpenMode::MustExist).await?;
        let v = store.verify_audit().await;
        let anchored = match (&anchors, &key) {
            (Some((dir, _)), Some(key)) => Some(checkpoint::verify(store.as_ref(), dir, key).await),
            _ => None,
        };
        store.close().await;
        let v = v?;
        if let Some(report) = anchored {
            let report = report?;
            for p in &report.problems {
                println!("checkpoint FAILED: {p}");
            }
            if !report.is_ok() {
                bail!(
                    "the audit trail of {url} does not match its signed checkpoints ({} problems)",
                    report.problems.len()
                );
            }
            println!(
                "checkpoints OK: {} signed checkpoints match",
                report.checked
            );
        }
        match &v.broken {
            None => {
                println!("audit chain OK: {} rows", v.rows);
                if v.rows > 0 {
                    println!("head: seq {} hash {}", v.last_seq, v.last_hash);
                }
                Ok(())
            }
            Some(b) => {
                println!("audit chain BROKEN at seq {}: {}", b.seq, b.kind);
                println!(
                    "{} rows checked; last good row: seq {} hash {}",
                    v.rows, v.last_seq, v.last_hash
                );
                bail!("the audit chain of {url} is broken at seq {}", b.seq)
            }
        }
    })
}

/// The scheduled checkpoints of `serve`: when the configuration names a signing key and a
/// folder, a task that writes a signed checkpoint of the chain's head every
/// `audit_checkpoint_interval_secs` (the first one at start). An unreadable key stops the start.
pub fn spawn_checkpoints(
    config: &Config,
    store: std::sync::Arc<dyn baoho_store::Store>,
) -> anyhow::Result<Option<tokio::task::JoinHandle<()>>> {
    let (key, dir) = match (&config.audit_checkpoint_key, &config.audit_checkpoint_dir) {
        (Some(k), Some(d)) => (k, d.clone()),
        (None, None) => return Ok(None),
        _ => {
            bail!("audit_checkpoint_key and audit_checkpoint_dir go together: set both or neither")
        }
    };
    let key = checkpoint::signing_key(key)
        .with_context(|| format!("reading the audit checkpoint key {}", key.display()))?;
    let every = std::time::Duration::from_secs(config.audit_checkpoint_interval_secs.max(1));
    Ok(Some(tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            match checkpoint::checkpoint(store.as_ref(), &key, &dir, chrono::Utc::now()).await {
                Ok(Some((path, c))) => {
                    tracing::info!(seq = c.seq, file = %path.display(), "audit checkpoint written");
                }
                Ok(None) => {}
                Err(e) => tracing::error!(error = %e, "audit checkpoint failed"),
            }
        }
    })))
}

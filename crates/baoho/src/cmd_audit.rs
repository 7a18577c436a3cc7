//! `baoho audit …`: the audit trail from the command line.

use anyhow::{Context, bail};
use baoho_server::config::{Config, Overrides};
use baoho_store::{DatabaseUrl, OpenMode};
use std::path::Path;

#[derive(clap::Args, Debug)]
pub struct AuditArgs {
    #[command(subcommand)]
    what: What,
}

#[derive(clap::Subcommand, Debug)]
enum What {
    /// Recompute the audit hash chain: prints OK with the row count and the head, or the first
    /// broken link (and exits non-zero).
    Verify {
        /// Database URL (default: the configuration's `database`).
        #[arg(long, value_name = "URL")]
        database: Option<String>,
    },
}

pub fn run(file: Option<&Path>, a: AuditArgs) -> anyhow::Result<()> {
    match a.what {
        What::Verify { database } => verify(file, database),
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

fn verify(file: Option<&Path>, database: Option<String>) -> anyhow::Result<()> {
    let url = database_url(file, database)?;
    runtime()?.block_on(async {
        let store = baoho_store::open(&url, OpenMode::MustExist).await?;
        let v = store.verify_audit().await;
        store.close().await;
        let v = v?;
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

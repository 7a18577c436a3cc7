//! `baoho keys …`: field-encryption keys (generate a key file, check it against a database,
//! rotate every encrypted column to the key file's active key).

use crate::cmd_audit::{config_with, database_url, runtime};
use anyhow::Context;
use baoho_store::crypto::generate_key_file;
use baoho_store::{AuditAction, AuditEntry, AuditOutcome, Keyring, OpenMode};
use std::path::{Path, PathBuf};

#[derive(clap::Args, Debug)]
pub struct KeysArgs {
    #[command(subcommand)]
    what: What,
}

#[derive(clap::Subcommand, Debug)]
enum What {
    /// Write a new key file (mode 0600; never overwrites). With --previous, the old keys follow
    /// the new active key, ready for `baoho keys rotate`.
    Generate {
        /// The key file to create.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// An existing key file whose keys are kept (decrypt-only) after the new one.
        #[arg(long, value_name = "FILE")]
        previous: Option<PathBuf>,
    },
    /// Check a key file against a database's key-check value (establishing it on a new one).
    Check {
        #[arg(long, value_name = "URL")]
        database: Option<String>,
        #[arg(long, value_name = "FILE")]
        key_file: PathBuf,
    },
    /// Re-encrypt every encrypted column, then every case attachment, under the key file's
    /// active (first) key. Resumable; afterwards the older keys can be removed from the file.
    Rotate {
        #[arg(long, value_name = "URL")]
        database: Option<String>,
        #[arg(long, value_name = "FILE")]
        key_file: PathBuf,
        /// The attachment folder (default: the configuration's `attachments_dir`, else beside
        /// a SQLite database, else `baoho-data/attachments`).
        #[arg(long, value_name = "DIR")]
        attachments_dir: Option<PathBuf>,
    },
}

pub fn run(file: Option<&Path>, a: KeysArgs) -> anyhow::Result<()> {
    match a.what {
        What::Generate { out, previous } => {
            let prev = previous
                .as_deref()
                .map(Keyring::from_key_file)
                .transpose()?;
            let kid = generate_key_file(&out, prev.as_ref())?;
            println!("wrote {} (active key id {kid})", out.display());
            if let Some(p) = prev {
                println!("previous key ids kept: {}", p.kids().join(", "));
            }
            Ok(())
        }
        What::Check { database, key_file } => {
            let url = database_url(file, database)?;
            let ring = Keyring::from_key_file(&key_file)?;
            runtime()?.block_on(async {
                let store = baoho_store::open(&url, OpenMode::MustExist).await?;
                let r = ring.check_against(store.as_ref()).await;
                let pending = match &r {
                    Ok(_) => ring.pending(store.as_ref(), &[]).await,
                    Err(_) => Ok(Vec::new()),
                };
                store.close().await;
                let c = r?;
                let pending = pending?;
                println!("key file matches {url} (key check under key id {})", c.kid);
                // The key check is re-encrypted last, so it names an older key until every
                // column, blind index and attachment is done; the counts say what is left.
                if c.rotation_pending || !pending.is_empty() {
                    println!(
                        "rotation pending: the active key is {}; run `baoho keys rotate`",
                        ring.active_kid()
                    );
                    for p in &pending {
                        println!("  {}: {} rows under an older key", p.what, p.rows);
                    }
                }
                Ok(())
            })
        }
        What::Rotate {
            database,
            key_file,
            attachments_dir,
        } => {
            let mut config = config_with(file, database)?;
            if attachments_dir.is_some() {
                config.attachments_dir = attachments_dir;
            }
            let url = baoho_store::DatabaseUrl::parse(&config.database)?;
            let dir = baoho_server::app::attachments_dir(&config);
            // An absent folder holds no attachment (checked against the database below,
            // before any column is touched).
            let objects: Box<dyn object_store::ObjectStore> = if dir.is_dir() {
                // Re-sealed files must be on disk before the key check says the rotation is
                // done (after which the old key may be removed).
                Box::new(
                    object_store::local::LocalFileSystem::new_with_prefix(&dir)
                        .with_context(|| format!("attachment folder {}", dir.display()))?
                        .with_fsync(true),
                )
            } else {
                Box::new(object_store::memory::InMemory::new())
            };
            let ring = Keyring::from_key_file(&key_file)?;
            runtime()?.block_on(async {
                let store = baoho_store::open(&url, OpenMode::MustExist).await?;
                if !dir.is_dir() {
                    let n = baoho_store::cases::attachments::attachment_count(store.as_ref()).await;
                    if n.as_ref().map_or(true, |n| *n > 0) {
                        store.close().await;
                        anyhow::bail!(
                            "the database lists {} attachments but the attachment folder {} is not there: \
                             give it with --attachments-dir (nothing was rotated)",
                            n.map_or_else(|e| format!("? ({e})"), |n| n.to_string()),
                            dir.display()
                        );
                    }
                }
                // Columns and blind indexes, then attachments, and the key check last: a run
                // stopped anywhere leaves the key check under the old key (`keys check` then
                // reports the rotation pending).
                let result = async {
                    let cols = ring.rotate_columns(store.as_ref(), &[]).await?;
                    let files = baoho_store::cases::attachments::reencrypt_attachments(
                        store.as_ref(),
                        &ring,
                        objects.as_ref(),
                    )
                    .await?;
                    let sealed = ring.finish_rotation(store.as_ref(), &[]).await?;
                    Ok::<_, baoho_store::StoreError>((cols, files, sealed))
                }
                .await;
                let outcome = if result.is_ok() {
                    AuditOutcome::Allowed
                } else {
                    AuditOutcome::Failed
                };
                let entry = AuditEntry::system(chrono::Utc::now(), AuditAction::KeyRotate, outcome)
                    .object("key", ring.active_kid());
                let audited = store.append_audit(&entry).await;
                store.close().await;
                let (done, files, sealed) =
                    result.context("rotation stopped (run it again to resume)")?;
                audited?;
                for (col, n) in done {
                    println!("{}.{}: {n} rows re-encrypted", col.table, col.column);
                }
                println!("key_check.envelope: {sealed} rows re-encrypted (last)");
                println!(
                    "attachments in {}: {} of {} sealed again",
                    dir.display(),
                    files.rewritten,
                    files.checked
                );
                println!(
                    "all encrypted columns and attachments are under key id {}",
                    ring.active_kid()
                );
                Ok(())
            })
        }
    }
}

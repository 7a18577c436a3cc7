//! SQLite backend: the embedded default. WAL, foreign keys on; connections run
//! synchronous=NORMAL and every commit waits for a shared fsync of the WAL (group commit, see
//! [`crate::db::WalSync`]), which is as durable as FULL for anything acknowledged.

use crate::{Backend, DatabaseUrl, Durability, OpenMode, PoolSettings, Result, Store, StoreError};
use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::str::FromStr;
use std::time::Duration;

pub struct SqliteStore {
    pool: SqlitePool,
    writer: crate::db::SqliteWriter,
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

impl SqliteStore {
    pub async fn open(url: &DatabaseUrl, mode: OpenMode, settings: PoolSettings) -> Result<Self> {
        let path = url.sqlite_path().unwrap_or_default().to_owned();
        if url.is_memory() {
            // Readers and the writer are separate connections, and every commit is synced to
            // the file: an in-memory database has neither.
            return Err(StoreError::Unavailable(
                "an in-memory SQLite database is not supported: give a file path".into(),
            ));
        }
        if mode == OpenMode::MustExist && !std::path::Path::new(&path).exists() {
            return Err(StoreError::DatabaseMissing(path));
        }
        if mode == OpenMode::CreateIfMissing
            && let Some(dir) = std::path::Path::new(&path).parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir)
                .map_err(|e| StoreError::Unavailable(format!("{}: {e}", dir.display())))?;
        }
        let opts = SqliteConnectOptions::from_str(url.expose())?
            .create_if_missing(mode == OpenMode::CreateIfMissing)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        // (Mapping the file for the readers was measured slower for the work queue: 57 ms p50
        // against 38 ms.)
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .acquire_timeout(settings.acquire_timeout)
            .connect_with(opts.clone())
            .await?;
        // Every write transaction runs on the batcher's one connection (opened on first use,
        // after the readers have created the file). Only it changes the database, so its page
        // cache stays valid from one transaction to the next: give it room (64 MiB) for the
        // hot index pages.
        let writer = crate::db::SqliteWriter {
            batch: crate::db::batch::Batcher::new(
                opts.create_if_missing(false)
                    .pragma("cache_size", "-65536")
                    // Savepoints keep their undo pages here: memory, not a temporary file.
                    .pragma("temp_store", "memory")
                    // Checkpoint every 16 MiB of WAL instead of 4: the hot index pages are
                    // copied back once for many batches.
                    .pragma("wal_autocheckpoint", "4000"),
                crate::db::WalSync::new(Some(std::path::Path::new(&path))),
            ),
        };
        Ok(Self { pool, writer })
    }
}

/// What the connections' `synchronous` setting plus the group commit amount to, derived from
/// what is wired: `+wal-fsync` only when the journal is a WAL and the group commit flushes
/// exactly that database's WAL file (NORMAL on the connection, FULL in effect); `+stopped`
/// once a flush has failed and writes are refused.
fn synchronous_label(
    sync: i64,
    journal: &str,
    main_file: &std::path::Path,
    synced_wal: Option<&std::path::Path>,
    healthy: bool,
) -> String {
    let mut expected = main_file.as_os_str().to_owned();
    expected.push("-wal");
    let wired = journal.eq_ignore_ascii_case("wal")
        && synced_wal.is_some_and(|w| same_file(w, std::path::Path::new(&expected)));
    let mut label = sync.to_string();
    if wired {
        label.push_str("+wal-fsync");
    }
    if !healthy {
        label.push_str("+stopped");
    }
    label
}

/// The same name in the same directory (however the directory is spelled).
fn same_file(a: &std::path::Path, b: &std::path::Path) -> bool {
    if a == b {
        return true;
    }
    let dir = |p: &std::path::Path| {
        p.parent().and_then(|d| {
            let d = if d.as_os_str().is_empty() {
                std::path::Path::new(".")
            } else {
                d
            };
            std::fs::canonicalize(d).ok()
        })
    };
    a.file_name() == b.file_name() && dir(a).is_some() && dir(a) == dir(b)
}

#[async_trait::async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    async fn migrate(&self) -> Result<()> {
        MIGRATOR.run(&self.pool).await?;
        // Make the migration durable before anything relies on it.
        self.writer.batch.sync().await?;
        Ok(())
    }

    async fn check_schema(&self) -> Result<()> {
        crate::db::check_schema(&self.db(), &MIGRATOR).await
    }

    async fn durability(&self) -> Result<Durability> {
        let mut conn = self.pool.acquire().await?;
        let journal: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(&mut *conn)
            .await?;
        let sync: i64 = sqlx::query_scalar("PRAGMA synchronous")
            .fetch_one(&mut *conn)
            .await?;
        let fk: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
            .fetch_one(&mut *conn)
            .await?;
        // The file SQLite really writes (not the path we were given).
        let main: String =
            sqlx::query_scalar("SELECT file FROM pragma_database_list WHERE name = 'main'")
                .fetch_one(&mut *conn)
                .await?;
        let wal = self.writer.batch.wal();
        Ok(Durability {
            backend: Backend::Sqlite,
            journal: journal.to_lowercase(),
            synchronous: synchronous_label(
                sync,
                &journal,
                std::path::Path::new(&main),
                wal.wal_file(),
                wal.check_poisoned().is_ok(),
            ),
            foreign_keys: fk.to_string(),
        })
    }

    fn db(&self) -> crate::Db {
        crate::Db::sqlite(&self.pool, &self.writer)
    }

    async fn close(&self) {
        self.pool.close().await;
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::synchronous_label;

    #[test]
    fn the_label_says_what_is_wired() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("a.db");
        let wal = dir.path().join("a.db-wal");
        let other = dir.path().join("b.db-wal");
        assert_eq!(
            synchronous_label(1, "wal", &db, Some(&wal), true),
            "1+wal-fsync"
        );
        // Relative and absolute spellings of the same file.
        let rel = dir.path().join(".").join("a.db-wal");
        assert_eq!(
            synchronous_label(1, "wal", &db, Some(&rel), true),
            "1+wal-fsync"
        );
        // Nothing flushed, another file flushed, or no WAL journal: no claim.
        assert_eq!(synchronous_label(1, "wal", &db, None, true), "1");
        assert_eq!(synchronous_label(1, "wal", &db, Some(&other), true), "1");
        assert_eq!(synchronous_label(1, "delete", &db, Some(&wal), true), "1");
        assert_eq!(synchronous_label(2, "wal", &db, None, true), "2");
        assert_eq!(
            synchronous_label(1, "wal", &db, Some(&wal), false),
            "1+wal-fsync+stopped"
        );
    }
}

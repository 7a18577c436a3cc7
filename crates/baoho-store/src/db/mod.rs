//! One code path for both backends.
//!
//! The account and person modules write each query once, with `$1`-style parameters (sqlx
//! binds them by number on SQLite as on PostgreSQL), and [`on_db!`] expands the body once per
//! backend so each copy is type-checked against its own driver. The few places where the SQL
//! dialects differ ask the [`Dialect`] of the pool.

use crate::audit::{AuditEntry, AuditRecord};
pub(crate) mod batch;
pub(crate) mod postgres;
pub(crate) mod sqlite;

use crate::{Result, Store, StoreError};
use batch::{Batcher, WriteTx};
use sqlx::{PgPool, Postgres, Sqlite, SqlitePool, Transaction};
use std::ops::DerefMut;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// A handle on the database behind a [`Store`], usable only inside this crate: the scoped
/// person handles and the account service are built on it, so nothing outside reaches a pool.
#[derive(Clone)]
pub struct Db(pub(crate) Pools);

#[derive(Clone)]
pub(crate) enum Pools {
    /// Readers, and the writer: one connection that every write transaction queues for.
    Sqlite(SqlitePool, SqliteWriter),
    Pg(PgPool),
}

/// Every write transaction on SQLite runs on the one connection of the batcher, as a
/// savepoint in a group commit (see [`batch`]).
#[derive(Clone)]
pub(crate) struct SqliteWriter {
    pub(crate) batch: Arc<Batcher>,
}

impl Db {
    pub(crate) fn sqlite(pool: &SqlitePool, writer: &SqliteWriter) -> Self {
        Db(Pools::Sqlite(pool.clone(), writer.clone()))
    }
    pub(crate) fn pg(pool: &PgPool) -> Self {
        Db(Pools::Pg(pool.clone()))
    }
    pub fn of(store: &dyn Store) -> Self {
        store.db()
    }
    /// A cheap round trip to the database.
    pub(crate) async fn ping(&self) -> Result<()> {
        on_db!(self, |pool| {
            sqlx::query("SELECT 1").execute(pool).await?;
        });
        Ok(())
    }
}

/// Every migration of `migrator` applied, with the same checksum; else an error naming what is
/// missing (run `baoho migrate` as the owner).
pub(crate) async fn check_schema(db: &Db, migrator: &sqlx::migrate::Migrator) -> Result<()> {
    let applied: Vec<(i64, Vec<u8>)> = on_db!(db, |pool| {
        sqlx::query_as("SELECT version, checksum FROM _sqlx_migrations WHERE success")
            .fetch_all(pool)
            .await
            .map_err(|e| {
                StoreError::Unavailable(format!(
                    "the database has no readable schema version ({e}): run `baoho migrate` as the owner"
                ))
            })?
    });
    let mut missing = Vec::new();
    for m in migrator
        .iter()
        .filter(|m| m.migration_type.is_up_migration())
    {
        match applied.iter().find(|(v, _)| *v == m.version) {
            Some((_, sum)) if sum.as_slice() == &*m.checksum => {}
            Some(_) => {
                return Err(StoreError::Unavailable(format!(
                    "migration {} applied to the database differs from this build's",
                    m.version
                )));
            }
            None => missing.push(m.version.to_string()),
        }
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(StoreError::Unavailable(format!(
            "the database schema is not current (missing migrations {}): run `baoho migrate` as the owner",
            missing.join(", ")
        )))
    }
}

/// Run `$body` with `$pool` bound to the backend's pool (`&SqlitePool` or `&PgPool`).
macro_rules! on_db {
    ($db:expr, |$pool:ident| $body:expr) => {
        match &$db.0 {
            $crate::db::Pools::Sqlite($pool, _) => $body,
            $crate::db::Pools::Pg($pool) => $body,
        }
    };
}
pub(crate) use on_db;

/// A write transaction of either backend: dereferences to the connection, appends audit rows,
/// commits durably. Generic helpers take `&mut T` where `T: TxConn<Db = DB>`.
pub(crate) trait TxConn:
    DerefMut<Target = <Self::Db as sqlx::Database>::Connection> + Send
{
    type Db: sqlx::Database;
}

impl TxConn for WriteTx {
    type Db = Sqlite;
}

impl TxConn for Transaction<'_, Postgres> {
    type Db = Postgres;
}

/// What differs between the dialects.
pub(crate) trait Dialect {
    type Db: sqlx::Database;
    type Tx: TxConn<Db = Self::Db> + AuditTx + Commit;
    /// Begin a transaction that will write (SQLite takes the write lock at once, so a read
    /// followed by a write cannot fail on a lock upgrade; on SQLite it runs on the writer
    /// connection of `db`). Commit it with [`Commit::commit_in`].
    async fn begin_write(&self, db: &Db) -> Result<Self::Tx>;
    /// `group_concat` / `string_agg` (both take a separator as second argument).
    fn agg(&self) -> &'static str;
    /// A condition that the folded name matches all words of `$n` (a backend-specific query
    /// string built by [`Dialect::name_query`]), and the join it needs.
    fn name_match(&self, n: usize) -> (&'static str, String);
    fn name_query(&self, words: &[String]) -> String;
    /// The statement that locks `table` against a second writer for the transaction, where
    /// the backend needs one (SQLite's single writer already serialises).
    fn lock_table(&self, table: &str) -> Option<String>;
    /// A NULL typed as text (PostgreSQL needs the type in a UNION).
    fn null_text(&self) -> &'static str;
    /// What follows a bound timestamp so that it compares with a stored one (SQLite stores the
    /// canonical text; PostgreSQL a `timestamptz`).
    fn timestamp_cast(&self) -> &'static str;
    /// The physical address of a row and its SQL type (for batch rewrites without an index).
    fn row_address(&self) -> (&'static str, &'static str);
    /// The row lock a read-then-rewrite batch takes (none on SQLite: the writer is alone).
    fn for_update(&self) -> &'static str;
}

impl Dialect for SqlitePool {
    type Db = Sqlite;
    type Tx = WriteTx;
    async fn begin_write(&self, db: &Db) -> Result<WriteTx> {
        match &db.0 {
            Pools::Sqlite(_, w) => w.batch.begin().await,
            Pools::Pg(_) => Err(StoreError::Unavailable(
                "a SQLite write on a PostgreSQL store".into(),
            )),
        }
    }
    fn agg(&self) -> &'static str {
        "group_concat"
    }
    fn name_match(&self, n: usize) -> (&'static str, String) {
        (
            " JOIN person_name ON person_name.rowid = p.rid",
            format!("person_name MATCH ${n}"),
        )
    }
    fn name_query(&self, words: &[String]) -> String {
        // Each word quoted (FTS5 string syntax, quotes doubled): no operator can be injected.
        words
            .iter()
            .map(|w| format!("\"{}\"", w.replace('"', "\"\"")))
            .collect::<Vec<_>>()
            .join(" ")
    }
    fn lock_table(&self, _table: &str) -> Option<String> {
        None
    }
    fn null_text(&self) -> &'static str {
        "NULL"
    }
    fn timestamp_cast(&self) -> &'static str {
        ""
    }
    fn row_address(&self) -> (&'static str, &'static str) {
        ("rowid", "INTEGER")
    }
    fn for_update(&self) -> &'static str {
        ""
    }
}

impl Dialect for PgPool {
    type Db = Postgres;
    type Tx = Transaction<'static, Postgres>;
    async fn begin_write(&self, _db: &Db) -> Result<Transaction<'static, Postgres>> {
        Ok(self.begin().await?)
    }
    fn agg(&self) -> &'static str {
        "string_agg"
    }
    fn name_match(&self, n: usize) -> (&'static str, String) {
        (
            "",
            format!("p.name_words @@ plainto_tsquery('simple', ${n})"),
        )
    }
    fn name_query(&self, words: &[String]) -> String {
        words.join(" ")
    }
    fn lock_table(&self, table: &str) -> Option<String> {
        Some(format!("LOCK TABLE {table} IN EXCLUSIVE MODE"))
    }
    fn null_text(&self) -> &'static str {
        "NULL::text"
    }
    fn timestamp_cast(&self) -> &'static str {
        "::timestamptz"
    }
    fn row_address(&self) -> (&'static str, &'static str) {
        ("ctid", "tid")
    }
    fn for_update(&self) -> &'static str {
        " FOR UPDATE"
    }
}

/// Append an audit row inside the caller's transaction.
pub(crate) trait AuditTx {
    async fn audit(&mut self, e: &AuditEntry) -> Result<AuditRecord>;
}

impl AuditTx for WriteTx {
    async fn audit(&mut self, e: &AuditEntry) -> Result<AuditRecord> {
        WriteTx::audit(self, e).await
    }
}

impl AuditTx for Transaction<'_, Postgres> {
    async fn audit(&mut self, e: &AuditEntry) -> Result<AuditRecord> {
        crate::audit::append_pg(self, e).await
    }
}

/// Commit a write transaction so that it survives a crash of the machine, not only of the
/// process, before the caller acknowledges it. Every commit in this crate goes through here
/// (clippy's `disallowed-methods` refuses a bare `Transaction::commit` elsewhere).
pub(crate) trait Commit {
    async fn commit_in(self, db: &Db) -> Result<()>;
}

impl Commit for WriteTx {
    async fn commit_in(self, _db: &Db) -> Result<()> {
        self.commit().await
    }
}

impl Commit for Transaction<'_, Postgres> {
    async fn commit_in(self, _db: &Db) -> Result<()> {
        // PostgreSQL flushes its WAL at commit (synchronous_commit=on) and already shares one
        // flush among the transactions committing at the same moment.
        #[allow(clippy::disallowed_methods)]
        self.commit().await?;
        Ok(())
    }
}

/// Group commit for SQLite.
///
/// With `synchronous=FULL` every commit waits for its own fsync of the WAL, so concurrent
/// writers queue behind one disk flush each (about 250-350 audited writes/s on the 2-core VM).
/// The connections run `synchronous=NORMAL` instead (a commit only writes its WAL frames) and
/// each committer then waits here until one `fdatasync` of the WAL file that started after its
/// commit has finished: the first waiter syncs for everyone who committed before it began, the
/// others find themselves covered. An acknowledged write is therefore on disk exactly as with
/// FULL, and one flush serves a whole group. Written by hand: SQLite and sqlx offer no group
/// commit, and the whole mechanism is two counters and a lock.
///
/// Checkpoints are unaffected: under NORMAL SQLite still syncs the WAL before copying it into
/// the database and the database before reusing the WAL.
///
/// A failed flush *poisons* the store: after an fsync error Linux may drop the dirty pages and
/// report success to the next fsync, so nothing written since can be called durable (PostgreSQL
/// stops for the same reason). Every later sync, and every later write transaction
/// ([`batch::Batcher::begin`]), fails with [`StoreError::Unavailable`] until the process is
/// restarted (SQLite then recovers from what really reached the disk); reads go on.
pub(crate) struct WalSync {
    /// The database's `-wal` file; `None` for an in-memory database (nothing to make durable).
    wal: Option<PathBuf>,
    /// The database file (synced instead when there is no WAL file, see [`sync_files`]).
    db_file: Option<PathBuf>,
    /// Commits that have finished and asked to be made durable.
    committed: AtomicU64,
    /// All commits up to this count are on disk.
    synced: AtomicU64,
    leader: tokio::sync::Mutex<()>,
    /// The (device, inode) of the WAL file last synced, 0 before the first: a new WAL file
    /// needs its directory entry synced once too.
    wal_dev: AtomicU64,
    wal_ino: AtomicU64,
    /// Why writes stopped: set once, by the first failed flush, and never cleared.
    poisoned: std::sync::OnceLock<String>,
    /// Test-only fault injection: the next flush fails as if the disk had refused it.
    #[cfg(feature = "testing")]
    fail_next: std::sync::atomic::AtomicBool,
}

impl WalSync {
    pub(crate) fn new(db_file: Option<&std::path::Path>) -> Arc<Self> {
        Arc::new(Self {
            wal: db_file.map(|p| {
                let mut s = p.as_os_str().to_owned();
                s.push("-wal");
                PathBuf::from(s)
            }),
            db_file: db_file.map(std::path::Path::to_path_buf),
            committed: AtomicU64::new(0),
            synced: AtomicU64::new(0),
            leader: tokio::sync::Mutex::new(()),
            wal_dev: AtomicU64::new(0),
            wal_ino: AtomicU64::new(0),
            poisoned: std::sync::OnceLock::new(),
            #[cfg(feature = "testing")]
            fail_next: std::sync::atomic::AtomicBool::new(false),
        })
    }

    /// The WAL file every commit is synced through, if any (reported by `durability()`).
    pub(crate) fn wal_file(&self) -> Option<&std::path::Path> {
        self.wal.as_deref()
    }

    /// The error every write gets once a flush has failed; `Ok` while none has.
    pub(crate) fn check_poisoned(&self) -> Result<()> {
        match self.poisoned.get() {
            Some(why) => Err(poisoned(why)),
            None => Ok(()),
        }
    }

    fn poison(&self, why: String) -> StoreError {
        tracing::error!(
            error = %why,
            "a disk flush of the database failed: writes are refused until a restart"
        );
        let _ = self.poisoned.set(why);
        self.check_poisoned()
            .err()
            .unwrap_or_else(|| StoreError::Unavailable("writes are stopped".into()))
    }

    /// Stop accepting writes after SQLite itself reported a failed fsync (during a commit or a
    /// checkpoint): same reasoning as for our own flush.
    pub(crate) fn poison_if_fsync_error(&self, e: &StoreError) {
        if let StoreError::Db(sqlx::Error::Database(d)) = e
            && d.code()
                .as_deref()
                .and_then(|c| c.parse::<i32>().ok())
                .is_some_and(|c| {
                    // SQLITE_IOERR_FSYNC, SQLITE_IOERR_DIR_FSYNC
                    c == 10 | (4 << 8) || c == 10 | (5 << 8)
                })
        {
            let _ = self.poison(d.message().to_owned());
        }
    }

    /// Make the next flush fail (tests of the poisoning; `testing` feature only).
    #[cfg(feature = "testing")]
    pub(crate) fn fail_next_sync(&self) {
        self.fail_next.store(true, Ordering::SeqCst);
    }

    /// Wait until every commit finished before this call is on disk.
    pub(crate) async fn sync(&self) -> Result<()> {
        let (Some(wal), Some(db_file)) = (&self.wal, &self.db_file) else {
            return Ok(());
        };
        self.check_poisoned()?;
        let ticket = self.committed.fetch_add(1, Ordering::SeqCst) + 1;
        // Waiters queue in order (tokio's mutex is fair); whoever holds it syncs for all
        // commits counted so far.
        let _leader = self.leader.lock().await;
        // A leader before us failed: its commits and ours are not known to be on disk, and a
        // second fsync could wrongly report success.
        self.check_poisoned()?;
        if self.synced.load(Ordering::SeqCst) >= ticket {
            return Ok(());
        }
        let upto = self.committed.load(Ordering::SeqCst);
        #[cfg(feature = "testing")]
        if self.fail_next.swap(false, Ordering::SeqCst) {
            return Err(self.poison("injected fsync failure".into()));
        }
        let known = (
            self.wal_dev.load(Ordering::SeqCst),
            self.wal_ino.load(Ordering::SeqCst),
        );
        let (wal, db_file) = (wal.clone(), db_file.clone());
        let synced = tokio::task::spawn_blocking(move || sync_files(&wal, &db_file, known))
            .await
            .map_err(|e| StoreError::Unavailable(format!("WAL sync task: {e}")))?;
        match synced {
            Ok(Some((dev, ino))) => {
                self.wal_dev.store(dev, Ordering::SeqCst);
                self.wal_ino.store(ino, Ordering::SeqCst);
            }
            Ok(None) => {}
            Err(e) => return Err(self.poison(format!("WAL sync: {e}"))),
        }
        self.synced.store(upto, Ordering::SeqCst);
        Ok(())
    }
}

fn poisoned(why: &str) -> StoreError {
    StoreError::Unavailable(format!(
        "writes are stopped until a restart: a disk flush failed earlier ({why})"
    ))
}

/// Flush the WAL file's data; the first time a WAL file is seen (a new one after a restart or
/// a reset), its directory too, so the file's name survives a power loss as well as its bytes.
/// Returns the WAL's (device, inode), or `None` when there is no WAL file: SQLite removes it
/// only after checkpointing everything into the database file, which is then synced instead
/// (not relying on SQLite having synced it: the cost is one flush, only in that rare case).
fn sync_files(
    wal: &std::path::Path,
    db_file: &std::path::Path,
    known: (u64, u64),
) -> std::io::Result<Option<(u64, u64)>> {
    use std::os::unix::fs::MetadataExt;
    match std::fs::File::open(wal) {
        Ok(f) => {
            // fdatasync flushes the file's data (and its length) whichever descriptor asks.
            f.sync_data()?;
            let m = f.metadata()?;
            let id = (m.dev(), m.ino());
            if id != known {
                sync_dir_of(wal)?;
            }
            Ok(Some(id))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::File::open(db_file)?.sync_data()?;
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// fsync the directory holding `file` (makes a newly created name durable).
pub(crate) fn sync_dir_of(file: &std::path::Path) -> std::io::Result<()> {
    let dir = match file.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => std::path::Path::new("."),
    };
    std::fs::File::open(dir)?.sync_all()
}

#[cfg(feature = "testing")]
impl Db {
    /// Make the next WAL flush of a SQLite store fail, as a disk error would (tests of the
    /// write stop; the `testing` feature only). Returns false on PostgreSQL.
    pub fn fail_next_wal_sync(&self) -> bool {
        match &self.0 {
            Pools::Sqlite(_, w) => {
                w.batch.wal().fail_next_sync();
                true
            }
            Pools::Pg(_) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn one_flush_covers_every_commit_before_it() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("x.db");
        std::fs::write(dir.path().join("x.db-wal"), b"frames").unwrap();
        let w = WalSync::new(Some(&db));
        let mut tasks = Vec::new();
        for _ in 0..64 {
            let w = w.clone();
            tasks.push(tokio::spawn(async move { w.sync().await }));
        }
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        assert_eq!(w.committed.load(Ordering::SeqCst), 64);
        assert_eq!(w.synced.load(Ordering::SeqCst), 64);
        // A missing WAL (removed after a full checkpoint): the database file is synced instead.
        std::fs::write(&db, b"pages").unwrap();
        std::fs::remove_file(dir.path().join("x.db-wal")).unwrap();
        w.sync().await.unwrap();
        // Neither file: an error, and the store stops taking writes.
        std::fs::remove_file(&db).unwrap();
        assert!(w.sync().await.is_err());
        std::fs::write(dir.path().join("x.db-wal"), b"frames").unwrap();
        assert!(matches!(w.sync().await, Err(StoreError::Unavailable(m)) if m.contains("restart")));
        WalSync::new(None).sync().await.unwrap();
    }
}

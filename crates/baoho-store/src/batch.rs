//! Group commit of write transactions on SQLite.
//!
//! SQLite admits one writer at a time, and each commit writes every page it touched to the WAL
//! (a case creation touches about twenty: the case, its seven indexes, its member, its first
//! timeline entry, the audit row and its indexes) and then waits for an fsync. Letting the
//! request tasks race for the lock also made the losers sleep in SQLite's busy handler (1, 2,
//! 5 … 100 ms between tries). Here every write transaction of the process runs on one
//! connection, as a savepoint inside a *batch* transaction:
//!
//! - [`Batcher::begin`] queues fairly for the connection (no sleeping), opens the batch if none
//!   is open (`BEGIN IMMEDIATE`) and a savepoint for the caller;
//! - the caller's [`WriteTx::commit`] releases its savepoint into the batch. If nobody else is
//!   queued (or the batch is full) it commits the batch, in a task of its own so a cancelled
//!   request cannot stop a commit halfway; otherwise it leaves the batch to the next writer;
//! - every member then waits until its batch is committed *and* the WAL is on disk
//!   ([`WalSync`]), and only then answers: an acknowledged write is exactly as durable as
//!   with `synchronous=FULL`, but one WAL write of the shared pages and one fsync serve the
//!   whole batch;
//! - a caller that ends without committing (an error, a panic, a dropped future) has its
//!   savepoint rolled back, and nothing else of the batch is lost.
//!
//! Members of one batch see each other's changes (they run one after another on the same
//! connection); if the batch's commit fails, all of them get the error and none of their
//! changes remain. Written by hand: neither SQLite nor sqlx has group commit.

use crate::db::WalSync;
use crate::{Result, StoreError};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Connection, SqliteConnection};
use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::{Mutex, OwnedMutexGuard, watch};

/// Most write transactions in one batch (bounds the wait of the first member).
const MAX_BATCH: usize = 32;
/// How long a member waits before checking that its batch has not been left open by a writer
/// that was cancelled while queued (then it commits the batch itself).
const STALL_CHECK: Duration = Duration::from_millis(5);

/// `None` while the batch is open; then the outcome of its commit and fsync.
type Outcome = Option<std::result::Result<(), String>>;

pub(crate) struct Batcher {
    opts: SqliteConnectOptions,
    state: Arc<Mutex<State>>,
    /// Writers queued for the connection.
    queued: AtomicUsize,
    wal: Arc<WalSync>,
}

struct State {
    /// Opened on first use.
    conn: Option<SqliteConnection>,
    /// A batch transaction is open on `conn`.
    open: bool,
    /// Savepoints released into the open batch.
    members: usize,
    /// Where the open batch's outcome is announced.
    done: Arc<watch::Sender<Outcome>>,
    /// The last savepoint was neither released nor rolled back.
    abandoned: bool,
}

impl State {
    fn conn(&mut self) -> Result<&mut SqliteConnection> {
        self.conn
            .as_mut()
            .ok_or_else(|| StoreError::Unavailable("the writer connection is not open".into()))
    }

    /// Roll back a savepoint its writer left behind.
    async fn clean_up(&mut self) -> Result<()> {
        if self.abandoned {
            let conn = self.conn()?;
            sqlx::query("ROLLBACK TO w").execute(&mut *conn).await?;
            sqlx::query("RELEASE w").execute(&mut *conn).await?;
            self.abandoned = false;
        }
        Ok(())
    }

    /// Give up the open batch (after a failure that leaves its state unknown).
    async fn abort(&mut self) {
        if let Some(conn) = self.conn.as_mut() {
            // Fails harmlessly when SQLite already ended the transaction.
            let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
        }
        self.open = false;
        self.abandoned = false;
        self.done
            .send_replace(Some(Err("the write was rolled back".into())));
    }
}

impl Batcher {
    pub(crate) fn new(opts: SqliteConnectOptions, wal: Arc<WalSync>) -> Arc<Self> {
        Arc::new(Self {
            opts,
            state: Arc::new(Mutex::new(State {
                conn: None,
                open: false,
                members: 0,
                done: Arc::new(watch::channel(None).0),
                abandoned: false,
            })),
            queued: AtomicUsize::new(0),
            wal,
        })
    }

    /// Wait until every commit so far is on disk (after writes made outside the batcher, such
    /// as migrations).
    pub(crate) async fn sync(&self) -> Result<()> {
        self.wal.sync().await
    }

    /// Begin a write transaction (a savepoint in the open batch).
    pub(crate) async fn begin(self: &Arc<Self>) -> Result<WriteTx> {
        let queued = Queued::new(&self.queued);
        let mut g = self.state.clone().lock_owned().await;
        drop(queued);
        if let Err(e) = self.prepare(&mut g).await {
            g.abort().await;
            return Err(e);
        }
        Ok(WriteTx {
            guard: Some(g),
            batcher: self.clone(),
        })
    }

    async fn prepare(&self, g: &mut State) -> Result<()> {
        if g.conn.is_none() {
            g.conn = Some(SqliteConnection::connect_with(&self.opts).await?);
        }
        g.clean_up().await?;
        if !g.open {
            sqlx::query("BEGIN IMMEDIATE").execute(g.conn()?).await?;
            g.open = true;
            g.members = 0;
            g.done = Arc::new(watch::channel(None).0);
        }
        sqlx::query("SAVEPOINT w").execute(g.conn()?).await?;
        Ok(())
    }

    /// Commit the open batch, make it durable, announce the outcome to its members.
    async fn commit_batch(self: Arc<Self>, mut g: OwnedMutexGuard<State>) {
        if !g.open {
            return;
        }
        let done = g.done.clone();
        let committed = match g.clean_up().await {
            Ok(()) => match g.conn() {
                Ok(conn) => sqlx::query("COMMIT")
                    .execute(conn)
                    .await
                    .map(|_| ())
                    .map_err(StoreError::from),
                Err(e) => Err(e),
            },
            Err(e) => Err(e),
        };
        if let Err(e) = committed {
            tracing::error!(error = %e, "a batch of writes could not be committed");
            g.abort().await;
            return;
        }
        g.open = false;
        // The next batch may start while this one is synced.
        drop(g);
        let outcome = self.wal.sync().await.map_err(|e| e.to_string());
        done.send_replace(Some(outcome));
    }

    /// Wait for the outcome of the batch announced on `done`.
    async fn outcome(self: &Arc<Self>, done: Arc<watch::Sender<Outcome>>) -> Result<()> {
        let mut rx = done.subscribe();
        loop {
            tokio::select! {
                r = rx.wait_for(Option::is_some) => {
                    let outcome = match r {
                        Ok(v) => v.clone(),
                        Err(_) => Some(Err("the writer stopped".into())),
                    };
                    return match outcome {
                        Some(Ok(())) => Ok(()),
                        Some(Err(e)) => Err(StoreError::Unavailable(e)),
                        None => Err(StoreError::Unavailable("no outcome".into())),
                    };
                }
                () = tokio::time::sleep(STALL_CHECK) => {
                    // Free lock and our batch still open: the writer expected to carry it on
                    // went away while queued. Commit it.
                    if let Ok(g) = self.state.clone().try_lock_owned()
                        && g.open
                        && Arc::ptr_eq(&g.done, &done)
                    {
                        tokio::spawn(self.clone().commit_batch(g));
                    }
                }
            }
        }
    }
}

/// Counts a writer queued for the connection; uncounted when it gets it or is cancelled.
struct Queued<'a>(&'a AtomicUsize);

impl<'a> Queued<'a> {
    fn new(n: &'a AtomicUsize) -> Self {
        n.fetch_add(1, Ordering::SeqCst);
        Queued(n)
    }
}

impl Drop for Queued<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A write transaction on SQLite: a savepoint in the open batch. Dereferences to the
/// connection like a `sqlx::Transaction`; [`WriteTx::commit`] returns once the change is on
/// disk; dropping it uncommitted rolls the savepoint back.
pub(crate) struct WriteTx {
    guard: Option<OwnedMutexGuard<State>>,
    batcher: Arc<Batcher>,
}

impl WriteTx {
    fn state(&self) -> &State {
        match &self.guard {
            Some(g) => g,
            // Only `commit` and `drop` take the guard, and both consume the transaction.
            None => unreachable!("a finished write transaction was used"),
        }
    }

    fn state_mut(&mut self) -> &mut State {
        match &mut self.guard {
            Some(g) => g,
            None => unreachable!("a finished write transaction was used"),
        }
    }

    /// Release the savepoint into the batch and wait until the batch is committed and synced.
    pub(crate) async fn commit(mut self) -> Result<()> {
        let Some(mut g) = self.guard.take() else {
            return Err(StoreError::Unavailable("the write already ended".into()));
        };
        let batcher = self.batcher.clone();
        let released = match g.conn() {
            Ok(conn) => sqlx::query("RELEASE w")
                .execute(conn)
                .await
                .map(|_| ())
                .map_err(StoreError::from),
            Err(e) => Err(e),
        };
        if let Err(e) = released {
            g.abandoned = true;
            return Err(e);
        }
        g.members += 1;
        let done = g.done.clone();
        if batcher.queued.load(Ordering::SeqCst) == 0 || g.members >= MAX_BATCH {
            tokio::spawn(batcher.clone().commit_batch(g));
        } else {
            drop(g);
        }
        batcher.outcome(done).await
    }
}

impl Deref for WriteTx {
    type Target = SqliteConnection;
    fn deref(&self) -> &SqliteConnection {
        match &self.state().conn {
            Some(c) => c,
            None => unreachable!("a write transaction always has its connection"),
        }
    }
}

impl DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        match &mut self.state_mut().conn {
            Some(c) => c,
            None => unreachable!("a write transaction always has its connection"),
        }
    }
}

impl Drop for WriteTx {
    fn drop(&mut self) {
        let Some(mut g) = self.guard.take() else {
            return;
        };
        g.abandoned = true;
        let batcher = self.batcher.clone();
        // With another writer queued, it rolls the savepoint back first thing. Otherwise do it
        // now, and do not leave the batch (and SQLite's write lock) open for nobody.
        if batcher.queued.load(Ordering::SeqCst) == 0
            && let Ok(rt) = tokio::runtime::Handle::try_current()
        {
            rt.spawn(async move {
                let mut g = g;
                if g.clean_up().await.is_err() {
                    g.abort().await;
                } else if g.members > 0 {
                    batcher.commit_batch(g).await;
                } else if g.open {
                    if let Ok(conn) = g.conn() {
                        let _ = sqlx::query("ROLLBACK").execute(conn).await;
                    }
                    g.open = false;
                    g.done.send_replace(Some(Ok(())));
                }
            });
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use std::str::FromStr;

    async fn batcher(dir: &std::path::Path) -> Arc<Batcher> {
        let path = dir.join("b.db");
        let opts = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))
            .unwrap()
            .create_if_missing(true)
            .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
            .synchronous(sqlx::sqlite::SqliteSynchronous::Normal);
        let mut c = SqliteConnection::connect_with(&opts).await.unwrap();
        sqlx::query("CREATE TABLE t (k INTEGER PRIMARY KEY)")
            .execute(&mut c)
            .await
            .unwrap();
        c.close().await.unwrap();
        Batcher::new(opts, WalSync::new(Some(&path)))
    }

    async fn count(b: &Arc<Batcher>) -> i64 {
        let mut tx = b.begin().await.unwrap();
        let n = sqlx::query_scalar("SELECT COUNT(*) FROM t")
            .fetch_one(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        n
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_writes_all_land_and_failures_roll_back_alone() {
        let dir = tempfile::tempdir().unwrap();
        let b = batcher(dir.path()).await;
        let mut tasks = Vec::new();
        for k in 0..200i64 {
            let b = b.clone();
            tasks.push(tokio::spawn(async move {
                let mut tx = b.begin().await?;
                sqlx::query("INSERT INTO t (k) VALUES ($1)")
                    .bind(k % 150)
                    .execute(&mut *tx)
                    .await?;
                if k % 10 == 3 {
                    // Ends without committing: only this write is undone.
                    drop(tx);
                    return Ok(false);
                }
                tx.commit().await.map(|()| true)
            }));
        }
        let mut acknowledged = Vec::new();
        let mut failed = 0;
        for (k, t) in tasks.into_iter().enumerate() {
            match t.await.unwrap() {
                Ok(true) => acknowledged.push(k as i64 % 150),
                Ok(false) => {}
                // A duplicate key (k and k+150) fails its own statement only.
                Err(_) => failed += 1,
            }
        }
        acknowledged.sort();
        acknowledged.dedup();
        let mut tx = b.begin().await.unwrap();
        let mut present: Vec<i64> = sqlx::query_scalar("SELECT k FROM t ORDER BY k")
            .fetch_all(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        present.sort();
        assert_eq!(present, acknowledged, "{failed} duplicates refused");
        assert!(failed > 0 && failed <= 50, "{failed}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_cancelled_writer_neither_blocks_nor_leaks() {
        let dir = tempfile::tempdir().unwrap();
        let b = batcher(dir.path()).await;
        // A writer dropped mid-transaction.
        {
            let mut tx = b.begin().await.unwrap();
            sqlx::query("INSERT INTO t (k) VALUES (1)")
                .execute(&mut *tx)
                .await
                .unwrap();
        }
        // A writer cancelled while queued behind a holder.
        let holder = b.begin().await.unwrap();
        let queued = tokio::spawn({
            let b = b.clone();
            async move { b.begin().await.map(|_| ()) }
        });
        while b.queued.load(Ordering::SeqCst) == 0 {
            tokio::task::yield_now().await;
        }
        queued.abort();
        let _ = queued.await;
        let mut holder = holder;
        sqlx::query("INSERT INTO t (k) VALUES (2)")
            .execute(&mut *holder)
            .await
            .unwrap();
        holder.commit().await.unwrap();
        assert_eq!(count(&b).await, 1);
        // Readers on other connections see exactly the committed row.
        let mut other = SqliteConnection::connect_with(&b.opts).await.unwrap();
        let seen: Vec<i64> = sqlx::query_scalar("SELECT k FROM t")
            .fetch_all(&mut other)
            .await
            .unwrap();
        assert_eq!(seen, vec![2]);
    }
}

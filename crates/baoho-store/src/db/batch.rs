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

use crate::audit::{AuditEntry, AuditRecord, GENESIS_HASH, next_record};
use crate::db::WalSync;
use crate::{Result, StoreError};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Connection, SqliteConnection};
use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::sync::{Mutex, OwnedMutexGuard, watch};

/// Most write transactions in one batch (bounds the wait of the first member).
const MAX_BATCH: usize = 32;

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
    /// A writer's savepoint is open. Whoever takes the lock and finds one finds it abandoned
    /// (its writer ended without committing) and rolls it back first.
    in_savepoint: bool,
    /// The last committed writer's savepoint still has to be released. The release goes with
    /// the next statement sent anyway (the next writer's `SAVEPOINT`, or the batch's `COMMIT`):
    /// one round trip to SQLite's worker thread less per write.
    release_pending: bool,
    /// The audit chain's last row (seq, hash) as of this point in the open batch, once read.
    /// Nothing else can append while the batch holds SQLite's write lock, so it is read once
    /// per batch instead of once per audit row.
    audit_tail: Option<(i64, String)>,
    /// `audit_tail` when the open savepoint began (restored if it is rolled back).
    savepoint_tail: Option<(i64, String)>,
    /// Audit rows of the open savepoint.
    pending_audit: Vec<AuditRecord>,
    /// Audit rows of the committed savepoint awaiting release: inserted in the same call as
    /// the release (so in the same batch, before its commit), again saving a round trip.
    unflushed_audit: Vec<AuditRecord>,
}

impl State {
    fn conn(&mut self) -> Result<&mut SqliteConnection> {
        self.conn
            .as_mut()
            .ok_or_else(|| StoreError::Unavailable("the writer connection is not open".into()))
    }

    /// What ends the previous writer's savepoint: the rollback of one its writer left behind,
    /// or the release of a committed one. Sent together with the next statement.
    fn end_savepoint(&mut self) -> &'static str {
        if self.in_savepoint {
            self.in_savepoint = false;
            self.audit_tail = self.savepoint_tail.take();
            self.pending_audit.clear();
            "ROLLBACK TO w; RELEASE w; "
        } else if self.release_pending {
            self.release_pending = false;
            "RELEASE w; "
        } else {
            ""
        }
    }

    /// Roll back a savepoint its writer left behind, release a committed one.
    async fn clean_up(&mut self) -> Result<()> {
        let sql = self.end_savepoint();
        if !sql.is_empty() {
            self.exec(sql).await?;
        }
        Ok(())
    }

    /// Run `sql` on the connection, preceded by the insert of the audit rows of the committed
    /// savepoint it releases.
    async fn exec(&mut self, sql: &'static str) -> Result<()> {
        let conn = self
            .conn
            .as_mut()
            .ok_or_else(|| StoreError::Unavailable("the writer connection is not open".into()))?;
        if self.unflushed_audit.is_empty() {
            sqlx::raw_sql(sql).execute(conn).await?;
            return Ok(());
        }
        // Only a committed savepoint has unflushed rows, and nothing but its release follows
        // it (a later writer's savepoint would roll them back with its own).
        if !sql.starts_with("RELEASE w") {
            return Err(StoreError::Unavailable(
                "the audit rows of a committed write were not stored".into(),
            ));
        }
        let mut q = crate::audit::insert_query(&self.unflushed_audit);
        q.push("; ");
        q.push(sql);
        q.build().execute(conn).await?;
        self.unflushed_audit.clear();
        Ok(())
    }

    /// Give up the open batch (after a failure that leaves its state unknown).
    async fn abort(&mut self) {
        if let Some(conn) = self.conn.as_mut() {
            // Fails harmlessly when SQLite already ended the transaction.
            let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
        }
        self.open = false;
        self.in_savepoint = false;
        self.release_pending = false;
        self.audit_tail = None;
        self.savepoint_tail = None;
        self.pending_audit.clear();
        self.unflushed_audit.clear();
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
                in_savepoint: false,
                release_pending: false,
                audit_tail: None,
                savepoint_tail: None,
                pending_audit: Vec::new(),
                unflushed_audit: Vec::new(),
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

    pub(crate) fn wal(&self) -> &WalSync {
        &self.wal
    }

    /// Begin a write transaction (a savepoint in the open batch). Refused once a disk flush
    /// has failed (see [`WalSync`]): nothing written after it could be called durable.
    pub(crate) async fn begin(self: &Arc<Self>) -> Result<WriteTx> {
        self.wal.check_poisoned()?;
        let mut queued = Queued::new(self);
        let g = self.state.clone().lock_owned().await;
        queued.got_it();
        // Held by the transaction from here, so that a writer cancelled while it prepares is
        // finished by `Drop` like any other.
        let mut tx = WriteTx {
            guard: Some(g),
            batcher: self.clone(),
        };
        if let Err(e) = self.prepare(tx.state_mut()).await {
            if let Some(mut g) = tx.guard.take() {
                g.abort().await;
            }
            return Err(e);
        }
        Ok(tx)
    }

    async fn prepare(&self, g: &mut State) -> Result<()> {
        // Again once it is our turn: a flush may have failed while we queued.
        self.wal.check_poisoned()?;
        if g.conn.is_none() {
            g.conn = Some(SqliteConnection::connect_with(&self.opts).await?);
        }
        // One round trip: end the previous savepoint, open the batch if needed, open ours.
        let end = g.end_savepoint();
        let sql = match (end, g.open) {
            ("", true) => "SAVEPOINT w",
            ("RELEASE w; ", true) => "RELEASE w; SAVEPOINT w",
            (_, true) => "ROLLBACK TO w; RELEASE w; SAVEPOINT w",
            // No batch open, so no savepoint either.
            (_, false) => "BEGIN IMMEDIATE; SAVEPOINT w",
        };
        if !g.open {
            g.audit_tail = None;
        }
        g.exec(sql).await?;
        if !g.open {
            g.open = true;
            g.members = 0;
            g.done = Arc::new(watch::channel(None).0);
        }
        g.in_savepoint = true;
        g.savepoint_tail = g.audit_tail.clone();
        Ok(())
    }

    /// Commit the open batch, make it durable, announce the outcome to its members.
    async fn commit_batch(self: Arc<Self>, mut g: OwnedMutexGuard<State>) {
        if !g.open {
            return;
        }
        let done = g.done.clone();
        let sql = match g.end_savepoint() {
            "" => "COMMIT",
            "RELEASE w; " => "RELEASE w; COMMIT",
            _ => "ROLLBACK TO w; RELEASE w; COMMIT",
        };
        let committed = g.exec(sql).await;
        if let Err(e) = committed {
            tracing::error!(error = %e, "a batch of writes could not be committed");
            self.wal.poison_if_fsync_error(&e);
            g.abort().await;
            return;
        }
        g.open = false;
        g.audit_tail = None;
        // The next batch may start while this one is synced.
        drop(g);
        let outcome = self.wal.sync().await.map_err(|e| e.to_string());
        done.send_replace(Some(outcome));
    }

    /// Wait for the outcome of the batch announced on `done`.
    async fn outcome(done: Arc<watch::Sender<Outcome>>) -> Result<()> {
        let mut rx = done.subscribe();
        let outcome = match rx.wait_for(Option::is_some).await {
            Ok(v) => v.clone(),
            Err(_) => Some(Err("the writer stopped".into())),
        };
        match outcome {
            Some(Ok(())) => Ok(()),
            Some(Err(e)) => Err(StoreError::Unavailable(e)),
            None => Err(StoreError::Unavailable("no outcome".into())),
        }
    }

    /// Finish what a writer left: roll back its savepoint, then commit the batch for the
    /// members waiting on it, or end an empty one (so SQLite's write lock is not held for
    /// nobody). Only when no other writer is queued: that one would carry the batch on.
    async fn finish_abandoned(self: Arc<Self>, mut g: OwnedMutexGuard<State>) {
        if self.queued.load(Ordering::SeqCst) > 0 {
            return;
        }
        if g.clean_up().await.is_err() {
            g.abort().await;
        } else if g.members > 0 {
            self.commit_batch(g).await;
        } else if g.open {
            if let Ok(conn) = g.conn() {
                let _ = sqlx::query("ROLLBACK").execute(conn).await;
            }
            g.open = false;
            g.done.send_replace(Some(Ok(())));
        }
    }
}

/// Counts a writer queued for the connection. A writer cancelled while queued may have been
/// the one its batch's members counted on to carry the batch on: it hands the batch on (after
/// taking its turn for the lock, so the writer that left the batch to it has let go).
struct Queued<'a> {
    batcher: &'a Arc<Batcher>,
    waiting: bool,
}

impl<'a> Queued<'a> {
    fn new(batcher: &'a Arc<Batcher>) -> Self {
        batcher.queued.fetch_add(1, Ordering::SeqCst);
        Queued {
            batcher,
            waiting: true,
        }
    }

    fn got_it(&mut self) {
        self.batcher.queued.fetch_sub(1, Ordering::SeqCst);
        self.waiting = false;
    }
}

impl Drop for Queued<'_> {
    fn drop(&mut self) {
        if !self.waiting {
            return;
        }
        self.batcher.queued.fetch_sub(1, Ordering::SeqCst);
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            let b = self.batcher.clone();
            rt.spawn(async move {
                let g = b.state.clone().lock_owned().await;
                b.finish_abandoned(g).await;
            });
        }
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
        // Released, with its audit rows inserted, by the next statement on the connection (see
        // `State::release_pending`); if that fails, the batch fails and every member hears it.
        g.in_savepoint = false;
        g.release_pending = true;
        let rows = std::mem::take(&mut g.pending_audit);
        g.unflushed_audit = rows;
        let batcher = self.batcher.clone();
        g.members += 1;
        let done = g.done.clone();
        if batcher.queued.load(Ordering::SeqCst) == 0 || g.members >= MAX_BATCH {
            tokio::spawn(batcher.clone().commit_batch(g));
        } else {
            drop(g);
        }
        Batcher::outcome(done).await
    }
}

impl WriteTx {
    /// Append an audit row to this transaction: chained on the batch's cached tail now,
    /// inserted with the transaction's other audit rows when it commits (so it commits or rolls
    /// back with the change it records).
    pub(crate) async fn audit(&mut self, e: &AuditEntry) -> Result<AuditRecord> {
        e.validate()?;
        let g = self.state_mut();
        let tail = match &g.audit_tail {
            Some(t) => t.clone(),
            None => {
                let t = crate::audit::tail_sqlite(g.conn()?)
                    .await?
                    .unwrap_or_else(|| (0, GENESIS_HASH.to_owned()));
                // Read inside our savepoint: true for it and for the batch before it.
                g.savepoint_tail = Some(t.clone());
                t
            }
        };
        let r = next_record(e, Some(tail));
        g.audit_tail = Some((r.seq, r.hash.clone()));
        g.pending_audit.push(r.clone());
        Ok(r)
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
        let Some(g) = self.guard.take() else {
            return;
        };
        // With another writer queued, it rolls the savepoint back first thing. Otherwise do it
        // now, and do not leave the batch (and SQLite's write lock) open for nobody.
        if self.batcher.queued.load(Ordering::SeqCst) == 0
            && let Ok(rt) = tokio::runtime::Handle::try_current()
        {
            rt.spawn(self.batcher.clone().finish_abandoned(g));
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
    async fn audit_rows_chain_across_batches_and_leave_with_their_write() {
        let dir = tempfile::tempdir().unwrap();
        let b = batcher(dir.path()).await;
        {
            let mut tx = b.begin().await.unwrap();
            sqlx::raw_sql(include_str!("../../migrations/sqlite/0002_audit.sql"))
                .execute(&mut *tx)
                .await
                .unwrap();
            tx.commit().await.unwrap();
        }
        let entry = |k: i64| {
            AuditEntry::new(
                chrono::Utc::now(),
                "acct-1",
                crate::audit::AuditAction::Create,
                crate::audit::AuditOutcome::Allowed,
            )
            .object("t", format!("k{k}"))
        };
        let mut tasks = Vec::new();
        for k in 0..300i64 {
            let b = b.clone();
            tasks.push(tokio::spawn(async move {
                let mut tx = b.begin().await?;
                // Two rows per write: the second chains on the first before either is stored.
                tx.audit(&entry(k)).await?;
                sqlx::query("INSERT INTO t (k) VALUES ($1)")
                    .bind(k % 200)
                    .execute(&mut *tx)
                    .await?;
                tx.audit(&entry(k)).await?;
                if k % 10 == 3 {
                    drop(tx);
                    return Ok(false);
                }
                tx.commit().await.map(|()| true)
            }));
        }
        let mut written = 0;
        for t in tasks {
            if let Ok(true) = t.await.unwrap() {
                written += 1;
            }
        }
        let mut tx = b.begin().await.unwrap();
        let rows: Vec<(i64, String, String, String)> =
            sqlx::query_as("SELECT seq, object_id, prev_hash, hash FROM audit ORDER BY seq")
                .fetch_all(&mut *tx)
                .await
                .unwrap();
        let keys: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM t")
            .fetch_one(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(keys, written);
        // Exactly the committed writes left their rows, in one unbroken chain.
        assert_eq!(rows.len() as i64, 2 * written);
        let mut prev = (0i64, GENESIS_HASH.to_owned());
        for (seq, _, prev_hash, hash) in &rows {
            assert_eq!((*seq, prev_hash), (prev.0 + 1, &prev.1));
            prev = (*seq, hash.clone());
        }
        for pair in rows.chunks(2) {
            assert_eq!(pair[0].1, pair[1].1, "a write's two rows are adjacent");
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_member_is_answered_when_the_writer_it_left_the_batch_to_is_cancelled() {
        let dir = tempfile::tempdir().unwrap();
        let b = batcher(dir.path()).await;
        for round in 0..20i64 {
            let mut first = b.begin().await.unwrap();
            sqlx::query("INSERT INTO t (k) VALUES ($1)")
                .bind(round)
                .execute(&mut *first)
                .await
                .unwrap();
            // A second writer queues; the first sees it and leaves the batch to it.
            let second = tokio::spawn({
                let b = b.clone();
                async move {
                    let tx = b.begin().await;
                    std::future::pending::<()>().await;
                    drop(tx);
                }
            });
            while b.queued.load(Ordering::SeqCst) == 0 {
                tokio::task::yield_now().await;
            }
            let member = tokio::spawn(first.commit());
            // The second writer goes away (queued, or holding the connection: either way).
            second.abort();
            let _ = second.await;
            // A failure guard, not a wait: the member's answer comes from the hand-over.
            tokio::time::timeout(std::time::Duration::from_secs(30), member)
                .await
                .expect("the member was answered")
                .unwrap()
                .unwrap();
        }
        assert_eq!(count(&b).await, 20);
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

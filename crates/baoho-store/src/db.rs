//! One code path for both backends.
//!
//! The account and person modules write each query once, with `$1`-style parameters (sqlx
//! binds them by number on SQLite as on PostgreSQL), and [`on_db!`] expands the body once per
//! backend so each copy is type-checked against its own driver. The few places where the SQL
//! dialects differ ask the [`Dialect`] of the pool.

use crate::audit::{AuditEntry, AuditRecord};
use crate::{Result, Store};
use sqlx::{PgPool, Postgres, Sqlite, SqlitePool, Transaction};

/// A handle on the database behind a [`Store`], usable only inside this crate: the scoped
/// person handles and the account service are built on it, so nothing outside reaches a pool.
#[derive(Clone)]
pub struct Db(pub(crate) Pools);

#[derive(Clone)]
pub(crate) enum Pools {
    Sqlite(SqlitePool),
    Pg(PgPool),
}

impl Db {
    pub(crate) fn sqlite(pool: &SqlitePool) -> Self {
        Db(Pools::Sqlite(pool.clone()))
    }
    pub(crate) fn pg(pool: &PgPool) -> Self {
        Db(Pools::Pg(pool.clone()))
    }
    pub fn of(store: &dyn Store) -> Self {
        store.db()
    }
}

/// Run `$body` with `$pool` bound to the backend's pool (`&SqlitePool` or `&PgPool`).
macro_rules! on_db {
    ($db:expr, |$pool:ident| $body:expr) => {
        match &$db.0 {
            $crate::db::Pools::Sqlite($pool) => $body,
            $crate::db::Pools::Pg($pool) => $body,
        }
    };
}
pub(crate) use on_db;

/// What differs between the dialects.
pub(crate) trait Dialect {
    type Db: sqlx::Database;
    /// Begin a transaction that will write (SQLite takes the write lock at once, so a read
    /// followed by a write cannot fail on a lock upgrade).
    async fn begin_write(&self) -> Result<Transaction<'static, Self::Db>>;
    /// `group_concat` / `string_agg` (both take a separator as second argument).
    fn agg(&self) -> &'static str;
    /// A condition that the folded name matches all words of `$n` (a backend-specific query
    /// string built by [`Dialect::name_query`]), and the join it needs.
    fn name_match(&self, n: usize) -> (&'static str, String);
    fn name_query(&self, words: &[String]) -> String;
}

impl Dialect for SqlitePool {
    type Db = Sqlite;
    async fn begin_write(&self) -> Result<Transaction<'static, Sqlite>> {
        Ok(self.begin_with("BEGIN IMMEDIATE").await?)
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
}

impl Dialect for PgPool {
    type Db = Postgres;
    async fn begin_write(&self) -> Result<Transaction<'static, Postgres>> {
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
}

/// Append an audit row inside the caller's transaction.
pub(crate) trait AuditTx {
    async fn audit(&mut self, e: &AuditEntry) -> Result<AuditRecord>;
}

impl AuditTx for Transaction<'_, Sqlite> {
    async fn audit(&mut self, e: &AuditEntry) -> Result<AuditRecord> {
        crate::audit::append_sqlite(self, e).await
    }
}

impl AuditTx for Transaction<'_, Postgres> {
    async fn audit(&mut self, e: &AuditEntry) -> Result<AuditRecord> {
        crate::audit::append_pg(self, e).await
    }
}

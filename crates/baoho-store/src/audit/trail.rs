//! Reading the trail back: one page of rows for the audit screen, and the chain verification.
//! Written once for both backends ([`on_db!`]); only how the `at` column is read differs.

use super::{
    AuditEntry, AuditFilter, AuditRecord, AuditVerification, ChainChecker, ChainFields,
    RECORD_COLUMNS, VERIFY_BATCH, format_at, parse_at,
};
use crate::Result;
use crate::db::{AuditTx, Commit, Db, Dialect, on_db};
use sqlx::Row;

/// The `at` column in its canonical text (the hashed form): SQLite stores that text,
/// PostgreSQL a `timestamptz` (microseconds, so formatting it gives the same text back).
pub(crate) trait AtColumn {
    fn at_text(&self) -> Result<String>;
}

impl AtColumn for sqlx::sqlite::SqliteRow {
    fn at_text(&self) -> Result<String> {
        Ok(self.try_get("at")?)
    }
}

impl AtColumn for sqlx::postgres::PgRow {
    fn at_text(&self) -> Result<String> {
        Ok(format_at(
            &self.try_get::<chrono::DateTime<chrono::Utc>, _>("at")?,
        ))
    }
}

fn record_from_row<R>(r: &R) -> Result<AuditRecord>
where
    R: Row + AtColumn,
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    String: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    i64: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let action: String = r.try_get("action")?;
    let outcome: String = r.try_get("outcome")?;
    Ok(AuditRecord {
        seq: r.try_get("seq")?,
        entry: AuditEntry {
            at: parse_at(&r.at_text()?)?,
            actor: r.try_get("actor")?,
            role: r.try_get("role")?,
            agency: r.try_get("agency")?,
            object_kind: r.try_get("object_kind")?,
            object_id: r.try_get("object_id")?,
            action: action.parse()?,
            purpose: r.try_get("purpose")?,
            outcome: outcome.parse()?,
            request_id: r.try_get("request_id")?,
        },
        prev_hash: r.try_get("prev_hash")?,
        hash: r.try_get("hash")?,
    })
}

/// Audit rows matching `f`, newest first, one page.
pub(crate) async fn query(db: &Db, f: &AuditFilter) -> Result<Vec<AuditRecord>> {
    on_db!(db, |pool| {
        let mut q = sqlx::QueryBuilder::new("SELECT ");
        q.push(RECORD_COLUMNS);
        q.push(" FROM audit WHERE 1 = 1");
        if let Some(v) = &f.actor {
            q.push(" AND actor = ").push_bind(v);
        }
        if let Some(v) = &f.object_kind {
            q.push(" AND object_kind = ").push_bind(v);
        }
        if let Some(v) = &f.object_id {
            q.push(" AND object_id = ").push_bind(v);
        }
        if let Some(v) = f.action {
            q.push(" AND action = ").push_bind(v.as_str());
        }
        if let Some(v) = f.outcome {
            q.push(" AND outcome = ").push_bind(v.as_str());
        }
        if let Some(v) = f.from {
            q.push(" AND at >= ").push_bind(format_at(&v));
            q.push(pool.timestamp_cast());
        }
        if let Some(v) = f.to {
            q.push(" AND at < ").push_bind(format_at(&v));
            q.push(pool.timestamp_cast());
        }
        if let Some(v) = f.before_seq {
            q.push(" AND seq < ").push_bind(v);
        }
        q.push(" ORDER BY seq DESC LIMIT ").push_bind(f.page_size());
        let rows = q.build().fetch_all(pool).await?;
        rows.iter().map(record_from_row).collect()
    })
}

/// Recompute the hash chain in `seq` order, in batches, and report the first broken link.
pub(crate) async fn verify(db: &Db) -> Result<AuditVerification> {
    let mut checker = ChainChecker::new();
    let mut after = 0i64;
    on_db!(db, |pool| loop {
        let rows = sqlx::query(
            "SELECT seq, at, actor, role, agency, object_kind, object_id, action, purpose, outcome, request_id, prev_hash, hash \
             FROM audit WHERE seq > $1 ORDER BY seq LIMIT $2",
        )
        .bind(after)
        .bind(VERIFY_BATCH)
        .fetch_all(pool)
        .await?;
        if rows.is_empty() {
            break;
        }
        for r in &rows {
            let get = |c: &str| r.try_get::<String, _>(c);
            let (at, actor, role, agency) =
                (r.at_text()?, get("actor")?, get("role")?, get("agency")?);
            let (object_kind, object_id, action) =
                (get("object_kind")?, get("object_id")?, get("action")?);
            let (purpose, outcome, request_id) =
                (get("purpose")?, get("outcome")?, get("request_id")?);
            let (prev_hash, hash) = (get("prev_hash")?, get("hash")?);
            let fields = ChainFields {
                seq: r.try_get("seq")?,
                at: &at,
                actor: &actor,
                role: &role,
                agency: &agency,
                object_kind: &object_kind,
                object_id: &object_id,
                action: &action,
                purpose: &purpose,
                outcome: &outcome,
                request_id: &request_id,
                prev_hash: &prev_hash,
            };
            after = fields.seq;
            if !checker.check(&fields, &hash) {
                return Ok(checker.finish());
            }
        }
    });
    Ok(checker.finish())
}

/// Append one audit row in its own transaction.
pub(crate) async fn append(db: &Db, entry: &AuditEntry) -> Result<AuditRecord> {
    on_db!(db, |pool| {
        let mut tx = pool.begin_write(db).await?;
        let r = tx.audit(entry).await?;
        tx.commit_in(db).await?;
        Ok(r)
    })
}

/// The stored hash of row `seq`, if there is one.
pub(crate) async fn hash_at(db: &Db, seq: i64) -> Result<Option<String>> {
    on_db!(db, |pool| Ok(sqlx::query_scalar(
        "SELECT hash FROM audit WHERE seq = $1"
    )
    .bind(seq)
    .fetch_optional(pool)
    .await?))
}

//! Reading the trail back: one page of rows for the audit screen, and the chain verification.
//! Written once for both backends ([`on_db!`]); only how the `at` column is read differs.

use super::{
    AuditAction, AuditEntry, AuditFilter, AuditRecord, AuditVerification, BreakKind, ChainChecker,
    ChainFields, RECORD_COLUMNS, TouchedObject, TouchedQuery, VERIFY_BATCH, format_at, parse_at,
    split_subjects,
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
            subjects: split_subjects(&r.try_get::<String, _>("subjects")?),
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
        match (&f.object_kind, &f.object_id) {
            // A person (kind `person` and an id) also finds the rows that returned them in a
            // list (their subjects).
            (Some(kind), Some(id)) if kind == "person" => {
                q.push(" AND ((object_id = ").push_bind(id);
                q.push(" AND object_kind = ").push_bind(kind);
                q.push(") OR seq IN (SELECT seq FROM audit_subject WHERE person_id = ")
                    .push_bind(id)
                    .push("))");
            }
            (kind, id) => {
                if let Some(v) = kind {
                    q.push(" AND object_kind = ").push_bind(v);
                }
                if let Some(v) = id {
                    q.push(" AND object_id = ").push_bind(v);
                }
            }
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
            "SELECT seq, at, actor, role, agency, object_kind, object_id, action, purpose, outcome, request_id, prev_hash, hash, subjects \
             FROM audit WHERE seq > $1 ORDER BY seq LIMIT $2",
        )
        .bind(after)
        .bind(VERIFY_BATCH)
        .fetch_all(pool)
        .await?;
        let Some(last) = rows.last() else {
            break;
        };
        // The subject index of this batch, checked against each row's hashed column.
        let indexed: Vec<(i64, String)> =
            sqlx::query_as("SELECT seq, person_id FROM audit_subject WHERE seq > $1 AND seq <= $2")
                .bind(after)
                .bind(last.try_get::<i64, _>("seq")?)
                .fetch_all(pool)
                .await?;
        let mut index: std::collections::HashMap<i64, Vec<String>> =
            std::collections::HashMap::new();
        for (seq, person) in indexed {
            index.entry(seq).or_default().push(person);
        }
        for r in &rows {
            let get = |c: &str| r.try_get::<String, _>(c);
            let (at, actor, role, agency) =
                (r.at_text()?, get("actor")?, get("role")?, get("agency")?);
            let (object_kind, object_id, action) =
                (get("object_kind")?, get("object_id")?, get("action")?);
            let (purpose, outcome, request_id) =
                (get("purpose")?, get("outcome")?, get("request_id")?);
            let (prev_hash, hash, subjects) = (get("prev_hash")?, get("hash")?, get("subjects")?);
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
            if !checker.check(&fields, &subjects, &hash) {
                return Ok(checker.finish());
            }
            let in_row = split_subjects(&subjects);
            let mut in_index = index.remove(&fields.seq).unwrap_or_default();
            in_index.sort_unstable();
            if in_index != in_row {
                checker.fail_last(BreakKind::SubjectIndexMismatch {
                    in_row: in_row.len(),
                    in_index: in_index.len(),
                });
                return Ok(checker.finish());
            }
        }
    });
    Ok(checker.finish())
}

/// Every object `q.actor` touched in the period, persons returned in lists included (see
/// [`TouchedQuery`]), most recently touched first. Read from the `audit (actor, at)` index and
/// the `audit_subject` index, aggregated by the database.
pub(crate) async fn touched(db: &Db, t: &TouchedQuery) -> Result<Vec<TouchedObject>> {
    let rows: Vec<(String, String, String, i64, i64, String)> = on_db!(db, |pool| {
        let mut q = sqlx::QueryBuilder::new(
            "SELECT kind, id, action, COUNT(*) AS times, SUM(listed) AS listed, MAX(at) AS at FROM (",
        );
        for (i, part) in [
            "SELECT a.object_kind AS kind, a.object_id AS id, a.action, a.at, 0 AS listed FROM audit a WHERE a.object_id <> '' AND a.actor = ",
            "SELECT 'person' AS kind, s.person_id AS id, a.action, a.at, 1 AS listed FROM audit a JOIN audit_subject s ON s.seq = a.seq WHERE a.actor = ",
        ]
        .into_iter()
        .enumerate()
        {
            if i > 0 {
                q.push(" UNION ALL ");
            }
            q.push(part).push_bind(&t.actor);
            if let Some(v) = t.from {
                q.push(" AND a.at >= ").push_bind(format_at(&v));
                q.push(pool.timestamp_cast());
            }
            if let Some(v) = t.to {
                q.push(" AND a.at < ").push_bind(format_at(&v));
                q.push(pool.timestamp_cast());
            }
            if let Some(v) = t.action {
                q.push(" AND a.action = ").push_bind(v.as_str());
            }
            if let Some(v) = t.outcome {
                q.push(" AND a.outcome = ").push_bind(v.as_str());
            }
        }
        q.push(") AS t");
        if let Some(k) = &t.object_kind {
            q.push(" WHERE kind = ").push_bind(k);
        }
        q.push(" GROUP BY kind, id, action");
        let rows = q.build().fetch_all(pool).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push((
                r.try_get("kind")?,
                r.try_get("id")?,
                r.try_get("action")?,
                r.try_get("times")?,
                r.try_get("listed")?,
                r.at_text()?,
            ));
        }
        Ok::<_, crate::StoreError>(out)
    })?;
    let mut by_object: std::collections::HashMap<(String, String), TouchedObject> =
        std::collections::HashMap::new();
    for (kind, id, action, times, listed, at) in rows {
        let action: AuditAction = action.parse()?;
        let at = parse_at(&at)?;
        let o = by_object
            .entry((kind.clone(), id.clone()))
            .or_insert_with(|| TouchedObject {
                object_kind: kind,
                object_id: id,
                times: 0,
                last_at: at,
                actions: Vec::new(),
                seen_in_lists: 0,
            });
        o.times += u64::try_from(times).unwrap_or(0);
        o.seen_in_lists += u64::try_from(listed).unwrap_or(0);
        o.last_at = o.last_at.max(at);
        o.actions.push(action);
    }
    let mut out: Vec<TouchedObject> = by_object.into_values().collect();
    for o in &mut out {
        o.actions
            .sort_by_key(|a| AuditAction::ALL.iter().position(|b| b == a));
    }
    out.sort_by(|a, b| {
        b.last_at
            .cmp(&a.last_at)
            .then_with(|| (&a.object_kind, &a.object_id).cmp(&(&b.object_kind, &b.object_id)))
    });
    Ok(out)
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

/// Rows appended per transaction by [`append_many`] (14 bound values each: under SQLite's
/// 32,766 and PostgreSQL's 65,535 per statement).
const MANY_CHUNK: usize = 1000;

/// Append `entries`, chained in order, [`MANY_CHUNK`] per transaction (a bulk load: an import
/// of another trail, the benches' synthetic trails). Returns the rows appended.
pub(crate) async fn append_many(db: &Db, entries: &[AuditEntry]) -> Result<u64> {
    for e in entries {
        e.validate()?;
    }
    for chunk in entries.chunks(MANY_CHUNK) {
        match &db.0 {
            // The batched writer chains the rows on its cached tail and inserts them with
            // one statement when the transaction commits.
            crate::db::Pools::Sqlite(pool, _) => {
                let mut tx = pool.begin_write(db).await?;
                for e in chunk {
                    tx.audit(e).await?;
                }
                tx.commit_in(db).await?;
            }
            // One lock, one read of the tail and one insert statement per chunk, rather than
            // three statements per row.
            crate::db::Pools::Pg(pool) => {
                let mut tx = pool.begin_write(db).await?;
                let mut tail = super::chain::lock_tail_pg(&mut tx).await?;
                let mut records = Vec::with_capacity(chunk.len());
                for e in chunk {
                    let r = super::next_record(e, tail.take());
                    tail = Some((r.seq, r.hash.clone()));
                    records.push(r);
                }
                super::chain::insert_query_pg(&records)
                    .build()
                    .execute(&mut *tx)
                    .await?;
                tx.commit_in(db).await?;
            }
        }
    }
    Ok(entries.len() as u64)
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

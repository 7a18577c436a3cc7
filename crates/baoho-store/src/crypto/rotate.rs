//! Key rotation of one encrypted column, written once for both backends ([`on_db!`]): only
//! the physical row address (SQLite's `rowid`, PostgreSQL's `ctid`) and the row lock differ.

use super::{Aad, BlindIndexColumn, EncryptedColumn, Keyring, ROTATE_BATCH};
use crate::Result;
use crate::db::{Commit, Db, Dialect, on_db};

/// Re-encrypt every value of `c` not under `keyring`'s active key, in batches, each batch in
/// its own transaction (resumable). Returns the number of rows rewritten.
pub(crate) async fn reencrypt_column(
    db: &Db,
    c: &EncryptedColumn,
    keyring: &Keyring,
) -> Result<u64> {
    c.checked()?;
    let pending = Rewrite {
        table: c.table,
        id: c.id_column,
        source: c.column,
        target: c.column,
        prefix: format!("v1:{}:", keyring.active_kid()),
    };
    rewrite_pending(db, &pending, |row_id, env| {
        keyring.reencrypt(&c.aad(row_id), env)
    })
    .await
}

/// Rows of `table` whose `target` column does not start with `prefix` (the active key's):
/// what a rotation still has to rewrite, from the value in `source`.
struct Rewrite {
    table: &'static str,
    id: &'static str,
    source: &'static str,
    target: &'static str,
    prefix: String,
}

/// Rewrite `p`'s pending rows with `rewrite(row id, source value)` (`None`: leave the row), in
/// batches, each batch in its own transaction, so a stopped rotation resumes where it was.
/// Written once for both backends: only the physical row address (SQLite's `rowid`,
/// PostgreSQL's `ctid`) and the row lock differ.
async fn rewrite_pending(
    db: &Db,
    p: &Rewrite,
    rewrite: impl Fn(&str, &str) -> Result<Option<String>>,
) -> Result<u64> {
    let Rewrite {
        table,
        id,
        source,
        target,
        ..
    } = p;
    let prefix_len = i32::try_from(p.prefix.len()).unwrap_or(i32::MAX);
    let mut total = 0u64;
    on_db!(db, |pool| {
        let (addr, addr_type) = pool.row_address();
        // Identifiers come from the checked registries, never from input.
        let select = format!(
            "SELECT CAST({addr} AS TEXT) AS rid, CAST({id} AS TEXT) AS id, {source} AS env FROM {table} WHERE {source} IS NOT NULL AND substr({target}, 1, $1) <> $2 LIMIT $3{}",
            pool.for_update()
        );
        let update =
            format!("UPDATE {table} SET {target} = $1 WHERE {addr} = CAST($2 AS {addr_type})");
        loop {
            let mut tx = pool.begin_write(db).await?;
            let rows: Vec<(String, String, String)> =
                sqlx::query_as(sqlx::AssertSqlSafe(select.as_str()))
                    .bind(prefix_len)
                    .bind(&p.prefix)
                    .bind(ROTATE_BATCH)
                    .fetch_all(&mut *tx)
                    .await?;
            if rows.is_empty() {
                tx.commit_in(db).await?;
                return Ok(total);
            }
            for (rid, row_id, env) in &rows {
                let Some(new) = rewrite(row_id, env)? else {
                    continue;
                };
                sqlx::query(sqlx::AssertSqlSafe(update.as_str()))
                    .bind(new)
                    .bind(rid)
                    .execute(&mut *tx)
                    .await?;
                total += 1;
            }
            tx.commit_in(db).await?;
        }
    })
}

/// The stored key-check envelope, if one was established.
pub(crate) async fn key_check(db: &Db) -> Result<Option<String>> {
    on_db!(db, |pool| Ok(sqlx::query_scalar(
        "SELECT envelope FROM key_check WHERE id = 1"
    )
    .fetch_optional(pool)
    .await?))
}

/// Store the key-check envelope unless one exists already (first start wins).
pub(crate) async fn init_key_check(db: &Db, envelope: &str) -> Result<()> {
    on_db!(db, |pool| {
        let mut tx = pool.begin_write(db).await?;
        sqlx::query(
            "INSERT INTO key_check (id, envelope) VALUES (1, $1) ON CONFLICT (id) DO NOTHING",
        )
        .bind(envelope)
        .execute(&mut *tx)
        .await?;
        tx.commit_in(db).await?;
        Ok(())
    })
}

/// Rows of `c` holding a value not under the key `kid` (what a rotation still has to do).
pub(crate) async fn count_pending(db: &Db, c: &EncryptedColumn, kid: &str) -> Result<u64> {
    c.checked()?;
    let (table, col) = (c.table, c.column);
    let prefix = format!("v1:{kid}:");
    count_not_prefixed(db, table, col, &prefix).await
}

/// Rows of `b` whose blind index is not under the key `kid`.
pub(crate) async fn count_pending_index(db: &Db, b: &BlindIndexColumn, kid: &str) -> Result<u64> {
    b.checked()?;
    count_not_prefixed(db, b.table, b.index, &format!("{kid}:")).await
}

async fn count_not_prefixed(db: &Db, table: &str, col: &str, prefix: &str) -> Result<u64> {
    let prefix_len = i32::try_from(prefix.len()).unwrap_or(i32::MAX);
    // Identifiers come from the checked registries, never from input.
    let sql = format!(
        "SELECT COUNT(*) FROM {table} WHERE {col} IS NOT NULL AND substr({col}, 1, $1) <> $2"
    );
    let n: i64 = on_db!(db, |pool| {
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(prefix_len)
            .bind(prefix)
            .fetch_one(pool)
            .await?
    });
    Ok(u64::try_from(n).unwrap_or(0))
}

/// Recompute every blind index of `b` not under `keyring`'s active key from the value it
/// indexes (decrypted with whichever key of the ring sealed it), in batches, each batch in its
/// own transaction (resumable). Returns the number of rows re-indexed.
pub(crate) async fn reindex(db: &Db, b: &BlindIndexColumn, keyring: &Keyring) -> Result<u64> {
    b.checked()?;
    let pending = Rewrite {
        table: b.table,
        id: b.id_column,
        source: b.source,
        target: b.index,
        prefix: format!("{}:", keyring.active_kid()),
    };
    rewrite_pending(db, &pending, |row_id, env| {
        let plain = keyring.decrypt_string(&Aad::new(b.table, b.source, row_id), env)?;
        Ok(Some(
            keyring.blind_index(b.purpose, &(b.key)(plain.as_str()))?,
        ))
    })
    .await
}

//! Key rotation of one encrypted column, written once for both backends ([`on_db!`]): only
//! the physical row address (SQLite's `rowid`, PostgreSQL's `ctid`) and the row lock differ.

use super::{EncryptedColumn, Keyring, ROTATE_BATCH};
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
    let (table, id, col) = (c.table, c.id_column, c.column);
    let prefix = format!("v1:{}:", keyring.active_kid());
    let prefix_len = i32::try_from(prefix.len()).unwrap_or(i32::MAX);
    let mut total = 0u64;
    on_db!(db, |pool| {
        let (addr, addr_type) = pool.row_address();
        // Identifiers come from the checked registry, never from input.
        let select = format!(
            "SELECT CAST({addr} AS TEXT) AS rid, CAST({id} AS TEXT) AS id, {col} AS env FROM {table} WHERE {col} IS NOT NULL AND substr({col}, 1, $1) <> $2 LIMIT $3{}",
            pool.for_update()
        );
        let update =
            format!("UPDATE {table} SET {col} = $1 WHERE {addr} = CAST($2 AS {addr_type})");
        loop {
            let mut tx = pool.begin_write(db).await?;
            let rows: Vec<(String, String, String)> =
                sqlx::query_as(sqlx::AssertSqlSafe(select.as_str()))
                    .bind(prefix_len)
                    .bind(&prefix)
                    .bind(ROTATE_BATCH)
                    .fetch_all(&mut *tx)
                    .await?;
            if rows.is_empty() {
                tx.commit_in(db).await?;
                return Ok(total);
            }
            for (rid, row_id, env) in &rows {
                let Some(new) = keyring.reencrypt(&c.aad(row_id), env)? else {
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

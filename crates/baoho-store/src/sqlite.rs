//! SQLite backend: the embedded default. WAL, foreign keys on; connections run
//! synchronous=NORMAL and every commit waits for a shared fsync of the WAL (group commit, see
//! [`crate::db::WalSync`]), which is as durable as FULL for anything acknowledged.

use crate::audit::{self, AuditEntry, AuditFilter, AuditRecord, AuditVerification, ChainChecker};
use crate::crypto::{EncryptedColumn, Keyring};
use crate::db::Commit;
use crate::{
    Backend, Country, DatabaseUrl, Durability, Language, Mission, OpenMode, Province, RefCounts,
    RefData, Result, Store, StoreError,
};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlitePool};
use std::str::FromStr;
use std::time::Duration;

pub struct SqliteStore {
    pool: SqlitePool,
    writer: crate::db::SqliteWriter,
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

impl SqliteStore {
    pub async fn open(url: &DatabaseUrl, mode: OpenMode) -> Result<Self> {
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
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(opts.clone())
            .await?;
        // Every write transaction runs on the batcher's one connection (opened on first use,
        // after the readers have created the file). Only it changes the database, so its page
        // cache stays valid from one transaction to the next: give it room (64 MiB) for the
        // hot index pages.
        let writer = crate::db::SqliteWriter {
            batch: crate::batch::Batcher::new(
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

#[async_trait::async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn migrate(&self) -> Result<()> {
        MIGRATOR.run(&self.pool).await?;
        // Make the migration durable before anything relies on it.
        self.writer.batch.sync().await?;
        Ok(())
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
        Ok(Durability {
            backend: Backend::Sqlite,
            journal: journal.to_lowercase(),
            // NORMAL on the connection, FULL in effect: every commit waits for a WAL fsync.
            synchronous: format!("{sync}+wal-fsync"),
            foreign_keys: fk.to_string(),
        })
    }

    async fn load_reference_data(&self, data: &RefData) -> Result<RefCounts> {
        let mut tx = self.writer.batch.begin().await?;
        let loaded: Vec<String> = sqlx::query_scalar("SELECT dataset FROM reference_load")
            .fetch_all(&mut *tx)
            .await?;
        let now = chrono::Utc::now().to_rfc3339();
        let mut counts = RefCounts::default();
        if !loaded.iter().any(|d| d == "countries") && !data.countries.is_empty() {
            for c in &data.countries {
                sqlx::query("INSERT INTO country (alpha2, alpha3, numeric, name_en, name_vi) VALUES (?, ?, ?, ?, ?)")
                    .bind(&c.alpha2).bind(&c.alpha3).bind(&c.numeric).bind(&c.name_en).bind(&c.name_vi)
                    .execute(&mut *tx).await?;
            }
            counts.countries = data.countries.len() as u64;
            mark(&mut tx, "countries", counts.countries, &now).await?;
        }
        if !loaded.iter().any(|d| d == "provinces") && !data.provinces.is_empty() {
            for p in data.provinces_in_load_order() {
                let sql = if p.era == "2025" {
                    "INSERT INTO province (code, name_vi, name_en, kind) VALUES (?, ?, ?, ?)"
                } else {
                    "INSERT INTO province_pre2025 (code, name_vi, name_en, kind, merged_into) VALUES (?, ?, ?, ?, ?)"
                };
                let q = sqlx::query(sql)
                    .bind(&p.code)
                    .bind(&p.name_vi)
                    .bind(&p.name_en)
                    .bind(&p.kind);
                let q = if p.era == "2025" {
                    q
                } else {
                    q.bind(&p.merged_into)
                };
                q.execute(&mut *tx).await?;
            }
            counts.provinces = data.provinces.len() as u64;
            mark(&mut tx, "provinces", counts.provinces, &now).await?;
        }
        if !loaded.iter().any(|d| d == "languages") && !data.languages.is_empty() {
            for l in &data.languages {
                sqlx::query("INSERT INTO language (code, name_en, name_vi) VALUES (?, ?, ?)")
                    .bind(&l.code)
                    .bind(&l.name_en)
                    .bind(&l.name_vi)
                    .execute(&mut *tx)
                    .await?;
            }
            counts.languages = data.languages.len() as u64;
            mark(&mut tx, "languages", counts.languages, &now).await?;
        }
        if !loaded.iter().any(|d| d == "missions") && !data.missions.is_empty() {
            for m in &data.missions {
                insert_mission(&mut tx, m).await?;
            }
            counts.missions = data.missions.len() as u64;
            mark(&mut tx, "missions", counts.missions, &now).await?;
        }
        tx.commit_in(&self.db()).await?;
        Ok(counts)
    }

    async fn countries(&self) -> Result<Vec<Country>> {
        Ok(sqlx::query_as(
            "SELECT alpha2, alpha3, numeric, name_en, name_vi FROM country ORDER BY alpha2",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    async fn missions(&self) -> Result<Vec<Mission>> {
        let rows = sqlx::query("SELECT code, kind, name_vi, name_en, city, country, area, active FROM mission ORDER BY country, kind, code")
            .fetch_all(&self.pool)
            .await?;
        let juris = sqlx::query(
            "SELECT mission, country FROM mission_jurisdiction ORDER BY mission, country",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut out: Vec<Mission> = rows.iter().map(mission_from_row).collect::<Result<_>>()?;
        let by_code: std::collections::HashMap<String, usize> = out
            .iter()
            .enumerate()
            .map(|(i, m)| (m.code.clone(), i))
            .collect();
        for r in juris {
            let code: String = r.try_get("mission")?;
            if let Some(&i) = by_code.get(&code) {
                out[i].jurisdiction.push(r.try_get("country")?);
            }
        }
        Ok(out)
    }

    async fn mission(&self, code: &str) -> Result<Mission> {
        let row = sqlx::query("SELECT code, kind, name_vi, name_en, city, country, area, active FROM mission WHERE code = ?")
            .bind(code)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        let mut m = mission_from_row(&row)?;
        m.jurisdiction = sqlx::query_scalar(
            "SELECT country FROM mission_jurisdiction WHERE mission = ? ORDER BY country",
        )
        .bind(code)
        .fetch_all(&self.pool)
        .await?;
        Ok(m)
    }

    async fn update_mission(&self, m: &Mission) -> Result<()> {
        let mut tx = self.writer.batch.begin().await?;
        let done = sqlx::query("UPDATE mission SET kind = ?, name_vi = ?, name_en = ?, city = ?, country = ?, area = ?, active = ? WHERE code = ?")
            .bind(&m.kind).bind(&m.name_vi).bind(&m.name_en).bind(&m.city).bind(&m.country).bind(&m.area)
            .bind(i64::from(m.active)).bind(&m.code)
            .execute(&mut *tx).await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        sqlx::query("DELETE FROM mission_jurisdiction WHERE mission = ?")
            .bind(&m.code)
            .execute(&mut *tx)
            .await?;
        for c in &m.jurisdiction {
            sqlx::query("INSERT INTO mission_jurisdiction (mission, country) VALUES (?, ?)")
                .bind(&m.code)
                .bind(c)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit_in(&self.db()).await?;
        Ok(())
    }

    async fn provinces(&self) -> Result<Vec<Province>> {
        Ok(sqlx::query_as("SELECT code, '2025' AS era, name_vi, name_en, kind, NULL AS merged_into FROM province \
             UNION ALL SELECT code, 'pre2025' AS era, name_vi, name_en, kind, merged_into FROM province_pre2025 ORDER BY era, code")
            .fetch_all(&self.pool)
            .await?)
    }

    async fn languages(&self) -> Result<Vec<Language>> {
        Ok(
            sqlx::query_as("SELECT code, name_en, name_vi FROM language ORDER BY code")
                .fetch_all(&self.pool)
                .await?,
        )
    }

    async fn append_audit(&self, entry: &AuditEntry) -> Result<AuditRecord> {
        let mut tx = self.writer.batch.begin().await?;
        let r = tx.audit(entry).await?;
        tx.commit_in(&self.db()).await?;
        Ok(r)
    }

    async fn audit_query(&self, f: &AuditFilter) -> Result<Vec<AuditRecord>> {
        let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new("SELECT ");
        q.push(audit::RECORD_COLUMNS);
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
            q.push(" AND at >= ").push_bind(audit::format_at(&v));
        }
        if let Some(v) = f.to {
            q.push(" AND at < ").push_bind(audit::format_at(&v));
        }
        if let Some(v) = f.before_seq {
            q.push(" AND seq < ").push_bind(v);
        }
        q.push(" ORDER BY seq DESC LIMIT ").push_bind(f.page_size());
        let rows = q.build().fetch_all(&self.pool).await?;
        rows.iter().map(audit_from_row).collect()
    }

    async fn verify_audit(&self) -> Result<AuditVerification> {
        let mut checker = ChainChecker::new();
        let mut after = 0i64;
        loop {
            let rows = sqlx::query(
                "SELECT seq, at, actor, role, agency, object_kind, object_id, action, purpose, outcome, request_id, prev_hash, hash \
                 FROM audit WHERE seq > ? ORDER BY seq LIMIT ?",
            )
            .bind(after)
            .bind(audit::VERIFY_BATCH)
            .fetch_all(&self.pool)
            .await?;
            if rows.is_empty() {
                break;
            }
            for r in &rows {
                let get = |c: &str| r.try_get::<String, _>(c);
                let (at, actor, role, agency) =
                    (get("at")?, get("actor")?, get("role")?, get("agency")?);
                let (object_kind, object_id, action) =
                    (get("object_kind")?, get("object_id")?, get("action")?);
                let (purpose, outcome, request_id) =
                    (get("purpose")?, get("outcome")?, get("request_id")?);
                let (prev_hash, hash) = (get("prev_hash")?, get("hash")?);
                let fields = audit::ChainFields {
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
        }
        Ok(checker.finish())
    }

    async fn key_check(&self) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT envelope FROM key_check WHERE id = 1")
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn init_key_check(&self, envelope: &str) -> Result<()> {
        let mut tx = self.writer.batch.begin().await?;
        sqlx::query(
            "INSERT INTO key_check (id, envelope) VALUES (1, ?) ON CONFLICT (id) DO NOTHING",
        )
        .bind(envelope)
        .execute(&mut *tx)
        .await?;
        tx.commit_in(&self.db()).await?;
        Ok(())
    }

    async fn reencrypt_column(&self, c: &EncryptedColumn, keyring: &Keyring) -> Result<u64> {
        c.checked()?;
        let (table, id, col) = (c.table, c.id_column, c.column);
        // Identifiers come from the checked registry, never from input.
        let select = format!(
            "SELECT rowid AS rid, CAST({id} AS TEXT) AS id, {col} AS env FROM {table} WHERE {col} IS NOT NULL AND substr({col}, 1, ?) <> ? LIMIT ?"
        );
        let update = format!("UPDATE {table} SET {col} = ? WHERE rowid = ?");
        let prefix = format!("v1:{}:", keyring.active_kid());
        let prefix_len = i32::try_from(prefix.len()).unwrap_or(i32::MAX);
        let mut total = 0u64;
        loop {
            let mut tx = self.writer.batch.begin().await?;
            let rows: Vec<(i64, String, String)> =
                sqlx::query_as(sqlx::AssertSqlSafe(select.as_str()))
                    .bind(prefix_len)
                    .bind(&prefix)
                    .bind(crate::crypto::ROTATE_BATCH)
                    .fetch_all(&mut *tx)
                    .await?;
            if rows.is_empty() {
                tx.commit_in(&self.db()).await?;
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
            tx.commit_in(&self.db()).await?;
        }
    }

    fn db(&self) -> crate::Db {
        crate::Db::sqlite(&self.pool, &self.writer)
    }

    async fn close(&self) {
        self.pool.close().await;
    }
}

fn audit_from_row(r: &sqlx::sqlite::SqliteRow) -> Result<AuditRecord> {
    let at: String = r.try_get("at")?;
    let action: String = r.try_get("action")?;
    let outcome: String = r.try_get("outcome")?;
    Ok(AuditRecord {
        seq: r.try_get("seq")?,
        entry: AuditEntry {
            at: audit::parse_at(&at)?,
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

async fn mark(tx: &mut sqlx::SqliteConnection, name: &str, n: u64, now: &str) -> Result<()> {
    sqlx::query("INSERT INTO reference_load (dataset, rows, loaded_at) VALUES (?, ?, ?)")
        .bind(name)
        .bind(i64::try_from(n).unwrap_or(i64::MAX))
        .bind(now)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

async fn insert_mission(tx: &mut sqlx::SqliteConnection, m: &Mission) -> Result<()> {
    sqlx::query("INSERT INTO mission (code, kind, name_vi, name_en, city, country, area, active) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
        .bind(&m.code).bind(&m.kind).bind(&m.name_vi).bind(&m.name_en).bind(&m.city).bind(&m.country).bind(&m.area)
        .bind(i64::from(m.active))
        .execute(&mut *tx).await?;
    for c in &m.jurisdiction {
        sqlx::query("INSERT INTO mission_jurisdiction (mission, country) VALUES (?, ?)")
            .bind(&m.code)
            .bind(c)
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}

fn mission_from_row(r: &sqlx::sqlite::SqliteRow) -> Result<Mission> {
    Ok(Mission {
        code: r.try_get("code")?,
        kind: r.try_get("kind")?,
        name_vi: r.try_get("name_vi")?,
        name_en: r.try_get("name_en")?,
        city: r.try_get("city")?,
        country: r.try_get("country")?,
        area: r.try_get("area")?,
        active: r.try_get::<i64, _>("active")? != 0,
        jurisdiction: Vec::new(),
    })
}

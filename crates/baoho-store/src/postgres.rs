//! PostgreSQL backend: production.

use crate::audit::{self, AuditEntry, AuditFilter, AuditRecord, AuditVerification, ChainChecker};
use crate::crypto::{EncryptedColumn, Keyring};
use crate::db::Commit;
use crate::{
    Backend, Country, DatabaseUrl, Durability, Language, Mission, Province, RefCounts, RefData,
    Result, Store, StoreError,
};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Postgres, Row, Transaction};
use std::str::FromStr;
use std::time::Duration;

pub struct PgStore {
    pool: PgPool,
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

impl PgStore {
    pub async fn open(url: &DatabaseUrl) -> Result<Self> {
        let opts = PgConnectOptions::from_str(url.expose())?.application_name("baoho");
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(opts)
            .await?;
        Ok(Self { pool })
    }
}

#[async_trait::async_trait]
impl Store for PgStore {
    fn backend(&self) -> Backend {
        Backend::Postgres
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn migrate(&self) -> Result<()> {
        MIGRATOR.run(&self.pool).await?;
        Ok(())
    }

    async fn durability(&self) -> Result<Durability> {
        let wal: String = sqlx::query_scalar("SHOW wal_level")
            .fetch_one(&self.pool)
            .await?;
        let sync: String = sqlx::query_scalar("SHOW synchronous_commit")
            .fetch_one(&self.pool)
            .await?;
        Ok(Durability {
            backend: Backend::Postgres,
            journal: wal,
            synchronous: sync,
            foreign_keys: "on".into(),
        })
    }

    async fn load_reference_data(&self, data: &RefData) -> Result<RefCounts> {
        let mut tx = self.pool.begin().await?;
        // One loader at a time, so two servers starting together never double-load.
        sqlx::query("LOCK TABLE reference_load IN EXCLUSIVE MODE")
            .execute(&mut *tx)
            .await?;
        let loaded: Vec<String> = sqlx::query_scalar("SELECT dataset FROM reference_load")
            .fetch_all(&mut *tx)
            .await?;
        let has = |name: &str| loaded.iter().any(|d| d == name);
        let mut counts = RefCounts::default();
        if !has("countries") && !data.countries.is_empty() {
            for c in &data.countries {
                sqlx::query("INSERT INTO country (alpha2, alpha3, numeric, name_en, name_vi) VALUES ($1, $2, $3, $4, $5)")
                    .bind(&c.alpha2).bind(&c.alpha3).bind(&c.numeric).bind(&c.name_en).bind(&c.name_vi)
                    .execute(&mut *tx).await?;
            }
            counts.countries = data.countries.len() as u64;
            mark(&mut tx, "countries", counts.countries).await?;
        }
        if !has("provinces") && !data.provinces.is_empty() {
            for p in data.provinces_in_load_order() {
                let sql = if p.era == "2025" {
                    "INSERT INTO province (code, name_vi, name_en, kind) VALUES ($1, $2, $3, $4)"
                } else {
                    "INSERT INTO province_pre2025 (code, name_vi, name_en, kind, merged_into) VALUES ($1, $2, $3, $4, $5)"
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
            mark(&mut tx, "provinces", counts.provinces).await?;
        }
        if !has("languages") && !data.languages.is_empty() {
            for l in &data.languages {
                sqlx::query("INSERT INTO language (code, name_en, name_vi) VALUES ($1, $2, $3)")
                    .bind(&l.code)
                    .bind(&l.name_en)
                    .bind(&l.name_vi)
                    .execute(&mut *tx)
                    .await?;
            }
            counts.languages = data.languages.len() as u64;
            mark(&mut tx, "languages", counts.languages).await?;
        }
        if !has("missions") && !data.missions.is_empty() {
            for m in &data.missions {
                sqlx::query("INSERT INTO mission (code, kind, name_vi, name_en, city, country, area, active) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
                    .bind(&m.code).bind(&m.kind).bind(&m.name_vi).bind(&m.name_en).bind(&m.city).bind(&m.country).bind(&m.area).bind(m.active)
                    .execute(&mut *tx).await?;
                insert_jurisdiction(&mut tx, m).await?;
            }
            counts.missions = data.missions.len() as u64;
            mark(&mut tx, "missions", counts.missions).await?;
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
        let rows = sqlx::query("SELECT code, kind, name_vi, name_en, city, country, area, active, \
                COALESCE((SELECT array_agg(j.country ORDER BY j.country) FROM mission_jurisdiction j WHERE j.mission = m.code), '{}') AS jurisdiction \
                FROM mission m ORDER BY country, kind, code")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(mission_from_row).collect()
    }

    async fn mission(&self, code: &str) -> Result<Mission> {
        let row = sqlx::query("SELECT code, kind, name_vi, name_en, city, country, area, active, \
                COALESCE((SELECT array_agg(j.country ORDER BY j.country) FROM mission_jurisdiction j WHERE j.mission = m.code), '{}') AS jurisdiction \
                FROM mission m WHERE code = $1")
            .bind(code)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        mission_from_row(&row)
    }

    async fn update_mission(&self, m: &Mission) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query("UPDATE mission SET kind = $1, name_vi = $2, name_en = $3, city = $4, country = $5, area = $6, active = $7 WHERE code = $8")
            .bind(&m.kind).bind(&m.name_vi).bind(&m.name_en).bind(&m.city).bind(&m.country).bind(&m.area).bind(m.active).bind(&m.code)
            .execute(&mut *tx).await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        sqlx::query("DELETE FROM mission_jurisdiction WHERE mission = $1")
            .bind(&m.code)
            .execute(&mut *tx)
            .await?;
        insert_jurisdiction(&mut tx, m).await?;
        tx.commit_in(&self.db()).await?;
        Ok(())
    }

    async fn provinces(&self) -> Result<Vec<Province>> {
        Ok(sqlx::query_as("SELECT code, '2025' AS era, name_vi, name_en, kind, NULL::text AS merged_into FROM province \
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
        let mut tx = self.pool.begin().await?;
        let r = audit::append_pg(&mut tx, entry).await?;
        tx.commit_in(&self.db()).await?;
        Ok(r)
    }

    async fn audit_query(&self, f: &AuditFilter) -> Result<Vec<AuditRecord>> {
        let mut q = sqlx::QueryBuilder::<Postgres>::new("SELECT ");
        q.push(audit::RECORD_COLUMNS);
        q.push(" FROM audit WHERE TRUE");
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
            q.push(" AND at >= ").push_bind(v);
        }
        if let Some(v) = f.to {
            q.push(" AND at < ").push_bind(v);
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
                 FROM audit WHERE seq > $1 ORDER BY seq LIMIT $2",
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
                let at = audit::format_at(&r.try_get::<chrono::DateTime<chrono::Utc>, _>("at")?);
                let (actor, role, agency) = (get("actor")?, get("role")?, get("agency")?);
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
        sqlx::query(
            "INSERT INTO key_check (id, envelope) VALUES (1, $1) ON CONFLICT (id) DO NOTHING",
        )
        .bind(envelope)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn reencrypt_column(&self, c: &EncryptedColumn, keyring: &Keyring) -> Result<u64> {
        c.checked()?;
        let (table, id, col) = (c.table, c.id_column, c.column);
        // Identifiers come from the checked registry, never from input.
        let select = format!(
            "SELECT ctid::text AS rid, {id}::text AS id, {col} AS env FROM {table} WHERE {col} IS NOT NULL AND substr({col}, 1, $1) <> $2 LIMIT $3 FOR UPDATE"
        );
        let update = format!("UPDATE {table} SET {col} = $1 WHERE ctid = $2::tid");
        let prefix = format!("v1:{}:", keyring.active_kid());
        let prefix_len = i32::try_from(prefix.len()).unwrap_or(i32::MAX);
        let mut total = 0u64;
        loop {
            let mut tx = self.pool.begin().await?;
            let rows: Vec<(String, String, String)> =
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
        crate::Db::pg(&self.pool)
    }

    async fn close(&self) {
        self.pool.close().await;
    }
}

fn audit_from_row(r: &sqlx::postgres::PgRow) -> Result<AuditRecord> {
    let action: String = r.try_get("action")?;
    let outcome: String = r.try_get("outcome")?;
    Ok(AuditRecord {
        seq: r.try_get("seq")?,
        entry: AuditEntry {
            at: r.try_get("at")?,
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

async fn mark(tx: &mut Transaction<'_, Postgres>, name: &str, n: u64) -> Result<()> {
    sqlx::query("INSERT INTO reference_load (dataset, rows, loaded_at) VALUES ($1, $2, now())")
        .bind(name)
        .bind(i64::try_from(n).unwrap_or(i64::MAX))
        .execute(&mut **tx)
        .await?;
    Ok(())
}

async fn insert_jurisdiction(tx: &mut Transaction<'_, Postgres>, m: &Mission) -> Result<()> {
    for c in &m.jurisdiction {
        sqlx::query("INSERT INTO mission_jurisdiction (mission, country) VALUES ($1, $2)")
            .bind(&m.code)
            .bind(c)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

fn mission_from_row(r: &sqlx::postgres::PgRow) -> Result<Mission> {
    Ok(Mission {
        code: r.try_get("code")?,
        kind: r.try_get("kind")?,
        name_vi: r.try_get("name_vi")?,
        name_en: r.try_get("name_en")?,
        city: r.try_get("city")?,
        country: r.try_get("country")?,
        area: r.try_get("area")?,
        active: r.try_get("active")?,
        jurisdiction: r.try_get("jurisdiction")?,
    })
}

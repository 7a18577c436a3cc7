//! PostgreSQL backend: production.

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
        tx.commit().await?;
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
        tx.commit().await?;
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

    async fn close(&self) {
        self.pool.close().await;
    }
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

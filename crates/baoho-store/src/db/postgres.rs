//! PostgreSQL backend: production.

use crate::{Backend, DatabaseUrl, Durability, PoolSettings, Result, Store};
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use std::str::FromStr;

pub struct PgStore {
    pool: PgPool,
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

impl PgStore {
    pub async fn open(url: &DatabaseUrl, settings: PoolSettings) -> Result<Self> {
        let opts = PgConnectOptions::from_str(url.expose())?.application_name("baoho");
        let pool = PgPoolOptions::new()
            .max_connections(16)
            // Also bounds the liveness check of an idle connection: a stopped server (SIGSTOP,
            // a hung host) is answered 503 after this time, not when TCP gives up.
            .acquire_timeout(settings.acquire_timeout)
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

    async fn migrate(&self) -> Result<()> {
        MIGRATOR.run(&self.pool).await?;
        Ok(())
    }

    async fn check_schema(&self) -> Result<()> {
        crate::db::check_schema(&self.db(), &MIGRATOR).await
    }

    async fn grant_app_role(&self, role: &str) -> Result<()> {
        // The function (migration 0018) checks the name and quotes it.
        sqlx::query("SELECT baoho_grant_app_role($1)")
            .bind(role)
            .execute(&self.pool)
            .await?;
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

    fn db(&self) -> crate::Db {
        crate::Db::pg(&self.pool)
    }

    async fn close(&self) {
        self.pool.close().await;
    }
}

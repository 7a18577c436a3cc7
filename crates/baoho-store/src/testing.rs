//! Fresh databases for tests: a new SQLite file, or a new PostgreSQL database on the server
//! that `scripts/test` (or `scripts/with-postgres`) started and named in `TEST_BAOHO_PG_URL`.
//!
//! When `TEST_BAOHO_REQUIRE_PG=1` (set by `scripts/test`, so CI), a missing PostgreSQL fails the
//! test instead of skipping it: the contract suite cannot silently run on one backend.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use crate::{DatabaseUrl, OpenMode, Store};
use std::sync::Arc;

/// A database that lives as long as this value (the SQLite directory is removed on drop).
pub struct TestDb {
    pub url: DatabaseUrl,
    pub store: Arc<dyn Store>,
    _dir: Option<tempfile::TempDir>,
}

impl std::fmt::Debug for TestDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TestDb({})", self.url)
    }
}

pub async fn fresh_sqlite() -> TestDb {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("baoho-test.db");
    let url = DatabaseUrl::parse(&format!("sqlite://{}", path.display())).expect("url");
    let store = crate::open(&url, OpenMode::CreateIfMissing)
        .await
        .expect("open sqlite");
    TestDb {
        url,
        store,
        _dir: Some(dir),
    }
}

/// The admin URL of the test PostgreSQL server, if one is configured.
pub fn pg_admin_url() -> Option<String> {
    match std::env::var("TEST_BAOHO_PG_URL") {
        Ok(u) if !u.is_empty() => Some(u),
        _ => {
            if std::env::var("TEST_BAOHO_REQUIRE_PG").as_deref() == Ok("1") {
                panic!(
                    "TEST_BAOHO_REQUIRE_PG=1 but TEST_BAOHO_PG_URL is not set: run through scripts/test"
                );
            }
            None
        }
    }
}

/// A new, empty PostgreSQL database (migrated), or None (and a note on stderr) when no test
/// server is configured and PostgreSQL is not required.
pub async fn fresh_postgres() -> Option<TestDb> {
    let Some(admin) = pg_admin_url() else {
        eprintln!("postgres: skipped (TEST_BAOHO_PG_URL not set)");
        return None;
    };
    let url = create_pg_database(&admin).await;
    let store = crate::open(&url, OpenMode::MustExist)
        .await
        .expect("open postgres");
    Some(TestDb {
        url,
        store,
        _dir: None,
    })
}

/// Create an empty database on the admin server and return its URL.
pub async fn create_pg_database(admin: &str) -> DatabaseUrl {
    use sqlx::Connection;
    let name = format!("baoho_t_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(admin)
        .await
        .expect("connect to test postgres");
    // The name is ours (a uuid), not input.
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .expect("create database");
    conn.close().await.ok();
    let base = match admin.rfind('/') {
        Some(i) if admin[..i].contains("://") && i > admin.find("://").unwrap_or(0) + 2 => {
            &admin[..i]
        }
        _ => admin,
    };
    let (base, query) = match admin.find('?') {
        Some(q) => (&base[..base.len().min(q)], &admin[q..]),
        None => (base, ""),
    };
    DatabaseUrl::parse(&format!("{base}/{name}{query}")).expect("pg url")
}

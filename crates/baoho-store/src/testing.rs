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

/// What must hold in any database after any story, whatever it did: each rule with a query
/// counting the rows that break it. The store contract suite and the server's integration
/// tests both end every story with [`broken_invariants`] (through their `verify()`).
pub const INVARIANTS: &[(&str, &str)] = &[
    (
        "every case has a member",
        "SELECT COUNT(*) FROM case_file c \
         WHERE NOT EXISTS (SELECT 1 FROM case_member m WHERE m.case_rid = c.rid)",
    ),
    (
        "every case's creator is a member",
        "SELECT COUNT(*) FROM case_file c WHERE NOT EXISTS \
         (SELECT 1 FROM case_member m WHERE m.case_rid = c.rid AND m.account_id = c.created_by)",
    ),
    (
        "every case's lead is a member",
        "SELECT COUNT(*) FROM case_file c WHERE c.lead_officer IS NOT NULL AND NOT EXISTS \
         (SELECT 1 FROM case_member m WHERE m.case_rid = c.rid AND m.account_id = c.lead_officer)",
    ),
    (
        "every case's timeline opens with its creation, by its creator",
        "SELECT COUNT(*) FROM case_file c WHERE NOT EXISTS (SELECT 1 FROM case_event e \
         WHERE e.case_rid = c.rid AND e.kind = 'status' AND e.at = c.opened_at \
         AND e.author = c.created_by)",
    ),
    (
        "no timeline entry before its case was opened",
        "SELECT COUNT(*) FROM case_event e JOIN case_file c ON c.rid = e.case_rid \
         WHERE e.at < c.opened_at AND e.author <> 'system'",
    ),
    (
        "a closed case was approved by someone other than who asked",
        "SELECT COUNT(*) FROM case_file WHERE status = 'closed' AND (closed_by IS NULL \
         OR closed_at IS NULL OR close_requested_by IS NULL OR closed_by = close_requested_by)",
    ),
    (
        "only a closed case has a closure",
        "SELECT COUNT(*) FROM case_file WHERE status <> 'closed' \
         AND (closed_by IS NOT NULL OR closed_at IS NOT NULL)",
    ),
    (
        "a closure is asked for only on a resolved case",
        "SELECT COUNT(*) FROM case_file WHERE close_requested_by IS NOT NULL \
         AND status NOT IN ('resolved', 'closed')",
    ),
    (
        "every referral points at an existing case",
        "SELECT COUNT(*) FROM case_referral r \
         WHERE NOT EXISTS (SELECT 1 FROM case_file c WHERE c.rid = r.case_rid)",
    ),
    (
        "a referral without consent says why",
        "SELECT COUNT(*) FROM case_referral WHERE consent = 'override' AND override_reason IS NULL",
    ),
    (
        "a referral without consent reached the partner only with someone else's approval",
        "SELECT COUNT(*) FROM case_referral WHERE consent = 'override' \
         AND status NOT IN ('awaiting_approval', 'refused') \
         AND (approved_by IS NULL OR approved_by = created_by OR decided_at IS NULL)",
    ),
    (
        "a refused referral was refused by someone else, with a reason",
        "SELECT COUNT(*) FROM case_referral WHERE status = 'refused' AND (refused_by IS NULL \
         OR refused_by = created_by OR refusal_reason IS NULL OR consent <> 'override')",
    ),
    (
        "a referral with consent carries its record",
        "SELECT COUNT(*) FROM case_referral WHERE consent = 'given' AND (consent_by IS NULL \
         OR consent_purpose IS NULL OR consent_on IS NULL OR consent_method IS NULL \
         OR consent_recorded_by IS NULL)",
    ),
    (
        "every transfer points at an existing case",
        "SELECT COUNT(*) FROM case_transfer t \
         WHERE NOT EXISTS (SELECT 1 FROM case_file c WHERE c.rid = t.case_rid)",
    ),
    (
        "a transfer is decided exactly when it has a decider",
        "SELECT COUNT(*) FROM case_transfer WHERE (status = 'requested') = (decided_by IS NOT NULL)",
    ),
    (
        "at most one transfer of a case waits",
        "SELECT COUNT(*) FROM (SELECT case_rid FROM case_transfer WHERE status = 'requested' \
         GROUP BY case_rid HAVING COUNT(*) > 1) w",
    ),
    (
        "every attachment points at an existing case",
        "SELECT COUNT(*) FROM case_attachment a \
         WHERE NOT EXISTS (SELECT 1 FROM case_file c WHERE c.rid = a.case_rid)",
    ),
    (
        "every delivery was delivered (a story drains its outbox)",
        "SELECT COUNT(*) FROM outbox WHERE done_at IS NULL",
    ),
];

/// The [`INVARIANTS`] that do not hold in `db`, each with the number of rows that break it
/// (read past the Store, on one connection of its own).
pub async fn broken_invariants(db: &TestDb) -> Vec<String> {
    broken_invariants_at(&db.url).await
}

/// [`broken_invariants`] of the database at `url` (one a test did not open itself, such as a
/// served database after a crash).
pub async fn broken_invariants_at(url: &DatabaseUrl) -> Vec<String> {
    use sqlx::Connection;
    // One connection of the test database's own kind, every count on it.
    macro_rules! counts_on {
        ($conn:ty) => {{
            let mut c = <$conn>::connect(url.expose())
                .await
                .expect("connect to the test database");
            let mut counts = Vec::with_capacity(INVARIANTS.len());
            for (_, sql) in INVARIANTS {
                let n: i64 = sqlx::query_scalar(*sql)
                    .fetch_one(&mut c)
                    .await
                    .expect("count");
                counts.push(n);
            }
            c.close().await.ok();
            counts
        }};
    }
    let counts = match url.backend() {
        crate::Backend::Sqlite => counts_on!(sqlx::SqliteConnection),
        crate::Backend::Postgres => counts_on!(sqlx::PgConnection),
    };
    INVARIANTS
        .iter()
        .zip(counts)
        .filter(|(_, n)| *n != 0)
        .map(|((rule, _), n)| format!("{rule}: {n} rows break it"))
        .collect()
}

/// Fail unless every one of the [`INVARIANTS`] holds in `db`.
pub async fn assert_invariants(db: &TestDb) {
    let broken = broken_invariants(db).await;
    assert!(broken.is_empty(), "inconsistent store: {broken:#?}");
}

/// A referral the person consented to, in person, today, to have their identity verified
/// (the stories of both test suites make them).
pub fn referral(agency: &str, purpose: &str, fields: &[&str]) -> crate::NewReferral {
    crate::NewReferral {
        agency: agency.into(),
        purpose: purpose.into(),
        fields: fields.iter().map(|f| (*f).to_owned()).collect(),
        consent: Some(crate::ConsentInput {
            given_by: crate::ConsentGiver::Person,
            given_by_name: String::new(),
            purpose: crate::ConsentPurpose::IdentityVerification,
            given_on: chrono::Utc::now().date_naive(),
            method: crate::ConsentMethod::InPerson,
        }),
        override_reason: String::new(),
    }
}

/// A referral without consent, overridden for `reason` (a second person must approve it).
pub fn override_referral(
    agency: &str,
    purpose: &str,
    fields: &[&str],
    reason: &str,
) -> crate::NewReferral {
    crate::NewReferral {
        consent: None,
        override_reason: reason.into(),
        ..referral(agency, purpose, fields)
    }
}

/// A person-level grant as the old `Persons::refer` wrote it (databases made before ADR 0019
/// hold them): it must open nothing to the partner.
pub async fn legacy_person_referral(db: &TestDb, person_id: &str, agency: &str) {
    use sqlx::Connection;
    let sql = "INSERT INTO person_referral (person_rid, agency_code) SELECT rid, $2 FROM person WHERE id = $1";
    let n = match db.url.backend() {
        crate::Backend::Sqlite => {
            let mut c = sqlx::SqliteConnection::connect(db.url.expose())
                .await
                .expect("connect to the test database");
            sqlx::query(sql)
                .bind(person_id)
                .bind(agency)
                .execute(&mut c)
                .await
                .map(|r| r.rows_affected())
        }
        crate::Backend::Postgres => {
            let mut c = sqlx::PgConnection::connect(db.url.expose())
                .await
                .expect("connect to the test database");
            sqlx::query(sql)
                .bind(person_id)
                .bind(agency)
                .execute(&mut c)
                .await
                .map(|r| r.rows_affected())
        }
    }
    .expect("insert the legacy grant");
    assert_eq!(n, 1, "the person exists");
}

//! The Store contract: the same cases against SQLite and PostgreSQL, each on a fresh database.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use baoho_store::testing::{fresh_postgres, fresh_sqlite};
use baoho_store::{Backend, DatabaseUrl, OpenMode, RefData, Store, StoreError};

/// Generate one test per backend from one async body taking `&dyn Store`.
macro_rules! contract {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;
            #[tokio::test]
            async fn sqlite() {
                let db = fresh_sqlite().await;
                eprintln!("contract {} on sqlite", stringify!($name));
                ($body)(db.store.as_ref()).await;
            }
            #[tokio::test]
            async fn postgres() {
                let Some(db) = fresh_postgres().await else {
                    return;
                };
                eprintln!("contract {} on postgres", stringify!($name));
                ($body)(db.store.as_ref()).await;
            }
        }
    };
}

contract!(ping_and_migrate_twice, async |s: &dyn Store| {
    s.ping().await.unwrap();
    // Migrations are idempotent: running them again changes nothing.
    s.migrate().await.unwrap();
    s.ping().await.unwrap();
});

contract!(durability_settings, async |s: &dyn Store| {
    let d = s.durability().await.unwrap();
    match s.backend() {
        Backend::Sqlite => {
            assert_eq!(d.journal, "wal");
            assert_eq!(
                d.synchronous, "1+wal-fsync",
                "commits must wait for an fsync of the WAL"
            );
            assert_eq!(d.foreign_keys, "1");
        }
        Backend::Postgres => {
            assert_eq!(d.synchronous, "on");
        }
    }
});

contract!(reference_data_loads_once, async |s: &dyn Store| {
    let data = RefData::embedded();
    let first = s.load_reference_data(&data).await.unwrap();
    assert_eq!(first.countries as usize, data.countries.len());
    assert_eq!(first.provinces as usize, data.provinces.len());
    assert_eq!(first.missions as usize, data.missions.len());
    assert_eq!(first.languages as usize, data.languages.len());
    let again = s.load_reference_data(&data).await.unwrap();
    assert_eq!(again, Default::default(), "a second load inserts nothing");
    assert_eq!(s.countries().await.unwrap().len(), data.countries.len());
    assert_eq!(s.provinces().await.unwrap().len(), data.provinces.len());
    assert_eq!(s.languages().await.unwrap().len(), data.languages.len());
    let missions = s.missions().await.unwrap();
    assert_eq!(missions.len(), data.missions.len());
    let mut want: Vec<_> = data.missions.clone();
    want.sort_by(|a, b| a.code.cmp(&b.code));
    let mut got = missions.clone();
    got.sort_by(|a, b| a.code.cmp(&b.code));
    for (g, w) in got.iter().zip(&want) {
        let mut wj = w.jurisdiction.clone();
        wj.sort();
        assert_eq!((&g.code, &g.jurisdiction), (&w.code, &wj));
    }
});

contract!(provinces_keep_the_merger, async |s: &dyn Store| {
    s.load_reference_data(&RefData::embedded()).await.unwrap();
    let provinces = s.provinces().await.unwrap();
    let new: Vec<_> = provinces.iter().filter(|p| p.era == "2025").collect();
    let old: Vec<_> = provinces.iter().filter(|p| p.era == "pre2025").collect();
    assert_eq!(new.len(), 34);
    assert_eq!(old.len(), 63);
    for o in old {
        let target = o
            .merged_into
            .as_deref()
            .expect("old province has a successor");
        assert!(
            new.iter().any(|n| n.code == target),
            "{} → {target}",
            o.code
        );
    }
});

contract!(
    administrator_edits_survive_restart,
    async |s: &dyn Store| {
        let data = RefData::embedded();
        s.load_reference_data(&data).await.unwrap();
        let Some(first) = data.missions.first() else {
            return;
        };
        let mut m = s.mission(&first.code).await.unwrap();
        m.area = "Edited by an administrator — đã sửa".into();
        m.jurisdiction = vec![m.country.clone()];
        s.update_mission(&m).await.unwrap();
        s.load_reference_data(&data).await.unwrap();
        let back = s.mission(&first.code).await.unwrap();
        assert_eq!(back, m);
    }
);

contract!(
    unknown_and_invalid_are_typed_errors,
    async |s: &dyn Store| {
        s.load_reference_data(&RefData::embedded()).await.unwrap();
        assert!(matches!(
            s.mission("NO-SUCH-MISSION").await,
            Err(StoreError::NotFound)
        ));
        let mut ghost = baoho_store::Mission {
            code: "NO-SUCH".into(),
            kind: "embassy".into(),
            name_vi: "x".into(),
            name_en: "x".into(),
            city: "x".into(),
            country: "VN".into(),
            area: String::new(),
            active: true,
            jurisdiction: vec![],
        };
        assert!(matches!(
            s.update_mission(&ghost).await,
            Err(StoreError::NotFound)
        ));
        // A mission pointing at a country that does not exist is refused by the foreign key.
        if let Some(first) = s.missions().await.unwrap().first() {
            ghost = first.clone();
            ghost.jurisdiction = vec!["QQ".into()];
            let r = s.update_mission(&ghost).await;
            assert!(matches!(r, Err(StoreError::Invalid(_))), "{r:?}");
            // …and changes nothing.
            assert_eq!(&s.mission(&first.code).await.unwrap(), first);
        }
    }
);

#[tokio::test]
async fn a_missing_sqlite_file_is_not_created_by_serve() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("typo.db");
    let url = DatabaseUrl::parse(&format!("sqlite://{}", path.display())).unwrap();
    let r = baoho_store::open(&url, OpenMode::MustExist).await;
    assert!(matches!(r, Err(StoreError::DatabaseMissing(_))));
    assert!(!path.exists(), "no empty database was created");
}

/// Like `contract!`, for cases that also need the database itself (its URL, raw connections).
macro_rules! contract_db {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;
            #[tokio::test]
            async fn sqlite() {
                let db = fresh_sqlite().await;
                eprintln!("contract {} on sqlite", stringify!($name));
                ($body)(&db).await;
            }
            #[tokio::test]
            async fn postgres() {
                let Some(db) = fresh_postgres().await else {
                    return;
                };
                eprintln!("contract {} on postgres", stringify!($name));
                ($body)(&db).await;
            }
        }
    };
}

// ---------------------------------------------------------------------------------------------
// Audit trail

mod audit_support {
    use baoho_store::testing::TestDb;
    use baoho_store::{AuditAction, AuditEntry, AuditOutcome, Backend};
    use chrono::{TimeZone, Utc};

    pub fn entry(i: i64, actor: &str, action: AuditAction, outcome: AuditOutcome) -> AuditEntry {
        AuditEntry::new(
            Utc.with_ymd_and_hms(2026, 3, 1, 8, 0, 0).unwrap()
                + chrono::Duration::minutes(i)
                + chrono::Duration::nanoseconds(123_456_789),
            actor,
            action,
            outcome,
        )
        .role("consular_officer")
        .agency("VN-EMB-JP")
        .object("person", format!("p-{i}"))
        .purpose(format!("case C-{i}"))
        .request(format!("req-{i}"))
    }

    /// Run raw SQL on the test database, bypassing the Store (the way an intruder would).
    pub async fn raw(db: &TestDb, sql: &str) -> Result<u64, sqlx::Error> {
        use sqlx::Connection;
        let sql = sqlx::AssertSqlSafe(sql.to_owned());
        match db.url.backend() {
            Backend::Sqlite => {
                let mut c = sqlx::SqliteConnection::connect(db.url.expose()).await?;
                let n = sqlx::raw_sql(sql).execute(&mut c).await?.rows_affected();
                c.close().await?;
                Ok(n)
            }
            Backend::Postgres => {
                let mut c = sqlx::PgConnection::connect(db.url.expose()).await?;
                let n = sqlx::raw_sql(sql).execute(&mut c).await?.rows_affected();
                c.close().await?;
                Ok(n)
            }
        }
    }

    /// Let the test edit audit rows (what only someone with DDL rights could do).
    pub async fn bypass_triggers(db: &TestDb) {
        let sql = match db.url.backend() {
            Backend::Sqlite => "DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;",
            Backend::Postgres => "ALTER TABLE audit DISABLE TRIGGER audit_append_only",
        };
        raw(db, sql).await.unwrap();
    }
}

contract!(
    audit_chain_appends_queries_and_verifies,
    async |s: &dyn Store| {
        use audit_support::entry;
        use baoho_store::{AuditAction as A, AuditFilter, AuditOutcome as O};
        let empty = s.verify_audit().await.unwrap();
        assert!(empty.is_ok());
        assert_eq!(empty.rows, 0);

        let plan = [
            ("acct-1", A::Read, O::Allowed),
            ("acct-2", A::Update, O::Allowed),
            ("acct-1", A::Read, O::Denied),
            ("system", A::Login, O::Failed),
            ("acct-1", A::Export, O::Allowed),
        ];
        let mut written = Vec::new();
        for (i, (actor, action, outcome)) in plan.iter().enumerate() {
            let r = s
                .append_audit(&entry(i as i64, actor, *action, *outcome))
                .await
                .unwrap();
            assert_eq!(r.seq, i as i64 + 1);
            written.push(r);
        }
        for w in written.windows(2) {
            assert_eq!(w[1].prev_hash, w[0].hash);
        }
        let v = s.verify_audit().await.unwrap();
        assert!(v.is_ok(), "{v:?}");
        assert_eq!((v.rows, v.last_seq), (5, 5));
        assert_eq!(v.last_hash, written[4].hash);

        // Everything, newest first, exactly as written (time truncated to microseconds).
        let all = s.audit_query(&AuditFilter::default()).await.unwrap();
        let mut want = written.clone();
        want.reverse();
        assert_eq!(all, want);
        assert_eq!(
            all[0].entry.at.timestamp_subsec_nanos() % 1000,
            0,
            "stored at microsecond precision"
        );

        let q = |f: AuditFilter| async move {
            s.audit_query(&f)
                .await
                .unwrap()
                .iter()
                .map(|r| r.seq)
                .collect::<Vec<_>>()
        };
        let by_actor = AuditFilter {
            actor: Some("acct-1".into()),
            ..Default::default()
        };
        assert_eq!(q(by_actor.clone()).await, [5, 3, 1]);
        assert_eq!(
            q(AuditFilter {
                object_kind: Some("person".into()),
                object_id: Some("p-1".into()),
                ..Default::default()
            })
            .await,
            [2]
        );
        assert_eq!(
            q(AuditFilter {
                action: Some(A::Read),
                ..Default::default()
            })
            .await,
            [3, 1]
        );
        assert_eq!(
            q(AuditFilter {
                outcome: Some(O::Denied),
                ..Default::default()
            })
            .await,
            [3]
        );
        // [minute 1, minute 3): seq 2 and 3.
        assert_eq!(
            q(AuditFilter {
                from: Some(written[1].entry.at),
                to: Some(written[3].entry.at),
                ..Default::default()
            })
            .await,
            [3, 2]
        );
        // Keyset paging.
        let page1 = q(AuditFilter {
            limit: 2,
            ..by_actor.clone()
        })
        .await;
        assert_eq!(page1, [5, 3]);
        let page2 = q(AuditFilter {
            limit: 2,
            before_seq: page1.last().copied(),
            ..by_actor
        })
        .await;
        assert_eq!(page2, [1]);
    }
);

contract!(audit_refuses_names_in_id_fields, async |s: &dyn Store| {
    use baoho_store::{AuditAction as A, AuditOutcome as O};
    let e =
        audit_support::entry(0, "acct-1", A::Read, O::Allowed).object("person", "Nguyễn Văn An");
    let r = s.append_audit(&e).await;
    assert!(
        matches!(r, Err(StoreError::Invalid(ref m)) if !m.contains("Nguy")),
        "{r:?}"
    );
    assert_eq!(s.verify_audit().await.unwrap().rows, 0);
});

contract_db!(
    audit_rows_cannot_be_updated_or_deleted,
    async |db: &baoho_store::testing::TestDb| {
        use baoho_store::{AuditAction as A, AuditOutcome as O};
        let s = db.store.as_ref();
        for i in 0..3 {
            s.append_audit(&audit_support::entry(i, "acct-1", A::Read, O::Allowed))
                .await
                .unwrap();
        }
        let upd = audit_support::raw(db, "UPDATE audit SET actor = 'intruder' WHERE seq = 2").await;
        let err = upd.expect_err("UPDATE must fail").to_string();
        assert!(err.contains("append-only"), "{err}");
        let del = audit_support::raw(db, "DELETE FROM audit WHERE seq = 3").await;
        let err = del.expect_err("DELETE must fail").to_string();
        assert!(err.contains("append-only"), "{err}");
        if db.url.backend() == Backend::Postgres {
            let err = audit_support::raw(db, "TRUNCATE audit")
                .await
                .expect_err("TRUNCATE must fail")
                .to_string();
            assert!(err.contains("append-only"), "{err}");
        }
        let v = s.verify_audit().await.unwrap();
        assert!(v.is_ok(), "{v:?}");
        assert_eq!(v.rows, 3);
    }
);

contract_db!(
    audit_verify_names_the_first_broken_link,
    async |db: &baoho_store::testing::TestDb| {
        use baoho_store::audit::{ChainFields, format_at};
        use baoho_store::{AuditAction as A, AuditOutcome as O, BreakKind};
        let s = db.store.as_ref();
        let mut rows = Vec::new();
        for i in 0..6 {
            rows.push(
                s.append_audit(&audit_support::entry(i, "acct-1", A::Read, O::Allowed))
                    .await
                    .unwrap(),
            );
        }
        audit_support::bypass_triggers(db).await;

        // 1. An edited row: its own hash no longer matches.
        audit_support::raw(db, "UPDATE audit SET object_id = 'p-999' WHERE seq = 5")
            .await
            .unwrap();
        let v = s.verify_audit().await.unwrap();
        let b = v.broken.clone().expect("broken");
        assert_eq!(b.seq, 5, "{b}");
        assert!(matches!(b.kind, BreakKind::HashMismatch { .. }), "{b}");
        assert_eq!((v.rows, v.last_seq), (5, 4));

        // 2. A row rewritten with a freshly computed hash: the next row's link breaks.
        let r = &rows[1];
        let at = format_at(&r.entry.at);
        let forged = ChainFields {
            seq: 2,
            at: &at,
            actor: "acct-1",
            role: &r.entry.role,
            agency: &r.entry.agency,
            object_kind: "person",
            object_id: "p-777",
            action: "read",
            purpose: &r.entry.purpose,
            outcome: "allowed",
            request_id: &r.entry.request_id,
            prev_hash: &r.prev_hash,
        }
        .hash();
        audit_support::raw(
            db,
            &format!("UPDATE audit SET object_id = 'p-777', hash = '{forged}' WHERE seq = 2"),
        )
        .await
        .unwrap();
        let b = s.verify_audit().await.unwrap().broken.expect("broken");
        assert_eq!(b.seq, 3, "{b}");
        assert!(matches!(b.kind, BreakKind::PrevHashMismatch { .. }), "{b}");

        // 3. A deleted row: a gap.
        audit_support::raw(db, "DELETE FROM audit WHERE seq = 2")
            .await
            .unwrap();
        let b = s.verify_audit().await.unwrap().broken.expect("broken");
        assert_eq!(b.seq, 3, "{b}");
        assert_eq!(b.kind, BreakKind::Gap { expected_seq: 2 });
        assert!(b.to_string().contains("gap"), "{b}");
    }
);

contract_db!(
    audit_rows_commit_and_roll_back_with_the_change,
    async |db: &baoho_store::testing::TestDb| {
        use baoho_store::{AuditAction as A, AuditOutcome as O};
        use sqlx::Connection;
        let s = db.store.as_ref();
        let e = |i| audit_support::entry(i, "acct-1", A::Update, O::Allowed);
        audit_support::raw(
            db,
            "CREATE TABLE probe (id BIGINT PRIMARY KEY, v TEXT NOT NULL)",
        )
        .await
        .unwrap();
        match db.url.backend() {
            Backend::Sqlite => {
                let mut c = sqlx::SqliteConnection::connect(db.url.expose())
                    .await
                    .unwrap();
                for (i, commit) in [(1, false), (2, true)] {
                    let mut tx = c.begin_with("BEGIN IMMEDIATE").await.unwrap();
                    sqlx::query("INSERT INTO probe (id, v) VALUES (?, 'x')")
                        .bind(i)
                        .execute(&mut *tx)
                        .await
                        .unwrap();
                    baoho_store::append_sqlite(&mut tx, &e(i)).await.unwrap();
                    if commit {
                        // A raw connection outside the store's commit path, on purpose.
                        #[allow(clippy::disallowed_methods)]
                        tx.commit().await.unwrap();
                    } else {
                        tx.rollback().await.unwrap();
                    }
                }
            }
            Backend::Postgres => {
                let mut c = sqlx::PgConnection::connect(db.url.expose()).await.unwrap();
                for (i, commit) in [(1, false), (2, true)] {
                    let mut tx = c.begin().await.unwrap();
                    sqlx::query("INSERT INTO probe (id, v) VALUES ($1, 'x')")
                        .bind(i)
                        .execute(&mut *tx)
                        .await
                        .unwrap();
                    baoho_store::append_pg(&mut tx, &e(i)).await.unwrap();
                    if commit {
                        // A raw connection outside the store's commit path, on purpose.
                        #[allow(clippy::disallowed_methods)]
                        tx.commit().await.unwrap();
                    } else {
                        tx.rollback().await.unwrap();
                    }
                }
            }
        }
        let rows = s.audit_query(&Default::default()).await.unwrap();
        assert_eq!(rows.len(), 1, "the rolled-back change left no audit row");
        assert_eq!((rows[0].seq, rows[0].entry.object_id.as_str()), (1, "p-2"));
        assert!(s.verify_audit().await.unwrap().is_ok());
    }
);

contract_db!(
    concurrent_appends_never_fork_the_chain,
    async |db: &baoho_store::testing::TestDb| {
        use baoho_store::{AuditAction as A, AuditOutcome as O};
        let mut tasks = Vec::new();
        for t in 0..4i64 {
            let store = db.store.clone();
            tasks.push(tokio::spawn(async move {
                for i in 0..10i64 {
                    let e = audit_support::entry(
                        t * 100 + i,
                        &format!("acct-{t}"),
                        A::Read,
                        O::Allowed,
                    );
                    store.append_audit(&e).await.unwrap();
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let v = db.store.verify_audit().await.unwrap();
        assert!(v.is_ok(), "{v:?}");
        assert_eq!((v.rows, v.last_seq), (40, 40));
    }
);

// ---------------------------------------------------------------------------------------------
// Field encryption

contract!(the_key_check_refuses_a_wrong_key, async |s: &dyn Store| {
    use baoho_store::{CryptoError, Keyring};
    let right = Keyring::generate("k1").unwrap();
    assert_eq!(s.key_check().await.unwrap(), None);
    let first = right.check_against(s).await.unwrap();
    assert_eq!((first.kid.as_str(), first.rotation_pending), ("k1", false));
    let stored = s.key_check().await.unwrap().unwrap();
    assert!(stored.starts_with("v1:k1:"));
    // Again: same value, still fine; a second establishment changes nothing.
    right.check_against(s).await.unwrap();
    s.init_key_check("v1:k9:AAAA").await.unwrap();
    assert_eq!(s.key_check().await.unwrap().unwrap(), stored);
    // Another key with the same id, or another id: refused.
    for wrong in [
        Keyring::generate("k1").unwrap(),
        Keyring::generate("k2").unwrap(),
    ] {
        let r = wrong.check_against(s).await;
        assert!(
            matches!(r, Err(StoreError::Crypto(CryptoError::WrongKey(ref k))) if k == "k1"),
            "{r:?}"
        );
    }
    // A new active key with the old one kept: accepted, rotation pending.
    let next = Keyring::generate("k2").unwrap().with_previous(right);
    let c = next.check_against(s).await.unwrap();
    assert!(c.rotation_pending);
});

contract_db!(
    rotation_reencrypts_registered_columns,
    async |db: &baoho_store::testing::TestDb| {
        use baoho_store::{EncryptedColumn, Keyring};
        let s = db.store.as_ref();
        const COL: EncryptedColumn = EncryptedColumn {
            table: "rotation_probe",
            id_column: "id",
            column: "secret",
        };
        audit_support::raw(
            db,
            "CREATE TABLE rotation_probe (id BIGINT PRIMARY KEY, secret TEXT, other TEXT NOT NULL)",
        )
        .await
        .unwrap();
        let old = Keyring::generate("old").unwrap();
        old.check_against(s).await.unwrap();
        let n = 1203; // more than two batches
        let mut sql = String::new();
        for i in 1..=n {
            let id = i.to_string();
            let env = old
                .encrypt_str(&COL.aad(&id), &format!("secret {i}"))
                .unwrap();
            sql.push_str(&format!(
                "INSERT INTO rotation_probe (id, secret, other) VALUES ({i}, '{env}', 'x');\n"
            ));
        }
        sql.push_str("INSERT INTO rotation_probe (id, secret, other) VALUES (0, NULL, 'x');");
        audit_support::raw(db, &sql).await.unwrap();

        let ring = Keyring::generate("new").unwrap().with_previous(old);
        let done = ring.rotate(s, &[COL]).await.unwrap();
        assert_eq!(done.len(), baoho_store::crypto::ENCRYPTED_COLUMNS.len() + 1);
        assert_eq!(done[0].1, 1, "the key check row");
        assert_eq!(done.last(), Some(&(COL, n)));
        // Again: nothing left to do.
        let again = ring.rotate(s, &[COL]).await.unwrap();
        assert!(again.iter().all(|(_, k)| *k == 0), "{again:?}");
        // The old key can go: everything decrypts with the new key alone.
        let new_only = Keyring::parse(ring.to_key_file().lines().next().unwrap()).unwrap();
        let check = new_only.check_against(s).await.unwrap();
        assert_eq!((check.kid.as_str(), check.rotation_pending), ("new", false));
        let rows: Vec<(String, String)> = match db.url.backend() {
            Backend::Sqlite => {
                let pool = sqlx::SqlitePool::connect(db.url.expose()).await.unwrap();
                sqlx::query_as(
                    "SELECT CAST(id AS TEXT), secret FROM rotation_probe WHERE secret IS NOT NULL",
                )
                .fetch_all(&pool)
                .await
                .unwrap()
            }
            Backend::Postgres => {
                let pool = sqlx::PgPool::connect(db.url.expose()).await.unwrap();
                sqlx::query_as(
                    "SELECT id::text, secret FROM rotation_probe WHERE secret IS NOT NULL",
                )
                .fetch_all(&pool)
                .await
                .unwrap()
            }
        };
        assert_eq!(rows.len() as u64, n);
        for (id, env) in rows {
            assert!(env.starts_with("v1:new:"));
            let pt = new_only.decrypt_string(&COL.aad(&id), &env).unwrap();
            assert_eq!(pt.as_str(), format!("secret {id}"));
        }
        // Unsafe identifiers are refused before any SQL is built.
        let evil = EncryptedColumn {
            table: "rotation_probe; DROP TABLE audit",
            id_column: "id",
            column: "secret",
        };
        assert!(matches!(
            s.reencrypt_column(&evil, &ring).await,
            Err(StoreError::Invalid(_))
        ));
    }
);

/// The plaintext of an encrypted field is nowhere in the SQLite files (database and WAL), while
/// an unencrypted control value is: the scan itself works.
#[tokio::test]
async fn encrypted_canary_is_not_in_the_sqlite_files() {
    use baoho_store::{Aad, Keyring};
    use sqlx::Connection;
    let db = fresh_sqlite().await;
    let ring = Keyring::generate("k1").unwrap();
    ring.check_against(db.store.as_ref()).await.unwrap();
    let canary = "CANARY-Nguyen-Thi-Trafficking-7f3a9c";
    let control = "CONTROL-plaintext-5b2e11";
    let mut c = sqlx::SqliteConnection::connect(db.url.expose())
        .await
        .unwrap();
    sqlx::raw_sql("CREATE TABLE canary_probe (id INTEGER PRIMARY KEY, secret TEXT NOT NULL, plain TEXT NOT NULL)")
        .execute(&mut c)
        .await
        .unwrap();
    for id in 1..=50i64 {
        let rid = id.to_string();
        let env = ring
            .encrypt_str(&Aad::new("canary_probe", "secret", &rid), canary)
            .unwrap();
        sqlx::query("INSERT INTO canary_probe (id, secret, plain) VALUES (?, ?, ?)")
            .bind(id)
            .bind(env)
            .bind(if id == 1 { control } else { "-" })
            .execute(&mut c)
            .await
            .unwrap();
    }
    let path = db.url.sqlite_path().unwrap().to_owned();
    let contains = |needle: &str| {
        let mut hit = Vec::new();
        for suffix in ["", "-wal"] {
            let file = format!("{path}{suffix}");
            if let Ok(bytes) = std::fs::read(&file)
                && bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
            {
                hit.push(file);
            }
        }
        hit
    };
    // Before the checkpoint the rows are in the WAL…
    assert!(!contains(control).is_empty(), "control value must be found");
    assert!(contains(canary).is_empty(), "{:?}", contains(canary));
    // …after it, in the main file.
    sqlx::query("PRAGMA wal_checkpoint(FULL)")
        .execute(&mut c)
        .await
        .unwrap();
    assert!(
        contains(control).iter().any(|f| !f.ends_with("-wal")),
        "control value in the main file after the checkpoint"
    );
    assert!(contains(canary).is_empty(), "{:?}", contains(canary));
    // And it reads back through the keyring.
    let env: String = sqlx::query_scalar("SELECT secret FROM canary_probe WHERE id = 7")
        .fetch_one(&mut c)
        .await
        .unwrap();
    assert_eq!(
        ring.decrypt_string(&Aad::new("canary_probe", "secret", "7"), &env)
            .unwrap()
            .as_str(),
        canary
    );
}

// ---------------------------------------------------------------------------------------------
// Accounts, sessions and the person registry behind the authorization layer.

mod registry {
    use baoho_domain::access::{Agency, AgencyKind, Identity, Role};
    use baoho_domain::person::{Document, DocumentKind, NextOfKin, PersonInput};
    use baoho_store::audit::{AuditAction, AuditEntry, AuditFilter, AuditOutcome};
    use baoho_store::{
        AccessCtx, Account, Accounts, Keyring, NewAccount, Persons, RefData, Session, Store,
    };
    use std::sync::Arc;

    pub fn now() -> chrono::DateTime<chrono::Utc> {
        chrono::Utc::now()
    }

    pub async fn account(
        s: &dyn Store,
        username: &str,
        role: Role,
        kind: AgencyKind,
        code: &str,
        supervisor: Option<&str>,
    ) -> Account {
        Accounts::new(s)
            .create(
                &NewAccount {
                    username: username.into(),
                    display_name: format!("Officer {username}"),
                    role,
                    agency: Agency {
                        kind,
                        code: code.into(),
                    },
                    supervisor_id: supervisor.map(str::to_owned),
                    password_hash: "$argon2id$placeholder".into(),
                    demo: false,
                },
                AuditEntry::system(now(), AuditAction::Create, AuditOutcome::Allowed),
            )
            .await
            .unwrap()
    }

    pub async fn identity(s: &dyn Store, a: &Account) -> Identity {
        Accounts::new(s).identity(a).await.unwrap()
    }

    pub fn handle(s: &dyn Store, keys: &Arc<Keyring>, who: &Identity) -> Persons {
        Persons::new(
            s,
            keys.clone(),
            AccessCtx {
                who: who.clone(),
                request_id: "req-test".into(),
                purpose: String::new(),
                at: now(),
            },
        )
    }

    pub fn person(name: &str, country: &str, mission: &str) -> PersonInput {
        PersonInput {
            full_name: name.into(),
            birth: baoho_domain::date::PartialDate::parse("1990-05").ok(),
            country: country.into(),
            mission: mission.into(),
            hometown: "Nghệ An".into(),
            documents: vec![Document {
                kind: DocumentKind::Passport,
                number: "C1234567".into(),
                issuing_country: "VN".into(),
                issued_by: "Cục Quản lý xuất nhập cảnh".into(),
                issued_on: Some("2020-01-15".into()),
                expires_on: Some("2030-01-15".into()),
            }],
            next_of_kin: vec![NextOfKin {
                name: "Trần Thị Bé".into(),
                relation: "mẹ".into(),
                phone: "+84 912 345 678".into(),
                address: String::new(),
            }],
            notes: "Held at the immigration centre".into(),
            ..Default::default()
        }
    }

    pub async fn setup(s: &dyn Store) -> Arc<Keyring> {
        s.load_reference_data(&RefData::embedded()).await.unwrap();
        Arc::new(Keyring::generate("k1").unwrap())
    }

    pub async fn denied_rows(s: &dyn Store, actor: &str) -> usize {
        s.audit_query(&AuditFilter {
            actor: Some(actor.into()),
            outcome: Some(AuditOutcome::Denied),
            limit: 1000,
            ..Default::default()
        })
        .await
        .unwrap()
        .len()
    }

    pub fn session(account: &str, token: &str) -> Session {
        Session {
            token_hash: token.into(),
            account_id: account.into(),
            csrf: "csrf".into(),
            mfa_ok: false,
            created_at: now(),
            last_seen_at: now(),
        }
    }

    pub use baoho_domain::access::Restricted as R;
    pub use baoho_domain::person::PersonQuery as PQ;
    pub use baoho_store::LoginChange as LC;
}

use baoho_domain::access::{AgencyKind, Role};
use registry::*;

contract!(accounts_sessions_and_mfa_material, async |s: &dyn Store| {
    let _keys = setup(s).await;
    let accounts = baoho_store::Accounts::new(s);
    let a = account(
        s,
        "An.Nguyen",
        Role::MissionOfficer,
        AgencyKind::Mission,
        "EMB-JP-TOKYO",
        None,
    )
    .await;
    assert_eq!(a.username, "an.nguyen");
    let again = accounts.by_username(" AN.NGUYEN ").await.unwrap().unwrap();
    assert_eq!(again.id, a.id);
    // Same username twice: a conflict, and nothing written.
    let dup = baoho_store::Accounts::new(s)
        .create(
            &baoho_store::NewAccount {
                username: "an.nguyen".into(),
                display_name: "x".into(),
                role: Role::Analyst,
                agency: baoho_domain::access::Agency {
                    kind: AgencyKind::ConsularDepartment,
                    code: "CD".into(),
                },
                supervisor_id: None,
                password_hash: "h".into(),
                demo: false,
            },
            baoho_store::audit::AuditEntry::system(
                now(),
                baoho_store::audit::AuditAction::Create,
                baoho_store::audit::AuditOutcome::Allowed,
            ),
        )
        .await;
    assert!(matches!(dup, Err(StoreError::Conflict(_))), "{dup:?}");
    assert_eq!(accounts.list().await.unwrap().len(), 1);
    // A mission officer's identity carries the mission's jurisdiction.
    let who = identity(s, &a).await;
    assert!(
        who.jurisdiction.contains(&"JP".to_string()),
        "{:?}",
        who.jurisdiction
    );

    // Failed logins count and lock; success resets.
    let e = || {
        baoho_store::audit::AuditEntry::new(
            now(),
            &a.id,
            baoho_store::audit::AuditAction::Login,
            baoho_store::audit::AuditOutcome::Failed,
        )
    };
    accounts
        .record_login(Some(&a.id), LC::Failure { lock_until: None }, e())
        .await
        .unwrap();
    let until = now() + chrono::Duration::minutes(15);
    accounts
        .record_login(
            Some(&a.id),
            LC::Failure {
                lock_until: Some(until),
            },
            e(),
        )
        .await
        .unwrap();
    let locked = accounts.get(&a.id).await.unwrap();
    assert_eq!(locked.failed_logins, 2);
    assert!(locked.locked_until.is_some());
    accounts
        .record_login(Some(&a.id), LC::Success, e())
        .await
        .unwrap();
    assert_eq!(accounts.get(&a.id).await.unwrap().failed_logins, 0);

    // TOTP steps are accepted once; recovery codes once.
    accounts
        .enrol_totp(
            &a.id,
            "v1:k1:envelope",
            100,
            &["h1".into(), "h2".into()],
            e(),
        )
        .await
        .unwrap();
    assert!(
        !accounts.accept_totp_step(&a.id, 100).await.unwrap(),
        "replayed step"
    );
    assert!(accounts.accept_totp_step(&a.id, 101).await.unwrap());
    assert!(
        accounts
            .use_recovery_code(&a.id, "h1", now())
            .await
            .unwrap()
    );
    assert!(
        !accounts
            .use_recovery_code(&a.id, "h1", now())
            .await
            .unwrap()
    );
    assert_eq!(accounts.unused_recovery_codes(&a.id).await.unwrap(), 1);

    // Sessions: upgrade replaces the token; disabling the account ends them at once.
    accounts
        .create_session(&session(&a.id, "t1"))
        .await
        .unwrap();
    let mut up = session(&a.id, "t2");
    up.mfa_ok = true;
    accounts.upgrade_session("t1", &up).await.unwrap();
    assert!(accounts.session("t1").await.unwrap().is_none());
    assert!(accounts.session("t2").await.unwrap().unwrap().mfa_ok);
    accounts.set_disabled(&a.id, true, e()).await.unwrap();
    assert!(accounts.session("t2").await.unwrap().is_none());
    assert!(accounts.get(&a.id).await.unwrap().disabled);
});

contract!(persons_create_read_edit_search, async |s: &dyn Store| {
    let keys = setup(s).await;
    let a = account(
        s,
        "tokyo1",
        Role::MissionOfficer,
        AgencyKind::Mission,
        "EMB-JP-TOKYO",
        None,
    )
    .await;
    let who = identity(s, &a).await;
    let h = handle(s, &keys, &who);
    let created = h
        .create(person("Nguyễn Văn Đức", "JP", "EMB-JP-TOKYO"))
        .await
        .unwrap();
    assert_eq!(created.version, 1);
    let got = h.get(&created.id).await.unwrap();
    assert_eq!(got.data.full_name, "Nguyễn Văn Đức");
    assert_eq!(got.data.documents[0].number, "C1234567");
    assert_eq!(got.data.next_of_kin[0].phone, "+84 912 345 678");
    assert!(got.hometown_province.is_some());

    // Diacritic- and case-insensitive, any order; đ = d; document numbers loosely.
    for q in ["nguyen van duc", "NGUYỄN VĂN ĐỨC", "duc nguyen", "đức"] {
        let r = h
            .search(&PQ {
                text: q.into(),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(r.hits.len(), 1, "{q}");
        assert_eq!(r.hits[0].full_name, "Nguyễn Văn Đức");
    }
    let r = h
        .search(&PQ {
            text: "c-1234567".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(r.hits.len(), 1);
    let r = h
        .search(&PQ {
            text: "nguyen van an".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(r.hits.is_empty());
    let r = h
        .search(&PQ {
            text: "duc".into(),
            birth_year: Some(1991),
            limit: 0,
        })
        .await
        .unwrap();
    assert!(r.hits.is_empty(), "birth year narrows");
    // Search operators in the query are only words.
    let r = h
        .search(&PQ {
            text: "\" OR * NEAR(".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(r.hits.is_empty());

    // Optimistic concurrency.
    let mut edit = got.data.clone();
    edit.full_name = "Nguyễn Văn Đức Anh".into();
    let v2 = h.update(&created.id, 1, edit.clone()).await.unwrap();
    assert_eq!(v2.version, 2);
    let stale = h.update(&created.id, 1, edit).await;
    assert!(matches!(stale, Err(StoreError::Conflict(_))), "{stale:?}");
    let r = h
        .search(&PQ {
            text: "duc anh".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(r.hits.len(), 1, "the name index follows edits");

    // Bad input changes nothing.
    let mut bad = v2.data.clone();
    bad.full_name = "  ".into();
    assert!(matches!(
        h.update(&created.id, 2, bad).await,
        Err(StoreError::Validation(_))
    ));
    assert_eq!(h.get(&created.id).await.unwrap().version, 2);

    // Every read and write left its row.
    let rows = s
        .audit_query(&baoho_store::AuditFilter {
            object_id: Some(created.id.clone()),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    // create, read, update, read (the refused edits changed nothing and wrote nothing).
    assert_eq!(rows.len(), 4);
    assert!(s.verify_audit().await.unwrap().broken.is_none());
});

contract!(persons_outside_scope_do_not_exist, async |s: &dyn Store| {
    let keys = setup(s).await;
    let head = account(
        s,
        "head.tokyo",
        Role::HeadOfMission,
        AgencyKind::Mission,
        "EMB-JP-TOKYO",
        None,
    )
    .await;
    let tokyo = account(
        s,
        "tokyo1",
        Role::MissionOfficer,
        AgencyKind::Mission,
        "EMB-JP-TOKYO",
        Some(&head.id),
    )
    .await;
    let tokyo2 = account(
        s,
        "tokyo2",
        Role::MissionOfficer,
        AgencyKind::Mission,
        "EMB-JP-TOKYO",
        Some(&head.id),
    )
    .await;
    let seoul = account(
        s,
        "seoul1",
        Role::MissionOfficer,
        AgencyKind::Mission,
        "EMB-KR-SEOUL",
        None,
    )
    .await;
    let hq = account(
        s,
        "hq1",
        Role::HqOfficer,
        AgencyKind::ConsularDepartment,
        "CD",
        None,
    )
    .await;
    let police = account(
        s,
        "mps1",
        Role::PartnerLiaison,
        AgencyKind::PublicSecurity,
        "MPS",
        None,
    )
    .await;
    let admin = account(
        s,
        "admin1",
        Role::Administrator,
        AgencyKind::ConsularDepartment,
        "CD",
        None,
    )
    .await;
    let h_tokyo = handle(s, &keys, &identity(s, &tokyo).await);
    let p = h_tokyo
        .create(person("Lê Thị Hoa", "JP", "EMB-JP-TOKYO"))
        .await
        .unwrap();

    for (acc, h) in [
        (&seoul, handle(s, &keys, &identity(s, &seoul).await)),
        (&police, handle(s, &keys, &identity(s, &police).await)),
        (&admin, handle(s, &keys, &identity(s, &admin).await)),
    ] {
        let before = denied_rows(s, &acc.id).await;
        assert!(matches!(h.get(&p.id).await, Err(StoreError::NotFound)));
        assert!(matches!(
            h.get("no-such-person").await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(h.export(&p.id).await, Err(StoreError::NotFound)));
        assert!(matches!(
            h.update(&p.id, 1, p.data.clone()).await,
            Err(StoreError::NotFound)
        ));
        assert_eq!(
            denied_rows(s, &acc.id).await,
            before + 4,
            "{}",
            acc.username
        );
        let found = h
            .search(&PQ {
                text: "le thi hoa".into(),
                ..Default::default()
            })
            .await;
        assert!(
            matches!(&found, Ok(r) if r.hits.is_empty())
                || matches!(found, Err(StoreError::Forbidden))
        );
    }
    // HQ sees it; a referral opens it to the police, read-only.
    let h_hq = handle(s, &keys, &identity(s, &hq).await);
    assert!(h_hq.get(&p.id).await.is_ok());
    h_tokyo.refer(&p.id, "MPS").await.unwrap();
    let h_police = handle(s, &keys, &identity(s, &police).await);
    assert!(h_police.get(&p.id).await.is_ok());
    assert_eq!(
        h_police
            .search(&PQ {
                text: "hoa".into(),
                ..Default::default()
            })
            .await
            .unwrap()
            .hits
            .len(),
        1
    );
    assert!(matches!(
        h_police.update(&p.id, 1, p.data.clone()).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        h_police.export(&p.id).await,
        Err(StoreError::NotFound)
    ));

    // Restricted: the creator is assigned; a colleague is not, and must break the glass.
    let mut victim = person("Phạm Thị Lan", "JP", "EMB-JP-TOKYO");
    victim.restricted = vec![R::Trafficking];
    let v = h_tokyo.create(victim).await.unwrap();
    assert!(h_tokyo.get(&v.id).await.is_ok());
    let h_tokyo2 = handle(s, &keys, &identity(s, &tokyo2).await);
    assert!(matches!(
        h_tokyo2.get(&v.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(
        h_tokyo2
            .search(&PQ {
                text: "pham thi lan".into(),
                ..Default::default()
            })
            .await
            .unwrap()
            .hits
            .is_empty()
    );
    assert!(matches!(h_hq.get(&v.id).await, Err(StoreError::NotFound)));
    assert!(h_tokyo2.can_break_glass(&v.id).await.unwrap());
    assert!(matches!(
        h_tokyo2.break_glass(&v.id, "urgent").await,
        Err(StoreError::Validation(_))
    ));
    h_tokyo2
        .break_glass(&v.id, "Victim in hospital, family must be reached tonight")
        .await
        .unwrap();
    let opened = h_tokyo2.get(&v.id).await.unwrap();
    assert!(opened.via_break_glass);
    let notes = baoho_store::Accounts::new(s)
        .notifications(&head.id, 10)
        .await
        .unwrap();
    assert_eq!(notes.len(), 1, "the supervisor is told at once");
    assert_eq!(notes[0].object_id, v.id);
    // Break-glass never widens scope.
    let h_seoul = handle(s, &keys, &identity(s, &seoul).await);
    assert!(matches!(
        h_seoul
            .break_glass(&v.id, "Victim in hospital, family must be reached tonight")
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(!h_seoul.can_break_glass(&v.id).await.unwrap());
    // Roles without case access: search is refused outright.
    let h_admin = handle(s, &keys, &identity(s, &admin).await);
    assert!(matches!(
        h_admin
            .search(&PQ {
                text: "hoa".into(),
                ..Default::default()
            })
            .await,
        Err(StoreError::Forbidden)
    ));
    assert!(matches!(
        h_admin.create(person("X Y", "JP", "EMB-JP-TOKYO")).await,
        Err(StoreError::Forbidden)
    ));
    // A mission officer cannot create a person in another mission's area.
    assert!(matches!(
        h_seoul.create(person("X Y", "JP", "EMB-JP-TOKYO")).await,
        Err(StoreError::Validation(_))
    ));
    assert!(s.verify_audit().await.unwrap().broken.is_none());
});

contract!(persons_import_in_batches, async |s: &dyn Store| {
    let keys = setup(s).await;
    let hq = account(
        s,
        "hq.import",
        Role::HqOfficer,
        AgencyKind::ConsularDepartment,
        "CD",
        None,
    )
    .await;
    let h = handle(s, &keys, &identity(s, &hq).await);
    let families = ["Nguyễn", "Trần", "Lê", "Phạm", "Đặng"];
    let givens = ["An", "Bình", "Cường", "Dũng", "Đức", "Hoa", "Lan", "Mai"];
    let place = |i: usize| {
        if i.is_multiple_of(2) {
            ("JP", "EMB-JP-TOKYO")
        } else {
            ("KR", "EMB-KR-SEOUL")
        }
    };
    let inputs = |from: usize, n: usize| -> Vec<baoho_domain::person::PersonInput> {
        (from..from + n)
            .map(|i| {
                let (country, mission) = place(i);
                let mut p = person(
                    &format!(
                        "{} Văn {}",
                        families[i % families.len()],
                        givens[i % givens.len()]
                    ),
                    country,
                    mission,
                );
                p.documents[0].number = format!("C{:07}", 1_000_000 + i);
                p
            })
            .collect()
    };
    let before = s.verify_audit().await.unwrap().rows;
    let mut ids = h.import(inputs(0, 200)).await.unwrap();
    ids.extend(h.import(inputs(200, 150)).await.unwrap());
    assert_eq!(ids.len(), 350);
    assert!(h.import(vec![]).await.unwrap().is_empty());

    // Exactly one `import` row per person, naming it, in the trail.
    let after = s.verify_audit().await.unwrap();
    assert!(after.broken.is_none());
    assert_eq!(after.rows, before + 350);
    let rows = s
        .audit_query(&baoho_store::AuditFilter {
            action: Some(baoho_store::AuditAction::Import),
            limit: 1000,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(rows.len(), 350);
    let mut named: Vec<_> = rows.iter().map(|r| r.entry.object_id.clone()).collect();
    named.sort();
    let mut want = ids.clone();
    want.sort();
    assert_eq!(named, want);

    // Searchable at once, folded, by the importer and (within its scope) by a mission.
    // Person i is families[i % 5] Văn givens[i % 8]: a name recurs every 40 persons.
    let r = h
        .search(&PQ {
            text: "nguyen van an".into(),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(r.hits.len(), 9, "i ≡ 0 (mod 40): 0, 40, …, 320");
    assert!(r.hits.iter().all(|p| p.full_name == "Nguyễn Văn An"));
    assert!(r.hits.iter().any(|p| p.id == ids[0] && p.country == "JP"));
    let r = h
        .search(&PQ {
            text: "DANG VAN DUC".into(),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(r.hits.len(), 9, "i ≡ 4 (mod 40)");
    assert!(r.hits.iter().all(|p| p.full_name == "Đặng Văn Đức"));
    let r = h
        .search(&PQ {
            text: "C1000349".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(r.hits.len(), 1, "document numbers are indexed too");
    assert_eq!(r.hits[0].id, ids[349]);
    let tokyo = account(
        s,
        "tokyo.import",
        Role::MissionOfficer,
        AgencyKind::Mission,
        "EMB-JP-TOKYO",
        None,
    )
    .await;
    let h_tokyo = handle(s, &keys, &identity(s, &tokyo).await);
    let r = h_tokyo
        .search(&PQ {
            text: "dang van duc".into(),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(r.hits.len(), 9, "i ≡ 4 (mod 40) is even: all in Tokyo");
    let r = h_tokyo
        .search(&PQ {
            text: "van".into(),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(r.hits.iter().all(|p| p.mission == "EMB-JP-TOKYO"));

    // Encrypted and assigned exactly as `create` does.
    let got = h.get(&ids[7]).await.unwrap();
    assert_eq!(got.data.documents[0].number, "C1000007");
    assert_eq!(got.data.next_of_kin[0].phone, "+84 912 345 678");
    assert_eq!(got.created_by, hq.id);

    // One bad input refuses the whole batch, naming its index; nothing is written.
    let mut bad = inputs(400, 3);
    bad[1].full_name = "  ".into();
    let err = h.import(bad).await.unwrap_err();
    match err {
        StoreError::Validation(errs) => {
            assert!(errs.iter().any(|f| f.field == "[1].full_name"), "{errs:?}")
        }
        e => panic!("{e:?}"),
    }
    // Outside the importer's scope: refused, one denied row, nothing written.
    let before_denied = denied_rows(s, &tokyo.id).await;
    let err = h_tokyo.import(inputs(500, 4)).await.unwrap_err();
    assert!(matches!(err, StoreError::Validation(_)), "{err:?}");
    assert_eq!(denied_rows(s, &tokyo.id).await, before_denied + 1);
    // A role without case access: Forbidden and one denied row.
    let admin = account(
        s,
        "admin.import",
        Role::Administrator,
        AgencyKind::ConsularDepartment,
        "CD",
        None,
    )
    .await;
    let h_admin = handle(s, &keys, &identity(s, &admin).await);
    assert!(matches!(
        h_admin.import(inputs(600, 2)).await,
        Err(StoreError::Forbidden)
    ));
    assert_eq!(denied_rows(s, &admin.id).await, 1);
    let end = s.verify_audit().await.unwrap();
    assert!(end.broken.is_none());
    // The refusals wrote their denied rows and the searches theirs; no person was added.
    let imported = s
        .audit_query(&baoho_store::AuditFilter {
            action: Some(baoho_store::AuditAction::Import),
            outcome: Some(baoho_store::AuditOutcome::Allowed),
            limit: 1000,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(imported.len(), 350);
});

// ---------------------------------------------------------------------------------------------
// Protection cases.

mod cases_support {
    use baoho_store::{AccessCtx, Cases, Keyring, Store};
    use std::sync::Arc;

    pub fn cases_at(
        s: &dyn Store,
        keys: &Arc<Keyring>,
        who: &baoho_domain::access::Identity,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Cases {
        Cases::new(
            s,
            keys.clone(),
            AccessCtx {
                who: who.clone(),
                request_id: "req-case".into(),
                purpose: String::new(),
                at,
            },
        )
    }

    pub fn intake(ty: &str, persons: Vec<String>) -> baoho_store::CaseIntake {
        baoho_store::CaseIntake {
            case_type: ty.into(),
            priority: "urgent".into(),
            channel: "hotline".into(),
            country: "JP".into(),
            city: "Osaka".into(),
            mission: "EMB-JP-TOKYO".into(),
            summary: "Arrested at a factory raid; family called the hotline".into(),
            reporter: "Trần Văn Cha".into(),
            reporter_contact: "+84 90 000 1111".into(),
            persons,
            // Arrests carry one of their type's own fields (inside the encrypted part).
            details: if ty == "arrest" {
                [("charge".to_owned(), "Cư trú quá hạn".to_owned())]
                    .into_iter()
                    .collect()
            } else {
                Default::default()
            },
        }
    }

    pub fn clock_now() -> chrono::DateTime<chrono::Utc> {
        chrono::Utc::now()
    }
}

contract!(
    cases_intake_workflow_and_close_approval,
    async |s: &dyn Store| {
        use baoho_domain::case::{Escalation, Rag, Status};
        use baoho_store::{CaseFilter, NewEvent};
        use cases_support::*;
        let keys = setup(s).await;
        let head = account(
            s,
            "head.tokyo",
            Role::HeadOfMission,
            AgencyKind::Mission,
            "EMB-JP-TOKYO",
            None,
        )
        .await;
        let officer = account(
            s,
            "tokyo1",
            Role::MissionOfficer,
            AgencyKind::Mission,
            "EMB-JP-TOKYO",
            Some(&head.id),
        )
        .await;
        let seoul = account(
            s,
            "seoul1",
            Role::MissionOfficer,
            AgencyKind::Mission,
            "EMB-KR-SEOUL",
            None,
        )
        .await;
        let who = identity(s, &officer).await;
        let t0 = clock_now();
        let p = handle(s, &keys, &who)
            .create(person("Ngô Văn Bắt", "JP", "EMB-JP-TOKYO"))
            .await
            .unwrap();
        let c = cases_at(s, &keys, &who, t0);
        let rec = c
            .create(intake("arrest", vec![p.id.clone()]))
            .await
            .unwrap();
        assert!(rec.summary.reference.starts_with("BH-"));
        assert_eq!(rec.summary.status, Status::New);
        assert_eq!(
            rec.summary.lead_officer.as_deref(),
            Some(officer.id.as_str())
        );
        assert_eq!(rec.persons, vec![p.id.clone()]);
        assert_eq!(
            rec.description,
            "Arrested at a factory raid; family called the hotline"
        );
        assert_eq!(
            rec.summary.due_at - rec.summary.opened_at,
            chrono::Duration::hours(24)
        );
        assert_eq!(rec.summary.rag, Rag::Green);
        // Create answers with the case as a read finds it (PostgreSQL keeps microseconds).
        let read = c.get(&rec.summary.id).await.unwrap();
        let strip = |r: &baoho_store::CaseRecord| {
            let mut r = r.clone();
            for t in [&mut r.summary.opened_at, &mut r.summary.due_at]
                .into_iter()
                .chain(r.events.iter_mut().map(|e| &mut e.at))
            {
                *t = chrono::DateTime::UNIX_EPOCH;
            }
            r
        };
        assert_eq!(strip(&read), strip(&rec));
        assert!(
            (read.summary.due_at - rec.summary.due_at).abs() < chrono::Duration::milliseconds(1)
        );
        // Bad intake changes nothing.
        let mut bad = intake("kidnapping", vec![]);
        assert!(matches!(
            c.create(bad.clone()).await,
            Err(StoreError::Validation(_))
        ));
        bad.case_type = "arrest".into();
        bad.persons = vec!["no-such-person".into()];
        assert!(matches!(
            c.create(bad).await,
            Err(StoreError::Validation(_))
        ));
        // Another mission cannot see it, or link a Tokyo person to its own case.
        let cs = cases_at(s, &keys, &identity(s, &seoul).await, t0);
        assert!(matches!(
            cs.get(&rec.summary.id).await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            cs.add_event(
                &rec.summary.id,
                NewEvent {
                    kind: "note".into(),
                    body: "x".into(),
                    ..Default::default()
                }
            )
            .await,
            Err(StoreError::NotFound)
        ));
        assert_eq!(cs.list(&CaseFilter::default()).await.unwrap().total, 0);
        let mut other = intake("arrest", vec![p.id.clone()]);
        other.country = "KR".into();
        other.mission = "EMB-KR-SEOUL".into();
        assert!(matches!(
            cs.create(other).await,
            Err(StoreError::Validation(_))
        ));
        // Timeline, checklist, workflow with optimistic concurrency.
        c.add_event(
            &rec.summary.id,
            NewEvent {
                kind: "consular_visit".into(),
                body: "Visited at Osaka detention centre".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert!(matches!(
            c.add_event(
                &rec.summary.id,
                NewEvent {
                    kind: "money_advanced".into(),
                    body: "ticket".into(),
                    amount_minor: None,
                    currency: None,
                    repayment: Some("signed".into()),
                }
            )
            .await,
            Err(StoreError::Validation(_))
        ));
        assert!(
            matches!(
                c.add_event(
                    &rec.summary.id,
                    NewEvent {
                        kind: "money_advanced".into(),
                        body: "Bus ticket".into(),
                        amount_minor: Some(12000),
                        currency: Some("JPY".into()),
                        repayment: None,
                    },
                )
                .await,
                Err(StoreError::Validation(_))
            ),
            "an advance says whether repayment was undertaken"
        );
        c.add_event(
            &rec.summary.id,
            NewEvent {
                kind: "money_advanced".into(),
                body: "Bus ticket".into(),
                amount_minor: Some(12000),
                currency: Some("JPY".into()),
                repayment: Some("signed".into()),
            },
        )
        .await
        .unwrap();
        c.check(&rec.summary.id, 1, true).await.unwrap();
        c.set_status(&rec.summary.id, 1, Status::Assessed, "")
            .await
            .unwrap();
        assert!(matches!(
            c.set_status(&rec.summary.id, 1, Status::InProgress, "")
                .await,
            Err(StoreError::Conflict(_))
        ));
        assert!(matches!(
            c.set_status(&rec.summary.id, 2, Status::Closed, "").await,
            Err(StoreError::Validation(_))
        ));
        c.set_status(&rec.summary.id, 2, Status::Resolved, "")
            .await
            .unwrap();
        // Closing needs a supervisor, who is not the requester.
        c.request_close(&rec.summary.id, 3).await.unwrap();
        assert!(matches!(
            c.approve_close(&rec.summary.id, 4).await,
            Err(StoreError::Forbidden)
        ));
        let h = cases_at(s, &keys, &identity(s, &head).await, t0);
        let queue = h
            .list(&CaseFilter {
                awaiting_approval: true,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(queue.cases.len(), 1);
        h.approve_close(&rec.summary.id, 4).await.unwrap();
        let closed = c.get(&rec.summary.id).await.unwrap();
        assert_eq!(closed.summary.status, Status::Closed);
        assert_eq!(closed.checks_done, vec![1]);
        let kinds: Vec<&str> = closed.events.iter().map(|e| e.kind.as_str()).collect();
        assert!(kinds.contains(&"consular_visit") && kinds.contains(&"money_advanced"));
        assert_eq!(closed.summary.escalation, Escalation::Officer);
        // Reopening needs a reason.
        assert!(
            c.set_status(&rec.summary.id, 5, Status::InProgress, "no")
                .await
                .is_err()
        );
        c.set_status(
            &rec.summary.id,
            5,
            Status::InProgress,
            "the family sent new documents",
        )
        .await
        .unwrap();
        assert!(s.verify_audit().await.unwrap().broken.is_none());
    }
);

contract!(
    a_person_added_by_mistake_is_removed_with_a_reason,
    async |s: &dyn Store| {
        use baoho_store::{AuditAction, AuditFilter, AuditOutcome, ReferralRequest};
        use cases_support::*;
        let keys = setup(s).await;
        let officer = account(
            s,
            "tokyo.unlink",
            Role::MissionOfficer,
            AgencyKind::Mission,
            "EMB-JP-TOKYO",
            None,
        )
        .await;
        let seoul = account(
            s,
            "seoul.unlink",
            Role::MissionOfficer,
            AgencyKind::Mission,
            "EMB-KR-SEOUL",
            None,
        )
        .await;
        let police = account(
            s,
            "mps.unlink",
            Role::PartnerLiaison,
            AgencyKind::PublicSecurity,
            "MPS",
            None,
        )
        .await;
        let auditor = account(
            s,
            "auditor.unlink",
            Role::Auditor,
            AgencyKind::ConsularDepartment,
            "CD",
            None,
        )
        .await;
        let who = identity(s, &officer).await;
        let ph = handle(s, &keys, &who);
        let mut crew = vec![];
        for name in ["Lê Văn Thuyền", "Lê Văn Lưới", "Lê Văn Neo"] {
            crew.push(
                ph.create(person(name, "JP", "EMB-JP-TOKYO"))
                    .await
                    .unwrap()
                    .id,
            );
        }
        let far = handle(s, &keys, &identity(s, &seoul).await)
            .create(person("Lê Văn Xa", "KR", "EMB-KR-SEOUL"))
            .await
            .unwrap()
            .id;
        let t0 = clock_now();
        let c = cases_at(s, &keys, &who, t0);
        let rec = c
            .create(intake("fishermen", vec![crew[0].clone()]))
            .await
            .unwrap();
        let id = rec.summary.id.clone();
        // Linking: a second person, not twice.
        c.link_person(&id, &crew[1]).await.unwrap();
        assert!(matches!(
            c.link_person(&id, &crew[1]).await,
            Err(StoreError::Validation(e)) if e[0].field == "person" && e[0].code == "case.error.person_linked"
        ));
        // A referral sent now carries both (its snapshot is kept as sent).
        let referral = c
            .refer(
                &id,
                ReferralRequest {
                    agency: "MPS".into(),
                    purpose: "Verify identity".into(),
                    fields: vec!["identity".into()],
                    consent: true,
                    override_reason: String::new(),
                },
            )
            .await
            .unwrap();
        assert_eq!(referral.snapshot.persons.len(), 2);
        let before = c.get(&id).await.unwrap();
        assert_eq!(before.persons, vec![crew[0].clone(), crew[1].clone()]);
        let unchanged = |k: &baoho_store::CaseRecord| {
            assert_eq!(k.persons, before.persons);
            assert_eq!(k.events.len(), before.events.len());
            assert_eq!(k.version, before.version);
        };
        let updates = || async {
            s.audit_query(&AuditFilter {
                object_id: Some(id.clone()),
                action: Some(AuditAction::Update),
                outcome: Some(AuditOutcome::Allowed),
                limit: 1000,
                ..Default::default()
            })
            .await
            .unwrap()
        };
        let updates_before = updates().await.len();
        // A reason is required: trimmed, at least 5 characters, no control characters.
        for reason in ["", "    ", " ab ", "nhầm", "nhầm\u{0}người"] {
            assert!(
                matches!(
                    c.unlink_person(&id, &crew[1], reason).await,
                    Err(StoreError::Validation(e)) if e[0].field == "reason" && e[0].code == "case.error.unlink_reason"
                ),
                "{reason:?}"
            );
        }
        assert!(matches!(
            c.unlink_person(&id, &crew[1], &"x".repeat(2001)).await,
            Err(StoreError::Validation(_))
        ));
        // A person not on the case: a field error, nothing written (not even a denied row).
        let denied_before = denied_rows(s, &officer.id).await;
        assert!(matches!(
            c.unlink_person(&id, &crew[2], "Added by mistake").await,
            Err(StoreError::Validation(e)) if e[0].field == "person" && e[0].code == "case.error.person_not_linked"
        ));
        assert_eq!(denied_rows(s, &officer.id).await, denied_before);
        // A person I may not read (or none): refused as at linking, with the person's denied row.
        for p in [far.as_str(), "no-such-person"] {
            assert!(matches!(
                c.unlink_person(&id, p, "Added by mistake").await,
                Err(StoreError::Validation(e)) if e[0].field == "person" && e[0].code == "case.error.person"
            ));
        }
        assert_eq!(denied_rows(s, &officer.id).await, denied_before + 2);
        // Another mission, a partner liaison, an auditor: the case does not exist for them
        // (one denied row each).
        for a in [&seoul, &police, &auditor] {
            let before = denied_rows(s, &a.id).await;
            let h = cases_at(s, &keys, &identity(s, a).await, t0);
            assert!(
                matches!(
                    h.unlink_person(&id, &crew[1], "Added by mistake").await,
                    Err(StoreError::NotFound)
                ),
                "{}",
                a.username
            );
            assert_eq!(denied_rows(s, &a.id).await, before + 1, "{}", a.username);
        }
        unchanged(&c.get(&id).await.unwrap());
        assert_eq!(updates().await.len(), updates_before);
        // The lead removes the person (the reason typed decomposed, stored NFC).
        c.unlink_person(&id, &crew[1], "  Tru\u{0300}ng te\u{0302}n, nhầm người  ")
            .await
            .unwrap();
        let after = c.get(&id).await.unwrap();
        assert_eq!(after.persons, vec![crew[0].clone()]);
        assert_eq!(after.version, before.version, "no version: like linking");
        let ev = &after.events[0];
        assert_eq!(ev.kind, "person_unlinked");
        assert_eq!(ev.author, officer.id);
        assert_eq!(ev.body, format!("{}: Trùng tên, nhầm người", crew[1]));
        assert_eq!(after.events.len(), before.events.len() + 1);
        let rows = updates().await;
        assert_eq!(rows.len(), updates_before + 1);
        assert_eq!(rows[0].entry.actor, officer.id);
        assert_eq!(rows[0].entry.object_kind, "case");
        assert_eq!(rows[0].entry.purpose, "person unlinked");
        assert!(
            !rows[0].entry.purpose.contains("Trùng"),
            "the reason is in the encrypted timeline, not the audit trail"
        );
        // Twice: not on the case any more.
        assert!(matches!(
            c.unlink_person(&id, &crew[1], "Added by mistake").await,
            Err(StoreError::Validation(e)) if e[0].code == "case.error.person_not_linked"
        ));
        // The last person may go too (a case may be opened with no one), and come back.
        c.unlink_person(&id, &crew[0], "Wrong boat's crew list")
            .await
            .unwrap();
        assert!(c.get(&id).await.unwrap().persons.is_empty());
        c.link_person(&id, &crew[1]).await.unwrap();
        assert_eq!(c.get(&id).await.unwrap().persons, vec![crew[1].clone()]);
        // The referral sent before keeps the persons it carried.
        let k = c.get(&id).await.unwrap();
        let refs = c.referrals(&k).await.unwrap();
        assert_eq!(refs.len(), 1);
        assert_eq!(refs[0].snapshot.persons.len(), 2);
        assert!(s.verify_audit().await.unwrap().broken.is_none());
    }
);

contract!(
    overdue_cases_escalate_up_the_chain_through_the_outbox,
    async |s: &dyn Store| {
        use baoho_domain::case::{Escalation, Rag};
        use baoho_store::CaseFilter;
        use baoho_store::cases::{drain_outbox, escalate_overdue};
        use cases_support::*;
        let keys = setup(s).await;
        let head = account(
            s,
            "head.tokyo",
            Role::HeadOfMission,
            AgencyKind::Mission,
            "EMB-JP-TOKYO",
            None,
        )
        .await;
        let section = account(
            s,
            "section.tokyo",
            Role::MissionOfficer,
            AgencyKind::Mission,
            "EMB-JP-TOKYO",
            None,
        )
        .await;
        let officer = account(
            s,
            "tokyo1",
            Role::MissionOfficer,
            AgencyKind::Mission,
            "EMB-JP-TOKYO",
            Some(&section.id),
        )
        .await;
        let hq = account(
            s,
            "hq1",
            Role::HqOfficer,
            AgencyKind::ConsularDepartment,
            "CD",
            None,
        )
        .await;
        let who = identity(s, &officer).await;
        // An injected clock: the case is opened at t0; nothing sleeps.
        let t0 = clock_now();
        let rec = cases_at(s, &keys, &who, t0)
            .create(intake("arrest", vec![]))
            .await
            .unwrap();
        let id = rec.summary.id.clone();
        let at = |h: i64| t0 + chrono::Duration::hours(h);
        let notices = |acc: &str| {
            let acc = acc.to_owned();
            async move {
                baoho_store::Accounts::new(s)
                    .notifications(&acc, 50)
                    .await
                    .unwrap()
                    .len()
            }
        };
        assert_eq!(
            escalate_overdue(s, &keys, at(23)).await.unwrap(),
            0,
            "within the deadline"
        );
        assert_eq!(
            cases_at(s, &keys, &who, at(19))
                .get(&id)
                .await
                .unwrap()
                .summary
                .rag,
            Rag::Amber
        );
        // Overdue: the officer's supervisor (head of the consular section).
        assert_eq!(escalate_overdue(s, &keys, at(25)).await.unwrap(), 1);
        assert_eq!(
            escalate_overdue(s, &keys, at(26)).await.unwrap(),
            0,
            "once per level"
        );
        assert_eq!(drain_outbox(s, at(25), 100).await.unwrap(), 1);
        assert_eq!(notices(&section.id).await, 1);
        // Half the allowed time again: the head of mission; the whole again: headquarters.
        assert_eq!(escalate_overdue(s, &keys, at(37)).await.unwrap(), 1);
        drain_outbox(s, at(37), 100).await.unwrap();
        assert_eq!(notices(&head.id).await, 1);
        assert_eq!(escalate_overdue(s, &keys, at(49)).await.unwrap(), 1);
        drain_outbox(s, at(49), 100).await.unwrap();
        assert_eq!(notices(&hq.id).await, 1);
        assert_eq!(
            drain_outbox(s, at(50), 100).await.unwrap(),
            0,
            "each delivery once"
        );
        let c = cases_at(s, &keys, &who, at(49)).get(&id).await.unwrap();
        assert_eq!(c.summary.escalation, Escalation::Headquarters);
        assert_eq!(c.summary.rag, Rag::Red);
        let overdue = cases_at(s, &keys, &who, at(49))
            .list(&CaseFilter {
                overdue_only: true,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(overdue.total, 1);
        let not_yet = cases_at(s, &keys, &who, at(1))
            .list(&CaseFilter {
                overdue_only: true,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(not_yet.total, 0);
        assert!(s.verify_audit().await.unwrap().broken.is_none());
    }
);

contract!(
    referrals_carry_only_chosen_fields_and_reach_only_their_agency,
    async |s: &dyn Store| {
        use baoho_store::cases::drain_outbox;
        use baoho_store::{Inbox, ReferralRequest};
        use cases_support::*;
        let keys = setup(s).await;
        let head = account(
            s,
            "head.tokyo",
            Role::HeadOfMission,
            AgencyKind::Mission,
            "EMB-JP-TOKYO",
            None,
        )
        .await;
        let officer = account(
            s,
            "tokyo1",
            Role::MissionOfficer,
            AgencyKind::Mission,
            "EMB-JP-TOKYO",
            Some(&head.id),
        )
        .await;
        let police = account(
            s,
            "mps1",
            Role::PartnerLiaison,
            AgencyKind::PublicSecurity,
            "MPS",
            None,
        )
        .await;
        let army = account(
            s,
            "mnd1",
            Role::PartnerLiaison,
            AgencyKind::NationalDefence,
            "MND",
            None,
        )
        .await;
        let who = identity(s, &officer).await;
        let t0 = clock_now();
        let p = handle(s, &keys, &who)
            .create(person("Vũ Văn Giải", "JP", "EMB-JP-TOKYO"))
            .await
            .unwrap();
        let c = cases_at(s, &keys, &who, t0);
        let case = c
            .create(intake("scam_centre", vec![p.id.clone()]))
            .await
            .unwrap();
        let inbox = |acc: &baoho_store::Account| {
            let acc = acc.clone();
            let keys = keys.clone();
            async move {
                let id = identity(s, &acc).await;
                Inbox::new(
                    s,
                    keys,
                    baoho_store::AccessCtx {
                        who: id,
                        request_id: "r".into(),
                        purpose: String::new(),
                        at: clock_now(),
                    },
                )
            }
        };
        // Without consent and without a reason: refused.
        let bad = c
            .refer(
                &case.summary.id,
                ReferralRequest {
                    agency: "MPS".into(),
                    purpose: "Verify identity".into(),
                    fields: vec!["identity".into()],
                    consent: false,
                    override_reason: "".into(),
                },
            )
            .await;
        assert!(matches!(bad, Err(StoreError::Validation(_))));
        // With consent: sent at once, carrying only identity and documents.
        let r = c
            .refer(
                &case.summary.id,
                ReferralRequest {
                    agency: "MPS".into(),
                    purpose: "Verify identity before return".into(),
                    fields: vec!["identity".into(), "documents".into()],
                    consent: true,
                    override_reason: String::new(),
                },
            )
            .await
            .unwrap();
        assert_eq!(r.status, "sent");
        assert_eq!(
            r.snapshot.persons[0].full_name.as_deref(),
            Some("Vũ Văn Giải")
        );
        assert_eq!(r.snapshot.persons[0].documents[0].number, "C1234567");
        assert!(
            r.snapshot.persons[0].next_of_kin.is_empty()
                && r.snapshot.summary.is_none()
                && r.snapshot.persons[0].hometown.is_none()
        );
        drain_outbox(s, clock_now(), 100).await.unwrap();
        assert_eq!(
            baoho_store::Accounts::new(s)
                .notifications(&police.id, 10)
                .await
                .unwrap()
                .len(),
            1
        );
        // The police inbox has it; defence's does not, and cannot open it.
        let ip = inbox(&police).await;
        assert_eq!(ip.list().await.unwrap().len(), 1);
        let ia = inbox(&army).await;
        assert!(ia.list().await.unwrap().is_empty());
        let before = denied_rows(s, &army.id).await;
        assert!(matches!(ia.get(&r.id).await, Err(StoreError::NotFound)));
        assert!(matches!(
            ia.respond(&r.id, "accepted", "x").await,
            Err(StoreError::NotFound)
        ));
        assert_eq!(denied_rows(s, &army.id).await, before + 2);
        // Partners never see the case itself.
        let pc = cases_at(s, &keys, &identity(s, &police).await, clock_now());
        assert!(matches!(
            pc.get(&case.summary.id).await,
            Err(StoreError::NotFound)
        ));
        // The police answer; the case side sees the status and the answer.
        ip.respond(&r.id, "accepted", "Identity confirmed, family informed")
            .await
            .unwrap();
        let seen = c
            .referrals(&c.get(&case.summary.id).await.unwrap())
            .await
            .unwrap();
        assert_eq!(seen[0].status, "accepted");
        assert_eq!(seen[0].response, "Identity confirmed, family informed");
        // An override without consent waits for a supervisor, who is told, and then it goes.
        let o = c
            .refer(
                &case.summary.id,
                ReferralRequest {
                    agency: "P-79".into(),
                    purpose: "Receive at the airport".into(),
                    fields: vec!["identity".into(), "hometown".into()],
                    consent: false,
                    override_reason: "Person unconscious in hospital, family cannot be reached"
                        .into(),
                },
            )
            .await
            .unwrap();
        assert_eq!(o.status, "awaiting_approval");
        assert!(matches!(
            c.approve_referral(&case.summary.id, &o.id).await,
            Err(StoreError::Forbidden)
        ));
        drain_outbox(s, clock_now(), 100).await.unwrap();
        assert_eq!(
            baoho_store::Accounts::new(s)
                .notifications(&head.id, 10)
                .await
                .unwrap()
                .len(),
            1
        );
        let h = cases_at(s, &keys, &identity(s, &head).await, clock_now());
        h.approve_referral(&case.summary.id, &o.id).await.unwrap();
        assert_eq!(
            c.referrals(&c.get(&case.summary.id).await.unwrap())
                .await
                .unwrap()
                .iter()
                .find(|x| x.id == o.id)
                .unwrap()
                .status,
            "sent"
        );
        assert!(s.verify_audit().await.unwrap().broken.is_none());
    }
);

contract!(
    consular_access_clock_and_country_report,
    async |s: &dyn Store| {
        use baoho_domain::case::{AccessClock, Breach};
        use baoho_store::NewEvent;
        use cases_support::*;
        let keys = setup(s).await;
        let officer = account(
            s,
            "tokyo1",
            Role::MissionOfficer,
            AgencyKind::Mission,
            "EMB-JP-TOKYO",
            None,
        )
        .await;
        let seoul = account(
            s,
            "seoul1",
            Role::MissionOfficer,
            AgencyKind::Mission,
            "EMB-KR-SEOUL",
            None,
        )
        .await;
        let who = identity(s, &officer).await;
        let now = clock_now();
        let days = |d: i64| now - chrono::Duration::days(d);
        let c = cases_at(s, &keys, &who, now);
        let late = c.create(intake("arrest", vec![])).await.unwrap();
        let fine = c.create(intake("detention", vec![])).await.unwrap();
        let lost = c.create(intake("lost_documents", vec![])).await.unwrap();
        c.set_access_clock(
            &late.summary.id,
            &AccessClock {
                arrested_at: Some(days(20)),
                notified_at: Some(days(12)),
                requested_at: Some(days(12)),
                granted_at: Some(days(10)),
                visits: vec![],
            },
        )
        .await
        .unwrap();
        c.set_access_clock(
            &fine.summary.id,
            &AccessClock {
                arrested_at: Some(days(10)),
                notified_at: Some(days(9)),
                requested_at: Some(days(9)),
                granted_at: Some(days(8)),
                visits: vec![],
            },
        )
        .await
        .unwrap();
        c.add_event(
            &fine.summary.id,
            NewEvent {
                kind: "consular_visit".into(),
                body: "Visited".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        // Out-of-order dates and the wrong type are refused.
        assert!(matches!(
            c.set_access_clock(
                &fine.summary.id,
                &AccessClock {
                    arrested_at: Some(days(1)),
                    notified_at: Some(days(2)),
                    ..Default::default()
                }
            )
            .await,
            Err(StoreError::Validation(_))
        ));
        assert!(matches!(
            c.set_access_clock(
                &lost.summary.id,
                &AccessClock {
                    arrested_at: Some(days(1)),
                    ..Default::default()
                }
            )
            .await,
            Err(StoreError::Validation(_))
        ));
        let clock = c
            .access_clock(&c.get(&late.summary.id).await.unwrap())
            .await
            .unwrap();
        assert_eq!(clock.breaches(now), vec![Breach::LateNotification(8)]);
        assert_eq!(
            c.access_clock(&c.get(&fine.summary.id).await.unwrap())
                .await
                .unwrap()
                .visits
                .len(),
            1
        );
        // Another mission cannot read or set the clock.
        let cs = cases_at(s, &keys, &identity(s, &seoul).await, now);
        assert!(matches!(
            cs.get(&late.summary.id).await,
            Err(StoreError::NotFound)
        ));
        // A record opened by Tokyo does not open the clock for Seoul's handle either.
        let opened_by_tokyo = c.get(&late.summary.id).await.unwrap();
        assert!(matches!(
            cs.access_clock(&opened_by_tokyo).await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            cs.set_access_clock(&late.summary.id, &AccessClock::default())
                .await,
            Err(StoreError::NotFound)
        ));
        assert!(cs.access_report().await.unwrap().is_empty());
        let report = c.access_report().await.unwrap();
        assert_eq!(report.len(), 1);
        assert_eq!(report[0].country, "JP");
        assert_eq!(report[0].cases, 2);
        assert_eq!(report[0].late_notifications, 1);
        assert_eq!(report[0].median_notification_days, Some(4.5));
        assert!((report[0].compliance() - 0.5).abs() < 1e-9);
    }
);

contract!(
    transfers_move_a_case_between_missions,
    async |s: &dyn Store| {
        use cases_support::*;
        let keys = setup(s).await;
        let tokyo = account(
            s,
            "tokyo1",
            Role::MissionOfficer,
            AgencyKind::Mission,
            "EMB-JP-TOKYO",
            None,
        )
        .await;
        let seoul = account(
            s,
            "seoul1",
            Role::MissionOfficer,
            AgencyKind::Mission,
            "EMB-KR-SEOUL",
            None,
        )
        .await;
        let berlin = account(
            s,
            "berlin1",
            Role::MissionOfficer,
            AgencyKind::Mission,
            "EMB-DE-BERLIN",
            None,
        )
        .await;
        let t = cases_at(s, &keys, &identity(s, &tokyo).await, clock_now());
        let k = cases_at(s, &keys, &identity(s, &seoul).await, clock_now());
        let b = cases_at(s, &keys, &identity(s, &berlin).await, clock_now());
        let mut i = intake("missing", vec![]);
        i.country = "JP".into();
        let case = t.create(i).await.unwrap();
        assert!(matches!(
            t.request_transfer(&case.summary.id, "EMB-JP-TOKYO", "same mission")
                .await,
            Err(StoreError::Validation(_))
        ));
        assert!(matches!(
            k.request_transfer(&case.summary.id, "EMB-KR-SEOUL", "not mine to move")
                .await,
            Err(StoreError::NotFound)
        ));
        let tr = t
            .request_transfer(
                &case.summary.id,
                "EMB-KR-SEOUL",
                "The family says he crossed to Busan",
            )
            .await
            .unwrap();
        assert!(matches!(
            t.request_transfer(&case.summary.id, "EMB-DE-BERLIN", "twice")
                .await,
            Err(StoreError::Conflict(_))
        ));
        // Seoul sees it waiting (not the file); Berlin does not, and cannot decide it.
        assert_eq!(k.incoming_transfers().await.unwrap().len(), 1);
        assert!(matches!(
            k.get(&case.summary.id).await,
            Err(StoreError::NotFound)
        ));
        assert!(b.incoming_transfers().await.unwrap().is_empty());
        assert!(matches!(
            b.decide_transfer(&tr.id, true).await,
            Err(StoreError::NotFound)
        ));
        k.decide_transfer(&tr.id, true).await.unwrap();
        // Now Seoul holds the case (its lead is the acceptor); Tokyo, still a member, keeps reading.
        let moved = k.get(&case.summary.id).await.unwrap();
        assert_eq!(moved.summary.mission, "EMB-KR-SEOUL");
        assert_eq!(
            moved.summary.lead_officer.as_deref(),
            Some(seoul.id.as_str())
        );
        assert!(moved.events.iter().any(|e| e.kind == "transfer"));
        assert_eq!(
            t.transfers_of(&t.get(&case.summary.id).await.unwrap())
                .await
                .unwrap()[0]
                .status,
            "accepted"
        );
        assert!(
            matches!(
                k.decide_transfer(&tr.id, false).await,
                Err(StoreError::NotFound)
            ),
            "decided once"
        );
        assert!(s.verify_audit().await.unwrap().broken.is_none());
    }
);

contract!(open_cases_by_type_mission_and_age, async |s: &dyn Store| {
    use cases_support::*;
    let keys = setup(s).await;
    let tokyo = account(
        s,
        "tokyo1",
        Role::MissionOfficer,
        AgencyKind::Mission,
        "EMB-JP-TOKYO",
        None,
    )
    .await;
    let hq = account(
        s,
        "hq1",
        Role::HqOfficer,
        AgencyKind::ConsularDepartment,
        "CD",
        None,
    )
    .await;
    let who = identity(s, &tokyo).await;
    let now = clock_now();
    for (ty, days_ago) in [
        ("arrest", 0),
        ("arrest", 3),
        ("arrest", 40),
        ("illness", 10),
    ] {
        cases_at(s, &keys, &who, now - chrono::Duration::days(days_ago))
            .create(intake(ty, vec![]))
            .await
            .unwrap();
    }
    let counts = cases_at(s, &keys, &identity(s, &hq).await, now)
        .open_counts()
        .await
        .unwrap();
    let arrest = counts.iter().find(|c| c.case_type == "arrest").unwrap();
    assert_eq!(
        (
            arrest.under_1_day,
            arrest.under_7_days,
            arrest.under_30_days,
            arrest.older
        ),
        (1, 1, 0, 1)
    );
    assert_eq!(arrest.total(), 3);
    assert_eq!(
        arrest.overdue, 2,
        "the 3- and 40-day-old urgent arrests are past their 24 h"
    );
    assert_eq!(counts.iter().map(|c| c.total()).sum::<i64>(), 4);
});

contract!(
    attachments_are_encrypted_limited_and_scoped,
    async |s: &dyn Store| {
        use cases_support::*;
        use object_store::ObjectStoreExt;
        let keys = setup(s).await;
        let tokyo = account(
            s,
            "tokyo1",
            Role::MissionOfficer,
            AgencyKind::Mission,
            "EMB-JP-TOKYO",
            None,
        )
        .await;
        let seoul = account(
            s,
            "seoul1",
            Role::MissionOfficer,
            AgencyKind::Mission,
            "EMB-KR-SEOUL",
            None,
        )
        .await;
        let objects = object_store::memory::InMemory::new();
        let t = cases_at(s, &keys, &identity(s, &tokyo).await, clock_now());
        let case = t.create(intake("lost_documents", vec![])).await.unwrap();
        let pdf = b"%PDF-1.7 police report of Nguyen Van Mat, passport C7654321".to_vec();
        let a = t
            .attach(
                &objects,
                &case.summary.id,
                "Biên bản Nguyễn Văn Mất.pdf",
                &pdf,
            )
            .await
            .unwrap();
        assert_eq!(a.content_type, "application/pdf");
        // Stored sealed: neither the bytes nor the name are readable in the object store.
        let raw = objects
            .get(&object_store::path::Path::from(format!(
                "cases/{}/{}",
                case.summary.id, a.id
            )))
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        let raw = String::from_utf8_lossy(&raw);
        assert!(
            !raw.contains("C7654321")
                && !raw.contains("Nguyen Van Mat")
                && !raw.contains("Biên bản")
        );
        let (meta, bytes) = t.download(&objects, &case.summary.id, &a.id).await.unwrap();
        assert_eq!(bytes, pdf);
        assert_eq!(meta.file_name, "Biên bản Nguyễn Văn Mất.pdf");
        assert_eq!(
            t.attachments(&t.get(&case.summary.id).await.unwrap())
                .await
                .unwrap()
                .len(),
            1
        );
        // Types by content, sizes limited; other missions see nothing.
        assert!(matches!(
            t.attach(
                &objects,
                &case.summary.id,
                "x.zip",
                b"PK\x03\x04\x00\x00binary"
            )
            .await,
            Err(StoreError::Validation(_))
        ));
        assert!(matches!(
            t.attach(
                &objects,
                &case.summary.id,
                "big.txt",
                &vec![b'a'; baoho_store::attachments::MAX_BYTES + 1]
            )
            .await,
            Err(StoreError::Validation(_))
        ));
        let k = cases_at(s, &keys, &identity(s, &seoul).await, clock_now());
        assert!(matches!(
            k.download(&objects, &case.summary.id, &a.id).await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            k.attach(&objects, &case.summary.id, "y.txt", b"hello")
                .await,
            Err(StoreError::NotFound)
        ));
    }
);

contract!(
    work_queue_lists_and_new_since_last_look,
    async |s: &dyn Store| {
        use baoho_store::{AuditAction, AuditFilter, CaseFilter};
        use cases_support::*;
        let keys = setup(s).await;
        let head = account(
            s,
            "head.tokyo",
            Role::HeadOfMission,
            AgencyKind::Mission,
            "EMB-JP-TOKYO",
            None,
        )
        .await;
        let me = account(
            s,
            "tokyo.me",
            Role::MissionOfficer,
            AgencyKind::Mission,
            "EMB-JP-TOKYO",
            Some(&head.id),
        )
        .await;
        let colleague = account(
            s,
            "tokyo.other",
            Role::MissionOfficer,
            AgencyKind::Mission,
            "EMB-JP-TOKYO",
            Some(&head.id),
        )
        .await;
        let seoul = account(
            s,
            "seoul.q",
            Role::MissionOfficer,
            AgencyKind::Mission,
            "EMB-KR-SEOUL",
            None,
        )
        .await;
        let t0 = clock_now();
        let mine = cases_at(s, &keys, &identity(s, &me).await, t0);
        let other = cases_at(s, &keys, &identity(s, &colleague).await, t0);
        let kr = cases_at(s, &keys, &identity(s, &seoul).await, t0);
        let own = mine.create(intake("arrest", vec![])).await.unwrap();
        // First look: nothing "since", no previous look; my case is mine and new.
        let q = mine.work_queue().await.unwrap();
        assert_eq!(q.last_looked, None);
        assert_eq!(q.since_last_look.total, 0);
        assert_eq!(q.mine.total, 1);
        assert_eq!(q.mine.cases[0].id, own.summary.id);
        assert_eq!(q.unassessed.total, 1);
        assert_eq!(q.approvals.total, 0);
        // A colleague opens one at my mission, Seoul one elsewhere, I open another myself.
        let theirs = other.create(intake("accident", vec![])).await.unwrap();
        let mut k = intake("accident", vec![]);
        k.country = "KR".into();
        k.mission = "EMB-KR-SEOUL".into();
        kr.create(k).await.unwrap();
        mine.create(intake("illness", vec![])).await.unwrap();
        let q = mine.work_queue().await.unwrap();
        assert!(q.last_looked.is_some());
        assert_eq!(q.since_last_look.total, 1, "{:?}", q.since_last_look);
        assert_eq!(q.since_last_look.cases[0].id, theirs.summary.id);
        assert_eq!(q.mine.total, 2);
        assert_eq!(q.unassessed.total, 3);
        // Counted up to a cap: 3 new cases counted up to 2 show as "2+"; 2 up to 2 exactly.
        let capped = mine.work_queue_counting_up_to(2).await.unwrap();
        assert_eq!(
            (capped.unassessed.total, capped.unassessed.total_is_at_least),
            (2, true)
        );
        assert_eq!(
            capped.unassessed.cases.len(),
            3,
            "the page itself is not capped"
        );
        assert_eq!(capped.unassessed.shown_total(), "2+");
        assert_eq!(capped.mine.shown_total(), "2");
        assert_eq!(
            (capped.mine.total, capped.mine.total_is_at_least),
            (2, false)
        );
        // Looking again: nothing new since.
        assert_eq!(mine.work_queue().await.unwrap().since_last_look.total, 0);
        // The colleague's own first look lists nothing "since".
        assert_eq!(other.work_queue().await.unwrap().since_last_look.total, 0);
        assert_eq!(
            other
                .list(&CaseFilter {
                    open_only: true,
                    ..Default::default()
                })
                .await
                .unwrap()
                .total,
            3
        );
        // One audit row per look.
        let rows = s
            .audit_query(&AuditFilter {
                actor: Some(me.id.clone()),
                action: Some(AuditAction::Search),
                limit: 100,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(rows.len(), 4);
        // A partner liaison has no work queue.
        let liaison = account(
            s,
            "mps.q",
            Role::PartnerLiaison,
            AgencyKind::PublicSecurity,
            "MPS",
            None,
        )
        .await;
        assert!(matches!(
            cases_at(s, &keys, &identity(s, &liaison).await, t0)
                .work_queue()
                .await,
            Err(StoreError::Forbidden)
        ));
    }
);

contract!(
    work_queue_lists_referrals_to_approve_and_answers_since_last_look,
    async |s: &dyn Store| {
        use baoho_store::{Inbox, ReferralRequest};
        use cases_support::*;
        let keys = setup(s).await;
        let head = account(
            s,
            "head.tokyo",
            Role::HeadOfMission,
            AgencyKind::Mission,
            "EMB-JP-TOKYO",
            None,
        )
        .await;
        let officer = account(
            s,
            "tokyo.ref",
            Role::MissionOfficer,
            AgencyKind::Mission,
            "EMB-JP-TOKYO",
            Some(&head.id),
        )
        .await;
        // Osaka's jurisdiction is Japan too: Tokyo's cases are in its head's lists, but its
        // head approves only Osaka's referrals.
        let osaka = account(
            s,
            "head.osaka",
            Role::HeadOfMission,
            AgencyKind::Mission,
            "CG-JP-OSAKA",
            None,
        )
        .await;
        let hq = account(
            s,
            "hq.ref",
            Role::HqOfficer,
            AgencyKind::ConsularDepartment,
            "CD",
            None,
        )
        .await;
        let police = account(
            s,
            "mps.ref",
            Role::PartnerLiaison,
            AgencyKind::PublicSecurity,
            "MPS",
            None,
        )
        .await;
        let who = identity(s, &officer).await;
        let t0 = clock_now();
        let c = cases_at(s, &keys, &who, t0);
        let open = c.create(intake("accident", vec![])).await.unwrap();
        // Trafficking cases are restricted: listed only to their members.
        let hidden = c.create(intake("trafficking", vec![])).await.unwrap();
        assert!(hidden.summary.restricted);
        let req = |agency: &str, consent: bool| ReferralRequest {
            agency: agency.into(),
            purpose: "Receive at the airport".into(),
            fields: vec!["identity".into()],
            consent,
            override_reason: if consent {
                String::new()
            } else {
                "Person unconscious in hospital, family cannot be reached".into()
            },
        };
        let waiting = c.refer(&open.summary.id, req("P-79", false)).await.unwrap();
        assert_eq!(waiting.status, "awaiting_approval");
        c.refer(&hidden.summary.id, req("P-79", false))
            .await
            .unwrap();
        let sent = c.refer(&open.summary.id, req("MPS", true)).await.unwrap();
        let queue = |acc: &baoho_store::Account, secs: i64, role: Option<Role>| {
            let acc = acc.clone();
            let keys = keys.clone();
            async move {
                let mut id = identity(s, &acc).await;
                if let Some(r) = role {
                    id.role = r;
                }
                cases_at(s, &keys, &id, t0 + chrono::Duration::seconds(secs))
                    .work_queue()
                    .await
                    .unwrap()
            }
        };
        // The head of mission: the open case's override only (not the restricted case's,
        // whose member they are not; not the referral sent with consent).
        let q = queue(&head, 1, None).await;
        assert_eq!(q.referral_approvals.total, 1, "{:?}", q.referral_approvals);
        let item = &q.referral_approvals.items[0];
        assert_eq!(
            (
                item.case_id.as_str(),
                item.case_reference.as_str(),
                item.case_type.as_str(),
                item.referral_id.as_str(),
                item.agency.as_str(),
                item.purpose.as_str()
            ),
            (
                open.summary.id.as_str(),
                open.summary.reference.as_str(),
                "accident",
                waiting.id.as_str(),
                "P-79",
                "Receive at the airport"
            )
        );
        assert_eq!(q.referral_approvals.shown_total(), "1");
        // HQ approves everywhere (the restricted case is not listed to it either).
        assert_eq!(queue(&hq, 1, None).await.referral_approvals.total, 1);
        // Another mission's head, although the case is in its lists: nothing to approve.
        assert_eq!(queue(&osaka, 1, None).await.referral_approvals.total, 0);
        // The requester: not a supervisor; and promoted to one, never their own requests.
        assert_eq!(queue(&officer, 1, None).await.referral_approvals.total, 0);
        assert_eq!(
            queue(&officer, 1, Some(Role::HeadOfMission))
                .await
                .referral_approvals
                .total,
            0
        );
        // Counted up to the cap, like the case lists.
        let capped = cases_at(
            s,
            &keys,
            &identity(s, &head).await,
            t0 + chrono::Duration::seconds(1),
        )
        .work_queue_counting_up_to(0)
        .await
        .unwrap();
        assert_eq!(capped.referral_approvals.shown_total(), "0+");
        // Approved: gone from the queue.
        cases_at(
            s,
            &keys,
            &identity(s, &head).await,
            t0 + chrono::Duration::seconds(2),
        )
        .approve_referral(&open.summary.id, &waiting.id)
        .await
        .unwrap();
        assert_eq!(queue(&head, 3, None).await.referral_approvals.total, 0);
        // The police answer after the officer's last look (at 1 s): the officer sees the answer,
        // without its text; the head of mission (no member of the case) does not.
        Inbox::new(
            s,
            keys.clone(),
            baoho_store::AccessCtx {
                who: identity(s, &police).await,
                request_id: "r".into(),
                purpose: String::new(),
                at: t0 + chrono::Duration::seconds(10),
            },
        )
        .respond(&sent.id, "accepted", "Identity confirmed")
        .await
        .unwrap();
        let q = queue(&officer, 20, None).await;
        assert_eq!(q.referral_answers.total, 1, "{:?}", q.referral_answers);
        let a = &q.referral_answers.items[0];
        assert_eq!(
            (
                a.case_id.as_str(),
                a.referral_id.as_str(),
                a.agency.as_str(),
                a.status.as_str()
            ),
            (
                open.summary.id.as_str(),
                sent.id.as_str(),
                "MPS",
                "accepted"
            )
        );
        assert!(!format!("{q:?}").contains("Identity confirmed"));
        assert_eq!(queue(&head, 20, None).await.referral_answers.total, 0);
        // Looked at once: not again.
        assert_eq!(queue(&officer, 30, None).await.referral_answers.total, 0);
        // A first look lists the answers of the last 7 days: a new member of the case sees it,
        // until it is older than that.
        let colleague = account(
            s,
            "tokyo.ref2",
            Role::MissionOfficer,
            AgencyKind::Mission,
            "EMB-JP-TOKYO",
            Some(&head.id),
        )
        .await;
        let colleague2 = account(
            s,
            "tokyo.ref3",
            Role::MissionOfficer,
            AgencyKind::Mission,
            "EMB-JP-TOKYO",
            Some(&head.id),
        )
        .await;
        let moved = account(
            s,
            "tokyo.ref4",
            Role::MissionOfficer,
            AgencyKind::Mission,
            "EMB-JP-TOKYO",
            Some(&head.id),
        )
        .await;
        for acc in [&colleague, &colleague2, &moved] {
            cases_at(s, &keys, &who, t0 + chrono::Duration::seconds(40))
                .assign(&open.summary.id, &acc.id)
                .await
                .unwrap();
        }
        assert_eq!(queue(&colleague, 50, None).await.referral_answers.total, 1);
        // A member since posted to Seoul: the case is no longer in their places, as in the
        // queue's case lists.
        let mut seoul = identity(s, &moved).await;
        seoul.agency.code = "EMB-KR-SEOUL".into();
        seoul.jurisdiction = vec!["KR".into()];
        assert_eq!(
            cases_at(s, &keys, &seoul, t0 + chrono::Duration::seconds(50))
                .work_queue()
                .await
                .unwrap()
                .referral_answers
                .total,
            0
        );
        assert_eq!(
            queue(&colleague2, 8 * 86_400, None)
                .await
                .referral_answers
                .total,
            0
        );
    }
);

contract!(
    closures_to_approve_are_only_those_i_may_approve,
    async |s: &dyn Store| {
        use baoho_domain::case::Status;
        use cases_support::*;
        let keys = setup(s).await;
        let account_at = |name: &'static str, role, code: &'static str| async move {
            let kind = if code == "CD" {
                AgencyKind::ConsularDepartment
            } else {
                AgencyKind::Mission
            };
            account(s, name, role, kind, code, None).await
        };
        let osaka_officer = account_at("osaka.off", Role::MissionOfficer, "CG-JP-OSAKA").await;
        let osaka_head = account_at("osaka.head", Role::HeadOfMission, "CG-JP-OSAKA").await;
        let tokyo_head = account_at("tokyo.head", Role::HeadOfMission, "EMB-JP-TOKYO").await;
        let hq = account_at("hq.appr", Role::HqOfficer, "CD").await;
        let t0 = clock_now();
        let c = cases_at(s, &keys, &identity(s, &osaka_officer).await, t0);
        let mut k = intake("accident", vec![]);
        k.mission = "CG-JP-OSAKA".into();
        let rec = c.create(k).await.unwrap();
        let id = rec.summary.id.clone();
        c.set_status(&id, 1, Status::Assessed, "").await.unwrap();
        c.set_status(&id, 2, Status::Resolved, "").await.unwrap();
        c.request_close(&id, 3).await.unwrap();
        // Tokyo's head sees the Osaka case (Japan is Tokyo's jurisdiction too) but may not
        // approve its closure: it is not in their list of closures to approve.
        for (a, want) in [
            (&tokyo_head, (0, false)),
            (&osaka_head, (1, true)),
            (&hq, (1, true)),
        ] {
            let h = cases_at(s, &keys, &identity(s, a).await, t0);
            let q = h.work_queue().await.unwrap();
            let got = h.get(&id).await.unwrap();
            assert_eq!(
                (q.approvals.total, h.can_approve(&got)),
                want,
                "{}",
                a.username
            );
        }
        assert!(matches!(
            cases_at(s, &keys, &identity(s, &tokyo_head).await, t0)
                .approve_close(&id, 4)
                .await,
            Err(StoreError::Forbidden)
        ));
    }
);

contract!(
    key_rotation_seals_attachments_again_and_resumes,
    async |s: &dyn Store| {
        use baoho_store::Keyring;
        use baoho_store::attachments::{AttachmentRotation, reencrypt_attachments};
        use cases_support::*;
        use object_store::ObjectStoreExt;
        use std::sync::Arc;
        let old = setup(s).await;
        old.check_against(s).await.unwrap();
        let tokyo = account(
            s,
            "tokyo.rot",
            Role::MissionOfficer,
            AgencyKind::Mission,
            "EMB-JP-TOKYO",
            None,
        )
        .await;
        let who = identity(s, &tokyo).await;
        let objects = object_store::memory::InMemory::new();
        let t = cases_at(s, &old, &who, clock_now());
        let case = t.create(intake("lost_documents", vec![])).await.unwrap();
        let id = case.summary.id.clone();
        let mut files = Vec::new();
        for i in 0..3 {
            let body = format!("%PDF-1.7 report {i}").into_bytes();
            let a = t
                .attach(&objects, &id, &format!("r{i}.pdf"), &body)
                .await
                .unwrap();
            files.push((a.id, body));
        }
        // A new active key, the old one kept to read with during the rotation.
        let ring = Arc::new(
            Keyring::generate("k2")
                .unwrap()
                .with_previous(Keyring::parse(&old.to_key_file()).unwrap()),
        );
        ring.rotate(s, &[]).await.unwrap();
        let done = reencrypt_attachments(s, &ring, &objects).await.unwrap();
        assert_eq!(
            done,
            AttachmentRotation {
                checked: 3,
                rewritten: 3
            }
        );
        // Run again: nothing left to do.
        let again = reencrypt_attachments(s, &ring, &objects).await.unwrap();
        assert_eq!(again.rewritten, 0);
        // The old key can go: every attachment opens with the new key alone.
        let new_only =
            Arc::new(Keyring::parse(ring.to_key_file().lines().next().unwrap()).unwrap());
        let n = cases_at(s, &new_only, &who, clock_now());
        for (aid, body) in &files {
            let (meta, bytes) = n.download(&objects, &id, aid).await.unwrap();
            assert_eq!(&bytes, body);
            assert!(meta.file_name.ends_with(".pdf"));
        }
        // A damaged object stops the rotation with its id, and is not overwritten.
        let k3 = Arc::new(
            Keyring::generate("k3")
                .unwrap()
                .with_previous(Keyring::parse(&new_only.to_key_file()).unwrap()),
        );
        let path = object_store::path::Path::from(format!("cases/{id}/{}", files[1].0));
        // A bit flipped in the sealed bytes: stopped, named, left as it was.
        let sealed = objects.get(&path).await.unwrap().bytes().await.unwrap();
        let mut flipped = sealed.to_vec();
        let at = flipped.len() / 2;
        flipped[at] = if flipped[at] == b'A' { b'B' } else { b'A' };
        objects.put(&path, flipped.clone().into()).await.unwrap();
        let err = reencrypt_attachments(s, &k3, &objects).await.unwrap_err();
        assert!(err.to_string().contains(&files[1].0), "{err}");
        let kept = objects.get(&path).await.unwrap().bytes().await.unwrap();
        assert_eq!(kept.as_ref(), flipped.as_slice());
        // Another file's bytes sealed under this one's id: its checksum stops the run.
        let other = ring
            .encrypt(
                &baoho_store::Aad::new("case_attachment", "bytes", &files[1].0),
                b"%PDF-1.7 something else",
            )
            .unwrap();
        objects.put(&path, other.clone().into()).await.unwrap();
        let err = reencrypt_attachments(s, &k3, &objects).await.unwrap_err();
        assert!(err.to_string().contains(&files[1].0), "{err}");
        let kept = objects.get(&path).await.unwrap().bytes().await.unwrap();
        assert_eq!(kept.as_ref(), other.as_bytes());
    }
);

contract!(
    an_answer_i_recorded_myself_is_not_news_to_me,
    async |s: &dyn Store| {
        use baoho_store::ReferralRequest;
        use cases_support::*;
        let keys = setup(s).await;
        let me = account(
            s,
            "tokyo.writer",
            Role::MissionOfficer,
            AgencyKind::Mission,
            "EMB-JP-TOKYO",
            None,
        )
        .await;
        let colleague = account(
            s,
            "tokyo.reader",
            Role::MissionOfficer,
            AgencyKind::Mission,
            "EMB-JP-TOKYO",
            None,
        )
        .await;
        let t0 = clock_now();
        let at = |secs: i64| t0 + chrono::Duration::seconds(secs);
        let mine = identity(s, &me).await;
        let c = cases_at(s, &keys, &mine, at(0));
        let case = c.create(intake("detention", vec![])).await.unwrap();
        let id = case.summary.id.clone();
        let r = c
            .refer(
                &id,
                ReferralRequest {
                    agency: "STATE-JP".into(),
                    purpose: "Consular access".into(),
                    fields: vec!["identity".into()],
                    consent: true,
                    override_reason: String::new(),
                },
            )
            .await
            .unwrap();
        // The colleague joins the case (as its lead); both have looked once before the answer.
        c.assign(&id, &colleague.id).await.unwrap();
        let theirs = identity(s, &colleague).await;
        for who in [&mine, &theirs] {
            cases_at(s, &keys, who, at(1)).work_queue().await.unwrap();
        }
        // I record the host state's answer from its diplomatic note.
        cases_at(s, &keys, &mine, at(10))
            .record_state_answer(&id, &r.id, "accepted", "Access on Monday")
            .await
            .unwrap();
        let answers = |who| {
            let keys = keys.clone();
            async move {
                cases_at(s, &keys, who, at(20))
                    .work_queue()
                    .await
                    .unwrap()
                    .referral_answers
                    .total
            }
        };
        assert_eq!(answers(&mine).await, 0, "I recorded it: not news to me");
        assert_eq!(
            answers(&theirs).await,
            1,
            "my colleague on the case learns of it"
        );
    }
);

contract!(
    an_unfiltered_list_puts_open_cases_before_settled_ones,
    async |s: &dyn Store| {
        use baoho_domain::case::Status;
        use baoho_store::CaseFilter;
        use cases_support::*;
        let keys = setup(s).await;
        let officer = account(
            s,
            "tokyo.order",
            Role::MissionOfficer,
            AgencyKind::Mission,
            "EMB-JP-TOKYO",
            None,
        )
        .await;
        let who = identity(s, &officer).await;
        let t0 = clock_now();
        // Five cases opened an hour apart: the older, the nearer its deadline.
        let mut ids = Vec::new();
        for h in (1..=5).rev() {
            let c = cases_at(s, &keys, &who, t0 - chrono::Duration::hours(h));
            ids.push(
                c.create(intake("accident", vec![]))
                    .await
                    .unwrap()
                    .summary
                    .id,
            );
        }
        // The two oldest (nearest deadlines) are resolved.
        let c = cases_at(s, &keys, &who, t0);
        for id in &ids[..2] {
            c.set_status(id, 1, Status::Assessed, "").await.unwrap();
            c.set_status(id, 2, Status::Resolved, "").await.unwrap();
        }
        let want = [&ids[2], &ids[3], &ids[4], &ids[0], &ids[1]];
        // One page: the open cases by deadline, then the settled ones.
        let all = c.list(&CaseFilter::default()).await.unwrap();
        let got: Vec<&String> = all.cases.iter().map(|k| &k.id).collect();
        assert_eq!(got, want);
        assert_eq!(all.total, 5);
        // Pages of two cross from the open part to the settled part without a gap or a repeat.
        let mut paged = Vec::new();
        for offset in [0, 2, 4] {
            let p = c
                .list(&CaseFilter {
                    limit: 2,
                    offset,
                    ..Default::default()
                })
                .await
                .unwrap();
            assert_eq!(p.total, 5, "offset {offset}");
            paged.extend(p.cases.into_iter().map(|k| k.id));
        }
        assert_eq!(paged.iter().collect::<Vec<_>>(), want);
        // A status asked for keeps the plain deadline order.
        let resolved = c
            .list(&CaseFilter {
                status: Some(Status::Resolved),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(
            resolved.cases.iter().map(|k| &k.id).collect::<Vec<_>>(),
            [&ids[0], &ids[1]]
        );
    }
);

contract!(
    a_case_goes_to_a_mission_that_covers_its_country,
    async |s: &dyn Store| {
        use cases_support::*;
        let keys = setup(s).await;
        let hq = account(
            s,
            "hq.place",
            Role::HqOfficer,
            AgencyKind::ConsularDepartment,
            "CD",
            None,
        )
        .await;
        let c = cases_at(s, &keys, &identity(s, &hq).await, clock_now());
        // Seoul does not cover Japan: refused on the mission, before anything is written.
        let mut k = intake("accident", vec![]);
        k.mission = "EMB-KR-SEOUL".into();
        match c.check_intake(&k) {
            Err(StoreError::Validation(errs)) => {
                assert_eq!(errs[0].field, "mission");
                assert_eq!(errs[0].code, "case.error.mission_country");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(c.create(k).await, Err(StoreError::Validation(_))));
        // A permanent mission covers no country.
        let pm = baoho_domain::refdata::missions()
            .iter()
            .find(|m| m.jurisdiction.is_empty())
            .expect("a permanent mission in the reference data");
        let mut k = intake("accident", vec![]);
        k.mission = pm.code.clone();
        assert!(matches!(c.create(k).await, Err(StoreError::Validation(_))));
        // A concurrent accreditation counts (Kuwait covers Bahrain); so does no mission.
        let mut k = intake("accident", vec![]);
        k.country = "BH".into();
        k.mission = "EMB-KW-KUWAITCITY".into();
        c.create(k).await.unwrap();
        let mut k = intake("accident", vec![]);
        k.mission = String::new();
        c.create(k).await.unwrap();
        // Osaka's consulate covers Japan too.
        let mut k = intake("accident", vec![]);
        k.mission = "CG-JP-OSAKA".into();
        c.create(k).await.unwrap();
    }
);

//! The audit trail: append-only, hash-chained, queried by filter, verified link by link.

use crate::support::*;
use baoho_store::testing::TestDb;
use baoho_store::{AuditAction as A, AuditFilter, AuditOutcome as O, Backend, Store, StoreError};

contract!(
    audit_chain_appends_queries_and_verifies,
    async |s: &dyn Store| {
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
                .append_audit(&audit_entry(i as i64, actor, *action, *outcome))
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
    let e = audit_entry(0, "acct-1", A::Read, O::Allowed).object("person", "Nguyễn Văn An");
    let r = s.append_audit(&e).await;
    assert!(
        matches!(r, Err(StoreError::Invalid(ref m)) if !m.contains("Nguy")),
        "{r:?}"
    );
    assert_eq!(s.verify_audit().await.unwrap().rows, 0);
});

contract_db!(
    audit_rows_cannot_be_updated_or_deleted,
    async |db: &TestDb| {
        let s = db.store.as_ref();
        for i in 0..3 {
            s.append_audit(&audit_entry(i, "acct-1", A::Read, O::Allowed))
                .await
                .unwrap();
        }
        let upd = raw(db, "UPDATE audit SET actor = 'intruder' WHERE seq = 2").await;
        let err = upd.expect_err("UPDATE must fail").to_string();
        assert!(err.contains("append-only"), "{err}");
        let del = raw(db, "DELETE FROM audit WHERE seq = 3").await;
        let err = del.expect_err("DELETE must fail").to_string();
        assert!(err.contains("append-only"), "{err}");
        if db.url.backend() == Backend::Postgres {
            let err = raw(db, "TRUNCATE audit")
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
    tampered: audit_verify_names_the_first_broken_link,
    async |db: &TestDb| {
        use baoho_store::audit::{ChainFields, format_at};
        use baoho_store::BreakKind;
        let s = db.store.as_ref();
        let mut rows = Vec::new();
        for i in 0..6 {
            rows.push(
                s.append_audit(&audit_entry(i, "acct-1", A::Read, O::Allowed))
                    .await
                    .unwrap(),
            );
        }
        bypass_triggers(db).await;

        // 1. An edited row: its own hash no longer matches.
        raw(db, "UPDATE audit SET object_id = 'p-999' WHERE seq = 5")
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
        raw(
            db,
            &format!("UPDATE audit SET object_id = 'p-777', hash = '{forged}' WHERE seq = 2"),
        )
        .await
        .unwrap();
        let b = s.verify_audit().await.unwrap().broken.expect("broken");
        assert_eq!(b.seq, 3, "{b}");
        assert!(matches!(b.kind, BreakKind::PrevHashMismatch { .. }), "{b}");

        // 3. A deleted row: a gap.
        raw(db, "DELETE FROM audit WHERE seq = 2")
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
    async |db: &TestDb| {
        use sqlx::Connection;
        let s = db.store.as_ref();
        let e = |i| audit_entry(i, "acct-1", A::Update, O::Allowed);
        raw(
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
    async |db: &TestDb| {
        let mut tasks = Vec::new();
        for t in 0..4i64 {
            let store = db.store.clone();
            tasks.push(tokio::spawn(async move {
                for i in 0..10i64 {
                    let e = audit_entry(t * 100 + i, &format!("acct-{t}"), A::Read, O::Allowed);
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
// "Who saw whom" (issue #14 defect 10, ADR 0018)

/// The subjects of the newest row of `actor` with `action`.
async fn newest_subjects(s: &dyn Store, actor: &str, action: A) -> Vec<String> {
    let rows = s
        .audit_query(&AuditFilter {
            actor: Some(actor.into()),
            action: Some(action),
            limit: 1,
            ..Default::default()
        })
        .await
        .unwrap();
    rows.first().expect("a row").entry.subjects.clone()
}

contract!(
    search_audit_rows_name_the_persons_returned,
    async |s: &dyn Store| {
        use baoho_store::audit::TouchedQuery;
        let w = World::new(s).await;
        let tokyo = w.officer("seen-tokyo", TOKYO).await;
        let seoul = w.officer("seen-seoul", SEOUL).await;
        let a = tokyo.new_person("Nguyễn Văn Thấy", "JP", TOKYO).await;
        let b = tokyo.new_person("Trần Văn Thấy", "JP", TOKYO).await;
        let other = seoul.new_person("Lê Văn Thấy", "KR", SEOUL).await;

        let hits = tokyo.persons().search(&search("thay")).await.unwrap();
        let mut returned: Vec<String> = hits.hits.iter().map(|h| h.id.clone()).collect();
        returned.sort();
        let mut want = vec![a.clone(), b.clone()];
        want.sort();
        assert_eq!(returned, want, "Tokyo finds its two persons, not Seoul's");
        assert_eq!(
            newest_subjects(s, &tokyo.id, A::Search).await,
            want,
            "the search row names exactly the persons returned"
        );

        // The duplicate check's candidates (summaries of ids found by the matcher): the row
        // names those shown, not the ids outside the scope.
        let shown = tokyo
            .persons()
            .summaries(&[b.clone(), other.clone()])
            .await
            .unwrap();
        assert_eq!(shown.len(), 1);
        assert_eq!(
            newest_subjects(s, &tokyo.id, A::Search).await,
            std::slice::from_ref(&b)
        );

        // A person's id finds the rows that returned them.
        let about_a = s
            .audit_query(&AuditFilter {
                object_kind: Some("person".into()),
                object_id: Some(a.clone()),
                action: Some(A::Search),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(about_a.len(), 1, "{about_a:?}");
        assert_eq!(about_a[0].entry.actor, tokyo.id);

        // Everything the officer touched: both persons, seen in lists (and created).
        let touched = s
            .audit_touched(&TouchedQuery {
                actor: tokyo.id.clone(),
                from: Some(now() - chrono::Duration::days(30)),
                object_kind: Some("person".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        let seen: Vec<(&str, u64)> = touched
            .iter()
            .map(|t| (t.object_id.as_str(), t.seen_in_lists))
            .collect();
        assert!(seen.contains(&(a.as_str(), 1)), "{touched:?}");
        assert!(seen.contains(&(b.as_str(), 2)), "{touched:?}");
        assert!(!seen.iter().any(|(id, _)| *id == other), "{touched:?}");
        let t_a = touched.iter().find(|t| t.object_id == a).unwrap();
        assert!(t_a.actions.contains(&A::Search), "{t_a:?}");

        let v = s.verify_audit().await.unwrap();
        assert!(v.is_ok(), "the chain verifies with subjects: {v:?}");
    }
);

contract_db!(
    tampered: audit_subjects_cannot_be_edited_silently,
    async |db: &TestDb| {
        use baoho_store::BreakKind;
        let s = db.store.as_ref();
        for i in 0..3 {
            let e = audit_entry(i, "acct-1", A::Search, O::Allowed)
                .object("", "")
                .subjects([format!("p-{i}a"), format!("p-{i}b")]);
            let r = s.append_audit(&e).await.unwrap();
            assert_eq!(r.entry.subjects, [format!("p-{i}a"), format!("p-{i}b")]);
        }
        assert!(s.verify_audit().await.unwrap().is_ok());
        // The index is append-only like the trail.
        let err = raw(db, "DELETE FROM audit_subject WHERE seq = 2")
            .await
            .expect_err("DELETE must fail")
            .to_string();
        assert!(err.contains("append-only"), "{err}");

        // Someone able to bypass the triggers removes a person from the index: caught.
        match db.url.backend() {
            Backend::Sqlite => raw(
                db,
                "DROP TRIGGER audit_subject_no_delete; DROP TRIGGER audit_no_update;",
            )
            .await
            .unwrap(),
            Backend::Postgres => raw(
                db,
                "ALTER TABLE audit_subject DISABLE TRIGGER audit_subject_append_only; \
                 ALTER TABLE audit DISABLE TRIGGER audit_append_only",
            )
            .await
            .unwrap(),
        };
        raw(db, "DELETE FROM audit_subject WHERE seq = 3 AND person_id = 'p-2b'")
            .await
            .unwrap();
        let v = s.verify_audit().await.unwrap();
        let b = v.broken.clone().expect("broken");
        assert_eq!(b.seq, 3, "{b}");
        assert!(
            matches!(b.kind, BreakKind::SubjectIndexMismatch { in_row: 2, in_index: 1 }),
            "{b}"
        );
        assert_eq!(v.last_seq, 2);

        // ... and from the hashed list itself: the row's hash breaks.
        raw(db, "UPDATE audit SET subjects = 'p-1a' WHERE seq = 2")
            .await
            .unwrap();
        let b = s.verify_audit().await.unwrap().broken.expect("broken");
        assert_eq!(b.seq, 2, "{b}");
        assert!(matches!(b.kind, BreakKind::HashMismatch { .. }), "{b}");
    }
);

contract!(
    incoming_transfers_are_audited_with_their_persons,
    async |s: &dyn Store| {
        let w = World::new(s).await;
        let tokyo = w.officer("move-tokyo", TOKYO).await;
        let seoul = w.officer("move-seoul", SEOUL).await;
        let p = tokyo.new_person("Phạm Văn Chuyển", "JP", TOKYO).await;
        let case = tokyo
            .cases()
            .create(intake("missing", vec![p.clone()]))
            .await
            .unwrap();
        let tr = tokyo
            .cases()
            .request_transfer(
                &case.summary.id,
                SEOUL,
                "The family says he crossed to Busan",
            )
            .await
            .unwrap();
        // Seoul's incoming queue: one audited listing naming the case's person.
        assert_eq!(seoul.cases().incoming_transfers().await.unwrap().len(), 1);
        let listed = s
            .audit_query(&AuditFilter {
                actor: Some(seoul.id.clone()),
                object_kind: Some("transfer".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(listed.len(), 1, "{listed:?}");
        assert_eq!(listed[0].entry.action, A::Search);
        assert_eq!(listed[0].entry.subjects, std::slice::from_ref(&p));
        // The acceptance: the arrival at Seoul, naming the person.
        seoul.cases().decide_transfer(&tr.id, true).await.unwrap();
        let decided = s
            .audit_query(&AuditFilter {
                actor: Some(seoul.id.clone()),
                object_id: Some(case.summary.id.clone()),
                ..Default::default()
            })
            .await
            .unwrap();
        let row = decided
            .iter()
            .find(|r| r.entry.purpose.contains("accepted"))
            .expect("the acceptance is audited");
        assert!(row.entry.purpose.contains("arrived at"), "{row:?}");
        assert_eq!(row.entry.agency, SEOUL);
        assert_eq!(row.entry.subjects, std::slice::from_ref(&p));
        assert!(s.verify_audit().await.unwrap().is_ok());
        w.deliver_all().await;
    }
);

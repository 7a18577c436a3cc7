//! "Who saw whom" (issue #14 defect 10): search, duplicate-check, export and transfer audit
//! rows name the persons they returned, and the auditor's "everything one account touched"
//! lists the persons seen in results, not only those opened.

use crate::support::stories::*;
use crate::support::{TestApp, both_backends};
use baoho_store::audit::{AuditAction, AuditFilter};
use serde_json::{Value, json};

/// The persons (ids) of the touched report the auditor `aud` gets for `actor`, with how many
/// times each was seen in a list.
async fn touched_persons(aud: &crate::support::Staff<'_>, actor: &str) -> Vec<(String, u64)> {
    let a: Value = aud
        .read(&format!("/api/v1/audit?actor={actor}&days=30"))
        .await;
    a["touched"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["object_kind"] == "person")
        .map(|t| {
            (
                t["object_id"].as_str().unwrap().to_owned(),
                t["seen_in_lists"].as_u64().unwrap(),
            )
        })
        .collect()
}

both_backends!(
    the_touched_report_lists_the_persons_an_officer_saw_in_results,
    async |app: &TestApp| {
        app.with_staff(&[officer("seen.searcher", TOKYO), auditor("seen.auditor")])
            .await;
        // Someone else records the persons: the searcher never opens them.
        let clerk = app.join(officer("seen.clerk", TOKYO)).await;
        let a = clerk
            .record_person(&person("Nguyễn Văn Thấy", TOKYO))
            .await
            .unwrap()
            .id;
        let b = clerk
            .record_person(&person("Trần Thị Thấy", TOKYO))
            .await
            .unwrap()
            .id;
        let c = clerk
            .record_person(&person("Lê Văn Khác", TOKYO))
            .await
            .unwrap()
            .id;
        let searcher = app.login("seen.searcher").await;
        let hits: Value = searcher.read("/api/v1/persons?q=thay").await;
        let mut found: Vec<&str> = hits["hits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["id"].as_str().unwrap())
            .collect();
        found.sort();
        let mut want = vec![a.as_str(), b.as_str()];
        want.sort();
        assert_eq!(found, want);
        // The intake's duplicate check shows Lê Văn Khác as a candidate.
        let dupes = searcher
            .possible_duplicates(&json!({"full_name": "Le Van Khac"}))
            .await;
        assert!(dupes.to_string().contains(&c), "{dupes}");

        let aud = app.login("seen.auditor").await;
        let seen = touched_persons(&aud, "seen.searcher").await;
        for id in [&a, &b, &c] {
            assert!(
                seen.iter().any(|(p, n)| p == id && *n >= 1),
                "{id} is in the touched report: {seen:?}"
            );
        }
        // The search row itself names exactly the persons returned.
        let rows = app
            .audit(AuditFilter {
                actor: Some(searcher.account_id.clone()),
                action: Some(AuditAction::Search),
                ..Default::default()
            })
            .await;
        assert!(
            rows.iter().any(|r| r.entry.subjects == want),
            "a search row names {want:?}: {rows:?}"
        );
        // The page shows them too, and a person's id finds who saw them.
        let page = aud.page("/audit?actor=seen.searcher").await;
        assert!(page.contains(&a) && page.contains(&c), "touched table");
        let about_a: Value = aud
            .read(&format!("/api/v1/audit?object_kind=person&object_id={a}"))
            .await;
        assert!(
            about_a["rows"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["actor_name"] == "seen.searcher" && r["action"] == "search"),
            "{about_a}"
        );
    }
);

both_backends!(
    a_case_list_export_names_its_persons,
    async |app: &TestApp| {
        app.with_staff(&[auditor("exp.auditor")]).await;
        let clerk = app.join(officer("exp.clerk", TOKYO)).await;
        let p = clerk
            .record_person(&person("Phạm Văn Xuất", TOKYO))
            .await
            .unwrap()
            .id;
        clerk
            .open_case(&case_of("missing", TOKYO, "Export names persons").about(&[&p]))
            .await
            .unwrap();
        let exporter = app.join(officer("exp.officer", TOKYO)).await;
        let r = exporter.get("/cases/export.csv").await;
        assert_eq!(r.status(), 200);
        let rows = app
            .audit(AuditFilter {
                actor: Some(exporter.account_id.clone()),
                action: Some(AuditAction::Export),
                ..Default::default()
            })
            .await;
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0].entry.subjects, std::slice::from_ref(&p));
        let aud = app.login("exp.auditor").await;
        let seen = touched_persons(&aud, "exp.officer").await;
        assert!(seen.iter().any(|(id, _)| *id == p), "{seen:?}");
    }
);

both_backends!(
    an_incoming_transfer_is_audited_at_the_receiving_mission,
    async |app: &TestApp| {
        app.with_staff(&[officer("in.kr", SEOUL), auditor("in.auditor")])
            .await;
        let tokyo = app.join(officer("in.tk", TOKYO)).await;
        let p = tokyo
            .record_person(&person("Đỗ Văn Đến", TOKYO))
            .await
            .unwrap()
            .id;
        let case = tokyo
            .open_case(&case_of("missing", TOKYO, "Lost contact").about(&[&p]))
            .await
            .unwrap();
        let transfer = tokyo
            .transfer(&case, SEOUL, "Last seen boarding a ferry to Busan")
            .await
            .unwrap();
        let seoul = app.login("in.kr").await;
        // The receiving queue shows the request (reference, reason): audited, naming the person.
        let q = seoul.page("/cases").await;
        assert!(q.contains("q-transfers"));
        let listed = app
            .audit(AuditFilter {
                actor: Some(seoul.account_id.clone()),
                object_kind: Some("transfer".into()),
                ..Default::default()
            })
            .await;
        assert!(!listed.is_empty(), "the incoming queue is audited");
        assert_eq!(listed[0].entry.subjects, std::slice::from_ref(&p));
        assert_eq!(listed[0].entry.agency, SEOUL);
        // The acceptance: the case arrives at Seoul, the row names its person.
        seoul.accept_transfer(&transfer).await.unwrap();
        let decided = app
            .audit(AuditFilter {
                actor: Some(seoul.account_id.clone()),
                object_kind: Some("case".into()),
                object_id: Some(case.id.clone()),
                ..Default::default()
            })
            .await;
        let row = decided
            .iter()
            .find(|r| r.entry.purpose.contains("accepted"))
            .expect("the acceptance is audited");
        assert!(
            row.entry
                .purpose
                .contains(&format!("arrived at {SEOUL} from {TOKYO}")),
            "{row:?}"
        );
        assert_eq!(row.entry.subjects, std::slice::from_ref(&p));
        let aud = app.login("in.auditor").await;
        let seen = touched_persons(&aud, "in.kr").await;
        assert!(seen.iter().any(|(id, n)| *id == p && *n >= 1), "{seen:?}");
    }
);

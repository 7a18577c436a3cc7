//! The case list and the leadership overview: search folding names, references and documents
//! in scope only; who else works on a case.

use crate::support::stories::*;
use crate::support::{TestApp, both_backends, personal};
use baoho_domain::access::Restricted;
use baoho_store::CasePage;
use serde_json::Value;

both_backends!(
    case_search_folds_names_and_finds_references_and_documents_in_scope_only,
    async |app: &TestApp| {
        app.with_staff(&[officer("off.seoul.q", SEOUL)]).await;
        let officer = app.join(officer("off.q", TOKYO)).await;
        let mut ids = vec![];
        for (name, number, restricted) in [
            ("Lương Thị Hạnh", "K1234567", vec![]),
            ("Lương Văn Đức", "K7654321", vec![]),
            ("Đỗ Minh Tâm", "M5550001", vec![Restricted::Minor]),
        ] {
            let p = officer
                .record_person(&PersonInput {
                    documents: vec![passport(number)],
                    restricted,
                    ..person(name, TOKYO)
                })
                .await
                .unwrap();
            let case = officer
                .open_case(
                    &case_of("lost_documents", TOKYO, "Lost a passport")
                        .normal()
                        .by_hotline()
                        .about(&[&p.id]),
                )
                .await
                .unwrap();
            ids.push((case.id.clone(), case.reference.clone()));
        }
        personal(&[
            "Lương Thị Hạnh",
            "Lương Văn Đức",
            "Đỗ Minh Tâm",
            "K1234567",
            "K7654321",
            "M5550001",
        ]);
        let found =
            |v: &CasePage| -> Vec<String> { v.cases.iter().map(|c| c.id.clone()).collect() };
        let search = async |s: &crate::support::Staff<'_>, q: &str| s.search_cases(q).await;
        // Folded, any case, with or without diacritics, in any order.
        let v = search(&officer, "LUONG hanh").await;
        assert_eq!(found(&v), vec![ids[0].0.clone()]);
        let v = search(&officer, "lương").await;
        assert_eq!(v.total, 2);
        // A document number (any spacing the registry accepts) and a reference's digits.
        assert_eq!(
            found(&search(&officer, "k7654321").await),
            vec![ids[1].0.clone()]
        );
        let digits = ids[2].1.rsplit('-').next().unwrap().to_owned();
        assert!(found(&search(&officer, &digits).await).contains(&ids[2].0));
        assert_eq!(
            found(&search(&officer, &ids[2].1).await),
            vec![ids[2].0.clone()]
        );
        // A restricted person is not confirmed by name or document through a case list.
        assert_eq!(search(&officer, "do minh tam").await.total, 0);
        assert_eq!(search(&officer, "M5550001").await.total, 0);
        // The page keeps the query; nothing for another mission.
        let page = officer.page("/cases/list?q=luong+hanh").await;
        assert!(page.contains(&ids[0].1) && !page.contains(&ids[1].1));
        let seoul = app.login("off.seoul.q").await;
        assert_eq!(search(&seoul, "luong hanh").await.total, 0);
        assert_eq!(search(&seoul, &ids[0].1).await.total, 0);
        // Odd input is a query like any other: no match, no error (a 200 each).
        for q in ["%", "_", "\"", "*", "'; DROP TABLE case_file; --", "BH-"] {
            search(&officer, q).await;
        }
    }
);

#[tokio::test]
async fn leadership_overview_and_who_else_is_on_a_case() {
    let app = crate::support::spawn_sqlite().await;
    app.with_staff(&[
        officer("off.o", TOKYO),
        officer("off.o2", TOKYO),
        head("head.o", TOKYO),
    ])
    .await;
    let a = app.login("off.o").await;
    let case = a
        .open_case(&case_of("illness", TOKYO, "In hospital").normal())
        .await
        .unwrap();
    let id = case.id.as_str();
    let head = app.login("head.o").await;
    let page = head.page("/cases/overview").await;
    assert!(page.contains("id=\"overview\"") && page.contains("<dd id=\"open-total\">1</dd>"));
    assert_eq!(
        a.get("/cases/overview").await.status(),
        403,
        "officers see their queue, leaders the overview"
    );
    let v: Value = head.read("/api/v1/reports/open-cases").await;
    assert_eq!(v[0]["case_type"], "illness");
    // A colleague opens the case: the officer sees who else is on it.
    let b = app.login("off.o2").await;
    assert_eq!(b.get(&format!("/cases/{id}")).await.status(), 200);
    let page = a.page(&format!("/cases/{id}")).await;
    assert!(page.contains("also-here") && page.contains("off.o2"));
    app.stop().await;
}

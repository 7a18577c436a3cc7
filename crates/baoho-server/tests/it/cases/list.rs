//! The case list and the leadership overview: search folding names, references and documents
//! in scope only; who else works on a case.

use crate::support::{TestApp, both_backends, personal};
use baoho_domain::access::Role;
use serde_json::{Value, json};

both_backends!(
    case_search_folds_names_and_finds_references_and_documents_in_scope_only,
    async |app: &TestApp| {
        app.account("off.q", Role::MissionOfficer, "EMB-JP-TOKYO", true)
            .await;
        app.account("off.seoul.q", Role::MissionOfficer, "EMB-KR-SEOUL", true)
            .await;
        let officer = app.login("off.q").await;
        let mut ids = vec![];
        for (name, passport, restricted) in [
            ("Lương Thị Hạnh", "K1234567", json!([])),
            ("Lương Văn Đức", "K7654321", json!([])),
            ("Đỗ Minh Tâm", "M5550001", json!(["minor"])),
        ] {
            let p: Value = officer
                .post_json("/api/v1/persons", &json!({"full_name": name, "country": "JP", "mission": "EMB-JP-TOKYO", "documents": [{"kind": "passport", "number": passport}], "restricted": restricted}))
                .await
                .json()
                .await
                .unwrap();
            let case: Value = officer
                .post_json("/api/v1/cases", &json!({"case_type": "lost_documents", "priority": "normal", "channel": "hotline", "country": "JP", "mission": "EMB-JP-TOKYO", "summary": "Lost a passport", "persons": [p["id"]]}))
                .await
                .json()
                .await
                .unwrap();
            ids.push((
                case["id"].as_str().unwrap().to_owned(),
                case["reference"].as_str().unwrap().to_owned(),
            ));
        }
        personal(&[
            "Lương Thị Hạnh",
            "Lương Văn Đức",
            "Đỗ Minh Tâm",
            "K1234567",
            "K7654321",
            "M5550001",
        ]);
        let found = |v: &Value| -> Vec<String> {
            v["cases"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["id"].as_str().unwrap().to_owned())
                .collect()
        };
        let search = async |s: &crate::support::Staff<'_>, q: &str| -> Value {
            let url = format!(
                "/api/v1/cases?{}",
                serde_urlencoded::to_string([("q", q)]).unwrap()
            );
            s.get(&url).await.json().await.unwrap()
        };
        // Folded, any case, with or without diacritics, in any order.
        let v = search(&officer, "LUONG hanh").await;
        assert_eq!(found(&v), vec![ids[0].0.clone()]);
        let v = search(&officer, "lương").await;
        assert_eq!(v["total"], 2);
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
        assert_eq!(search(&officer, "do minh tam").await["total"], 0);
        assert_eq!(search(&officer, "M5550001").await["total"], 0);
        // The page keeps the query; nothing for another mission.
        let page = officer
            .get("/cases/list?q=luong+hanh")
            .await
            .text()
            .await
            .unwrap();
        assert!(page.contains(&ids[0].1) && !page.contains(&ids[1].1));
        let seoul = app.login("off.seoul.q").await;
        assert_eq!(search(&seoul, "luong hanh").await["total"], 0);
        assert_eq!(search(&seoul, &ids[0].1).await["total"], 0);
        // Odd input is a query like any other: no match, no error.
        for q in ["%", "_", "\"", "*", "'; DROP TABLE case_file; --", "BH-"] {
            let url = format!(
                "/api/v1/cases?{}",
                serde_urlencoded::to_string([("q", q)]).unwrap()
            );
            assert_eq!(officer.get(&url).await.status(), 200, "{q}");
        }
    }
);

#[tokio::test]
async fn leadership_overview_and_who_else_is_on_a_case() {
    let app = crate::support::spawn_sqlite().await;
    app.account("off.o", Role::MissionOfficer, "EMB-JP-TOKYO", true)
        .await;
    app.account("off.o2", Role::MissionOfficer, "EMB-JP-TOKYO", true)
        .await;
    app.account("head.o", Role::HeadOfMission, "EMB-JP-TOKYO", true)
        .await;
    let a = app.login("off.o").await;
    let case: Value = a
        .post_json("/api/v1/cases", &json!({"case_type": "illness", "priority": "normal", "channel": "mission", "country": "JP", "mission": "EMB-JP-TOKYO", "summary": "In hospital"}))
        .await
        .json()
        .await
        .unwrap();
    let id = case["id"].as_str().unwrap();
    let head = app.login("head.o").await;
    let page = head.get("/cases/overview").await.text().await.unwrap();
    assert!(page.contains("id=\"overview\"") && page.contains("<dd id=\"open-total\">1</dd>"));
    assert_eq!(
        a.get("/cases/overview").await.status(),
        403,
        "officers see their queue, leaders the overview"
    );
    let v: Value = head
        .get("/api/v1/reports/open-cases")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v[0]["case_type"], "illness");
    // A colleague opens the case: the officer sees who else is on it.
    let b = app.login("off.o2").await;
    assert_eq!(b.get(&format!("/cases/{id}")).await.status(), 200);
    let page = a.get(&format!("/cases/{id}")).await.text().await.unwrap();
    assert!(page.contains("also-here") && page.contains("off.o2"));
    app.stop().await;
}

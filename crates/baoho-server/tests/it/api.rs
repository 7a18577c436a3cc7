use crate::helpers::{TestApp, both_backends};
use serde_json::Value;

both_backends!(health_and_readiness, async |app: &TestApp| {
    let r = app.get("/healthz").await;
    assert_eq!(r.status(), 200);
    let r = app.get("/readyz").await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["status"], "ready");
    assert_eq!(v["database"], app.db.store.backend().to_string());
});

both_backends!(metrics_count_requests, async |app: &TestApp| {
    app.get("/api/v1/languages").await;
    let body = app.get("/metrics").await.text().await.unwrap();
    assert!(body.contains("http_requests_total"), "{body}");
    assert!(body.contains("route=\"/api/v1/languages\""), "{body}");
});

both_backends!(reference_data_over_the_api, async |app: &TestApp| {
    let countries: Vec<Value> = app.get("/api/v1/countries").await.json().await.unwrap();
    assert!(countries.len() >= 240);
    let vn = countries.iter().find(|c| c["alpha2"] == "VN").unwrap();
    assert_eq!(vn["name_vi"], "Việt Nam");

    // Missions responsible for Cambodia: the embassy and the consulates general.
    let kh: Vec<Value> = app
        .get("/api/v1/missions?country=kh")
        .await
        .json()
        .await
        .unwrap();
    assert!(kh.iter().any(|m| m["kind"] == "embassy"), "{kh:?}");
    let code = kh[0]["code"].as_str().unwrap().to_owned();
    let one: Value = app
        .get(&format!("/api/v1/missions/{code}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(one["code"], code);

    // Provinces: 34 new, 63 old, and an old one knows where it went.
    let new: Vec<Value> = app
        .get("/api/v1/provinces?era=2025")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(new.len(), 34);
    let old: Vec<Value> = app
        .get("/api/v1/provinces?era=pre2025")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(old.len(), 63);
    let quang_nam: Vec<Value> = app
        .get("/api/v1/provinces?era=pre2025&q=QUANG%20NAM")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(quang_nam.len(), 1, "{quang_nam:?}");
    let target = quang_nam[0]["merged_into"].as_str().unwrap();
    let da_nang = new.iter().find(|p| p["code"] == target).unwrap();
    assert!(da_nang["name_vi"].as_str().unwrap().contains("Đà Nẵng"));
});

both_backends!(
    search_folds_diacritics_and_nfd_input,
    async |app: &TestApp| {
        use unicode_normalization::UnicodeNormalization;
        let plain: Vec<Value> = app
            .get("/api/v1/provinces?q=ha%20noi")
            .await
            .json()
            .await
            .unwrap();
        assert!(
            plain
                .iter()
                .any(|p| p["name_vi"].as_str().unwrap().contains("Hà Nội")),
            "{plain:?}"
        );
        let nfd: String = "Hà Nội".nfd().collect();
        let q = serde_urlencoded::to_string([("q", nfd.as_str())]).unwrap();
        let decomposed: Vec<Value> = app
            .get(&format!("/api/v1/provinces?{q}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(plain, decomposed, "NFD input finds the same as plain input");
    }
);

both_backends!(
    unknown_mission_is_a_problem_document,
    async |app: &TestApp| {
        let r = app.get("/api/v1/missions/NO-SUCH").await;
        assert_eq!(r.status(), 404);
        assert_eq!(r.headers()["content-type"], "application/problem+json");
        let rid = r.headers()["x-request-id"].to_str().unwrap().to_owned();
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["status"], 404);
        assert_eq!(v["type"], "urn:baoho:problem:not-found");
        assert_eq!(v["instance"], "/api/v1/missions/NO-SUCH");
        assert_eq!(v["request_id"], rid);
    }
);

#[tokio::test]
async fn every_api_route_is_in_the_openapi_document_and_back() {
    let app = crate::helpers::spawn_sqlite().await;
    let doc: Value = app.get("/api/openapi.json").await.json().await.unwrap();
    let documented: std::collections::BTreeSet<String> =
        doc["paths"].as_object().unwrap().keys().cloned().collect();
    let routed: std::collections::BTreeSet<String> = baoho_server::routes::table()
        .iter()
        .filter(|r| r.kind == baoho_server::routes::Kind::Api && r.path != "/api/openapi.json")
        .map(|r| r.path.to_owned())
        .collect();
    assert_eq!(documented, routed);
    app.stop().await;
}

#[tokio::test]
async fn swagger_ui_works_offline() {
    let app = crate::helpers::spawn_sqlite().await;
    let r = app.get("/api/docs/").await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("swagger"));
    let init = app
        .get("/api/docs/swagger-initializer.js")
        .await
        .text()
        .await
        .unwrap();
    assert!(init.contains("/api/openapi.json"), "{init}");
    assert_eq!(app.get("/api/docs").await.status(), 308);
    app.stop().await;
}

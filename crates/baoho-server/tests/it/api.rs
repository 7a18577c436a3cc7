//! The service surface: health, readiness, metrics, the OpenAPI document and Swagger UI.

use crate::support::{TestApp, both_backends};
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

#[tokio::test]
async fn every_api_route_is_in_the_openapi_document_and_back() {
    let app = crate::support::spawn_sqlite().await;
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
    let app = crate::support::spawn_sqlite().await;
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

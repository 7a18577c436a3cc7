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
    let scrape = |token: Option<&str>| {
        let mut r = app.client.get(app.url("/metrics"));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r.send()
    };
    assert_eq!(
        scrape(None).await.unwrap().status(),
        401,
        "no token, no metrics"
    );
    assert_eq!(scrape(Some("wrong")).await.unwrap().status(), 401);
    let body = scrape(Some(crate::support::METRICS_TOKEN))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
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

/// Every operation of the document, as (method, path, operation).
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if [
                "get", "put", "post", "delete", "patch", "head", "options", "trace",
            ]
            .contains(&method.as_str())
            {
                out.push((method.clone(), path.clone(), op.clone()));
            }
        }
    }
    out
}

/// A client generated from the document must work: one operationId per operation, every
/// answer described, every error declared as the problem document the server sends, and the
/// session (and CSRF header on writes) declared where the server asks for them.
#[test]
fn the_openapi_document_says_what_the_server_does() {
    let doc = serde_json::to_value(baoho_server::routes::openapi()).unwrap();
    let ops = operations(&doc);
    assert!(ops.len() > 30, "{}", ops.len());
    let mut ids = std::collections::BTreeMap::new();
    for (method, path, op) in &ops {
        let id = op["operationId"].as_str().unwrap_or_default().to_owned();
        assert!(!id.is_empty(), "{method} {path}: no operationId");
        if let Some(other) = ids.insert(id.clone(), format!("{method} {path}")) {
            panic!("operationId {id} is used by {other} and {method} {path}");
        }
        let responses = op["responses"].as_object().unwrap();
        for (status, r) in responses {
            assert!(
                !r["description"].as_str().unwrap_or_default().is_empty(),
                "{method} {path} {status}: no description"
            );
            if status.starts_with('4') || status.starts_with('5') {
                let content = r["content"].as_object().unwrap();
                assert_eq!(
                    content.keys().collect::<Vec<_>>(),
                    ["application/problem+json"],
                    "{method} {path} {status}"
                );
                assert_eq!(
                    content["application/problem+json"]["schema"]["$ref"],
                    "#/components/schemas/Problem",
                    "{method} {path} {status}"
                );
            }
        }
        let security = op["security"].as_array().unwrap();
        if path.starts_with("/api/v1/countries")
            || path.starts_with("/api/v1/missions")
            || path.starts_with("/api/v1/provinces")
            || path.starts_with("/api/v1/languages")
        {
            assert!(security.is_empty(), "{method} {path} is public");
            continue;
        }
        assert!(!security.is_empty(), "{method} {path}: no security");
        for status in ["401", "403"] {
            assert!(
                responses.contains_key(status),
                "{method} {path}: no {status}"
            );
        }
        let writes = method != "get";
        for req in security {
            assert!(req.get("session").is_some(), "{method} {path}");
            assert_eq!(req.get("csrf").is_some(), writes, "{method} {path}");
        }
        if op.get("requestBody").is_some() {
            for status in ["400", "415", "422"] {
                assert!(
                    responses.contains_key(status),
                    "{method} {path}: no {status}"
                );
            }
        }
        if path.contains('{') {
            assert!(responses.contains_key("404"), "{method} {path}: no 404");
        }
    }
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["session"]["in"], "cookie");
    assert_eq!(schemes["csrf"]["in"], "header");
    let problem = &doc["components"]["schemas"]["Problem"];
    assert_eq!(problem["type"], "object", "{problem}");
}

/// A method a path does not serve is 405 with `Allow`, whoever asks: the role check (403)
/// and the sign-in check (401) are for the methods the path serves.
#[tokio::test]
async fn an_unserved_method_is_405_before_the_role_check() {
    use baoho_domain::access::Role;
    let app = crate::support::spawn_sqlite().await;
    app.account("m.tokyo", Role::MissionOfficer, "EMB-JP-TOKYO", true)
        .await;
    let staff = app.login("m.tokyo").await;
    for path in [
        "/api/v1/audit",
        "/api/v1/inbox",
        "/api/v1/persons",
        "/api/v1/cases/x",
    ] {
        for method in ["TRACE", "PATCH", "DELETE"] {
            let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
            for cookie in [Some(staff.cookie.as_str()), None] {
                let mut req = app.client.request(m.clone(), app.url(path));
                if let Some(c) = cookie {
                    req = req.header("cookie", c);
                }
                let r = req.send().await.unwrap();
                assert_eq!(
                    r.status(),
                    405,
                    "{method} {path} signed in: {}",
                    cookie.is_some()
                );
                assert!(r.headers().get("allow").is_some(), "{method} {path}");
                assert_eq!(
                    r.headers()["content-type"],
                    "application/problem+json",
                    "{method} {path}"
                );
            }
        }
    }
    app.stop().await;
}

/// The search's `limit` is bounded as the document says (1 to 100): above it is a 400, never
/// a larger page (before: 2147483648 was accepted).
#[tokio::test]
async fn a_search_limit_above_the_declared_maximum_is_refused() {
    use baoho_domain::access::Role;
    let app = crate::support::spawn_sqlite().await;
    app.account("m.tokyo", Role::MissionOfficer, "EMB-JP-TOKYO", true)
        .await;
    let staff = app.login("m.tokyo").await;
    for limit in ["2147483648", "101", "0"] {
        let r = staff.get(&format!("/api/v1/persons?limit={limit}")).await;
        assert_eq!(r.status(), 400, "limit={limit}");
        assert_eq!(r.headers()["content-type"], "application/problem+json");
    }
    assert_eq!(staff.get("/api/v1/persons?limit=100").await.status(), 200);
    let doc = serde_json::to_value(baoho_server::routes::openapi()).unwrap();
    let params = doc["paths"]["/api/v1/persons"]["get"]["parameters"]
        .as_array()
        .unwrap();
    let limit = params.iter().find(|p| p["name"] == "limit").unwrap();
    assert_eq!(limit["schema"]["maximum"], 100, "{limit}");
    app.stop().await;
}

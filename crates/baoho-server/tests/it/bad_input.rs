//! Bad input against every route: always 4xx problem details (API) or a readable page, never
//! a 5xx, and nothing written.

use baoho_server::routes::{Kind, table};

fn concrete(path: &str) -> String {
    path.replace("{code}", "EMB-JP-TOKYO")
        .replace("{name}", "baoho-5.css")
        .replace("{id}", "0190aaaa-0000-7000-8000-000000000000")
}

#[tokio::test]
async fn no_route_answers_5xx_to_bad_input() {
    let app = crate::support::spawn_sqlite().await;
    // Signed in (with the CSRF header), so bad input reaches every handler.
    app.account("hq.bad", baoho_domain::access::Role::HqOfficer, "CD", true)
        .await;
    let staff = app.login("hq.bad").await;
    let auth = |rb: reqwest::RequestBuilder| {
        rb.header("cookie", &staff.cookie)
            .header("x-csrf-token", &staff.csrf)
    };
    let long = "x".repeat(10_000);
    let garbage_queries = [
        "?q=%FF%FE".to_owned(),
        "?q=%".to_owned(),
        "?unknown=1".to_owned(),
        format!("?q={long}"),
        "?q=a&q=b".to_owned(),
        "?country=123".to_owned(),
        "?era=1999".to_owned(),
        "?next=//evil".to_owned(),
        "?q=%00".to_owned(),
    ];
    let mut checked = 0;
    for route in table() {
        if route.path == "/logout" {
            continue;
        }
        let path = concrete(&route.path);
        for q in &garbage_queries {
            let r = auth(app.client.get(app.url(&format!("{path}{q}"))))
                .send()
                .await
                .unwrap();
            assert!(r.status().as_u16() < 500, "GET {path}{q} → {}", r.status());
            checked += 1;
        }
        // Wrong methods and bodies.
        for method in [
            reqwest::Method::POST,
            reqwest::Method::PUT,
            reqwest::Method::DELETE,
            reqwest::Method::PATCH,
        ] {
            for (ct, body) in [
                ("application/json", b"{not json".to_vec()),
                ("application/x-www-form-urlencoded", b"a=%ZZ&&=".to_vec()),
                ("application/octet-stream", vec![0xff, 0x00, 0xfe]),
            ] {
                let r = auth(app.client.request(method.clone(), app.url(&path)))
                    .header("content-type", ct)
                    .body(body)
                    .send()
                    .await
                    .unwrap();
                let s = r.status().as_u16();
                let redirect_ok = route.kind != Kind::Api && (300..400).contains(&s);
                assert!(
                    (400..500).contains(&s) || redirect_ok,
                    "{method} {path} → {s}"
                );
                if route.kind == Kind::Api {
                    assert_eq!(
                        r.headers()["content-type"],
                        "application/problem+json",
                        "{method} {path}"
                    );
                }
                checked += 1;
            }
        }
        // Path segments that are not what the route expects.
        if route.path.contains('{') {
            for seg in ["%FF", "..%2F..%2Fetc%2Fpasswd", &long[..300], "%00"] {
                let p = route
                    .path
                    .replace("{code}", seg)
                    .replace("{name}", seg)
                    .replace("{*file}", seg)
                    .replace("{id}", seg);
                let r = auth(app.client.get(app.url(&p))).send().await.unwrap();
                assert!(r.status().as_u16() < 500, "GET {p} → {}", r.status());
                checked += 1;
            }
        }
    }
    // Unknown paths, including ones that look like attacks.
    for p in [
        "/api/v1/nothing",
        "/api/v2/missions",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/static/../Cargo.toml",
    ] {
        let r = app.get(p).await;
        assert_eq!(r.status(), 404, "{p}");
        checked += 1;
    }
    // An oversized body is refused early.
    let big = vec![b'a'; 11 * 1024 * 1024];
    let r = app
        .client
        .post(app.url("/api/v1/missions"))
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await;
    if let Ok(r) = r {
        assert!(
            r.status().is_client_error(),
            "oversized body → {}",
            r.status()
        );
    }
    eprintln!("bad input: {checked} requests, none answered 5xx");
    // Nothing changed.
    assert_eq!(
        app.db
            .store
            .mission("EMB-JP-TOKYO")
            .await
            .ok()
            .map(|m| m.code),
        Some("EMB-JP-TOKYO".into())
    );
    app.stop().await;
}

#[tokio::test]
async fn api_problems_carry_field_errors() {
    let app = crate::support::spawn_sqlite().await;
    let r = app.get("/api/v1/missions?country=123").await;
    assert_eq!(r.status(), 422);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["errors"][0]["field"], "country");
    app.stop().await;
}

//! The site's pages: Vietnamese first, the language switch, security headers, readable errors.

use crate::support::{TestApp, both_backends};

both_backends!(home_page_speaks_vietnamese_first, async |app: &TestApp| {
    let r = app.get("/").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/html; charset=utf-8");
    let body = r.text().await.unwrap();
    assert!(body.contains("<html lang=\"vi\">"));
    assert!(body.contains("Bảo hộ công dân Việt Nam ở nước ngoài"));
    assert!(body.contains("<meta charset=\"utf-8\">"));
});

#[tokio::test]
async fn language_follows_cookie_then_accept_language() {
    let app = crate::support::spawn_sqlite().await;
    let en = app
        .get_with_headers("/", &[("accept-language", "en-GB,en;q=0.9")])
        .await;
    assert!(
        en.text()
            .await
            .unwrap()
            .contains("Protecting Vietnamese citizens abroad")
    );
    // The cookie wins over the header.
    let vi = app
        .get_with_headers("/", &[("accept-language", "en"), ("cookie", "lang=vi")])
        .await;
    assert!(vi.text().await.unwrap().contains("<html lang=\"vi\">"));
    app.stop().await;
}

#[tokio::test]
async fn the_language_switch_sets_a_cookie_and_returns_locally_only() {
    let app = crate::support::spawn_sqlite().await;
    let r = app.get("/lang/en?next=/missions").await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/missions");
    assert!(
        r.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .starts_with("lang=en")
    );
    for evil in [
        "//evil.example/",
        "https://evil.example/",
        "/\\evil.example",
    ] {
        let q = serde_urlencoded::to_string([("next", evil)]).unwrap();
        let r = app.get(&format!("/lang/vi?{q}")).await;
        assert_eq!(
            r.headers()["location"],
            "/",
            "{evil} must not redirect off-site"
        );
    }
    assert_eq!(app.get("/lang/fr").await.status(), 404);
    app.stop().await;
}

#[tokio::test]
async fn security_headers_on_every_page() {
    let app = crate::support::spawn_sqlite().await;
    for path in ["/", "/missions", "/no-such-page", "/api/v1/languages"] {
        let r = app.get(path).await;
        let h = r.headers();
        assert!(
            h["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("frame-ancestors 'none'"),
            "{path}"
        );
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["cache-control"], "no-store", "{path}");
        assert!(h.contains_key("x-request-id"), "{path}");
    }
    let css = app.get("/static/baoho-5.css").await;
    assert!(
        css.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    app.stop().await;
}

#[tokio::test]
async fn errors_are_readable_pages_with_the_request_id() {
    let app = crate::support::spawn_sqlite().await;
    let r = app
        .get_with_headers("/no-such-page", &[("accept-language", "en")])
        .await;
    assert_eq!(r.status(), 404);
    let rid = r.headers()["x-request-id"].to_str().unwrap().to_owned();
    let body = r.text().await.unwrap();
    assert!(body.contains("Not found"), "{body}");
    assert!(body.contains(&rid));
    let r = app.get("/no-such-page").await;
    assert!(r.text().await.unwrap().contains("Không tìm thấy"));
    app.stop().await;
}

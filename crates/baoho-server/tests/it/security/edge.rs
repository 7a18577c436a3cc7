//! Defect 4 (TLS edge: HSTS, `__Host-` cookies, cross-origin POSTs) and defect 12
//! (`/metrics` behind a token).

use super::*;

fn https(c: &mut Config) {
    c.public_url = Some("https://baoho.example".into());
}

#[tokio::test]
async fn over_https_cookies_are_host_prefixed_and_hsts_is_sent() {
    let s = sqlite(https).await;
    s.account("an.tls").await;
    let page = s.get("/login").await;
    assert_eq!(
        page.headers()["strict-transport-security"],
        "max-age=31536000; includeSubDomains"
    );
    let (_, line) = set_cookie(&page, "__Host-baoho_login").expect("__Host- login cookie");
    for attr in ["; Secure", "; HttpOnly", "; Path=/", "; SameSite=Strict"] {
        assert!(line.contains(attr), "{line}");
    }
    assert!(!line.to_ascii_lowercase().contains("domain="), "{line}");
    // The whole sign-in works with the prefixed cookies; the session cookie is locked down.
    let form = s.login_form().await;
    let r = s.post_password(&form, "an.tls", PASSWORD, "/", None).await;
    assert_eq!(r.status(), 303);
    let (_, line) = set_cookie(&r, "__Host-baoho_session").expect("__Host- session cookie");
    for attr in ["; Secure", "; HttpOnly", "; Path=/", "; SameSite=Lax"] {
        assert!(line.contains(attr), "{line}");
    }
    let (cookie, csrf) = s.sign_in("an.tls").await;
    let r = s.get_with(&cookie, "/api/v1/session").await;
    assert_eq!(r.status(), 200);
    // An unprefixed cookie (planted by a sibling site) is not a session.
    let planted = cookie.replace("__Host-", "");
    let r = s.get_with(&planted, "/api/v1/session").await;
    assert_eq!(r.status(), 401);
    // Cross-origin state changes are refused even with the right session and CSRF token.
    let post = |origin: Option<&'static str>, site: Option<&'static str>| {
        let mut req = s
            .client
            .post(s.url("/api/v1/persons"))
            .header("cookie", &cookie)
            .header("x-csrf-token", &csrf)
            .json(&serde_json::json!({"full_name": "Trần Thị Mai", "country": "KR", "mission": "EMB-KR-SEOUL"}));
        if let Some(o) = origin {
            req = req.header("origin", o);
        }
        if let Some(x) = site {
            req = req.header("sec-fetch-site", x);
        }
        req.send()
    };
    assert_eq!(
        post(Some("https://evil.example"), None)
            .await
            .unwrap()
            .status(),
        403
    );
    assert_eq!(post(Some("null"), None).await.unwrap().status(), 403);
    assert_eq!(post(None, Some("cross-site")).await.unwrap().status(), 403);
    assert_eq!(post(None, Some("same-site")).await.unwrap().status(), 403);
    assert_eq!(
        post(Some("https://baoho.example"), Some("same-origin"))
            .await
            .unwrap()
            .status(),
        201
    );
    // The sign-in form too (login CSRF).
    let r = s
        .client
        .post(s.url("/login"))
        .header("origin", "https://evil.example")
        .header("cookie", format!("__Host-baoho_login={}", form.cookie))
        .form(&[
            ("username", "an.tls"),
            ("password", PASSWORD),
            ("csrf", &form.csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    s.stop().await;
}

#[tokio::test]
async fn without_https_nothing_claims_tls() {
    let s = sqlite(|_| {}).await;
    let page = s.get("/login").await;
    assert!(page.headers().get("strict-transport-security").is_none());
    let (_, line) = set_cookie(&page, "baoho_login").unwrap();
    assert!(!line.contains("Secure"), "{line}");
    // A browser's cross-site post is still refused.
    let r = s
        .client
        .post(s.url("/login"))
        .header("sec-fetch-site", "cross-site")
        .form(&[("username", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    s.stop().await;
}

#[tokio::test]
async fn metrics_need_the_configured_token() {
    let s = sqlite(|_| {}).await;
    assert_eq!(
        s.get("/metrics").await.status(),
        404,
        "no token: no metrics"
    );
    s.stop().await;
    let s = sqlite(|c| c.metrics_token = Some("scrape-token-1234".into())).await;
    assert_eq!(s.get("/metrics").await.status(), 401);
    let with = |t: &'static str| {
        s.client
            .get(s.url("/metrics"))
            .header("authorization", format!("Bearer {t}"))
            .send()
    };
    assert_eq!(with("scrape-token-123").await.unwrap().status(), 401);
    let r = with("scrape-token-1234").await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("http_requests_total"));
    s.stop().await;
}

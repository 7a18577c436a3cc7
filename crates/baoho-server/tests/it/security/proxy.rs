//! Defect 3: behind a trusted proxy the throttle counts each client, not the proxy; a peer
//! that is not trusted cannot choose its address with `X-Forwarded-For`.

use super::*;

/// 20 failures (the address limit) from client A as the proxy reports it.
async fn exhaust(s: &Server, form: &LoginForm, xff: &str) {
    for i in 0..20 {
        let r = s
            .post_password(form, &format!("nobody{i}"), "guess", "/", Some(xff))
            .await;
        assert_eq!(r.status(), 401, "failure {i} from {xff}");
    }
    let r = s
        .post_password(form, "nobody", "guess", "/", Some(xff))
        .await;
    assert_eq!(r.status(), 429, "{xff} is throttled");
}

#[tokio::test]
async fn failures_of_one_client_behind_a_trusted_proxy_do_not_throttle_another() {
    let s = sqlite(|c| c.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()]).await;
    s.account("b.user").await;
    let form = s.login_form().await;
    exhaust(&s, &form, "198.51.100.1, 192.0.2.1").await;
    // Client B through the same proxy: evaluated, and signs in.
    let r = s
        .post_password(&form, "b.user", PASSWORD, "/", Some("192.0.2.2"))
        .await;
    assert_eq!(r.status(), 303, "another client is not throttled");
    // A spoofed leftmost hop does not escape the throttle: the proxy appended the real one.
    let r = s
        .post_password(&form, "x", "guess", "/", Some("203.0.113.77, 192.0.2.1"))
        .await;
    assert_eq!(r.status(), 429);
    s.stop().await;
}

#[tokio::test]
async fn an_untrusted_peer_cannot_choose_its_address() {
    let s = sqlite(|_| {}).await;
    s.account("b.user").await;
    let form = s.login_form().await;
    exhaust(&s, &form, "192.0.2.1").await;
    // The header is ignored: it is still the same peer.
    let r = s
        .post_password(&form, "b.user", PASSWORD, "/", Some("192.0.2.2"))
        .await;
    assert_eq!(r.status(), 429);
    s.stop().await;
}

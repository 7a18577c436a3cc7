//! Defect 1: `next` is a path on this site or the answer goes to `/`; never a 500.

use super::*;

/// Hostile `next` values, as they appear in a query string.
const HOSTILE: &[&str] = &[
    "/%09/evil.example",
    "/%0A",
    "/%0D/evil.example",
    "/%0D%0ASet-Cookie:%20x=1",
    "//evil.example",
    "%2F%2Fevil.example",
    "/%5Cevil.example",
    "/%5C/evil.example",
    "%5Cevil.example",
    "/%252F%252Fevil.example",
    "https://evil.example/",
    "https:%2F%2Fevil.example",
    "evil.example",
    "/%E2%80%AE/evil",
    "/%C3%BC",
    "/%C2%85",
    "/%00",
    "",
];

#[tokio::test]
async fn the_language_switch_only_returns_to_local_paths() {
    let s = sqlite(|_| {}).await;
    for next in HOSTILE {
        let r = s.get(&format!("/lang/vi?next={next}")).await;
        assert_eq!(r.status(), 303, "next={next}");
        assert_eq!(r.headers()["location"], "/", "next={next}");
    }
    let r = s.get("/lang/en?next=%2Fpersons%3Fq%3Dan").await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/persons?q=an");
    s.stop().await;
}

#[tokio::test]
async fn sign_in_only_returns_to_local_paths() {
    let s = sqlite(|_| {}).await;
    s.account("an.tran").await;
    for next in HOSTILE {
        // The form carries only a safe target.
        let page = s.get(&format!("/login?next={next}")).await;
        assert_eq!(page.status(), 200, "next={next}");
        let html = page.text().await.unwrap();
        assert_eq!(hidden(&html, "next").as_deref(), Some("/"), "next={next}");
    }
    // Decoded hostile values posted in the forms: the password step passes on `/`, the
    // second factor goes to `/`.
    for next in [
        "/\t/evil.example",
        "/\n",
        "//evil.example",
        "/\\evil",
        "https://evil.example",
    ] {
        let form = s.login_form().await;
        let r = s
            .post_password(&form, "an.tran", PASSWORD, next, None)
            .await;
        assert_eq!(r.status(), 303, "{next:?}");
        assert_eq!(r.headers()["location"], "/login/mfa?next=%2F", "{next:?}");
    }
    let pre = s.pre_mfa("an.tran").await;
    let now = chrono::Utc::now().timestamp();
    let mut done = false;
    for ahead in [0, 30] {
        let r = s
            .post_code(&pre, &totp_at(now + ahead), "/\t/evil.example")
            .await;
        if r.status() == 303 {
            assert_eq!(r.headers()["location"], "/");
            done = true;
            break;
        }
    }
    assert!(done, "the second factor was accepted");
    s.stop().await;
}

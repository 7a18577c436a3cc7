//! Defect 5, in part: users change their own password (the current one checked as a sign-in
//! attempt; every session ends).

use super::*;

#[tokio::test]
async fn users_change_their_own_password() {
    let s = sqlite(|_| {}).await;
    let id = s.account("own.password").await;
    let (cookie, csrf) = s.sign_in("own.password").await;
    let page = s.get_with(&cookie, "/account/password").await;
    assert_eq!(page.status(), 200);
    let post = |current: &'static str, new: &'static str, confirm: &'static str| {
        s.client
            .post(s.url("/account/password"))
            .header("cookie", &cookie)
            .form(&[
                ("current", current),
                ("new", new),
                ("confirm", confirm),
                ("csrf", csrf.as_str()),
            ])
            .send()
    };
    const NEW: &str = "a brand new passphrase";
    // A wrong current password is a failed sign-in attempt (audited, counted).
    assert_eq!(
        post("not my password", NEW, NEW).await.unwrap().status(),
        401
    );
    assert_eq!(
        s.login_rows(AuditOutcome::Failed, "password change: wrong password")
            .await
            .len(),
        1
    );
    assert_eq!(
        post(PASSWORD, NEW, "another one entirely")
            .await
            .unwrap()
            .status(),
        422
    );
    assert_eq!(
        post(PASSWORD, "short", "short").await.unwrap().status(),
        422
    );
    let done = post(PASSWORD, NEW, NEW).await.unwrap();
    assert_eq!(done.status(), 303);
    assert_eq!(done.headers()["location"], "/login");
    // Every session ended; the old password no longer works, the new one does.
    let r = s.get_with(&cookie, "/api/v1/session").await;
    assert_eq!(r.status(), 401);
    let form = s.login_form().await;
    let old = s
        .post_password(&form, "own.password", PASSWORD, "/", None)
        .await;
    assert_eq!(old.status(), 401);
    let new = s.post_password(&form, "own.password", NEW, "/", None).await;
    assert_eq!(new.status(), 303);
    let acc = Accounts::new(s.db.store.as_ref()).get(&id).await.unwrap();
    assert!(baoho_server::auth::verify_password(NEW, &acc.password_hash));
    s.stop().await;
}

//! Sign-in over HTTP: password then the second factor, lockout, sessions, logout, CSRF,
//! disabled accounts, first-login MFA enrolment and recovery codes.

use crate::support::{PASSWORD, cookie, hidden};
use baoho_domain::access::Role;
use baoho_store::audit::{AuditAction, AuditFilter, AuditOutcome};
use serde_json::json;

#[tokio::test]
async fn sign_in_lockout_audit_logout_and_disable() {
    let app = crate::support::spawn_sqlite().await;
    let id = app
        .account("lan.vu", Role::MissionOfficer, "EMB-KR-SEOUL", true)
        .await;
    let page = app.get("/login").await;
    let lc = cookie(&page, "baoho_login").unwrap();
    let csrf = hidden(&page.text().await.unwrap(), "csrf").unwrap();
    let attempt = |pw: &'static str| {
        let (lc, csrf) = (lc.clone(), csrf.clone());
        let app = &app;
        async move {
            app.client
                .post(app.url("/login"))
                .header("cookie", format!("baoho_login={lc}"))
                .form(&[("username", "lan.vu"), ("password", pw), ("csrf", &csrf)])
                .send()
                .await
                .unwrap()
        }
    };
    // Without the login cookie (a cross-site post): refused, nothing counted.
    let forged = app
        .client
        .post(app.url("/login"))
        .form(&[
            ("username", "lan.vu"),
            ("password", PASSWORD),
            ("csrf", "x"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    // Unknown user and wrong password get the same answer.
    let unknown = app
        .client
        .post(app.url("/login"))
        .header("cookie", format!("baoho_login={lc}"))
        .form(&[("username", "nobody"), ("password", "x"), ("csrf", &csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 401);
    let unknown_body = unknown.text().await.unwrap();
    for _ in 0..4 {
        let r = attempt("wrong password").await;
        assert_eq!(r.status(), 401);
        assert!(
            unknown_body.contains("login-error") && r.text().await.unwrap().contains("login-error")
        );
    }
    // The fifth failure locks the account: even the right password gets 429 now.
    assert_eq!(attempt("wrong again").await.status(), 401);
    let locked = attempt(PASSWORD).await;
    assert_eq!(locked.status(), 429);
    let rows = app
        .audit(AuditFilter {
            actor: Some(id.clone()),
            action: Some(AuditAction::Login),
            ..Default::default()
        })
        .await;
    assert_eq!(
        rows.iter()
            .filter(|r| r.entry.outcome == AuditOutcome::Failed)
            .count(),
        5
    );
    assert_eq!(
        rows.iter()
            .filter(|r| r.entry.outcome == AuditOutcome::Denied)
            .count(),
        1
    );
    // The lock ends after 15 minutes (the clock is moved, not waited for).
    app.advance(16 * 60);
    let staff = app.login("lan.vu").await;
    assert_eq!(staff.get("/persons").await.status(), 200);
    // A state-changing request without the CSRF token is refused.
    let no_csrf = app
        .client
        .post(app.url("/api/v1/persons"))
        .header("cookie", &staff.cookie)
        .json(&json!({"full_name": "X"}))
        .send()
        .await
        .unwrap();
    assert_eq!(no_csrf.status(), 403);
    let no_csrf_form = app
        .client
        .post(app.url("/persons"))
        .header("cookie", &staff.cookie)
        .form(&[("full_name", "X")])
        .send()
        .await
        .unwrap();
    assert_eq!(no_csrf_form.status(), 403);
    // Idle timeout: 31 minutes without a request ends the session.
    app.advance(31 * 60);
    assert_eq!(staff.get("/persons").await.status(), 303);
    // Logout ends the session on the server at once.
    let staff = app.login("lan.vu").await;
    let out = staff.post_form("/logout", &[]).await;
    assert_eq!(out.status(), 303);
    assert_eq!(staff.get("/persons").await.status(), 303);
    assert_eq!(staff.get("/api/v1/session").await.status(), 401);
    // Disabling the account ends its sessions at once.
    app.advance(31);
    let staff = app.login("lan.vu").await;
    app.account("root", Role::Administrator, "CD", true).await;
    let admin = app.login("root").await;
    assert_eq!(
        admin
            .post_form(&format!("/admin/accounts/{id}/disable"), &[])
            .await
            .status(),
        303
    );
    assert_eq!(staff.get("/api/v1/session").await.status(), 401);
    // Administrators manage accounts but read no persons.
    assert_eq!(admin.get("/api/v1/persons?q=nguyen").await.status(), 403);
    assert!(app.db.store.verify_audit().await.unwrap().broken.is_none());
    app.stop().await;
}

#[tokio::test]
async fn first_login_enrols_mfa_and_recovery_codes_work_once() {
    let app = crate::support::spawn_sqlite().await;
    app.account("new.officer", Role::HqOfficer, "CD", false)
        .await;
    let page = app.get("/login").await;
    let lc = cookie(&page, "baoho_login").unwrap();
    let csrf = hidden(&page.text().await.unwrap(), "csrf").unwrap();
    let res = app
        .client
        .post(app.url("/login"))
        .header("cookie", format!("baoho_login={lc}"))
        .form(&[
            ("username", "new.officer"),
            ("password", PASSWORD),
            ("csrf", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert!(
        res.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/mfa/enrol")
    );
    let pre = format!("baoho_session={}", cookie(&res, "baoho_session").unwrap());
    // Before the second factor, nothing else opens.
    let blocked = app
        .client
        .get(app.url("/persons"))
        .header("cookie", &pre)
        .send()
        .await
        .unwrap();
    assert_eq!(blocked.headers()["location"], "/login/mfa");
    let enrol = app
        .client
        .get(app.url("/mfa/enrol"))
        .header("cookie", &pre)
        .send()
        .await
        .unwrap();
    let html = enrol.text().await.unwrap();
    assert!(html.contains("<svg"), "a QR code is shown");
    let secret_b32 = html
        .split("id=\"totp-secret\">")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_owned();
    let secret = totp_rs::Secret::try_from_base32(&secret_b32).unwrap();
    let code = baoho_server::auth::totp(secret.as_bytes(), "x")
        .unwrap()
        .generate(app.now().timestamp() as u64)
        .to_string();
    let form = [
        ("csrf", hidden(&html, "csrf").unwrap()),
        ("pending", hidden(&html, "pending").unwrap()),
        ("code", code),
    ];
    let done = app
        .client
        .post(app.url("/mfa/enrol"))
        .header("cookie", &pre)
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 200);
    let session = format!("baoho_session={}", cookie(&done, "baoho_session").unwrap());
    let codes_html = done.text().await.unwrap();
    let codes: Vec<String> = codes_html
        .split("<li><code>")
        .skip(1)
        .map(|s| s.split('<').next().unwrap().to_owned())
        .collect();
    assert_eq!(codes.len(), 10);
    assert_eq!(
        app.client
            .get(app.url("/persons"))
            .header("cookie", &session)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    // The pre-MFA token is worthless now (a new token was issued).
    assert_eq!(
        app.client
            .get(app.url("/login/mfa"))
            .header("cookie", &pre)
            .send()
            .await
            .unwrap()
            .status(),
        303
    );
    // A recovery code signs in once.
    for (expect, code) in [(303, &codes[0]), (401, &codes[0])] {
        let page = app.get("/login").await;
        let lc = cookie(&page, "baoho_login").unwrap();
        let csrf = hidden(&page.text().await.unwrap(), "csrf").unwrap();
        let res = app
            .client
            .post(app.url("/login"))
            .header("cookie", format!("baoho_login={lc}"))
            .form(&[
                ("username", "new.officer"),
                ("password", PASSWORD),
                ("csrf", &csrf),
            ])
            .send()
            .await
            .unwrap();
        let pre = format!("baoho_session={}", cookie(&res, "baoho_session").unwrap());
        let mfa = app
            .client
            .get(app.url("/login/mfa"))
            .header("cookie", &pre)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let res = app
            .client
            .post(app.url("/login/mfa"))
            .header("cookie", &pre)
            .form(&[
                ("code", code.to_uppercase().as_str()),
                ("csrf", &hidden(&mfa, "csrf").unwrap()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), expect);
    }
    app.stop().await;
}

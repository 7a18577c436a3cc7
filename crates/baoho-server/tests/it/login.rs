//! Sign-in over HTTP: password then the second factor, lockout, sessions, logout, CSRF,
//! disabled accounts, first-login MFA enrolment and recovery codes.

use crate::support::stories::*;
use crate::support::{PASSWORD, TestApp, cookie, hidden};
use baoho_domain::access::Role;
use baoho_store::audit::{AuditAction, AuditFilter, AuditOutcome};
use serde_json::json;

#[tokio::test]
async fn sign_in_lockout_audit_logout_and_disable() {
    let app = crate::support::spawn_sqlite().await;
    let id = app.with_staff(&[officer("lan.vu", SEOUL)]).await.remove(0);
    let (lc, csrf) = app.sign_in_form().await;
    let attempt = async |username: &str, pw: &str| {
        let form = [("username", username), ("password", pw), ("csrf", &csrf)];
        app.post_form_with(&lc, "/login", &form).await
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
    let unknown = attempt("nobody", "x").await;
    assert_eq!(unknown.status(), 401);
    let unknown_body = unknown.text().await.unwrap();
    for _ in 0..4 {
        let r = attempt("lan.vu", "wrong password").await;
        assert_eq!(r.status(), 401);
        assert!(
            unknown_body.contains("login-error") && r.text().await.unwrap().contains("login-error")
        );
    }
    // The fifth failure locks the account: even the right password gets 429 now.
    assert_eq!(attempt("lan.vu", "wrong again").await.status(), 401);
    let locked = attempt("lan.vu", PASSWORD).await;
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
        .post_form_with(&staff.cookie, "/persons", &[("full_name", "X")])
        .await;
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
    let admin = app.join(at_hq("root", Role::Administrator)).await;
    admin
        .submit(&format!("/admin/accounts/{id}/disable"), &[])
        .await
        .unwrap();
    assert_eq!(staff.get("/api/v1/session").await.status(), 401);
    // Administrators manage accounts but read no persons.
    assert_eq!(admin.get("/api/v1/persons?q=nguyen").await.status(), 403);
    app.stop().await;
}

#[tokio::test]
async fn first_login_enrols_mfa_and_recovery_codes_work_once() {
    let app = crate::support::spawn_sqlite().await;
    // Not enrolled in the second factor yet.
    app.account("new.officer", Role::HqOfficer, "CD", false)
        .await;
    let res = app.password_step("new.officer", PASSWORD).await;
    assert!(
        res.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/mfa/enrol")
    );
    let pre = format!("baoho_session={}", cookie(&res, "baoho_session").unwrap());
    // Before the second factor, nothing else opens.
    let blocked = app.get_with(&pre, "/persons").await;
    assert_eq!(blocked.headers()["location"], "/login/mfa");
    let enrol = app.get_with(&pre, "/mfa/enrol").await;
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
    let done = app.post_form_with(&pre, "/mfa/enrol", &form).await;
    assert_eq!(done.status(), 200);
    let session = format!("baoho_session={}", cookie(&done, "baoho_session").unwrap());
    let codes_html = done.text().await.unwrap();
    let codes: Vec<String> = codes_html
        .split("<li><code>")
        .skip(1)
        .map(|s| s.split('<').next().unwrap().to_owned())
        .collect();
    assert_eq!(codes.len(), 10);
    assert_eq!(app.get_with(&session, "/persons").await.status(), 200);
    // The pre-MFA token is worthless now (a new token was issued).
    assert_eq!(app.get_with(&pre, "/login/mfa").await.status(), 303);
    // A recovery code signs in once.
    for (expect, code) in [(303, &codes[0]), (401, &codes[0])] {
        assert_eq!(second_factor(&app, code).await.status(), expect);
    }
    app.stop().await;
}

/// Sign `new.officer` in again, with `code` (upper-cased, as typed from the sheet) for the
/// second factor; the server's answer to it.
async fn second_factor(app: &TestApp, code: &str) -> reqwest::Response {
    let pre = app.pre_mfa_session("new.officer").await;
    let mfa = app.get_with(&pre, "/login/mfa").await.text().await.unwrap();
    let (code, csrf) = (code.to_uppercase(), hidden(&mfa, "csrf").unwrap());
    let form = [("code", code.as_str()), ("csrf", &csrf)];
    app.post_form_with(&pre, "/login/mfa", &form).await
}

//! A sensitive action wants a sign-in less than 5 minutes old: a session 6 minutes old is sent
//! to re-authenticate (pages) or answered 401 `reauth-required` (API), for an export, a
//! break-glass, a consent override's approval and account administration; after giving the
//! password and the code again, the officer goes back to where they were and proceeds.

use crate::support::stories::*;
use crate::support::{PASSWORD, Staff, TestApp, both_backends, cookie, hidden, totp_code};
use baoho_domain::access::Role;
use baoho_store::audit::{AuditAction, AuditFilter, AuditOutcome};
use serde_json::{Value, json};

const STALE: i64 = 6 * 60;

/// A person recorded by `who` through the API (restricted as trafficking if asked); its id.
async fn person(who: &Staff<'_>, name: &str, restricted: bool) -> String {
    let restricted: Vec<&str> = if restricted {
        vec!["trafficking"]
    } else {
        vec![]
    };
    let r = who
        .post_json(
            "/api/v1/persons",
            &json!({"full_name": name, "country": "JP", "mission": TOKYO, "restricted": restricted,
                    "birth": {"year": 1990, "month": null, "day": null}}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let v: Value = r.json().await.unwrap();
    v["id"].as_str().unwrap().to_owned()
}

/// The API's answer to a stale sign-in: 401, problem type `reauth-required`.
async fn assert_reauth_problem(res: reqwest::Response, what: &str) {
    let r = refusal(res).await;
    assert_eq!(r.status, 401, "{what}: {r:?}");
    assert_eq!(
        r.problem()["type"],
        "urn:baoho:problem:reauth-required",
        "{what}"
    );
}

/// The page's answer to a stale sign-in: to the re-authentication page, coming back to `back`.
fn assert_sent_to_reauth(res: &reqwest::Response, back: &str, what: &str) {
    assert_eq!(res.status(), 303, "{what}");
    let to = res.headers()["location"].to_str().unwrap();
    let q = serde_urlencoded::to_string([("next", back)]).unwrap();
    assert_eq!(to, format!("/login/reauth?{q}"), "{what}");
}

/// Re-authenticate on the page (password and the current code): the client with the new
/// session, and where the page sent it.
async fn reauthenticate<'a>(app: &'a TestApp, s: &Staff<'a>, next: &str) -> (Staff<'a>, String) {
    let page = s
        .page(&format!("/login/reauth?next={}", urlencode(next)))
        .await;
    let csrf = hidden(&page, "csrf").expect("csrf");
    let code = totp_code(app.now().timestamp() as u64);
    let res = app
        .post_form_with(
            &s.cookie,
            "/login/reauth",
            &[
                ("password", PASSWORD),
                ("code", &code),
                ("csrf", &csrf),
                ("next", next),
            ],
        )
        .await;
    assert_eq!(res.status(), 303, "re-authenticated");
    let to = res.headers()["location"].to_str().unwrap().to_owned();
    let token = cookie(&res, "baoho_session").expect("a new session");
    let fresh = Staff {
        app,
        cookie: format!("baoho_session={token}"),
        csrf: s.csrf.clone(),
        account_id: s.account_id.clone(),
    };
    (fresh, to)
}

fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("x", s)]).unwrap()[2..].to_owned()
}

both_backends!(
    an_old_sign_in_re_authenticates_before_export_and_break_glass,
    async |app: &TestApp| {
        let hq = app.join(hq("hq.one")).await;
        let plain = person(&hq, "Nguyễn Văn Xuất", false).await;
        let victim = person(&hq, "Trần Thị Kín", true).await;
        crate::support::personal(&["Nguyễn Văn Xuất", "Trần Thị Kín"]);
        let officer = app.join(officer("tokyo.off", TOKYO)).await;
        // Fresh: the export answers at once.
        assert_eq!(officer.get("/cases/export.csv").await.status(), 200);
        assert_eq!(
            officer
                .get(&format!("/api/v1/persons/{plain}/export"))
                .await
                .status(),
            200
        );

        // Six minutes later the session is alive, but too old for the sensitive actions.
        app.advance(STALE);
        assert_eq!(officer.get("/api/v1/session").await.status(), 200);
        assert_eq!(
            officer.get(&format!("/persons/{plain}")).await.status(),
            200
        );
        let exports_before = app
            .audit(AuditFilter {
                actor: Some(officer.account_id.clone()),
                action: Some(AuditAction::Export),
                ..Default::default()
            })
            .await
            .len();
        let res = officer.get("/cases/export.csv?status=open").await;
        assert_sent_to_reauth(&res, "/cases/export.csv?status=open", "case export");
        let res = officer.get(&format!("/persons/{plain}/export")).await;
        assert_sent_to_reauth(
            &res,
            &format!("/persons/{plain}/export"),
            "person export page",
        );
        assert_reauth_problem(
            officer
                .get(&format!("/api/v1/persons/{plain}/export"))
                .await,
            "person export API",
        )
        .await;
        assert_reauth_problem(
            officer
                .post_json(
                    &format!("/api/v1/persons/{victim}/break-glass"),
                    &json!({"reason": "Victim admitted to hospital tonight, must reach family"}),
                )
                .await,
            "break-glass API",
        )
        .await;
        // The break-glass form (a POST) comes back to the page it was on.
        let res = app
            .client
            .post(app.url(&format!("/persons/{victim}/break-glass")))
            .header("cookie", &officer.cookie)
            .header("referer", app.url(&format!("/persons/{victim}")))
            .form(&[
                (
                    "reason",
                    "Victim admitted to hospital tonight, must reach family",
                ),
                ("csrf", officer.csrf.as_str()),
            ])
            .send()
            .await
            .unwrap();
        assert_sent_to_reauth(&res, &format!("/persons/{victim}"), "break-glass page");
        // Nothing was exported, and no glass broken.
        let exports = app
            .audit(AuditFilter {
                actor: Some(officer.account_id.clone()),
                action: Some(AuditAction::Export),
                ..Default::default()
            })
            .await
            .len();
        assert_eq!(exports, exports_before);
        let glass = AuditFilter {
            actor: Some(officer.account_id.clone()),
            action: Some(AuditAction::BreakGlass),
            outcome: Some(AuditOutcome::Allowed),
            ..Default::default()
        };
        assert!(app.audit(glass.clone()).await.is_empty());

        // A wrong password on the re-authentication page: still too old.
        let page = officer
            .page("/login/reauth?next=%2Fcases%2Fexport.csv")
            .await;
        let csrf = hidden(&page, "csrf").unwrap();
        let code = totp_code(app.now().timestamp() as u64);
        let wrong = app
            .post_form_with(
                &officer.cookie,
                "/login/reauth",
                &[
                    ("password", "not the password"),
                    ("code", &code),
                    ("csrf", &csrf),
                ],
            )
            .await;
        assert_eq!(wrong.status(), 401);
        assert_eq!(officer.get("/cases/export.csv").await.status(), 303);

        // Password and code again: back where the officer was, and the actions go through.
        let (fresh, to) = reauthenticate(app, &officer, "/cases/export.csv?status=open").await;
        assert_eq!(to, "/cases/export.csv?status=open");
        assert_eq!(fresh.get(&to).await.status(), 200);
        assert_eq!(
            fresh
                .get(&format!("/api/v1/persons/{plain}/export"))
                .await
                .status(),
            200
        );
        let r = fresh
            .post_json(
                &format!("/api/v1/persons/{victim}/break-glass"),
                &json!({"reason": "Victim admitted to hospital tonight, must reach family"}),
            )
            .await;
        assert!(r.status().is_success(), "{}", r.status());
        assert_eq!(app.audit(glass).await.len(), 1);
        // The old token is gone; the CSRF token stays (other open pages keep working).
        assert_eq!(officer.get("/api/v1/session").await.status(), 401);
        // The re-authentication is audited as a sign-in step.
        let logins = app
            .audit(AuditFilter {
                actor: Some(officer.account_id.clone()),
                action: Some(AuditAction::Login),
                ..Default::default()
            })
            .await;
        assert!(
            logins
                .iter()
                .any(|r| r.entry.purpose.starts_with("re-authenticated"))
        );
        assert!(
            logins
                .iter()
                .any(|r| r.entry.outcome == AuditOutcome::Failed
                    && r.entry.purpose.contains("re-authentication"))
        );
        // Five minutes on, it is stale again.
        app.advance(STALE);
        assert_eq!(fresh.get("/cases/export.csv").await.status(), 303);
    }
);

both_backends!(
    account_administration_and_consent_override_want_a_recent_sign_in,
    async |app: &TestApp| {
        let admin = app.join(at_hq("admin.a", Role::Administrator)).await;
        let head = app.join(head("tokyo.head", TOKYO)).await;
        assert_eq!(admin.get("/admin/accounts").await.status(), 200);
        app.advance(STALE);
        let res = admin.get("/admin/accounts").await;
        assert_sent_to_reauth(&res, "/admin/accounts", "accounts page");
        let res = admin.get("/admin/accounts/requests").await;
        assert_sent_to_reauth(&res, "/admin/accounts/requests", "requests page");
        // A form without a (same-origin) Referer comes back home.
        let res = admin
            .post_form(
                "/admin/accounts",
                &[
                    ("username", "x.y"),
                    ("role", "analyst"),
                    ("agency_code", "CD"),
                ],
            )
            .await;
        assert_sent_to_reauth(&res, "/", "account creation");
        assert!(
            baoho_store::Accounts::new(app.db.store.as_ref())
                .by_username("x.y")
                .await
                .unwrap()
                .is_none()
        );
        // The approval of a referral sent without consent (the consent override).
        assert_reauth_problem(
            head.post_json("/api/v1/cases/c-none/referrals/r-none/approval", &json!({}))
                .await,
            "consent override API",
        )
        .await;
        let (fresh, to) = reauthenticate(app, &admin, "/admin/accounts").await;
        assert_eq!(to, "/admin/accounts");
        assert_eq!(fresh.get(&to).await.status(), 200);
        // Not the sign-in pages themselves as a destination.
        let (_, to) = reauthenticate(app, &head, "/login/mfa").await;
        assert_eq!(to, "/");
    }
);

//! Issue #14, the sign-in and network-edge defects: each test here failed before its fix.
//! The harness is this folder's own (a server with a configuration of the test's choosing),
//! so these tests depend on nothing but the server's public API.

mod edge;
mod lockout;
mod password;
mod proxy;
mod redirect;

use crate::support::{TestApp, start_with};
use baoho_domain::access::Role;
use baoho_server::Config;
use baoho_store::Accounts;
use baoho_store::AuditRecord;
use baoho_store::audit::{AuditAction, AuditFilter, AuditOutcome};
use baoho_store::testing::TestDb;
use std::sync::Arc;

pub use crate::support::{PASSWORD, TOTP_SECRET};

/// A running test server (the suite's [`TestApp`]) with a configuration the test chose, and
/// whether it was told it serves https (its cookies are then `__Host-` prefixed).
pub struct Server {
    app: TestApp,
    https: bool,
}

impl std::ops::Deref for Server {
    type Target = TestApp;
    fn deref(&self) -> &TestApp {
        &self.app
    }
}

/// Start a server on 127.0.0.1 on `db`, its configuration changed by `edit`: the defaults are
/// [`Config::default`]'s (no `/metrics` token), not the suite's.
pub async fn spawn(db: TestDb, edit: impl FnOnce(&mut Config)) -> Server {
    let mut https = false;
    let app = start_with(db, |c| {
        c.metrics_token = None;
        edit(c);
        https = c.https_origin().is_some();
    })
    .await;
    Server { app, https }
}

pub async fn sqlite(edit: impl FnOnce(&mut Config)) -> Server {
    spawn(baoho_store::testing::fresh_sqlite().await, edit).await
}

pub fn totp_at(unix: i64) -> String {
    baoho_server::auth::totp(TOTP_SECRET, "t")
        .unwrap()
        .generate(unix.max(0) as u64)
        .to_string()
}

/// A six-digit code the server cannot accept now (not the code of this step or its
/// neighbours).
pub fn wrong_code() -> String {
    let now = chrono::Utc::now().timestamp();
    let near: Vec<String> = (-2..=2).map(|k| totp_at(now + 30 * k)).collect();
    ["000000", "111111", "222222"]
        .into_iter()
        .find(|c| !near.iter().any(|n| n == c))
        .unwrap()
        .to_owned()
}

/// The value a response sets for a cookie, and the whole `Set-Cookie` line.
pub fn set_cookie(res: &reqwest::Response, name: &str) -> Option<(String, String)> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|line| {
            let (k, v) = line.split(';').next()?.split_once('=')?;
            (k == name && !v.is_empty()).then(|| (v.to_owned(), line.to_owned()))
        })
}

pub use crate::support::hidden;

/// The sign-in form's cookie and token.
pub struct LoginForm {
    pub cookie: String,
    pub csrf: String,
}

impl Server {
    /// A cookie's name as this server sends it (`__Host-` prefixed over https).
    pub fn cookie_name(&self, base: &str) -> String {
        if self.https {
            format!("__Host-{base}")
        } else {
            base.to_owned()
        }
    }

    /// A mission officer in Seoul with [`PASSWORD`], enrolled in TOTP with [`TOTP_SECRET`].
    pub async fn account(&self, username: &str) -> String {
        self.app
            .account(username, Role::MissionOfficer, "EMB-KR-SEOUL", true)
            .await
    }

    pub async fn login_form(&self) -> LoginForm {
        let page = self.get("/login").await;
        let (cookie, _) = set_cookie(&page, &self.cookie_name("baoho_login")).unwrap();
        let csrf = hidden(&page.text().await.unwrap(), "csrf").unwrap();
        LoginForm { cookie, csrf }
    }

    /// `POST /login`, optionally as forwarded by a proxy for `xff`.
    pub async fn post_password(
        &self,
        form: &LoginForm,
        username: &str,
        password: &str,
        next: &str,
        xff: Option<&str>,
    ) -> reqwest::Response {
        let mut req = self
            .client
            .post(self.url("/login"))
            .header(
                "cookie",
                format!("{}={}", self.cookie_name("baoho_login"), form.cookie),
            )
            .form(&[
                ("username", username),
                ("password", password),
                ("csrf", form.csrf.as_str()),
                ("next", next),
            ]);
        if let Some(x) = xff {
            req = req.header("x-forwarded-for", x);
        }
        req.send().await.unwrap()
    }

    /// Past the password step: the pre-MFA session's `Cookie` header and its CSRF token.
    pub async fn pre_mfa(&self, username: &str) -> (String, String) {
        let form = self.login_form().await;
        let res = self
            .post_password(&form, username, PASSWORD, "/persons", None)
            .await;
        assert_eq!(res.status(), 303, "password step");
        let name = self.cookie_name("baoho_session");
        let (token, _) = set_cookie(&res, &name).unwrap();
        let cookie = format!("{name}={token}");
        let page = self.get_with(&cookie, "/login/mfa").await;
        assert_eq!(page.status(), 200);
        let csrf = hidden(&page.text().await.unwrap(), "csrf").unwrap();
        (cookie, csrf)
    }

    pub async fn post_code(
        &self,
        (cookie, csrf): &(String, String),
        code: &str,
        next: &str,
    ) -> reqwest::Response {
        self.client
            .post(self.url("/login/mfa"))
            .header("cookie", cookie)
            .form(&[("code", code), ("csrf", csrf.as_str()), ("next", next)])
            .send()
            .await
            .unwrap()
    }

    /// Signed in: the session's `Cookie` header and CSRF token.
    pub async fn sign_in(&self, username: &str) -> (String, String) {
        let pre = self.pre_mfa(username).await;
        let now = chrono::Utc::now().timestamp();
        for ahead in [0, 30] {
            let res = self.post_code(&pre, &totp_at(now + ahead), "/").await;
            if res.status() == 303 {
                let name = self.cookie_name("baoho_session");
                let (token, _) = set_cookie(&res, &name).unwrap();
                let cookie = format!("{name}={token}");
                let info: serde_json::Value = self
                    .get_with(&cookie, "/api/v1/session")
                    .await
                    .json()
                    .await
                    .unwrap();
                return (cookie, info["csrf_token"].as_str().unwrap().to_owned());
            }
        }
        panic!("second factor refused for {username}");
    }

    /// Login audit rows with this outcome and purpose.
    pub async fn login_rows(&self, outcome: AuditOutcome, purpose: &str) -> Vec<AuditRecord> {
        self.db
            .store
            .audit_query(&AuditFilter {
                action: Some(AuditAction::Login),
                outcome: Some(outcome),
                limit: 1000,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_iter()
            .filter(|r| r.entry.purpose == purpose)
            .collect()
    }

    /// The suite's end-of-test checks ([`TestApp::verify`]: the audit chain among them), then
    /// stop and wait for the server.
    pub async fn stop(self) {
        self.app.stop().await;
    }
}

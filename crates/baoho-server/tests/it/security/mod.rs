//! Issue #14, the sign-in and network-edge defects: each test here failed before its fix.
//! The harness is this folder's own (a server with a configuration of the test's choosing),
//! so these tests depend on nothing but the server's public API.

mod edge;
mod lockout;
mod password;
mod proxy;
mod redirect;

use baoho_domain::access::{Agency, AgencyKind, Role};
use baoho_server::{AppState, Config};
use baoho_store::AuditRecord;
use baoho_store::audit::{AuditAction, AuditEntry, AuditFilter, AuditOutcome};
use baoho_store::testing::TestDb;
use baoho_store::{Accounts, Keyring, NewAccount, RefData};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::oneshot;

pub const PASSWORD: &str = "security tests passphrase";
pub const TOTP_SECRET: &[u8; 20] = b"security-totp-secret";

/// A running server with its own database and a configuration the test chose.
pub struct Server {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    pub db: TestDb,
    keys: Arc<Keyring>,
    https: bool,
    _files: tempfile::TempDir,
    stop: Option<oneshot::Sender<()>>,
    handle: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

/// Start a server on 127.0.0.1 on `db`, its default test configuration changed by `edit`.
pub async fn spawn(db: TestDb, edit: impl FnOnce(&mut Config)) -> Server {
    db.store
        .load_reference_data(&RefData::embedded())
        .await
        .expect("reference data");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let files = tempfile::tempdir().expect("attachments dir");
    let mut config = Config {
        listen: addr,
        database: db.url.expose().to_owned(),
        attachments_dir: Some(files.path().to_path_buf()),
        ..Config::default()
    };
    edit(&mut config);
    let https = config.https_origin().is_some();
    let keys = Arc::new(Keyring::generate("test").expect("keys"));
    keys.check_against(db.store.as_ref())
        .await
        .expect("key check");
    let state = AppState::new(db.store.clone(), config, keys.clone());
    let (tx, rx) = oneshot::channel::<()>();
    let handle = tokio::spawn(baoho_server::launch(listener, state, async move {
        let _ = rx.await;
    }));
    Server {
        addr,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client"),
        db,
        keys,
        https,
        _files: files,
        stop: Some(tx),
        handle: Some(handle),
    }
}

pub async fn sqlite(edit: impl FnOnce(&mut Config)) -> Server {
    spawn(baoho_store::testing::fresh_sqlite().await, edit).await
}

/// One argon2id hash of [`PASSWORD`] for the whole test binary.
fn password_hash() -> String {
    static H: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    H.get_or_init(|| baoho_server::auth::hash_password(PASSWORD).unwrap())
        .clone()
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
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// A cookie's name as this server sends it (`__Host-` prefixed over https).
    pub fn cookie_name(&self, base: &str) -> String {
        if self.https {
            format!("__Host-{base}")
        } else {
            base.to_owned()
        }
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    /// A mission officer with [`PASSWORD`], enrolled in TOTP with [`TOTP_SECRET`].
    pub async fn account(&self, username: &str) -> String {
        let accounts = Accounts::new(self.db.store.as_ref());
        let system = |action| AuditEntry::system(chrono::Utc::now(), action, AuditOutcome::Allowed);
        let a = accounts
            .create(
                &NewAccount {
                    username: username.into(),
                    display_name: format!("Cán bộ {username}"),
                    role: Role::MissionOfficer,
                    agency: Agency {
                        kind: AgencyKind::Mission,
                        code: "EMB-KR-SEOUL".into(),
                    },
                    supervisor_id: None,
                    password_hash: password_hash(),
                    demo: false,
                },
                system(AuditAction::Create),
            )
            .await
            .unwrap();
        let b32 = totp_rs::Secret::from(TOTP_SECRET.to_vec()).to_base32();
        let env = self
            .keys
            .encrypt_str(
                &baoho_store::Aad::new("account", "totp_secret", &a.id),
                &b32,
            )
            .unwrap();
        accounts
            .enrol_totp(&a.id, &env, 0, &[], system(AuditAction::Admin))
            .await
            .unwrap();
        a.id
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
        let page = self
            .client
            .get(self.url("/login/mfa"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
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
                    .client
                    .get(self.url("/api/v1/session"))
                    .header("cookie", &cookie)
                    .send()
                    .await
                    .unwrap()
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

    /// The audit chain is intact; then stop and wait for the server.
    pub async fn stop(mut self) {
        let chain = self.db.store.verify_audit().await.unwrap();
        assert!(chain.is_ok(), "audit chain broken: {:?}", chain.broken);
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(h) = self.handle.take() {
            h.await.unwrap().unwrap();
        }
    }
}

pub mod browser;
pub mod stories;

use baoho_domain::access::{AgencyKind, Role};
use baoho_server::{AppState, Config};
use baoho_store::audit::{AuditAction, AuditEntry, AuditFilter, AuditOutcome};
use baoho_store::testing::{TestDb, fresh_postgres, fresh_sqlite};
use baoho_store::{Accounts, Keyring, NewAccount, RefData};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use tokio::sync::oneshot;

/// Every test account's password.
pub const PASSWORD: &str = "correct horse battery staple";
/// Every test account's TOTP secret (enrolled directly, so logins can compute codes).
pub const TOTP_SECRET: &[u8; 20] = b"baoho-test-totp-key!";

/// A running server on a random port with its own fresh database.
pub struct TestApp {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    pub db: TestDb,
    pub keys: Arc<Keyring>,
    /// Seconds added to the server's clock (session expiry, locks) without waiting.
    pub clock_offset: Arc<AtomicI64>,
    /// The server's duplicate matcher (await `settled()` instead of sleeping).
    pub dupes: Arc<baoho_server::dupes::Dupes>,
    _files: tempfile::TempDir,
    stop: Option<oneshot::Sender<()>>,
    handle: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request")
    }

    /// The server's clock now.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        chrono::Utc::now() + chrono::Duration::seconds(self.clock_offset.load(Ordering::SeqCst))
    }

    pub fn advance(&self, secs: i64) {
        self.clock_offset.fetch_add(secs, Ordering::SeqCst);
    }

    /// Create a staff account with [`PASSWORD`]; enrolled in TOTP with [`TOTP_SECRET`] unless
    /// `enrolled` is false. Returns the account id.
    pub async fn account(
        &self,
        username: &str,
        role: Role,
        agency: &str,
        enrolled: bool,
    ) -> String {
        let accounts = Accounts::new(self.db.store.as_ref());
        let kind = match agency {
            "CD" => AgencyKind::ConsularDepartment,
            "MPS" => AgencyKind::PublicSecurity,
            "MND" => AgencyKind::NationalDefence,
            _ => AgencyKind::Mission,
        };
        let a = accounts
            .create(
                &NewAccount {
                    username: username.into(),
                    display_name: format!("Cán bộ {username}"),
                    role,
                    agency: baoho_domain::access::Agency {
                        kind,
                        code: agency.into(),
                    },
                    supervisor_id: None,
                    password_hash: test_hash(),
                    demo: false,
                },
                AuditEntry::system(
                    chrono::Utc::now(),
                    AuditAction::Create,
                    AuditOutcome::Allowed,
                ),
            )
            .await
            .expect("account");
        if enrolled {
            let b32 = totp_rs::Secret::from(TOTP_SECRET.to_vec()).to_base32();
            let env = self
                .keys
                .encrypt_str(
                    &baoho_store::Aad::new("account", "totp_secret", &a.id),
                    &b32,
                )
                .expect("encrypt");
            accounts
                .enrol_totp(
                    &a.id,
                    &env,
                    0,
                    &[],
                    AuditEntry::system(
                        chrono::Utc::now(),
                        AuditAction::Admin,
                        AuditOutcome::Allowed,
                    ),
                )
                .await
                .expect("enrol");
        }
        a.id
    }

    /// A GET carrying `cookie` (a `name=value` header), as a browser holding it would send.
    pub async fn get_with(&self, cookie: &str, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .header("cookie", cookie)
            .send()
            .await
            .expect("request")
    }

    /// A form posted with `cookie` (a `name=value` header).
    pub async fn post_form_with<T: serde::Serialize + ?Sized>(
        &self,
        cookie: &str,
        path: &str,
        form: &T,
    ) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .header("cookie", cookie)
            .form(form)
            .send()
            .await
            .expect("request")
    }

    /// The sign-in page opened: its cookie (as a `baoho_login=…` header) and its CSRF token.
    pub async fn sign_in_form(&self) -> (String, String) {
        let page = self.get("/login").await;
        let login_cookie = cookie(&page, "baoho_login").expect("login cookie");
        let csrf = hidden(&page.text().await.unwrap(), "csrf").expect("login csrf");
        (format!("baoho_login={login_cookie}"), csrf)
    }

    /// The password step, on a sign-in page just opened; the server's answer.
    pub async fn password_step(&self, username: &str, password: &str) -> reqwest::Response {
        let (login_cookie, csrf) = self.sign_in_form().await;
        let form = [
            ("username", username),
            ("password", password),
            ("csrf", &csrf),
            ("next", "/persons"),
        ];
        self.post_form_with(&login_cookie, "/login", &form).await
    }

    /// The password step passed: the pre-MFA session (as a `baoho_session=…` header).
    pub async fn pre_mfa_session(&self, username: &str) -> String {
        let res = self.password_step(username, PASSWORD).await;
        assert_eq!(res.status(), 303, "password step for {username}");
        let pre = cookie(&res, "baoho_session").expect("pre-MFA session");
        format!("baoho_session={pre}")
    }

    /// Sign in through the pages (password, then TOTP) and return the signed-in client.
    pub async fn login(&self, username: &str) -> Staff<'_> {
        let pre = self.pre_mfa_session(username).await;
        let mfa = self.get_with(&pre, "/login/mfa").await;
        assert_eq!(mfa.status(), 200, "mfa page");
        let csrf = hidden(&mfa.text().await.unwrap(), "csrf").expect("mfa csrf");
        // A TOTP step is accepted once: a second login of the same account in the same 30 s
        // uses the next step's code (the server accepts one step of skew).
        for ahead in [0u64, 30] {
            let code = totp_code(self.now().timestamp() as u64 + ahead);
            let form = [
                ("code", code.as_str()),
                ("csrf", &csrf),
                ("next", "/persons"),
            ];
            let res = self.post_form_with(&pre, "/login/mfa", &form).await;
            if res.status() == 303 {
                let session = cookie(&res, "baoho_session").expect("session");
                let info: serde_json::Value = self
                    .get_with(&format!("baoho_session={session}"), "/api/v1/session")
                    .await
                    .json()
                    .await
                    .unwrap();
                return Staff {
                    app: self,
                    cookie: format!("baoho_session={session}"),
                    csrf: info["csrf_token"].as_str().unwrap().to_owned(),
                    account_id: info["account_id"].as_str().unwrap().to_owned(),
                };
            }
        }
        panic!("second factor refused for {username}");
    }

    /// Audit rows matching `f` (newest first).
    pub async fn audit(&self, f: AuditFilter) -> Vec<baoho_store::AuditRecord> {
        self.db
            .store
            .audit_query(&AuditFilter { limit: 1000, ..f })
            .await
            .unwrap()
    }

    /// Deliver every notice the outbox holds that is due by `at` (as the server's worker
    /// does); how many were delivered.
    pub async fn deliver_notices_due_by(&self, at: chrono::DateTime<chrono::Utc>) -> u64 {
        baoho_store::outbox::drain_outbox(self.db.store.as_ref(), at, 10_000)
            .await
            .expect("the outbox drains")
    }

    /// The audit chain verifies from its first row to its head.
    pub async fn assert_audit_chain_intact(&self) {
        let chain = self.db.store.verify_audit().await.expect("verify");
        assert!(
            chain.is_ok(),
            "the audit chain is broken: {:?}",
            chain.broken
        );
    }

    /// The consistency check every test ends with (through [`TestApp::stop`]): the audit
    /// chain is intact from its first row to its head; the outbox drains (every notice the
    /// test's actions enqueued is delivered, none is stuck: a second drain finds nothing);
    /// the chain is still intact after the deliveries; the case, member, timeline, referral,
    /// transfer, attachment and outbox invariants hold (the store contract suite's, one list in
    /// `baoho_store::testing`); no personal value any test entered is in the logs.
    pub async fn verify(&self) {
        self.assert_audit_chain_intact().await;
        let later = self.now() + chrono::Duration::days(400);
        self.deliver_notices_due_by(later).await;
        assert_eq!(
            self.deliver_notices_due_by(later).await,
            0,
            "an outbox row was still pending after a full drain"
        );
        self.assert_audit_chain_intact().await;
        baoho_store::testing::assert_invariants(&self.db).await;
        assert_logs_hold_no_personal_data();
    }

    /// Check the test's end state ([`TestApp::verify`]), then stop gracefully and wait for the
    /// server to finish.
    pub async fn stop(mut self) {
        self.verify().await;
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(h) = self.handle.take() {
            h.await.expect("join").expect("server ended cleanly");
        }
    }
}

/// Everything the test binary logs (see [`capture_logs`] for the levels), kept in memory so
/// tests can search it, with the personal values the tests entered and how far the check of
/// [`assert_logs_hold_no_personal_data`] has got.
static CAPTURE: std::sync::Mutex<Capture> = std::sync::Mutex::new(Capture {
    logs: Vec::new(),
    personal: Vec::new(),
    checked_bytes: 0,
    checked_values: 0,
});

struct Capture {
    logs: Vec<u8>,
    /// Personal values the tests entered: none of them may ever appear in the logs.
    personal: Vec<String>,
    /// The log bytes already searched for `personal[..checked_values]`.
    checked_bytes: usize,
    checked_values: usize,
}

fn capture() -> std::sync::MutexGuard<'static, Capture> {
    // A test that panicked while holding the lock leaves the capture as it was: keep using it.
    CAPTURE.lock().unwrap_or_else(|e| e.into_inner())
}

struct LogSink;
impl std::io::Write for LogSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        capture().logs.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Install the log capture (once for the whole binary): TRACE for Baoho, the database driver
/// and the HTTP framework (everything that sees request data: the logs a production server
/// would write at its most verbose), DEBUG for the connection plumbing under them (hyper's
/// per-read TRACE lines carry no request data and were most of the volume, which every check
/// then searched: minutes of CI; docs/benchmarks.md "CI time").
pub fn capture_logs() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(
                "trace,hyper=debug,hyper_util=debug,h2=debug,reqwest=debug,tokio=debug,\
                 runtime=debug,mio=debug,want=debug,fantoccini=debug,tungstenite=debug",
            ))
            .with_writer(|| LogSink)
            .with_ansi(false)
            .try_init();
    });
}

/// Remember personal values a test entered (checked against the logs at every stop).
pub fn personal(values: &[&str]) {
    capture()
        .personal
        .extend(values.iter().map(|v| v.to_string()));
}

/// Fail if any personal value entered so far by any test appears in the logs so far. Each check
/// searches only what the last one did not: values entered since then against the whole log,
/// the others against the bytes logged since (plus an overlap for a value cut across the
/// boundary). `memchr::memmem` because this runs after every test over a log of many MB.
pub fn assert_logs_hold_no_personal_data() {
    let mut c = capture();
    assert!(!c.logs.is_empty(), "the capture is installed");
    let longest = c.personal.iter().map(String::len).max().unwrap_or(0);
    let from = c.checked_bytes.saturating_sub(longest);
    let found = c.personal.iter().enumerate().find(|(i, v)| {
        let searched = if *i < c.checked_values {
            &c.logs[from..]
        } else {
            &c.logs[..]
        };
        memchr::memmem::find(searched, v.as_bytes()).is_some()
    });
    if let Some((_, v)) = found {
        panic!("personal value {v:?} found in the logs");
    }
    c.checked_bytes = c.logs.len();
    c.checked_values = c.personal.len();
}

pub fn logs_contain(s: &str) -> bool {
    memchr::memmem::find(&capture().logs, s.as_bytes()).is_some()
}

pub async fn start(db: TestDb) -> TestApp {
    start_with(db, |_| {}).await
}

/// [`start`], with the test configuration changed by `edit` before the server starts.
pub async fn start_with(db: TestDb, edit: impl FnOnce(&mut Config)) -> TestApp {
    capture_logs();
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
        metrics_token: Some(METRICS_TOKEN.to_owned()),
        ..Config::default()
    };
    edit(&mut config);
    let keys = Arc::new(Keyring::generate("test").expect("keys"));
    keys.check_against(db.store.as_ref())
        .await
        .expect("key check");
    let clock_offset = Arc::new(AtomicI64::new(0));
    let offset = clock_offset.clone();
    let state =
        AppState::new(db.store.clone(), config, keys.clone()).with_clock(Arc::new(move || {
            chrono::Utc::now() + chrono::Duration::seconds(offset.load(Ordering::SeqCst))
        }));
    let dupes = state.dupes.clone();
    let (tx, rx) = oneshot::channel::<()>();
    let handle = tokio::spawn(baoho_server::launch(listener, state, async move {
        let _ = rx.await;
    }));
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    TestApp {
        addr,
        client,
        db,
        keys,
        clock_offset,
        dupes,
        _files: files,
        stop: Some(tx),
        handle: Some(handle),
    }
}

pub async fn spawn_sqlite() -> TestApp {
    start(fresh_sqlite().await).await
}

/// None when PostgreSQL is not configured (and not required).
pub async fn spawn_postgres() -> Option<TestApp> {
    Some(start(fresh_postgres().await?).await)
}

/// Run the same story on both backends.
macro_rules! both_backends {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;
            #[tokio::test]
            async fn sqlite() {
                let app = $crate::support::spawn_sqlite().await;
                ($body)(&app).await;
                app.stop().await;
            }
            #[tokio::test]
            async fn postgres() {
                let Some(app) = $crate::support::spawn_postgres().await else {
                    return;
                };
                eprintln!("{} on postgres", stringify!($name));
                ($body)(&app).await;
                app.stop().await;
            }
        }
    };
}
pub(crate) use both_backends;

/// The token the test servers want on `/metrics`.
pub const METRICS_TOKEN: &str = "test-metrics-token-0123456789";

/// One argon2id hash of [`PASSWORD`], computed once for the whole test binary.
pub fn test_hash() -> String {
    static H: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    H.get_or_init(|| baoho_server::auth::hash_password(PASSWORD).unwrap())
        .clone()
}

pub fn totp_code(unix: u64) -> String {
    baoho_server::auth::totp(TOTP_SECRET, "t")
        .unwrap()
        .generate(unix)
        .to_string()
}

/// The value of a cookie set by a response.
pub fn cookie(res: &reqwest::Response, name: &str) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| {
            let first = v.split(';').next()?;
            let (k, val) = first.split_once('=')?;
            (k == name && !val.is_empty()).then(|| val.to_owned())
        })
}

/// The value of a hidden form field in a page.
pub fn hidden(html: &str, name: &str) -> Option<String> {
    let needle = format!("name=\"{name}\" value=\"");
    let start = html.find(&needle)? + needle.len();
    let end = html[start..].find('"')?;
    Some(
        html[start..start + end]
            .replace("&#x2b;", "+")
            .replace("&#43;", "+")
            .replace("&#x3d;", "=")
            .replace("&#61;", "="),
    )
}

async fn send(req: reqwest::RequestBuilder) -> reqwest::Response {
    req.send().await.expect("request")
}

/// A signed-in staff member's client.
pub struct Staff<'a> {
    pub app: &'a TestApp,
    pub cookie: String,
    pub csrf: String,
    pub account_id: String,
}

impl Staff<'_> {
    /// A request of this staff member's browser: their session cookie on it.
    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.app
            .client
            .request(method, self.app.url(path))
            .header("cookie", &self.cookie)
    }

    /// A state-changing API request: the session cookie and the CSRF header.
    fn api_write(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.request(method, path)
            .header("x-csrf-token", &self.csrf)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        send(self.request(reqwest::Method::GET, path)).await
    }

    /// A GET with the page language chosen by its cookie (`vi` or `en`).
    pub async fn get_in(&self, lang: &str, path: &str) -> reqwest::Response {
        let req = self.app.client.get(self.app.url(path));
        send(req.header("cookie", format!("{}; lang={lang}", self.cookie))).await
    }

    /// A page form posted, with the form's CSRF field.
    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        let mut f: Vec<(&str, &str)> = form.to_vec();
        f.push(("csrf", &self.csrf));
        send(self.request(reqwest::Method::POST, path).form(&f)).await
    }

    pub async fn post_json(&self, path: &str, body: &serde_json::Value) -> reqwest::Response {
        send(self.api_write(reqwest::Method::POST, path).json(body)).await
    }

    pub async fn put_json(&self, path: &str, body: &serde_json::Value) -> reqwest::Response {
        send(self.api_write(reqwest::Method::PUT, path).json(body)).await
    }

    /// A multipart upload to the API.
    pub async fn post_multipart(
        &self,
        path: &str,
        form: reqwest::multipart::Form,
    ) -> reqwest::Response {
        send(self.api_write(reqwest::Method::POST, path).multipart(form)).await
    }

    /// Denied audit rows written for this account so far.
    pub async fn denied(&self) -> usize {
        self.app
            .audit(AuditFilter {
                actor: Some(self.account_id.clone()),
                outcome: Some(AuditOutcome::Denied),
                ..Default::default()
            })
            .await
            .len()
    }
}

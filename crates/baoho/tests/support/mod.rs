//! What the binary's tests share: the hermetic `baoho` command, running it to success, a
//! served instance found by the address it prints, and creating an account through the CLI.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

/// The binary under test, with no configuration from the caller's environment.
pub fn baoho() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_baoho"));
    for (k, _) in std::env::vars() {
        if k.starts_with("BAOHO_") {
            c.env_remove(k);
        }
    }
    c
}

/// Run `baoho args` in `dir` (or here); its output, which must be a success.
pub fn run_in(dir: Option<&std::path::Path>, args: &[&str]) -> Output {
    let mut c = baoho();
    if let Some(d) = dir {
        c.current_dir(d);
    }
    let out = c.args(args).output().unwrap();
    assert!(
        out.status.success(),
        "baoho {args:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Run `baoho args`; its standard output, which must be a success.
pub fn run_ok(args: &[&str]) -> String {
    String::from_utf8_lossy(&run_in(None, args).stdout).into_owned()
}

/// A running `baoho serve` (or `demo`) and the address it printed.
pub struct Served {
    pub child: Child,
    pub addr: String,
    /// Every line it printed up to and including its address line.
    pub printed: String,
}

/// Spawn `cmd` (its standard output piped here) and wait for the line that says where it
/// listens: the address is printed once the listener is bound, so nothing needs polling.
/// `until` names the line to wait for (the address line itself, or a later one).
pub fn spawn_until(mut cmd: Command, until: &'static str) -> Served {
    let mut child = cmd.stdout(Stdio::piped()).spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut seen = String::new();
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            seen.push_str(&line);
            seen.push('\n');
            if line.contains(until) {
                let _ = tx.send(seen.clone());
            }
        }
    });
    let printed = rx
        .recv_timeout(Duration::from_secs(120))
        .expect("the server printed its address");
    let addr = printed
        .lines()
        .find_map(|l| l.trim().strip_prefix("Baoho is running at http://"))
        .and_then(|r| r.split('/').next())
        .expect("an address line")
        .to_owned();
    Served {
        child,
        addr,
        printed,
    }
}

/// `baoho serve` on a free port of 127.0.0.1 for `url` with `keys`, `extra` arguments after.
pub fn serve(
    url: &str,
    keys: &std::path::Path,
    extra: &[&str],
    configure: impl FnOnce(&mut Command),
) -> Served {
    let mut cmd = baoho();
    cmd.env("BAOHO_KEY_FILE", keys)
        .args(["serve", "--listen", "127.0.0.1:0", "--database", url])
        .args(extra);
    configure(&mut cmd);
    spawn_until(cmd, "Baoho is running at http://")
}

/// `baoho account create` with the password typed on its standard input.
pub fn create_account(
    url: &str,
    username: &str,
    role: &str,
    agency: &str,
    password: &str,
) -> Output {
    let mut child = baoho()
        .args([
            "account",
            "create",
            "--database",
            url,
            "--username",
            username,
            "--role",
            role,
            "--agency",
            agency,
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
    child.wait_with_output().unwrap()
}

/// Run a bench command in `dir`: it must succeed; its standard output and error.
pub fn bench(dir: &std::path::Path, args: &[&str]) -> (String, String) {
    let out = run_in(Some(dir), args);
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Run `baoho args` in `dir` (or here): it must fail; its standard error.
pub fn run_fails(dir: Option<&std::path::Path>, args: &[&str]) -> String {
    let mut c = baoho();
    if let Some(d) = dir {
        c.current_dir(d);
    }
    let out = c.args(args).output().unwrap();
    assert!(!out.status.success(), "baoho {args:?} succeeded");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Each figure named in `line` (`p50 12.3 ms`, for each of `names`) is a positive number.
pub fn assert_positive_figures(line: &str, names: &[&str]) {
    for p in names {
        let rest = line
            .split(p)
            .nth(1)
            .unwrap_or_else(|| panic!("{p} in {line}"));
        let v: f64 = rest.split(' ').next().unwrap().parse().unwrap();
        assert!(v > 0.0, "{line}");
    }
}

/// A migrated SQLite database with `n` audit rows.
pub fn audit_database(dir: &std::path::Path, n: usize) -> String {
    use baoho_store::{AuditAction, AuditEntry, AuditOutcome, DatabaseUrl, OpenMode};
    let db = format!("sqlite://{}", dir.join("baoho.db").display());
    run_ok(&["migrate", "--database", &db]);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let url = DatabaseUrl::parse(&db).unwrap();
        let store = baoho_store::open(&url, OpenMode::MustExist).await.unwrap();
        for i in 0..n {
            let e = AuditEntry::new(
                chrono::Utc::now(),
                format!("acct-{i}"),
                AuditAction::Read,
                AuditOutcome::Allowed,
            )
            .object("person", format!("p-{i}"));
            store.append_audit(&e).await.unwrap();
        }
        store.close().await;
    });
    db
}

/// Run SQL on the file directly, as someone with write access to it would.
pub fn tamper(db: &str, sql: &str) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        use sqlx::Connection;
        let mut c = sqlx::SqliteConnection::connect(db).await.unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
            .execute(&mut c)
            .await
            .unwrap();
        c.close().await.unwrap();
    });
}

pub fn cookie(res: &reqwest::Response, name: &str) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| {
            let (k, val) = v.split(';').next()?.split_once('=')?;
            (k == name && !val.is_empty()).then(|| val.to_owned())
        })
}

pub fn hidden(html: &str, name: &str) -> String {
    let needle = format!("name=\"{name}\" value=\"");
    let start = html.find(&needle).unwrap() + needle.len();
    html[start..start + html[start..].find('"').unwrap()].to_owned()
}

/// Sign in once (first login enrols TOTP); the session lives in the database, so it survives
/// every crash and restart.
pub async fn sign_in(
    client: &reqwest::Client,
    base: &str,
    username: &str,
    password: &str,
) -> (String, String) {
    let page = client.get(format!("{base}/login")).send().await.unwrap();
    let lc = cookie(&page, "baoho_login").unwrap();
    let csrf = hidden(&page.text().await.unwrap(), "csrf");
    let res = client
        .post(format!("{base}/login"))
        .header("cookie", format!("baoho_login={lc}"))
        .form(&[
            ("username", username),
            ("password", password),
            ("csrf", &csrf),
        ])
        .send()
        .await
        .unwrap();
    let pre = format!("baoho_session={}", cookie(&res, "baoho_session").unwrap());
    let html = client
        .get(format!("{base}/mfa/enrol"))
        .header("cookie", &pre)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let b32 = html
        .split("id=\"totp-secret\">")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_owned();
    let secret = totp_rs::Secret::try_from_base32(&b32).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let code = baoho_server::auth::totp(secret.as_bytes(), "x")
        .unwrap()
        .generate(now)
        .to_string();
    let form = [
        ("csrf", hidden(&html, "csrf")),
        ("pending", hidden(&html, "pending")),
        ("code", code),
    ];
    let done = client
        .post(format!("{base}/mfa/enrol"))
        .header("cookie", &pre)
        .form(&form)
        .send()
        .await
        .unwrap();
    let session = format!("baoho_session={}", cookie(&done, "baoho_session").unwrap());
    let info: serde_json::Value = client
        .get(format!("{base}/api/v1/session"))
        .header("cookie", &session)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (session, info["csrf_token"].as_str().unwrap().to_owned())
}

/// What must hold of a database after a crash or a fault: the engine's own structural check
/// (SQLite `PRAGMA integrity_check`; on PostgreSQL `amcheck`: `bt_index_check` with
/// `heapallindexed` on every B-tree index and `verify_heapam` on every table), the store's
/// invariants (`baoho_store::testing::INVARIANTS`), and `baoho audit verify` on the chain.
pub async fn assert_sound(url: &str, when: &str) {
    use sqlx::Connection;
    let parsed = baoho_store::DatabaseUrl::parse(url).unwrap();
    match parsed.backend() {
        baoho_store::Backend::Sqlite => {
            let mut c = sqlx::SqliteConnection::connect(url).await.unwrap();
            let rows: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
                .fetch_all(&mut c)
                .await
                .unwrap();
            assert_eq!(rows, ["ok"], "{when}: SQLite integrity_check");
            c.close().await.ok();
        }
        baoho_store::Backend::Postgres => {
            let mut c = sqlx::PgConnection::connect(url).await.unwrap();
            sqlx::query("CREATE EXTENSION IF NOT EXISTS amcheck")
                .execute(&mut c)
                .await
                .unwrap();
            let indexes: Vec<String> = sqlx::query_scalar(
                "SELECT c.oid::regclass::text FROM pg_index i \
                 JOIN pg_class c ON c.oid = i.indexrelid \
                 JOIN pg_am a ON a.oid = c.relam \
                 JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE a.amname = 'btree' AND n.nspname = 'public' \
                 AND i.indisvalid AND i.indisready",
            )
            .fetch_all(&mut c)
            .await
            .unwrap();
            assert!(!indexes.is_empty(), "{when}: no index to check");
            for ix in &indexes {
                sqlx::query("SELECT bt_index_check($1::regclass, true)")
                    .bind(ix)
                    .execute(&mut c)
                    .await
                    .unwrap_or_else(|e| panic!("{when}: amcheck on index {ix}: {e}"));
            }
            let corrupt: Vec<String> = sqlx::query_scalar(
                "SELECT c.relname || ': ' || v.msg FROM pg_class c \
                 JOIN pg_namespace n ON n.oid = c.relnamespace \
                 CROSS JOIN LATERAL verify_heapam(c.oid) v \
                 WHERE c.relkind = 'r' AND n.nspname = 'public'",
            )
            .fetch_all(&mut c)
            .await
            .unwrap();
            assert!(corrupt.is_empty(), "{when}: verify_heapam: {corrupt:?}");
            c.close().await.ok();
        }
    }
    let broken = baoho_store::testing::broken_invariants_at(&parsed).await;
    assert!(broken.is_empty(), "{when}: inconsistent store: {broken:#?}");
    run_ok(&["audit", "verify", "--database", url]);
}

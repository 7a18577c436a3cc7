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

//! The binary as an operator uses it: configuration errors, refusing to invent a database,
//! start-up, readiness and graceful shutdown on SIGTERM.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use support::*;

#[test]
fn serve_refuses_a_missing_sqlite_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("typo.db");
    let out = baoho()
        .current_dir(dir.path())
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--database",
            &format!("sqlite://{}", path.display()),
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("does not exist") && err.contains("baoho migrate"),
        "{err}"
    );
    assert!(!path.exists(), "no empty database was created");
}

#[test]
fn a_database_url_needs_its_scheme() {
    let dir = tempfile::tempdir().unwrap();
    let out = baoho()
        .current_dir(dir.path())
        .args(["serve", "--database", "data/baoho.db"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("sqlite: or postgres:"));
}

#[test]
fn config_rejects_unknown_keys_and_hides_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let out = baoho()
        .current_dir(dir.path())
        .env("BAOHO_DATABSE", "x")
        .arg("config")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("databse"));

    std::fs::write(dir.path().join("baoho.toml"), "log_format = \"json\"\n").unwrap();
    let out = baoho()
        .current_dir(dir.path())
        .env("BAOHO_DATABASE", "postgres://app:hunter2@db.internal/baoho")
        .args(["config", "--listen", "127.0.0.1:9999"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(
        shown.contains("log_format = \"json\""),
        "file layer: {shown}"
    );
    assert!(shown.contains("127.0.0.1:9999"), "flag layer: {shown}");
    assert!(
        shown.contains("app:***@db.internal"),
        "env layer, redacted: {shown}"
    );
    assert!(!shown.contains("hunter2"));
}

fn get(addr: &str, path: &str) -> Option<String> {
    let mut s = std::net::TcpStream::connect(addr).ok()?;
    s.write_all(
        format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    Some(out)
}

#[test]
fn migrate_then_serve_then_stop_gracefully() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("baoho.db").display());
    let out = baoho()
        .current_dir(dir.path())
        .args(["migrate", "--database", &url])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("missions"));
    // Without a key file, serve refuses to start and says how to make one.
    let out = baoho()
        .current_dir(dir.path())
        .args(["serve", "--listen", "127.0.0.1:0", "--database", &url])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("baoho keys generate"));
    let keys = dir.path().join("keys");
    run_ok(&["keys", "generate", "--out", keys.to_str().unwrap()]);

    let Served {
        mut child, addr, ..
    } = serve(&url, &keys, &["--log-format", "json"], |c| {
        c.current_dir(dir.path()).stderr(Stdio::piped());
    });
    // The address is printed after the listener is bound: this request queues until the
    // server accepts it, so there is nothing to poll.
    let ready = get(&addr, "/readyz").expect("an answer from /readyz");
    assert!(ready.starts_with("HTTP/1.1 200"), "{ready}");
    assert!(get(&addr, "/").unwrap().contains("Baoho"));

    // SIGTERM: the server finishes and exits 0.
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    assert!(exit.success(), "graceful exit, got {exit:?}");
    let mut logs = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut logs)
        .unwrap();
    // JSON logs, one object per line, every request line carries its request id.
    for line in logs.lines().filter(|l| l.contains("\"request\"")) {
        let v: serde_json::Value = serde_json::from_str(line).expect("json log line");
        assert!(
            v.get("request_id").is_some() || v["span"].get("request_id").is_some(),
            "{line}"
        );
    }
    assert!(logs.contains("stopped"), "{logs}");
}

#[test]
fn audit_verify_reports_ok_then_names_the_tampered_row() {
    let dir = tempfile::tempdir().unwrap();
    let empty = audit_database(dir.path(), 0);
    let out = run_ok(&["audit", "verify", "--database", &empty]);
    assert!(out.contains("audit chain OK: 0 rows"), "{out}");

    let other = tempfile::tempdir().unwrap();
    let db = audit_database(other.path(), 3);
    let out = run_ok(&["audit", "verify", "--database", &db]);
    assert!(out.contains("audit chain OK: 3 rows"), "{out}");
    assert!(out.contains("head: seq 3"), "{out}");

    // Someone with write access to the file drops the trigger and edits row 2.
    tamper(
        &db,
        "DROP TRIGGER audit_no_update; UPDATE audit SET object_id = 'p-9' WHERE seq = 2",
    );
    let out = baoho()
        .args(["audit", "verify", "--database", &db])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("BROKEN at seq 2") && stdout.contains("hash mismatch"),
        "{stdout}"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("broken at seq 2"));
}

#[test]
fn audit_verify_refuses_a_missing_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("typo.db");
    let out = baoho()
        .args([
            "audit",
            "verify",
            "--database",
            &format!("sqlite://{}", path.display()),
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(!path.exists());
}

#[test]
fn keys_generate_check_and_rotate() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("baoho.db").display());
    let k1 = dir.path().join("k1.keys");
    let k2 = dir.path().join("k2.keys");
    let k1s = k1.to_str().unwrap();
    let k2s = k2.to_str().unwrap();
    run_ok(&["migrate", "--database", &db]);
    let out = run_ok(&["keys", "generate", "--out", k1s]);
    assert!(out.contains("active key id"), "{out}");
    // Never overwrites a key file.
    let again = baoho()
        .args(["keys", "generate", "--out", k1s])
        .output()
        .unwrap();
    assert!(!again.status.success());
    let key_text = std::fs::read_to_string(&k1).unwrap();

    // First check establishes the key check; the same file then matches.
    run_ok(&["keys", "check", "--database", &db, "--key-file", k1s]);
    let out = run_ok(&["keys", "check", "--database", &db, "--key-file", k1s]);
    assert!(out.contains("key file matches"), "{out}");

    // A new key with the old one kept: rotation pending, then rotated.
    run_ok(&["keys", "generate", "--out", k2s, "--previous", k1s]);
    let out = run_ok(&["keys", "check", "--database", &db, "--key-file", k2s]);
    assert!(out.contains("rotation pending"), "{out}");
    let out = run_ok(&["keys", "rotate", "--database", &db, "--key-file", k2s]);
    assert!(
        out.contains("key_check.envelope: 1 rows re-encrypted"),
        "{out}"
    );

    // The old key alone no longer opens this database: refused, without printing any key.
    let out = baoho()
        .args(["keys", "check", "--database", &db, "--key-file", k1s])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("does not match"), "{err}");
    for line in key_text.lines().filter(|l| !l.starts_with('#')) {
        let secret = line.split_once('=').unwrap().1;
        assert!(!err.contains(secret) && !String::from_utf8_lossy(&out.stdout).contains(secret));
    }

    // The rotation is in the audit trail, and the chain is intact.
    let out = run_ok(&["audit", "verify", "--database", &db]);
    assert!(out.contains("audit chain OK: 1 rows"), "{out}");
}

#[test]
fn bench_search_prints_its_figures() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("search.db").display());
    let args = [
        "bench",
        "search",
        "--persons",
        "2000",
        "--queries",
        "50",
        "--database",
        db.as_str(),
    ];
    let (stdout, stderr) = bench(dir.path(), &args);
    assert!(stderr.contains("imported 2000 / 2000 persons"), "{stderr}");
    for want in [
        "2000 synthetic persons",
        "database built now",
        "persons/s",
        "database size:",
        "HQ officer",
        "mission officer (EMB-JP-TOKYO, scoped)",
        "(50 searches)",
        "hits per query: mean",
    ] {
        assert!(stdout.contains(want), "{want:?} missing from:\n{stdout}");
    }
    let latency: Vec<&str> = stdout.lines().filter(|l| l.contains("latency:")).collect();
    assert_eq!(latency.len(), 2, "{stdout}");
    for l in latency {
        assert_positive_figures(l, &["p50 ", "p90 ", "p99 ", "max ", "mean "]);
    }
    // Every query names a registry person: the HQ officer finds each one.
    let hq_hits = stdout
        .lines()
        .skip_while(|l| !l.contains("HQ officer"))
        .find(|l| l.contains("hits per query"))
        .unwrap();
    assert!(hq_hits.ends_with(", 0 without a hit"), "{hq_hits}");

    // A rerun on the same database reuses it instead of importing again; a database the
    // bench did not fill is refused.
    let (stdout, _) = bench(dir.path(), &args);
    assert!(stdout.contains("database reused"), "{stdout}");
    refuses_a_database_it_did_not_fill(dir.path(), &["bench", "search", "--persons", "10"]);
}

#[test]
fn account_create_makes_the_first_administrator_without_a_default_password() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("baoho.db").display());
    run_ok(&["migrate", "--database", &url]);
    let create = |password: &str, username: &str| {
        create_account(&url, username, "administrator", "CD", password)
    };
    let short = create("short", "root");
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("12 characters"));
    let ok = create("a long enough passphrase", "Root");
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(String::from_utf8_lossy(&ok.stdout).contains("created root"));
    let again = create("a long enough passphrase", "root");
    assert!(!again.status.success(), "usernames are unique");
    let bad = create_account(&url, "x", "root", "CD", "a long enough passphrase");
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown role"));
    // The creation is in the audit trail, and the chain holds.
    let out = run_ok(&["audit", "verify", "--database", &url]);
    assert!(out.contains("audit chain OK: 1 rows"), "{out}");
}

#[test]
fn demo_seeds_persons_and_prints_its_logins() {
    let dir = tempfile::tempdir().unwrap();
    let mut demo = baoho();
    demo.current_dir(dir.path())
        .args(["demo", "--listen", "127.0.0.1:0"])
        .stderr(Stdio::null());
    let Served {
        mut child,
        addr,
        printed: out,
    } = spawn_until(demo, "stop with Ctrl-C");
    assert!(out.contains("300 synthetic persons"), "{out}");
    assert!(
        out.contains("hq.officer") && out.contains("baoho-demo-2026"),
        "{out}"
    );
    let login = get(&addr, "/login").unwrap();
    assert!(
        login.contains("demo-note"),
        "the demo's sign-in page explains the logins"
    );
    let _ = child.kill();
    let _ = child.wait();
    let demo_keys = dir.path().join("baoho-demo/baoho-demo.keys");
    assert!(demo_keys.exists());
    // Some demo cases carry an attachment; a key rotation seals them again under the new key
    // (looked for beside the database, as the server does), and a second run finds nothing
    // left to do.
    let db = format!(
        "sqlite://{}",
        dir.path().join("baoho-demo/baoho.db").display()
    );
    let k2 = dir.path().join("k2.keys");
    let k2s = k2.to_str().unwrap();
    run_ok(&[
        "keys",
        "generate",
        "--out",
        k2s,
        "--previous",
        demo_keys.to_str().unwrap(),
    ]);
    let rotated = |want: &dyn Fn(u64, u64) -> bool| {
        let out = run_ok(&["keys", "rotate", "--database", &db, "--key-file", k2s]);
        let line = out
            .lines()
            .find(|l| l.starts_with("attachments in"))
            .unwrap_or_else(|| panic!("{out}"))
            .to_owned();
        let (done, all) = line
            .split_once(": ")
            .and_then(|(_, r)| r.split_once(" sealed again"))
            .and_then(|(n, _)| n.split_once(" of "))
            .unwrap_or_else(|| panic!("{line}"));
        let (done, all): (u64, u64) = (done.parse().unwrap(), all.parse().unwrap());
        assert!(want(done, all), "{line}");
    };
    rotated(&|done, all| all > 0 && done == all);
    rotated(&|done, all| all > 0 && done == 0);
    // Pointed at a folder that is not there: refused before any column is touched.
    let missing = dir.path().join("no-such-folder");
    let out = baoho()
        .args([
            "keys",
            "rotate",
            "--database",
            &db,
            "--key-file",
            k2s,
            "--attachments-dir",
            missing.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no-such-folder") && err.contains("nothing was rotated"),
        "{err}"
    );
}

#[test]
fn bench_cases_prints_its_figures() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("cases.db").display());
    let args = [
        "bench",
        "cases",
        "--open-cases",
        "60",
        "--writes",
        "40",
        "--concurrency",
        "4",
        "--queries",
        "5",
        "--referrals",
        "9",
        "--database",
        db.as_str(),
    ];
    let (stdout, stderr) = bench(dir.path(), &args);
    assert!(stderr.contains("filling: 60 / 60 cases"), "{stderr}");
    assert!(
        stderr.contains("measured writes: 40 / 40 cases"),
        "{stderr}"
    );
    for want in [
        "bench cases: SQLite (database built now), 15 missions, 109 open cases now",
        "referrals: 9 made before the queue was measured",
        "referrals awaiting approval ",
        "referral answers since the last look ",
        "durability: journal wal, synchronous 1+wal-fsync",
        "fill: 60 cases in",
        "40 audited case creations",
        "from 4 tasks",
        "work queue, mission officer (EMB-JP-TOKYO",
        "work queue, head of mission (EMB-JP-TOKYO)",
        "(5 pages)",
        "lists: mine and open ",
        "overdue ",
        "awaiting approval ",
        "new, not yet assessed ",
        "new since the last look ",
    ] {
        assert!(stdout.contains(want), "{want:?} missing from:\n{stdout}");
    }
    let rate = stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("writes/s: "))
        .unwrap_or_else(|| panic!("writes/s in {stdout}"));
    assert!(rate.parse::<f64>().unwrap() > 0.0, "{stdout}");
    let timed: Vec<&str> = stdout
        .lines()
        .filter(|l| l.contains("per write:") || l.contains("page ("))
        .collect();
    assert_eq!(timed.len(), 3, "{stdout}");
    for l in timed {
        assert_positive_figures(l, &["p50 ", "p99 ", "max "]);
    }

    // A rerun reuses the database (no fill); a database the bench did not create is refused.
    let (stdout, _) = bench(dir.path(), &args);
    assert!(stdout.contains("(database reused)"), "{stdout}");
    assert!(
        stdout.contains("fill: none needed (109 open cases already there)"),
        "{stdout}"
    );
    assert!(stdout.contains("158 open cases now"), "{stdout}");
    refuses_a_database_it_did_not_fill(dir.path(), &["bench", "cases"]);
}

/// A bench pointed at a database it did not fill (a migrated one) refuses it.
fn refuses_a_database_it_did_not_fill(dir: &std::path::Path, bench: &[&str]) {
    let other = format!("sqlite://{}", dir.join("other.db").display());
    run_ok(&["migrate", "--database", &other]);
    let args = [bench, &["--database", other.as_str()]].concat();
    let err = run_fails(Some(dir), &args);
    assert!(err.contains("remove it or choose another"), "{err}");
}

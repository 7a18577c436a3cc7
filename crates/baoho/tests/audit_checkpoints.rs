//! Signed checkpoints anchor the audit chain outside the database: `baoho audit keygen`,
//! `baoho audit checkpoint`, and `baoho audit verify --checkpoints` catching what the chain
//! alone cannot (rows cut off the end, the whole chain recomputed after an edit).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::Path;
use std::process::Output;
use support::{audit_database as database, baoho, run_ok, tamper};

/// Run `baoho args`, success or not.
fn run(args: &[&str]) -> Output {
    baoho().args(args).output().unwrap()
}

/// Edit row `seq` and recompute every hash from there on: the chain alone still verifies.
fn rewrite_and_recompute(db: &str, seq: i64) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        use sqlx::{Connection, Row};
        let mut c = sqlx::SqliteConnection::connect(db).await.unwrap();
        sqlx::raw_sql(
            "DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;",
        )
        .execute(&mut c)
        .await
        .unwrap();
        let rows = sqlx::query(
            "SELECT seq, at, actor, role, agency, object_kind, object_id, action, purpose, outcome, request_id, prev_hash \
             FROM audit ORDER BY seq",
        )
        .fetch_all(&mut c)
        .await
        .unwrap();
        let mut prev: Option<String> = None;
        let mut updates = Vec::new();
        for r in &rows {
            let s: i64 = r.get("seq");
            let g = |k: &str| r.get::<String, _>(k);
            let object_id = if s == seq { "p-forged".to_owned() } else { g("object_id") };
            let prev_hash = match (&prev, s >= seq) {
                (Some(p), true) => p.clone(),
                _ => g("prev_hash"),
            };
            let (at, actor, role, agency, kind, action, purpose, outcome, req) = (
                g("at"),
                g("actor"),
                g("role"),
                g("agency"),
                g("object_kind"),
                g("action"),
                g("purpose"),
                g("outcome"),
                g("request_id"),
            );
            let hash = baoho_store::audit::ChainFields {
                seq: s,
                at: &at,
                actor: &actor,
                role: &role,
                agency: &agency,
                object_kind: &kind,
                object_id: &object_id,
                action: &action,
                purpose: &purpose,
                outcome: &outcome,
                request_id: &req,
                prev_hash: &prev_hash,
            }
            .hash();
            if s >= seq {
                updates.push((s, object_id, prev_hash.clone(), hash.clone()));
            }
            prev = Some(hash);
        }
        // Unique columns: move the rewritten rows' hashes aside first.
        sqlx::query("UPDATE audit SET prev_hash = 'x' || seq || substr(prev_hash, 1 + length('x' || seq)), hash = 'y' || seq || substr(hash, 1 + length('y' || seq)) WHERE seq >= $1")
            .bind(seq)
            .execute(&mut c)
            .await
            .unwrap();
        for (s, object_id, prev_hash, hash) in updates {
            sqlx::query("UPDATE audit SET object_id = $1, prev_hash = $2, hash = $3 WHERE seq = $4")
                .bind(object_id)
                .bind(prev_hash)
                .bind(hash)
                .bind(s)
                .execute(&mut c)
                .await
                .unwrap();
        }
        c.close().await.unwrap();
    });
}

fn keys(dir: &Path) -> (String, String) {
    let secret = dir.join("audit-signing.key");
    let out = run_ok(&["audit", "keygen", "--out", secret.to_str().unwrap()]);
    assert!(out.contains(".pub"), "{out}");
    let public = format!("{}.pub", secret.display());
    (secret.display().to_string(), public)
}

/// `baoho audit checkpoint` of `db`'s head, signed with `secret`, into `cps`.
fn checkpoint(db: &str, secret: &str, cps: &str) -> Output {
    run(&[
        "audit",
        "checkpoint",
        "--database",
        db,
        "--key",
        secret,
        "--out",
        cps,
    ])
}

/// [`checkpoint`], which must succeed; its standard output.
fn checkpoint_ok(db: &str, secret: &str, cps: &str) -> String {
    let out = checkpoint(db, secret, cps);
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn verify_with(db: &str, cps: &str, public: &str) -> Output {
    run(&[
        "audit",
        "verify",
        "--database",
        db,
        "--checkpoints",
        cps,
        "--public-key",
        public,
    ])
}

#[test]
fn checkpoints_verify_while_the_trail_only_grows() {
    let dir = tempfile::tempdir().unwrap();
    let db = database(dir.path(), 4);
    let (secret, public) = keys(dir.path());
    let cps = dir.path().join("checkpoints").display().to_string();
    let out = checkpoint_ok(&db, &secret, &cps);
    assert!(out.contains("checkpoint: seq 4"), "{out}");
    // The secret key file is private and never overwritten.
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&secret).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    assert!(!run(&["audit", "keygen", "--out", &secret]).status.success());
    // More rows, a second checkpoint: both hold.
    let more = database(dir.path(), 3);
    assert_eq!(more, db);
    checkpoint_ok(&db, &secret, &cps);
    let out = verify_with(&db, &cps, &public);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("checkpoints OK: 2 signed checkpoints match"),
        "{stdout}"
    );
    assert!(stdout.contains("audit chain OK: 7 rows"), "{stdout}");
    // Another key's public half: the checkpoints are not trusted.
    let other = dir.path().join("other.key");
    run_ok(&["audit", "keygen", "--out", other.to_str().unwrap()]);
    let out = verify_with(&db, &cps, &format!("{}.pub", other.display()));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("not signed by this public key"));
}

#[test]
fn truncation_below_a_checkpoint_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let db = database(dir.path(), 6);
    let (secret, public) = keys(dir.path());
    let cps = dir.path().join("cp").display().to_string();
    checkpoint_ok(&db, &secret, &cps);
    // The last two rows cut off: the chain that is left is intact…
    tamper(
        &db,
        "DROP TRIGGER audit_no_delete; DELETE FROM audit WHERE seq > 4",
    );
    let out = run_ok(&["audit", "verify", "--database", &db]);
    assert!(out.contains("audit chain OK: 4 rows"), "{out}");
    // …but it ends below the checkpoint.
    let out = verify_with(&db, &cps, &public);
    assert!(!out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("truncated")
            && stdout.contains("seq 6")
            && stdout.contains("ends at seq 4"),
        "{stdout}"
    );
}

#[test]
fn a_recomputed_chain_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let db = database(dir.path(), 5);
    let (secret, public) = keys(dir.path());
    let cps = dir.path().join("cp").display().to_string();
    checkpoint_ok(&db, &secret, &cps);
    rewrite_and_recompute(&db, 3);
    // The chain alone is fooled…
    let out = run_ok(&["audit", "verify", "--database", &db]);
    assert!(out.contains("audit chain OK: 5 rows"), "{out}");
    // …the checkpoint is not.
    let out = verify_with(&db, &cps, &public);
    assert!(!out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("rewritten: seq 5"), "{stdout}");
    // And a checkpoint is not written over a broken chain.
    tamper(&db, "UPDATE audit SET purpose = 'x' WHERE seq = 2");
    let out = checkpoint(&db, &secret, &cps);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("broken at seq 2"));
}

#[test]
fn serve_writes_checkpoints_on_schedule_and_can_leave_the_schema_alone() {
    use std::time::Duration;
    let dir = tempfile::tempdir().unwrap();
    let db = database(dir.path(), 3);
    let (secret, public) = keys(dir.path());
    let field_keys = dir.path().join("field.keys");
    run_ok(&["keys", "generate", "--out", field_keys.to_str().unwrap()]);
    let cps = dir.path().join("scheduled");
    let configure = |c: &mut std::process::Command| {
        c.current_dir(dir.path())
            .env("BAOHO_AUDIT_CHECKPOINT_KEY", &secret)
            .env("BAOHO_AUDIT_CHECKPOINT_DIR", &cps)
            .env("BAOHO_AUDIT_CHECKPOINT_INTERVAL_SECS", "1");
    };
    let mut child = support::serve(&db, &field_keys, &["--no-migrate"], |c| {
        configure(c);
        c.stderr(std::process::Stdio::piped());
    })
    .child;
    // The server logs each checkpoint after writing its file: wait for that line.
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            if line.contains("audit checkpoint written") {
                let _ = tx.send(());
            }
        }
    });
    rx.recv_timeout(Duration::from_secs(120))
        .expect("a scheduled checkpoint was written");
    let written: Vec<_> = std::fs::read_dir(&cps)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
        .collect();
    assert!(!written.is_empty());
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    child.wait().unwrap();
    let out = verify_with(&db, cps.to_str().unwrap(), &public);
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    // A schema behind this build: `serve --no-migrate` refuses to start and says why.
    tamper(
        &db,
        "DELETE FROM _sqlx_migrations WHERE version = (SELECT max(version) FROM _sqlx_migrations)",
    );
    let mut refused = baoho();
    refused.env("BAOHO_KEY_FILE", &field_keys).args([
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--database",
        &db,
        "--no-migrate",
    ]);
    configure(&mut refused);
    let out = refused.output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("not current") && err.contains("baoho migrate"),
        "{err}"
    );
}

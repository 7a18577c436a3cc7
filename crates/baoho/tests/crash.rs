//! Durability under a hard crash: 500 concurrent case writes against the real `baoho serve`,
//! which is killed with SIGKILL after a random number of them were acknowledged; 20 rounds per
//! backend. Every write acknowledged with 201 must be present after restart, none duplicated,
//! and after every round the database passes its engine's structural check (SQLite
//! `integrity_check`, PostgreSQL `amcheck`), the store's invariants and the audit chain's
//! verification. No sleeps: the kill happens on a count of acknowledgements,
//! and every wait is on the server's own "running at" line or on the process ending.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use rand::{Rng, SeedableRng};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use support::*;

const ROUNDS: usize = 20;
const WRITES: usize = 500;

fn start(url: &str, keys: &std::path::Path) -> Served {
    serve(url, keys, &[], |c| {
        // 500 writes at once queue for the pool: let them wait (the default answers 503 after
        // 3 s, which a flood on a loaded machine can reach; this test counts only 201s anyway).
        c.env("BAOHO_LOG_LEVEL", "warn")
            .env("BAOHO_DATABASE_ACQUIRE_TIMEOUT_SECS", "60")
            .stderr(Stdio::null());
    })
}

enum Db {
    Sqlite(sqlx::SqlitePool),
    Pg(sqlx::PgPool),
}

impl Db {
    async fn count(&self, sql: &str) -> i64 {
        match self {
            Db::Sqlite(p) => sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .fetch_one(p)
                .await
                .unwrap(),
            Db::Pg(p) => sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .fetch_one(p)
                .await
                .unwrap(),
        }
    }
    async fn present(&self, ids: &[String]) -> i64 {
        if ids.is_empty() {
            return 0;
        }
        let list = ids
            .iter()
            .map(|i| format!("'{}'", i.replace('\'', "")))
            .collect::<Vec<_>>()
            .join(",");
        self.count(&format!(
            "SELECT COUNT(*) FROM case_file WHERE id IN ({list})"
        ))
        .await
    }
}

async fn run(url: String, db: Db) {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    baoho_store::crypto::generate_key_file(&keys, None).unwrap();
    run_ok(&["migrate", "--database", &url]);
    let create = create_account(
        &url,
        "crash.officer",
        "mission_officer",
        "EMB-JP-TOKYO",
        "a long enough passphrase",
    );
    assert!(create.status.success());
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let mut rng = rand::rngs::StdRng::seed_from_u64(0xBA0_0110);
    let mut session = None;
    let mut total_acked = 0usize;
    for round in 0..ROUNDS {
        let mut server = start(&url, &keys);
        let base = format!("http://{}", server.addr);
        if session.is_none() {
            session =
                Some(sign_in(&client, &base, "crash.officer", "a long enough passphrase").await);
        }
        let (cookie, csrf) = session.clone().unwrap();
        let before = db.count("SELECT COUNT(*) FROM case_file").await;
        let kill_after = rng.random_range(50..450);
        let acked = Arc::new(AtomicUsize::new(0));
        let (kill_tx, kill_rx) = tokio::sync::oneshot::channel::<()>();
        let kill_tx = Arc::new(std::sync::Mutex::new(Some(kill_tx)));
        let finished = Arc::new(AtomicUsize::new(0));
        let (all_tx, all_rx) = tokio::sync::oneshot::channel::<()>();
        let all_tx = Arc::new(std::sync::Mutex::new(Some(all_tx)));
        let mut tasks = Vec::with_capacity(WRITES);
        for i in 0..WRITES {
            let (client, base, cookie, csrf) =
                (client.clone(), base.clone(), cookie.clone(), csrf.clone());
            let (acked, kill_tx) = (acked.clone(), kill_tx.clone());
            let (finished, all_tx) = (finished.clone(), all_tx.clone());
            tasks.push(tokio::spawn(async move {
                let body = serde_json::json!({"case_type": "lost_documents", "priority": "normal", "channel": "mission", "country": "JP", "mission": "EMB-JP-TOKYO", "summary": format!("crash round {round} write {i}")});
                let res = client.post(format!("{base}/api/v1/cases")).header("cookie", cookie).header("x-csrf-token", csrf).json(&body).send().await;
                let id = match res {
                    Ok(r) if r.status() == 201 => r.json::<serde_json::Value>().await.ok().and_then(|v| v["id"].as_str().map(str::to_owned)),
                    _ => None,
                };
                if id.is_some()
                    && acked.fetch_add(1, Ordering::SeqCst) + 1 == kill_after
                    && let Some(tx) = kill_tx.lock().unwrap().take()
                {
                    let _ = tx.send(());
                }
                if finished.fetch_add(1, Ordering::SeqCst) + 1 == WRITES
                    && let Some(tx) = all_tx.lock().unwrap().take()
                {
                    let _ = tx.send(());
                }
                id
            }));
        }
        // Kill -9 as soon as `kill_after` writes were acknowledged (or all finished first).
        let pid = server.child.id();
        let mut kill_done = false;
        tokio::select! {
            Ok(()) = kill_rx => {
                let _ = Command::new("kill").args(["-KILL", &pid.to_string()]).status();
                kill_done = true;
            }
            _ = all_rx => {}
        }
        let mut ids = Vec::new();
        for t in tasks {
            if let Ok(Some(id)) = t.await {
                ids.push(id);
            }
        }
        if !kill_done {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
        }
        let _ = server.child.wait();
        // After the crash: every acknowledged write is there, nothing twice.
        let server2 = start(&url, &keys);
        let present = db.present(&ids).await;
        assert_eq!(
            present as usize,
            ids.len(),
            "round {round}: acknowledged writes lost"
        );
        let after = db.count("SELECT COUNT(*) FROM case_file").await;
        let created = (after - before) as usize;
        assert!(
            created >= ids.len() && created <= WRITES,
            "round {round}: {created} rows for {} acknowledged of {WRITES}",
            ids.len()
        );
        let audited = db
            .count("SELECT COUNT(*) FROM audit WHERE action = 'create' AND object_kind = 'case'")
            .await;
        assert_eq!(
            audited, after,
            "round {round}: one create audit row per case, in the same transaction"
        );
        // The engine's structural check, the store's invariants and the audit chain.
        assert_sound(&url, &format!("round {round}")).await;
        total_acked += ids.len();
        let mut s2 = server2;
        let _ = s2.child.kill();
        let _ = s2.child.wait();
    }
    assert!(total_acked >= ROUNDS * 50);
    eprintln!("crash test: {ROUNDS} rounds, {total_acked} acknowledged writes, all present");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_case_writes_survive_kill_9_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crash.db");
    let url = format!("sqlite://{}", path.display());
    // The schema first, then a reader pool for the checks (WAL: readers do not block).
    run_ok(&["migrate", "--database", &url]);
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}?mode=ro", path.display()))
        .await
        .unwrap();
    run(url, Db::Sqlite(pool)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_case_writes_survive_kill_9_on_postgres() {
    let Some(db) = baoho_store::testing::fresh_postgres().await else {
        return;
    };
    let url = db.url.expose().to_owned();
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    run(url, Db::Pg(pool)).await;
}

//! Defect 2 (lockout race) and defect 12 (lockout answers reveal no usernames).

use super::*;

const LIMIT: usize = 5; // baoho_server::auth::LOCK_AFTER
const ADDRESS_LIMIT: usize = 20; // baoho_server::auth::ADDRESS_LIMIT

/// 50 concurrent TOTP guesses with a stolen password: at most the limit are evaluated (one
/// "wrong second factor" audit row per evaluation), the rest are refused unevaluated, and
/// afterwards even the right code is refused.
async fn concurrent_totp_guesses(s: Server) {
    assert_eq!(LIMIT as i64, baoho_server::auth::LOCK_AFTER);
    s.account("victim").await;
    let pre = Arc::new(s.pre_mfa("victim").await);
    let code = wrong_code();
    let s = Arc::new(s);
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let (s, pre, code) = (s.clone(), pre.clone(), code.clone());
        tasks.spawn(async move { s.post_code(&pre, &code, "/").await.status().as_u16() });
    }
    let mut statuses = Vec::new();
    while let Some(r) = tasks.join_next().await {
        statuses.push(r.unwrap());
    }
    let evaluated = s
        .login_rows(AuditOutcome::Failed, "wrong second factor")
        .await
        .len();
    assert_eq!(evaluated, LIMIT, "evaluated guesses; statuses {statuses:?}");
    assert_eq!(statuses.iter().filter(|&&c| c == 401).count(), LIMIT);
    assert_eq!(statuses.iter().filter(|&&c| c == 429).count(), 50 - LIMIT);
    let now = chrono::Utc::now().timestamp();
    assert_eq!(s.post_code(&pre, &totp_at(now), "/").await.status(), 429);
    let victim = Accounts::new(s.db.store.as_ref())
        .by_username("victim")
        .await
        .unwrap()
        .unwrap();
    assert!(victim.locked_until.is_some(), "the account is locked");
    assert_eq!(victim.failed_logins, LIMIT as i64);
    let Ok(s) = Arc::try_unwrap(s) else {
        panic!("server still shared")
    };
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_totp_guesses_sqlite() {
    concurrent_totp_guesses(sqlite(|_| {}).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_totp_guesses_postgres() {
    let Some(db) = baoho_store::testing::fresh_postgres().await else {
        return;
    };
    concurrent_totp_guesses(spawn(db, |_| {}).await).await;
}

/// The address throttle checks and counts in one step: 50 concurrent failures from one
/// address, each with another (unknown) username: exactly the address limit are evaluated.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_failures_from_one_address() {
    let s = Arc::new(sqlite(|_| {}).await);
    let form = Arc::new(s.login_form().await);
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..50 {
        let (s, form) = (s.clone(), form.clone());
        tasks.spawn(async move {
            s.post_password(&form, &format!("ghost{i}"), "guess", "/", None)
                .await
                .status()
                .as_u16()
        });
    }
    let mut statuses = Vec::new();
    while let Some(r) = tasks.join_next().await {
        statuses.push(r.unwrap());
    }
    let evaluated = s
        .login_rows(AuditOutcome::Failed, "unknown username")
        .await
        .len();
    assert_eq!(evaluated, ADDRESS_LIMIT, "statuses {statuses:?}");
    assert_eq!(
        statuses.iter().filter(|&&c| c == 429).count(),
        50 - ADDRESS_LIMIT
    );
    let Ok(s) = Arc::try_unwrap(s) else {
        panic!("server still shared")
    };
    s.stop().await;
}

/// The message of the page's alert, if any.
fn alert(html: &str) -> Option<String> {
    let start = html.find("id=\"login-error\">")? + "id=\"login-error\">".len();
    Some(html[start..start + html[start..].find('<')?].to_owned())
}

/// An unknown username gets the answers a real account gets, failure by failure: the same
/// status and the same message, the lock included.
#[tokio::test]
async fn lockout_answers_do_not_reveal_which_usernames_exist() {
    let s = sqlite(|_| {}).await;
    s.account("real.person").await;
    let form = s.login_form().await;
    for i in 0..=LIMIT {
        let real = s
            .post_password(&form, "real.person", "not the password", "/", None)
            .await;
        let ghost = s
            .post_password(&form, "no.such.person", "not the password", "/", None)
            .await;
        let (rs, gs) = (real.status(), ghost.status());
        let (rb, gb) = (real.text().await.unwrap(), ghost.text().await.unwrap());
        assert_eq!(rs, gs, "attempt {i}");
        assert_eq!(alert(&rb), alert(&gb), "attempt {i}");
        assert!(alert(&rb).is_some());
        if i == LIMIT {
            assert_eq!(rs, 429, "locked after the limit");
        }
    }
    s.stop().await;
}

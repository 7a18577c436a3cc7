//! PostgreSQL's two roles: the owner migrates; the application role that `serve` runs as can
//! work (and append to the audit trail) but cannot rewrite the trail, disable its trigger, or
//! change the schema; a server that does not migrate checks the schema version instead.

use crate::support::*;
use baoho_store::testing::fresh_postgres;
use baoho_store::{DatabaseUrl, Store};

/// `url` with `user:password` in place of its credentials.
fn as_user(url: &DatabaseUrl, user: &str, password: &str) -> DatabaseUrl {
    let u = url.expose();
    let (scheme, rest) = u.split_once("://").unwrap();
    let rest = rest.split_once('@').map_or(rest, |(_, r)| r);
    DatabaseUrl::parse(&format!("{scheme}://{user}:{password}@{rest}")).unwrap()
}

fn refused(r: Result<sqlx::postgres::PgQueryResult, sqlx::Error>, what: &str) {
    match r {
        // insufficient_privilege (42501): not granted, or not the owner.
        Err(sqlx::Error::Database(d)) if d.code().as_deref() == Some("42501") => {}
        other => panic!("{what}: expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn the_application_role_cannot_rewrite_the_audit_trail() {
    use sqlx::Connection;
    let Some(db) = fresh_postgres().await else {
        return;
    };
    let owner = db.store.as_ref();
    let role = format!("baoho_app_{}", uuid::Uuid::new_v4().simple());
    let password = uuid::Uuid::new_v4().simple().to_string();
    raw(
        &db,
        &format!("CREATE ROLE {role} LOGIN PASSWORD '{password}'"),
    )
    .await
    .unwrap();
    // Bad names and the owner itself are refused; the role is granted.
    assert!(owner.grant_app_role("x; DROP TABLE audit").await.is_err());
    assert!(owner.grant_app_role("postgres").await.is_err());
    owner.grant_app_role(&role).await.unwrap();
    let app_url = as_user(&db.url, &role, &password);

    // `serve --no-migrate`: opened as the app role, the schema checked, not migrated.
    let app = baoho_store::open_existing(&app_url).await.unwrap();
    let s: &dyn Store = app.as_ref();
    // Everyday work goes on, and is audited.
    let w = World::new(s).await;
    let tokyo = w.officer("tokyo.app", TOKYO).await;
    tokyo.new_person("Nguyễn Văn An", "JP", TOKYO).await;
    assert!(s.verify_audit().await.unwrap().rows >= 2);

    let mut c = sqlx::PgConnection::connect(app_url.expose()).await.unwrap();
    for (sql, what) in [
        (
            "UPDATE audit SET purpose = 'rewritten' WHERE seq = 1",
            "UPDATE",
        ),
        (
            "DELETE FROM audit WHERE seq = (SELECT max(seq) FROM audit)",
            "DELETE",
        ),
        ("TRUNCATE audit", "TRUNCATE"),
        (
            "UPDATE audit_subject SET person_id = 'someone-else'",
            "UPDATE the index of who saw whom",
        ),
        (
            "DELETE FROM audit_subject",
            "DELETE the index of who saw whom",
        ),
        (
            "TRUNCATE audit_subject",
            "TRUNCATE the index of who saw whom",
        ),
        (
            "ALTER TABLE audit DISABLE TRIGGER audit_append_only",
            "DISABLE TRIGGER",
        ),
        (
            "ALTER TABLE audit DISABLE TRIGGER ALL",
            "DISABLE TRIGGER ALL",
        ),
        ("DROP TRIGGER audit_append_only ON audit", "DROP TRIGGER"),
        ("CREATE TABLE sneaky (x int)", "CREATE TABLE"),
        ("DELETE FROM _sqlx_migrations", "DELETE migrations"),
        (
            "CREATE TRIGGER t BEFORE INSERT ON audit FOR EACH ROW EXECUTE FUNCTION audit_append_only()",
            "CREATE TRIGGER",
        ),
    ] {
        refused(
            sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut c).await,
            what,
        );
    }
    c.close().await.unwrap();
    app.close().await;
    // The trail is intact (the matrix's verify, as the owner).
    verify(&db).await;
}

#[tokio::test]
async fn a_server_that_does_not_migrate_refuses_an_old_schema() {
    let Some(db) = fresh_postgres().await else {
        return;
    };
    baoho_store::open_existing(&db.url).await.unwrap();
    raw(
        &db,
        "DELETE FROM _sqlx_migrations WHERE version = (SELECT max(version) FROM _sqlx_migrations)",
    )
    .await
    .unwrap();
    let r = baoho_store::open_existing(&db.url).await;
    assert!(
        matches!(&r, Err(baoho_store::StoreError::Unavailable(m)) if m.contains("baoho migrate")),
        "{:?}",
        r.err()
    );
}

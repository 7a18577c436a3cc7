//! The Store contract: the same stories against SQLite and PostgreSQL, each on a fresh database,
//! each followed by the consistency check `support::verify()`. One test binary (`contract`), one
//! module per capability.

#![allow(clippy::unwrap_used, clippy::expect_used)]

/// One test per backend from one story taking `&dyn Store`, then `verify()` on that database.
macro_rules! contract {
    ($name:ident, $body:expr) => {
        contract_db!($name, async |db: &baoho_store::testing::TestDb| {
            ($body)(db.store.as_ref()).await
        });
    };
}

/// Like `contract!`, for stories that also need the database itself (its URL, raw connections).
/// `tampered:` marks a story that breaks the audit chain on purpose: `verify()` then checks that
/// the chain is reported broken, and every other invariant as usual.
macro_rules! contract_db {
    (tampered: $name:ident, $body:expr) => {
        contract_db!(@matrix $name, $body, crate::support::verify_tampered);
    };
    ($name:ident, $body:expr) => {
        contract_db!(@matrix $name, $body, crate::support::verify);
    };
    (@matrix $name:ident, $body:expr, $verify:path) => {
        mod $name {
            use super::*;
            #[tokio::test]
            async fn sqlite() {
                let db = baoho_store::testing::fresh_sqlite().await;
                eprintln!("contract {} on sqlite", stringify!($name));
                ($body)(&db).await;
                $verify(&db).await;
            }
            #[tokio::test]
            async fn postgres() {
                let Some(db) = baoho_store::testing::fresh_postgres().await else {
                    return;
                };
                eprintln!("contract {} on postgres", stringify!($name));
                ($body)(&db).await;
                $verify(&db).await;
            }
        }
    };
}

mod support;

mod accounts;
mod audit;
mod cases;
mod concurrency;
mod consistency;
mod durability;
mod key_rotation_order;
mod keys;
mod outbox;
mod persons;
mod pg_roles;
mod refdata;
mod restrictions;

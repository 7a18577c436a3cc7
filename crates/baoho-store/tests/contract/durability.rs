//! SQLite after a failed disk flush: the failing write is refused, every later write too
//! (until a restart), reads go on, and `durability()` says so.

use crate::support::*;
use baoho_store::testing::fresh_sqlite;
use baoho_store::{Db, OpenMode, StoreError};

fn stopped(r: &Result<impl std::fmt::Debug, StoreError>) -> bool {
    matches!(r, Err(StoreError::Unavailable(m)) if m.contains("until a restart"))
}

#[tokio::test]
async fn a_failed_flush_stops_writes_until_a_restart_and_reads_go_on() {
    let db = fresh_sqlite().await;
    let s = db.store.as_ref();
    let w = World::new(s).await;
    let tokyo = w.officer("tokyo.flush", TOKYO).await;
    let before = tokyo.new_person("Nguyễn Văn An", "JP", TOKYO).await;
    assert_eq!(s.durability().await.unwrap().synchronous, "1+wal-fsync");

    assert!(Db::of(s).fail_next_wal_sync());
    // The write whose flush fails is not acknowledged.
    let r = tokyo
        .persons()
        .create(person("Lê Thị Hoa", "JP", TOKYO))
        .await;
    assert!(matches!(r, Err(StoreError::Unavailable(_))), "{r:?}");
    // Every later write is refused (the next fsync could report success for pages the kernel
    // dropped), whatever its kind.
    for _ in 0..3 {
        let r = tokyo
            .persons()
            .create(person("Phạm Thị Lan", "JP", TOKYO))
            .await;
        assert!(stopped(&r), "{r:?}");
    }
    let r = s
        .append_audit(&baoho_store::AuditEntry::system(
            now(),
            baoho_store::AuditAction::Create,
            baoho_store::AuditOutcome::Allowed,
        ))
        .await;
    assert!(stopped(&r), "{r:?}");
    // Reads go on.
    assert!(!s.missions().await.unwrap().is_empty());
    assert!(s.verify_audit().await.unwrap().is_ok());
    assert_eq!(
        s.durability().await.unwrap().synchronous,
        "1+wal-fsync+stopped"
    );
    s.close().await;

    // A restart: SQLite recovers from what is on disk, and writes are taken again.
    let again = baoho_store::open(&db.url, OpenMode::MustExist)
        .await
        .unwrap();
    assert_eq!(again.durability().await.unwrap().synchronous, "1+wal-fsync");
    let w2 = World {
        s: again.as_ref(),
        keys: w.keys.clone(),
    };
    let tokyo2 = w2.officer("tokyo.after", TOKYO).await;
    tokyo2.new_person("Đặng Văn Đức", "JP", TOKYO).await;
    assert!(!before.is_empty());
    assert!(again.verify_audit().await.unwrap().is_ok());
    again.close().await;
}

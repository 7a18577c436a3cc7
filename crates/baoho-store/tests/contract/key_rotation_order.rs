//! Key rotation in an order a crash cannot hide (the key check last, so `keys check` reports a
//! stopped rotation), and blind indexes recomputed under the new key (passport search still
//! finds the person once the old key is gone).

use crate::support::*;
use baoho_store::{AccessCtx, EncryptedColumn, Keyring, Persons, Store, StoreError};
use std::sync::Arc;

/// A new active key `kid`, with `previous`'s keys kept to read with during the rotation.
fn successor(kid: &str, previous: &Keyring) -> Arc<Keyring> {
    let previous = Keyring::parse(&previous.to_key_file()).unwrap();
    Arc::new(Keyring::generate(kid).unwrap().with_previous(previous))
}

/// The active key alone: the old ones removed from the key file after the rotation.
fn active_only(ring: &Keyring) -> Arc<Keyring> {
    Arc::new(Keyring::parse(ring.to_key_file().lines().next().unwrap()).unwrap())
}

fn persons_with(s: &dyn Store, keys: &Arc<Keyring>, who: &baoho_store::Identity) -> Persons {
    Persons::new(
        s,
        keys.clone(),
        AccessCtx {
            who: who.clone(),
            request_id: "req-rotation".into(),
            purpose: String::new(),
            at: now(),
        },
    )
}

contract!(
    passport_search_finds_the_person_after_the_old_key_is_removed,
    async |s: &dyn Store| {
        let w = World::new(s).await;
        let old = w.keys.clone();
        old.check_against(s).await.unwrap();
        let tokyo = w.officer("tokyo.bidx", TOKYO).await;
        let id = tokyo.new_person("Nguyễn Văn An", "JP", TOKYO).await;
        assert_eq!(
            tokyo
                .persons()
                .search(&search("C1234567"))
                .await
                .unwrap()
                .hits[0]
                .id,
            id
        );
        let ring = successor("k2", &old);
        assert!(
            ring.pending(s, &[])
                .await
                .unwrap()
                .iter()
                .any(|p| p.what == "person_document.number_index (blind index)"),
            "the old index is pending"
        );
        ring.rotate(s, &[]).await.unwrap();
        assert_eq!(ring.pending(s, &[]).await.unwrap(), vec![]);
        let new_only = active_only(&ring);
        assert!(!new_only.check_against(s).await.unwrap().rotation_pending);
        // The old key is gone: the passport is still found (the index was recomputed).
        let p = persons_with(s, &new_only, &tokyo.who);
        let r = p.search(&search("C1234567")).await.unwrap();
        assert_eq!(r.hits.len(), 1, "{r:?}");
        assert_eq!(r.hits[0].id, id);
        // And written again under the new key alone, it is found the same way.
        let id2 = p
            .create(person("Lê Thị Hoa", "JP", TOKYO))
            .await
            .unwrap()
            .id;
        let r = p.search(&search("C1234567")).await.unwrap();
        let mut ids: Vec<_> = r.hits.iter().map(|h| h.id.clone()).collect();
        ids.sort();
        let mut want = vec![id, id2];
        want.sort();
        assert_eq!(ids, want);
    }
);

contract_db!(
    a_rotation_stopped_after_the_columns_leaves_the_key_check_pending,
    async |db: &baoho_store::testing::TestDb| {
        let s = db.store.as_ref();
        let w = World::new(s).await;
        let old = w.keys.clone();
        old.check_against(s).await.unwrap();
        let tokyo = w.officer("tokyo.crash", TOKYO).await;
        tokyo.new_person("Nguyễn Văn An", "JP", TOKYO).await;
        // A registered column whose last row cannot be decrypted: the rotation stops there,
        // after every other column, as a crash would.
        const COL: EncryptedColumn = EncryptedColumn {
            table: "rotation_crash_probe",
            id_column: "id",
            column: "secret",
        };
        raw(
            db,
            "CREATE TABLE rotation_crash_probe (id BIGINT PRIMARY KEY, secret TEXT)",
        )
        .await
        .unwrap();
        let good = old.encrypt_str(&COL.aad("1"), "fine").unwrap();
        raw(
            db,
            &format!(
                "INSERT INTO rotation_crash_probe (id, secret) VALUES (1, '{good}'), (2, 'v1:k1:AAAA')"
            ),
        )
        .await
        .unwrap();
        let ring = successor("k2", &old);
        let r = ring.rotate(s, &[COL]).await;
        assert!(r.is_err(), "{r:?}");
        // `keys check`: the rotation is reported pending, with what is left.
        let check = ring.check_against(s).await.unwrap();
        assert_eq!((check.kid.as_str(), check.rotation_pending), ("k1", true));
        let left = ring.pending(s, &[COL]).await.unwrap();
        let names: Vec<&str> = left.iter().map(|p| p.what.as_str()).collect();
        assert_eq!(
            names,
            vec![
                "key_check.envelope",
                "rotation_crash_probe.secret",
                "person_document.number_index (blind index)"
            ],
            "{left:?}"
        );
        // The key check cannot be sealed over unfinished work.
        let r = ring.finish_rotation(s, &[COL]).await;
        assert!(
            matches!(r, Err(StoreError::Invalid(ref m)) if m.contains("rotation_crash_probe.secret")),
            "{r:?}"
        );
        // The column step alone (as `keys rotate` runs it before the attachments) leaves the
        // key check under the old key too.
        raw(db, "DELETE FROM rotation_crash_probe WHERE id = 2")
            .await
            .unwrap();
        ring.rotate_columns(s, &[COL]).await.unwrap();
        assert!(ring.check_against(s).await.unwrap().rotation_pending);
        assert_eq!(ring.finish_rotation(s, &[COL]).await.unwrap(), 1);
        assert!(!ring.check_against(s).await.unwrap().rotation_pending);
        assert_eq!(ring.pending(s, &[COL]).await.unwrap(), vec![]);
    }
);

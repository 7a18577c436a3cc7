//! Field encryption: the key check, rotation of encrypted columns and attachments, and the
//! plaintext nowhere on disk.

use crate::support::*;
use baoho_store::cases::attachments::{AttachmentRotation, reencrypt_attachments};
use baoho_store::testing::{TestDb, fresh_sqlite};
use baoho_store::{Backend, Keyring, Store, StoreError};
use object_store::ObjectStoreExt;
use std::sync::Arc;

/// A new active key `kid`, with `previous`'s keys kept to read with during the rotation.
fn successor(kid: &str, previous: &Keyring) -> Arc<Keyring> {
    let previous = Keyring::parse(&previous.to_key_file()).unwrap();
    Arc::new(Keyring::generate(kid).unwrap().with_previous(previous))
}

/// The active key alone: the old ones gone after a rotation.
fn active_only(ring: &Keyring) -> Keyring {
    Keyring::parse(ring.to_key_file().lines().next().unwrap()).unwrap()
}

contract!(the_key_check_refuses_a_wrong_key, async |s: &dyn Store| {
    use baoho_store::CryptoError;
    let right = Keyring::generate("k1").unwrap();
    assert_eq!(s.key_check().await.unwrap(), None);
    let first = right.check_against(s).await.unwrap();
    assert_eq!((first.kid.as_str(), first.rotation_pending), ("k1", false));
    let stored = s.key_check().await.unwrap().unwrap();
    assert!(stored.starts_with("v1:k1:"));
    // Again: same value, still fine; a second establishment changes nothing.
    right.check_against(s).await.unwrap();
    s.init_key_check("v1:k9:AAAA").await.unwrap();
    assert_eq!(s.key_check().await.unwrap().unwrap(), stored);
    // Another key with the same id, or another id: refused.
    for wrong in [
        Keyring::generate("k1").unwrap(),
        Keyring::generate("k2").unwrap(),
    ] {
        let r = wrong.check_against(s).await;
        assert!(
            matches!(r, Err(StoreError::Crypto(CryptoError::WrongKey(ref k))) if k == "k1"),
            "{r:?}"
        );
    }
    // A new active key with the old one kept: accepted, rotation pending.
    let next = Keyring::generate("k2").unwrap().with_previous(right);
    let c = next.check_against(s).await.unwrap();
    assert!(c.rotation_pending);
});

contract_db!(
    rotation_reencrypts_registered_columns,
    async |db: &TestDb| {
        use baoho_store::EncryptedColumn;
        let s = db.store.as_ref();
        const COL: EncryptedColumn = EncryptedColumn {
            table: "rotation_probe",
            id_column: "id",
            column: "secret",
        };
        raw(
            db,
            "CREATE TABLE rotation_probe (id BIGINT PRIMARY KEY, secret TEXT, other TEXT NOT NULL)",
        )
        .await
        .unwrap();
        let old = Keyring::generate("old").unwrap();
        old.check_against(s).await.unwrap();
        let n = 1203; // more than two batches
        let mut sql = String::new();
        for i in 1..=n {
            let id = i.to_string();
            let env = old
                .encrypt_str(&COL.aad(&id), &format!("secret {i}"))
                .unwrap();
            sql.push_str(&format!(
                "INSERT INTO rotation_probe (id, secret, other) VALUES ({i}, '{env}', 'x');\n"
            ));
        }
        sql.push_str("INSERT INTO rotation_probe (id, secret, other) VALUES (0, NULL, 'x');");
        raw(db, &sql).await.unwrap();

        let ring = Keyring::generate("new").unwrap().with_previous(old);
        let done = ring.rotate(s, &[COL]).await.unwrap();
        assert_eq!(done.len(), baoho_store::crypto::ENCRYPTED_COLUMNS.len() + 1);
        assert_eq!(done[0].1, 1, "the key check row");
        assert_eq!(done.last(), Some(&(COL, n)));
        // Again: nothing left to do.
        let again = ring.rotate(s, &[COL]).await.unwrap();
        assert!(again.iter().all(|(_, k)| *k == 0), "{again:?}");
        // The old key can go: everything decrypts with the new key alone.
        let new_only = active_only(&ring);
        let check = new_only.check_against(s).await.unwrap();
        assert_eq!((check.kid.as_str(), check.rotation_pending), ("new", false));
        let rows: Vec<(String, String)> = match db.url.backend() {
            Backend::Sqlite => {
                let pool = sqlx::SqlitePool::connect(db.url.expose()).await.unwrap();
                sqlx::query_as(
                    "SELECT CAST(id AS TEXT), secret FROM rotation_probe WHERE secret IS NOT NULL",
                )
                .fetch_all(&pool)
                .await
                .unwrap()
            }
            Backend::Postgres => {
                let pool = sqlx::PgPool::connect(db.url.expose()).await.unwrap();
                sqlx::query_as(
                    "SELECT id::text, secret FROM rotation_probe WHERE secret IS NOT NULL",
                )
                .fetch_all(&pool)
                .await
                .unwrap()
            }
        };
        assert_eq!(rows.len() as u64, n);
        for (id, env) in rows {
            assert!(env.starts_with("v1:new:"));
            let pt = new_only.decrypt_string(&COL.aad(&id), &env).unwrap();
            assert_eq!(pt.as_str(), format!("secret {id}"));
        }
        // Unsafe identifiers are refused before any SQL is built.
        let evil = EncryptedColumn {
            table: "rotation_probe; DROP TABLE audit",
            id_column: "id",
            column: "secret",
        };
        assert!(matches!(
            s.reencrypt_column(&evil, &ring).await,
            Err(StoreError::Invalid(_))
        ));
    }
);

/// The plaintext of an encrypted field is nowhere in the SQLite files (database and WAL), while
/// an unencrypted control value is: the scan itself works.
#[tokio::test]
async fn encrypted_canary_is_not_in_the_sqlite_files() {
    use baoho_store::Aad;
    use sqlx::Connection;
    let db = fresh_sqlite().await;
    let ring = Keyring::generate("k1").unwrap();
    ring.check_against(db.store.as_ref()).await.unwrap();
    let canary = "CANARY-Nguyen-Thi-Trafficking-7f3a9c";
    let control = "CONTROL-plaintext-5b2e11";
    let mut c = sqlx::SqliteConnection::connect(db.url.expose())
        .await
        .unwrap();
    sqlx::raw_sql("CREATE TABLE canary_probe (id INTEGER PRIMARY KEY, secret TEXT NOT NULL, plain TEXT NOT NULL)")
        .execute(&mut c)
        .await
        .unwrap();
    for id in 1..=50i64 {
        let rid = id.to_string();
        let env = ring
            .encrypt_str(&Aad::new("canary_probe", "secret", &rid), canary)
            .unwrap();
        sqlx::query("INSERT INTO canary_probe (id, secret, plain) VALUES (?, ?, ?)")
            .bind(id)
            .bind(env)
            .bind(if id == 1 { control } else { "-" })
            .execute(&mut c)
            .await
            .unwrap();
    }
    let path = db.url.sqlite_path().unwrap().to_owned();
    let contains = |needle: &str| {
        let mut hit = Vec::new();
        for suffix in ["", "-wal"] {
            let file = format!("{path}{suffix}");
            if let Ok(bytes) = std::fs::read(&file)
                && bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
            {
                hit.push(file);
            }
        }
        hit
    };
    // Before the checkpoint the rows are in the WAL…
    assert!(!contains(control).is_empty(), "control value must be found");
    assert!(contains(canary).is_empty(), "{:?}", contains(canary));
    // …after it, in the main file.
    sqlx::query("PRAGMA wal_checkpoint(FULL)")
        .execute(&mut c)
        .await
        .unwrap();
    assert!(
        contains(control).iter().any(|f| !f.ends_with("-wal")),
        "control value in the main file after the checkpoint"
    );
    assert!(contains(canary).is_empty(), "{:?}", contains(canary));
    // And it reads back through the keyring.
    let env: String = sqlx::query_scalar("SELECT secret FROM canary_probe WHERE id = 7")
        .fetch_one(&mut c)
        .await
        .unwrap();
    assert_eq!(
        ring.decrypt_string(&Aad::new("canary_probe", "secret", "7"), &env)
            .unwrap()
            .as_str(),
        canary
    );
    verify(&db).await;
}

contract!(
    key_rotation_seals_attachments_again_and_resumes,
    async |s: &dyn Store| {
        let w = World::new(s).await;
        let old = w.keys.clone();
        old.check_against(s).await.unwrap();
        let tokyo = w.officer("tokyo.rot", TOKYO).await;
        let objects = object_store::memory::InMemory::new();
        let t = tokyo.cases();
        let case = t.create(intake("lost_documents", vec![])).await.unwrap();
        let id = case.summary.id.clone();
        let mut files = Vec::new();
        for i in 0..3 {
            let body = format!("%PDF-1.7 report {i}").into_bytes();
            let a = t
                .attach(&objects, &id, &format!("r{i}.pdf"), &body)
                .await
                .unwrap();
            files.push((a.id, body));
        }
        // A new active key, the old one kept to read with during the rotation.
        let ring = successor("k2", &old);
        ring.rotate(s, &[]).await.unwrap();
        let done = reencrypt_attachments(s, &ring, &objects).await.unwrap();
        assert_eq!(
            done,
            AttachmentRotation {
                checked: 3,
                rewritten: 3
            }
        );
        // Run again: nothing left to do.
        let again = reencrypt_attachments(s, &ring, &objects).await.unwrap();
        assert_eq!(again.rewritten, 0);
        // The old key can go: every attachment opens with the new key alone.
        let new_only = Arc::new(active_only(&ring));
        let n = tokyo.cases_with(&new_only, now());
        for (aid, body) in &files {
            let (meta, bytes) = n.download(&objects, &id, aid).await.unwrap();
            assert_eq!(&bytes, body);
            assert!(meta.file_name.ends_with(".pdf"));
        }
        // A damaged object stops the rotation with its id, and is not overwritten.
        let k3 = successor("k3", &new_only);
        let path = sealed_at(&id, &files[1].0);
        // A bit flipped in the sealed bytes: stopped, named, left as it was.
        let sealed = objects.get(&path).await.unwrap().bytes().await.unwrap();
        let mut flipped = sealed.to_vec();
        let at = flipped.len() / 2;
        flipped[at] = if flipped[at] == b'A' { b'B' } else { b'A' };
        objects.put(&path, flipped.clone().into()).await.unwrap();
        let err = reencrypt_attachments(s, &k3, &objects).await.unwrap_err();
        assert!(err.to_string().contains(&files[1].0), "{err}");
        let kept = objects.get(&path).await.unwrap().bytes().await.unwrap();
        assert_eq!(kept.as_ref(), flipped.as_slice());
        // Another file's bytes sealed under this one's id: its checksum stops the run.
        let other = ring
            .encrypt(
                &baoho_store::Aad::new("case_attachment", "bytes", &files[1].0),
                b"%PDF-1.7 something else",
            )
            .unwrap();
        objects.put(&path, other.clone().into()).await.unwrap();
        let err = reencrypt_attachments(s, &k3, &objects).await.unwrap_err();
        assert!(err.to_string().contains(&files[1].0), "{err}");
        let kept = objects.get(&path).await.unwrap().bytes().await.unwrap();
        assert_eq!(kept.as_ref(), other.as_bytes());
    }
);

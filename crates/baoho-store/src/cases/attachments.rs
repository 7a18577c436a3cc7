//! Case attachments: bytes in an object store (`object_store`: local disk by default,
//! S3-compatible in production), encrypted with the field key under the attachment's id; the
//! row (name encrypted, type, size, SHA-256) and its audit row in one transaction. Size and
//! type are limited; reading goes through the case's gate like everything else.

use crate::accounts::uuid_v7;
use crate::audit::{AuditAction, AuditEntry, AuditOutcome};
use crate::cases::Cases;
use crate::crypto::Aad;
use crate::db::{AuditTx, Commit, Dialect, on_db};
use crate::{Result, StoreError};
use baoho_domain::access::Verb;
use baoho_domain::person::FieldError;
use chrono::{DateTime, Utc};
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::Row;

/// Largest attachment accepted.
pub const MAX_BYTES: usize = 8 * 1024 * 1024;

/// The types accepted, by what the content is (checked on the bytes, not the name).
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if std::str::from_utf8(bytes).is_ok() && !bytes.contains(&0) {
        Some("text/plain; charset=utf-8")
    } else {
        None
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Attachment {
    pub id: String,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
}

fn invalid(field: &str, code: &'static str) -> StoreError {
    StoreError::Validation(vec![FieldError {
        field: field.into(),
        code,
    }])
}

fn object_err(e: object_store::Error) -> StoreError {
    StoreError::Unavailable(format!("attachment storage: {e}"))
}

impl Cases {
    fn attachment_entry(&self, action: AuditAction, case_id: &str, purpose: String) -> AuditEntry {
        let who = &self.ctx().who;
        AuditEntry::new(
            self.ctx().at,
            &who.account_id,
            action,
            AuditOutcome::Allowed,
        )
        .role(who.role.as_str())
        .agency(&who.agency.code)
        .object("case", case_id)
        .purpose(purpose)
        .request(&self.ctx().request_id)
    }

    /// Attach a file to a case (an edit of the case).
    pub async fn attach(
        &self,
        objects: &dyn ObjectStore,
        case_id: &str,
        file_name: &str,
        bytes: &[u8],
    ) -> Result<Attachment> {
        if bytes.is_empty() || bytes.len() > MAX_BYTES {
            return Err(invalid("file", "attachment.error.size"));
        }
        let content_type = sniff(bytes).ok_or_else(|| invalid("file", "attachment.error.type"))?;
        let name: String = baoho_domain::text::nfc(file_name.trim())
            .chars()
            .filter(|c| !c.is_control() && !matches!(c, '/' | '\\'))
            .take(200)
            .collect();
        let name = if name.is_empty() {
            "file".to_owned()
        } else {
            name
        };
        let id = uuid_v7();
        let sha = Sha256::digest(bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>();
        let keys = self.keys_ref().clone();
        let sealed = keys.encrypt(&Aad::new("case_attachment", "bytes", &id), bytes)?;
        let name_env = keys.encrypt_str(&Aad::new("case_attachment", "file_name", &id), &name)?;
        let at = self.ctx().at;
        let me = self.ctx().who.account_id.clone();
        let db = self.db_ref().clone();
        on_db!(db, |pool| {
            let (mut tx, s) = self
                .begin_gated(pool, case_id, Verb::Edit, AuditAction::Update)
                .await?;
            let key = format!("cases/{}/{}", s.id, id);
            // The object first: a crash between the two leaves an unreferenced object, never a
            // row without its bytes.
            objects
                .put(
                    &ObjectPath::from(key.as_str()),
                    PutPayload::from(sealed.into_bytes()),
                )
                .await
                .map_err(object_err)?;
            sqlx::query("INSERT INTO case_attachment (id, case_rid, file_name, content_type, size, sha256, object_key, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
                .bind(&id).bind(s.rid).bind(&name_env).bind(content_type).bind(bytes.len() as i64).bind(&sha).bind(&key).bind(at).bind(&me)
                .execute(&mut *tx).await?;
            tx.audit(&self.attachment_entry(
                AuditAction::Update,
                &s.id,
                format!("attachment {id} added"),
            ))
            .await?;
            tx.commit_in(&self.db).await?;
            Ok(Attachment {
                id,
                file_name: name,
                content_type: content_type.into(),
                size: bytes.len() as i64,
                sha256: sha,
                created_at: at,
                created_by: me,
            })
        })
    }

    /// The attachments of a case opened with [`Cases::get`] (names decrypted).
    pub async fn attachments(&self, case: &crate::cases::CaseRecord) -> Result<Vec<Attachment>> {
        let case_id = self.opened(case)?;
        let keys = self.keys_ref().clone();
        let db = self.db_ref().clone();
        on_db!(db, |pool| {
            let rows = sqlx::query("SELECT a.id, a.file_name, a.content_type, a.size, a.sha256, a.created_at, a.created_by FROM case_attachment a JOIN case_file c ON c.rid = a.case_rid WHERE c.id = $1 ORDER BY a.created_at")
                .bind(case_id).fetch_all(pool).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                let id: String = r.try_get("id")?;
                let name: String = r.try_get("file_name")?;
                out.push(Attachment {
                    file_name: keys
                        .decrypt_string(&Aad::new("case_attachment", "file_name", &id), &name)?
                        .to_string(),
                    id,
                    content_type: r.try_get("content_type")?,
                    size: r.try_get("size")?,
                    sha256: r.try_get("sha256")?,
                    created_at: r.try_get("created_at")?,
                    created_by: r.try_get("created_by")?,
                });
            }
            Ok(out)
        })
    }

    /// Download one attachment (audited read of the case). The bytes are checked against the
    /// recorded SHA-256.
    pub async fn download(
        &self,
        objects: &dyn ObjectStore,
        case_id: &str,
        attachment_id: &str,
    ) -> Result<(Attachment, Vec<u8>)> {
        let case = self.get(case_id).await?;
        let list = self.attachments(&case).await?;
        let meta = list
            .into_iter()
            .find(|a| a.id == attachment_id)
            .ok_or(StoreError::NotFound)?;
        let key = format!("cases/{case_id}/{attachment_id}");
        let sealed = objects
            .get(&ObjectPath::from(key.as_str()))
            .await
            .map_err(object_err)?
            .bytes()
            .await
            .map_err(object_err)?;
        let sealed = std::str::from_utf8(&sealed)
            .map_err(|_| StoreError::Invalid("attachment envelope".into()))?;
        let bytes = self
            .keys_ref()
            .decrypt(&Aad::new("case_attachment", "bytes", attachment_id), sealed)?
            .to_vec();
        let sha = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>();
        if sha != meta.sha256 {
            return Err(StoreError::Invalid(
                "attachment does not match its checksum".into(),
            ));
        }
        let entry = self.attachment_entry(
            AuditAction::Read,
            case_id,
            format!("attachment {attachment_id} downloaded"),
        );
        let db = self.db_ref().clone();
        on_db!(db, |pool| {
            let mut tx = pool.begin_write(&self.db).await?;
            tx.audit(&entry).await?;
            tx.commit_in(&self.db).await?;
        });
        Ok((meta, bytes))
    }
}

/// How many attachments the database lists (a rotation checks their folder is there first).
pub async fn attachment_count(store: &dyn crate::Store) -> Result<i64> {
    let db = crate::Db::of(store);
    Ok(on_db!(db, |pool| {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM case_attachment")
            .fetch_one(pool)
            .await?
    }))
}

/// What [`reencrypt_attachments`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AttachmentRotation {
    /// Attachments looked at.
    pub checked: u64,
    /// Attachments whose bytes were sealed again under the active key.
    pub rewritten: u64,
}

/// The second half of a key rotation: seal again, under the ring's active key, the bytes of
/// every attachment that an older key sealed ([`crate::Keyring::rotate`] does the columns,
/// including the attachments' names). Each object is opened, checked against its recorded
/// SHA-256 and only then replaced, so a wrong key or a damaged object stops the rotation with
/// the attachment's id rather than writing something unreadable. Objects already under the
/// active key are left alone, so a stopped rotation is resumed by running it again.
pub async fn reencrypt_attachments(
    store: &dyn crate::Store,
    keys: &crate::Keyring,
    objects: &dyn ObjectStore,
) -> Result<AttachmentRotation> {
    const PAGE: i64 = 200;
    let db = crate::Db::of(store);
    let mut done = AttachmentRotation::default();
    let mut after = String::new();
    loop {
        let rows: Vec<(String, String, String)> = on_db!(db, |pool| {
            sqlx::query_as(
                "SELECT id, object_key, sha256 FROM case_attachment WHERE id > $1 ORDER BY id LIMIT $2",
            )
            .bind(&after)
            .bind(PAGE)
            .fetch_all(pool)
            .await?
        });
        let Some(last) = rows.last() else {
            return Ok(done);
        };
        after = last.0.clone();
        for (id, key, sha256) in &rows {
            done.checked += 1;
            // Whatever stops the run names the attachment (never its content).
            let named = |e: StoreError| {
                StoreError::Invalid(format!("attachment {id}: {e}; nothing of it was rewritten"))
            };
            let path = ObjectPath::from(key.as_str());
            let stored = objects
                .get(&path)
                .await
                .map_err(object_err)
                .map_err(named)?
                .bytes()
                .await
                .map_err(object_err)
                .map_err(named)?;
            let sealed = std::str::from_utf8(&stored)
                .map_err(|_| named(StoreError::Invalid("not an envelope".into())))?;
            if crate::Keyring::envelope_kid(sealed).map_err(named)? == keys.active_kid() {
                continue;
            }
            let aad = Aad::new("case_attachment", "bytes", id);
            let bytes = keys.decrypt(&aad, sealed).map_err(named)?;
            let sha = Sha256::digest(&bytes)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>();
            if &sha != sha256 {
                return Err(named(StoreError::Invalid(
                    "it does not match its checksum".into(),
                )));
            }
            let again = keys.encrypt(&aad, &bytes).map_err(named)?;
            objects
                .put(&path, PutPayload::from(again.into_bytes()))
                .await
                .map_err(object_err)
                .map_err(named)?;
            done.rewritten += 1;
        }
    }
}

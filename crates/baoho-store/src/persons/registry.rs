//! The whole person registry's identifying fields, read for the server's in-memory duplicate
//! matcher (the intake duplicate warning).
//!
//! This is the one read of persons that is not scoped to an identity: the matcher compares a
//! new person against everyone, and what it finds is shown to an officer only after it is
//! loaded again through that officer's scoped handle ([`crate::Persons::summaries`]). So the
//! rows never leave the server process, the read is the system's, and it leaves one system
//! audit row per build ([`RegistryFeed::audit_build`]), never one per person.

use crate::audit::{AuditAction, AuditEntry, AuditOutcome};
use crate::crypto::{Aad, Keyring};
use crate::db::{Db, on_db};
use crate::persons::birth_from;
use crate::{Result, Store};
use baoho_domain::date::PartialDate;
use baoho_domain::person::{DocumentKind, Sex};
use chrono::{DateTime, Utc};
use sqlx::Row;
use std::sync::Arc;

/// What the matcher compares of one person (decrypted document numbers included). Held in
/// memory only; never logged (`Debug` is left out on purpose).
#[derive(Clone, PartialEq, Eq)]
pub struct MatchRow {
    /// Insertion order of the row (pages are read after it).
    pub rid: i64,
    pub id: String,
    pub full_name: String,
    pub other_names: String,
    pub birth: Option<PartialDate>,
    pub sex: Sex,
    pub hometown: String,
    pub passports: Vec<String>,
    /// Citizen identity numbers (CCCD / CMND).
    pub national_ids: Vec<String>,
}

/// Most rows one [`RegistryFeed::page`] returns.
pub const MAX_PAGE: u32 = 10_000;

/// Reads the registry in pages of [`MatchRow`]s, in insertion order.
pub struct RegistryFeed {
    db: Db,
    keys: Arc<Keyring>,
}

impl RegistryFeed {
    pub fn new(store: &dyn Store, keys: Arc<Keyring>) -> Self {
        Self {
            db: Db::of(store),
            keys,
        }
    }

    /// Write the build's one audit row (a system `read` of the person registry), before the
    /// first page is read.
    pub async fn audit_build(&self, store: &dyn Store, at: DateTime<Utc>) -> Result<()> {
        store
            .append_audit(
                &AuditEntry::system(at, AuditAction::Read, AuditOutcome::Allowed)
                    .object("person", "")
                    .purpose("duplicate matcher: index of the whole registry built in memory"),
            )
            .await?;
        Ok(())
    }

    /// Up to `limit` persons (at most [`MAX_PAGE`]) inserted after `after` (a `rid`; 0 for
    /// the start), in `rid` order. An empty page is the end.
    pub async fn page(&self, after: i64, limit: u32) -> Result<Vec<MatchRow>> {
        let limit = i64::from(limit.clamp(1, MAX_PAGE));
        on_db!(self.db, |pool| {
            let rows = sqlx::query(
                "SELECT rid, id, full_name, other_names, birth_year, birth_month, birth_day, sex, hometown \
                 FROM person WHERE rid > $1 ORDER BY rid LIMIT $2",
            )
            .bind(after)
            .bind(limit)
            .fetch_all(pool)
            .await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                let sex: String = r.try_get("sex")?;
                out.push(MatchRow {
                    rid: r.try_get("rid")?,
                    id: r.try_get("id")?,
                    full_name: r.try_get("full_name")?,
                    other_names: r.try_get("other_names")?,
                    birth: birth_from(
                        r.try_get("birth_year")?,
                        r.try_get("birth_month")?,
                        r.try_get("birth_day")?,
                    ),
                    sex: Sex::parse(&sex).unwrap_or_default(),
                    hometown: r.try_get("hometown")?,
                    passports: vec![],
                    national_ids: vec![],
                });
            }
            let (Some(first), Some(last)) = (out.first(), out.last()) else {
                return Ok(out);
            };
            let docs = sqlx::query(
                "SELECT id, person_rid, kind, number FROM person_document \
                 WHERE person_rid >= $1 AND person_rid <= $2 AND kind IN ($3, $4) ORDER BY id",
            )
            .bind(first.rid)
            .bind(last.rid)
            .bind(DocumentKind::Passport.as_str())
            .bind(DocumentKind::CitizenId.as_str())
            .fetch_all(pool)
            .await?;
            for d in &docs {
                let doc_id: String = d.try_get("id")?;
                let rid: i64 = d.try_get("person_rid")?;
                let kind: String = d.try_get("kind")?;
                let number: String = d.try_get("number")?;
                let Ok(i) = out.binary_search_by_key(&rid, |m| m.rid) else {
                    continue;
                };
                let number = self
                    .keys
                    .decrypt_string(&Aad::new("person_document", "number", &doc_id), &number)?;
                let m = &mut out[i];
                if DocumentKind::parse(&kind) == Some(DocumentKind::Passport) {
                    m.passports.push(number.to_string());
                } else {
                    m.national_ids.push(number.to_string());
                }
            }
            Ok(out)
        })
    }
}

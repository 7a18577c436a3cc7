//! The partner agencies' side of referrals: their inbox and their answers.
//!
//! Partners reach referrals only through [`Inbox`], issued for their identity: a referral to
//! another agency, or one not sent (an override awaiting approval, or refused), does not exist
//! for them (404 and a denied audit row). They see the snapshot frozen when it was made and of
//! the consent only its purpose and day ([`InboxReferral`]); never the case, never a person's
//! record (ADR 0019).

use crate::accounts::uuid_v7;
use crate::audit::{AuditAction, AuditEntry, AuditOutcome};
use crate::cases::referrals::{
    InboxReferral, PARTNER_VISIBLE_SQL, REFERRAL_COLUMNS, RESPONSES, invalid, referral_from_row,
};
use crate::crypto::{Aad, Keyring};
use crate::db::{AuditTx, Commit, Db, Dialect, on_db};
use crate::persons::AccessCtx;
use crate::{Result, Store, StoreError};
use baoho_domain::access::Role;
use sqlx::Row;
use std::sync::Arc;

/// The statuses of [`PARTNER_VISIBLE_SQL`].
const PARTNER_VISIBLE: &[&str] = &["sent", "acknowledged", "accepted", "declined", "done"];

/// A partner agency's inbox, issued for one identity.
pub struct Inbox {
    db: Db,
    keys: Arc<Keyring>,
    ctx: AccessCtx,
}

impl Inbox {
    pub fn new(store: &dyn Store, keys: Arc<Keyring>, ctx: AccessCtx) -> Self {
        Self {
            db: Db::of(store),
            keys,
            ctx,
        }
    }

    fn entry(&self, action: AuditAction, outcome: AuditOutcome, id: &str) -> AuditEntry {
        let ok = id.len() <= 128 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        AuditEntry::new(self.ctx.at, &self.ctx.who.account_id, action, outcome)
            .role(self.ctx.who.role.as_str())
            .agency(&self.ctx.who.agency.code)
            .object("referral", if ok { id } else { "" })
            .request(&self.ctx.request_id)
    }

    fn is_partner(&self) -> bool {
        self.ctx.who.role == Role::PartnerLiaison
    }

    /// Referrals sent to my agency, newest first.
    pub async fn list(&self) -> Result<Vec<InboxReferral>> {
        if !self.is_partner() {
            return Err(StoreError::Forbidden);
        }
        let sql = format!(
            "SELECT {REFERRAL_COLUMNS} FROM case_referral r WHERE r.agency_code = $1 AND r.status IN {PARTNER_VISIBLE_SQL} ORDER BY r.created_at DESC LIMIT 500"
        );
        let entry = self.entry(AuditAction::Search, AuditOutcome::Allowed, "");
        on_db!(self.db, |pool| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(&self.ctx.who.agency.code)
                .fetch_all(pool)
                .await?;
            let out: Result<Vec<InboxReferral>> = rows
                .iter()
                .map(|r| referral_from_row(&self.keys, r).map(InboxReferral::from))
                .collect();
            let mut tx = pool.begin_write(&self.db).await?;
            tx.audit(&entry).await?;
            tx.commit_in(&self.db).await?;
            out
        })
    }

    /// One referral; another agency's, or a missing one, is NotFound with a denied row.
    pub async fn get(&self, id: &str) -> Result<InboxReferral> {
        let sql = format!(
            "SELECT {REFERRAL_COLUMNS}, r.agency_code AS owner FROM case_referral r WHERE r.id = $1"
        );
        on_db!(self.db, |pool| {
            let mut tx = pool.begin_write(&self.db).await?;
            let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
            let mine = match &row {
                Some(r) => {
                    let owner: String = r.try_get("owner")?;
                    let status: String = r.try_get("status")?;
                    self.is_partner()
                        && owner == self.ctx.who.agency.code
                        && PARTNER_VISIBLE.contains(&status.as_str())
                }
                None => false,
            };
            match row {
                Some(r) if mine => {
                    let out = InboxReferral::from(referral_from_row(&self.keys, &r)?);
                    tx.audit(&self.entry(AuditAction::Read, AuditOutcome::Allowed, id))
                        .await?;
                    tx.commit_in(&self.db).await?;
                    Ok(out)
                }
                _ => {
                    tx.audit(&self.entry(AuditAction::Read, AuditOutcome::Denied, id))
                        .await?;
                    tx.commit_in(&self.db).await?;
                    Err(StoreError::NotFound)
                }
            }
        })
    }

    /// Answer a referral: acknowledged, accepted, declined or done, with a note.
    pub async fn respond(&self, id: &str, status: &str, note: &str) -> Result<()> {
        if !RESPONSES.contains(&status) {
            return Err(invalid("status", "referral.error.response"));
        }
        let note = baoho_domain::text::nfc(note.trim());
        if note.chars().count() > 5000 {
            return Err(invalid("note", "case.error.body"));
        }
        // The same gate as reading (denied row and NotFound for others' referrals).
        let r = self.get(id).await?;
        let env = self
            .keys
            .encrypt_str(&Aad::new("case_referral", "response", &r.id), &note)?;
        let entry = self.entry(AuditAction::Update, AuditOutcome::Allowed, id);
        on_db!(self.db, |pool| {
            let mut tx = pool.begin_write(&self.db).await?;
            let case: (String, String) = sqlx::query_as("SELECT c.id, c.mission_code FROM case_referral r JOIN case_file c ON c.rid = r.case_rid WHERE r.id = $1")
                .bind(id).fetch_one(&mut *tx).await?;
            sqlx::query("UPDATE case_referral SET status = $2, response = $3, updated_at = $4, answered_by = $5 WHERE id = $1")
                .bind(id).bind(status).bind(&env).bind(self.ctx.at).bind(&self.ctx.who.account_id).execute(&mut *tx).await?;
            let payload = serde_json::json!({"mission": case.1, "kind": "referral_answered", "object_id": case.0, "actor": self.ctx.who.account_id, "case_members": true});
            sqlx::query("INSERT INTO outbox (id, kind, payload, created_at, next_attempt_at) VALUES ($1, 'notify_case', $2, $3, $3)")
                .bind(uuid_v7()).bind(payload.to_string()).bind(self.ctx.at).execute(&mut *tx).await?;
            tx.audit(&entry).await?;
            tx.commit_in(&self.db).await?;
        });
        Ok(())
    }
}

//! Who else may see a person: assignment to an officer, and break-glass access
//! (time-limited, with a reason, audited). A partner agency never reads a person's record: it
//! receives a case referral's snapshot (`cases::referrals`, ADR 0019).

use super::*;

impl Persons {
    /// Assign an account to a person (needed to see restricted records without break-glass).
    pub async fn assign(&self, id: &str, account_id: &str) -> Result<()> {
        on_db!(self.db, |pool| {
            let (mut tx, (s, _)) = self
                .begin_gated(pool, id, Verb::Edit, AuditAction::Update)
                .await?;
            sqlx::query("INSERT INTO person_assignment (person_rid, account_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .bind(s.rid)
                .bind(account_id)
                .execute(&mut *tx)
                .await?;
            let entry = self
                .entry(AuditAction::Update, AuditOutcome::Allowed, &s.id)
                .purpose(format!("assign {}", safe_object_id(account_id)));
            tx.audit(&entry).await?;
            tx.commit_in(&self.db).await?;
        });
        Ok(())
    }

    /// Break the glass on a restricted record: a written reason opens it to this officer for
    /// [`BREAK_GLASS_HOURS`]; the officer's supervisor and the heads of their agency are
    /// notified in the same transaction. Scope is never widened: outside it, NotFound.
    pub async fn break_glass(&self, id: &str, reason: &str) -> Result<()> {
        let reason = baoho_domain::text::nfc(reason.trim());
        if !(BreakGlass { reason: &reason }).is_valid() {
            return Err(StoreError::Validation(vec![FieldError {
                field: "reason".into(),
                code: "person.error.reason_required",
            }]));
        }
        on_db!(self.db, |pool| {
            let mut tx = pool.begin_write(&self.db).await?;
            let sql = self.scope_sql(pool.agg());
            let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .bind(self.ctx.who.account_id.as_str())
                .bind(self.ctx.at)
                .fetch_optional(&mut *tx)
                .await?;
            let s = match row {
                Some(r) => Some(self.scope_from_row(&r)?),
                None => None,
            };
            let bg = BreakGlass { reason: &reason };
            let allowed = s
                .as_ref()
                .filter(|s| decide(&self.ctx.who, Verb::Read, &s.scope, Some(&bg)).is_allowed());
            let Some(s) = allowed else {
                tx.audit(&self.entry(AuditAction::BreakGlass, AuditOutcome::Denied, id))
                    .await?;
                tx.commit_in(&self.db).await?;
                return Err(StoreError::NotFound);
            };
            let grant = uuid_v7();
            let envelope = self
                .keys
                .encrypt_str(&Aad::new("break_glass", "reason", &grant), &reason)?;
            sqlx::query("INSERT INTO break_glass (id, person_rid, account_id, reason, at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(&grant)
                .bind(s.rid)
                .bind(&self.ctx.who.account_id)
                .bind(&envelope)
                .bind(self.ctx.at)
                .bind(self.ctx.at + Duration::hours(BREAK_GLASS_HOURS))
                .execute(&mut *tx)
                .await?;
            // The supervisor, and every head of mission or HQ head of the officer's agency.
            let recipients: Vec<String> = sqlx::query_scalar(
                "SELECT id FROM account WHERE disabled = $4 AND id <> $3 AND (id = (SELECT supervisor_id FROM account WHERE id = $3) OR (role = $1 AND agency_code = $2))",
            )
            .bind(Role::HeadOfMission.as_str())
            .bind(&self.ctx.who.agency.code)
            .bind(&self.ctx.who.account_id)
            .bind(false)
            .fetch_all(&mut *tx)
            .await?;
            for r in &recipients {
                sqlx::query("INSERT INTO notification (id, recipient, kind, object_kind, object_id, actor, at) VALUES ($1, $2, 'break_glass', 'person', $3, $4, $5)")
                    .bind(uuid_v7())
                    .bind(r)
                    .bind(&s.id)
                    .bind(&self.ctx.who.account_id)
                    .bind(self.ctx.at)
                    .execute(&mut *tx)
                    .await?;
            }
            let entry = self
                .entry(AuditAction::BreakGlass, AuditOutcome::Allowed, &s.id)
                .purpose(format!("grant {grant}; {} notified", recipients.len()));
            tx.audit(&entry).await?;
            tx.commit_in(&self.db).await?;
        });
        Ok(())
    }

    /// Whether this identity could break the glass on `id` (the record exists in scope and is
    /// only closed by its restricted category). Writes nothing; used to offer the form.
    pub async fn can_break_glass(&self, id: &str) -> Result<bool> {
        on_db!(self.db, |pool| {
            let sql = self.scope_sql(pool.agg());
            let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .bind(self.ctx.who.account_id.as_str())
                .bind(self.ctx.at)
                .fetch_optional(pool)
                .await?;
            let Some(row) = row else { return Ok(false) };
            let s = self.scope_from_row(&row)?;
            Ok(decide(&self.ctx.who, Verb::Read, &s.scope, None)
                == Decision::Deny(baoho_domain::access::DenyReason::RestrictedNeedsAssignment))
        })
    }
}

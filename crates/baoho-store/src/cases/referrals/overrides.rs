//! The second person's decision on a referral sent without the person's consent: approved, it
//! goes to the partner; refused, with a reason, it is never sent. Never decided by the one who
//! asked for it (ADR 0019).

use super::*;

impl Cases {
    /// A second person approves a referral sent without consent: it goes to the partner.
    /// Refused (403 and a denied audit row) to the one who asked for it and to whoever may not
    /// approve ([`may_approve`]).
    pub async fn approve_referral(&self, case_id: &str, referral_id: &str) -> Result<()> {
        self.decide_override(case_id, referral_id, None).await
    }

    /// A second person refuses a referral sent without consent, with a reason (at least 15
    /// characters): it is never sent, and its sender is told. The same people as
    /// [`Cases::approve_referral`].
    pub async fn refuse_referral(
        &self,
        case_id: &str,
        referral_id: &str,
        reason: &str,
    ) -> Result<()> {
        let reason = baoho_domain::text::nfc(reason.trim());
        if !says_enough(&reason) || reason.chars().count() > 2000 {
            return Err(invalid("reason", "referral.error.refusal_reason"));
        }
        self.decide_override(case_id, referral_id, Some(&reason))
            .await
    }

    /// Approve (`refusal` None) or refuse an override awaiting approval.
    async fn decide_override(
        &self,
        case_id: &str,
        referral_id: &str,
        refusal: Option<&str>,
    ) -> Result<()> {
        let case = self.get(case_id).await?;
        let who = self.ctx().who.clone();
        let at = self.ctx().at;
        let verb = if refusal.is_some() {
            "refused"
        } else {
            "approved"
        };
        let entry = |outcome: AuditOutcome, what: String| {
            AuditEntry::new(
                at,
                &who.account_id,
                if refusal.is_none() && outcome == AuditOutcome::Allowed {
                    AuditAction::Disclose
                } else {
                    AuditAction::Update
                },
                outcome,
            )
            .role(who.role.as_str())
            .agency(&who.agency.code)
            .object("case", &case.summary.id)
            .purpose(what)
            .request(&self.ctx().request_id)
        };
        let safe_id = if referral_id.len() <= 64
            && referral_id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            referral_id
        } else {
            "?"
        };
        let keys = self.keys_ref().clone();
        let db = self.db_ref().clone();
        on_db!(db, |pool| {
            let mut tx = pool.begin_write(&self.db).await?;
            let row = sqlx::query("SELECT r.agency_code, r.created_by FROM case_referral r JOIN case_file c ON c.rid = r.case_rid WHERE r.id = $1 AND c.id = $2 AND r.status = 'awaiting_approval'")
                .bind(referral_id).bind(&case.summary.id).fetch_optional(&mut *tx).await?;
            let Some(row) = row else {
                return Err(StoreError::NotFound);
            };
            let agency: String = row.try_get("agency_code")?;
            let by: String = row.try_get("created_by")?;
            let why_not = if by == who.account_id {
                Some("their own")
            } else if !may_approve(&who, &case.summary.mission) {
                Some("not an approver")
            } else {
                None
            };
            if let Some(why_not) = why_not {
                let e = entry(
                    AuditOutcome::Denied,
                    format!("referral {safe_id} override not {verb}: {why_not}"),
                );
                tx.audit(&e).await?;
                tx.commit_in(&self.db).await?;
                return Err(StoreError::Forbidden);
            }
            match refusal {
                None => {
                    sqlx::query("UPDATE case_referral SET status = 'sent', approved_by = $2, decided_at = $3, updated_at = $3 WHERE id = $1 AND status = 'awaiting_approval'")
                        .bind(referral_id).bind(&who.account_id).bind(at).execute(&mut *tx).await?;
                    if partner_state(&agency).is_none() {
                        let payload = serde_json::json!({"agency": agency, "kind": "referral_received", "object_kind": "referral", "object_id": referral_id, "actor": who.account_id});
                        sqlx::query("INSERT INTO outbox (id, kind, payload, created_at, next_attempt_at) VALUES ($1, 'notify_agency', $2, $3, $3)")
                            .bind(uuid_v7()).bind(payload.to_string()).bind(at).execute(&mut *tx).await?;
                    }
                }
                Some(reason) => {
                    let env = keys.encrypt_str(
                        &Aad::new("case_referral", "refusal_reason", referral_id),
                        reason,
                    )?;
                    sqlx::query("UPDATE case_referral SET status = 'refused', refused_by = $2, refusal_reason = $3, decided_at = $4, updated_at = $4 WHERE id = $1 AND status = 'awaiting_approval'")
                        .bind(referral_id).bind(&who.account_id).bind(&env).bind(at).execute(&mut *tx).await?;
                }
            }
            // The sender learns the decision.
            let payload = serde_json::json!({"recipient": by, "kind": format!("referral_{verb}"), "object_kind": "case", "object_id": case.summary.id, "actor": who.account_id});
            sqlx::query("INSERT INTO outbox (id, kind, payload, created_at, next_attempt_at) VALUES ($1, 'notify', $2, $3, $3)")
                .bind(uuid_v7()).bind(payload.to_string()).bind(at).execute(&mut *tx).await?;
            tx.audit(&entry(
                AuditOutcome::Allowed,
                format!("referral {safe_id} to {agency}: override {verb}"),
            ))
            .await?;
            tx.commit_in(&self.db).await?;
        });
        Ok(())
    }
}

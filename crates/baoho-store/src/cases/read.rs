//! Opening a case: the audited read of one case and its parts.

use super::*;

impl Cases {
    /// Open a case (audited `read`).
    pub async fn get(&self, id: &str) -> Result<CaseRecord> {
        on_db!(self.db, |pool| {
            let (mut tx, s) = self
                .begin_gated(pool, id, Verb::Read, AuditAction::Read)
                .await?;
            let sql = format!(
                "SELECT {SUMMARY_COLUMNS}, c.version, c.channel, c.city, c.private_data FROM case_file c WHERE c.rid = $1"
            );
            let r = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(s.rid)
                .fetch_one(&mut *tx)
                .await?;
            let summary = self.summary_from_row(&r)?;
            let env: Option<String> = r.try_get("private_data")?;
            let private: Private = match env {
                Some(e) => {
                    let json = self
                        .keys
                        .decrypt_string(&Aad::new("case_file", "private_data", &s.id), &e)?;
                    serde_json::from_str(&json).map_err(|e| StoreError::Invalid(e.to_string()))?
                }
                None => Private::default(),
            };
            let channel: String = r.try_get("channel")?;
            let persons: Vec<String> = sqlx::query_scalar("SELECT p.id FROM case_person cp JOIN person p ON p.rid = cp.person_rid WHERE cp.case_rid = $1 ORDER BY p.rid")
                .bind(s.rid).fetch_all(&mut *tx).await?;
            let members: Vec<String> = sqlx::query_scalar(
                "SELECT account_id FROM case_member WHERE case_rid = $1 ORDER BY account_id",
            )
            .bind(s.rid)
            .fetch_all(&mut *tx)
            .await?;
            let checks_done: Vec<i64> =
                sqlx::query_scalar("SELECT item FROM case_check WHERE case_rid = $1 ORDER BY item")
                    .bind(s.rid)
                    .fetch_all(&mut *tx)
                    .await?;
            let rows = sqlx::query("SELECT id, kind, at, author, body, amount_minor, currency, repayment FROM case_event WHERE case_rid = $1 ORDER BY at DESC, id DESC")
                .bind(s.rid).fetch_all(&mut *tx).await?;
            let mut events = Vec::with_capacity(rows.len());
            for e in &rows {
                let eid: String = e.try_get("id")?;
                let body: Option<String> = e.try_get("body")?;
                events.push(CaseEvent {
                    body: match body {
                        Some(b) => self
                            .keys
                            .decrypt_string(&Aad::new("case_event", "body", &eid), &b)?
                            .to_string(),
                        None => String::new(),
                    },
                    id: eid,
                    kind: e.try_get("kind")?,
                    at: e.try_get("at")?,
                    author: e.try_get("author")?,
                    amount_minor: e.try_get("amount_minor")?,
                    currency: e.try_get("currency")?,
                    repayment: e.try_get("repayment")?,
                });
            }
            tx.audit(&self.entry(AuditAction::Read, AuditOutcome::Allowed, &s.id))
                .await?;
            tx.commit_in(&self.db).await?;
            Ok(CaseRecord {
                opened: Opened(self.ctx.who.account_id.clone()),
                version: s.version,
                channel: Channel::parse(&channel).unwrap_or(Channel::Mission),
                city: r.try_get("city")?,
                description: private.summary,
                reporter: private.reporter,
                reporter_contact: private.reporter_contact,
                details: private.details,
                persons,
                members,
                checks_done,
                events,
                summary,
            })
        })
    }
}

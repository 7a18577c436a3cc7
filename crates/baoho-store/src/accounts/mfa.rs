//! MFA material: TOTP enrolment, replay protection of TOTP steps, recovery codes.

use super::*;

impl Accounts {
    /// Store a newly enrolled TOTP secret (an envelope) and the hashes of fresh recovery codes,
    /// replacing any earlier ones.
    pub async fn enrol_totp(
        &self,
        id: &str,
        secret_envelope: &str,
        step: i64,
        recovery_hashes: &[String],
        audit: AuditEntry,
    ) -> Result<()> {
        on_db!(self.db, |pool| {
            let mut tx = pool.begin_write(&self.db).await?;
            sqlx::query("UPDATE account SET totp_secret = $2, totp_last_step = $3, updated_at = $4 WHERE id = $1")
                .bind(id)
                .bind(secret_envelope)
                .bind(step)
                .bind(audit.at)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM recovery_code WHERE account_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            for h in recovery_hashes {
                sqlx::query("INSERT INTO recovery_code (account_id, code_hash) VALUES ($1, $2)")
                    .bind(id)
                    .bind(h)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.audit(&audit).await?;
            tx.commit_in(&self.db).await?;
        });
        Ok(())
    }

    /// Accept a TOTP time step once: false if this step (or a later one) was already used.
    pub async fn accept_totp_step(&self, id: &str, step: i64) -> Result<bool> {
        on_db!(self.db, |pool| {
            // One statement, still through the writer and the durable commit.
            let mut tx = pool.begin_write(&self.db).await?;
            let r = sqlx::query("UPDATE account SET totp_last_step = $2 WHERE id = $1 AND (totp_last_step IS NULL OR totp_last_step < $2)")
                .bind(id)
                .bind(step)
                .execute(&mut *tx)
                .await?;
            tx.commit_in(&self.db).await?;
            Ok(r.rows_affected() == 1)
        })
    }

    /// Spend a recovery code (by hash): true if it existed and was unused.
    pub async fn use_recovery_code(
        &self,
        id: &str,
        code_hash: &str,
        at: DateTime<Utc>,
    ) -> Result<bool> {
        on_db!(self.db, |pool| {
            // One statement, still through the writer and the durable commit.
            let mut tx = pool.begin_write(&self.db).await?;
            let r = sqlx::query("UPDATE recovery_code SET used_at = $3 WHERE account_id = $1 AND code_hash = $2 AND used_at IS NULL")
                .bind(id)
                .bind(code_hash)
                .bind(at)
                .execute(&mut *tx)
                .await?;
            tx.commit_in(&self.db).await?;
            Ok(r.rows_affected() == 1)
        })
    }

    pub async fn unused_recovery_codes(&self, id: &str) -> Result<i64> {
        on_db!(self.db, |pool| {
            Ok(sqlx::query_scalar::<_, i64>(
                "SELECT COUNT(*) FROM recovery_code WHERE account_id = $1 AND used_at IS NULL",
            )
            .bind(id)
            .fetch_one(pool)
            .await?)
        })
    }
}

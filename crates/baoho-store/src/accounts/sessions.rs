//! Login sessions, stored by the hash of their token.

use super::*;

impl Accounts {
    pub async fn create_session(&self, s: &Session) -> Result<()> {
        on_db!(self.db, |pool| {
            // One statement, still through the writer and the durable commit.
            let mut tx = pool.begin_write(&self.db).await?;
            sqlx::query("INSERT INTO session (token_hash, account_id, csrf, mfa_ok, created_at, last_seen_at) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(&s.token_hash)
                .bind(&s.account_id)
                .bind(&s.csrf)
                .bind(s.mfa_ok)
                .bind(s.created_at)
                .bind(s.last_seen_at)
                .execute(&mut *tx)
                .await?;
            tx.commit_in(&self.db).await?;
        });
        Ok(())
    }

    pub async fn session(&self, token_hash: &str) -> Result<Option<Session>> {
        on_db!(self.db, |pool| {
            match sqlx::query("SELECT token_hash, account_id, csrf, mfa_ok, created_at, last_seen_at FROM session WHERE token_hash = $1")
                .bind(token_hash)
                .fetch_optional(pool)
                .await?
            {
                Some(r) => Ok(Some(session_from_row(&r)?)),
                None => Ok(None),
            }
        })
    }

    pub async fn touch_session(&self, token_hash: &str, at: DateTime<Utc>) -> Result<()> {
        on_db!(self.db, |pool| {
            // One statement, still through the writer and the durable commit.
            let mut tx = pool.begin_write(&self.db).await?;
            sqlx::query("UPDATE session SET last_seen_at = $2 WHERE token_hash = $1")
                .bind(token_hash)
                .bind(at)
                .execute(&mut *tx)
                .await?;
            tx.commit_in(&self.db).await?;
        });
        Ok(())
    }

    /// Replace a session by a new one (new token, new CSRF token) after the second factor:
    /// a token seen before login is worthless after it (no session fixation).
    pub async fn upgrade_session(&self, old_hash: &str, new: &Session) -> Result<()> {
        on_db!(self.db, |pool| {
            let mut tx = pool.begin_write(&self.db).await?;
            let r = sqlx::query("DELETE FROM session WHERE token_hash = $1")
                .bind(old_hash)
                .execute(&mut *tx)
                .await?;
            if r.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
            sqlx::query("INSERT INTO session (token_hash, account_id, csrf, mfa_ok, created_at, last_seen_at) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(&new.token_hash)
                .bind(&new.account_id)
                .bind(&new.csrf)
                .bind(new.mfa_ok)
                .bind(new.created_at)
                .bind(new.last_seen_at)
                .execute(&mut *tx)
                .await?;
            tx.commit_in(&self.db).await?;
        });
        Ok(())
    }

    pub async fn delete_session(&self, token_hash: &str) -> Result<()> {
        on_db!(self.db, |pool| {
            // One statement, still through the writer and the durable commit.
            let mut tx = pool.begin_write(&self.db).await?;
            sqlx::query("DELETE FROM session WHERE token_hash = $1")
                .bind(token_hash)
                .execute(&mut *tx)
                .await?;
            tx.commit_in(&self.db).await?;
        });
        Ok(())
    }

    /// Remove sessions idle since before `idle_before` or created before `created_before`.
    pub async fn purge_sessions(
        &self,
        idle_before: DateTime<Utc>,
        created_before: DateTime<Utc>,
    ) -> Result<u64> {
        on_db!(self.db, |pool| {
            // One statement, still through the writer and the durable commit.
            let mut tx = pool.begin_write(&self.db).await?;
            let r = sqlx::query("DELETE FROM session WHERE last_seen_at < $1 OR created_at < $2")
                .bind(idle_before)
                .bind(created_before)
                .execute(&mut *tx)
                .await?;
            tx.commit_in(&self.db).await?;
            Ok(r.rows_affected())
        })
    }
}

//! In-app notifications (written by the outbox's delivery).

use super::*;

impl Accounts {
    pub async fn notifications(&self, recipient: &str, limit: i64) -> Result<Vec<Notification>> {
        on_db!(self.db, |pool| {
            let rows = sqlx::query("SELECT id, recipient, kind, object_kind, object_id, actor, at, read_at FROM notification WHERE recipient = $1 ORDER BY at DESC LIMIT $2")
                .bind(recipient)
                .bind(limit)
                .fetch_all(pool)
                .await?;
            rows.iter()
                .map(|r| {
                    Ok(Notification {
                        id: r.try_get("id")?,
                        recipient: r.try_get("recipient")?,
                        kind: r.try_get("kind")?,
                        object_kind: r.try_get("object_kind")?,
                        object_id: r.try_get("object_id")?,
                        actor: r.try_get("actor")?,
                        at: r.try_get("at")?,
                        read_at: r.try_get("read_at")?,
                    })
                })
                .collect()
        })
    }
}

//! Deadlines: overdue cases escalate, as the system.

use super::*;

/// Escalate every open case whose deadline has passed further than its recorded escalation:
/// raise its level, add a timeline entry, and queue a notice (outbox) to the next level up —
/// all in one transaction per case, audited as the system. Returns the cases escalated.
pub async fn escalate_overdue(
    store: &dyn Store,
    keys: &Keyring,
    now: DateTime<Utc>,
) -> Result<u64> {
    let db = Db::of(store);
    let mut n = 0;
    on_db!(db, |pool| {
        let rows = sqlx::query("SELECT rid, id, mission_code, lead_officer, opened_at, due_at, escalation FROM case_file WHERE status NOT IN ('resolved', 'closed') AND due_at <= $1 AND escalation < 3 ORDER BY due_at LIMIT 10000")
            .bind(now)
            .fetch_all(pool)
            .await?;
        for r in &rows {
            let rid: i64 = r.try_get("rid")?;
            let id: String = r.try_get("id")?;
            let opened: DateTime<Utc> = r.try_get("opened_at")?;
            let due: DateTime<Utc> = r.try_get("due_at")?;
            let current: i64 = r.try_get("escalation")?;
            let target = escalation(opened, due, now);
            if target.level() <= current {
                continue;
            }
            let mission: String = r.try_get("mission_code")?;
            let lead: Option<String> = r.try_get("lead_officer")?;
            let mut tx = pool.begin_write(&db).await?;
            let changed = sqlx::query(
                "UPDATE case_file SET escalation = $2 WHERE rid = $1 AND escalation = $3",
            )
            .bind(rid)
            .bind(target.level())
            .bind(current)
            .execute(&mut *tx)
            .await?;
            if changed.rows_affected() == 0 {
                tx.commit_in(&db).await?;
                continue;
            }
            let eid = uuid_v7();
            let body = keys.encrypt_str(
                &Aad::new("case_event", "body", &eid),
                &format!("escalated to {}", target.as_str()),
            )?;
            sqlx::query("INSERT INTO case_event (id, case_rid, kind, at, author, body) VALUES ($1, $2, 'escalation', $3, 'system', $4)")
                .bind(&eid).bind(rid).bind(now).bind(&body).execute(&mut *tx).await?;
            let payload = serde_json::json!({"kind": "case_escalated", "object_id": id, "mission": mission, "lead": lead, "level": target.as_str(), "actor": "system"});
            sqlx::query("INSERT INTO outbox (id, kind, payload, created_at, next_attempt_at) VALUES ($1, 'escalate', $2, $3, $3)")
                .bind(uuid_v7()).bind(payload.to_string()).bind(now).execute(&mut *tx).await?;
            let entry = AuditEntry::system(now, AuditAction::Update, AuditOutcome::Allowed)
                .object("case", &id)
                .purpose(format!("escalated to {}", target.as_str()));
            tx.audit(&entry).await?;
            tx.commit_in(&db).await?;
            n += 1;
        }
    });
    Ok(n)
}

//! The durable outbox: rows written in the same transaction as the change that causes them,
//! delivered later (claimed, delivered, marked done), and drained explicitly in tests.

use crate::accounts::uuid_v7;
use crate::db::{Commit, Db, Dialect, TxConn, on_db};
use crate::{Result, Store};
use baoho_domain::access::Role;
use chrono::{DateTime, Utc};
use sqlx::Row;

pub(crate) async fn outbox_push<DB, T>(
    tx: &mut T,
    kind: &str,
    payload: &serde_json::Value,
    now: DateTime<Utc>,
) -> Result<()>
where
    DB: sqlx::Database,
    T: TxConn<Db = DB>,
    for<'e> &'e mut DB::Connection: sqlx::Executor<'e, Database = DB>,
    DB::Arguments: sqlx::IntoArguments<DB>,
    for<'a> String: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    for<'a> &'a str: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    for<'a> DateTime<Utc>: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    sqlx::query("INSERT INTO outbox (id, kind, payload, created_at, next_attempt_at) VALUES ($1, $2, $3, $4, $4)")
        .bind(uuid_v7())
        .bind(kind)
        .bind(payload.to_string())
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Deliver pending outbox rows (in-app notices), oldest first, each in its own transaction
/// (claim, deliver, mark done). Returns how many were delivered. Tests call it directly (no background timer).
pub async fn drain_outbox(store: &dyn Store, now: DateTime<Utc>, limit: i64) -> Result<u64> {
    let db = Db::of(store);
    let mut delivered = 0;
    on_db!(db, |pool| {
        let rows = sqlx::query("SELECT id, kind, payload, attempts FROM outbox WHERE done_at IS NULL AND next_attempt_at <= $1 ORDER BY created_at, id LIMIT $2")
            .bind(now).bind(limit).fetch_all(pool).await?;
        for r in &rows {
            let id: String = r.try_get("id")?;
            let kind: String = r.try_get("kind")?;
            let payload: String = r.try_get("payload")?;
            let attempts: i64 = r.try_get("attempts")?;
            let p: serde_json::Value = serde_json::from_str(&payload).unwrap_or_default();
            let s = |k: &str| {
                p.get(k)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_owned()
            };
            let mut tx = pool.begin_write(&db).await?;
            // Claim: only one drainer delivers a row.
            let claimed = sqlx::query("UPDATE outbox SET attempts = attempts + 1 WHERE id = $1 AND done_at IS NULL AND attempts = $2")
                .bind(&id).bind(attempts).execute(&mut *tx).await?;
            if claimed.rows_affected() == 0 {
                tx.commit_in(&db).await?;
                continue;
            }
            let mission = s("mission");
            let recipients: Vec<String> = match kind.as_str() {
                "notify" => vec![s("recipient")],
                "notify_agency" => sqlx::query_scalar("SELECT id FROM account WHERE disabled = $3 AND role = $1 AND agency_code = $2")
                    .bind(Role::PartnerLiaison.as_str()).bind(s("agency")).bind(false).fetch_all(&mut *tx).await?,
                "notify_mission" => sqlx::query_scalar("SELECT id FROM account WHERE disabled = $3 AND agency_code = $1 AND role IN ($2, 'mission_officer')")
                    .bind(s("mission")).bind(Role::HeadOfMission.as_str()).bind(false).fetch_all(&mut *tx).await?,
                "notify_case" => sqlx::query_scalar("SELECT m.account_id FROM case_member m JOIN case_file c ON c.rid = m.case_rid WHERE c.id = $1")
                    .bind(s("object_id")).fetch_all(&mut *tx).await?,
                "notify_supervisors" => sqlx::query_scalar("SELECT id FROM account WHERE disabled = $3 AND ((role = $1 AND agency_code = $2) OR ($2 = '' AND role = 'hq_officer'))")
                    .bind(Role::HeadOfMission.as_str()).bind(&mission).bind(false).fetch_all(&mut *tx).await?,
                "escalate" => {
                    let level = s("level");
                    let lead = s("lead");
                    match level.as_str() {
                        "section" => sqlx::query_scalar("SELECT supervisor_id FROM account WHERE id = $1 AND supervisor_id IS NOT NULL")
                            .bind(&lead).fetch_all(&mut *tx).await?,
                        "mission" => sqlx::query_scalar("SELECT id FROM account WHERE disabled = $3 AND role = $1 AND agency_code = $2")
                            .bind(Role::HeadOfMission.as_str()).bind(&mission).bind(false).fetch_all(&mut *tx).await?,
                        _ => sqlx::query_scalar("SELECT id FROM account WHERE disabled = $2 AND role = $1 AND agency_kind = 'consular_department'")
                            .bind(Role::HqOfficer.as_str()).bind(false).fetch_all(&mut *tx).await?,
                    }
                }
                _ => vec![],
            };
            let notice_kind = s("kind");
            for rcpt in recipients.iter().filter(|r| !r.is_empty()) {
                let object_kind = match s("object_kind") {
                    k if k.is_empty() => "case".to_owned(),
                    k => k,
                };
                sqlx::query("INSERT INTO notification (id, recipient, kind, object_kind, object_id, actor, at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                    .bind(uuid_v7()).bind(rcpt).bind(&notice_kind).bind(object_kind).bind(s("object_id")).bind(s("actor")).bind(now)
                    .execute(&mut *tx).await?;
            }
            sqlx::query("UPDATE outbox SET done_at = $2 WHERE id = $1")
                .bind(&id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            tx.commit_in(&db).await?;
            delivered += 1;
        }
    });
    Ok(delivered)
}

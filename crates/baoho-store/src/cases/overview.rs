//! Leadership's picture: open cases by type, mission and age, over the cases in scope.

use crate::Result;
use crate::audit::{AuditAction, AuditEntry, AuditOutcome};
use crate::cases::Cases;
use crate::db::{AuditTx, Commit, Dialect, on_db};
use chrono::Duration;
use serde::{Deserialize, Serialize};
use sqlx::Row;

/// Open cases of one type at one mission, by age since intake.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OpenCount {
    pub case_type: String,
    pub mission: String,
    pub under_1_day: i64,
    pub under_7_days: i64,
    pub under_30_days: i64,
    pub older: i64,
    pub overdue: i64,
}

impl OpenCount {
    pub fn total(&self) -> i64 {
        self.under_1_day + self.under_7_days + self.under_30_days + self.older
    }
}

impl Cases {
    /// Open cases in scope grouped by type and mission, with age buckets and overdue counts.
    /// Counts only: no person, no summary (audited as a search).
    pub async fn open_counts(&self) -> Result<Vec<OpenCount>> {
        let mut params = Vec::new();
        let scope = self.list_scope(&mut params);
        let n = params.len() + 2;
        let now = self.ctx().at;
        let sql = format!(
            "SELECT c.case_type, c.mission_code, \
             SUM(CASE WHEN c.opened_at >= ${a} THEN 1 ELSE 0 END) AS d1, \
             SUM(CASE WHEN c.opened_at < ${a} AND c.opened_at >= ${b} THEN 1 ELSE 0 END) AS d7, \
             SUM(CASE WHEN c.opened_at < ${b} AND c.opened_at >= ${c} THEN 1 ELSE 0 END) AS d30, \
             SUM(CASE WHEN c.opened_at < ${c} THEN 1 ELSE 0 END) AS older, \
             SUM(CASE WHEN c.due_at <= ${d} THEN 1 ELSE 0 END) AS overdue \
             FROM case_file c WHERE c.status NOT IN ('resolved', 'closed') AND {scope} \
             GROUP BY c.case_type, c.mission_code ORDER BY c.mission_code, c.case_type",
            a = n,
            b = n + 1,
            c = n + 2,
            d = n + 3,
        );
        let who = &self.ctx().who;
        let entry = AuditEntry::new(
            now,
            &who.account_id,
            AuditAction::Search,
            AuditOutcome::Allowed,
        )
        .role(who.role.as_str())
        .agency(&who.agency.code)
        .object("case", "")
        .purpose("open cases overview (counts)")
        .request(&self.ctx().request_id);
        let db = self.db_ref().clone();
        on_db!(db, |pool| {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(who.account_id.as_str());
            for p in &params {
                q = q.bind(p.as_str());
            }
            let rows = q
                .bind(now - Duration::days(1))
                .bind(now - Duration::days(7))
                .bind(now - Duration::days(30))
                .bind(now)
                .fetch_all(pool)
                .await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                out.push(OpenCount {
                    case_type: r.try_get("case_type")?,
                    mission: r.try_get("mission_code")?,
                    under_1_day: r.try_get("d1")?,
                    under_7_days: r.try_get("d7")?,
                    under_30_days: r.try_get("d30")?,
                    older: r.try_get("older")?,
                    overdue: r.try_get("overdue")?,
                });
            }
            let mut tx = pool.begin_write(&self.db).await?;
            tx.audit(&entry).await?;
            tx.commit_in(&self.db).await?;
            Ok(out)
        })
    }
}

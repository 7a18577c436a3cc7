//! The consular-access clock of a case (VCCR art. 36) and the per-country compliance report.
//! Behind the same gate as the rest of the case: reading it is a read, setting it an edit.

use crate::audit::{AuditAction, AuditEntry, AuditOutcome};
use crate::cases::Cases;
use crate::db::{AuditTx, Commit, Dialect, on_db};
use crate::{Result, StoreError};
use baoho_domain::access::Verb;
use baoho_domain::case::{AccessClock, case_type};
use baoho_domain::person::FieldError;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use std::collections::BTreeMap;

/// How one host country honours consular access, over the cases in your scope.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CountryCompliance {
    pub country: String,
    /// Arrest and detention cases with a recorded arrest date.
    pub cases: u64,
    /// Median days from arrest to the host state's notification (where known).
    pub median_notification_days: Option<f64>,
    pub late_notifications: u64,
    pub access_not_granted: u64,
    pub visits_overdue: u64,
}

impl CountryCompliance {
    /// Share of cases without any breach.
    pub fn compliance(&self) -> f64 {
        if self.cases == 0 {
            return 1.0;
        }
        let breached = self
            .late_notifications
            .max(self.access_not_granted)
            .max(self.visits_overdue);
        1.0 - (breached.min(self.cases) as f64 / self.cases as f64)
    }
}

fn audit(c: &Cases, action: AuditAction, id: &str, purpose: &str) -> AuditEntry {
    let who = &c.ctx().who;
    AuditEntry::new(c.ctx().at, &who.account_id, action, AuditOutcome::Allowed)
        .role(who.role.as_str())
        .agency(&who.agency.code)
        .object("case", id)
        .purpose(purpose)
        .request(&c.ctx().request_id)
}

impl Cases {
    /// The clock of a case opened with [`Cases::get`]; visits are its `consular_visit`
    /// timeline entries.
    pub async fn access_clock(&self, case: &crate::cases::CaseRecord) -> Result<AccessClock> {
        let case_id = self.opened(case)?;
        let mut visits: Vec<DateTime<Utc>> = case
            .events
            .iter()
            .filter(|e| e.kind == "consular_visit")
            .map(|e| e.at)
            .collect();
        visits.sort();
        let mut clock = AccessClock {
            visits,
            ..Default::default()
        };
        let db = self.db_ref().clone();
        on_db!(db, |pool| {
            let row = sqlx::query("SELECT a.arrested_at, a.notified_at, a.requested_at, a.granted_at FROM consular_access a JOIN case_file c ON c.rid = a.case_rid WHERE c.id = $1")
                .bind(case_id).fetch_optional(pool).await?;
            if let Some(r) = row {
                clock.arrested_at = r.try_get("arrested_at")?;
                clock.notified_at = r.try_get("notified_at")?;
                clock.requested_at = r.try_get("requested_at")?;
                clock.granted_at = r.try_get("granted_at")?;
            }
        });
        Ok(clock)
    }

    /// Record the clock's dates (visits come from the timeline). Dates must be in order and
    /// not in the future; only arrest and detention-type cases have a clock.
    pub async fn set_access_clock(&self, id: &str, clock: &AccessClock) -> Result<()> {
        let now = self.ctx().at;
        let mut errs = Vec::new();
        let order = [
            ("arrested_at", clock.arrested_at),
            ("notified_at", clock.notified_at),
            ("requested_at", clock.requested_at),
            ("granted_at", clock.granted_at),
        ];
        for (f, v) in order {
            if v.is_some_and(|v| v > now + chrono::Duration::hours(24)) {
                errs.push(FieldError {
                    field: f.into(),
                    code: "vccr.error.future",
                });
            }
        }
        if let (Some(a), Some(n)) = (clock.arrested_at, clock.notified_at)
            && n < a
        {
            errs.push(FieldError {
                field: "notified_at".into(),
                code: "vccr.error.order",
            });
        }
        if let (Some(r), Some(g)) = (clock.requested_at, clock.granted_at)
            && g < r
        {
            errs.push(FieldError {
                field: "granted_at".into(),
                code: "vccr.error.order",
            });
        }
        if !errs.is_empty() {
            return Err(StoreError::Validation(errs));
        }
        let db = self.db_ref().clone();
        on_db!(db, |pool| {
            let (mut tx, s) = self
                .begin_gated(pool, id, Verb::Edit, AuditAction::Update)
                .await?;
            let ty: String = sqlx::query_scalar("SELECT case_type FROM case_file WHERE rid = $1")
                .bind(s.rid)
                .fetch_one(&mut *tx)
                .await?;
            if !case_type(&ty).is_some_and(|t| t.consular_access) {
                return Err(StoreError::Validation(vec![FieldError {
                    field: "case_type".into(),
                    code: "vccr.error.type",
                }]));
            }
            sqlx::query("DELETE FROM consular_access WHERE case_rid = $1")
                .bind(s.rid)
                .execute(&mut *tx)
                .await?;
            sqlx::query("INSERT INTO consular_access (case_rid, arrested_at, notified_at, requested_at, granted_at, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                .bind(s.rid).bind(clock.arrested_at).bind(clock.notified_at).bind(clock.requested_at).bind(clock.granted_at)
                .bind(now).bind(&self.ctx().who.account_id)
                .execute(&mut *tx).await?;
            tx.audit(&audit(
                self,
                AuditAction::Update,
                &s.id,
                "consular access clock",
            ))
            .await?;
            tx.commit_in(&self.db).await?;
        });
        Ok(())
    }

    /// Per host country: notification delays and breaches, over the cases in scope.
    pub async fn access_report(&self) -> Result<Vec<CountryCompliance>> {
        let mut params = Vec::new();
        let scope = self.list_scope(&mut params);
        let sql = format!(
            "SELECT c.rid, c.country, c.status, c.closed_at, a.arrested_at, a.notified_at, a.requested_at, a.granted_at FROM case_file c JOIN consular_access a ON a.case_rid = c.rid WHERE {scope} AND a.arrested_at IS NOT NULL"
        );
        let now = self.ctx().at;
        let db = self.db_ref().clone();
        let mut by: BTreeMap<String, (CountryCompliance, Vec<i64>)> = BTreeMap::new();
        on_db!(db, |pool| {
            let mut q =
                sqlx::query(sqlx::AssertSqlSafe(sql)).bind(self.ctx().who.account_id.as_str());
            for p in &params {
                q = q.bind(p.as_str());
            }
            let rows = q.fetch_all(pool).await?;
            // Every clocked case's visits in one query (not one per case).
            let mut visits_of: std::collections::HashMap<i64, Vec<DateTime<Utc>>> =
                std::collections::HashMap::new();
            let all: Vec<(i64, DateTime<Utc>)> = sqlx::query_as("SELECT e.case_rid, e.at FROM case_event e JOIN consular_access a ON a.case_rid = e.case_rid WHERE e.kind = 'consular_visit' ORDER BY e.at")
                .fetch_all(pool).await?;
            for (rid, at) in all {
                visits_of.entry(rid).or_default().push(at);
            }
            for r in &rows {
                let rid: i64 = r.try_get("rid")?;
                let visits = visits_of.remove(&rid).unwrap_or_default();
                let closed: Option<DateTime<Utc>> = r.try_get("closed_at")?;
                let clock = AccessClock {
                    arrested_at: r.try_get("arrested_at")?,
                    notified_at: r.try_get("notified_at")?,
                    requested_at: r.try_get("requested_at")?,
                    granted_at: r.try_get("granted_at")?,
                    visits,
                };
                let country: String = r.try_get("country")?;
                let e = by.entry(country.clone()).or_insert_with(|| {
                    (
                        CountryCompliance {
                            country,
                            ..Default::default()
                        },
                        vec![],
                    )
                });
                e.0.cases += 1;
                if let Some(d) = clock.notification_days() {
                    e.1.push(d);
                }
                for b in clock.breaches(closed.unwrap_or(now)) {
                    match b.code() {
                        "late_notification" => e.0.late_notifications += 1,
                        "access_not_granted" => e.0.access_not_granted += 1,
                        _ => e.0.visits_overdue += 1,
                    }
                }
            }
            let mut tx = pool.begin_write(&self.db).await?;
            tx.audit(&audit(
                self,
                AuditAction::Search,
                "",
                "consular access report",
            ))
            .await?;
            tx.commit_in(&self.db).await?;
        });
        Ok(by
            .into_values()
            .map(|(mut c, mut days)| {
                days.sort_unstable();
                c.median_notification_days = match days.len() {
                    0 => None,
                    n if n % 2 == 1 => Some(days[n / 2] as f64),
                    n => Some((days[n / 2 - 1] + days[n / 2]) as f64 / 2.0),
                };
                c
            })
            .collect())
    }
}

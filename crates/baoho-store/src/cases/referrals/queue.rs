//! The work queue's referral lists: referrals awaiting a supervisor, and partners' answers.

use super::*;

/// On the first look at the work queue, answers on referrals of the last this many days.
pub const FIRST_LOOK_DAYS: i64 = 7;

/// The statuses a partner's answer sets ([`RESPONSES`], as SQL).
const ANSWERED_SQL: &str = "('acknowledged', 'accepted', 'declined', 'done')";

/// The work queue lists this many items of each referral list (as the case lists).
const QUEUE_PAGE: usize = 50;

/// A referral without consent awaiting a supervisor, as the work queue lists it (neither the
/// snapshot nor the override reason: the case page has them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct QueueReferral {
    pub case_id: String,
    pub case_reference: String,
    pub case_type: String,
    pub referral_id: String,
    pub agency: String,
    pub purpose: String,
    pub created_at: DateTime<Utc>,
}

/// A partner's answer on a referral, as the work queue lists it (the answer's text stays on
/// the case page, encrypted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct QueueAnswer {
    pub case_id: String,
    pub case_reference: String,
    pub referral_id: String,
    pub agency: String,
    /// `acknowledged`, `accepted`, `declined` or `done`.
    pub status: String,
    pub updated_at: DateTime<Utc>,
}

/// Referrals awaiting my approval: the first 50 and how many (counted up to the queue's cap).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct QueueReferrals {
    pub items: Vec<QueueReferral>,
    pub total: i64,
    /// `true` when there are more than `total` (the count stopped at the cap).
    #[serde(default)]
    pub total_is_at_least: bool,
}

/// Answers since my last look: the first 50 and how many (counted up to the queue's cap).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct QueueAnswers {
    pub items: Vec<QueueAnswer>,
    pub total: i64,
    /// `true` when there are more than `total` (the count stopped at the cap).
    #[serde(default)]
    pub total_is_at_least: bool,
}

fn shown(total: i64, at_least: bool) -> String {
    if at_least {
        format!("{total}+")
    } else {
        total.to_string()
    }
}

impl QueueReferrals {
    /// The total as a page shows it ("1000+" when the count stopped at the cap).
    pub fn shown_total(&self) -> String {
        shown(self.total, self.total_is_at_least)
    }
}

impl QueueAnswers {
    /// The total as a page shows it ("1000+" when the count stopped at the cap).
    pub fn shown_total(&self) -> String {
        shown(self.total, self.total_is_at_least)
    }
}

/// The columns [`Cases::listable`] re-checks each row with (the member flag asks about `$1`).
const QUEUE_SCOPE_COLUMNS: &str = "c.rid, c.id, c.version, c.status, c.mission_code, c.country, c.restricted, c.close_requested_by, \
     EXISTS (SELECT 1 FROM case_member m WHERE m.case_rid = c.rid AND m.account_id = $1) AS member";

impl Cases {
    /// The work queue's referrals awaiting my approval: those [`may_approve`] lets me approve
    /// (a head of mission: their mission's; headquarters: all), in the same places and under
    /// the same restricted-case rule as the queue's case lists, never one I asked for myself;
    /// oldest first (read from `case_referral_status_created`, migration 0014). Not audited:
    /// the queue writes its one row.
    pub(crate) async fn queue_referral_approvals(&self, cap: i64) -> Result<QueueReferrals> {
        let who = &self.ctx().who;
        let supervisor = match who.role {
            Role::HeadOfMission => true,
            Role::HqOfficer => who.agency.kind == AgencyKind::ConsularDepartment,
            _ => false,
        };
        if !supervisor {
            return Ok(QueueReferrals::default());
        }
        let mut params: Vec<String> = Vec::new();
        let mut scope = self.list_scope(&mut params);
        if who.agency.kind != AgencyKind::ConsularDepartment {
            // A mission's head approves only their own mission's referrals (not those of
            // another mission in their jurisdiction).
            params.push(who.agency.code.clone());
            scope.push_str(&format!(" AND c.mission_code = ${}", params.len() + 1));
        }
        let from = format!(
            "FROM case_referral r JOIN case_file c ON c.rid = r.case_rid \
             WHERE r.status = 'awaiting_approval' AND r.created_by <> $1 AND {scope}"
        );
        let sql = format!(
            "SELECT {QUEUE_SCOPE_COLUMNS}, c.reference, c.case_type, r.id AS referral_id, r.agency_code, r.purpose, r.created_at \
             {from} ORDER BY r.created_at, r.rid LIMIT {QUEUE_PAGE}"
        );
        let sql_count = format!(
            "SELECT COUNT(*) FROM (SELECT 1 {from} LIMIT {}) AS k",
            cap + 1
        );
        let db = self.db_ref().clone();
        let (rows, total) = on_db!(db, |pool| {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(who.account_id.as_str());
            let mut qc = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql_count))
                .bind(who.account_id.as_str());
            for p in &params {
                q = q.bind(p.as_str());
                qc = qc.bind(p.as_str());
            }
            let rows = q.fetch_all(pool).await?;
            let total = qc.fetch_one(pool).await?;
            let mut items = Vec::with_capacity(rows.len());
            for r in &rows {
                let mission: String = r.try_get("mission_code")?;
                if !self.listable(r)? || !may_approve(who, &mission) {
                    continue;
                }
                items.push(QueueReferral {
                    case_id: r.try_get("id")?,
                    case_reference: r.try_get("reference")?,
                    case_type: r.try_get("case_type")?,
                    referral_id: r.try_get("referral_id")?,
                    agency: r.try_get("agency_code")?,
                    purpose: r.try_get("purpose")?,
                    created_at: r.try_get("created_at")?,
                });
            }
            (items, total)
        });
        Ok(QueueReferrals {
            items: rows,
            total: total.min(cap),
            total_is_at_least: total > cap,
        })
    }

    /// The work queue's answers on referrals of cases I am a member of (a lead always is),
    /// answered after `since`, newest first, in the same places and under the same
    /// restricted-case rule as the queue's case lists (read from
    /// `case_referral_status_updated`, migration 0014). Not audited: the queue writes its one
    /// row.
    pub(crate) async fn queue_referral_answers(
        &self,
        since: DateTime<Utc>,
        cap: i64,
    ) -> Result<QueueAnswers> {
        let who = &self.ctx().who;
        let mut params: Vec<String> = Vec::new();
        let scope = self.list_scope(&mut params);
        let since_param = params.len() + 2;
        let from = format!(
            "FROM case_referral r JOIN case_file c ON c.rid = r.case_rid \
             WHERE r.status IN {ANSWERED_SQL} AND r.updated_at > ${since_param} \
             AND (r.answered_by IS NULL OR r.answered_by <> $1) \
             AND (c.lead_officer = $1 OR EXISTS (SELECT 1 FROM case_member m2 WHERE m2.case_rid = c.rid AND m2.account_id = $1)) \
             AND {scope}"
        );
        let sql = format!(
            "SELECT {QUEUE_SCOPE_COLUMNS}, c.reference, r.id AS referral_id, r.agency_code, r.status AS answer, r.updated_at \
             {from} ORDER BY r.updated_at DESC, r.rid DESC LIMIT {QUEUE_PAGE}"
        );
        let sql_count = format!(
            "SELECT COUNT(*) FROM (SELECT 1 {from} LIMIT {}) AS k",
            cap + 1
        );
        let db = self.db_ref().clone();
        let (rows, total) = on_db!(db, |pool| {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(who.account_id.as_str());
            let mut qc = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql_count))
                .bind(who.account_id.as_str());
            for p in &params {
                q = q.bind(p.as_str());
                qc = qc.bind(p.as_str());
            }
            q = q.bind(since);
            qc = qc.bind(since);
            let rows = q.fetch_all(pool).await?;
            let total = qc.fetch_one(pool).await?;
            let mut items = Vec::with_capacity(rows.len());
            for r in &rows {
                if !self.listable(r)? {
                    continue;
                }
                items.push(QueueAnswer {
                    case_id: r.try_get("id")?,
                    case_reference: r.try_get("reference")?,
                    referral_id: r.try_get("referral_id")?,
                    agency: r.try_get("agency_code")?,
                    status: r.try_get("answer")?,
                    updated_at: r.try_get("updated_at")?,
                });
            }
            (items, total)
        });
        Ok(QueueAnswers {
            items: rows,
            total: total.min(cap),
            total_is_at_least: total > cap,
        })
    }
}

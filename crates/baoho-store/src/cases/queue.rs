//! The officer's work queue ("what needs me").

use super::*;

/// The work queue's lists count up to this many cases each (an officer acts on the first
/// fifty; past a thousand the exact figure is the overview's job, not the queue's).
pub const QUEUE_COUNT_CAP: i64 = 1000;

/// An officer's "what needs me" queue, read in one go.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct WorkQueue {
    /// Open cases I lead, most urgent first.
    pub mine: CasePage,
    /// Overdue open cases in my scope.
    pub overdue: CasePage,
    /// Closures awaiting my approval (heads of mission and HQ; empty for others).
    pub approvals: CasePage,
    /// New cases in my scope not yet assessed.
    pub unassessed: CasePage,
    /// Cases opened by others since I last looked at this queue.
    pub since_last_look: CasePage,
    /// When I last looked (none on the first visit).
    pub last_looked: Option<DateTime<Utc>>,
    /// Referrals without consent awaiting my approval (heads of mission and HQ; never my own;
    /// empty for others), oldest first.
    #[serde(default)]
    pub referral_approvals: referrals::QueueReferrals,
    /// Partners' answers on referrals of cases I am a member of, since I last looked (the
    /// last 7 days on the first visit), newest first. The answer's text is on the case page.
    #[serde(default)]
    pub referral_answers: referrals::QueueAnswers,
}

impl Cases {
    /// The "what needs me" queue: the lists read concurrently on the reader connections, then
    /// one write with one audit row that also records this look (for the next "since I last
    /// looked").
    pub async fn work_queue(&self) -> Result<WorkQueue> {
        self.work_queue_counting_up_to(QUEUE_COUNT_CAP).await
    }

    /// [`Self::work_queue`] with another count cap (tests).
    #[doc(hidden)]
    pub async fn work_queue_counting_up_to(&self, cap: i64) -> Result<WorkQueue> {
        if !is_case_role(&self.ctx.who) || self.ctx.who.role == Role::PartnerLiaison {
            return Err(StoreError::Forbidden);
        }
        let me = self.ctx.who.account_id.as_str();
        let (last, newest) = on_db!(self.db, |pool| {
            let last: Option<(DateTime<Utc>, i64)> =
                sqlx::query_as("SELECT seen_at, seen_rid FROM queue_seen WHERE account_id = $1")
                    .bind(me)
                    .fetch_optional(pool)
                    .await?;
            let newest: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(rid), 0) FROM case_file")
                .fetch_one(pool)
                .await?;
            (last, newest)
        });
        let approvals = matches!(self.ctx.who.role, Role::HeadOfMission | Role::HqOfficer);
        let empty = || CasePage {
            cases: vec![],
            total: 0,
            total_is_at_least: false,
        };
        let referral_cap = cap;
        let cap = Some(cap);
        // My cases are the open cases I lead (read from `case_lead_open` in deadline order,
        // migration 0013); cases I only took part in are in the full list's "mine" filter.
        let f_mine = CaseFilter {
            lead_officer: Some(me.to_owned()),
            open_only: true,
            ..Default::default()
        };
        let f_overdue = CaseFilter {
            overdue_only: true,
            ..Default::default()
        };
        // A head of mission sees the jurisdiction's cases but approves closures only for
        // their own mission's (`may_approve_close`): list only those they can act on.
        let f_approvals = CaseFilter {
            awaiting_approval: true,
            mission: (self.ctx.who.role == Role::HeadOfMission
                && self.ctx.who.agency.kind != AgencyKind::ConsularDepartment)
                .then(|| self.ctx.who.agency.code.clone()),
            ..Default::default()
        };
        let f_new = CaseFilter {
            status: Some(Status::New),
            ..Default::default()
        };
        let f_since = CaseFilter {
            after_rid: last.map(|(_, rid)| rid),
            ..Default::default()
        };
        let answers_since = last.map_or(
            self.ctx.at - chrono::Duration::days(referrals::FIRST_LOOK_DAYS),
            |(at, _)| at,
        );
        let (
            mine,
            overdue,
            approvals,
            unassessed,
            since_last_look,
            referral_approvals,
            referral_answers,
        ) = tokio::try_join!(
            self.fetch(&f_mine, cap),
            self.fetch(&f_overdue, cap),
            async {
                if approvals {
                    self.fetch(&f_approvals, cap).await
                } else {
                    Ok(empty())
                }
            },
            self.fetch(&f_new, cap),
            async {
                if last.is_some() {
                    self.fetch(&f_since, cap).await
                } else {
                    Ok(empty())
                }
            },
            self.queue_referral_approvals(referral_cap),
            self.queue_referral_answers(answers_since, referral_cap),
        )?;
        let entry = self.entry(AuditAction::Search, AuditOutcome::Allowed, "");
        on_db!(self.db, |pool| {
            let mut tx = pool.begin_write(&self.db).await?;
            sqlx::query(
                "INSERT INTO queue_seen (account_id, seen_at, seen_rid) VALUES ($1, $2, $3) \
                 ON CONFLICT (account_id) DO UPDATE SET seen_at = excluded.seen_at, seen_rid = excluded.seen_rid",
            )
            .bind(me)
            .bind(self.ctx.at)
            .bind(newest)
            .execute(&mut *tx)
            .await?;
            tx.audit(&entry).await?;
            tx.commit_in(&self.db).await?;
        });
        Ok(WorkQueue {
            mine,
            overdue,
            approvals,
            unassessed,
            since_last_look,
            last_looked: last.map(|(at, _)| at),
            referral_approvals,
            referral_answers,
        })
    }
}

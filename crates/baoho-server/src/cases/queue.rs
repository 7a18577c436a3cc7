use super::*;

#[derive(Template, WebTemplate)]
#[template(path = "cases/cases_queue.html")]
pub struct QueuePage {
    pub c: Chrome,
    pub mine: Vec<Row>,
    pub overdue: Vec<Row>,
    pub approvals: Vec<Row>,
    pub unassigned: Vec<Row>,
    pub since: Vec<Row>,
    /// Totals of the lists (each shows its first 50).
    pub totals: QueueTotals,
    /// When I last looked (UTC, minutes), if ever.
    pub last_looked: Option<String>,
    pub can_intake: bool,
    pub incoming: Vec<baoho_store::cases::transfers::Transfer>,
    /// Referrals awaiting my approval.
    pub referral_approvals: Vec<QueueReferralRow>,
    /// Partners' answers on my cases' referrals since I last looked.
    pub referral_answers: Vec<QueueAnswerRow>,
}

pub struct QueueTotals {
    pub mine: String,
    pub overdue: String,
    pub approvals: String,
    pub unassigned: String,
    pub since: String,
    pub referral_approvals: String,
    pub referral_answers: String,
}

/// A referral awaiting approval as the queue page shows it.
pub struct QueueReferralRow {
    pub case_id: String,
    pub reference: String,
    pub type_name: String,
    pub agency: String,
    pub purpose: String,
    pub asked: String,
}

/// A partner's answer as the queue page shows it (not its text: the case page has it).
pub struct QueueAnswerRow {
    pub case_id: String,
    pub reference: String,
    pub agency: String,
    pub status: String,
    pub answered: String,
}

pub(super) fn queue_referral_rows(
    lang: Lang,
    q: &baoho_store::cases::referrals::QueueReferrals,
) -> Vec<QueueReferralRow> {
    q.items
        .iter()
        .map(|r| QueueReferralRow {
            case_id: r.case_id.clone(),
            reference: r.case_reference.clone(),
            type_name: type_name(lang, &r.case_type),
            agency: agency_label(lang, &r.agency),
            purpose: r.purpose.clone(),
            asked: r.created_at.format("%Y-%m-%d %H:%M").to_string(),
        })
        .collect()
}

pub(super) fn queue_answer_rows(
    lang: Lang,
    q: &baoho_store::cases::referrals::QueueAnswers,
) -> Vec<QueueAnswerRow> {
    q.items
        .iter()
        .map(|a| QueueAnswerRow {
            case_id: a.case_id.clone(),
            reference: a.case_reference.clone(),
            agency: agency_label(lang, &a.agency),
            status: a.status.clone(),
            answered: a.updated_at.format("%Y-%m-%d %H:%M").to_string(),
        })
        .collect()
}

/// `GET /cases`: what needs me.
pub async fn queue_page(caller: Caller, c: Chrome) -> Result<QueuePage, AppError> {
    let h = caller.cases("work queue");
    let lang = c.t.lang;
    let (q, incoming) = tokio::try_join!(h.work_queue(), h.incoming_transfers())?;
    Ok(QueuePage {
        incoming,
        mine: rows(lang, &q.mine.cases),
        overdue: rows(lang, &q.overdue.cases),
        approvals: rows(lang, &q.approvals.cases),
        unassigned: rows(lang, &q.unassessed.cases),
        since: rows(lang, &q.since_last_look.cases),
        totals: QueueTotals {
            mine: q.mine.shown_total(),
            overdue: q.overdue.shown_total(),
            approvals: q.approvals.shown_total(),
            unassigned: q.unassessed.shown_total(),
            since: q.since_last_look.shown_total(),
            referral_approvals: q.referral_approvals.shown_total(),
            referral_answers: q.referral_answers.shown_total(),
        },
        referral_approvals: queue_referral_rows(lang, &q.referral_approvals),
        referral_answers: queue_answer_rows(lang, &q.referral_answers),
        last_looked: q
            .last_looked
            .map(|t| t.format("%Y-%m-%d %H:%M").to_string()),
        // The roles `GET /cases/new` admits (the store refuses the others at intake).
        can_intake: matches!(
            caller.account().role,
            Role::MissionOfficer | Role::HqOfficer | Role::HeadOfMission
        ),
        c,
    })
}

/// What needs me: my open cases by urgency, overdue cases in my scope, closures awaiting my
/// approval, new cases not yet assessed, cases opened by others since I last asked, referrals
/// awaiting my approval, and partners' answers on my cases' referrals since I last asked (the
/// first 50 of each, with totals). Asking records the look.
#[utoipa::path(get, path = "/api/v1/queue", tag = "cases",
    responses((status = 200, body = baoho_store::WorkQueue), (status = 403, body = ProblemBody)))]
pub async fn api_queue(caller: Caller) -> Result<Json<baoho_store::WorkQueue>, AppError> {
    Ok(Json(caller.cases("work queue").work_queue().await?))
}

/// This sub-area's routes, each with who may call it.
pub(super) fn routes() -> Vec<crate::routes::Route> {
    use crate::routes::Access::Staff;
    use crate::routes::Route;
    use axum::http::Method;
    use utoipa_axum::routes;
    vec![
        Route::page(Method::GET, "/cases", Staff, queue_page),
        Route::api(Staff, routes!(api_queue)),
    ]
}

//! The auditor's view of the hash-chained trail: the page and the API. Auditors read the
//! trail, not the files.

use crate::app::AuditTrail;
use crate::caller::Caller;
use crate::error::{AppError, ProblemBody};
use crate::extract::{Json, Query};
use crate::web::Chrome;
use askama::Template;
use askama_web::WebTemplate;
use baoho_store::audit::{
    AuditAction, AuditFilter, AuditOutcome, AuditRecord, TouchedObject, TouchedQuery,
};
use chrono::{Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Most rows of the touched report the page shows (the API returns them all).
pub const TOUCHED_SHOWN: usize = 500;

#[derive(Debug, Deserialize, IntoParams, Default)]
pub struct AuditParams {
    /// An account's username or id.
    #[serde(default)]
    pub actor: Option<String>,
    /// `person`, `account`, …
    #[serde(default)]
    pub object_kind: Option<String>,
    #[serde(default)]
    pub object_id: Option<String>,
    /// `read`, `update`, `search`, `login`, …
    #[serde(default)]
    pub action: Option<String>,
    /// `allowed`, `denied` or `failed`.
    #[serde(default)]
    pub outcome: Option<String>,
    /// Only the last N days (default 30).
    #[serde(default)]
    pub days: Option<u32>,
    /// Keyset paging: rows below this sequence number.
    #[serde(default)]
    pub before: Option<i64>,
}

/// One object an actor touched, with how often and when last. Persons count whether they
/// were opened or only returned in a list (a search, a duplicate check, an export, a transfer).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Touched {
    pub object_kind: String,
    pub object_id: String,
    /// Rows of the period that name the object (as their object or among their subjects).
    pub times: u64,
    pub last_at: chrono::DateTime<Utc>,
    pub actions: Vec<String>,
    /// Among `times`, the rows that returned the object in a list without opening it.
    pub seen_in_lists: u64,
}

impl From<TouchedObject> for Touched {
    fn from(t: TouchedObject) -> Self {
        Touched {
            object_kind: t.object_kind,
            object_id: t.object_id,
            times: t.times,
            last_at: t.last_at,
            actions: t.actions.iter().map(|a| a.as_str().to_owned()).collect(),
            seen_in_lists: t.seen_in_lists,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditAnswer {
    /// Newest first, at most 200.
    pub rows: Vec<AuditRow>,
    /// Set when an actor is given: every person (and other object) they touched in the period.
    pub touched: Vec<Touched>,
    pub next_before: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditRow {
    pub seq: i64,
    pub at: chrono::DateTime<Utc>,
    pub actor: String,
    /// The actor's username (accounts are not personal files: auditors may see them).
    pub actor_name: String,
    pub role: String,
    pub agency: String,
    pub object_kind: String,
    pub object_id: String,
    pub action: String,
    pub purpose: String,
    pub outcome: String,
    pub request_id: String,
    /// The persons the event returned without opening them (ids), e.g. search results.
    pub subjects: Vec<String>,
}

impl AuditRow {
    /// The first subjects, for the page (an export may name thousands).
    pub fn subjects_shown(&self) -> String {
        self.subjects
            .iter()
            .take(12)
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(" ")
    }
}

impl From<&AuditRecord> for AuditRow {
    fn from(r: &AuditRecord) -> Self {
        let e = &r.entry;
        AuditRow {
            seq: r.seq,
            at: e.at,
            actor: e.actor.clone(),
            actor_name: String::new(),
            role: e.role.clone(),
            agency: e.agency.clone(),
            object_kind: e.object_kind.clone(),
            object_id: e.object_id.clone(),
            action: e.action.as_str().to_owned(),
            purpose: e.purpose.clone(),
            outcome: e.outcome.as_str().to_owned(),
            request_id: e.request_id.clone(),
            subjects: e.subjects.clone(),
        }
    }
}

fn empty_none(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

async fn answer(trail: &AuditTrail, p: &AuditParams) -> Result<AuditAnswer, AppError> {
    let actor = match empty_none(&p.actor) {
        Some(a) if a.starts_with("acc-") || a == "system" || a == "unknown" => Some(a),
        Some(a) => Some(
            trail
                .account_id(&a)
                .await?
                .unwrap_or_else(|| "no-such-account".into()),
        ),
        None => None,
    };
    let action = match empty_none(&p.action) {
        Some(a) => Some(
            a.parse::<AuditAction>()
                .map_err(|_| AppError::BadRequest("unknown action".into()))?,
        ),
        None => None,
    };
    let outcome = match empty_none(&p.outcome) {
        Some(o) => Some(
            o.parse::<AuditOutcome>()
                .map_err(|_| AppError::BadRequest("unknown outcome".into()))?,
        ),
        None => None,
    };
    let days = p.days.unwrap_or(30).clamp(1, 3660);
    let from = trail.now() - Duration::days(i64::from(days));
    let filter = AuditFilter {
        actor: actor.clone(),
        object_kind: empty_none(&p.object_kind),
        object_id: empty_none(&p.object_id),
        action,
        outcome,
        from: Some(from),
        to: None,
        before_seq: p.before,
        limit: 200,
    };
    let rows = trail.query(&filter).await?;
    let next_before = (rows.len() == 200)
        .then(|| rows.last().map(|r| r.seq))
        .flatten();
    // "Every person account X touched in the last N days", persons seen in lists included:
    // aggregated by the store from the (actor, at) and audit_subject indexes.
    let touched: Vec<Touched> = match &actor {
        Some(actor) => trail
            .touched(&TouchedQuery {
                actor: actor.clone(),
                from: Some(from),
                to: None,
                action,
                outcome,
                object_kind: filter.object_kind.clone(),
            })
            .await?
            .into_iter()
            .map(Touched::from)
            .collect(),
        None => Vec::new(),
    };
    let names = trail.usernames().await?;
    Ok(AuditAnswer {
        rows: rows
            .iter()
            .map(|r| {
                let mut row = AuditRow::from(r);
                row.actor_name = names
                    .get(&row.actor)
                    .cloned()
                    .unwrap_or_else(|| row.actor.clone());
                row
            })
            .collect(),
        touched,
        next_before,
    })
}

/// The audit trail, filtered (auditors and administrators).
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditParams),
    responses((status = 200, body = AuditAnswer), (status = 401, body = ProblemBody), (status = 403, body = ProblemBody)))]
pub async fn api_audit(
    caller: Caller,
    Query(p): Query<AuditParams>,
) -> Result<Json<AuditAnswer>, AppError> {
    Ok(Json(answer(&caller.audit_trail()?, &p).await?))
}

#[derive(Template, WebTemplate)]
#[template(path = "audit/audit.html")]
pub struct AuditPage {
    pub c: Chrome,
    pub p: AuditForm,
    pub a: AuditAnswer,
    pub actions: Vec<&'static str>,
    pub next_href: Option<String>,
    pub touched_shown: usize,
}

/// The filter as the form shows it back.
#[derive(Debug, Default)]
pub struct AuditForm {
    pub actor: String,
    pub object_kind: String,
    pub object_id: String,
    pub action: String,
    pub outcome: String,
    pub days: u32,
}

/// `GET /audit`
pub async fn audit_page(
    caller: Caller,
    c: Chrome,
    Query(p): Query<AuditParams>,
) -> Result<AuditPage, AppError> {
    let a = answer(&caller.audit_trail()?, &p).await?;
    let form = AuditForm {
        actor: p.actor.clone().unwrap_or_default(),
        object_kind: p.object_kind.clone().unwrap_or_default(),
        object_id: p.object_id.clone().unwrap_or_default(),
        action: p.action.clone().unwrap_or_default(),
        outcome: p.outcome.clone().unwrap_or_default(),
        days: p.days.unwrap_or(30),
    };
    let next_href = a.next_before.map(|b| {
        let q = serde_urlencoded::to_string([
            ("actor", form.actor.as_str()),
            ("object_kind", form.object_kind.as_str()),
            ("object_id", form.object_id.as_str()),
            ("action", form.action.as_str()),
            ("outcome", form.outcome.as_str()),
            ("days", &form.days.to_string()),
            ("before", &b.to_string()),
        ])
        .unwrap_or_default();
        format!("/audit?{q}")
    });
    Ok(AuditPage {
        c,
        p: form,
        a,
        actions: AuditAction::ALL.iter().map(|a| a.as_str()).collect(),
        next_href,
        touched_shown: TOUCHED_SHOWN,
    })
}

/// This capability's routes, each with who may call it (joined in [`crate::routes::table`]).
pub fn routes() -> Vec<crate::routes::Route> {
    use crate::routes::AUDIT;
    use crate::routes::Route;
    use axum::http::Method;
    use utoipa_axum::routes;
    vec![
        Route::page(Method::GET, "/audit", AUDIT, audit_page),
        Route::api(AUDIT, routes!(api_audit)),
    ]
}

//! Administration (accounts) and the auditor's view of the trail. Administrators manage
//! accounts but reach no person through that role; auditors read the trail, not the files.

use crate::app::AppState;
use crate::auth::{self, Authed};
use crate::error::{AppError, ProblemBody};
use crate::extract::{Form, Json, Query};
use crate::layers::RequestId;
use crate::web::Chrome;
use askama::Template;
use askama_web::WebTemplate;
use axum::Extension;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use baoho_domain::access::{Agency, AgencyKind, Role};
use baoho_store::audit::{AuditAction, AuditEntry, AuditFilter, AuditOutcome, AuditRecord};
use baoho_store::{Account, Accounts, NewAccount, StoreError};
use chrono::{Duration, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};

fn admin_audit(state: &AppState, authed: &Authed, rid: &RequestId, what: &str) -> AuditEntry {
    AuditEntry::new(
        state.now(),
        &authed.account.id,
        AuditAction::Admin,
        AuditOutcome::Allowed,
    )
    .role(authed.account.role.as_str())
    .agency(&authed.account.agency.code)
    .purpose(what)
    .request(&rid.0)
}

#[derive(Template, WebTemplate)]
#[template(path = "accounts.html")]
pub struct AccountsPage {
    pub c: Chrome,
    pub accounts: Vec<Account>,
    pub roles: Vec<&'static str>,
    pub error: Option<String>,
    pub notice: Option<String>,
    pub form: NewAccountForm,
}

impl AccountsPage {
    pub fn kind_key(a: &Account) -> String {
        format!(
            "agency.{}",
            baoho_store::accounts::agency_kind_code(a.agency.kind)
        )
    }
}

#[derive(Debug, Deserialize, Default, Clone)]
pub struct NewAccountForm {
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub display_name: String,
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub agency_code: String,
    #[serde(default)]
    pub supervisor: String,
    #[serde(default)]
    pub password: String,
}

fn page(
    c: Chrome,
    accounts: Vec<Account>,
    error: Option<String>,
    notice: Option<String>,
    form: NewAccountForm,
) -> AccountsPage {
    AccountsPage {
        c,
        accounts,
        roles: Role::ALL.iter().map(|r| r.as_str()).collect(),
        error,
        notice,
        form,
    }
}

#[derive(Debug, Deserialize)]
pub struct CreatedQuery {
    #[serde(default)]
    created: Option<String>,
}

/// `GET /admin/accounts`
pub async fn accounts_page(
    State(state): State<AppState>,
    c: Chrome,
    Query(q): Query<CreatedQuery>,
) -> Result<AccountsPage, AppError> {
    let accounts = Accounts::new(state.store.as_ref()).list().await?;
    let notice = q.created.map(|_| "admin.created".to_owned());
    Ok(page(c, accounts, None, notice, NewAccountForm::default()))
}

/// The agency an account belongs to, from its code: `CD` (headquarters), `MPS`, `MND`, a
/// mission code, or a province code (`P-79`).
pub fn agency_from_code(code: &str) -> Option<Agency> {
    let code = code.trim().to_ascii_uppercase();
    let kind = match code.as_str() {
        "CD" => AgencyKind::ConsularDepartment,
        "MPS" => AgencyKind::PublicSecurity,
        "MND" => AgencyKind::NationalDefence,
        c if c.starts_with("P-") && baoho_domain::refdata::province(&c[2..]).is_some() => {
            AgencyKind::Province
        }
        c if baoho_domain::refdata::mission(c).is_some() => AgencyKind::Mission,
        _ => return None,
    };
    Some(Agency { kind, code })
}

/// `POST /admin/accounts`: create a staff account. The new user enrols MFA at first login.
pub async fn create_account(
    State(state): State<AppState>,
    c: Chrome,
    Extension(authed): Extension<Authed>,
    Extension(rid): Extension<RequestId>,
    Form(f): Form<NewAccountForm>,
) -> Result<Response, AppError> {
    let accounts = Accounts::new(state.store.as_ref());
    let fail = async |c: Chrome, key: &str, f: NewAccountForm| -> Result<Response, AppError> {
        let list = Accounts::new(state.store.as_ref()).list().await?;
        Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            page(c, list, Some(key.to_owned()), None, f),
        )
            .into_response())
    };
    let Some(role) = Role::parse(&f.role) else {
        return fail(c, "admin.error.role", f).await;
    };
    let Some(agency) = agency_from_code(&f.agency_code) else {
        return fail(c, "admin.error.agency", f).await;
    };
    if !auth::password_acceptable(&f.password) {
        return fail(c, "admin.error.password", f).await;
    }
    let display = baoho_domain::text::nfc(f.display_name.trim());
    if display.is_empty() || display.chars().count() > 100 {
        return fail(c, "admin.error.name", f).await;
    }
    let supervisor = match f.supervisor.trim() {
        "" => None,
        s => match accounts.by_username(s).await? {
            Some(a) => Some(a.id),
            None => return fail(c, "admin.error.supervisor", f).await,
        },
    };
    let hash = auth::hash_password(&f.password)?;
    let made = accounts
        .create(
            &NewAccount {
                username: f.username.clone(),
                display_name: display,
                role,
                agency,
                supervisor_id: supervisor,
                password_hash: hash,
                demo: false,
            },
            admin_audit(&state, &authed, &rid, "account created"),
        )
        .await;
    match made {
        Ok(_) => Ok(Redirect::to("/admin/accounts?created=1").into_response()),
        Err(StoreError::Conflict(_)) => fail(c, "admin.error.taken", f).await,
        Err(StoreError::Invalid(_)) => fail(c, "admin.error.username", f).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    password: String,
}

/// `POST /admin/accounts/{id}/disable` and `/enable`: disabling ends the sessions at once.
pub async fn disable_account(
    State(state): State<AppState>,
    Extension(authed): Extension<Authed>,
    Extension(rid): Extension<RequestId>,
    Path(id): Path<String>,
) -> Result<Redirect, AppError> {
    if id == authed.account.id {
        return Err(AppError::Forbidden(
            "you cannot disable your own account".into(),
        ));
    }
    Accounts::new(state.store.as_ref())
        .set_disabled(
            &id,
            true,
            admin_audit(&state, &authed, &rid, "account disabled").object("account", &id),
        )
        .await?;
    Ok(Redirect::to("/admin/accounts"))
}

pub async fn enable_account(
    State(state): State<AppState>,
    Extension(authed): Extension<Authed>,
    Extension(rid): Extension<RequestId>,
    Path(id): Path<String>,
) -> Result<Redirect, AppError> {
    Accounts::new(state.store.as_ref())
        .set_disabled(
            &id,
            false,
            admin_audit(&state, &authed, &rid, "account enabled").object("account", &id),
        )
        .await?;
    Ok(Redirect::to("/admin/accounts"))
}

/// `POST /admin/accounts/{id}/reset`: a new password, MFA to enrol again, sessions ended.
pub async fn reset_account(
    State(state): State<AppState>,
    Extension(authed): Extension<Authed>,
    Extension(rid): Extension<RequestId>,
    Path(id): Path<String>,
    Form(f): Form<ResetForm>,
) -> Result<Redirect, AppError> {
    if !auth::password_acceptable(&f.password) {
        return Err(AppError::Unprocessable {
            detail: "a password needs at least 12 characters".into(),
            errors: vec![],
        });
    }
    let hash = auth::hash_password(&f.password)?;
    Accounts::new(state.store.as_ref())
        .set_password(
            &id,
            &hash,
            true,
            admin_audit(&state, &authed, &rid, "password and MFA reset").object("account", &id),
        )
        .await?;
    Ok(Redirect::to("/admin/accounts"))
}

// --- the audit trail -----------------------------------------------------------------------

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

/// One object an actor touched, with how often and when last.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Touched {
    pub object_kind: String,
    pub object_id: String,
    pub times: u64,
    pub last_at: chrono::DateTime<Utc>,
    pub actions: Vec<String>,
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
        }
    }
}

fn empty_none(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

async fn answer(state: &AppState, p: &AuditParams) -> Result<AuditAnswer, AppError> {
    let accounts = Accounts::new(state.store.as_ref());
    let actor = match empty_none(&p.actor) {
        Some(a) if a.starts_with("acc-") || a == "system" || a == "unknown" => Some(a),
        Some(a) => Some(
            accounts
                .by_username(&a)
                .await?
                .map(|x| x.id)
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
    let from = state.now() - Duration::days(i64::from(days));
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
    let rows = state.store.audit_query(&filter).await?;
    let next_before = (rows.len() == 200)
        .then(|| rows.last().map(|r| r.seq))
        .flatten();
    // "Every person account X touched in the last N days": walk the whole period (in pages).
    let mut touched: BTreeMap<(String, String), Touched> = BTreeMap::new();
    if actor.is_some() {
        let mut f = AuditFilter {
            before_seq: None,
            limit: 1000,
            ..filter.clone()
        };
        loop {
            let page = state.store.audit_query(&f).await?;
            for r in &page {
                let e = &r.entry;
                if e.object_id.is_empty() {
                    continue;
                }
                let t = touched
                    .entry((e.object_kind.clone(), e.object_id.clone()))
                    .or_insert_with(|| Touched {
                        object_kind: e.object_kind.clone(),
                        object_id: e.object_id.clone(),
                        times: 0,
                        last_at: e.at,
                        actions: vec![],
                    });
                t.times += 1;
                t.last_at = t.last_at.max(e.at);
                let a = e.action.as_str().to_owned();
                if !t.actions.contains(&a) {
                    t.actions.push(a);
                }
            }
            match page.last() {
                Some(last) if page.len() == 1000 => f.before_seq = Some(last.seq),
                _ => break,
            }
        }
    }
    let mut touched: Vec<Touched> = touched.into_values().collect();
    touched.sort_by_key(|t| std::cmp::Reverse(t.last_at));
    let names: std::collections::HashMap<String, String> = accounts
        .list()
        .await?
        .into_iter()
        .map(|a| (a.id, a.username))
        .collect();
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
    State(state): State<AppState>,
    Query(p): Query<AuditParams>,
) -> Result<Json<AuditAnswer>, AppError> {
    Ok(Json(answer(&state, &p).await?))
}

#[derive(Template, WebTemplate)]
#[template(path = "audit.html")]
pub struct AuditPage {
    pub c: Chrome,
    pub p: AuditForm,
    pub a: AuditAnswer,
    pub actions: Vec<&'static str>,
    pub next_href: Option<String>,
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
    State(state): State<AppState>,
    c: Chrome,
    Query(p): Query<AuditParams>,
) -> Result<AuditPage, AppError> {
    let a = answer(&state, &p).await?;
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
    })
}

/// This capability's routes, each with who may call it (joined in [`crate::routes::table`]).
pub fn routes() -> Vec<crate::routes::Route> {
    use crate::routes::Route;
    use crate::routes::{ADMIN, AUDIT};
    use axum::http::Method;
    use utoipa_axum::routes;
    vec![
        Route::page(Method::GET, "/admin/accounts", ADMIN, accounts_page),
        Route::page(Method::POST, "/admin/accounts", ADMIN, create_account),
        Route::page(
            Method::POST,
            "/admin/accounts/{id}/disable",
            ADMIN,
            disable_account,
        ),
        Route::page(
            Method::POST,
            "/admin/accounts/{id}/enable",
            ADMIN,
            enable_account,
        ),
        Route::page(
            Method::POST,
            "/admin/accounts/{id}/reset",
            ADMIN,
            reset_account,
        ),
        Route::page(Method::GET, "/audit", AUDIT, audit_page),
        Route::api(AUDIT, routes!(api_audit)),
    ]
}

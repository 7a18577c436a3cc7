//! Account administration. Administrators manage accounts but reach no person through that
//! role. Creating an account that reads files, or resetting one's password and second factor,
//! is a request a second administrator decides (four eyes, [`requests`], ADR 0017); every
//! route here wants a recent sign-in (`Route::recent`).

pub mod requests;

use crate::app::{AdminChange, AppState};
use crate::auth;
use crate::caller::Caller;
use crate::error::AppError;
use crate::extract::{Form, Query};
use crate::web::Chrome;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use baoho_domain::access::{Agency, AgencyKind, Role};
use baoho_store::{Account, NewAccount, StoreError};
use serde::Deserialize;

#[derive(Template, WebTemplate)]
#[template(path = "accounts/accounts.html")]
pub struct AccountsPage {
    pub c: Chrome,
    pub accounts: Vec<Account>,
    pub roles: Vec<&'static str>,
    pub error: Option<String>,
    pub notice: Option<String>,
    pub form: NewAccountForm,
    /// Requests waiting for a second administrator.
    pub pending: usize,
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

async fn page(
    admin: &crate::app::AccountAdmin,
    c: Chrome,
    error: Option<String>,
    notice: Option<String>,
    form: NewAccountForm,
) -> Result<AccountsPage, AppError> {
    let pending = admin
        .requests()
        .await?
        .iter()
        .filter(|r| r.status == baoho_store::accounts::RequestStatus::Pending)
        .count();
    Ok(AccountsPage {
        c,
        accounts: admin.list().await?,
        roles: Role::ALL.iter().map(|r| r.as_str()).collect(),
        error,
        notice,
        form,
        pending,
    })
}

#[derive(Debug, Deserialize)]
pub struct CreatedQuery {
    #[serde(default)]
    created: Option<String>,
    #[serde(default)]
    reset: Option<String>,
}

/// `GET /admin/accounts`
pub async fn accounts_page(
    caller: Caller,
    c: Chrome,
    Query(q): Query<CreatedQuery>,
) -> Result<AccountsPage, AppError> {
    let admin = caller.account_admin()?;
    let notice = match (q.created, q.reset) {
        (Some(_), _) => Some("admin.created".to_owned()),
        (_, Some(_)) => Some("admin.reset_done".to_owned()),
        _ => None,
    };
    page(&admin, c, None, notice, NewAccountForm::default()).await
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

/// `POST /admin/accounts`: create a staff account, or for a role that reads files ask a
/// second administrator to (four eyes). The new user enrols MFA at first login.
pub async fn create_account(
    State(state): State<AppState>,
    caller: Caller,
    c: Chrome,
    Form(f): Form<NewAccountForm>,
) -> Result<Response, AppError> {
    let accounts = caller.account_admin()?;
    let fail = async |c: Chrome, key: &str, f: NewAccountForm| -> Result<Response, AppError> {
        let page = page(&accounts, c, Some(key.to_owned()), None, f).await?;
        Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
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
    let hash = auth::hash_password_limited(&state, &f.password).await?;
    let made = accounts
        .create(&NewAccount {
            username: f.username.clone(),
            display_name: display,
            role,
            agency,
            supervisor_id: supervisor,
            password_hash: hash,
            demo: false,
        })
        .await;
    match made {
        Ok(AdminChange::Done) => Ok(Redirect::to("/admin/accounts?created=1").into_response()),
        Ok(AdminChange::Requested(_)) => {
            Ok(Redirect::to("/admin/accounts/requests?requested=1").into_response())
        }
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
pub async fn disable_account(caller: Caller, Path(id): Path<String>) -> Result<Redirect, AppError> {
    let admin = caller.account_admin()?;
    if id == caller.account().id {
        return Err(AppError::Forbidden(
            "you cannot disable your own account".into(),
        ));
    }
    admin.set_disabled(&id, true).await?;
    Ok(Redirect::to("/admin/accounts"))
}

pub async fn enable_account(caller: Caller, Path(id): Path<String>) -> Result<Redirect, AppError> {
    caller.account_admin()?.set_disabled(&id, false).await?;
    Ok(Redirect::to("/admin/accounts"))
}

/// `POST /admin/accounts/{id}/reset`: a new password, MFA to enrol again, sessions ended; for
/// an account that reads files, once a second administrator approves.
pub async fn reset_account(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Form(f): Form<ResetForm>,
) -> Result<Redirect, AppError> {
    let admin = caller.account_admin()?;
    if !auth::password_acceptable(&f.password) {
        return Err(AppError::Unprocessable {
            detail: "a password needs at least 12 characters".into(),
            errors: vec![],
        });
    }
    let hash = auth::hash_password_limited(&state, &f.password).await?;
    Ok(match admin.reset_password(&id, &hash).await? {
        AdminChange::Done => Redirect::to("/admin/accounts?reset=1"),
        AdminChange::Requested(_) => Redirect::to("/admin/accounts/requests?requested=1"),
    })
}

/// This capability's routes, each with who may call it (joined in [`crate::routes::table`]).
/// Account administration is a sensitive action: every route wants a recent sign-in.
pub fn routes() -> Vec<crate::routes::Route> {
    use crate::routes::ADMIN;
    use crate::routes::Route;
    use axum::http::Method;
    vec![
        Route::page(Method::GET, "/admin/accounts", ADMIN, accounts_page).recent(),
        Route::page(Method::POST, "/admin/accounts", ADMIN, create_account).recent(),
        Route::page(
            Method::POST,
            "/admin/accounts/{id}/disable",
            ADMIN,
            disable_account,
        )
        .recent(),
        Route::page(
            Method::POST,
            "/admin/accounts/{id}/enable",
            ADMIN,
            enable_account,
        )
        .recent(),
        Route::page(
            Method::POST,
            "/admin/accounts/{id}/reset",
            ADMIN,
            reset_account,
        )
        .recent(),
        Route::page(
            Method::GET,
            "/admin/accounts/requests",
            ADMIN,
            requests::requests_page,
        )
        .recent(),
        Route::page(
            Method::POST,
            "/admin/accounts/requests/{id}/approve",
            ADMIN,
            requests::approve,
        )
        .recent(),
        Route::page(
            Method::POST,
            "/admin/accounts/requests/{id}/refuse",
            ADMIN,
            requests::refuse,
        )
        .recent(),
    ]
}

//! The password step, signing out, and who is signed in.

use super::attempt::{self, Refusal};
use super::pages::LoginPage;
use super::{NextQuery, next_or_home, with_cookie, with_next};
use crate::app::AppState;
use crate::auth::{self, Authed, LOGIN_COOKIE, SESSION_COOKIE};
use crate::error::AppError;
use crate::extract::{Form, Query};
use crate::layers::RequestId;
use crate::web::Chrome;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Json};
use baoho_store::LoginChange;
use baoho_store::audit::{AuditAction, AuditOutcome};
use serde::{Deserialize, Serialize};

/// `GET /login`: the form, with a fresh login-CSRF cookie (double submit).
pub async fn login_form(
    State(state): State<AppState>,
    c: Chrome,
    Query(q): Query<NextQuery>,
) -> Result<Response, AppError> {
    let next = next_or_home(q.next.as_deref());
    if c.user.is_some() {
        return Ok(Redirect::to(&next).into_response());
    }
    let token = auth::new_token()?;
    let page = LoginPage {
        c,
        csrf: token.clone(),
        next,
        username: String::new(),
        error: None,
        demo: state.demo,
    };
    Ok(with_cookie(
        page.into_response(),
        auth::set_cookie(&state, LOGIN_COOKIE, &token, Some(3600)),
    ))
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    next: Option<String>,
}

/// `POST /login`: check the password. Success starts a session that still needs the second
/// factor; failure re-shows the form with one message for every cause (no account probing:
/// unknown usernames get the same answers, the same work and the same lock).
pub async fn login_submit(
    State(state): State<AppState>,
    c: Chrome,
    headers: HeaderMap,
    Extension(rid): Extension<RequestId>,
    auth::ClientIp(ip): auth::ClientIp,
    Form(f): Form<LoginForm>,
) -> Result<Response, AppError> {
    let cookie = auth::read_cookie(&state, &headers, LOGIN_COOKIE).unwrap_or_default();
    if cookie.is_empty() || !auth::constant_eq(cookie.as_bytes(), f.csrf.as_bytes()) {
        return Err(AppError::Forbidden(
            "the sign-in form expired; reload the page and try again".into(),
        ));
    }
    let next = next_or_home(f.next.as_deref());
    let again = |c: Chrome, error: &str, status: StatusCode| {
        let page = LoginPage {
            c,
            csrf: f.csrf.clone(),
            next: next.clone(),
            username: f.username.chars().take(64).collect(),
            error: Some(error.to_owned()),
            demo: state.demo,
        };
        (status, page).into_response()
    };
    let account = state.sign_in().by_username(&f.username).await?;
    let attempt = match attempt::begin(&state, &rid, ip, account.as_ref(), &f.username).await? {
        Ok(a) => a,
        Err(refusal) => {
            if refusal == Refusal::Locked {
                attempt::same_work(&state, &f.password).await?;
            }
            let what = match refusal {
                Refusal::Address => "address throttled",
                Refusal::Locked => "account locked",
            };
            let audited = account.as_ref().filter(|_| refusal == Refusal::Locked);
            attempt::refused(&state, &rid, audited, what).await?;
            return Ok(again(c, refusal.message(), StatusCode::TOO_MANY_REQUESTS));
        }
    };
    let Some(account) = account.as_ref() else {
        attempt::same_work(&state, &f.password).await?;
        attempt.failed("unknown username").await?;
        return Ok(again(c, "login.error.wrong", StatusCode::UNAUTHORIZED));
    };
    let password_ok = auth::check_password(&state, &f.password, &account.password_hash).await?;
    if !password_ok || account.disabled {
        let what = if account.disabled {
            "account disabled"
        } else {
            "wrong password"
        };
        attempt.failed(what).await?;
        return Ok(again(c, "login.error.wrong", StatusCode::UNAUTHORIZED));
    }
    attempt.password_passed().await?;
    let token = auth::start_session(&state, account).await?;
    let to = if account.totp_secret.is_some() {
        with_next("/login/mfa", &next)
    } else {
        with_next("/mfa/enrol", &next)
    };
    let res = with_cookie(
        Redirect::to(&to).into_response(),
        auth::set_cookie(&state, SESSION_COOKIE, &token, None),
    );
    Ok(with_cookie(
        res,
        auth::set_cookie(&state, LOGIN_COOKIE, "", Some(0)),
    ))
}

/// `POST /logout`: the session ends at once, on the server.
pub async fn logout(
    State(state): State<AppState>,
    Extension(authed): Extension<Authed>,
    Extension(rid): Extension<RequestId>,
) -> Result<Response, AppError> {
    let accounts = state.sign_in();
    accounts.delete_session(&authed.session.token_hash).await?;
    accounts
        .record_login(
            None,
            LoginChange::None,
            auth::account_audit(
                &state,
                &authed.account,
                AuditAction::Logout,
                AuditOutcome::Allowed,
                &rid.0,
                "",
            ),
        )
        .await?;
    Ok(with_cookie(
        Redirect::to("/login").into_response(),
        auth::set_cookie(&state, SESSION_COOKIE, "", Some(0)),
    ))
}

/// Who is signed in, and the CSRF token API clients send back in `X-CSRF-Token`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SessionInfo {
    pub account_id: String,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub agency: String,
    /// Send in `X-CSRF-Token` on every POST, PUT or DELETE.
    pub csrf_token: String,
}

/// The current session.
#[utoipa::path(get, path = "/api/v1/session", tag = "session",
    responses((status = 200, body = SessionInfo), (status = 401, body = crate::error::ProblemBody)))]
pub async fn session_info(Extension(authed): Extension<Authed>) -> Json<SessionInfo> {
    Json(SessionInfo {
        account_id: authed.account.id.clone(),
        username: authed.account.username.clone(),
        display_name: authed.account.display_name.clone(),
        role: authed.account.role.as_str().to_owned(),
        agency: authed.account.agency.code.clone(),
        csrf_token: authed.session.csrf.clone(),
    })
}

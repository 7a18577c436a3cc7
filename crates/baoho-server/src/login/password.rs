//! A signed-in user changes their own password. The current password is checked as a
//! sign-in attempt (same slots, same lock: the form is not a password oracle); the change
//! ends every session of the account.

use super::attempt;
use super::pages::PasswordPage;
use super::with_cookie;
use crate::app::AppState;
use crate::auth::{self, Authed, SESSION_COOKIE};
use crate::error::AppError;
use crate::extract::Form;
use crate::layers::RequestId;
use crate::web::Chrome;
use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use baoho_store::audit::{AuditAction, AuditOutcome};
use serde::Deserialize;

/// `GET /account/password`
pub async fn password_form(c: Chrome, Extension(authed): Extension<Authed>) -> PasswordPage {
    PasswordPage {
        c,
        csrf: authed.session.csrf.clone(),
        error: None,
    }
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    confirm: String,
}

/// `POST /account/password`
pub async fn password_submit(
    State(state): State<AppState>,
    c: Chrome,
    Extension(authed): Extension<Authed>,
    Extension(rid): Extension<RequestId>,
    auth::ClientIp(ip): auth::ClientIp,
    Form(f): Form<PasswordForm>,
) -> Result<Response, AppError> {
    let csrf = authed.session.csrf.clone();
    let again = |c: Chrome, error: &str, status: StatusCode| {
        let page = PasswordPage {
            c,
            csrf: csrf.clone(),
            error: Some(error.to_owned()),
        };
        (status, page).into_response()
    };
    let a = &authed.account;
    let attempt = match attempt::begin(&state, &rid, ip, Some(a), &a.username).await? {
        Ok(attempt) => attempt,
        Err(_) => {
            attempt::refused(&state, &rid, Some(a), "password change: locked").await?;
            return Ok(again(
                c,
                "password.error.locked",
                StatusCode::TOO_MANY_REQUESTS,
            ));
        }
    };
    if !auth::check_password(&state, &f.current, &a.password_hash).await? {
        attempt.failed("password change: wrong password").await?;
        return Ok(again(c, "password.error.wrong", StatusCode::UNAUTHORIZED));
    }
    attempt.password_passed().await?;
    let problem = if f.new != f.confirm {
        Some("password.error.mismatch")
    } else if !auth::password_acceptable(&f.new) {
        Some("password.error.weak")
    } else if f.new == f.current {
        Some("password.error.same")
    } else {
        None
    };
    if let Some(p) = problem {
        return Ok(again(c, p, StatusCode::UNPROCESSABLE_ENTITY));
    }
    let hash = auth::hash_password_limited(&state, &f.new).await?;
    let audit = auth::account_audit(
        &state,
        a,
        AuditAction::Admin,
        AuditOutcome::Allowed,
        &rid.0,
        "password changed by its owner",
    );
    state
        .sign_in()
        .set_password(&a.id, &hash, false, audit)
        .await?;
    Ok(with_cookie(
        Redirect::to("/login").into_response(),
        auth::set_cookie(&state, SESSION_COOKIE, "", Some(0)),
    ))
}

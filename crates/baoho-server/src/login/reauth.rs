//! Re-authentication: a signed-in officer gives the password and the second factor again
//! before a sensitive action (export, break-glass, consent override, account administration:
//! the routes declared `Route::recent`), whose guard sent them here. The attempt takes the
//! same slots as a sign-in (same throttle, same lock) and is audited; success replaces the
//! session by one created now (the CSRF token kept) and goes back to where the officer was.

use super::attempt::{self, Refusal};
use super::mfa::{decrypt_secret, demo_code, second_factor_ok};
use super::pages::ReauthPage;
use super::{NextQuery, next_or_home, with_cookie};
use crate::app::AppState;
use crate::auth::{self, Authed, SESSION_COOKIE};
use crate::error::AppError;
use crate::extract::{Form, Query};
use crate::layers::RequestId;
use crate::web::Chrome;
use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

fn page(
    state: &AppState,
    c: Chrome,
    authed: &Authed,
    next: String,
    secret: Option<&[u8]>,
    error: Option<&str>,
) -> ReauthPage {
    ReauthPage {
        c,
        csrf: authed.session.csrf.clone(),
        next,
        error: error.map(str::to_owned),
        demo_code: secret.and_then(|s| demo_code(state, &authed.account, s)),
    }
}

/// `GET /login/reauth?next=…`
pub async fn reauth_form(
    State(state): State<AppState>,
    c: Chrome,
    Extension(authed): Extension<Authed>,
    Query(q): Query<NextQuery>,
) -> Result<ReauthPage, AppError> {
    let next = next_or_home(q.next.as_deref());
    let secret = decrypt_secret(&state, &authed.account)?;
    Ok(page(&state, c, &authed, next, secret.as_deref(), None))
}

#[derive(Debug, Deserialize)]
pub struct ReauthForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    next: Option<String>,
}

/// `POST /login/reauth`: the password, then the code, looked at only once this attempt holds
/// its slots; one message for either being wrong.
pub async fn reauth_submit(
    State(state): State<AppState>,
    c: Chrome,
    Extension(authed): Extension<Authed>,
    Extension(rid): Extension<RequestId>,
    auth::ClientIp(ip): auth::ClientIp,
    Form(f): Form<ReauthForm>,
) -> Result<Response, AppError> {
    let next = next_or_home(f.next.as_deref());
    let a = &authed.account;
    let Some(secret) = decrypt_secret(&state, a)? else {
        // A staff session always has its second factor; without one, enrol first.
        return Ok(Redirect::to("/mfa/enrol").into_response());
    };
    let again = |c: Chrome, error: &str, status: StatusCode| {
        let p = page(&state, c, &authed, next.clone(), Some(&secret), Some(error));
        (status, p).into_response()
    };
    let attempt = match attempt::begin(&state, &rid, ip, Some(a), &a.username).await? {
        Ok(attempt) => attempt,
        Err(_) => {
            attempt::refused(&state, &rid, Some(a), "re-authentication throttled").await?;
            return Ok(again(
                c,
                Refusal::Locked.message(),
                StatusCode::TOO_MANY_REQUESTS,
            ));
        }
    };
    if !auth::check_password(&state, &f.password, &a.password_hash).await? {
        attempt.failed("re-authentication: wrong password").await?;
        return Ok(again(c, "reauth.error.wrong", StatusCode::UNAUTHORIZED));
    }
    if !second_factor_ok(&state, a, &secret, &f.code).await? {
        attempt
            .failed("re-authentication: wrong second factor")
            .await?;
        return Ok(again(c, "reauth.error.wrong", StatusCode::UNAUTHORIZED));
    }
    attempt.reauthenticated().await?;
    let token = auth::reauthenticate(&state, &authed).await?;
    Ok(with_cookie(
        Redirect::to(&next).into_response(),
        auth::set_cookie(&state, SESSION_COOKIE, &token, None),
    ))
}

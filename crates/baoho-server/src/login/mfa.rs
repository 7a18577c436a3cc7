//! The second factor: a TOTP code (each time step once) or a recovery code, and the
//! enrolment on first sign-in.

use super::attempt::{self, Refusal};
use super::pages::{EnrolPage, MfaPage, RecoveryPage};
use super::{NextQuery, next_or_home, with_cookie, with_next};
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
use baoho_store::Aad;
use baoho_store::audit::{AuditAction, AuditOutcome};
use serde::Deserialize;

pub(super) fn decrypt_secret(
    state: &AppState,
    a: &baoho_store::Account,
) -> Result<Option<Vec<u8>>, AppError> {
    let Some(env) = &a.totp_secret else {
        return Ok(None);
    };
    let b32 = state
        .keys
        .decrypt_string(&Aad::new("account", "totp_secret", &a.id), env)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let secret = totp_rs::Secret::try_from_base32(b32.as_str())
        .map_err(|_| AppError::Internal("stored TOTP secret is not base32".into()))?;
    Ok(Some(secret.as_bytes().to_vec()))
}

/// The demo's hint: the current code, for demo accounts on a demo server only.
pub(super) fn demo_code(
    state: &AppState,
    a: &baoho_store::Account,
    secret: &[u8],
) -> Option<String> {
    if !(state.demo && a.demo) {
        return None;
    }
    let t = auth::totp(secret, &a.username).ok()?;
    // Each step is accepted once: after a sign-in in this 30 s window, show the next one
    // (accepted thanks to one step of skew).
    let now = state.now().timestamp().max(0) as u64;
    let step = (now / 30) as i64;
    let step = match a.totp_last_step {
        Some(last) if last >= step => last + 1,
        _ => step,
    };
    if step > (now / 30) as i64 + 1 {
        return None;
    }
    Some(t.generate(step as u64 * 30).to_string())
}

/// The second-factor page, with `error` (a message key) if the last attempt failed.
fn mfa_page(
    state: &AppState,
    c: Chrome,
    authed: &Authed,
    next: String,
    secret: &[u8],
    error: Option<&str>,
) -> MfaPage {
    let code = demo_code(state, &authed.account, secret);
    MfaPage {
        c,
        csrf: authed.session.csrf.clone(),
        next,
        demo_wait: state.demo && authed.account.demo && code.is_none() && error.is_none(),
        demo_code: code,
        error: error.map(str::to_owned),
    }
}

/// `GET /login/mfa`
pub async fn mfa_form(
    State(state): State<AppState>,
    c: Chrome,
    Extension(authed): Extension<Authed>,
    Query(q): Query<NextQuery>,
) -> Result<Response, AppError> {
    let next = next_or_home(q.next.as_deref());
    if authed.session.mfa_ok {
        return Ok(Redirect::to(&next).into_response());
    }
    let Some(secret) = decrypt_secret(&state, &authed.account)? else {
        return Ok(Redirect::to(&with_next("/mfa/enrol", &next)).into_response());
    };
    Ok(mfa_page(&state, c, &authed, next, &secret, None).into_response())
}

#[derive(Debug, Deserialize)]
pub struct MfaForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    next: Option<String>,
}

/// Check a TOTP code (each time step once) or spend a recovery code.
pub(super) async fn second_factor_ok(
    state: &AppState,
    a: &baoho_store::Account,
    secret: &[u8],
    code: &str,
) -> Result<bool, AppError> {
    let accounts = state.sign_in();
    let digits: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if digits.len() == 6 && digits.bytes().all(|b| b.is_ascii_digit()) {
        let t = auth::totp(secret, &a.username)?;
        return Ok(
            match t.check(&digits, state.now().timestamp().max(0) as u64) {
                Some(step) => accounts.accept_totp_step(&a.id, step as i64).await?,
                None => false,
            },
        );
    }
    if code.len() <= 40 {
        return Ok(accounts
            .use_recovery_code(&a.id, &auth::recovery_hash(code), state.now())
            .await?);
    }
    Ok(false)
}

/// `POST /login/mfa`: the code is looked at only once this attempt holds its slots.
pub async fn mfa_submit(
    State(state): State<AppState>,
    c: Chrome,
    Extension(authed): Extension<Authed>,
    Extension(rid): Extension<RequestId>,
    auth::ClientIp(ip): auth::ClientIp,
    Form(f): Form<MfaForm>,
) -> Result<Response, AppError> {
    let next = next_or_home(f.next.as_deref());
    let a = &authed.account;
    let Some(secret) = decrypt_secret(&state, a)? else {
        return Ok(Redirect::to("/mfa/enrol").into_response());
    };
    let attempt = match attempt::begin(&state, &rid, ip, Some(a), &a.username).await? {
        Ok(attempt) => attempt,
        Err(_) => {
            // Address or account: either way the message is the lock's.
            attempt::refused(&state, &rid, Some(a), "second factor throttled").await?;
            let page = mfa_page(
                &state,
                c,
                &authed,
                next,
                &secret,
                Some(Refusal::Locked.message()),
            );
            return Ok((StatusCode::TOO_MANY_REQUESTS, page).into_response());
        }
    };
    if !second_factor_ok(&state, a, &secret, &f.code).await? {
        attempt.failed("wrong second factor").await?;
        let page = mfa_page(&state, c, &authed, next, &secret, Some("mfa.error.wrong"));
        return Ok((StatusCode::UNAUTHORIZED, page).into_response());
    }
    attempt.signed_in().await?;
    let token = auth::complete_mfa(&state, &authed).await?;
    Ok(with_cookie(
        Redirect::to(&next).into_response(),
        auth::set_cookie(&state, SESSION_COOKIE, &token, None),
    ))
}

fn enrol_page(
    state: &AppState,
    c: Chrome,
    authed: &Authed,
    next: String,
    secret: &[u8],
    error: Option<String>,
) -> Result<EnrolPage, AppError> {
    let a = &authed.account;
    let t = auth::totp(secret, &a.username)?;
    let url = t
        .to_url()
        .map_err(|e| AppError::Internal(format!("totp url: {e}")))?;
    let b32 = totp_rs::Secret::from(secret.to_vec()).to_base32();
    let pending = state
        .keys
        .encrypt_str(
            &Aad::new("enrolment", "totp_secret", &authed.session.token_hash),
            &b32,
        )
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(EnrolPage {
        c,
        csrf: authed.session.csrf.clone(),
        next,
        qr_svg: auth::qr_svg(&url)?,
        secret_b32: b32,
        pending,
        error,
        demo_code: demo_code(state, a, secret),
    })
}

/// `GET /mfa/enrol`: first login: scan the QR code, type a code to confirm.
pub async fn enrol_form(
    State(state): State<AppState>,
    c: Chrome,
    Extension(authed): Extension<Authed>,
    Query(q): Query<NextQuery>,
) -> Result<Response, AppError> {
    let next = next_or_home(q.next.as_deref());
    if authed.account.totp_secret.is_some() {
        // Re-enrolment needs an administrator's reset: a stolen password alone must not
        // replace the second factor.
        return Ok(Redirect::to(&with_next("/login/mfa", &next)).into_response());
    }
    let secret = auth::new_totp_secret()?;
    Ok(enrol_page(&state, c, &authed, next, &secret, None)?.into_response())
}

#[derive(Debug, Deserialize)]
pub struct EnrolForm {
    #[serde(default)]
    pending: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    next: Option<String>,
}

/// `POST /mfa/enrol`: the code proves the app holds the secret; then the secret is stored
/// (encrypted), recovery codes are shown once, and the session gets its second factor.
pub async fn enrol_submit(
    State(state): State<AppState>,
    c: Chrome,
    Extension(authed): Extension<Authed>,
    Extension(rid): Extension<RequestId>,
    Form(f): Form<EnrolForm>,
) -> Result<Response, AppError> {
    let next = next_or_home(f.next.as_deref());
    let a = &authed.account;
    if a.totp_secret.is_some() {
        return Ok(Redirect::to("/login/mfa").into_response());
    }
    let expired = || AppError::BadRequest("the enrolment form expired; reload it".into());
    let b32 = state
        .keys
        .decrypt_string(
            &Aad::new("enrolment", "totp_secret", &authed.session.token_hash),
            &f.pending,
        )
        .map_err(|_| expired())?;
    let secret = totp_rs::Secret::try_from_base32(b32.as_str())
        .map_err(|_| expired())?
        .as_bytes()
        .to_vec();
    let t = auth::totp(&secret, &a.username)?;
    let code: String = f.code.chars().filter(|c| !c.is_whitespace()).collect();
    let Some(step) = t.check(&code, state.now().timestamp().max(0) as u64) else {
        let error = Some("mfa.error.wrong".into());
        let page = enrol_page(&state, c, &authed, next, &secret, error)?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    };
    let codes = auth::new_recovery_codes()?;
    let hashes: Vec<String> = codes.iter().map(|c| auth::recovery_hash(c)).collect();
    let envelope = state
        .keys
        .encrypt_str(&Aad::new("account", "totp_secret", &a.id), &b32)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let audit = auth::account_audit(
        &state,
        a,
        AuditAction::Admin,
        AuditOutcome::Allowed,
        &rid.0,
        "mfa enrolled",
    );
    state
        .sign_in()
        .enrol_totp(&a.id, &envelope, step as i64, &hashes, audit)
        .await?;
    let token = auth::complete_mfa(&state, &authed).await?;
    let page = RecoveryPage { c, codes, next };
    Ok(with_cookie(
        page.into_response(),
        auth::set_cookie(&state, SESSION_COOKIE, &token, None),
    ))
}

//! Signing in and out: password, then the second factor (TOTP or a recovery code), with
//! enrolment on first login. Every attempt is audited; failures are throttled per address and
//! lock the account after [`auth::LOCK_AFTER`] in a row.

use crate::app::AppState;
use crate::auth::{self, Authed, LOGIN_COOKIE, SESSION_COOKIE};
use crate::error::AppError;
use crate::extract::{Form, Query};
use crate::layers::RequestId;
use crate::web::Chrome;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Json};
use baoho_store::audit::{AuditAction, AuditOutcome};
use baoho_store::{Aad, LoginChange};
use chrono::Duration;
use serde::{Deserialize, Serialize};

#[derive(Template, WebTemplate)]
#[template(path = "login/login.html")]
pub struct LoginPage {
    pub c: Chrome,
    pub csrf: String,
    pub next: String,
    pub username: String,
    /// A message key for the problem, if the last attempt failed.
    pub error: Option<String>,
    pub demo: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "login/mfa.html")]
pub struct MfaPage {
    pub c: Chrome,
    pub csrf: String,
    pub next: String,
    pub error: Option<String>,
    /// `baoho demo` only: the current code of a demo account.
    pub demo_code: Option<String>,
    /// `baoho demo` only: this demo account used its codes of this window; the next one comes
    /// within 30 seconds.
    pub demo_wait: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "login/enrol.html")]
pub struct EnrolPage {
    pub c: Chrome,
    pub csrf: String,
    pub next: String,
    pub qr_svg: String,
    pub secret_b32: String,
    /// The pending secret, encrypted to this account (nothing is stored until confirmed).
    pub pending: String,
    pub error: Option<String>,
    pub demo_code: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "login/recovery.html")]
pub struct RecoveryPage {
    pub c: Chrome,
    pub codes: Vec<String>,
    pub next: String,
}

/// Only local paths may be returned to after login (no open redirect).
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.contains('\\')
                && !n.contains("://")
                && !n.starts_with("/login")
                && !n.starts_with("/mfa")
                && n.len() < 500 =>
        {
            n.to_owned()
        }
        _ => "/persons".to_owned(),
    }
}

fn with_cookie(mut res: Response, v: axum::http::HeaderValue) -> Response {
    res.headers_mut().append(header::SET_COOKIE, v);
    res
}

#[derive(Debug, Deserialize, Default)]
pub struct NextQuery {
    next: Option<String>,
}

/// `GET /login`: the form, with a fresh login-CSRF cookie (double submit).
pub async fn login_form(
    State(state): State<AppState>,
    c: Chrome,
    Query(q): Query<NextQuery>,
) -> Result<Response, AppError> {
    if c.user.is_some() {
        return Ok(Redirect::to(&safe_next(q.next.as_deref())).into_response());
    }
    let token = auth::new_token()?;
    let page = LoginPage {
        c,
        csrf: token.clone(),
        next: safe_next(q.next.as_deref()),
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
/// factor; failure re-shows the form with one message for every cause (no account probing).
pub async fn login_submit(
    State(state): State<AppState>,
    c: Chrome,
    headers: HeaderMap,
    Extension(rid): Extension<RequestId>,
    auth::ClientIp(ip): auth::ClientIp,
    Form(f): Form<LoginForm>,
) -> Result<Response, AppError> {
    let cookie = auth::cookie_value(&headers, LOGIN_COOKIE).unwrap_or_default();
    if cookie.is_empty() || !auth::constant_eq(cookie.as_bytes(), f.csrf.as_bytes()) {
        return Err(AppError::Forbidden(
            "the sign-in form expired; reload the page and try again".into(),
        ));
    }
    let now = state.now();
    let accounts = state.sign_in();
    let next = safe_next(f.next.as_deref());
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
    if !state.throttle.allowed(ip, now) {
        accounts
            .record_login(
                None,
                LoginChange::None,
                auth::auth_audit(
                    &state,
                    "unknown",
                    AuditAction::Login,
                    AuditOutcome::Denied,
                    &rid.0,
                    "address throttled",
                ),
            )
            .await?;
        return Ok(again(
            c,
            "login.error.throttled",
            StatusCode::TOO_MANY_REQUESTS,
        ));
    }
    let account = accounts.by_username(&f.username).await?;
    let Some(account) = account else {
        // Same work as a real check, so the answer's timing does not reveal unknown names.
        let _ = auth::verify_password(&f.password, auth::dummy_hash());
        state.throttle.failed(ip, now);
        accounts
            .record_login(
                None,
                LoginChange::None,
                auth::auth_audit(
                    &state,
                    "unknown",
                    AuditAction::Login,
                    AuditOutcome::Failed,
                    &rid.0,
                    "unknown username",
                ),
            )
            .await?;
        return Ok(again(c, "login.error.wrong", StatusCode::UNAUTHORIZED));
    };
    let audit = |outcome, what: &str| {
        auth::account_audit(&state, &account, AuditAction::Login, outcome, &rid.0, what)
    };
    if let Some(until) = account.locked_until
        && until > now
    {
        state.throttle.failed(ip, now);
        accounts
            .record_login(
                Some(&account.id),
                LoginChange::None,
                audit(AuditOutcome::Denied, "account locked"),
            )
            .await?;
        return Ok(again(
            c,
            "login.error.locked",
            StatusCode::TOO_MANY_REQUESTS,
        ));
    }
    let password_ok = auth::verify_password(&f.password, &account.password_hash);
    if !password_ok || account.disabled {
        state.throttle.failed(ip, now);
        let lock = (account.failed_logins + 1 >= auth::LOCK_AFTER)
            .then(|| now + Duration::minutes(auth::LOCK_MINUTES));
        let what = if account.disabled {
            "account disabled"
        } else {
            "wrong password"
        };
        accounts
            .record_login(
                Some(&account.id),
                LoginChange::Failure { lock_until: lock },
                audit(AuditOutcome::Failed, what),
            )
            .await?;
        return Ok(again(c, "login.error.wrong", StatusCode::UNAUTHORIZED));
    }
    accounts
        .record_login(
            Some(&account.id),
            LoginChange::None,
            audit(AuditOutcome::Allowed, "password accepted"),
        )
        .await?;
    let token = auth::start_session(&state, &account).await?;
    let q = serde_urlencoded::to_string([("next", next.as_str())]).unwrap_or_default();
    let to = if account.totp_secret.is_some() {
        format!("/login/mfa?{q}")
    } else {
        format!("/mfa/enrol?{q}")
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

fn decrypt_secret(state: &AppState, a: &baoho_store::Account) -> Result<Option<Vec<u8>>, AppError> {
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
fn demo_code(state: &AppState, a: &baoho_store::Account, secret: &[u8]) -> Option<String> {
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

/// `GET /login/mfa`
pub async fn mfa_form(
    State(state): State<AppState>,
    c: Chrome,
    Extension(authed): Extension<Authed>,
    Query(q): Query<NextQuery>,
) -> Result<Response, AppError> {
    let next = safe_next(q.next.as_deref());
    if authed.session.mfa_ok {
        return Ok(Redirect::to(&next).into_response());
    }
    let Some(secret) = decrypt_secret(&state, &authed.account)? else {
        let q = serde_urlencoded::to_string([("next", next.as_str())]).unwrap_or_default();
        return Ok(Redirect::to(&format!("/mfa/enrol?{q}")).into_response());
    };
    Ok(MfaPage {
        c,
        csrf: authed.session.csrf.clone(),
        next,
        error: None,
        demo_code: demo_code(&state, &authed.account, &secret),
        demo_wait: state.demo
            && authed.account.demo
            && demo_code(&state, &authed.account, &secret).is_none(),
    }
    .into_response())
}

#[derive(Debug, Deserialize)]
pub struct MfaForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    next: Option<String>,
}

/// Check a TOTP code (each time step once) or spend a recovery code.
async fn second_factor_ok(
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

/// `POST /login/mfa`
pub async fn mfa_submit(
    State(state): State<AppState>,
    c: Chrome,
    Extension(authed): Extension<Authed>,
    Extension(rid): Extension<RequestId>,
    auth::ClientIp(ip): auth::ClientIp,
    Form(f): Form<MfaForm>,
) -> Result<Response, AppError> {
    let next = safe_next(f.next.as_deref());
    let a = &authed.account;
    let Some(secret) = decrypt_secret(&state, a)? else {
        return Ok(Redirect::to("/mfa/enrol").into_response());
    };
    let now = state.now();
    let accounts = state.sign_in();
    let audit = |outcome, what: &str| {
        auth::account_audit(&state, a, AuditAction::Login, outcome, &rid.0, what)
    };
    let locked = a.locked_until.is_some_and(|u| u > now);
    if locked || !state.throttle.allowed(ip, now) {
        accounts
            .record_login(
                Some(&a.id),
                LoginChange::None,
                audit(AuditOutcome::Denied, "second factor throttled"),
            )
            .await?;
        let page = MfaPage {
            c,
            csrf: authed.session.csrf.clone(),
            next,
            error: Some("login.error.locked".into()),
            demo_code: None,
            demo_wait: false,
        };
        return Ok((StatusCode::TOO_MANY_REQUESTS, page).into_response());
    }
    if !second_factor_ok(&state, a, &secret, &f.code).await? {
        state.throttle.failed(ip, now);
        let lock = (a.failed_logins + 1 >= auth::LOCK_AFTER)
            .then(|| now + Duration::minutes(auth::LOCK_MINUTES));
        accounts
            .record_login(
                Some(&a.id),
                LoginChange::Failure { lock_until: lock },
                audit(AuditOutcome::Failed, "wrong second factor"),
            )
            .await?;
        let page = MfaPage {
            c,
            csrf: authed.session.csrf.clone(),
            next,
            error: Some("mfa.error.wrong".into()),
            demo_code: demo_code(&state, a, &secret),
            demo_wait: false,
        };
        return Ok((StatusCode::UNAUTHORIZED, page).into_response());
    }
    accounts
        .record_login(
            Some(&a.id),
            LoginChange::Success,
            audit(AuditOutcome::Allowed, "second factor accepted"),
        )
        .await?;
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
    let next = safe_next(q.next.as_deref());
    if authed.account.totp_secret.is_some() {
        // Re-enrolment needs an administrator's reset: a stolen password alone must not
        // replace the second factor.
        let q = serde_urlencoded::to_string([("next", next.as_str())]).unwrap_or_default();
        return Ok(Redirect::to(&format!("/login/mfa?{q}")).into_response());
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
    let next = safe_next(f.next.as_deref());
    let a = &authed.account;
    if a.totp_secret.is_some() {
        return Ok(Redirect::to("/login/mfa").into_response());
    }
    let b32 = state
        .keys
        .decrypt_string(
            &Aad::new("enrolment", "totp_secret", &authed.session.token_hash),
            &f.pending,
        )
        .map_err(|_| AppError::BadRequest("the enrolment form expired; reload it".into()))?;
    let secret = totp_rs::Secret::try_from_base32(b32.as_str())
        .map_err(|_| AppError::BadRequest("the enrolment form expired; reload it".into()))?
        .as_bytes()
        .to_vec();
    let t = auth::totp(&secret, &a.username)?;
    let code: String = f.code.chars().filter(|c| !c.is_whitespace()).collect();
    let Some(step) = t.check(&code, state.now().timestamp().max(0) as u64) else {
        let page = enrol_page(
            &state,
            c,
            &authed,
            next,
            &secret,
            Some("mfa.error.wrong".into()),
        )?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    };
    let codes = auth::new_recovery_codes()?;
    let hashes: Vec<String> = codes.iter().map(|c| auth::recovery_hash(c)).collect();
    let envelope = state
        .keys
        .encrypt_str(&Aad::new("account", "totp_secret", &a.id), &b32)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let accounts = state.sign_in();
    accounts
        .enrol_totp(
            &a.id,
            &envelope,
            step as i64,
            &hashes,
            auth::account_audit(
                &state,
                a,
                AuditAction::Admin,
                AuditOutcome::Allowed,
                &rid.0,
                "mfa enrolled",
            ),
        )
        .await?;
    let token = auth::complete_mfa(&state, &authed).await?;
    let page = RecoveryPage { c, codes, next };
    Ok(with_cookie(
        page.into_response(),
        auth::set_cookie(&state, SESSION_COOKIE, &token, None),
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

/// This capability's routes, each with who may call it (joined in [`crate::routes::table`]).
pub fn routes() -> Vec<crate::routes::Route> {
    use crate::routes::Access::{PasswordOnly, Public, Staff};
    use crate::routes::Route;
    use axum::http::Method;
    use utoipa_axum::routes;
    vec![
        Route::page(Method::GET, "/login", Public, login_form),
        Route::page(Method::POST, "/login", Public, login_submit),
        Route::page(Method::GET, "/login/mfa", PasswordOnly, mfa_form),
        Route::page(Method::POST, "/login/mfa", PasswordOnly, mfa_submit),
        Route::page(Method::GET, "/mfa/enrol", PasswordOnly, enrol_form),
        Route::page(Method::POST, "/mfa/enrol", PasswordOnly, enrol_submit),
        Route::page(Method::POST, "/logout", PasswordOnly, logout),
        Route::api(Staff, routes!(session_info)),
    ]
}

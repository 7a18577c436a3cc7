//! Who is asking: passwords (argon2id), TOTP second factor with recovery codes, server-side
//! sessions, CSRF, login throttling, and the guard every route passes through.
//!
//! The guard is built from the route table (`routes.rs`): a route's declared [`Access`] is
//! what is enforced, so a route cannot exist without a rule. Handlers get the caller as an
//! [`Authed`] request extension, built here from the session, never from request input.

use crate::app::AppState;
use crate::error::AppError;
use crate::layers::RequestId;
use crate::routes::{Access, Kind};
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use baoho_store::Identity;
use baoho_store::audit::{AuditAction, AuditEntry, AuditOutcome};
use baoho_store::{AccessCtx, Account, Accounts, Persons, Session};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

pub const SESSION_COOKIE: &str = "baoho_session";
pub const LOGIN_COOKIE: &str = "baoho_login";
pub const CSRF_HEADER: &str = "x-csrf-token";
pub const CSRF_FIELD: &str = "csrf";

/// Consecutive failures (password or second factor) before an account is locked.
pub const LOCK_AFTER: i64 = 5;
/// How long a lock lasts.
pub const LOCK_MINUTES: i64 = 15;
/// Failed attempts from one address in one window before it gets 429.
pub const ADDRESS_LIMIT: u32 = 20;
pub const ADDRESS_WINDOW_MINUTES: i64 = 15;

/// The caller of a guarded route.
#[derive(Debug, Clone)]
pub struct Authed {
    pub account: Account,
    pub identity: Identity,
    pub session: Session,
}

impl Authed {
    /// The audit/access context for this request.
    pub fn ctx(&self, state: &AppState, request_id: &RequestId, purpose: &str) -> AccessCtx {
        AccessCtx {
            who: self.identity.clone(),
            request_id: request_id.0.clone(),
            purpose: purpose
                .chars()
                .filter(|c| !c.is_control())
                .take(200)
                .collect(),
            at: state.now(),
        }
    }

    /// The person registry as this caller may see it.
    pub fn persons(&self, state: &AppState, request_id: &RequestId, purpose: &str) -> Persons {
        Persons::new(
            state.store.as_ref(),
            state.keys.clone(),
            self.ctx(state, request_id, purpose),
        )
    }
}

// --- passwords, tokens ----------------------------------------------------------------------

/// Hash a password with argon2id (the crate's defaults: m=19456 KiB, t=2, p=1).
pub fn hash_password(password: &str) -> Result<String, AppError> {
    argon2::Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(format!("password hashing: {e}")))
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    argon2::Argon2::default()
        .verify_password(password.as_bytes(), hash)
        .is_ok()
}

/// A hash that costs the same as a real verification, for unknown usernames (no timing oracle).
pub fn dummy_hash() -> &'static str {
    static H: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| hash_password("not a real password").unwrap_or_default());
    &H
}

/// The rules for a new password: long enough to resist guessing; no composition rules.
pub fn password_acceptable(p: &str) -> bool {
    p.chars().count() >= 12 && p.chars().count() <= 256
}

/// A fresh random token (URL-safe base64 of 32 bytes).
pub fn new_token() -> Result<String, AppError> {
    let b = baoho_store::crypto::random_bytes()
        .map_err(|e| AppError::Internal(format!("random: {e}")))?;
    Ok(URL_SAFE_NO_PAD.encode(b))
}

/// How a token is stored: SHA-256, hex.
pub fn token_hash(token: &str) -> String {
    let d = Sha256::digest(token.as_bytes());
    d.iter().map(|b| format!("{b:02x}")).collect()
}

// --- TOTP ------------------------------------------------------------------------------------

pub const TOTP_ISSUER: &str = "Baoho";

/// A TOTP (RFC 6238: SHA-1, 6 digits, 30 s, one step of skew) for `secret`.
pub fn totp(secret: &[u8], username: &str) -> Result<totp_rs::Totp, AppError> {
    totp_rs::Builder::new()
        .with_secret(secret.to_vec())
        .with_skew(1)
        .with_account_name(username.to_owned())
        .with_issuer(Some(TOTP_ISSUER))
        .build()
        .map_err(|e| AppError::Internal(format!("totp: {e}")))
}

/// A new TOTP secret: 20 random bytes.
pub fn new_totp_secret() -> Result<Vec<u8>, AppError> {
    let b = baoho_store::crypto::random_bytes()
        .map_err(|e| AppError::Internal(format!("random: {e}")))?;
    Ok(b[..20].to_vec())
}

/// Ten recovery codes (`xxxx-xxxx-xxxx`, 60 bits each), shown once; stored hashed.
pub fn new_recovery_codes() -> Result<Vec<String>, AppError> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut out = Vec::new();
    for _ in 0..10 {
        let b = baoho_store::crypto::random_bytes()
            .map_err(|e| AppError::Internal(format!("random: {e}")))?;
        let s: String = b
            .iter()
            .take(12)
            .map(|x| ALPHABET[usize::from(*x) % ALPHABET.len()] as char)
            .collect();
        out.push(format!("{}-{}-{}", &s[0..4], &s[4..8], &s[8..12]));
    }
    Ok(out)
}

/// Recovery codes are compared without case, spaces or dashes.
pub fn recovery_hash(code: &str) -> String {
    let c: String = code
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    token_hash(&format!("recovery:{c}"))
}

/// An SVG QR code of the otpauth URL, for enrolment.
pub fn qr_svg(url: &str) -> Result<String, AppError> {
    let code =
        qrcode::QrCode::new(url.as_bytes()).map_err(|e| AppError::Internal(format!("qr: {e}")))?;
    Ok(code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build())
}

// --- throttling ------------------------------------------------------------------------------

/// Failed logins per client address in a fixed window, in memory (one server process; a
/// restart forgets, which only ever loosens the limit, and the per-account lock is durable).
#[derive(Debug, Default)]
pub struct Throttle {
    by_addr: Mutex<HashMap<IpAddr, (DateTime<Utc>, u32)>>,
}

impl Throttle {
    /// Whether this address may try now.
    pub fn allowed(&self, ip: IpAddr, now: DateTime<Utc>) -> bool {
        let Ok(map) = self.by_addr.lock() else {
            return true;
        };
        match map.get(&ip) {
            Some((start, n)) if now - *start < Duration::minutes(ADDRESS_WINDOW_MINUTES) => {
                *n < ADDRESS_LIMIT
            }
            _ => true,
        }
    }

    pub fn failed(&self, ip: IpAddr, now: DateTime<Utc>) {
        let Ok(mut map) = self.by_addr.lock() else {
            return;
        };
        if map.len() > 100_000 {
            map.retain(|_, (start, _)| now - *start < Duration::minutes(ADDRESS_WINDOW_MINUTES));
        }
        let e = map.entry(ip).or_insert((now, 0));
        if now - e.0 >= Duration::minutes(ADDRESS_WINDOW_MINUTES) {
            *e = (now, 0);
        }
        e.1 += 1;
    }
}

/// The client's address as the socket saw it (unspecified when served without connect info).
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub IpAddr);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0.ip())
                .unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED)),
        ))
    }
}

// --- cookies ---------------------------------------------------------------------------------

pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| {
            let (k, v) = c.trim().split_once('=')?;
            (k == name).then(|| v.to_owned())
        })
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, Path=/, Secure when served over TLS.
pub fn set_cookie(state: &AppState, name: &str, value: &str, max_age: Option<i64>) -> HeaderValue {
    let secure = if state.secure_cookies() {
        "; Secure"
    } else {
        ""
    };
    let age = match max_age {
        Some(s) => format!("; Max-Age={s}"),
        None => String::new(),
    };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Lax{secure}{age}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("invalid=; Max-Age=0"))
}

// --- sessions --------------------------------------------------------------------------------

/// The session behind the request's cookie, if it is live: not idle too long, not too old,
/// its account enabled. An expired session is deleted. Touches `last_seen_at` at most once a
/// minute.
pub async fn current(state: &AppState, headers: &HeaderMap) -> Result<Option<Authed>, AppError> {
    let Some(token) = cookie_value(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    if token.is_empty() || token.len() > 100 {
        return Ok(None);
    }
    let accounts = Accounts::new(state.store.as_ref());
    let hash = token_hash(&token);
    let Some(session) = accounts.session(&hash).await? else {
        return Ok(None);
    };
    let now = state.now();
    let idle = Duration::minutes(state.config.session_idle_minutes as i64);
    let absolute = Duration::hours(state.config.session_absolute_hours as i64);
    if now - session.last_seen_at > idle || now - session.created_at > absolute {
        accounts.delete_session(&hash).await?;
        return Ok(None);
    }
    let account = match accounts.get(&session.account_id).await {
        Ok(a) if !a.disabled => a,
        Ok(_) | Err(baoho_store::StoreError::NotFound) => {
            accounts.delete_session(&hash).await?;
            return Ok(None);
        }
        Err(e) => return Err(e.into()),
    };
    if now - session.last_seen_at > Duration::minutes(1) {
        accounts.touch_session(&hash, now).await?;
    }
    let identity = accounts.identity(&account).await?;
    Ok(Some(Authed {
        account,
        identity,
        session,
    }))
}

/// Start a session for `account` (second factor not yet given). Returns the cookie token.
pub async fn start_session(state: &AppState, account: &Account) -> Result<String, AppError> {
    let token = new_token()?;
    let now = state.now();
    Accounts::new(state.store.as_ref())
        .create_session(&Session {
            token_hash: token_hash(&token),
            account_id: account.id.clone(),
            csrf: new_token()?,
            mfa_ok: false,
            created_at: now,
            last_seen_at: now,
        })
        .await?;
    Ok(token)
}

/// After the second factor: a new token and CSRF token replace the pre-MFA session.
pub async fn complete_mfa(state: &AppState, authed: &Authed) -> Result<String, AppError> {
    let token = new_token()?;
    let now = state.now();
    Accounts::new(state.store.as_ref())
        .upgrade_session(
            &authed.session.token_hash,
            &Session {
                token_hash: token_hash(&token),
                account_id: authed.account.id.clone(),
                csrf: new_token()?,
                mfa_ok: true,
                created_at: now,
                last_seen_at: now,
            },
        )
        .await?;
    Ok(token)
}

/// An audit row about a known account's own authentication (with its role and agency).
pub fn account_audit(
    state: &AppState,
    a: &Account,
    action: AuditAction,
    outcome: AuditOutcome,
    request_id: &str,
    what: &str,
) -> AuditEntry {
    auth_audit(state, &a.id, action, outcome, request_id, what)
        .role(a.role.as_str())
        .agency(&a.agency.code)
}

/// An audit row about an account's own authentication.
pub fn auth_audit(
    state: &AppState,
    actor: &str,
    action: AuditAction,
    outcome: AuditOutcome,
    request_id: &str,
    what: &str,
) -> AuditEntry {
    AuditEntry::new(state.now(), actor, action, outcome)
        .object("account", if actor == "unknown" { "" } else { actor })
        .purpose(what)
        .request(request_id)
}

// --- the guard -------------------------------------------------------------------------------

fn wants_api(kind: Kind) -> bool {
    kind == Kind::Api
}

fn login_redirect(req: &Request) -> Response {
    let next = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "/".into());
    let q = serde_urlencoded::to_string([("next", next.as_str())]).unwrap_or_default();
    Redirect::to(&format!("/login?{q}")).into_response()
}

/// For a request htmx sent from a page (a fragment such as the intake form's type fields):
/// the path of that page (`HX-Current-URL`), `/` if it says none.
fn htmx_page(req: &Request) -> Option<String> {
    if req.headers().get("hx-request")?.as_bytes() != b"true" {
        return None;
    }
    let page = req
        .headers()
        .get("hx-current-url")
        .and_then(|v| v.to_str().ok())
        .and_then(|u| u.split_once("://"))
        .and_then(|(_, rest)| rest.find('/').map(|i| rest[i..].to_owned()))
        .filter(|p| !p.starts_with("//"))
        .unwrap_or_else(|| "/".into());
    Some(page)
}

/// A signed-out htmx request must not follow a redirect to the sign-in page (that page would
/// be swapped into the fragment's place): htmx is told to load it as a whole page instead.
fn htmx_redirect(to: &str) -> Response {
    match HeaderValue::from_str(to) {
        Ok(v) => (
            axum::http::StatusCode::NO_CONTENT,
            [(axum::http::HeaderName::from_static("hx-redirect"), v)],
        )
            .into_response(),
        Err(_) => Redirect::to("/login").into_response(),
    }
}

/// Check the CSRF token of a state-changing request: the `X-CSRF-Token` header, or the `csrf`
/// field of a form body (the body is read and handed on unchanged).
async fn check_csrf(req: Request, expected: &str, limit: usize) -> Result<Request, AppError> {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(req);
    }
    if let Some(h) = req.headers().get(CSRF_HEADER)
        && constant_eq(h.as_bytes(), expected.as_bytes())
    {
        return Ok(req);
    }
    // A file upload (multipart) cannot be read here without buffering it twice: its form
    // carries the token in the query string instead (same origin, never logged: the log has
    // the path without its query).
    let is_multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("multipart/form-data"));
    if is_multipart {
        let ok = req
            .uri()
            .query()
            .and_then(|q| form_urlencoded_field(q.as_bytes(), CSRF_FIELD))
            .is_some_and(|v| constant_eq(v.as_bytes(), expected.as_bytes()));
        return if ok {
            Ok(req)
        } else {
            Err(AppError::Forbidden("missing or wrong CSRF token".into()))
        };
    }
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Err(AppError::Forbidden("missing or wrong CSRF token".into()));
    }
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| AppError::PayloadTooLarge)?;
    let ok = form_urlencoded_field(&bytes, CSRF_FIELD)
        .is_some_and(|v| constant_eq(v.as_bytes(), expected.as_bytes()));
    if !ok {
        return Err(AppError::Forbidden("missing or wrong CSRF token".into()));
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

fn form_urlencoded_field(body: &[u8], name: &str) -> Option<String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .ok()?
        .into_iter()
        .find_map(|(k, v)| (k == name).then_some(v))
}

pub fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Enforce a route's declared access. Runs before the handler.
pub async fn guard(
    state: AppState,
    access: Access,
    kind: Kind,
    mut req: Request,
    next: Next,
) -> Response {
    match guard_inner(&state, access, kind, &mut req).await {
        Ok(Some(authed)) => {
            let csrf = authed.session.csrf.clone();
            req.extensions_mut().insert(authed);
            match check_csrf(req, &csrf, state.config.max_body_bytes).await {
                Ok(req) => next.run(req).await,
                Err(e) => e.into_response(),
            }
        }
        Ok(None) => next.run(req).await,
        Err(GuardError::Login) => {
            if wants_api(kind) {
                AppError::Unauthorized.into_response()
            } else if let Some(page) = htmx_page(&req) {
                let q = serde_urlencoded::to_string([("next", page.as_str())]).unwrap_or_default();
                htmx_redirect(&format!("/login?{q}"))
            } else {
                login_redirect(&req)
            }
        }
        Err(GuardError::Mfa) => {
            if wants_api(kind) {
                AppError::Unauthorized.into_response()
            } else if htmx_page(&req).is_some() {
                htmx_redirect("/login/mfa")
            } else {
                Redirect::to("/login/mfa").into_response()
            }
        }
        Err(GuardError::App(e)) => e.into_response(),
    }
}

enum GuardError {
    Login,
    Mfa,
    App(AppError),
}

impl From<AppError> for GuardError {
    fn from(e: AppError) -> Self {
        GuardError::App(e)
    }
}

async fn guard_inner(
    state: &AppState,
    access: Access,
    _kind: Kind,
    req: &mut Request,
) -> Result<Option<Authed>, GuardError> {
    if access == Access::Public {
        // Public pages still know who is looking (for the navigation), but ask nothing.
        if let Some(a) = current(state, req.headers())
            .await?
            .filter(|a| a.session.mfa_ok)
        {
            req.extensions_mut().insert(a);
        }
        return Ok(None);
    }
    let Some(authed) = current(state, req.headers()).await? else {
        return Err(GuardError::Login);
    };
    match access {
        Access::Public | Access::PasswordOnly => {}
        Access::Staff | Access::Roles(_) if !authed.session.mfa_ok => return Err(GuardError::Mfa),
        Access::Staff => {}
        Access::Roles(roles) => {
            if !roles.contains(&authed.account.role) {
                return Err(GuardError::App(AppError::Forbidden(
                    "your role does not give access to this page".into(),
                )));
            }
        }
    }
    Ok(Some(authed))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_with_argon2id_and_verify() {
        let h = hash_password("a long enough passphrase").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("a long enough passphrase", &h));
        assert!(!verify_password("a long enough passphrasf", &h));
        assert!(!verify_password("x", "not a hash"));
        assert!(!password_acceptable("short"));
        assert!(password_acceptable("twelve chars"));
    }

    #[test]
    fn tokens_are_random_and_stored_hashed() {
        let a = new_token().unwrap();
        let b = new_token().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(token_hash(&a), token_hash(&a));
        assert_eq!(token_hash(&a).len(), 64);
        assert!(constant_eq(b"abc", b"abc"));
        assert!(!constant_eq(b"abc", b"abd"));
        assert!(!constant_eq(b"abc", b"ab"));
    }

    #[test]
    fn recovery_codes_compare_loosely_and_are_distinct() {
        let codes = new_recovery_codes().unwrap();
        assert_eq!(codes.len(), 10);
        let mut d = codes.clone();
        d.dedup();
        assert_eq!(d.len(), 10);
        let c = &codes[0];
        assert_eq!(
            recovery_hash(c),
            recovery_hash(&c.to_uppercase().replace('-', " "))
        );
    }

    #[test]
    fn totp_matches_rfc_6238_and_checks_one_step_of_skew() {
        // RFC 6238 appendix B, SHA-1, secret "12345678901234567890", T = 59 s: 94287082 (8
        // digits); the 6-digit code is its last six digits.
        let t = totp(b"12345678901234567890", "x").unwrap();
        assert_eq!(t.generate(59).to_string(), "287082");
        assert_eq!(t.check("287082", 59 + 30), Some(1));
        assert_eq!(t.check("287082", 59 + 90), None);
        assert!(
            qr_svg("otpauth://totp/Baoho:x?secret=ABC")
                .unwrap()
                .contains("<svg")
        );
    }

    #[test]
    fn an_address_is_throttled_after_the_limit_then_forgiven() {
        let t = Throttle::default();
        let ip: IpAddr = "192.0.2.7".parse().unwrap();
        let now = Utc::now();
        for _ in 0..ADDRESS_LIMIT {
            assert!(t.allowed(ip, now));
            t.failed(ip, now);
        }
        assert!(!t.allowed(ip, now));
        assert!(
            t.allowed("192.0.2.8".parse().unwrap(), now),
            "another address is not affected"
        );
        assert!(t.allowed(ip, now + Duration::minutes(ADDRESS_WINDOW_MINUTES + 1)));
    }
}

//! Cookies, server-side sessions and the audit rows of an account's own authentication.

use super::{Authed, SESSION_COOKIE, new_token, token_hash};
use crate::app::AppState;
use crate::error::AppError;
use axum::http::{HeaderMap, HeaderValue, header};
use baoho_store::audit::{AuditAction, AuditEntry, AuditOutcome};
use baoho_store::{Account, Session};
use chrono::Duration;

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

/// A cookie's name as sent: `__Host-` prefixed when Baoho is reached over https (the browser
/// then insists on `Secure`, `Path=/` and no `Domain`, so no sibling site can plant it).
pub fn cookie_name(state: &AppState, base: &str) -> String {
    if state.secure_cookies() {
        format!("__Host-{base}")
    } else {
        base.to_owned()
    }
}

/// The value of one of our cookies (by its base name, see [`cookie_name`]).
pub fn read_cookie(state: &AppState, headers: &HeaderMap, base: &str) -> Option<String> {
    cookie_value(headers, &cookie_name(state, base))
}

/// A `Set-Cookie` value: HttpOnly, Path=/, SameSite (Strict for the sign-in form's cookie,
/// Lax for the session so links into Baoho keep working), and over https `Secure` with the
/// `__Host-` prefix.
pub fn set_cookie(state: &AppState, base: &str, value: &str, max_age: Option<i64>) -> HeaderValue {
    let secure = if state.secure_cookies() {
        "; Secure"
    } else {
        ""
    };
    let same_site = if base == super::LOGIN_COOKIE {
        "Strict"
    } else {
        "Lax"
    };
    let age = match max_age {
        Some(s) => format!("; Max-Age={s}"),
        None => String::new(),
    };
    let name = cookie_name(state, base);
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; HttpOnly; SameSite={same_site}{secure}{age}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("invalid=; Max-Age=0"))
}

// --- sessions --------------------------------------------------------------------------------

/// The session behind the request's cookie, if it is live: not idle too long, not too old,
/// its account enabled. An expired session is deleted. Touches `last_seen_at` at most once a
/// minute.
pub async fn current(state: &AppState, headers: &HeaderMap) -> Result<Option<Authed>, AppError> {
    let Some(token) = read_cookie(state, headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    if token.is_empty() || token.len() > 100 {
        return Ok(None);
    }
    let accounts = state.sign_in();
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
    state
        .sign_in()
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
    state
        .sign_in()
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

/// After a re-authentication (password and second factor again, on a signed-in session): a
/// new token replaces the session, created now, so the sign-in counts as recent; the CSRF
/// token is kept, so the officer's other open pages still send it.
pub async fn reauthenticate(state: &AppState, authed: &Authed) -> Result<String, AppError> {
    let token = new_token()?;
    let now = state.now();
    state
        .sign_in()
        .upgrade_session(
            &authed.session.token_hash,
            &Session {
                token_hash: token_hash(&token),
                account_id: authed.account.id.clone(),
                csrf: authed.session.csrf.clone(),
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

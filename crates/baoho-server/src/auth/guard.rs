//! The guard every route passes through, built from the route table: a route's declared
//! [`Access`] is what is enforced.

use super::csrf::check_csrf;
use super::{Authed, current};
use crate::app::AppState;
use crate::error::AppError;
use crate::routes::{Access, Kind};
use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

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

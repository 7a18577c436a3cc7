//! The guard every route passes through, built from the route table: a route's declared
//! [`Access`] is what is enforced.

use super::csrf::check_csrf;
use super::{Authed, RECENT_SIGN_IN_MINUTES, current, signed_in_within};
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

/// Where a page asking for a recent sign-in sends the officer back after re-authenticating:
/// the page itself for a GET; for a form (a POST), the page the form was on (its same-origin
/// `Referer`), since the form is sent again from there; `/` otherwise.
fn return_path(req: &Request) -> String {
    if req.method() == axum::http::Method::GET || req.method() == axum::http::Method::HEAD {
        let here = req
            .uri()
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/");
        return crate::web::same_origin_path(here).unwrap_or("/").to_owned();
    }
    req.headers()
        .get(axum::http::header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|u| u.split_once("://"))
        .and_then(|(_, rest)| rest.find('/').map(|i| rest[i..].to_owned()))
        .and_then(|p| crate::web::same_origin_path(&p).map(str::to_owned))
        .unwrap_or_else(|| "/".into())
}

/// The API's answer to a sensitive call on a sign-in that is too old: 401, problem type
/// `urn:baoho:problem:reauth-required`.
fn reauth_problem() -> Response {
    let mut res = axum::http::StatusCode::UNAUTHORIZED.into_response();
    res.extensions_mut().insert(crate::error::Problem::new(
        axum::http::StatusCode::UNAUTHORIZED,
        "reauth-required",
        Some(format!(
            "this action needs a sign-in less than {RECENT_SIGN_IN_MINUTES} minutes old: \
             re-authenticate (password and code) on /login/reauth, or sign in again"
        )),
    ));
    res
}

/// Enforce a route's declared access, and for a sensitive route (`recent`) a recent
/// sign-in. Runs before the handler.
pub async fn guard(
    state: AppState,
    access: Access,
    kind: Kind,
    recent: bool,
    mut req: Request,
    next: Next,
) -> Response {
    match guard_inner(&state, access, kind, recent, &mut req).await {
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
        Err(GuardError::Reauth) => {
            if wants_api(kind) {
                reauth_problem()
            } else {
                let back = htmx_page(&req).unwrap_or_else(|| return_path(&req));
                let q = serde_urlencoded::to_string([("next", back.as_str())]).unwrap_or_default();
                let to = format!("/login/reauth?{q}");
                if htmx_page(&req).is_some() {
                    htmx_redirect(&to)
                } else {
                    Redirect::to(&to).into_response()
                }
            }
        }
        Err(GuardError::App(e)) => e.into_response(),
    }
}

enum GuardError {
    Login,
    Mfa,
    /// Signed in, but not recently enough for this sensitive route.
    Reauth,
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
    recent: bool,
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
    // The one place the recent sign-in is checked: the route declares it (`Route::recent`).
    if recent && !signed_in_within(&authed.session, state.now()) {
        return Err(GuardError::Reauth);
    }
    Ok(Some(authed))
}

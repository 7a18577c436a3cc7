//! Signing in and out: password, then the second factor (TOTP or a recovery code), with
//! enrolment on first login. Every attempt is audited; attempts take their slots before they
//! are evaluated ([`attempt`]): per client address, and per account, which locks after
//! [`crate::auth::LOCK_AFTER`] failures in a row.
//!
//! - `signin`: the password step, logout, the session API;
//! - `mfa`: the second factor and its enrolment;
//! - `password`: a user changes their own password;
//! - `reauth`: both factors again, for the sensitive actions that want a recent sign-in;
//! - `attempt`: the slots and the outcome of one attempt, shared by both steps;
//! - `pages`: the templates.

mod attempt;
mod mfa;
mod pages;
mod password;
mod reauth;
mod signin;

pub use mfa::{enrol_form, enrol_submit, mfa_form, mfa_submit};
pub use pages::{EnrolPage, LoginPage, MfaPage, PasswordPage, ReauthPage, RecoveryPage};
pub use password::{password_form, password_submit};
pub use reauth::{reauth_form, reauth_submit};
pub use signin::{SessionInfo, login_form, login_submit, logout, session_info};

use axum::http::header;
use axum::response::Response;
use serde::Deserialize;

/// Where to go after signing in: `next` if it is a path on this site
/// ([`crate::web::same_origin_path`]) other than the sign-in pages themselves, else `/`.
fn next_or_home(next: Option<&str>) -> String {
    next.and_then(crate::web::same_origin_path)
        .filter(|n| !n.starts_with("/login") && !n.starts_with("/mfa"))
        .unwrap_or("/")
        .to_owned()
}

/// `path?next=…`, the target encoded.
fn with_next(path: &str, next: &str) -> String {
    let q = serde_urlencoded::to_string([("next", next)]).unwrap_or_default();
    format!("{path}?{q}")
}

fn with_cookie(mut res: Response, v: axum::http::HeaderValue) -> Response {
    res.headers_mut().append(header::SET_COOKIE, v);
    res
}

#[derive(Debug, Deserialize, Default)]
pub struct NextQuery {
    next: Option<String>,
}

/// This capability's routes, each with who may call it (joined in [`crate::routes::table`]).
pub fn routes() -> Vec<crate::routes::Route> {
    use crate::routes::Access::{PasswordOnly, Public, Staff};
    use crate::routes::Route;
    use axum::http::Method;
    use signin::__path_session_info;
    use utoipa_axum::routes;
    vec![
        Route::page(Method::GET, "/login", Public, login_form),
        Route::page(Method::POST, "/login", Public, login_submit),
        Route::page(Method::GET, "/login/mfa", PasswordOnly, mfa_form),
        Route::page(Method::POST, "/login/mfa", PasswordOnly, mfa_submit),
        Route::page(Method::GET, "/mfa/enrol", PasswordOnly, enrol_form),
        Route::page(Method::POST, "/mfa/enrol", PasswordOnly, enrol_submit),
        Route::page(Method::POST, "/logout", PasswordOnly, logout),
        Route::page(Method::GET, "/account/password", Staff, password_form),
        Route::page(Method::POST, "/account/password", Staff, password_submit),
        Route::page(Method::GET, "/login/reauth", Staff, reauth_form),
        Route::page(Method::POST, "/login/reauth", Staff, reauth_submit),
        Route::api(Staff, routes!(session_info)),
    ]
}

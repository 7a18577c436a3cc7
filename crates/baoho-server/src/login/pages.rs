//! The sign-in pages.

use crate::web::Chrome;
use askama::Template;
use askama_web::WebTemplate;

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

#[derive(Template, WebTemplate)]
#[template(path = "login/password.html")]
pub struct PasswordPage {
    pub c: Chrome,
    pub csrf: String,
    pub error: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "login/reauth.html")]
pub struct ReauthPage {
    pub c: Chrome,
    pub csrf: String,
    pub next: String,
    pub error: Option<String>,
    /// `baoho demo` only: the current code of a demo account.
    pub demo_code: Option<String>,
}

//! Pages shared by every capability: the layout, the home page, the language switch, the
//! error page and the static assets.

use crate::app::ReferenceData;
use crate::caller::Caller;
use crate::error::{AppError, Problem};
use crate::extract::Query;
use crate::i18n::{Lang, Tr};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::OriginalUri;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

/// What the layout needs on every page.
#[derive(Debug, Clone)]
pub struct Chrome {
    pub t: Tr,
    /// The current path (for the language switch to come back to).
    pub path: String,
    /// The signed-in staff member, if any (navigation, logout form).
    pub user: Option<UserChip>,
}

/// The signed-in user as the layout shows them.
#[derive(Debug, Clone)]
pub struct UserChip {
    pub name: String,
    pub role: baoho_domain::access::Role,
    pub agency: String,
    /// For the logout form and every other form on the page.
    pub csrf: String,
}

impl UserChip {
    pub fn role_key(&self) -> String {
        format!("role.{}", self.role.as_str())
    }
    pub fn is_admin(&self) -> bool {
        self.role == baoho_domain::access::Role::Administrator
    }
    pub fn is_auditor(&self) -> bool {
        matches!(
            self.role,
            baoho_domain::access::Role::Auditor | baoho_domain::access::Role::Administrator
        )
    }
    pub fn is_partner(&self) -> bool {
        self.role == baoho_domain::access::Role::PartnerLiaison
    }
    pub fn works_cases(&self) -> bool {
        matches!(
            self.role,
            baoho_domain::access::Role::MissionOfficer
                | baoho_domain::access::Role::HqOfficer
                | baoho_domain::access::Role::HeadOfMission
        )
    }
    /// Whether the role reads person records (the registry link): a partner liaison reads only
    /// the snapshots referred to its agency, in its inbox (ADR 0019).
    pub fn reads_files(&self) -> bool {
        !matches!(
            self.role,
            baoho_domain::access::Role::Auditor
                | baoho_domain::access::Role::Administrator
                | baoho_domain::access::Role::Analyst
                | baoho_domain::access::Role::PartnerLiaison
        )
    }
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Chrome {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        let path = parts
            .extensions
            .get::<OriginalUri>()
            .map(|u| u.0.path().to_owned())
            .unwrap_or_else(|| parts.uri.path().to_owned());
        let mut c = Chrome::new(&parts.headers, &path);
        c.user = parts
            .extensions
            .get::<crate::auth::Authed>()
            .filter(|a| a.session.mfa_ok)
            .map(|a| UserChip {
                name: a.account.display_name.clone(),
                role: a.account.role,
                agency: a.account.agency.code.clone(),
                csrf: a.session.csrf.clone(),
            });
        Ok(c)
    }
}

impl Chrome {
    pub fn new(headers: &HeaderMap, path: &str) -> Self {
        Self {
            t: Tr::new(Lang::from_headers(headers)),
            path: path.to_owned(),
            user: None,
        }
    }

    /// The CSRF token for forms on this page (empty when nobody is signed in).
    pub fn csrf(&self) -> &str {
        self.user.as_ref().map(|u| u.csrf.as_str()).unwrap_or("")
    }

    /// Link that switches to the other language and returns here.
    pub fn switch_href(&self) -> String {
        let next = serde_urlencoded::to_string([("next", self.path.as_str())]).unwrap_or_default();
        format!("/lang/{}?{next}", self.t.lang.other().code())
    }

    pub fn other_lang_label(&self) -> &'static str {
        match self.t.lang {
            Lang::Vi => "English",
            Lang::En => "Tiếng Việt",
        }
    }

    pub fn is(&self, prefix: &str) -> bool {
        if prefix == "/" {
            self.path == "/"
        } else {
            self.path.starts_with(prefix)
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "home.html")]
pub struct HomePage {
    pub c: Chrome,
    pub missions: usize,
    pub countries_covered: usize,
    pub provinces: usize,
    pub backend: String,
    /// The signed-in user's notices (break-glass on records they supervise), newest first.
    pub notices: Vec<Notice>,
}

/// One notice as the home page shows it.
pub struct Notice {
    pub kind_key: String,
    pub href: String,
    pub at: String,
    pub actor: String,
}

pub async fn home_page(
    reference: ReferenceData,
    c: Chrome,
    caller: Option<Caller>,
) -> Result<HomePage, AppError> {
    let mut notices = Vec::new();
    if let Some(caller) = caller {
        for (n, actor) in caller.notifications(20).await? {
            notices.push(Notice {
                kind_key: format!("home.notice.{}", n.kind),
                href: match n.object_kind.as_str() {
                    "case" => format!("/cases/{}", n.object_id),
                    "referral" => format!("/inbox/{}", n.object_id),
                    "transfer" => "/cases".to_owned(),
                    "account" => "/#notices".to_owned(),
                    _ => format!("/persons/{}", n.object_id),
                },
                at: n.at.format("%Y-%m-%d %H:%M UTC").to_string(),
                actor,
            });
        }
    }
    let missions = reference.missions().await?;
    let mut covered: Vec<&str> = missions
        .iter()
        .flat_map(|m| m.jurisdiction.iter().map(String::as_str))
        .collect();
    covered.sort_unstable();
    covered.dedup();
    let provinces = reference
        .provinces()
        .await?
        .iter()
        .filter(|p| p.era == "2025")
        .count();
    Ok(HomePage {
        c,
        missions: missions.len(),
        countries_covered: covered.len(),
        provinces,
        backend: reference.backend(),
        notices,
    })
}

/// The one check for every redirect to a target the request supplied (`next`): a path on
/// this site, or `None`. Accepted: starts with a single `/` (not `//` or `/\\`, which
/// browsers read as another host), printable ASCII only (no tab, newline or other control
/// character, which browsers strip to turn `/\t/evil` into `//evil`; no non-ASCII, which a
/// `Location` header cannot carry unencoded), no backslash anywhere, no encoded slash or
/// backslash in the path part, and it parses as an origin-form path.
pub fn same_origin_path(next: &str) -> Option<&str> {
    let path_part = next.split(['?', '#']).next().unwrap_or("");
    let lower = path_part.to_ascii_lowercase();
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && next.len() <= 2048
        && next.bytes().all(|b| b.is_ascii_graphic())
        && !next.contains('\\')
        && !lower.contains("%2f")
        && !lower.contains("%5c")
        && next.parse::<axum::http::uri::PathAndQuery>().is_ok();
    ok.then_some(next)
}

/// A `303 See Other` to `next` when it is a path on this site ([`same_origin_path`]), else to
/// `/`. Never fails, whatever `next` holds.
pub fn redirect_to_local(next: Option<&str>) -> Redirect {
    Redirect::to(next.and_then(same_origin_path).unwrap_or("/"))
}

#[derive(Debug, serde::Deserialize)]
pub struct LangQuery {
    next: Option<String>,
}

/// `GET /lang/{code}?next=/path`: remember the language in a cookie and go back. Only local
/// paths are accepted as `next` (no open redirect).
pub async fn switch_language(
    axum::extract::Path(code): axum::extract::Path<String>,
    Query(q): Query<LangQuery>,
) -> Result<Response, AppError> {
    let lang = Lang::from_code(&code).ok_or(AppError::NotFound)?;
    let mut res = redirect_to_local(q.next.as_deref()).into_response();
    let cookie = format!(
        "lang={}; Path=/; Max-Age=31536000; SameSite=Lax",
        lang.code()
    );
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(res)
}

#[derive(Template, WebTemplate)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub c: Chrome,
    pub status: u16,
    pub title: String,
    pub explanation: String,
    pub detail: Option<String>,
    pub fields: Vec<(String, String)>,
    pub request_id: String,
}

impl ErrorPage {
    pub fn new(
        t: Tr,
        path: &str,
        status: StatusCode,
        title: &str,
        p: &Problem,
        request_id: &str,
    ) -> Self {
        let explanation = t.s(&format!("error.{}.explain", p.slug)).to_owned();
        Self {
            c: Chrome {
                t,
                path: path.to_owned(),
                user: None,
            },
            status: status.as_u16(),
            title: title.to_owned(),
            explanation,
            // Details are English technical words; shown small, only for 4xx.
            detail: if status.is_client_error() {
                p.detail.clone()
            } else {
                None
            },
            fields: p
                .errors
                .iter()
                .map(|e| (e.field.clone(), e.message.clone()))
                .collect(),
            request_id: request_id.to_owned(),
        }
    }
}

/// Static assets, embedded in the binary and cached by browsers (the file names carry a
/// version, so a new release never meets a stale copy).
pub async fn static_asset(
    axum::extract::Path(name): axum::extract::Path<String>,
) -> Result<Response, AppError> {
    let (body, ct): (&'static [u8], &'static str) = match name.as_str() {
        "baoho-5.css" => (
            include_bytes!("../static/baoho.css"),
            "text/css; charset=utf-8",
        ),
        "htmx-2.0.11.min.js" => (
            include_bytes!("../static/htmx-2.0.11.min.js"),
            "text/javascript; charset=utf-8",
        ),
        "baoho-2.js" => (
            include_bytes!("../static/baoho.js"),
            "text/javascript; charset=utf-8",
        ),
        "favicon.svg" => (include_bytes!("../static/favicon.svg"), "image/svg+xml"),
        _ => return Err(AppError::NotFound),
    };
    Ok((
        [
            (header::CONTENT_TYPE, ct),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        body,
    )
        .into_response())
}

/// The Swagger UI for `/api/openapi.json`, served from files vendored into the binary at build
/// time (works offline).
pub async fn api_docs(path: Option<axum::extract::Path<String>>) -> Result<Response, AppError> {
    use std::sync::{Arc, LazyLock};
    static CONFIG: LazyLock<Arc<utoipa_swagger_ui::Config<'static>>> =
        LazyLock::new(|| Arc::new(utoipa_swagger_ui::Config::from("/api/openapi.json")));
    let tail = path.map(|p| p.0).unwrap_or_default();
    let file = utoipa_swagger_ui::serve(&tail, CONFIG.clone())
        .map_err(|e| AppError::Internal(e.to_string()))?
        .ok_or(AppError::NotFound)?;
    let mut res = (
        [
            (header::CONTENT_TYPE, file.content_type),
            (header::CACHE_CONTROL, "no-cache".to_owned()),
            // Swagger UI sets inline styles; this page holds no personal data.
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; \
                 frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
                    .to_owned(),
            ),
        ],
        file.bytes.into_owned(),
    )
        .into_response();
    if file.gzpipped {
        res.headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    Ok(res)
}

/// `/api/docs` → `/api/docs/` (the UI loads its files relative to the directory).
pub async fn api_docs_root() -> Redirect {
    Redirect::permanent("/api/docs/")
}

/// This capability's routes, each with who may call it (joined in [`crate::routes::table`]).
pub fn routes() -> Vec<crate::routes::Route> {
    use crate::routes::Access::Public;
    use crate::routes::Route;
    use axum::http::Method;
    vec![
        Route::page(Method::GET, "/", Public, home_page),
        Route::page(Method::GET, "/lang/{code}", Public, switch_language),
        Route::asset(Method::GET, "/static/{name}", Public, static_asset),
        Route::asset(Method::GET, "/api/docs", Public, api_docs_root),
        Route::asset(Method::GET, "/api/docs/", Public, api_docs),
        Route::asset(Method::GET, "/api/docs/{*file}", Public, api_docs),
    ]
}

#[cfg(test)]
mod tests {
    use super::same_origin_path;

    #[test]
    fn only_same_origin_paths_are_redirect_targets() {
        for ok in ["/", "/persons", "/cases/c-1?tab=events&x=%20", "/a%2Bb"] {
            assert_eq!(same_origin_path(ok), Some(ok), "{ok:?}");
        }
        for bad in [
            "",
            "persons",
            "//evil.example",
            "/\\evil.example",
            "\\evil",
            "/\t/evil.example",
            "/\n",
            "/\r\nSet-Cookie: x=1",
            "/%2F%2Fevil",
            "/%2f/evil",
            "/%5cevil",
            "https://evil.example",
            "http:/evil",
            "/ü",
            "/\u{0085}x",
            "/\u{202e}x",
            "/a b",
        ] {
            assert_eq!(same_origin_path(bad), None, "{bad:?}");
        }
    }
}

//! Every route of the server, with who may call it, declared once: each capability's
//! `routes()` lists its own (its folder's `mod.rs`), and this module joins them. The router,
//! the access rules the guard enforces (and the tests walk), and the OpenAPI document are all
//! derived from that one declaration. An API operation's method and path are those of its
//! `#[utoipa::path]` attribute (taken through utoipa-axum's `routes!`), so the documented
//! path and the served one cannot drift apart, and there is no hand-kept list of API paths.

use crate::app::AppState;
use axum::handler::Handler;
use axum::http::Method;
use axum::routing::{MethodFilter, MethodRouter};
use baoho_domain::access::Role;
use std::sync::OnceLock;
use utoipa::openapi::path::Paths;
use utoipa::openapi::{RefOr, schema::Schema};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::UtoipaMethodRouter;

/// Who may call a route (enforced by `auth::guard`, built from the table).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone: public facts, health probes, static assets, the login form.
    Public,
    /// A session whose password was accepted, second factor not yet given (the MFA steps,
    /// logout).
    PasswordOnly,
    /// Any staff account with both factors. What it may see of persons is then decided per
    /// record by the store's scoped handles.
    Staff,
    /// Staff with one of these roles.
    Roles(&'static [Role]),
}

/// Account administration.
pub const ADMIN: Access = Access::Roles(&[Role::Administrator]);
/// The audit trail.
pub const AUDIT: Access = Access::Roles(&[Role::Auditor, Role::Administrator]);
/// A partner agency's inbox.
pub const PARTNER: Access = Access::Roles(&[Role::PartnerLiaison]);
/// Leadership's overviews.
pub const LEADERS: Access = Access::Roles(&[Role::HeadOfMission, Role::HqOfficer]);
/// Who opens cases (the store refuses every other role at intake).
pub const INTAKE: Access =
    Access::Roles(&[Role::MissionOfficer, Role::HqOfficer, Role::HeadOfMission]);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Page,
    Api,
    Ops,
    Asset,
}

/// An API operation's entry in the OpenAPI document and the schemas it names.
pub struct ApiEntry {
    paths: Paths,
    schemas: Vec<(String, RefOr<Schema>)>,
}

pub struct Route {
    pub method: Method,
    /// axum path template.
    pub path: String,
    pub access: Access,
    pub kind: Kind,
    pub handler: MethodRouter<AppState>,
    /// `Some` for a documented API operation.
    pub doc: Option<ApiEntry>,
    /// A sensitive action: the guard also wants a sign-in less than
    /// [`crate::auth::RECENT_SIGN_IN_MINUTES`] old ([`Route::recent`]).
    pub recent: bool,
}

impl Route {
    fn new<H, T>(method: Method, path: &str, access: Access, kind: Kind, handler: H) -> Route
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        // A method axum cannot filter on (a custom one, or CONNECT) is a mistake in the
        // table: it fails here, when the table is built (at startup and in every test), rather
        // than quietly serving the handler under another method.
        let filter = match MethodFilter::try_from(method.clone()) {
            Ok(f) => f,
            Err(e) => panic!("route {method} {path}: {e}"),
        };
        Route {
            method,
            path: path.to_owned(),
            access,
            kind,
            handler: axum::routing::on(filter, handler),
            doc: None,
            recent: false,
        }
    }

    /// A sensitive action (export, break-glass, consent override, account administration):
    /// the guard lets it through only on a sign-in less than
    /// [`crate::auth::RECENT_SIGN_IN_MINUTES`] old, else asks to re-authenticate (a page is
    /// sent to `/login/reauth`, the API answers 401 `urn:baoho:problem:reauth-required`).
    pub fn recent(mut self) -> Route {
        self.recent = true;
        self
    }

    /// A page (HTML, or an htmx fragment, or a file download from a page).
    pub fn page<H, T>(method: Method, path: &str, access: Access, handler: H) -> Route
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        Route::new(method, path, access, Kind::Page, handler)
    }

    /// A health probe or the metrics.
    pub fn ops<H, T>(method: Method, path: &str, access: Access, handler: H) -> Route
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        Route::new(method, path, access, Kind::Ops, handler)
    }

    /// A static file.
    pub fn asset<H, T>(method: Method, path: &str, access: Access, handler: H) -> Route
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        Route::new(method, path, access, Kind::Asset, handler)
    }

    /// An API route that is not itself an operation of the API (the OpenAPI document).
    pub fn api_undocumented<H, T>(method: Method, path: &str, access: Access, handler: H) -> Route
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        Route::new(method, path, access, Kind::Api, handler)
    }

    /// An API operation: `routes!(handler)` of a handler with `#[utoipa::path]`; its method
    /// and path are the attribute's, and so is its documentation.
    pub fn api(access: Access, (schemas, paths, handler): UtoipaMethodRouter<AppState>) -> Route {
        let (path, method) = paths
            .paths
            .iter()
            .next()
            .map(|(p, item)| (p.clone(), item_method(item)))
            .unwrap_or_default();
        Route {
            method,
            path,
            access,
            kind: Kind::Api,
            handler,
            doc: Some(ApiEntry { paths, schemas }),
            recent: false,
        }
    }
}

/// The method of a path item holding one operation (what `routes!` of one handler gives).
fn item_method(item: &utoipa::openapi::PathItem) -> Method {
    [
        (&item.get, Method::GET),
        (&item.post, Method::POST),
        (&item.put, Method::PUT),
        (&item.delete, Method::DELETE),
        (&item.patch, Method::PATCH),
        (&item.head, Method::HEAD),
        (&item.options, Method::OPTIONS),
        (&item.trace, Method::TRACE),
    ]
    .into_iter()
    .find_map(|(op, m)| op.is_some().then_some(m))
    .unwrap_or(Method::GET)
}

/// Every route: each capability's own declaration, joined.
pub fn table() -> Vec<Route> {
    use crate::{accounts, app, audit, cases, login, persons, reference, web};
    [
        web::routes(),
        app::routes(),
        reference::routes(),
        login::routes(),
        persons::routes(),
        cases::routes(),
        crate::inbox::routes(),
        accounts::routes(),
        audit::routes(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// The OpenAPI document: the API's description and tags, and every documented route's entry,
/// with the conventions every operation shares ([`ApiConventions`]).
pub fn openapi() -> &'static utoipa::openapi::OpenApi {
    static DOC: OnceLock<utoipa::openapi::OpenApi> = OnceLock::new();
    DOC.get_or_init(|| {
        let mut doc = ApiDoc::openapi();
        let mut schemas = Vec::new();
        let mut conventions = ApiConventions::default();
        for route in table() {
            let Some(entry) = route.doc else { continue };
            conventions.access.push((
                route.path.clone(),
                route.method.clone(),
                route.access,
                route.recent,
            ));
            doc.paths.merge(entry.paths);
            schemas.extend(entry.schemas);
        }
        let components = doc.components.get_or_insert_with(Default::default);
        components.schemas.extend(schemas);
        conventions.modify(&mut doc);
        doc
    })
}

/// What every API operation has in common, written once here rather than in each
/// `#[utoipa::path]`: the session (and, for writes, the CSRF header) it needs; the error answers
/// the shared layers give (the guard's 401/403, the extractors' 400/413/415/422, the router's
/// 404 for a path parameter naming nothing); RFC 9457 `application/problem+json` bodies for
/// every error; and a description for every answer.
#[derive(Default)]
pub struct ApiConventions {
    /// Every documented operation's path, method, declared access and whether it wants a
    /// recent sign-in (from the table).
    access: Vec<(String, Method, Access, bool)>,
}

/// The session cookie's security scheme.
pub const SESSION_SCHEME: &str = "session";
/// The CSRF header's security scheme (state-changing calls).
pub const CSRF_SCHEME: &str = "csrf";

impl utoipa::Modify for ApiConventions {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
        use utoipa::{PartialSchema, ToSchema};
        let components = doc.components.get_or_insert_with(Default::default);
        components.schemas.insert(
            crate::error::ProblemBody::name().into_owned(),
            crate::error::ProblemBody::schema(),
        );
        components.schemas.insert(
            crate::error::FieldError::name().into_owned(),
            crate::error::FieldError::schema(),
        );
        components.add_security_scheme(
            SESSION_SCHEME,
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                crate::auth::SESSION_COOKIE,
                "The session cookie set by signing in on /login (password, then the second \
                 factor). Without it, or with an expired one: 401.",
            ))),
        );
        components.add_security_scheme(
            CSRF_SCHEME,
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                crate::auth::CSRF_HEADER,
                "The session's CSRF token (`csrf_token` of GET /api/v1/session), required on \
                 every state-changing call. Without it, or a wrong one: 403.",
            ))),
        );
        for (path, method, access, recent) in &self.access {
            let Some(op) = doc
                .paths
                .paths
                .get_mut(path)
                .and_then(|item| operation_mut(item, method))
            else {
                continue;
            };
            conventions(op, method, *access, *recent);
        }
    }
}

/// The operation of `method` in a path item.
fn operation_mut<'a>(
    item: &'a mut utoipa::openapi::PathItem,
    method: &Method,
) -> Option<&'a mut utoipa::openapi::path::Operation> {
    match *method {
        Method::GET => item.get.as_mut(),
        Method::POST => item.post.as_mut(),
        Method::PUT => item.put.as_mut(),
        Method::DELETE => item.delete.as_mut(),
        Method::PATCH => item.patch.as_mut(),
        Method::HEAD => item.head.as_mut(),
        Method::OPTIONS => item.options.as_mut(),
        Method::TRACE => item.trace.as_mut(),
        _ => None,
    }
}

fn conventions(
    op: &mut utoipa::openapi::path::Operation,
    method: &Method,
    access: Access,
    recent: bool,
) {
    use utoipa::openapi::path::ParameterIn;
    use utoipa::openapi::security::SecurityRequirement;
    let writes = !(method.is_safe());
    op.security = Some(match access {
        Access::Public => vec![],
        _ if writes => vec![
            SecurityRequirement::new(SESSION_SCHEME, Vec::<String>::new())
                .add(CSRF_SCHEME, Vec::<String>::new()),
        ],
        _ => vec![SecurityRequirement::new(
            SESSION_SCHEME,
            Vec::<String>::new(),
        )],
    });
    let params = op.parameters.as_deref().unwrap_or_default();
    let has_path = params
        .iter()
        .any(|p| matches!(p, RefOr::T(p) if p.parameter_in == ParameterIn::Path));
    let has_query = params
        .iter()
        .any(|p| matches!(p, RefOr::T(p) if p.parameter_in == ParameterIn::Query));
    let has_body = op.request_body.is_some();
    let mut common: Vec<(u16, &str)> = Vec::new();
    if has_path || has_query || has_body {
        common.push((
            400,
            "Bad request: a malformed query string, path or JSON body, or input that is not \
             valid UTF-8.",
        ));
    }
    if access != Access::Public {
        common.push((
            401,
            if recent {
                "Not signed in (no session, an expired one, or the second factor not yet given); \
                 or, with type `urn:baoho:problem:reauth-required`, signed in more than 5 \
                 minutes ago: this sensitive action wants a recent sign-in (re-authenticate on \
                 /login/reauth, or sign in again)."
            } else {
                "Not signed in (no session, an expired one, or the second factor not yet given)."
            },
        ));
        common.push((
            403,
            if writes {
                "Refused: your role does not allow this, or the CSRF token is missing or wrong."
            } else {
                "Refused: your role does not allow this."
            },
        ));
    }
    if has_path {
        common.push((
            404,
            "Not found: nothing with this id, or nothing you may see (the same answer).",
        ));
    }
    if has_body {
        common.push((413, "The body is larger than the server accepts."));
        common.push((
            415,
            "The body is not JSON (send Content-Type: application/json).",
        ));
    }
    if has_body || has_query {
        common.push((
            422,
            "Invalid input: a field is missing, of the wrong type, or refused (see `errors`).",
        ));
    }
    let responses = &mut op.responses.responses;
    for (status, description) in common {
        responses
            .entry(status.to_string())
            .or_insert_with(|| RefOr::T(utoipa::openapi::Response::new(description)));
    }
    for (status, response) in responses.iter_mut() {
        let RefOr::T(response) = response else {
            continue;
        };
        let code: u16 = status.parse().unwrap_or(0);
        if response.description.is_empty() {
            response.description = default_description(code).to_owned();
        }
        if code >= 400 {
            // Every error is a problem document (`layers::render_errors`), whatever the
            // attribute said.
            response.content.clear();
            response.content.insert(
                "application/problem+json".to_owned(),
                RefOr::T(utoipa::openapi::Content::new(Some(
                    utoipa::openapi::Ref::from_schema_name("Problem"),
                ))),
            );
        }
    }
}

/// The description of an answer whose attribute gave none.
fn default_description(status: u16) -> &'static str {
    match status {
        200 => "OK.",
        201 => "Created: the new record (its URL is in `Location`).",
        204 => "Done; no content.",
        400 => "Bad request.",
        401 => "Not signed in.",
        403 => "Refused.",
        404 => "Not found, or not yours to see (the same answer).",
        409 => {
            "Conflict: the record changed since you read it (stale `version`), or the \
                action does not fit its current state. Nothing was changed."
        }
        413 => "The body is too large.",
        415 => "Unsupported media type.",
        422 => "Invalid input (see `errors`). Nothing was changed.",
        429 => "Too many attempts: retry after `Retry-After` seconds.",
        503 => "Unavailable for a moment (the database); retry.",
        _ => "See the problem document.",
    }
}

#[derive(utoipa::OpenApi)]
#[openapi(
    info(title = "Baoho API", description = "JSON API of Baoho, the consular citizen-protection system. Errors are RFC 9457 problem details (application/problem+json)."),
    tags(
        (name = "reference", description = "Countries, missions, provinces and languages: public reference data"),
        (name = "session", description = "Sign in on /login (password, then TOTP). API calls use the session cookie; state-changing calls send the session's CSRF token in X-CSRF-Token."),
        (name = "persons", description = "The person registry. What you see is decided per record by your role and scope; a record outside it answers 404, like a missing one, and every access is audited."),
        (name = "cases", description = "Protection cases: intake, workflow, timeline, deadlines. A case outside your scope answers 404 and every access is audited."),
        (name = "inbox", description = "Partner agencies' inbox: referrals sent to your agency, with only the fields chosen for you. Partners never see the case."),
        (name = "audit", description = "The hash-chained audit trail (auditors and administrators)"),
    ),
)]
struct ApiDoc;

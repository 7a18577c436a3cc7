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
use utoipa::OpenApi;
use utoipa::openapi::path::Paths;
use utoipa::openapi::{RefOr, schema::Schema};
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
}

impl Route {
    fn new<H, T>(method: Method, path: &str, access: Access, kind: Kind, handler: H) -> Route
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        // Every method used in the table is one axum filters on; an unknown one would route
        // nothing (and the access-matrix test would find the route unreachable).
        let filter = MethodFilter::try_from(method.clone()).unwrap_or(MethodFilter::GET);
        Route {
            method,
            path: path.to_owned(),
            access,
            kind,
            handler: axum::routing::on(filter, handler),
            doc: None,
        }
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

/// The OpenAPI document: the API's description and tags, and every documented route's entry.
pub fn openapi() -> &'static utoipa::openapi::OpenApi {
    static DOC: OnceLock<utoipa::openapi::OpenApi> = OnceLock::new();
    DOC.get_or_init(|| {
        let mut doc = ApiDoc::openapi();
        let mut schemas = Vec::new();
        for entry in table().into_iter().filter_map(|r| r.doc) {
            doc.paths.merge(entry.paths);
            schemas.extend(entry.schemas);
        }
        let components = doc.components.get_or_insert_with(Default::default);
        components.schemas.extend(schemas);
        doc
    })
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

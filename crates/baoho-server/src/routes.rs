//! Every route of the server in one table, with who may call it. The router is built from
//! this table, and the tests walk it: a route cannot exist without a declared access rule,
//! and every `/api` route must appear in the OpenAPI document.

use crate::app::AppState;
use axum::http::Method;
use axum::routing::{MethodRouter, get};

/// Who may call a route. Identity-bound rules arrive with accounts (issue #4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone: public facts, health probes, static assets.
    Public,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Page,
    Api,
    Ops,
    Asset,
}

pub struct Route {
    pub method: Method,
    /// axum path template.
    pub path: &'static str,
    pub access: Access,
    pub kind: Kind,
    pub handler: MethodRouter<AppState>,
}

fn r(
    method: Method,
    path: &'static str,
    access: Access,
    kind: Kind,
    handler: MethodRouter<AppState>,
) -> Route {
    Route {
        method,
        path,
        access,
        kind,
        handler,
    }
}

pub fn table() -> Vec<Route> {
    use crate::{app, reference, web};
    use Access::Public;
    vec![
        r(Method::GET, "/", Public, Kind::Page, get(web::home_page)),
        r(
            Method::GET,
            "/lang/{code}",
            Public,
            Kind::Page,
            get(web::switch_language),
        ),
        r(
            Method::GET,
            "/missions",
            Public,
            Kind::Page,
            get(reference::missions_page),
        ),
        r(
            Method::GET,
            "/static/{name}",
            Public,
            Kind::Asset,
            get(web::static_asset),
        ),
        r(
            Method::GET,
            "/healthz",
            Public,
            Kind::Ops,
            get(app::healthz),
        ),
        r(Method::GET, "/readyz", Public, Kind::Ops, get(app::readyz)),
        r(
            Method::GET,
            "/metrics",
            Public,
            Kind::Ops,
            get(app::metrics),
        ),
        r(
            Method::GET,
            "/api/openapi.json",
            Public,
            Kind::Api,
            get(app::openapi_json),
        ),
        r(
            Method::GET,
            "/api/docs",
            Public,
            Kind::Asset,
            get(web::api_docs_root),
        ),
        r(
            Method::GET,
            "/api/docs/",
            Public,
            Kind::Asset,
            get(web::api_docs),
        ),
        r(
            Method::GET,
            "/api/docs/{*file}",
            Public,
            Kind::Asset,
            get(web::api_docs),
        ),
        r(
            Method::GET,
            "/api/v1/countries",
            Public,
            Kind::Api,
            get(reference::list_countries),
        ),
        r(
            Method::GET,
            "/api/v1/missions",
            Public,
            Kind::Api,
            get(reference::list_missions),
        ),
        r(
            Method::GET,
            "/api/v1/missions/{code}",
            Public,
            Kind::Api,
            get(reference::get_mission),
        ),
        r(
            Method::GET,
            "/api/v1/provinces",
            Public,
            Kind::Api,
            get(reference::list_provinces),
        ),
        r(
            Method::GET,
            "/api/v1/languages",
            Public,
            Kind::Api,
            get(reference::list_languages),
        ),
    ]
}

#[derive(utoipa::OpenApi)]
#[openapi(
    info(title = "Baoho API", description = "JSON API of Baoho, the consular citizen-protection system. Errors are RFC 9457 problem details (application/problem+json)."),
    paths(
        crate::reference::list_countries,
        crate::reference::list_missions,
        crate::reference::get_mission,
        crate::reference::list_provinces,
        crate::reference::list_languages,
    ),
    tags((name = "reference", description = "Countries, missions, provinces and languages: public reference data")),
)]
pub struct ApiDoc;

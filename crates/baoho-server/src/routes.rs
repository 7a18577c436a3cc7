//! Every route of the server in one table, with who may call it. The router is built from
//! this table, and the tests walk it: a route cannot exist without a declared access rule,
//! and every `/api` route must appear in the OpenAPI document.

use crate::app::AppState;
use axum::http::Method;
use axum::routing::{MethodRouter, get, post, put};
use baoho_domain::access::Role;

/// Who may call a route (enforced by `auth::guard`, built from this table).
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
    use crate::{admin, app, cases, login, persons, reference, web};
    use Access::{PasswordOnly, Public, Staff};
    const ADMIN: Access = Access::Roles(&[Role::Administrator]);
    const AUDIT: Access = Access::Roles(&[Role::Auditor, Role::Administrator]);
    const PARTNER: Access = Access::Roles(&[Role::PartnerLiaison]);
    const LEADERS: Access = Access::Roles(&[Role::HeadOfMission, Role::HqOfficer]);
    let g = Method::GET;
    let p = Method::POST;
    vec![
        r(g.clone(), "/", Public, Kind::Page, get(web::home_page)),
        r(
            g.clone(),
            "/lang/{code}",
            Public,
            Kind::Page,
            get(web::switch_language),
        ),
        r(
            g.clone(),
            "/missions",
            Public,
            Kind::Page,
            get(reference::missions_page),
        ),
        r(
            g.clone(),
            "/static/{name}",
            Public,
            Kind::Asset,
            get(web::static_asset),
        ),
        r(g.clone(), "/healthz", Public, Kind::Ops, get(app::healthz)),
        r(g.clone(), "/readyz", Public, Kind::Ops, get(app::readyz)),
        r(g.clone(), "/metrics", Public, Kind::Ops, get(app::metrics)),
        r(
            g.clone(),
            "/api/openapi.json",
            Public,
            Kind::Api,
            get(app::openapi_json),
        ),
        r(
            g.clone(),
            "/api/docs",
            Public,
            Kind::Asset,
            get(web::api_docs_root),
        ),
        r(
            g.clone(),
            "/api/docs/",
            Public,
            Kind::Asset,
            get(web::api_docs),
        ),
        r(
            g.clone(),
            "/api/docs/{*file}",
            Public,
            Kind::Asset,
            get(web::api_docs),
        ),
        r(
            g.clone(),
            "/api/v1/countries",
            Public,
            Kind::Api,
            get(reference::list_countries),
        ),
        r(
            g.clone(),
            "/api/v1/missions",
            Public,
            Kind::Api,
            get(reference::list_missions),
        ),
        r(
            g.clone(),
            "/api/v1/missions/{code}",
            Public,
            Kind::Api,
            get(reference::get_mission),
        ),
        r(
            g.clone(),
            "/api/v1/provinces",
            Public,
            Kind::Api,
            get(reference::list_provinces),
        ),
        r(
            g.clone(),
            "/api/v1/languages",
            Public,
            Kind::Api,
            get(reference::list_languages),
        ),
        // Signing in and out.
        r(
            g.clone(),
            "/login",
            Public,
            Kind::Page,
            get(login::login_form),
        ),
        r(
            p.clone(),
            "/login",
            Public,
            Kind::Page,
            post(login::login_submit),
        ),
        r(
            g.clone(),
            "/login/mfa",
            PasswordOnly,
            Kind::Page,
            get(login::mfa_form),
        ),
        r(
            p.clone(),
            "/login/mfa",
            PasswordOnly,
            Kind::Page,
            post(login::mfa_submit),
        ),
        r(
            g.clone(),
            "/mfa/enrol",
            PasswordOnly,
            Kind::Page,
            get(login::enrol_form),
        ),
        r(
            p.clone(),
            "/mfa/enrol",
            PasswordOnly,
            Kind::Page,
            post(login::enrol_submit),
        ),
        r(
            p.clone(),
            "/logout",
            PasswordOnly,
            Kind::Page,
            post(login::logout),
        ),
        r(
            g.clone(),
            "/api/v1/session",
            Staff,
            Kind::Api,
            get(login::session_info),
        ),
        // The person registry (what each caller sees is decided per record by the store).
        r(
            g.clone(),
            "/persons",
            Staff,
            Kind::Page,
            get(persons::search_page),
        ),
        r(
            p.clone(),
            "/persons",
            Staff,
            Kind::Page,
            post(persons::create_submit),
        ),
        r(
            g.clone(),
            "/persons/new",
            Staff,
            Kind::Page,
            get(persons::new_page),
        ),
        r(
            g.clone(),
            "/persons/{id}",
            Staff,
            Kind::Page,
            get(persons::view_page),
        ),
        r(
            p.clone(),
            "/persons/{id}",
            Staff,
            Kind::Page,
            post(persons::edit_submit),
        ),
        r(
            g.clone(),
            "/persons/{id}/edit",
            Staff,
            Kind::Page,
            get(persons::edit_page),
        ),
        r(
            g.clone(),
            "/persons/{id}/export",
            Staff,
            Kind::Page,
            get(persons::export_page),
        ),
        r(
            p.clone(),
            "/persons/{id}/break-glass",
            Staff,
            Kind::Page,
            post(persons::break_glass_submit),
        ),
        r(
            g.clone(),
            "/api/v1/persons",
            Staff,
            Kind::Api,
            get(persons::api_search),
        ),
        r(
            p.clone(),
            "/api/v1/persons",
            Staff,
            Kind::Api,
            post(persons::api_create),
        ),
        r(
            g.clone(),
            "/api/v1/persons/{id}",
            Staff,
            Kind::Api,
            get(persons::api_get),
        ),
        r(
            Method::PUT,
            "/api/v1/persons/{id}",
            Staff,
            Kind::Api,
            put(persons::api_update),
        ),
        r(
            g.clone(),
            "/api/v1/persons/{id}/export",
            Staff,
            Kind::Api,
            get(persons::api_export),
        ),
        r(
            p.clone(),
            "/api/v1/persons/{id}/break-glass",
            Staff,
            Kind::Api,
            post(persons::api_break_glass),
        ),
        // Protection cases.
        r(
            g.clone(),
            "/cases",
            Staff,
            Kind::Page,
            get(cases::queue_page),
        ),
        r(
            p.clone(),
            "/cases",
            Staff,
            Kind::Page,
            post(cases::create_submit),
        ),
        r(
            g.clone(),
            "/cases/new",
            Staff,
            Kind::Page,
            get(cases::new_page),
        ),
        r(
            g.clone(),
            "/cases/list",
            Staff,
            Kind::Page,
            get(cases::list_page),
        ),
        r(
            g.clone(),
            "/cases/export.csv",
            Staff,
            Kind::Page,
            get(cases::export_csv),
        ),
        r(
            g.clone(),
            "/cases/{id}",
            Staff,
            Kind::Page,
            get(cases::case_page),
        ),
        r(
            p.clone(),
            "/cases/{id}/events",
            Staff,
            Kind::Page,
            post(cases::event_submit),
        ),
        r(
            p.clone(),
            "/cases/{id}/status",
            Staff,
            Kind::Page,
            post(cases::status_submit),
        ),
        r(
            p.clone(),
            "/cases/{id}/assign",
            Staff,
            Kind::Page,
            post(cases::assign_submit),
        ),
        r(
            p.clone(),
            "/cases/{id}/check",
            Staff,
            Kind::Page,
            post(cases::check_submit),
        ),
        r(
            p.clone(),
            "/cases/{id}/close-request",
            Staff,
            Kind::Page,
            post(cases::close_request_submit),
        ),
        r(
            p.clone(),
            "/cases/{id}/close-approve",
            Staff,
            Kind::Page,
            post(cases::close_approve_submit),
        ),
        r(
            p.clone(),
            "/cases/{id}/consular-access",
            Staff,
            Kind::Page,
            post(cases::clock_submit),
        ),
        r(
            g.clone(),
            "/cases/consular-access",
            Staff,
            Kind::Page,
            get(cases::vccr_page),
        ),
        r(
            g.clone(),
            "/api/v1/reports/consular-access",
            Staff,
            Kind::Api,
            get(cases::api_vccr),
        ),
        r(
            p.clone(),
            "/cases/{id}/transfers",
            Staff,
            Kind::Page,
            post(cases::transfer_submit),
        ),
        r(
            p.clone(),
            "/transfers/{id}/accept",
            Staff,
            Kind::Page,
            post(cases::transfer_accept),
        ),
        r(
            p.clone(),
            "/transfers/{id}/reject",
            Staff,
            Kind::Page,
            post(cases::transfer_reject),
        ),
        r(
            p.clone(),
            "/api/v1/cases/{id}/transfers",
            Staff,
            Kind::Api,
            post(cases::api_transfer),
        ),
        r(
            g.clone(),
            "/api/v1/transfers/incoming",
            Staff,
            Kind::Api,
            get(cases::api_incoming),
        ),
        r(
            p.clone(),
            "/api/v1/transfers/{id}/decision",
            Staff,
            Kind::Api,
            post(cases::api_decide_transfer),
        ),
        r(
            g.clone(),
            "/cases/overview",
            LEADERS,
            Kind::Page,
            get(cases::overview_page),
        ),
        r(
            g.clone(),
            "/api/v1/reports/open-cases",
            LEADERS,
            Kind::Api,
            get(cases::api_overview),
        ),
        r(
            p.clone(),
            "/cases/{id}/attachments",
            Staff,
            Kind::Page,
            post(cases::attach_submit),
        ),
        r(
            g.clone(),
            "/cases/{id}/attachments/{attachment}",
            Staff,
            Kind::Page,
            get(cases::attachment_download),
        ),
        r(
            p.clone(),
            "/cases/{id}/referrals",
            Staff,
            Kind::Page,
            post(cases::referral_submit),
        ),
        r(
            p.clone(),
            "/cases/{id}/referrals/{referral}/approve",
            Staff,
            Kind::Page,
            post(cases::referral_approve),
        ),
        r(
            g.clone(),
            "/inbox",
            PARTNER,
            Kind::Page,
            get(cases::inbox_page),
        ),
        r(
            g.clone(),
            "/inbox/{id}",
            PARTNER,
            Kind::Page,
            get(cases::referral_page),
        ),
        r(
            p.clone(),
            "/inbox/{id}",
            PARTNER,
            Kind::Page,
            post(cases::referral_respond),
        ),
        r(
            g.clone(),
            "/api/v1/inbox",
            PARTNER,
            Kind::Api,
            get(cases::api_inbox),
        ),
        r(
            p.clone(),
            "/api/v1/inbox/{id}/response",
            PARTNER,
            Kind::Api,
            post(cases::api_respond),
        ),
        r(
            p.clone(),
            "/api/v1/cases/{id}/referrals",
            Staff,
            Kind::Api,
            post(cases::api_refer),
        ),
        r(
            g.clone(),
            "/api/v1/case-types",
            Staff,
            Kind::Api,
            get(cases::api_case_types),
        ),
        r(
            g.clone(),
            "/api/v1/cases",
            Staff,
            Kind::Api,
            get(cases::api_list),
        ),
        r(
            p.clone(),
            "/api/v1/cases",
            Staff,
            Kind::Api,
            post(cases::api_create),
        ),
        r(
            g.clone(),
            "/api/v1/cases/{id}",
            Staff,
            Kind::Api,
            get(cases::api_get),
        ),
        r(
            p.clone(),
            "/api/v1/cases/{id}/events",
            Staff,
            Kind::Api,
            post(cases::api_add_event),
        ),
        r(
            p.clone(),
            "/api/v1/cases/{id}/status",
            Staff,
            Kind::Api,
            post(cases::api_status),
        ),
        // Administration and audit.
        r(
            g.clone(),
            "/admin/accounts",
            ADMIN,
            Kind::Page,
            get(admin::accounts_page),
        ),
        r(
            p.clone(),
            "/admin/accounts",
            ADMIN,
            Kind::Page,
            post(admin::create_account),
        ),
        r(
            p.clone(),
            "/admin/accounts/{id}/disable",
            ADMIN,
            Kind::Page,
            post(admin::disable_account),
        ),
        r(
            p.clone(),
            "/admin/accounts/{id}/enable",
            ADMIN,
            Kind::Page,
            post(admin::enable_account),
        ),
        r(
            p.clone(),
            "/admin/accounts/{id}/reset",
            ADMIN,
            Kind::Page,
            post(admin::reset_account),
        ),
        r(
            g.clone(),
            "/audit",
            AUDIT,
            Kind::Page,
            get(admin::audit_page),
        ),
        r(g, "/api/v1/audit", AUDIT, Kind::Api, get(admin::api_audit)),
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
        crate::login::session_info,
        crate::persons::api_search,
        crate::persons::api_create,
        crate::persons::api_get,
        crate::persons::api_update,
        crate::persons::api_export,
        crate::persons::api_break_glass,
        crate::admin::api_audit,
        crate::cases::api_case_types,
        crate::cases::api_list,
        crate::cases::api_create,
        crate::cases::api_get,
        crate::cases::api_add_event,
        crate::cases::api_status,
        crate::cases::api_refer,
        crate::cases::api_vccr,
        crate::cases::api_overview,
        crate::cases::api_transfer,
        crate::cases::api_incoming,
        crate::cases::api_decide_transfer,
        crate::cases::api_inbox,
        crate::cases::api_respond,
    ),
    tags(
        (name = "reference", description = "Countries, missions, provinces and languages: public reference data"),
        (name = "session", description = "Sign in on /login (password, then TOTP). API calls use the session cookie; state-changing calls send the session's CSRF token in X-CSRF-Token."),
        (name = "persons", description = "The person registry. What you see is decided per record by your role and scope; a record outside it answers 404, like a missing one, and every access is audited."),
        (name = "cases", description = "Protection cases: intake, workflow, timeline, deadlines. A case outside your scope answers 404 and every access is audited."),
        (name = "inbox", description = "Partner agencies' inbox: referrals sent to your agency, with only the fields chosen for you. Partners never see the case."),
        (name = "audit", description = "The hash-chained audit trail (auditors and administrators)"),
    ),
)]
pub struct ApiDoc;

//! The person registry: pages and JSON API. Every handler reaches persons only through the
//! scoped handle issued for the caller (`Authed::persons`), which checks scope and audits.

pub mod api;
pub mod form;
pub mod pages;

pub use api::*;
pub use form::*;
pub use pages::*;

use axum::http::HeaderMap;

/// Why the caller opens a record, from `?purpose=`, the form, or the `X-Purpose` header.
fn purpose(headers: &HeaderMap, given: Option<&str>) -> String {
    given
        .map(str::to_owned)
        .or_else(|| {
            headers
                .get("x-purpose")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        })
        .unwrap_or_default()
}

/// This capability's routes, each with who may call it (joined in [`crate::routes::table`]).
pub fn routes() -> Vec<crate::routes::Route> {
    use crate::routes::Access::Staff;
    use crate::routes::Route;
    use axum::http::Method;
    use utoipa_axum::routes;
    vec![
        Route::page(Method::GET, "/persons", Staff, pages::search_page),
        Route::page(Method::POST, "/persons", Staff, form::create_submit),
        Route::page(Method::GET, "/persons/new", Staff, form::new_page),
        Route::page(Method::GET, "/persons/{id}", Staff, pages::view_page),
        Route::page(Method::POST, "/persons/{id}", Staff, form::edit_submit),
        Route::page(Method::GET, "/persons/{id}/edit", Staff, form::edit_page),
        Route::page(
            Method::GET,
            "/persons/{id}/export",
            Staff,
            pages::export_page,
        )
        .recent(),
        Route::page(
            Method::POST,
            "/persons/{id}/break-glass",
            Staff,
            pages::break_glass_submit,
        )
        .recent(),
        Route::page(
            Method::POST,
            "/persons/{id}/lift-restriction",
            Staff,
            form::lift_submit,
        ),
        Route::api(Staff, routes!(api::api_search)),
        Route::api(Staff, routes!(api::api_create)),
        Route::api(Staff, routes!(crate::dupes::warning::api_check)),
        Route::api(Staff, routes!(api::api_get)),
        Route::api(Staff, routes!(api::api_update)),
        Route::api(Staff, routes!(api::api_export)).recent(),
        Route::api(Staff, routes!(api::api_break_glass)).recent(),
        Route::api(Staff, routes!(api::api_lift_restriction)),
    ]
}

//! The partner's inbox: referrals sent to a partner agency, read and answered by its liaisons
//! (pages and JSON API). Reached only through the inbox handle issued for the caller: the
//! snapshot frozen when the referral was made, and of the consent its purpose and day; never
//! the case or a person's record (ADR 0019).

use crate::caller::Caller;
use crate::cases::type_name;
use crate::error::{AppError, ProblemBody};
use crate::extract::{Form, Json};
use crate::web::Chrome;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use utoipa::ToSchema;

/// The inbox handle for the caller (partner liaisons).
fn inbox(caller: &Caller) -> baoho_store::Inbox {
    caller.inbox()
}

#[derive(Template, WebTemplate)]
#[template(path = "inbox/inbox.html")]
pub struct InboxPage {
    pub c: Chrome,
    pub items: Vec<baoho_store::InboxReferral>,
}

/// `GET /inbox`: referrals to my agency.
pub async fn inbox_page(caller: Caller, c: Chrome) -> Result<InboxPage, AppError> {
    let items = inbox(&caller).list().await?;
    Ok(InboxPage { c, items })
}

#[derive(Template, WebTemplate)]
#[template(path = "inbox/referral.html")]
pub struct ReferralPage {
    pub c: Chrome,
    pub r: baoho_store::InboxReferral,
    pub type_name: String,
}

/// `GET /inbox/{id}`
pub async fn referral_page(
    caller: Caller,
    c: Chrome,
    Path(id): Path<String>,
) -> Result<ReferralPage, AppError> {
    let r = inbox(&caller).get(&id).await?;
    Ok(ReferralPage {
        type_name: type_name(c.t.lang, &r.snapshot.case_type),
        r,
        c,
    })
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ResponseForm {
    /// `acknowledged`, `accepted`, `declined` or `done`.
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub note: String,
}

/// `POST /inbox/{id}`
pub async fn referral_respond(
    caller: Caller,
    Path(id): Path<String>,
    Form(f): Form<ResponseForm>,
) -> Result<Response, AppError> {
    inbox(&caller).respond(&id, &f.status, &f.note).await?;
    Ok(Redirect::to(&format!("/inbox/{id}")).into_response())
}

/// Referrals sent to your agency (partner liaisons): each with only the fields chosen for you,
/// as they were when it was made, and the consent's purpose and day.
#[utoipa::path(get, path = "/api/v1/inbox", tag = "inbox",
    responses((status = 200, body = Vec<baoho_store::InboxReferral>), (status = 403, body = ProblemBody)))]
pub async fn api_inbox(caller: Caller) -> Result<Json<Vec<baoho_store::InboxReferral>>, AppError> {
    Ok(Json(inbox(&caller).list().await?))
}

/// Answer a referral.
#[utoipa::path(post, path = "/api/v1/inbox/{id}/response", tag = "inbox", params(("id" = String, Path)), request_body = ResponseForm,
    responses((status = 204), (status = 404, body = ProblemBody), (status = 422, body = ProblemBody)))]
pub async fn api_respond(
    caller: Caller,
    Path(id): Path<String>,
    Json(f): Json<ResponseForm>,
) -> Result<StatusCode, AppError> {
    inbox(&caller).respond(&id, &f.status, &f.note).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The inbox's routes (joined in [`crate::routes::table`]).
pub fn routes() -> Vec<crate::routes::Route> {
    use crate::routes::PARTNER;
    use crate::routes::Route;
    use axum::http::Method;
    use utoipa_axum::routes;
    vec![
        Route::page(Method::GET, "/inbox", PARTNER, inbox_page),
        Route::page(Method::GET, "/inbox/{id}", PARTNER, referral_page),
        Route::page(Method::POST, "/inbox/{id}", PARTNER, referral_respond),
        Route::api(PARTNER, routes!(api_inbox)),
        Route::api(PARTNER, routes!(api_respond)),
    ]
}

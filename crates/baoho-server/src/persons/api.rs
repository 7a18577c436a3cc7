//! The registry's JSON API.

use super::purpose;
use crate::caller::Caller;
use crate::error::{AppError, ProblemBody};
use crate::extract::{Json, Query};
use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use baoho_domain::access::Restricted;
use baoho_domain::person::{PersonInput, PersonQuery};
use baoho_store::{PersonRecord, SearchResult, StoreError};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

/// The most hits one search returns.
pub const MAX_SEARCH_LIMIT: u32 = 100;

#[derive(Debug, Deserialize, IntoParams)]
pub struct SearchParams {
    /// A name (any order, with or without diacritics) or a document number.
    #[serde(default)]
    pub q: String,
    /// Only persons born that year.
    #[param(minimum = 0, maximum = 65535)]
    pub birth_year: Option<u16>,
    /// At most this many hits (default 50, at most 100; more is refused with 400).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    /// Why you search (recorded in the audit trail; never a name).
    pub purpose: Option<String>,
}

/// Search persons in your scope.
#[utoipa::path(get, path = "/api/v1/persons", tag = "persons", params(SearchParams),
    responses((status = 200, body = SearchResult), (status = 401, body = ProblemBody), (status = 403, body = ProblemBody)))]
pub async fn api_search(
    caller: Caller,
    headers: HeaderMap,
    Query(p): Query<SearchParams>,
) -> Result<Json<SearchResult>, AppError> {
    if let Some(l) = p.limit
        && !(1..=MAX_SEARCH_LIMIT).contains(&l)
    {
        return Err(AppError::BadRequest(format!(
            "limit must be 1 to {MAX_SEARCH_LIMIT}"
        )));
    }
    let h = caller.persons(&purpose(&headers, p.purpose.as_deref()));
    let r = h
        .search(&PersonQuery {
            text: p.q,
            birth_year: p.birth_year,
            limit: p.limit.unwrap_or(50),
        })
        .await?;
    Ok(Json(r))
}

/// Create a person.
#[utoipa::path(post, path = "/api/v1/persons", tag = "persons", operation_id = "persons_create", request_body = PersonInput,
    responses((status = 201, body = PersonRecord), (status = 422, body = ProblemBody), (status = 401, body = ProblemBody), (status = 403, body = ProblemBody)))]
pub async fn api_create(
    caller: Caller,
    headers: HeaderMap,
    Json(input): Json<PersonInput>,
) -> Result<Response, AppError> {
    let h = caller.persons(&purpose(&headers, None));
    let rec = h.create(input).await?;
    caller.dupes().add(&rec);
    let loc = format!("/api/v1/persons/{}", rec.id);
    Ok((StatusCode::CREATED, [(header::LOCATION, loc)], Json(rec)).into_response())
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct PurposeParam {
    /// Why you open this record (recorded in the audit trail; never a name).
    pub purpose: Option<String>,
}

/// Read one person. Outside your scope, or missing: 404 (the same answer).
#[utoipa::path(get, path = "/api/v1/persons/{id}", tag = "persons", operation_id = "persons_get", params(("id" = String, Path), PurposeParam),
    responses((status = 200, body = PersonRecord), (status = 404, body = ProblemBody)))]
pub async fn api_get(
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(p): Query<PurposeParam>,
) -> Result<Json<PersonRecord>, AppError> {
    let h = caller.persons(&purpose(&headers, p.purpose.as_deref()));
    Ok(Json(h.get(&id).await?))
}

/// An edit: the version you read, and the new data.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PersonEdit {
    pub version: i64,
    #[serde(flatten)]
    pub data: PersonInput,
}

/// Replace a person's data. A stale `version` gets 409 and changes nothing.
#[utoipa::path(put, path = "/api/v1/persons/{id}", tag = "persons", params(("id" = String, Path)), request_body = PersonEdit,
    responses((status = 200, body = PersonRecord), (status = 404, body = ProblemBody), (status = 409, body = ProblemBody), (status = 422, body = ProblemBody)))]
pub async fn api_update(
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
    Json(edit): Json<PersonEdit>,
) -> Result<Json<PersonRecord>, AppError> {
    let h = caller.persons(&purpose(&headers, None));
    let rec = h.update(&id, edit.version, edit.data).await?;
    caller.dupes().add(&rec);
    Ok(Json(rec))
}

/// Export one person's full record as a JSON file (audited as an export).
#[utoipa::path(get, path = "/api/v1/persons/{id}/export", tag = "persons", params(("id" = String, Path), PurposeParam),
    responses((status = 200, body = PersonRecord), (status = 404, body = ProblemBody)))]
pub async fn api_export(
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(p): Query<PurposeParam>,
) -> Result<Response, AppError> {
    let h = caller.persons(&purpose(&headers, p.purpose.as_deref()));
    let rec = h.export(&id).await?;
    let body = serde_json::to_vec_pretty(&rec).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/json".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"person-{}.json\"", rec.id),
            ),
        ],
        body,
    )
        .into_response())
}

/// A written reason to open a restricted record.
#[derive(Debug, Deserialize, ToSchema)]
pub struct BreakGlassRequest {
    /// At least 15 characters besides spaces; your supervisor is told at once.
    #[schema(min_length = 15, pattern = r"^\s*(\S\s*){15,}$")]
    pub reason: String,
}

/// Break the glass on a restricted record in your scope.
#[utoipa::path(post, path = "/api/v1/persons/{id}/break-glass", tag = "persons", params(("id" = String, Path)), request_body = BreakGlassRequest,
    responses((status = 204), (status = 404, body = ProblemBody), (status = 422, body = ProblemBody)))]
pub async fn api_break_glass(
    caller: Caller,
    Path(id): Path<String>,
    Json(b): Json<BreakGlassRequest>,
) -> Result<StatusCode, AppError> {
    let h = caller.persons("break-glass");
    h.break_glass(&id, &b.reason).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Lifting restricted categories from a person: the version you read, which to lift, and why.
#[derive(Debug, Deserialize, ToSchema)]
pub struct LiftRequest {
    pub version: i64,
    /// The categories to lift (each one the record has).
    pub lift: Vec<Restricted>,
    /// At least 15 characters; kept in the audit trail (no personal names).
    #[schema(min_length = 15)]
    pub reason: String,
}

/// What a refused lift says (the caller can see the record: nothing is hidden by saying it).
pub const LIFT_REFUSED: &str = "only a supervisor (the head of mission, or at headquarters) assigned to this record, not through break-glass, may lift a restriction";

/// Lift restricted categories from a person (a supervisor, with a reason; audited as
/// `restriction_lift`). Editors may add a category through an edit, never remove one.
#[utoipa::path(post, path = "/api/v1/persons/{id}/lift-restriction", tag = "persons", params(("id" = String, Path)), request_body = LiftRequest,
    responses((status = 200, body = PersonRecord), (status = 403, body = ProblemBody), (status = 404, body = ProblemBody), (status = 409, body = ProblemBody), (status = 422, body = ProblemBody)))]
pub async fn api_lift_restriction(
    caller: Caller,
    Path(id): Path<String>,
    Json(l): Json<LiftRequest>,
) -> Result<Json<PersonRecord>, AppError> {
    let h = caller.persons("");
    match h.lift_restriction(&id, l.version, &l.lift, &l.reason).await {
        Ok(rec) => {
            caller.dupes().add(&rec);
            Ok(Json(rec))
        }
        Err(StoreError::Forbidden) => Err(AppError::Forbidden(LIFT_REFUSED.into())),
        Err(e) => Err(e.into()),
    }
}

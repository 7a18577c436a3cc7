use super::*;

/// Add a timeline entry.
#[utoipa::path(post, path = "/api/v1/cases/{id}/events", tag = "cases", params(("id" = String, Path)), request_body = NewEvent,
    responses((status = 204), (status = 404, body = ProblemBody), (status = 422, body = ProblemBody)))]
pub async fn api_add_event(
    caller: Caller,
    Path(id): Path<String>,
    Json(ev): Json<NewEvent>,
) -> Result<StatusCode, AppError> {
    caller.cases("").add_event(&id, ev).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
pub struct EventForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    currency: String,
    #[serde(default)]
    repayment: String,
}

pub(super) fn parse_amount(s: &str) -> Option<i64> {
    let s = s.trim().replace(',', ".");
    if s.is_empty() {
        return None;
    }
    let v: f64 = s.parse().ok()?;
    (v.is_finite() && v > 0.0 && v < 1e12).then(|| (v * 100.0).round() as i64)
}

/// `POST /cases/{id}/details`: the type's own fields, as `d_<key>` form fields and the
/// `version` read.
pub async fn details_submit(
    caller: Caller,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let mut version = 0;
    let mut details = std::collections::BTreeMap::new();
    for (k, v) in pairs {
        if k == "version" {
            version = v.trim().parse().unwrap_or(0);
        } else if let Some(key) = k.strip_prefix("d_") {
            details.insert(key.to_owned(), v);
        }
    }
    caller
        .cases("details")
        .set_details(&id, version, &details)
        .await?;
    Ok(back(&id))
}

/// The case type's own fields: the version you read and every field's value (a field left
/// out or empty is cleared).
#[derive(Debug, Deserialize, ToSchema)]
pub struct DetailsUpdate {
    pub version: i64,
    #[serde(default)]
    pub details: std::collections::BTreeMap<String, String>,
}

/// Replace the case type's own fields (see `fields` in `GET /api/v1/case-types`).
#[utoipa::path(put, path = "/api/v1/cases/{id}/details", tag = "cases", params(("id" = String, Path)), request_body = DetailsUpdate,
    responses((status = 204), (status = 404, body = ProblemBody), (status = 409, body = ProblemBody), (status = 422, body = ProblemBody)))]
pub async fn api_details(
    caller: Caller,
    Path(id): Path<String>,
    Json(u): Json<DetailsUpdate>,
) -> Result<StatusCode, AppError> {
    caller
        .cases("details")
        .set_details(&id, u.version, &u.details)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /cases/{id}/events`
pub async fn event_submit(
    caller: Caller,
    Path(id): Path<String>,
    Form(f): Form<EventForm>,
) -> Result<Response, AppError> {
    let ev = NewEvent {
        kind: f.kind,
        body: f.body,
        amount_minor: parse_amount(&f.amount),
        currency: Some(f.currency.trim().to_ascii_uppercase()).filter(|c| !c.is_empty()),
        repayment: Some(f.repayment.trim().to_owned()).filter(|r| !r.is_empty()),
    };
    caller.cases("").add_event(&id, ev).await?;
    Ok(back(&id))
}

/// This sub-area's routes, each with who may call it.
pub(super) fn routes() -> Vec<crate::routes::Route> {
    use crate::routes::Access::Staff;
    use crate::routes::Route;
    use axum::http::Method;
    use utoipa_axum::routes;
    vec![
        Route::page(Method::POST, "/cases/{id}/events", Staff, event_submit),
        Route::page(Method::POST, "/cases/{id}/details", Staff, details_submit),
        Route::api(Staff, routes!(api_details)),
        Route::api(Staff, routes!(api_add_event)),
    ]
}

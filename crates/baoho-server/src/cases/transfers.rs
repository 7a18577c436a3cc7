use super::*;

#[derive(Debug, Deserialize, ToSchema)]
pub struct TransferForm {
    /// The receiving mission's code.
    #[serde(default)]
    pub to_mission: String,
    #[serde(default)]
    pub reason: String,
}

/// `POST /cases/{id}/transfers`
pub async fn transfer_submit(
    caller: Caller,
    Path(id): Path<String>,
    Form(f): Form<TransferForm>,
) -> Result<Response, AppError> {
    caller
        .cases("transfer")
        .request_transfer(&id, &f.to_mission, &f.reason)
        .await?;
    Ok(back(&id))
}

/// Ask another mission to take the case.
#[utoipa::path(post, path = "/api/v1/cases/{id}/transfers", tag = "cases", params(("id" = String, Path)), request_body = TransferForm,
    responses((status = 201, body = baoho_store::cases::transfers::Transfer), (status = 404, body = ProblemBody), (status = 409, body = ProblemBody), (status = 422, body = ProblemBody)))]
pub async fn api_transfer(
    caller: Caller,
    Path(id): Path<String>,
    Json(f): Json<TransferForm>,
) -> Result<Response, AppError> {
    let t = caller
        .cases("transfer")
        .request_transfer(&id, &f.to_mission, &f.reason)
        .await?;
    Ok((StatusCode::CREATED, Json(t)).into_response())
}

/// Transfers waiting for your mission.
#[utoipa::path(get, path = "/api/v1/transfers/incoming", tag = "cases",
    responses((status = 200, body = Vec<baoho_store::cases::transfers::Transfer>)))]
pub async fn api_incoming(
    caller: Caller,
) -> Result<Json<Vec<baoho_store::cases::transfers::Transfer>>, AppError> {
    Ok(Json(caller.cases("").incoming_transfers().await?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct TransferDecision {
    pub accept: bool,
}

/// Accept or reject a transfer to your mission.
#[utoipa::path(post, path = "/api/v1/transfers/{id}/decision", tag = "cases", params(("id" = String, Path)), request_body = TransferDecision,
    responses((status = 204), (status = 404, body = ProblemBody)))]
pub async fn api_decide_transfer(
    caller: Caller,
    Path(id): Path<String>,
    Json(d): Json<TransferDecision>,
) -> Result<StatusCode, AppError> {
    caller
        .cases("transfer")
        .decide_transfer(&id, d.accept)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /transfers/{id}/accept` and `/reject`
pub async fn transfer_accept(caller: Caller, Path(id): Path<String>) -> Result<Response, AppError> {
    caller.cases("transfer").decide_transfer(&id, true).await?;
    Ok(Redirect::to("/cases").into_response())
}

pub async fn transfer_reject(caller: Caller, Path(id): Path<String>) -> Result<Response, AppError> {
    caller.cases("transfer").decide_transfer(&id, false).await?;
    Ok(Redirect::to("/cases").into_response())
}

/// This sub-area's routes, each with who may call it.
pub(super) fn routes() -> Vec<crate::routes::Route> {
    use crate::routes::Access::Staff;
    use crate::routes::Route;
    use axum::http::Method;
    use utoipa_axum::routes;
    vec![
        Route::page(
            Method::POST,
            "/cases/{id}/transfers",
            Staff,
            transfer_submit,
        ),
        Route::page(
            Method::POST,
            "/transfers/{id}/accept",
            Staff,
            transfer_accept,
        ),
        Route::page(
            Method::POST,
            "/transfers/{id}/reject",
            Staff,
            transfer_reject,
        ),
        Route::api(Staff, routes!(api_transfer)),
        Route::api(Staff, routes!(api_incoming)),
        Route::api(Staff, routes!(api_decide_transfer)),
    ]
}

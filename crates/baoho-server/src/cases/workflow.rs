use super::*;

/// A status change: the version you read, the new status, a reason for reopening.
#[derive(Debug, Deserialize, ToSchema)]
pub struct StatusChange {
    pub version: i64,
    pub status: String,
    #[serde(default)]
    pub reason: String,
}

/// Move a case along its workflow (`closed` goes through close request and approval).
#[utoipa::path(post, path = "/api/v1/cases/{id}/status", tag = "cases", params(("id" = String, Path)), request_body = StatusChange,
    responses((status = 204), (status = 404, body = ProblemBody), (status = 409, body = ProblemBody), (status = 422, body = ProblemBody)))]
pub async fn api_status(
    caller: Caller,
    Path(id): Path<String>,
    Json(s): Json<StatusChange>,
) -> Result<StatusCode, AppError> {
    let to = Status::parse(&s.status).ok_or_else(|| AppError::Unprocessable {
        detail: "unknown status".into(),
        errors: vec![],
    })?;
    caller
        .cases("")
        .set_status(&id, s.version, to, &s.reason)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
pub struct StatusForm {
    #[serde(default)]
    version: i64,
    #[serde(default)]
    status: String,
    #[serde(default)]
    reason: String,
}

/// `POST /cases/{id}/status`
pub async fn status_submit(
    caller: Caller,
    Path(id): Path<String>,
    Form(f): Form<StatusForm>,
) -> Result<Response, AppError> {
    let to =
        Status::parse(&f.status).ok_or_else(|| AppError::BadRequest("unknown status".into()))?;
    caller
        .cases("")
        .set_status(&id, f.version, to, &f.reason)
        .await?;
    Ok(back(&id))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct AssignForm {
    /// The account id of the new lead officer.
    #[serde(default)]
    account: String,
}

/// `POST /cases/{id}/assign`
pub async fn assign_submit(
    caller: Caller,
    Path(id): Path<String>,
    Form(f): Form<AssignForm>,
) -> Result<Response, AppError> {
    let target = lead_candidate(&caller, &f.account).await?;
    caller.cases("").assign(&id, &target).await?;
    Ok(back(&id))
}

/// The account id of an officer who may lead a case (enabled, a consular role).
pub(super) async fn lead_candidate(caller: &Caller, account: &str) -> Result<String, AppError> {
    let target =
        caller
            .staff_account(account.trim())
            .await
            .map_err(|_| AppError::Unprocessable {
                detail: "no such officer".into(),
                errors: vec![],
            })?;
    if target.disabled
        || !matches!(
            target.role,
            Role::MissionOfficer | Role::HeadOfMission | Role::HqOfficer
        )
    {
        return Err(AppError::Unprocessable {
            detail: "this account cannot lead a case".into(),
            errors: vec![],
        });
    }
    Ok(target.id)
}

#[derive(Debug, Deserialize)]
pub struct CheckForm {
    #[serde(default)]
    item: i64,
    #[serde(default)]
    done: String,
}

/// `POST /cases/{id}/check`
pub async fn check_submit(
    caller: Caller,
    Path(id): Path<String>,
    Form(f): Form<CheckForm>,
) -> Result<Response, AppError> {
    caller.cases("").check(&id, f.item, f.done == "1").await?;
    Ok(back(&id))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct VersionForm {
    /// The version of the case you read.
    #[serde(default)]
    version: i64,
}

/// `POST /cases/{id}/close-request`
pub async fn close_request_submit(
    caller: Caller,
    Path(id): Path<String>,
    Form(f): Form<VersionForm>,
) -> Result<Response, AppError> {
    caller.cases("").request_close(&id, f.version).await?;
    Ok(back(&id))
}

/// `POST /cases/{id}/close-approve`
pub async fn close_approve_submit(
    caller: Caller,
    Path(id): Path<String>,
    Form(f): Form<VersionForm>,
) -> Result<Response, AppError> {
    caller.cases("").approve_close(&id, f.version).await?;
    Ok(back(&id))
}

/// Make an officer the case's lead (and a member).
#[utoipa::path(post, path = "/api/v1/cases/{id}/assign", tag = "cases", params(("id" = String, Path)), request_body = AssignForm,
    responses((status = 204), (status = 404, body = ProblemBody), (status = 422, body = ProblemBody)))]
pub async fn api_assign(
    caller: Caller,
    Path(id): Path<String>,
    Json(f): Json<AssignForm>,
) -> Result<StatusCode, AppError> {
    let target = lead_candidate(&caller, &f.account).await?;
    caller.cases("").assign(&id, &target).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CheckUpdate {
    pub done: bool,
}

/// Tick or untick an item of the case type's checklist (by its index).
#[utoipa::path(put, path = "/api/v1/cases/{id}/checklist/{item}", tag = "cases", operation_id = "cases_checklist_set",
    params(("id" = String, Path), ("item" = i64, Path)), request_body = CheckUpdate,
    responses((status = 204), (status = 404, body = ProblemBody), (status = 422, body = ProblemBody)))]
pub async fn api_check(
    caller: Caller,
    Path((id, item)): Path<(String, i64)>,
    Json(f): Json<CheckUpdate>,
) -> Result<StatusCode, AppError> {
    caller.cases("").check(&id, item, f.done).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Ask a supervisor to close a resolved case.
#[utoipa::path(post, path = "/api/v1/cases/{id}/close-request", tag = "cases", params(("id" = String, Path)), request_body = VersionForm,
    responses((status = 204), (status = 404, body = ProblemBody), (status = 409, body = ProblemBody), (status = 422, body = ProblemBody)))]
pub async fn api_close_request(
    caller: Caller,
    Path(id): Path<String>,
    Json(f): Json<VersionForm>,
) -> Result<StatusCode, AppError> {
    caller.cases("").request_close(&id, f.version).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A supervisor (not the requester) approves the closure.
#[utoipa::path(post, path = "/api/v1/cases/{id}/close-approval", tag = "cases", params(("id" = String, Path)), request_body = VersionForm,
    responses((status = 204), (status = 403, body = ProblemBody), (status = 404, body = ProblemBody), (status = 409, body = ProblemBody), (status = 422, body = ProblemBody)))]
pub async fn api_close_approve(
    caller: Caller,
    Path(id): Path<String>,
    Json(f): Json<VersionForm>,
) -> Result<StatusCode, AppError> {
    caller.cases("").approve_close(&id, f.version).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// This sub-area's routes, each with who may call it.
pub(super) fn routes() -> Vec<crate::routes::Route> {
    use crate::routes::Access::Staff;
    use crate::routes::Route;
    use axum::http::Method;
    use utoipa_axum::routes;
    vec![
        Route::page(Method::POST, "/cases/{id}/status", Staff, status_submit),
        Route::page(Method::POST, "/cases/{id}/assign", Staff, assign_submit),
        Route::page(Method::POST, "/cases/{id}/check", Staff, check_submit),
        Route::page(
            Method::POST,
            "/cases/{id}/close-request",
            Staff,
            close_request_submit,
        ),
        Route::page(
            Method::POST,
            "/cases/{id}/close-approve",
            Staff,
            close_approve_submit,
        ),
        Route::api(Staff, routes!(api_assign)),
        Route::api(Staff, routes!(api_check)),
        Route::api(Staff, routes!(api_close_request)),
        Route::api(Staff, routes!(api_close_approve)),
        Route::api(Staff, routes!(api_status)),
    ]
}

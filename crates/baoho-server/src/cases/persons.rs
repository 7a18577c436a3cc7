use super::*;

#[derive(Debug, Deserialize, ToSchema)]
pub struct LinkPerson {
    /// The id of a person in the registry you may read.
    #[serde(default)]
    #[schema(min_length = 1, pattern = r"\S")]
    pub person_id: String,
}

/// `POST /cases/{id}/persons`: add a person from the registry.
pub async fn link_person_submit(
    caller: Caller,
    Path(id): Path<String>,
    Form(f): Form<LinkPerson>,
) -> Result<Response, AppError> {
    caller
        .cases("person linked")
        .link_person(&id, f.person_id.trim())
        .await?;
    Ok(back(&id))
}

/// Add a person from the registry to the case (a crew, a group rescued together).
#[utoipa::path(post, path = "/api/v1/cases/{id}/persons", tag = "cases", params(("id" = String, Path)), request_body = LinkPerson,
    responses((status = 204), (status = 404, body = ProblemBody), (status = 422, body = ProblemBody)))]
pub async fn api_link_person(
    caller: Caller,
    Path(id): Path<String>,
    Json(f): Json<LinkPerson>,
) -> Result<StatusCode, AppError> {
    // No person named is bad input, not a person out of scope.
    if f.person_id.trim().is_empty() {
        return Err(AppError::Unprocessable {
            detail: "person_id is required".into(),
            errors: vec![crate::error::FieldError {
                field: "person_id".into(),
                message: "name the person to add".into(),
            }],
        });
    }
    caller
        .cases("person linked")
        .link_person(&id, f.person_id.trim())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Why a person is removed from a case.
#[derive(Debug, Deserialize, ToSchema)]
pub struct UnlinkPerson {
    /// Why the person is removed (5 to 2,000 characters; kept in the case's timeline).
    #[serde(default)]
    pub reason: String,
}

/// `POST /cases/{id}/persons/{person}/remove`: remove a person added by mistake. Refused input
/// brings the case page back (422) with the form open, the reason as typed and why.
pub async fn unlink_person_submit(
    caller: Caller,
    mut c: Chrome,
    Path((id, person)): Path<(String, String)>,
    Form(f): Form<UnlinkPerson>,
) -> Result<Response, AppError> {
    let done = caller
        .cases("person unlinked")
        .unlink_person(&id, &person, &f.reason)
        .await;
    match done {
        Ok(()) => Ok(Redirect::to(&format!("/cases/{id}?removed=1#persons")).into_response()),
        Err(StoreError::Validation(errs)) => {
            let error = errs
                .iter()
                .map(|e| c.t.s(e.code))
                .collect::<Vec<_>>()
                .join(" ");
            // The language switch of the page shown comes back to the case, not to this POST.
            c.path = format!("/cases/{id}");
            let mut page = case_view(&caller, c, &id, None).await?;
            page.unlink = Some(UnlinkView {
                person: person.trim().to_owned(),
                reason: f.reason,
                error,
            });
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// Remove a person added to the case by mistake, with the reason (kept in the timeline).
/// The same gates as adding one: edit on the case, read on the person. A person not on the
/// case is a 422 (field `person`), like one added twice; the case's version is not needed.
#[utoipa::path(post, path = "/api/v1/cases/{id}/persons/{person}/removal", tag = "cases",
    params(("id" = String, Path), ("person" = String, Path, description = "The id of a person on the case")),
    request_body = UnlinkPerson,
    responses((status = 204), (status = 404, body = ProblemBody), (status = 422, body = ProblemBody)))]
pub async fn api_unlink_person(
    caller: Caller,
    Path((id, person)): Path<(String, String)>,
    Json(f): Json<UnlinkPerson>,
) -> Result<StatusCode, AppError> {
    caller
        .cases("person unlinked")
        .unlink_person(&id, &person, &f.reason)
        .await?;
    Ok(StatusCode::NO_CONTENT)
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
            "/cases/{id}/persons",
            Staff,
            link_person_submit,
        ),
        Route::api(Staff, routes!(api_link_person)),
        Route::page(
            Method::POST,
            "/cases/{id}/persons/{person}/remove",
            Staff,
            unlink_person_submit,
        ),
        Route::api(Staff, routes!(api_unlink_person)),
    ]
}

use super::*;

/// The attachments' object store. TODO(#13): the Caller does not issue it; read from the
/// state for now.
pub(super) fn objects(caller: &Caller) -> Result<&dyn object_store::ObjectStore, AppError> {
    caller
        .objects()
        .map(|o| o.as_ref())
        .ok_or_else(|| AppError::Unavailable("attachment storage is not available".into()))
}

/// `POST /cases/{id}/attachments` (multipart: `file`; the CSRF token in `?csrf=`).
pub async fn attach_submit(
    caller: Caller,
    Path(id): Path<String>,
    form: axum::extract::Multipart,
) -> Result<Response, AppError> {
    let (name, bytes) = multipart_file(form).await?;
    caller
        .cases("attachment")
        .attach(objects(&caller)?, &id, &name, &bytes)
        .await?;
    Ok(back(&id))
}

/// The `file` field of a multipart form: its name and bytes.
pub(super) async fn multipart_file(
    mut form: axum::extract::Multipart,
) -> Result<(String, Vec<u8>), AppError> {
    let mut file: Option<(String, Vec<u8>)> = None;
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| AppError::BadRequest(format!("form: {e}")))?
    {
        if field.name() == Some("file") {
            let name = field.file_name().unwrap_or("file").to_owned();
            let bytes = field
                .bytes()
                .await
                .map_err(|e| AppError::BadRequest(format!("file: {e}")))?;
            file = Some((name, bytes.to_vec()));
        }
    }
    file.ok_or_else(|| AppError::Unprocessable {
        detail: "choose a file".into(),
        errors: vec![],
    })
}

/// `GET /cases/{id}/attachments/{attachment}`: download (audited).
pub async fn attachment_download(
    caller: Caller,
    Path((id, attachment)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let (meta, bytes) = caller
        .cases("attachment")
        .download(objects(&caller)?, &id, &attachment)
        .await?;
    let ascii: String = meta
        .file_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    Ok((
        [
            (header::CONTENT_TYPE, meta.content_type.clone()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{ascii}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// A file to attach: one multipart part named `file` (other parts are read past and ignored,
/// so the schema does not forbid them).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // documents the multipart body; `multipart_file` reads it
pub struct AttachmentUpload {
    /// The file, with its name.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// The case's attachments (names, types, sizes; not their content).
#[utoipa::path(get, path = "/api/v1/cases/{id}/attachments", tag = "cases", params(("id" = String, Path)),
    responses((status = 200, body = Vec<baoho_store::cases::attachments::Attachment>), (status = 404, body = ProblemBody)))]
pub async fn api_attachments(
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Vec<baoho_store::cases::attachments::Attachment>>, AppError> {
    let h = caller.cases("attachments");
    let k = h.get(&id).await?;
    Ok(Json(h.attachments(&k).await?))
}

/// Attach a file (multipart form, field `file`): PDF, JPEG, PNG or text, size-limited;
/// encrypted at rest when the case is restricted.
#[utoipa::path(post, path = "/api/v1/cases/{id}/attachments", tag = "cases", params(("id" = String, Path)),
    request_body(content = AttachmentUpload, content_type = "multipart/form-data", description = "field `file`"),
    responses((status = 201, body = baoho_store::cases::attachments::Attachment), (status = 404, body = ProblemBody), (status = 422, body = ProblemBody)))]
pub async fn api_attach(
    caller: Caller,
    Path(id): Path<String>,
    form: axum::extract::Multipart,
) -> Result<Response, AppError> {
    let (name, bytes) = multipart_file(form).await?;
    let a = caller
        .cases("attachment")
        .attach(objects(&caller)?, &id, &name, &bytes)
        .await?;
    Ok((StatusCode::CREATED, Json(a)).into_response())
}

/// Download an attachment (audited).
#[utoipa::path(get, path = "/api/v1/cases/{id}/attachments/{attachment}", tag = "cases",
    params(("id" = String, Path), ("attachment" = String, Path)),
    responses((status = 200, description = "The file, with the type it was accepted as.",
        content(("application/pdf"), ("image/jpeg"), ("image/png"), ("text/plain"), ("application/octet-stream"))),
        (status = 404, body = ProblemBody)))]
pub async fn api_attachment_download(
    caller: Caller,
    path: Path<(String, String)>,
) -> Result<Response, AppError> {
    attachment_download(caller, path).await
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
            "/cases/{id}/attachments",
            Staff,
            attach_submit,
        ),
        Route::page(
            Method::GET,
            "/cases/{id}/attachments/{attachment}",
            Staff,
            attachment_download,
        ),
        Route::api(Staff, routes!(api_attachments)),
        Route::api(Staff, routes!(api_attach)),
        Route::api(Staff, routes!(api_attachment_download)),
    ]
}

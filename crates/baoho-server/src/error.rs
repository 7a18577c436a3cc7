//! One error type for the server, rendered once: RFC 9457 problem details under `/api`, a
//! readable bilingual page everywhere else (see `layers::render_errors`).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use baoho_store::StoreError;
use serde::Serialize;

/// One invalid input field, for 422 answers.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    /// The field's name as sent (`name`, `dob`, …).
    pub field: String,
    /// What is wrong with it, in English (the UI shows its own translation).
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("login required")]
    Unauthorized,
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("too many attempts")]
    TooManyRequests { retry_after_secs: u64 },
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("invalid input")]
    Unprocessable {
        detail: String,
        errors: Vec<FieldError>,
    },
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("payload too large")]
    PayloadTooLarge,
    #[error("unsupported media type: {0}")]
    UnsupportedMediaType(String),
    #[error("service unavailable: {0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => AppError::NotFound,
            StoreError::Conflict(m) => AppError::Conflict(m),
            StoreError::Invalid(m) => AppError::Unprocessable {
                detail: m,
                errors: vec![],
            },
            StoreError::Unavailable(m) => AppError::Unavailable(m),
            StoreError::Forbidden => AppError::Forbidden("your role does not allow this".into()),
            StoreError::Validation(errs) => AppError::Unprocessable {
                detail: "some fields need attention".into(),
                errors: errs
                    .into_iter()
                    .map(|e| FieldError {
                        field: e.field,
                        message: crate::i18n::Tr::new(crate::i18n::Lang::En)
                            .s(e.code)
                            .to_owned(),
                    })
                    .collect(),
            },
            other => AppError::Internal(other.to_string()),
        }
    }
}

/// What the renderer needs to know about an error; carried in the response's extensions.
#[derive(Debug, Clone)]
pub struct Problem {
    pub status: StatusCode,
    /// Short stable slug: `not-found`, `invalid-input`…; also the i18n key `error.<slug>`.
    pub slug: &'static str,
    /// Extra words for the reader (English; never personal data, never internals on 5xx).
    pub detail: Option<String>,
    pub errors: Vec<FieldError>,
    /// For 429: seconds until a retry may succeed (sent as `Retry-After`).
    pub retry_after: Option<u64>,
}

impl Problem {
    pub fn new(status: StatusCode, slug: &'static str, detail: Option<String>) -> Self {
        Self {
            status,
            slug,
            detail,
            errors: vec![],
            retry_after: None,
        }
    }

    /// The slug for a bare status code (used for errors raised by axum's own layers).
    pub fn slug_for(status: StatusCode) -> &'static str {
        match status.as_u16() {
            400 => "bad-request",
            401 => "unauthorized",
            403 => "forbidden",
            404 => "not-found",
            405 => "method-not-allowed",
            406 => "not-acceptable",
            408 => "timeout",
            409 => "conflict",
            413 => "payload-too-large",
            415 => "unsupported-media-type",
            422 => "invalid-input",
            429 => "too-many-requests",
            503 => "unavailable",
            504 => "timeout",
            s if s >= 500 => "internal",
            _ => "bad-request",
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let problem = match self {
            AppError::NotFound => Problem::new(StatusCode::NOT_FOUND, "not-found", None),
            AppError::Unauthorized => Problem::new(StatusCode::UNAUTHORIZED, "unauthorized", None),
            AppError::Forbidden(d) => Problem::new(StatusCode::FORBIDDEN, "forbidden", Some(d)),
            AppError::TooManyRequests { retry_after_secs } => {
                let mut res = Problem::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "too-many-requests",
                    Some(format!(
                        "try again in {} minutes",
                        retry_after_secs.div_ceil(60)
                    )),
                );
                res.retry_after = Some(retry_after_secs);
                res
            }
            AppError::BadRequest(d) => {
                Problem::new(StatusCode::BAD_REQUEST, "bad-request", Some(d))
            }
            AppError::Unprocessable { detail, errors } => Problem {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                slug: "invalid-input",
                detail: Some(detail),
                errors,
                retry_after: None,
            },
            AppError::Conflict(d) => Problem::new(StatusCode::CONFLICT, "conflict", Some(d)),
            AppError::PayloadTooLarge => {
                Problem::new(StatusCode::PAYLOAD_TOO_LARGE, "payload-too-large", None)
            }
            AppError::UnsupportedMediaType(d) => Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                Some(d),
            ),
            AppError::Unavailable(d) => {
                tracing::warn!(error = %d, "service unavailable");
                Problem::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", None)
            }
            AppError::Internal(d) => {
                // Internals are logged (never personal data: store errors carry no values)
                // and never shown.
                tracing::error!(error = %d, "internal error");
                Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", None)
            }
        };
        let mut res = problem.status.into_response();
        if let Some(s) = problem.retry_after
            && let Ok(v) = axum::http::HeaderValue::from_str(&s.to_string())
        {
            res.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
        }
        res.extensions_mut().insert(problem);
        res
    }
}

/// The RFC 9457 body of every error answer (`application/problem+json`).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = Problem)]
pub struct ProblemBody {
    /// A URI naming the kind of problem, e.g. `urn:baoho:problem:not-found`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The request path.
    pub instance: String,
    /// Quote this when reporting a problem.
    pub request_id: String,
    /// The fields refused (422 only; absent otherwise).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(required = false)]
    pub errors: Vec<FieldError>,
}

//! CSRF: a state-changing request carries its session's token (header or form field).

use super::{CSRF_FIELD, CSRF_HEADER};
use crate::error::AppError;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{Method, header};

/// Check the CSRF token of a state-changing request: the `X-CSRF-Token` header, or the `csrf`
/// field of a form body (the body is read and handed on unchanged).
pub(super) async fn check_csrf(
    req: Request,
    expected: &str,
    limit: usize,
) -> Result<Request, AppError> {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(req);
    }
    if let Some(h) = req.headers().get(CSRF_HEADER)
        && constant_eq(h.as_bytes(), expected.as_bytes())
    {
        return Ok(req);
    }
    // A file upload (multipart) cannot be read here without buffering it twice: its form
    // carries the token in the query string instead (same origin, never logged: the log has
    // the path without its query).
    let is_multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("multipart/form-data"));
    if is_multipart {
        let ok = req
            .uri()
            .query()
            .and_then(|q| form_urlencoded_field(q.as_bytes(), CSRF_FIELD))
            .is_some_and(|v| constant_eq(v.as_bytes(), expected.as_bytes()));
        return if ok {
            Ok(req)
        } else {
            Err(AppError::Forbidden("missing or wrong CSRF token".into()))
        };
    }
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Err(AppError::Forbidden("missing or wrong CSRF token".into()));
    }
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| AppError::PayloadTooLarge)?;
    let ok = form_urlencoded_field(&bytes, CSRF_FIELD)
        .is_some_and(|v| constant_eq(v.as_bytes(), expected.as_bytes()));
    if !ok {
        return Err(AppError::Forbidden("missing or wrong CSRF token".into()));
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

fn form_urlencoded_field(body: &[u8], name: &str) -> Option<String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .ok()?
        .into_iter()
        .find_map(|(k, v)| (k == name).then_some(v))
}

pub fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

//! Input extractors: every string is normalised to NFC before a handler sees it, and every
//! rejection becomes an [`AppError`] (400/415/422 problem details), never a 500.

use crate::error::{AppError, FieldError};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use baoho_domain::text::nfc;
use serde::de::DeserializeOwned;

/// Normalise every string inside a JSON value to NFC.
fn nfc_value(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::String(s) if !baoho_domain::text::is_nfc(s) => {
            *s = nfc(s);
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(nfc_value),
        serde_json::Value::Object(o) => {
            let entries: Vec<(String, serde_json::Value)> = std::mem::take(o).into_iter().collect();
            for (k, mut v) in entries {
                nfc_value(&mut v);
                o.insert(nfc(&k), v);
            }
        }
        _ => {}
    }
}

fn deser_error(e: impl std::fmt::Display, field: Option<String>) -> AppError {
    let message = e.to_string();
    AppError::Unprocessable {
        detail: message.clone(),
        errors: field
            .map(|f| vec![FieldError { field: f, message }])
            .unwrap_or_default(),
    }
}

/// Decode `application/x-www-form-urlencoded` or a query string into NFC pairs and then `T`.
pub(crate) fn from_urlencoded<T: DeserializeOwned>(raw: &[u8]) -> Result<T, AppError> {
    let pairs: Vec<(String, String)> = form_urlencoded_pairs(raw)?;
    let normalised: Vec<(String, String)> =
        pairs.into_iter().map(|(k, v)| (nfc(&k), nfc(&v))).collect();
    let encoded = serde_urlencoded::to_string(&normalised)
        .map_err(|e| AppError::BadRequest(e.to_string()))?;
    serde_urlencoded::from_str::<T>(&encoded).map_err(|e| deser_error(e, None))
}

fn form_urlencoded_pairs(raw: &[u8]) -> Result<Vec<(String, String)>, AppError> {
    // serde_urlencoded replaces invalid UTF-8 silently; we refuse it instead, so a broken
    // encoding never reaches a name field as U+FFFD.
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(raw)
        .map_err(|e| AppError::BadRequest(format!("malformed form or query: {e}")))?;
    if pairs
        .iter()
        .any(|(k, v)| k.contains('\u{FFFD}') || v.contains('\u{FFFD}'))
    {
        return Err(AppError::BadRequest("input is not valid UTF-8".into()));
    }
    Ok(pairs)
}

/// Query string, NFC-normalised.
#[derive(Debug, Clone)]
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let q = parts.uri.query().unwrap_or("");
        from_urlencoded(q.as_bytes()).map(Query)
    }
}

/// A url-encoded form body, NFC-normalised.
#[derive(Debug, Clone)]
pub struct Form<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Form<T> {
    type Rejection = AppError;
    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let ct = content_type(&req);
        if !ct.starts_with("application/x-www-form-urlencoded") {
            return Err(AppError::UnsupportedMediaType(
                "expected application/x-www-form-urlencoded".into(),
            ));
        }
        let body = body_bytes(req, state).await?;
        from_urlencoded(&body).map(Form)
    }
}

/// A JSON body, NFC-normalised.
#[derive(Debug, Clone)]
pub struct Json<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Json<T> {
    type Rejection = AppError;
    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let ct = content_type(&req);
        let is_json = ct.starts_with("application/json")
            || (ct.starts_with("application/") && ct.contains("+json"));
        if !is_json {
            return Err(AppError::UnsupportedMediaType(
                "expected application/json".into(),
            ));
        }
        let body = body_bytes(req, state).await?;
        let mut value: serde_json::Value = serde_json::from_slice(&body)
            .map_err(|e| AppError::BadRequest(format!("malformed JSON: {e}")))?;
        nfc_value(&mut value);
        let de = serde_json::from_value::<T>(value);
        de.map(Json).map_err(|e| deser_error(e, None))
    }
}

fn content_type(req: &Request) -> &str {
    req.headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

async fn body_bytes<S: Send + Sync>(req: Request, state: &S) -> Result<bytes::Bytes, AppError> {
    bytes::Bytes::from_request(req, state).await.map_err(|e| {
        if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            AppError::PayloadTooLarge
        } else {
            AppError::BadRequest(e.body_text())
        }
    })
}

impl<T: serde::Serialize> axum::response::IntoResponse for Json<T> {
    fn into_response(self) -> axum::response::Response {
        axum::Json(self.0).into_response()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use unicode_normalization::UnicodeNormalization;

    #[derive(serde::Deserialize)]
    struct Q {
        q: String,
    }

    #[test]
    fn query_strings_are_nfc() {
        let nfd: String = "Nguyễn".nfd().collect();
        let raw = serde_urlencoded::to_string([("q", nfd.as_str())]).unwrap();
        let q: Q = from_urlencoded(raw.as_bytes()).unwrap();
        assert_eq!(q.q, "Nguyễn");
        assert!(baoho_domain::text::is_nfc(&q.q));
    }

    #[test]
    fn invalid_utf8_is_refused() {
        let r: Result<Q, _> = from_urlencoded(b"q=%FF%FE");
        assert!(matches!(r, Err(AppError::BadRequest(_))));
    }

    #[test]
    fn json_strings_are_nfc() {
        let nfd: String = "Trần Thị Ánh".nfd().collect();
        let mut v = serde_json::json!({"name": nfd, "list": [nfd]});
        nfc_value(&mut v);
        assert_eq!(v["name"], "Trần Thị Ánh");
        assert_eq!(v["list"][0], "Trần Thị Ánh");
    }
}

//! The body of the cargo-fuzz target on the query-string and form extractors
//! (`fuzz/fuzz_targets/query.rs`): it takes the fuzzer's bytes and panics when something that
//! must hold does not. The same function replays the kept corpus in the stable test suite
//! (below), so target and regression test cannot drift apart.

use crate::error::AppError;
use crate::extract::from_urlencoded;

#[derive(Debug, serde::Deserialize)]
struct Next {
    next: Option<String>,
}

/// Fail unless `r` is a value or a 400/422 refusal (never anything that would be a 500).
fn refused_cleanly<T>(r: &Result<T, AppError>) {
    if let Err(e) = r {
        assert!(
            matches!(e, AppError::BadRequest(_) | AppError::Unprocessable { .. }),
            "{e:?}"
        );
    }
}

/// A query string or url-encoded form: decoded pairs are NFC and never carry a replacement
/// character (invalid UTF-8 is refused); the real parameter types of the API either
/// deserialize or are refused with 400/422; a `next` target is accepted only as a same-origin
/// path, which a `Location` header can always carry.
pub fn query(data: &[u8]) {
    let pairs: Result<Vec<(String, String)>, AppError> = from_urlencoded(data);
    refused_cleanly(&pairs);
    if let Ok(pairs) = &pairs {
        for (k, v) in pairs {
            for s in [k, v] {
                assert!(baoho_domain::text::is_nfc(s), "{s:?}");
                assert!(!s.contains('\u{FFFD}'), "{s:?}");
            }
        }
    }
    refused_cleanly(&from_urlencoded::<crate::persons::api::SearchParams>(data));
    refused_cleanly(&from_urlencoded::<crate::audit::AuditParams>(data));
    refused_cleanly(&from_urlencoded::<crate::persons::api::PurposeParam>(data));
    let next: Result<Next, AppError> = from_urlencoded(data);
    refused_cleanly(&next);
    if let Ok(Next { next: Some(n) }) = next {
        if let Some(p) = crate::web::same_origin_path(&n) {
            assert!(p.starts_with('/') && !p.starts_with("//"), "{p:?}");
            assert!(
                p.bytes().all(|b| b.is_ascii_graphic()) && !p.contains('\\'),
                "{p:?}"
            );
            assert!(axum::http::HeaderValue::from_str(p).is_ok(), "{p:?}");
        }
        // Builds its `Location` header whatever `next` holds.
        let _ = crate::web::redirect_to_local(Some(n.as_str()));
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_query_corpus_replays() {
        baoho_domain::fuzz::replay("query", super::query);
    }
}

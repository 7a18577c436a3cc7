//! What every request passes through: a fresh request id and a tracing span (no personal
//! fields: the path is logged without its query string), metrics, security headers, and the
//! one place where errors are rendered.

use crate::error::{Problem, ProblemBody};
use crate::i18n::{Lang, Tr};
use axum::body::Body;
use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::time::Instant;
use tracing::Instrument;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The request id of the current request, available to handlers and templates.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// The route template that matched (`/api/v1/missions/{code}`), copied to the response so the
/// outer layer can label metrics without the concrete (possibly personal) path.
#[derive(Debug, Clone)]
struct RouteLabel(String);

/// Innermost: runs after routing, so it knows the matched route.
pub async fn label_route(req: Request, next: Next) -> Response {
    let label = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned());
    let mut res = next.run(req).await;
    if let Some(l) = label {
        res.extensions_mut().insert(RouteLabel(l));
    }
    res
}

/// Outermost: request id (always ours: a client's id is not trusted into our logs), span,
/// access log line, metrics, security headers.
pub async fn request_context(mut req: Request, next: Next) -> Response {
    let id = uuid::Uuid::now_v7().to_string();
    if let Ok(v) = HeaderValue::from_str(&id) {
        req.headers_mut().insert(REQUEST_ID, v);
    }
    req.extensions_mut().insert(RequestId(id.clone()));
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let is_static = path.starts_with("/static/");
    let span = tracing::info_span!("request", request_id = %id, method = %method, path = %path);
    let started = Instant::now();
    let mut res = next.run(req).instrument(span.clone()).await;
    let elapsed = started.elapsed();
    let status = res.status();
    let route = res
        .extensions()
        .get::<RouteLabel>()
        .map(|r| r.0.clone())
        .unwrap_or_else(|| "unmatched".to_owned());
    span.in_scope(|| {
        tracing::info!(status = status.as_u16(), latency_ms = elapsed.as_secs_f64() * 1000.0, route = %route, "request");
    });
    let labels = [
        ("method", method.to_string()),
        ("route", route),
        ("status", status.as_u16().to_string()),
    ];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels).record(elapsed.as_secs_f64());

    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&id) {
        h.insert(REQUEST_ID, v);
    }
    let set = |h: &mut axum::http::HeaderMap, name: HeaderName, value: &'static str| {
        if !h.contains_key(&name) {
            h.insert(name, HeaderValue::from_static(value));
        }
    };
    set(
        h,
        header::CONTENT_SECURITY_POLICY,
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; \
         form-action 'self'; frame-ancestors 'none'",
    );
    set(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(h, header::X_FRAME_OPTIONS, "DENY");
    set(h, header::REFERRER_POLICY, "same-origin");
    set(
        h,
        HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    );
    set(
        h,
        HeaderName::from_static("permissions-policy"),
        "camera=(), microphone=(), geolocation=()",
    );
    // Pages may hold personal data: nothing is cached unless a handler says otherwise
    // (static assets do).
    if !is_static {
        set(h, header::CACHE_CONTROL, "no-store");
    }
    res
}

/// Over https (`public_url`): every response tells browsers to use TLS only, for a year,
/// subdomains included (HSTS).
pub async fn strict_transport(
    axum::extract::State(state): axum::extract::State<crate::app::AppState>,
    req: Request,
    next: Next,
) -> Response {
    let mut res = next.run(req).await;
    if state.secure_cookies() {
        res.headers_mut().insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    res
}

/// A state-changing request (anything but GET, HEAD, OPTIONS) sent by a browser from another
/// site is refused before any handler runs, whatever cookies it carries (the CSRF tokens stay:
/// this is a second wall). Browsers say where a request comes from in `Sec-Fetch-Site` (only
/// `same-origin` and `none`, a typed address, pass) and `Origin` (when `public_url` is set,
/// it must be that origin). Clients that send neither (API clients, scripts) are judged by
/// their session and CSRF token alone.
pub async fn refuse_cross_origin(
    axum::extract::State(state): axum::extract::State<crate::app::AppState>,
    req: Request,
    next: Next,
) -> Response {
    use axum::http::Method;
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    let site = req
        .headers()
        .get("sec-fetch-site")
        .map(|v| v.as_bytes().to_ascii_lowercase());
    let site_ok = site
        .as_deref()
        .is_none_or(|s| s == b"same-origin" || s == b"none");
    let origin_ok = match (
        req.headers().get(header::ORIGIN),
        state.config.https_origin(),
    ) {
        (Some(o), Some(ours)) => o
            .to_str()
            .is_ok_and(|o| o.trim_end_matches('/').eq_ignore_ascii_case(&ours)),
        _ => true,
    };
    if site_ok && origin_ok {
        next.run(req).await
    } else {
        crate::error::AppError::Forbidden("cross-origin request refused".into()).into_response()
    }
}

/// Turn every error response into problem+json (under `/api` and for clients that ask for
/// JSON) or a readable page in the reader's language, carrying the request id.
pub async fn render_errors(req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    let lang = Lang::from_headers(req.headers());
    let wants_json = path.starts_with("/api")
        || req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("json") && !a.contains("html"));
    let request_id = req
        .extensions()
        .get::<RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_default();
    let res = next.run(req).await;
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let problem = match res.extensions().get::<Problem>() {
        Some(p) => p.clone(),
        None => {
            let ct = res
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if ct.starts_with("application/problem+json") || ct.starts_with("text/html") {
                return res;
            }
            // An error from axum itself (a rejection, 404, 405…): keep its words as the detail
            // for 4xx; never show a 5xx body.
            let (parts, body) = res.into_parts();
            let detail = if status.is_client_error() {
                match http_body_util::BodyExt::collect(http_body_util::Limited::new(body, 4096))
                    .await
                {
                    Ok(b) => Some(String::from_utf8_lossy(&b.to_bytes()).trim().to_owned())
                        .filter(|s| !s.is_empty()),
                    Err(_) => None,
                }
            } else {
                None
            };
            let mut p = Problem::new(status, Problem::slug_for(status), detail);
            if status == StatusCode::METHOD_NOT_ALLOWED {
                p.detail = parts
                    .headers
                    .get(header::ALLOW)
                    .and_then(|v| v.to_str().ok())
                    .map(|a| format!("allowed: {a}"));
            }
            p
        }
    };
    let tr = Tr::new(lang);
    let title_key = format!("error.{}.title", problem.slug);
    let title = tr.s(&title_key).to_owned();
    let mut out = if wants_json {
        let body = ProblemBody {
            kind: format!("urn:baoho:problem:{}", problem.slug),
            title: Tr::new(Lang::En).s(&title_key).to_owned(),
            status: status.as_u16(),
            detail: problem.detail.clone(),
            instance: path,
            request_id: request_id.clone(),
            errors: problem.errors.clone(),
        };
        let mut r = (status, axum::Json(body)).into_response();
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        r
    } else {
        let page = crate::web::ErrorPage::new(tr, &path, status, &title, &problem, &request_id);
        let mut r = page.into_response();
        *r.status_mut() = status;
        r
    };
    if status == StatusCode::METHOD_NOT_ALLOWED {
        // Keep `Allow` (RFC 9110 requires it on 405).
        if let Some(a) = problem
            .detail
            .as_deref()
            .and_then(|d| d.strip_prefix("allowed: "))
            && let Ok(v) = HeaderValue::from_str(a)
        {
            out.headers_mut().insert(header::ALLOW, v);
        }
    }
    out
}

/// A panic inside a handler becomes a plain 500 (rendered by `render_errors`); the panic
/// message is logged, never sent.
pub fn panic_response(err: Box<dyn std::any::Any + Send + 'static>) -> Response<Body> {
    let msg = err
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| err.downcast_ref::<&str>().copied())
        .unwrap_or("panic");
    tracing::error!(panic = msg, "handler panicked");
    StatusCode::INTERNAL_SERVER_ERROR.into_response()
}

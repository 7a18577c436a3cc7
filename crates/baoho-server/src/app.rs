//! The application: shared state, the router with its layers, and the server loop.

use crate::config::Config;
use crate::error::AppError;
use crate::layers;
use crate::routes;
use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use baoho_store::Store;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::timeout::TimeoutLayer;
use utoipa::OpenApi;

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub config: Arc<Config>,
    metrics: PrometheusHandle,
}

/// The Prometheus recorder is process-global (the `metrics` macros need one); installed once.
fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new().build_recorder();
            let handle = recorder.handle();
            // Another recorder may be installed already (tests in one process): then ours
            // only renders its own, which is fine for a test.
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

impl AppState {
    pub fn new(store: Arc<dyn Store>, config: Config) -> Self {
        Self {
            store,
            config: Arc::new(config),
            metrics: metrics_handle(),
        }
    }
}

pub fn router(state: AppState) -> Router {
    let timeout = Duration::from_secs(state.config.request_timeout_secs.max(1));
    let body_limit = state.config.max_body_bytes;
    let mut r = Router::new();
    for route in routes::table() {
        r = r.route(route.path, route.handler);
    }
    r.fallback(fallback)
        .route_layer(axum::middleware::from_fn(layers::label_route))
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            timeout,
        ))
        .layer(CatchPanicLayer::custom(layers::panic_response))
        .layer(axum::middleware::from_fn(layers::render_errors))
        .layer(axum::middleware::from_fn(layers::request_context))
        .with_state(state)
}

async fn fallback() -> AppError {
    AppError::NotFound
}

/// Serve on `listener` until `shutdown` resolves, then finish the requests in flight.
pub async fn launch(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(state.clone());
    let res = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await;
    state.store.close().await;
    res
}

#[derive(serde::Serialize)]
struct Health {
    status: &'static str,
}

/// Liveness: the process answers.
pub async fn healthz() -> impl IntoResponse {
    axum::Json(Health { status: "ok" })
}

#[derive(serde::Serialize)]
struct Ready {
    status: &'static str,
    database: String,
}

/// Readiness: the database answers.
pub async fn readyz(State(s): State<AppState>) -> Result<Response, AppError> {
    match tokio::time::timeout(Duration::from_secs(3), s.store.ping()).await {
        Ok(Ok(())) => Ok(axum::Json(Ready {
            status: "ready",
            database: s.store.backend().to_string(),
        })
        .into_response()),
        Ok(Err(e)) => Err(AppError::Unavailable(e.to_string())),
        Err(_) => Err(AppError::Unavailable("database ping timed out".into())),
    }
}

/// Prometheus metrics.
pub async fn metrics(State(s): State<AppState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        s.metrics.render(),
    )
}

pub async fn openapi_json() -> impl IntoResponse {
    axum::Json(routes::ApiDoc::openapi())
}

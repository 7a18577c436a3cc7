//! The application: shared state, the router with its layers, and the server loop.

pub mod caller;
mod handles;

pub use handles::{AccountAdmin, AdminChange, AuditTrail, ReferenceData};

use crate::auth::{self, Throttle};
use crate::config::Config;
use crate::error::AppError;
use crate::layers;
use crate::routes;
use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use baoho_store::{Keyring, Store};
use chrono::{DateTime, Utc};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::timeout::TimeoutLayer;

/// The clock the server reads (injected, so session expiry and locks are tested without
/// waiting).
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

#[derive(Clone)]
pub struct AppState {
    /// Private to this module and its children (the caller, the handles, the session
    /// layer's account service): no handler can reach the raw store.
    store: Arc<dyn Store>,
    pub config: Arc<Config>,
    /// Field-encryption keys (checked against the database before serving).
    pub keys: Arc<Keyring>,
    pub throttle: Arc<Throttle>,
    /// Password hashing runs on blocking threads, this many at a time
    /// (`hash_concurrency`, default the number of CPUs).
    pub hashing: Arc<tokio::sync::Semaphore>,
    /// Where attachments' (sealed) bytes are stored; `None` when the folder is unusable
    /// (uploads then answer 503 rather than keep files in memory).
    pub objects: Option<Arc<dyn object_store::ObjectStore>>,
    /// `baoho demo`: demo accounts' current MFA codes are shown on the login page. Set only
    /// by the demo command, never by configuration.
    pub demo: bool,
    /// The registry in memory for the intake duplicate warning (built in the background
    /// when the server is launched).
    pub dupes: Arc<crate::dupes::Dupes>,
    clock: Clock,
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
    /// The session layer's account service: sign-in, sessions, the second factor, recovery
    /// codes (used by `auth` and `login` before there is a caller). Not for administration:
    /// that is [`Caller::account_admin`](crate::caller::Caller::account_admin).
    pub(crate) fn sign_in(&self) -> baoho_store::Accounts {
        baoho_store::Accounts::new(self.store.as_ref())
    }

    /// The person registry for the session layer's caller (`Authed::persons`).
    pub(crate) fn persons_for(&self, ctx: baoho_store::AccessCtx) -> baoho_store::Persons {
        baoho_store::Persons::new(self.store.as_ref(), self.keys.clone(), ctx)
    }

    pub fn new(store: Arc<dyn Store>, config: Config, keys: Arc<Keyring>) -> Self {
        let objects = attachment_store(&config);
        let clock: Clock = Arc::new(Utc::now);
        let hashers = config
            .hash_concurrency
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
            .max(1);
        Self {
            hashing: Arc::new(tokio::sync::Semaphore::new(hashers)),
            objects,
            dupes: crate::dupes::Dupes::new(store.clone(), keys.clone(), clock.clone()),
            store,
            config: Arc::new(config),
            keys,
            throttle: Arc::new(Throttle::default()),
            demo: false,
            clock,
            metrics: metrics_handle(),
        }
    }

    pub fn with_demo(mut self, demo: bool) -> Self {
        self.demo = demo;
        self
    }

    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.dupes = crate::dupes::Dupes::new(self.store.clone(), self.keys.clone(), clock.clone());
        self.clock = clock;
        self
    }

    pub fn now(&self) -> DateTime<Utc> {
        (self.clock)()
    }

    /// Cookies get `Secure` and the `__Host-` prefix, responses HSTS, when Baoho is reached
    /// over TLS (its public URL says https).
    pub fn secure_cookies(&self) -> bool {
        self.config.https_origin().is_some()
    }
}

/// Where the configuration keeps attachments: `attachments_dir`, else an `attachments` folder
/// beside a SQLite database, else `baoho-data/attachments`.
pub fn attachments_dir(config: &Config) -> std::path::PathBuf {
    config.attachments_dir.clone().unwrap_or_else(|| {
        baoho_store::DatabaseUrl::parse(&config.database)
            .ok()
            .and_then(|u| {
                u.sqlite_path()
                    .map(|p| std::path::PathBuf::from(p).with_file_name("attachments"))
            })
            .unwrap_or_else(|| std::path::PathBuf::from("baoho-data/attachments"))
    })
}

/// The attachment store from the configuration: local disk (created if missing).
///
/// Durable writes: `with_fsync(true)` makes every `put` flush the file and its parent
/// directories (those it creates included) before it returns, and the attachment's row is
/// committed only after its `put` returned, so a committed row never points at bytes a power
/// loss took away (object_store's default is no fsync). The folder itself, when created here,
/// is synced into its parent too.
fn attachment_store(config: &Config) -> Option<Arc<dyn object_store::ObjectStore>> {
    let dir = attachments_dir(config);
    let existed = dir.is_dir();
    let made = std::fs::create_dir_all(&dir)
        .and_then(|()| {
            if existed {
                return Ok(());
            }
            // The new folder's entry in its parent.
            std::fs::File::open(&dir)?.sync_all()?;
            match dir.parent().filter(|p| !p.as_os_str().is_empty()) {
                Some(parent) => std::fs::File::open(parent)?.sync_all(),
                None => Ok(()),
            }
        })
        .map_err(|e| e.to_string())
        .and_then(|()| {
            object_store::local::LocalFileSystem::new_with_prefix(&dir).map_err(|e| e.to_string())
        });
    match made {
        Ok(fs) => Some(Arc::new(fs.with_fsync(true))),
        Err(e) => {
            tracing::error!(dir = %dir.display(), error = %e, "attachment folder unusable; uploads will answer 503");
            None
        }
    }
}

#[cfg(test)]
mod attachment_store_tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    /// object_store's local store does not fsync unless asked; ours is asked (its `Debug`
    /// is the only place the setting shows).
    #[test]
    fn the_attachment_store_fsyncs_its_writes() {
        let dir = tempfile::tempdir().unwrap();
        let config = crate::config::Config {
            attachments_dir: Some(dir.path().join("new").join("attachments")),
            ..Default::default()
        };
        let store = super::attachment_store(&config).unwrap();
        assert!(format!("{store:?}").contains("fsync: true"), "{store:?}");
    }
}

pub fn router(state: AppState) -> Router {
    let timeout = Duration::from_secs(state.config.request_timeout_secs.max(1));
    let body_limit = state.config.max_body_bytes;
    let mut r = Router::new();
    for route in routes::table() {
        // The route's declared access is what is enforced: the guard is built from the table.
        let (access, kind, recent) = (route.access, route.kind, route.recent);
        let guard = axum::middleware::from_fn_with_state(
            state.clone(),
            move |State(s): State<AppState>,
                  req: axum::extract::Request,
                  next: axum::middleware::Next| {
                auth::guard(s, access, kind, recent, req, next)
            },
        );
        // `route_layer`: the guard runs only for a method the path serves; any other method
        // gets axum's 405 with `Allow`, before (and whatever) the role check would say.
        r = r.route(&route.path, route.handler.route_layer(guard));
    }
    r.fallback(fallback)
        .route_layer(axum::middleware::from_fn(layers::label_route))
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            timeout,
        ))
        .layer(CatchPanicLayer::custom(layers::panic_response))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            layers::refuse_cross_origin,
        ))
        .layer(axum::middleware::from_fn(layers::render_errors))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            layers::strict_transport,
        ))
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
    // The duplicate matcher reads the registry while the server already answers (the intake
    // warning uses the text search until it is ready).
    state.dupes.spawn_build();
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

/// Prometheus metrics, for the scraper holding `metrics_token` only (route labels and
/// counts describe the service's use): 404 when no token is configured, 401 without the
/// right `Authorization: Bearer` token.
pub async fn metrics(
    State(s): State<AppState>,
    headers: axum::http::HeaderMap,
) -> Result<Response, AppError> {
    let Some(token) = s.config.metrics_token.as_deref().filter(|t| !t.is_empty()) else {
        return Err(AppError::NotFound);
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if !auth::constant_eq(given.as_bytes(), token.as_bytes()) {
        return Err(AppError::Unauthorized);
    }
    Ok((
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        s.metrics.render(),
    )
        .into_response())
}

pub async fn openapi_json() -> impl IntoResponse {
    axum::Json(routes::openapi())
}

/// This capability's routes, each with who may call it (joined in [`crate::routes::table`]).
pub fn routes() -> Vec<crate::routes::Route> {
    use crate::routes::Access::Public;
    use crate::routes::Route;
    use axum::http::Method;
    vec![
        Route::ops(Method::GET, "/healthz", Public, healthz),
        Route::ops(Method::GET, "/readyz", Public, readyz),
        Route::ops(Method::GET, "/metrics", Public, metrics),
        Route::api_undocumented(Method::GET, "/api/openapi.json", Public, openapi_json),
    ]
}

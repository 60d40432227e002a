//! `jaibber-hub`: a self-hostable Jaibber-compatible server.
//!
//! The REST API of protocol.md section 3 over SQLite, with JWT sessions, scoped and
//! rate-limited API keys, plan limits, an audit log, and webhooks delivered from a
//! durable outbox with retries and a delivery log. [`router`] builds the HTTP app for
//! in-process tests; [`serve`] runs it on a bound listener until a cancellation token
//! fires, then drains requests and in-flight deliveries.
#![warn(missing_docs, missing_debug_implementations)]

pub mod auth;
pub mod body;
pub mod clock;
pub mod config;
pub mod db;
pub mod delivery;
pub mod error;
pub mod events;
pub mod limits;
pub mod realtime;
pub mod routes;
pub mod seed;
pub mod state;

use std::path::Path;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{Method, Request, Uri};
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub use config::HubConfig;
pub use state::AppState;

use crate::auth::jwt::JwtKeys;
use crate::error::ApiError;

/// A failure to start or run the hub.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HubError {
    /// The data directory could not be prepared.
    #[error("preparing data directory {path}")]
    DataDir {
        /// The directory.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The database could not be opened or migrated.
    #[error("opening the database")]
    Db(#[from] db::DbError),
    /// Serving failed.
    #[error("serving HTTP")]
    Serve(#[source] std::io::Error),
}

/// Builds the HTTP app.
pub fn router(state: AppState) -> Router {
    use routes::{ably, agents, auth, billing, messages, orgs, projects, tasks, webhooks};
    let body_limit = state.config.max_body_bytes;
    let timeout = state.config.request_timeout;
    let api = Router::new()
        .route("/api/auth/register", post(auth::register))
        .route("/api/auth/token", post(auth::login))
        .route("/api/auth/me", get(auth::me))
        .route("/api/auth/github/start", get(auth::github_start))
        .route("/api/auth/github/callback", get(auth::github_callback))
        .route("/api/orgs", get(orgs::list).post(orgs::create))
        .route("/api/orgs/{org}/members", get(orgs::members).post(orgs::add_member))
        .route("/api/orgs/{org}/stats", get(orgs::stats))
        .route("/api/orgs/{org}/audit-log", get(orgs::audit_log))
        .route("/api/orgs/{org}/api-keys", get(orgs::list_keys).post(orgs::create_key))
        .route("/api/orgs/{org}/api-keys/{key}", axum::routing::delete(orgs::revoke_key))
        .route("/api/orgs/{org}/agents", get(agents::list).post(agents::register))
        .route("/api/orgs/{org}/agents/{agent}/projects", post(agents::assign).delete(agents::unassign))
        .route("/api/orgs/{org}/webhooks", get(webhooks::list).post(webhooks::create))
        .route("/api/orgs/{org}/webhooks/{id}", get(webhooks::get).patch(webhooks::update).delete(webhooks::delete))
        .route("/api/orgs/{org}/webhooks/{id}/deliveries", get(webhooks::deliveries_log))
        .route("/api/orgs/{org}/webhooks/{id}/deliveries/{delivery}/redeliver", post(webhooks::redeliver))
        .route("/api/agents/discover", get(agents::discover))
        .route("/api/agents/{id}/heartbeat", post(agents::heartbeat))
        .route("/api/projects", get(projects::list).post(projects::create))
        .route("/api/projects/{id}", get(projects::get).patch(projects::update).delete(projects::delete))
        .route("/api/projects/{id}/members", get(projects::members).post(projects::add_member))
        .route("/api/projects/{id}/members/{user}", axum::routing::delete(projects::remove_member))
        .route("/api/projects/{id}/messages", get(messages::list).post(messages::create))
        .route("/api/projects/{id}/messages/{message}", axum::routing::delete(messages::delete))
        .route("/api/projects/{id}/tasks", get(tasks::list).post(tasks::create))
        .route("/api/tasks/{task}", get(tasks::get).patch(tasks::update).delete(tasks::delete))
        .route("/api/billing/plans", get(billing::plans))
        .route("/api/ably/token", post(ably::token_request))
        .route("/keys/{key}/requestToken", post(ably::request_token))
        .route("/healthz", get(routes::health))
        .route("/", get(realtime::connection::connect))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(from_fn_with_state(state.clone(), crate::auth::caller::authenticate))
        .layer(DefaultBodyLimit::max(body_limit))
        .with_state(state);
    api.layer(TimeoutLayer::with_status_code(axum::http::StatusCode::SERVICE_UNAVAILABLE, timeout))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
            let request_id = request.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
            tracing::debug_span!("request", method = %request.method(), path = %request.uri().path(), request_id = %request_id)
        }))
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
}

async fn not_found(method: Method, uri: Uri) -> ApiError {
    let mut err = ApiError::not_found("route");
    err.message = format!("no route for {method} {}; see the API reference (protocol.md section 3)", uri.path());
    err
}

async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    let mut err = ApiError::bad_request(format!("{method} is not allowed on {}", uri.path()));
    err.status = axum::http::StatusCode::METHOD_NOT_ALLOWED;
    err.code = "method_not_allowed";
    err
}

/// Creates the data directory and opens the database and the JWT keys.
///
/// # Errors
/// [`HubError`] when the directory, the secret file or the database cannot be used.
pub fn open(config: HubConfig) -> Result<AppState, HubError> {
    let dir_error = |source| HubError::DataDir { path: config.data_dir.display().to_string(), source };
    std::fs::create_dir_all(&config.data_dir).map_err(dir_error)?;
    let secret = match &config.jwt_secret {
        Some(secret) => secret.clone().into_bytes(),
        None => load_or_create_secret(&config.data_dir).map_err(dir_error)?,
    };
    let db = db::Db::open(&config.data_dir)?;
    let ably = realtime::token::AblyKey::derive(&secret);
    Ok(AppState::new(db, config, JwtKeys::new(&secret), ably))
}

/// Reads `jwt-secret` from the data dir, creating it (mode 0600) on first use.
///
/// # Errors
/// The I/O error.
pub fn load_or_create_secret(data_dir: &Path) -> std::io::Result<Vec<u8>> {
    let path = data_dir.join("jwt-secret");
    match std::fs::read_to_string(&path) {
        Ok(text) if text.trim().len() >= 32 => return Ok(text.trim().as_bytes().to_vec()),
        Ok(_) | Err(_) => {}
    }
    let secret = hex::encode(rand::random::<[u8; 32]>());
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    std::io::Write::write_all(&mut options.open(&path)?, secret.as_bytes())?;
    Ok(secret.into_bytes())
}

/// A hub running in this process with the demo data of [`seed::seed`]: what the quick
/// start and the test suites talk to.
#[derive(Debug)]
pub struct EmbeddedHub {
    /// Its base URL (`http://127.0.0.1:port`).
    pub url: String,
    /// The demo user, org, project, agent and API key.
    pub seed: seed::SeedOutput,
    /// The serving task; it ends after `shutdown` fires.
    pub task: tokio::task::JoinHandle<Result<(), HubError>>,
}

/// Opens the hub of `config`, seeds its demo data (idempotently) and serves it on
/// `listener` until `shutdown`.
///
/// # Errors
/// [`HubError`] when the data directory, the database or the seeding fails.
pub async fn start_seeded(
    config: HubConfig,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> Result<EmbeddedHub, HubError> {
    let dir_error = |source| HubError::DataDir { path: config.data_dir.display().to_string(), source };
    let secret = match &config.jwt_secret {
        Some(secret) => secret.clone().into_bytes(),
        None => {
            std::fs::create_dir_all(&config.data_dir).map_err(dir_error)?;
            load_or_create_secret(&config.data_dir).map_err(dir_error)?
        }
    };
    let url = format!("http://{}", listener.local_addr().map_err(HubError::Serve)?);
    let state = open(config)?;
    let seeded = {
        let state = state.clone();
        tokio::task::spawn_blocking(move || seed::seed(&state, &secret)).await.map_err(|_| db::DbError::Join)??
    };
    let task = tokio::spawn(serve(state, listener, shutdown));
    Ok(EmbeddedHub { url, seed: seeded, task })
}

/// Serves the hub on `listener` until `shutdown` fires: stops accepting, lets requests in
/// flight finish (bounded by the request timeout), and lets the delivery worker record
/// the attempts it has in flight.
///
/// # Errors
/// [`HubError::Serve`] when the listener fails.
pub async fn serve(state: AppState, listener: TcpListener, shutdown: CancellationToken) -> Result<(), HubError> {
    let worker = tokio::spawn(delivery::run(state.clone(), shutdown.clone()));
    let realtime = state.realtime.clone();
    let realtime_stop = shutdown.clone();
    tokio::spawn(async move {
        realtime_stop.cancelled().await;
        realtime.shutdown.cancel();
    });
    let app = router(state);
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(%addr, "jaibber hub listening");
    }
    // No Nagle delay: realtime frames and small JSON answers go out at once.
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        if let Err(err) = tcp.set_nodelay(true) {
            tracing::trace!(%err, "could not set TCP_NODELAY");
        }
    });
    let result = axum::serve(listener, app).with_graceful_shutdown(shutdown.clone().cancelled_owned()).await;
    shutdown.cancel();
    let _ = worker.await;
    tracing::info!("jaibber hub stopped");
    result.map_err(HubError::Serve)
}

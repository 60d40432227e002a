//! Shared state of the HTTP handlers.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::sync::Notify;

use crate::auth::jwt::JwtKeys;
use crate::auth::rate_limit::RateLimiter;
use crate::config::HubConfig;
use crate::db::Db;

/// Everything a handler needs; cheap to clone.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The database.
    pub db: Db,
    /// The configuration.
    pub config: Arc<HubConfig>,
    /// Session token keys.
    pub jwt: Arc<JwtKeys>,
    /// Per-key request counters.
    pub limiter: Arc<RateLimiter>,
    /// Wakes the webhook delivery worker when events are queued.
    pub outbox: Arc<Notify>,
    /// When each key's `lastUsedAt` was last written.
    pub key_touched: Arc<Mutex<HashMap<String, Instant>>>,
    /// Client for outbound calls (GitHub OAuth).
    pub http: reqwest::Client,
}

impl AppState {
    /// Builds the state around an open database.
    #[must_use]
    pub fn new(db: Db, config: HubConfig, jwt: JwtKeys) -> Self {
        Self {
            db,
            config: Arc::new(config),
            jwt: Arc::new(jwt),
            limiter: Arc::default(),
            outbox: Arc::default(),
            key_touched: Arc::default(),
            http: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(10))
                .user_agent(concat!("jaibber-hub/", env!("CARGO_PKG_VERSION")))
                .build()
                .unwrap_or_default(),
        }
    }
}

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
    /// API keys looked up recently, by hash; revocation removes entries at once.
    pub key_cache: Arc<Mutex<HashMap<String, (crate::db::api_keys::KeyRow, Instant)>>>,
    /// Client for outbound calls (GitHub OAuth).
    pub http: reqwest::Client,
    /// The realtime token key.
    pub ably: Arc<crate::realtime::token::AblyKey>,
    /// Realtime channels.
    pub realtime: Arc<crate::realtime::Realtime>,
}

impl AppState {
    /// Forgets a cached API key (after revocation), so the next request reads the database.
    pub fn forget_key(&self, key_id: &str) {
        self.key_cache.lock().unwrap_or_else(std::sync::PoisonError::into_inner).retain(|_, (row, _)| row.id != key_id);
    }

    /// Builds the state around an open database.
    #[must_use]
    pub fn new(db: Db, config: HubConfig, jwt: JwtKeys, ably: crate::realtime::token::AblyKey) -> Self {
        let config_realtime = config.realtime.clone();
        Self {
            db,
            config: Arc::new(config),
            jwt: Arc::new(jwt),
            limiter: Arc::default(),
            outbox: Arc::default(),
            key_touched: Arc::default(),
            key_cache: Arc::default(),
            http: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(10))
                .user_agent(concat!("jaibber-hub/", env!("CARGO_PKG_VERSION")))
                .build()
                .unwrap_or_default(),
            ably: Arc::new(ably),
            realtime: Arc::new(crate::realtime::Realtime::new(config_realtime)),
        }
    }
}

//! The authentication middleware and the `Caller` extractor.
//!
//! A bearer value starting with `jb_` (or any `X-API-Key`) is an API key, anything else a
//! JWT. An invalid credential is refused with 401 at once; a missing one is refused only
//! by routes that need a caller. API-key requests are rate limited here and every
//! answer carries `X-RateLimit-Limit`, `-Remaining` and `-Reset`.

use std::time::{Duration, Instant};

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use bridge_core::model::{ApiKeySecret, Scope};
use sha2::{Digest, Sha256};

use crate::db::{api_keys, users};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// An authenticated caller.
#[derive(Clone, Debug)]
pub enum Caller {
    /// A user with a JWT session: all scopes, limited by roles.
    User {
        /// The user id.
        user_id: String,
        /// The user name.
        username: String,
    },
    /// An org API key: its scopes, inside its org only.
    Key {
        /// The key id.
        key_id: String,
        /// The key's org.
        org_id: String,
        /// Its scopes.
        scopes: Vec<Scope>,
        /// The admin who created it; messages are stored under this account.
        user_id: String,
        /// The key's label.
        name: String,
    },
}

impl Caller {
    /// The account actions are recorded under.
    #[must_use]
    pub fn user_id(&self) -> &str {
        match self {
            Self::User { user_id, .. } | Self::Key { user_id, .. } => user_id,
        }
    }

    /// A display name for the audit log.
    #[must_use]
    pub fn display_name(&self) -> String {
        match self {
            Self::User { username, .. } => username.clone(),
            Self::Key { name, .. } => format!("api key {name}"),
        }
    }

    /// Refuses API keys on JWT-only endpoints.
    ///
    /// # Errors
    /// 403 naming what to use instead.
    pub fn require_user(&self) -> ApiResult<(&str, &str)> {
        match self {
            Self::User { user_id, username } => Ok((user_id, username)),
            Self::Key { .. } => Err(ApiError::forbidden(
                "this endpoint needs a user session (Authorization: Bearer <jwt>); API keys cannot use it",
            )),
        }
    }

    /// Checks an API key's scope; users pass (roles are checked separately).
    ///
    /// # Errors
    /// 403 naming the missing scope.
    pub fn require_scope(&self, scope: &Scope) -> ApiResult<()> {
        match self {
            Self::Key { scopes, .. } if !scopes.contains(scope) => {
                Err(ApiError::forbidden(format!("API key lacks the {scope} scope; create a key that has it")))
            }
            _ => Ok(()),
        }
    }

    /// Whether this is an API key of `org`.
    #[must_use]
    pub fn is_key_of(&self, org: &str) -> bool {
        matches!(self, Self::Key { org_id, .. } if org_id == org)
    }
}

/// A caller, or none for public endpoints.
#[derive(Clone, Debug)]
pub struct MaybeCaller(pub Option<Caller>);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<Caller>().cloned().ok_or_else(|| {
            ApiError::unauthorized("missing credential: send Authorization: Bearer <jwt> or X-API-Key: jb_…")
        })
    }
}

impl FromRequestParts<AppState> for MaybeCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Self::Rejection> {
        Ok(Self(parts.extensions.get::<Caller>().cloned()))
    }
}

enum Presented {
    None,
    Jwt(String),
    Key(ApiKeySecret),
}

fn presented(headers: &HeaderMap) -> Result<Presented, ApiError> {
    if let Some(key) = headers.get("x-api-key") {
        let key = key.to_str().map_err(|_| ApiError::unauthorized("X-API-Key is not valid text"))?.trim();
        return Ok(Presented::Key(ApiKeySecret::new(key)));
    }
    let Some(value) = headers.get("authorization") else { return Ok(Presented::None) };
    let value = value.to_str().map_err(|_| ApiError::unauthorized("Authorization header is not valid text"))?.trim();
    if value.starts_with("Basic ") {
        // Ably clients may send Basic auth to Ably paths; this hub does not use it.
        return Ok(Presented::None);
    }
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ApiError::unauthorized("Authorization header must be `Bearer <token>`"))?;
    if token.starts_with(bridge_core::model::api_key::API_KEY_PREFIX) {
        Ok(Presented::Key(ApiKeySecret::new(token)))
    } else {
        Ok(Presented::Jwt(token.to_owned()))
    }
}

/// Hashes an API key for storage and lookup.
#[must_use]
pub fn hash_key(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// Authenticates the request, rate limits API keys, and stores the `Caller`.
pub async fn authenticate(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let now = crate::clock::now_secs();
    let presented = match presented(request.headers()) {
        Ok(p) => p,
        Err(err) => return err.into_response(),
    };
    let mut rate = None;
    match presented {
        Presented::None => {}
        Presented::Jwt(token) => match state.jwt.verify(&token, now) {
            Ok(claims) => {
                let user_id = claims.sub.clone();
                match state.db.read(move |conn| users::by_id(conn, &user_id)).await {
                    Ok(Some(user)) => {
                        request.extensions_mut().insert(Caller::User { user_id: user.id, username: user.username });
                    }
                    Ok(None) => {
                        return ApiError::unauthorized(
                            "token belongs to an account that no longer exists; log in again",
                        )
                        .into_response();
                    }
                    Err(err) => return ApiError::from(err).into_response(),
                }
            }
            Err(crate::auth::jwt::JwtError::Expired) => {
                return ApiError::unauthorized("token expired; log in again with POST /api/auth/token").into_response();
            }
            Err(_) => {
                return ApiError::unauthorized("token is invalid; log in again with POST /api/auth/token")
                    .into_response();
            }
        },
        Presented::Key(key) => {
            let key_hash = hash_key(key.expose());
            let row = match lookup_key(&state, key_hash).await {
                Ok(row) => row,
                Err(err) => return err.into_response(),
            };
            let Some(row) = row.filter(|r| !r.revoked) else {
                return ApiError::unauthorized("API key is invalid or revoked; create a new key in the org settings")
                    .into_response();
            };
            let decision = state.limiter.check(&row.id, row.rate_limit_per_minute, now);
            if !decision.allowed {
                let mut response =
                    ApiError::rate_limited(decision.limit, u64::try_from(decision.reset_at - now).unwrap_or(1).max(1))
                        .into_response();
                rate_headers(response.headers_mut(), decision);
                return response;
            }
            rate = Some(decision);
            touch_key(&state, &row.id);
            request.extensions_mut().insert(Caller::Key {
                key_id: row.id,
                org_id: row.org_id,
                scopes: row.scopes,
                user_id: row.created_by,
                name: row.name,
            });
        }
    }
    let mut response = next.run(request).await;
    if let Some(decision) = rate {
        rate_headers(response.headers_mut(), decision);
    }
    response
}

/// How long a looked-up key is trusted without reading the database again. Revocation
/// through the API clears the entry at once, so this only bounds staleness for changes
/// made outside the API.
const KEY_CACHE_TTL: Duration = Duration::from_secs(30);

async fn lookup_key(state: &AppState, key_hash: String) -> Result<Option<api_keys::KeyRow>, ApiError> {
    {
        let cache = state.key_cache.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((row, _)) = cache.get(&key_hash).filter(|(_, at)| at.elapsed() < KEY_CACHE_TTL) {
            return Ok(Some(row.clone()));
        }
    }
    let lookup = key_hash.clone();
    let row = state.db.read(move |conn| api_keys::by_hash(conn, &lookup)).await?;
    if let Some(row) = row.as_ref().filter(|r| !r.revoked) {
        let mut cache = state.key_cache.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if cache.len() > 10_000 {
            cache.retain(|_, (_, at)| at.elapsed() < KEY_CACHE_TTL);
        }
        cache.insert(key_hash, (row.clone(), Instant::now()));
    }
    Ok(row)
}

fn rate_headers(headers: &mut HeaderMap, decision: crate::auth::rate_limit::RateDecision) {
    for (name, value) in [
        ("x-ratelimit-limit", i64::from(decision.limit)),
        ("x-ratelimit-remaining", i64::from(decision.remaining)),
        ("x-ratelimit-reset", decision.reset_at),
    ] {
        if let Ok(value) = HeaderValue::from_str(&value.to_string()) {
            headers.insert(name, value);
        }
    }
}

/// Records `lastUsedAt`, at most once a minute per key, off the request path.
fn touch_key(state: &AppState, key_id: &str) {
    {
        let mut touched = state.key_touched.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if touched.get(key_id).is_some_and(|at| at.elapsed() < Duration::from_secs(60)) {
            return;
        }
        touched.insert(key_id.to_owned(), Instant::now());
    }
    let (db, id) = (state.db.clone(), key_id.to_owned());
    tokio::spawn(async move {
        let now = crate::clock::now_iso();
        if let Err(err) = db.write(move |tx| api_keys::touch(tx, &id, now.as_str())).await {
            tracing::warn!(error = %err, "could not record API key use");
        }
    });
}

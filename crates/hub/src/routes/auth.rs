//! `/api/auth/*`: register, log in, who am I, GitHub OAuth.

use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use bridge_core::model::{AuthSession, Credentials, Jwt, Me, UserId};
use serde::Deserialize;

use crate::auth::{Caller, password};
use crate::body::JsonBody;
use crate::clock;
use crate::db::users;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

fn validate_username(name: &str) -> ApiResult<()> {
    let ok_chars = name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if !(3..=64).contains(&name.len()) || !ok_chars {
        return Err(ApiError::invalid("username must be 3-64 characters of letters, digits, '_', '-' or '.'"));
    }
    Ok(())
}

fn session(state: &AppState, user_id: String, username: String) -> AuthSession {
    let token = state.jwt.issue(&user_id, &username, clock::now_secs());
    AuthSession { token: Some(Jwt::new(token)), user_id: UserId::new(user_id), username, extra: Default::default() }
}

/// `POST /api/auth/register`.
pub async fn register(State(state): State<AppState>, JsonBody(body): JsonBody<Credentials>) -> ApiResult<Response> {
    let username = body.username.trim().to_owned();
    validate_username(&username)?;
    if body.password.expose().chars().count() < 6 {
        return Err(ApiError::invalid("password must be at least 6 characters"));
    }
    let hash = password::hash(body.password.expose().to_owned()).await.map_err(|_| ApiError::internal())?;
    let id = uuid::Uuid::new_v4().to_string();
    let (insert_id, insert_name) = (id.clone(), username.clone());
    let inserted = state
        .db
        .write(move |tx| users::insert(tx, &insert_id, &insert_name, Some(&hash), None, clock::now_iso().as_str()))
        .await?;
    if !inserted {
        return Err(ApiError::conflict(format!("username {username:?} is already taken; pick another")));
    }
    tracing::info!(user_id = %id, "user registered");
    Ok((StatusCode::CREATED, Json(session(&state, id, username))).into_response())
}

/// `POST /api/auth/token`.
pub async fn login(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<Credentials>,
) -> ApiResult<Json<AuthSession>> {
    let name = body.username.trim().to_owned();
    let user = state.db.read(move |conn| users::by_name(conn, &name)).await?;
    let refused = || ApiError::unauthorized("invalid username or password");
    let user = user.ok_or_else(refused)?;
    let hash = user.password_hash.clone().ok_or_else(refused)?;
    if !password::verify(body.password.expose().to_owned(), hash).await {
        return Err(refused());
    }
    Ok(Json(session(&state, user.id, user.username)))
}

/// `GET /api/auth/me`.
pub async fn me(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Me>> {
    let id = caller.user_id().to_owned();
    let user = state
        .db
        .read(move |conn| users::by_id(conn, &id))
        .await?
        .ok_or_else(|| ApiError::unauthorized("account no longer exists"))?;
    Ok(Json(Me { user_id: UserId::new(user.id), username: user.username, extra: Default::default() }))
}

fn callback_url(state: &AppState, headers: &HeaderMap) -> String {
    let base = state.config.public_url.clone().unwrap_or_else(|| {
        let host = headers.get("host").and_then(|h| h.to_str().ok()).unwrap_or("127.0.0.1");
        format!("http://{host}")
    });
    format!("{}/api/auth/github/callback", base.trim_end_matches('/'))
}

/// `GET /api/auth/github/start`: redirects to GitHub's authorize page.
pub async fn github_start(State(state): State<AppState>, headers: HeaderMap) -> ApiResult<Redirect> {
    let github =
        state.config.github.as_ref().ok_or_else(|| ApiError::not_found("GitHub login (not configured on this hub)"))?;
    let oauth_state = state.jwt.issue("github-oauth-state", &uuid::Uuid::new_v4().to_string(), clock::now_secs());
    let url = reqwest::Url::parse_with_params(
        &github.authorize_url,
        &[
            ("client_id", github.client_id.as_str()),
            ("redirect_uri", &callback_url(&state, &headers)),
            ("scope", "read:user"),
            ("state", &oauth_state),
        ],
    )
    .map_err(|_| ApiError::internal())?;
    Ok(Redirect::to(url.as_str()))
}

/// Query of the OAuth callback.
#[derive(Debug, Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize)]
struct GithubToken {
    access_token: Option<String>,
    error_description: Option<String>,
}

#[derive(Deserialize)]
struct GithubUser {
    id: u64,
    login: String,
}

/// `GET /api/auth/github/callback`: exchanges the code, finds or creates the account and
/// answers a page carrying the JWT (or JSON when the client asks for it).
pub async fn github_callback(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<CallbackQuery>,
) -> ApiResult<Response> {
    let github =
        state.config.github.clone().ok_or_else(|| ApiError::not_found("GitHub login (not configured on this hub)"))?;
    if let Some(error) = query.error {
        return Err(ApiError::unauthorized(format!("GitHub refused the login: {error}")));
    }
    let oauth_state = query
        .state
        .ok_or_else(|| ApiError::bad_request("missing state parameter; start again at /api/auth/github/start"))?;
    let claims = state
        .jwt
        .verify(&oauth_state, clock::now_secs())
        .map_err(|_| ApiError::unauthorized("invalid OAuth state; start again at /api/auth/github/start"))?;
    if claims.sub != "github-oauth-state" || clock::now_secs() - claims.iat > 600 {
        return Err(ApiError::unauthorized("OAuth state expired; start again at /api/auth/github/start"));
    }
    let code = query.code.ok_or_else(|| ApiError::bad_request("missing code parameter"))?;
    let token: GithubToken = state
        .http
        .post(&github.token_url)
        .header("accept", "application/json")
        .json(&serde_json::json!({"client_id": github.client_id, "client_secret": github.client_secret, "code": code, "redirect_uri": callback_url(&state, &headers)}))
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|err| {
            tracing::warn!(error = %err, "github token exchange failed");
            ApiError::unauthorized("GitHub token exchange failed")
        })?
        .json()
        .await
        .map_err(|_| ApiError::unauthorized("GitHub token exchange returned an unexpected body"))?;
    let access = token.access_token.ok_or_else(|| {
        ApiError::unauthorized(format!("GitHub refused the code: {}", token.error_description.unwrap_or_default()))
    })?;
    let user: GithubUser = state
        .http
        .get(&github.user_url)
        .bearer_auth(access)
        .header("accept", "application/json")
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|_| ApiError::unauthorized("GitHub user lookup failed"))?
        .json()
        .await
        .map_err(|_| ApiError::unauthorized("GitHub user lookup returned an unexpected body"))?;
    let github_id = user.id.to_string();
    let account = state
        .db
        .write(move |tx| {
            if let Some(existing) = users::by_github(tx, &github_id)? {
                return Ok(existing);
            }
            let id = uuid::Uuid::new_v4().to_string();
            let now = clock::now_iso();
            let mut name = user.login.clone();
            if !users::insert(tx, &id, &name, None, Some(&github_id), now.as_str())? {
                name = format!("{}-{github_id}", user.login);
                users::insert(tx, &id, &name, None, Some(&github_id), now.as_str())?;
            }
            Ok(users::UserRow { id, username: name, password_hash: None })
        })
        .await?;
    let session = session(&state, account.id, account.username);
    let wants_json =
        headers.get("accept").and_then(|a| a.to_str().ok()).is_some_and(|a| a.contains("application/json"));
    if wants_json {
        return Ok(Json(session).into_response());
    }
    let token = session.token.as_ref().map(|t| t.expose().to_owned()).unwrap_or_default();
    Ok(Html(format!(
        "<!doctype html><title>Signed in to Jaibber</title><p>Signed in as <b>{}</b>. Your token:</p><pre id=\"token\">{token}</pre>",
        html_escape(&session.username)
    ))
    .into_response())
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

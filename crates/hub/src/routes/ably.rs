//! `POST /api/ably/token` and `POST /keys/{keyName}/requestToken`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use bridge_core::model::{TokenDetails, TokenRequest};

use crate::auth::Caller;
use crate::db::projects;
use crate::error::ApiResult;
use crate::realtime::token::{AblyError, capability_for};
use crate::state::AppState;

/// `POST /api/ably/token`: a TokenRequest for the caller's project channels and
/// `jaibber:presence`, `clientId` = the caller's user id.
pub async fn token_request(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<TokenRequest>> {
    let for_caller = caller.clone();
    let ids: Vec<String> = state
        .db
        .read(move |conn| {
            let list = match &for_caller {
                Caller::User { user_id, .. } => projects::list_for_user(conn, user_id)?,
                Caller::Key { org_id, .. } => projects::list_for_org(conn, org_id)?,
            };
            Ok(list.into_iter().map(|p| p.id.into_string()).collect())
        })
        .await?;
    let now = u64::try_from(crate::clock::now_ms()).unwrap_or(0);
    Ok(Json(state.ably.token_request(
        caller.user_id(),
        capability_for(&ids),
        state.realtime.limits.token_ttl_ms(),
        now,
    )))
}

/// `POST /keys/{keyName}/requestToken`: exchanges a signed TokenRequest for TokenDetails.
pub async fn request_token(State(state): State<AppState>, Path(key): Path<String>, body: Bytes) -> Response {
    let request: TokenRequest = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(err) => {
            return AblyError { status: 400, code: 40000, message: format!("body is not a TokenRequest: {err}") }
                .into_response();
        }
    };
    match state.ably.exchange(&key, &request, crate::clock::now_ms()) {
        Ok(details) => Json::<TokenDetails>(details).into_response(),
        Err(err) => err.into_response(),
    }
}

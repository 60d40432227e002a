//! The REST client against a real HTTP server on loopback.
//!
//! The fake server here produces the faults the hub cannot produce on demand (5xx
//! storms, 429 with `Retry-After`, slow answers) and the response variants of section 9.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use bridge_core::client::{ApiKeyHeader, Client, ClientError, Credential, RetryPolicy};
use bridge_core::model::*;
use futures_util::TryStreamExt as _;
use serde_json::{Value, json};
use tokio::sync::Mutex;

#[derive(Default)]
struct Seen {
    hits: AtomicU32,
    auth: Mutex<Vec<(Option<String>, Option<String>)>>,
    user_agents: Mutex<Vec<String>>,
}

type Shared = Arc<Seen>;

async fn record(seen: &Seen, headers: &HeaderMap) {
    let value = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    seen.auth.lock().await.push((value("x-api-key"), value("authorization")));
    seen.user_agents.lock().await.push(value("user-agent").unwrap_or_default());
}

fn message(id: &str, at: &str) -> Value {
    json!({"id": id, "projectId": "p-1", "senderType": "user", "senderName": "alice", "text": id, "createdAt": at})
}

async fn projects(State(seen): State<Shared>, headers: HeaderMap) -> Json<Value> {
    record(&seen, &headers).await;
    Json(
        json!({"projects": [{"id": "p-1", "name": "Backend", "description": null, "ablyChannelName": "jaibber:project:p-1", "role": "admin"}]}),
    )
}

async fn messages(State(seen): State<Shared>, Query(query): Query<MessageQuery>) -> Json<Value> {
    seen.hits.fetch_add(1, Ordering::SeqCst);
    Json(match query.before.as_deref() {
        None => {
            json!({"data": [message("m5", "t5"), message("m4", "t4")], "pagination": {"cursor": "c4", "hasMore": true}})
        }
        Some("c4") => {
            json!({"data": [message("m3", "t3"), message("m2", "t2")], "meta": {"cursor": "c2", "hasMore": true}})
        }
        Some("c2") => json!({"data": [message("m1", "t1")], "pagination": {"cursor": null, "hasMore": false}}),
        Some(other) => json!({"error": format!("unknown cursor {other}")}),
    })
}

async fn flaky_get(State(seen): State<Shared>) -> Response {
    if seen.hits.fetch_add(1, Ordering::SeqCst) < 2 {
        (StatusCode::SERVICE_UNAVAILABLE, "warming up").into_response()
    } else {
        Json(json!({"data": [], "pagination": {"cursor": null, "hasMore": false}})).into_response()
    }
}

async fn flaky_post(State(seen): State<Shared>, Json(body): Json<CreateMessage>) -> Response {
    if seen.hits.fetch_add(1, Ordering::SeqCst) < 1 {
        return (StatusCode::BAD_GATEWAY, Json(json!({"error": "upstream hiccup"}))).into_response();
    }
    let id = body.id.map_or_else(|| "server-id".to_owned(), MessageId::into_string);
    (StatusCode::CREATED, Json(message(&id, "t9"))).into_response()
}

async fn rate_limited(State(seen): State<Shared>) -> Response {
    if seen.hits.fetch_add(1, Ordering::SeqCst) == 0 {
        (StatusCode::TOO_MANY_REQUESTS, [("retry-after", "1")], Json(json!({"error": "rate limit of 100/min spent"})))
            .into_response()
    } else {
        Json(bridge_core::model::plan::catalog()).into_response()
    }
}

async fn always_limited() -> Response {
    (StatusCode::TOO_MANY_REQUESTS, [("retry-after", "3600")], Json(json!({"error": "rate limit spent"})))
        .into_response()
}

async fn unauthorized() -> Response {
    (StatusCode::UNAUTHORIZED, Json(json!({"error": "token expired; log in again", "code": "token_expired"})))
        .into_response()
}

async fn slow() -> Json<Value> {
    tokio::time::sleep(Duration::from_secs(3)).await;
    Json(json!({"userId": "u", "username": "slow"}))
}

async fn create_task(Path(project): Path<String>, Json(body): Json<CreateTask>) -> (StatusCode, Json<Value>) {
    let task = json!({"id": "t-9", "projectId": project, "title": body.title, "status": "submitted",
        "priority": body.priority.map_or("medium".to_owned(), |p| p.to_string()), "assignedAgentName": body.assigned_agent_name});
    (StatusCode::CREATED, Json(json!({"data": task})))
}

async fn start() -> (String, Shared) {
    let seen: Shared = Arc::default();
    let app = Router::new()
        .route("/api/projects", get(projects))
        .route("/api/projects/p-1/messages", get(messages))
        .route("/api/projects/flaky/messages", get(flaky_get).post(flaky_post))
        .route("/api/projects/{project}/tasks", post(create_task))
        .route("/api/billing/plans", get(rate_limited))
        .route("/api/orgs", get(always_limited))
        .route("/api/auth/me", get(unauthorized))
        .route("/api/slow/api/auth/me", get(slow))
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    (format!("http://{addr}"), seen)
}

fn fast_retries() -> RetryPolicy {
    RetryPolicy { base_delay: Duration::from_millis(5), max_delay: Duration::from_millis(20), ..RetryPolicy::default() }
}

fn client(base: &str, credential: Credential) -> Client {
    Client::builder(base).credential(credential).retry(fast_retries()).build().expect("client")
}

#[tokio::test]
async fn sends_api_key_in_either_header_and_a_user_agent() {
    let (base, seen) = start().await;
    let projects = client(&base, Credential::from_token("jb_secret_one")).list_projects().await.expect("projects");
    assert_eq!(projects[0].role, Some(ProjectRole::Admin));
    client(&base, Credential::api_key("jb_secret_two", ApiKeyHeader::Bearer)).list_projects().await.expect("projects");
    client(&base, Credential::from_token("eyJhbGciOi.jwt")).list_projects().await.expect("projects");
    let auth = seen.auth.lock().await.clone();
    assert_eq!(auth[0], (Some("jb_secret_one".into()), None));
    assert_eq!(auth[1], (None, Some("Bearer jb_secret_two".into())));
    assert_eq!(auth[2], (None, Some("Bearer eyJhbGciOi.jwt".into())));
    assert!(seen.user_agents.lock().await[0].starts_with("jaibber-bridge-core/"));
}

#[tokio::test]
async fn streams_every_page_in_order_across_pagination_and_meta() {
    let (base, seen) = start().await;
    let client = client(&base, Credential::None);
    let ids: Vec<String> = client
        .messages(&ProjectId::new("p-1"), MessageQuery::latest())
        .map_ok(|m| m.id.into_string())
        .try_collect()
        .await
        .expect("all pages");
    assert_eq!(ids, ["m5", "m4", "m3", "m2", "m1"]);
    assert_eq!(seen.hits.load(Ordering::SeqCst), 3, "one request per page");
}

#[tokio::test]
async fn retries_idempotent_requests_on_5xx() {
    let (base, seen) = start().await;
    let page = client(&base, Credential::None)
        .list_messages(&ProjectId::new("flaky"), &MessageQuery::latest())
        .await
        .expect("third try");
    assert!(page.data.is_empty());
    assert_eq!(seen.hits.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn does_not_retry_a_plain_post_but_retries_an_upsert() {
    let (base, seen) = start().await;
    let client = client(&base, Credential::None);
    let project = ProjectId::new("flaky");
    let err = client.post_message(&project, &CreateMessage::text("hi")).await.expect_err("502 passes through");
    assert!(matches!(err, ClientError::Api { status: 502, ref message, .. } if message == "upstream hiccup"), "{err}");
    assert_eq!(seen.hits.load(Ordering::SeqCst), 1, "a non-idempotent POST is sent once");

    seen.hits.store(0, Ordering::SeqCst);
    let stored = client
        .post_message(&project, &CreateMessage::text("hi").with_id(MessageId::new("r-1")))
        .await
        .expect("retried");
    assert_eq!(stored.id, MessageId::new("r-1"));
    assert_eq!(seen.hits.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn waits_out_retry_after_on_429() {
    let (base, seen) = start().await;
    let started = Instant::now();
    let plans = client(&base, Credential::None).plans().await.expect("after waiting");
    assert_eq!(plans.len(), 3);
    assert!(started.elapsed() >= Duration::from_millis(950), "waited {:?}", started.elapsed());
    assert_eq!(seen.hits.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn gives_up_when_retry_after_is_too_long() {
    let (base, _) = start().await;
    let err = client(&base, Credential::None).list_orgs().await.expect_err("429");
    assert!(
        matches!(err, ClientError::RateLimited { retry_after: Some(d), .. } if d == Duration::from_secs(3600)),
        "{err}"
    );
    assert_eq!(err.status(), Some(429));
    assert!(err.is_transient());
}

#[tokio::test]
async fn error_statuses_carry_the_server_message() {
    let (base, _) = start().await;
    let err = client(&base, Credential::from_token("jb_never_printed")).me().await.expect_err("401");
    assert_eq!(err.status(), Some(401));
    let text = format!("{err} {err:?}");
    assert!(text.contains("token expired; log in again"), "{text}");
    assert!(text.contains("GET /api/auth/me"), "{text}");
    assert!(!text.contains("jb_never_printed"), "{text}");
}

#[tokio::test]
async fn unwraps_data_envelopes() {
    let (base, _) = start().await;
    let task = client(&base, Credential::None)
        .create_task(&ProjectId::new("p-7"), &CreateTask::new("Ship").assign_to("Coder").priority(TaskPriority::High))
        .await
        .expect("created");
    assert_eq!((task.project_id.as_str(), task.priority), ("p-7", TaskPriority::High));
}

#[tokio::test]
async fn times_out_slow_requests() {
    let (base, _) = start().await;
    let client = Client::builder(format!("{base}/api/slow"))
        .timeout(Duration::from_millis(200))
        .retry(RetryPolicy::none())
        .build()
        .expect("client");
    let started = Instant::now();
    let err = client.me().await.expect_err("timeout");
    assert!(matches!(err, ClientError::Transport { .. }), "{err}");
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn connection_refused_is_retried_then_reported() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    let client = client(&format!("http://{addr}"), Credential::from_token("jb_hidden"));
    let err = client.list_projects().await.expect_err("refused");
    assert!(matches!(err, ClientError::Transport { .. }));
    assert!(err.is_transient());
    assert!(!format!("{err:?}").contains("jb_hidden"));
}

#[test]
fn rejects_bad_base_urls() {
    for url in ["", "not a url", "ftp://example.com", "http://"] {
        let err = Client::builder(url).build().expect_err(url);
        assert!(matches!(err, ClientError::InvalidBaseUrl { .. }), "{url}: {err}");
    }
    let client = Client::builder("http://127.0.0.1:9/").build().expect("valid");
    assert_eq!(client.base_url(), "http://127.0.0.1:9");
}

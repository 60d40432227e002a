//! Harness: an in-process hub with a seeded project, a stub OpenAI-compatible LLM, and
//! bridges started on loopback.

use std::collections::HashMap;
use std::future::Future;
use std::path::Path;
use std::sync::atomic::{AtomicU16, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use bridge_core::client::{Client, Credential};
use bridge_core::model::{Message, MessageQuery, ProjectId, SenderType};
use jaibber_bridge::config::{AgentConfig, BackendConfig, BridgeConfig, Mode};
use jaibber_hub::seed::SeedOutput;
use serde_json::{Value, json};
use tempfile::TempDir;
use tokio_util::sync::CancellationToken;

/// A hub with the seed's demo user, org, project, agent "Echo" and API key.
pub struct Hub {
    pub base: String,
    pub seed: SeedOutput,
    pub user: Client,
    pub shutdown: CancellationToken,
    pub _dir: TempDir,
}

impl Drop for Hub {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// Logs to the test output when `JAIBBER_TEST_LOG` holds a filter (e.g. `debug`).
pub fn init_logs() {
    if let Ok(filter) = std::env::var("JAIBBER_TEST_LOG") {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_test_writer()
            .try_init();
    }
}

impl Hub {
    pub async fn start() -> Self {
        init_logs();
        let dir = tempfile::tempdir().expect("temp dir");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let shutdown = CancellationToken::new();
        let hub =
            jaibber_hub::start_seeded(jaibber_hub::HubConfig::for_data_dir(dir.path()), listener, shutdown.clone())
                .await
                .expect("hub");
        let (base, seed) = (hub.url, hub.seed);
        let user =
            Client::builder(&base).credential(Credential::from_token(seed.token.clone())).build().expect("client");
        Self { base, seed, user, shutdown, _dir: dir }
    }

    pub fn project(&self) -> ProjectId {
        ProjectId::new(self.seed.project_id.clone())
    }

    pub async fn say(&self, text: &str) -> Message {
        self.user.post_message(&self.project(), &bridge_core::model::CreateMessage::text(text)).await.expect("post")
    }

    pub async fn messages(&self) -> Vec<Message> {
        use futures_util::TryStreamExt as _;
        let mut all: Vec<Message> = self
            .user
            .messages(&self.project(), MessageQuery::latest().limit(100))
            .try_collect()
            .await
            .expect("messages");
        all.reverse();
        all
    }

    /// Agent messages answering `parent`.
    pub async fn replies_to(&self, parent: &Message) -> Vec<Message> {
        self.messages()
            .await
            .into_iter()
            .filter(|m| m.sender_type == SenderType::Agent && m.parent_message_id.as_ref() == Some(&parent.id))
            .collect()
    }
}

/// A stub OpenAI-compatible LLM: answers `stub answer: <last user line>`, records calls.
#[derive(Clone, Default)]
pub struct Llm {
    /// 0 up, else the status it answers with.
    pub failing_status: Arc<AtomicU16>,
    /// Delay before each answer, ms.
    pub delay_ms: Arc<AtomicU64>,
    /// Delay between streamed pieces, ms (0: all at once).
    pub piece_delay_ms: Arc<AtomicU64>,
    pub calls: Arc<Mutex<Vec<(String, String)>>>,
}

impl Llm {
    pub async fn start() -> (String, Self) {
        let llm = Self::default();
        let app = axum::Router::new().route("/v1/chat/completions", post(answer)).with_state(llm.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}/v1", listener.local_addr().expect("addr"));
        tokio::spawn(async move { axum::serve(listener, app).await.expect("llm") });
        (url, llm)
    }

    pub fn calls(&self) -> Vec<(String, String)> {
        self.calls.lock().expect("lock").clone()
    }

    pub fn calls_per_key(&self) -> HashMap<String, usize> {
        let mut counts = HashMap::new();
        for (key, _) in self.calls() {
            *counts.entry(key).or_default() += 1;
        }
        counts
    }
}

fn last_user_line(prompt: &str) -> String {
    prompt.split("\n\n").filter_map(|b| b.strip_prefix("User: ")).last().unwrap_or(prompt).to_owned()
}

async fn answer(State(llm): State<Llm>, headers: HeaderMap, Json(body): Json<Value>) -> Response {
    let prompt =
        body["messages"].as_array().and_then(|m| m.last()).and_then(|m| m["content"].as_str()).unwrap_or("").to_owned();
    let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    llm.calls.lock().expect("lock").push((key, prompt.clone()));
    let delay = llm.delay_ms.load(Ordering::SeqCst);
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    let status = llm.failing_status.load(Ordering::SeqCst);
    if status != 0 {
        return (StatusCode::from_u16(status).expect("status"), Json(json!({"error": {"message": "stub failure"}})))
            .into_response();
    }
    let line = last_user_line(&prompt);
    if line.contains("impossible") {
        return (StatusCode::BAD_REQUEST, Json(json!({"error": {"message": "cannot do the impossible"}})))
            .into_response();
    }
    let text = format!("stub answer: {line}");
    let piece_delay = llm.piece_delay_ms.load(Ordering::SeqCst);
    if body["stream"] == true && piece_delay > 0 {
        let pieces: Vec<String> = text.split_inclusive(' ').map(str::to_owned).collect();
        let events = futures_util::stream::unfold((pieces.into_iter(), false), move |(mut pieces, done)| async move {
            if done {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(piece_delay)).await;
            let frame = match pieces.next() {
                Some(piece) => format!("data: {}\n\n", json!({"choices": [{"index": 0, "delta": {"content": piece}}]})),
                None => {
                    return Some((Ok::<_, std::convert::Infallible>("data: [DONE]\n\n".to_owned()), (pieces, true)));
                }
            };
            Some((Ok(frame), (pieces, false)))
        });
        return ([("content-type", "text/event-stream")], axum::body::Body::from_stream(events)).into_response();
    }
    if body["stream"] == true {
        let mut sse = String::new();
        for piece in text.split_inclusive(' ') {
            sse.push_str(&format!("data: {}\n\n", json!({"choices": [{"index": 0, "delta": {"content": piece}}]})));
        }
        sse.push_str("data: [DONE]\n\n");
        ([("content-type", "text/event-stream")], sse).into_response()
    } else {
        Json(json!({"choices": [{"index": 0, "message": {"role": "assistant", "content": text}}]})).into_response()
    }
}

pub fn agent(name: &str, llm_url: &str) -> AgentConfig {
    AgentConfig {
        name: name.into(),
        instructions: Some("Be brief.".into()),
        policy: bridge_core::routing::RespondPolicy::new(name),
        context_messages: 5,
        concurrency: 4,
        timeout: Duration::from_secs(10),
        backend: BackendConfig::Openai { url: llm_url.into(), model: "stub".into(), api_key: None, stream: true },
    }
}

pub fn config(hub: &Hub, mode: Mode, llm_url: &str, state: &Path) -> BridgeConfig {
    BridgeConfig {
        hub: hub.base.clone(),
        credential: Credential::from_token(hub.seed.api_key.clone()),
        mode,
        state_dir: state.to_owned(),
        listen: "127.0.0.1:0".into(),
        webhook_secrets: Vec::new(),
        public_url: None,
        org_id: None,
        project_ids: None,
        poll_interval: Duration::from_millis(100),
        max_attempts: 3,
        timestamp_tolerance: None,
        max_body_bytes: 1024 * 1024,
        heartbeat: Duration::from_secs(120),
        agents: vec![agent("Echo", llm_url)],
    }
}

/// A running bridge.
pub struct Bridge {
    pub url: String,
    pub shutdown: CancellationToken,
    pub task: tokio::task::JoinHandle<Result<(), jaibber_bridge::bridge::BridgeError>>,
}

impl Bridge {
    pub async fn start(config: BridgeConfig) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        Self::start_on(config, listener).await
    }

    pub async fn start_on(config: BridgeConfig, listener: tokio::net::TcpListener) -> Self {
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(jaibber_bridge::bridge::run(config, listener, shutdown.clone()));
        for _ in 0..100 {
            if reqwest::get(format!("{url}/readyz")).await.is_ok_and(|r| r.status().is_success()) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Self { url, shutdown, task }
    }

    pub async fn stop(self) {
        self.shutdown.cancel();
        self.task.await.expect("join").expect("bridge ran");
    }
}

/// Waits until `check` returns `Some`, polling every 50 ms for at most `secs` seconds.
pub async fn eventually<T, F, Fut>(secs: u64, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

//! Harness: an in-process hub on loopback with the seed's demo data, and a JSON-RPC peer
//! that talks to the engine (in memory or over a child's stdio).

use std::collections::VecDeque;
use std::path::Path;
use std::time::Duration;

use bridge_core::client::{Client, Credential};
use bridge_core::model::{
    ChatPayload, ChatType, CreateMessage, Message, MessageQuery, ProjectId, SenderType, Task, TaskId, TaskStatus,
};
use bridge_core::realtime::Subscription;
use jaibber_hub::seed::SeedOutput;
use serde_json::{Value, json};
use tempfile::TempDir;
use tokio::io::{AsyncBufReadExt as _, AsyncWrite, AsyncWriteExt as _};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// A hub with the seed's demo user, org, project and API key.
pub struct Hub {
    pub base: String,
    pub seed: SeedOutput,
    pub user: Client,
    shutdown: CancellationToken,
    _dir: TempDir,
}

impl Drop for Hub {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

impl Hub {
    pub async fn start() -> Self {
        if let Ok(filter) = std::env::var("JAIBBER_TEST_LOG") {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
                .with_test_writer()
                .try_init();
        }
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

    /// Account settings for the engine: this hub, the seed's API key, agent `name`.
    pub fn account(&self, name: &str) -> Value {
        json!({"hubUrl": self.base, "apiKey": self.seed.api_key, "agentName": name,
               "agentInstructions": format!("{name} answers questions about the demo project")})
    }

    pub async fn say(&self, text: &str) -> Message {
        self.user.post_message(&self.project(), &CreateMessage::text(text)).await.expect("post")
    }

    pub async fn messages(&self) -> Vec<Message> {
        self.user.list_messages(&self.project(), &MessageQuery::latest().limit(100)).await.expect("list").data
    }

    /// Agent `agent`'s replies to `message`.
    pub async fn replies_to(&self, message: &Message, agent: &str) -> Vec<Message> {
        self.messages()
            .await
            .into_iter()
            .filter(|m| {
                m.sender_type == SenderType::Agent
                    && m.sender_name.eq_ignore_ascii_case(agent)
                    && m.parent_message_id.as_ref() == Some(&message.id)
            })
            .collect()
    }

    /// Waits (at most `limit`) until `agent` has replied to `message`; returns the replies.
    pub async fn wait_for_reply(&self, message: &Message, agent: &str, limit: Duration) -> Vec<Message> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let replies = self.replies_to(message, agent).await;
            if !replies.is_empty() {
                return replies;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "no reply from {agent} to {:?} within {limit:?}",
                message.text
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// Waits (at most `limit`) until the task is completed; returns it. `context` is shown on
/// failure (e.g. the gateway's log).
pub async fn wait_for_completed(hub: &Hub, task: &TaskId, limit: Duration, context: impl Fn() -> String) -> Task {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        let now = hub.user.get_task(task).await.expect("task");
        if now.status == TaskStatus::Completed {
            return now;
        }
        assert!(tokio::time::Instant::now() < deadline, "task still {:?} after {limit:?}\n{}", now.status, context());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Reads live `message` payloads until `agent`'s `response`; returns the kinds it sent
/// (typing, chunks, response) in order.
pub async fn live_reply_kinds(live: &mut Subscription, agent: &str, limit: Duration) -> Vec<ChatType> {
    let mut kinds = Vec::new();
    while !kinds.contains(&ChatType::Response) {
        let message = tokio::time::timeout(limit, live.next()).await.expect("live payloads").expect("open");
        let payload: ChatPayload = message.decode_into().expect("chat payload");
        if payload.agent_name.as_deref() == Some(agent) {
            kinds.push(payload.kind);
        }
    }
    kinds
}

/// A JSON-RPC peer: writes requests, reads responses, keeps notifications for later.
pub struct Peer {
    writer: Box<dyn AsyncWrite + Unpin + Send>,
    lines: mpsc::UnboundedReceiver<Value>,
    notifications: VecDeque<Value>,
    next_id: i64,
}

impl Peer {
    pub fn new(
        writer: impl AsyncWrite + Unpin + Send + 'static,
        reader: impl tokio::io::AsyncRead + Unpin + Send + 'static,
    ) -> Self {
        let (tx, lines) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut reader = tokio::io::BufReader::new(reader).lines();
            while let Ok(Some(line)) = reader.next_line().await {
                let value: Value =
                    serde_json::from_str(&line).unwrap_or_else(|e| panic!("engine wrote non-JSON {line:?}: {e}"));
                if tx.send(value).is_err() {
                    return;
                }
            }
        });
        Self { writer: Box::new(writer), lines, notifications: VecDeque::new(), next_id: 1 }
    }

    /// An engine served in memory with state under `state_dir`; the task ends on EOF.
    pub fn in_memory(
        state_dir: &Path,
    ) -> (Self, tokio::task::JoinHandle<std::io::Result<jaibber_openclaw::rpc::Ended>>) {
        let (client, server) = tokio::io::duplex(1 << 20);
        let (server_read, server_write) = tokio::io::split(server);
        let (client_read, client_write) = tokio::io::split(client);
        let engine = tokio::spawn(jaibber_openclaw::rpc::serve(
            tokio::io::BufReader::new(server_read),
            server_write,
            state_dir.to_path_buf(),
            CancellationToken::new(),
        ));
        (Self::new(client_write, client_read), engine)
    }

    pub async fn send_line(&mut self, line: &str) {
        self.writer.write_all(line.as_bytes()).await.expect("write");
        self.writer.write_all(b"\n").await.expect("write");
        self.writer.flush().await.expect("flush");
    }

    /// The next line that is not a notification (a response), within 30 s.
    pub async fn response(&mut self) -> Value {
        loop {
            let line = tokio::time::timeout(Duration::from_secs(30), self.lines.recv())
                .await
                .expect("no response within 30 s")
                .expect("engine output ended");
            if line.get("method").is_some() {
                self.notifications.push_back(line);
            } else {
                return line;
            }
        }
    }

    /// Sends a request; returns the whole response object.
    pub async fn call(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send_line(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}).to_string()).await;
        let response = self.response().await;
        assert_eq!(response["id"], json!(id), "responses come back with their id");
        response
    }

    /// Sends a request that must succeed; returns its result.
    pub async fn ok(&mut self, method: &str, params: Value) -> Value {
        let response = self.call(method, params).await;
        assert!(response.get("error").is_none(), "{method} failed: {response}");
        response["result"].clone()
    }

    /// Sends a request that must fail; returns its error code and message.
    pub async fn err(&mut self, method: &str, params: Value) -> (i64, String) {
        let response = self.call(method, params).await;
        let error = &response["error"];
        (
            error["code"].as_i64().unwrap_or_else(|| panic!("{method} did not fail: {response}")),
            error["message"].as_str().unwrap_or_default().to_owned(),
        )
    }

    /// The next notification named `method` within `limit` (others are dropped).
    pub async fn notification(&mut self, method: &str, limit: Duration) -> Option<Value> {
        if let Some(pos) = self.notifications.iter().position(|n| n["method"] == method) {
            return self.notifications.remove(pos).map(|n| n["params"].clone());
        }
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let line = tokio::time::timeout_at(deadline, self.lines.recv()).await.ok()??;
            if line["method"] == method {
                return Some(line["params"].clone());
            }
        }
    }

    /// Waits for the next `inbound` turn (at most `limit`).
    pub async fn inbound(&mut self, limit: Duration) -> Value {
        self.notification("inbound", limit).await.unwrap_or_else(|| panic!("no inbound turn within {limit:?}"))
    }

    /// Answers a turn: begin, the chunks, end with their concatenation.
    pub async fn answer(&mut self, turn: &Value, chunks: &[&str]) {
        let turn_id = turn["turnId"].clone();
        self.ok("stream.begin", json!({"turnId": turn_id})).await;
        for chunk in chunks {
            self.ok("stream.chunk", json!({"turnId": turn_id, "text": chunk})).await;
        }
        self.ok("stream.end", json!({"turnId": turn_id, "text": chunks.concat()})).await;
    }

    /// Closes the input (EOF).
    pub async fn close(mut self) {
        let _ = self.writer.shutdown().await;
    }
}

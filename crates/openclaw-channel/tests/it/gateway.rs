//! The plugin inside a real OpenClaw gateway, offline: the hub and a stub
//! OpenAI-compatible model on loopback, `openclaw plugins install -l` from the working
//! tree, `openclaw gateway run`, `openclaw message send`.
//!
//! Needs Node 24 and the `openclaw` CLI: the test command (`scripts/test`) installs
//! them and exports `JAIBBER_OPENCLAW_CLI` and `JAIBBER_REQUIRE_JS=1`. Without them the
//! test says so and passes only when `JAIBBER_REQUIRE_JS` is not `1`.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Json;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use bridge_core::model::{ChatType, CreateTask};
use bridge_core::realtime::{Realtime, RealtimeOptions};
use serde_json::{Value, json};

use crate::support::{Hub, live_reply_kinds, wait_for_completed};

/// OpenClaw's first turn bootstraps a workspace (about 16 s here); later ones are fast.
const FIRST_TURN: Duration = Duration::from_secs(150);
const TURN: Duration = Duration::from_secs(90);
const STUB_REPLY: &str = "STUB-REPLY: done";

fn openclaw_cli() -> Option<PathBuf> {
    let cli = std::env::var_os("JAIBBER_OPENCLAW_CLI").map(PathBuf::from).filter(|p| p.is_file());
    if cli.is_none() {
        assert_ne!(
            std::env::var("JAIBBER_REQUIRE_JS").as_deref(),
            Ok("1"),
            "JAIBBER_REQUIRE_JS=1 but JAIBBER_OPENCLAW_CLI names no openclaw CLI; run scripts/node-tools"
        );
        eprintln!("skipped: set JAIBBER_OPENCLAW_CLI (scripts/node-tools installs openclaw) to run the gateway test");
    }
    cli
}

/// A stub OpenAI-compatible model: fixed text (never the prompt, whose OpenClaw markers
/// a stream must not repeat), streamed in three pieces when asked to stream.
async fn stub_model() -> (String, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let app = axum::Router::new()
        .route(
            "/v1/models",
            get(|| async { Json(json!({"object": "list", "data": [{"id": "stub-model", "object": "model"}]})) }),
        )
        .route(
            "/v1/chat/completions",
            post(move |Json(body): Json<Value>| {
                counter.fetch_add(1, Ordering::SeqCst);
                async move { completion(body["stream"] == true) }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/v1", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await.expect("stub model") });
    (url, calls)
}

fn completion(stream: bool) -> Response {
    if !stream {
        return Json(json!({
            "id": "c1", "object": "chat.completion", "created": 0, "model": "stub-model",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": STUB_REPLY}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 3, "total_tokens": 4}
        }))
        .into_response();
    }
    let chunk = |delta: Value, finish: Value| {
        let body = json!({"id": "c1", "object": "chat.completion.chunk", "created": 0, "model": "stub-model",
                          "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]});
        format!("data: {body}\n\n")
    };
    let mut events: String = ["STUB-", "REPLY: ", "done"]
        .iter()
        .map(|piece| chunk(json!({"role": "assistant", "content": piece}), Value::Null))
        .collect();
    events.push_str(&chunk(json!({}), json!("stop")));
    events.push_str("data: [DONE]\n\n");
    ([(axum::http::header::CONTENT_TYPE, "text/event-stream")], events).into_response()
}

/// OpenClaw's environment: everything under one temp dir, nothing from outside.
struct OpenClaw {
    cli: PathBuf,
    root: PathBuf,
    port: u16,
}

impl OpenClaw {
    fn command(&self, args: &[&str]) -> tokio::process::Command {
        let mut command = tokio::process::Command::new(&self.cli);
        command
            .args(args)
            .env("HOME", self.root.join("home"))
            .env("XDG_CACHE_HOME", self.root.join("cache"))
            .env("OPENCLAW_HOME", self.root.join("home"))
            .env("OPENCLAW_STATE_DIR", self.root.join("state"))
            .env("OPENCLAW_CONFIG_PATH", self.config_path())
            .env("OPENCLAW_DISABLE_BONJOUR", "1")
            .env("OPENCLAW_NO_AUTO_UPDATE", "1")
            .env("OPENCLAW_OFFLINE", "1")
            .stdin(Stdio::null())
            .kill_on_drop(true);
        command
    }

    fn config_path(&self) -> PathBuf {
        self.root.join("state/openclaw.json")
    }

    /// Runs a CLI command to completion; its output on failure.
    async fn run(&self, args: &[&str]) -> String {
        let output = tokio::time::timeout(Duration::from_secs(180), self.command(args).output())
            .await
            .unwrap_or_else(|_| panic!("openclaw {args:?} did not finish"))
            .expect("run openclaw");
        let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
        assert!(output.status.success(), "openclaw {args:?} failed: {text}");
        text
    }

    fn start_gateway(&self, log_name: &str) -> Gateway {
        let log = std::fs::File::create(self.root.join(log_name)).expect("log file");
        let child = self
            .command(&["gateway", "run", "--port", &self.port.to_string(), "--bind", "loopback", "--verbose"])
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("start the gateway");
        Gateway { child, log: self.root.join(log_name) }
    }
}

struct Gateway {
    child: tokio::process::Child,
    log: PathBuf,
}

impl Gateway {
    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(60)..].join("\n")
    }

    /// SIGTERM, then waits for a clean exit.
    async fn stop(mut self) {
        let pid = self.child.id().expect("running");
        let _ = std::process::Command::new("kill").args(["-TERM", &pid.to_string()]).status();
        let status = tokio::time::timeout(Duration::from_secs(60), self.child.wait())
            .await
            .expect("the gateway stops on SIGTERM")
            .expect("wait");
        assert!(status.success() || status.code().is_none(), "gateway exit {status}: {}", self.log_tail());
    }
}

fn write_config(openclaw: &OpenClaw, model_url: &str) {
    let config = json!({
        "gateway": {"mode": "local", "port": openclaw.port, "bind": "loopback",
                    "auth": {"mode": "token", "token": "gateway-test-token"}},
        "models": {"mode": "merge", "catalogRefresh": {"enabled": false}, "providers": {"stub": {
            "baseUrl": model_url, "apiKey": "stub-key", "api": "openai-completions",
            "models": [{"id": "stub-model", "name": "Stub Model", "input": ["text"], "contextWindow": 32000, "maxTokens": 2048}]
        }}},
        "agents": {"defaults": {"model": {"primary": "stub/stub-model"}}},
        "update": {"checkOnStart": false},
        "logging": {"file": openclaw.root.join("openclaw.log")},
    });
    std::fs::create_dir_all(openclaw.root.join("state")).expect("state dir");
    std::fs::create_dir_all(openclaw.root.join("home")).expect("home dir");
    std::fs::write(openclaw.config_path(), serde_json::to_vec_pretty(&config).expect("json")).expect("config");
}

/// Adds the Jaibber channel to the config the install left.
fn configure_channel(openclaw: &OpenClaw, hub: &Hub, engine_state: &Path) {
    let text = std::fs::read_to_string(openclaw.config_path()).expect("config");
    let mut config: Value = serde_json::from_str(&text).expect("config is JSON");
    let mut account = hub.account("Claw");
    account["enabled"] = json!(true);
    account["enginePath"] = json!(env!("CARGO_BIN_EXE_jaibber-openclaw"));
    account["stateDir"] = json!(engine_state);
    // A second account whose key the hub refuses: it must end up blocked, not looping.
    account["accounts"] = json!({"broken": {"apiKey": "jb_000000000000000000000000000000000000000000000000"}});
    config["channels"] = json!({"jaibber": account});
    std::fs::write(openclaw.config_path(), serde_json::to_vec_pretty(&config).expect("json")).expect("config");
}

/// Waits until Claw is a present member of the project channel.
async fn wait_until_present(hub: &Hub, gateway: &Gateway) {
    let watcher = Realtime::connect(hub.user.clone(), RealtimeOptions::default());
    let channel = watcher.channel(&hub.project().channel_name());
    channel.attach().await.expect("attach");
    let deadline = tokio::time::Instant::now() + FIRST_TURN;
    loop {
        let members = channel.presence().get().await.unwrap_or_default();
        let claw = members.iter().filter_map(|m| m.decoded().ok()).find(|d| d["agentName"] == "Claw");
        if let Some(data) = claw {
            assert_eq!(data["agentInstructions"], hub.account("Claw")["agentInstructions"], "{data}");
            assert_eq!(data["isAgent"], true, "{data}");
            watcher.close().await;
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "Claw never showed in presence; gateway log:\n{}",
            gateway.log_tail()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_openclaw_gateway_answers_in_the_channel() {
    let Some(cli) = openclaw_cli() else { return };
    let hub = Hub::start().await;
    let (model_url, model_calls) = stub_model().await;
    let root = tempfile::tempdir().expect("temp dir");
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
    let openclaw = OpenClaw { cli, root: root.path().to_path_buf(), port };
    write_config(&openclaw, &model_url);
    let plugin = Path::new(env!("CARGO_MANIFEST_DIR")).join("plugin");
    let plugin = plugin.to_str().expect("utf-8 path");
    let installed = openclaw.run(&["plugins", "install", "-l", plugin, "--force", "--accept-capabilities"]).await;
    assert!(installed.contains("Linked plugin path"), "{installed}");
    let engine_state = root.path().join("engine-state");
    configure_channel(&openclaw, &hub, &engine_state);

    let gateway = openclaw.start_gateway("gateway-1.log");
    wait_until_present(&hub, &gateway).await;

    // Status and probe, as the gateway reports them: running, connected, and the agent
    // present in the project.
    let status = openclaw.run(&["channels", "status", "--probe", "--json"]).await;
    let status: Value = serde_json::from_str(&status[status.find('{').expect("json")..]).expect("status json");
    let account = &status["channelAccounts"]["jaibber"][0];
    assert_eq!((account["running"].clone(), account["connected"].clone()), (json!(true), json!(true)), "{account}");
    assert_eq!(account["probe"]["ok"], true, "{account}");
    assert_eq!(account["probe"]["connectionState"], "connected");
    assert_eq!(account["probe"]["presence"][0]["projectId"], hub.seed.project_id);
    assert_eq!(account["probe"]["presence"][0]["online"], true, "the agent is present: {account}");
    let broken = status["channelAccounts"]["jaibber"]
        .as_array()
        .and_then(|accounts| accounts.iter().find(|a| a["accountId"] == "broken"))
        .unwrap_or_else(|| panic!("the second account is listed: {status}"));
    assert_eq!(broken["lifecycle"], "blocked", "{broken}");
    assert!(broken["lastError"].as_str().is_some_and(|e| e.contains("refused")), "{broken}");
    assert!(!broken.to_string().contains("jb_0000"), "the key stays out of the status");

    let watcher = Realtime::connect(hub.user.clone(), RealtimeOptions::default());
    let channel = watcher.channel(&hub.project().channel_name());
    let mut live = channel.subscribe(Some("message"));
    channel.attach().await.expect("attach");
    let hello = hub.say("@Claw hello, what can you do?").await;
    let replies = hub.wait_for_reply(&hello, "Claw", FIRST_TURN).await;
    assert_eq!(replies[0].text, STUB_REPLY);
    // The answer also went out live: typing, then the text as chunks, then the response.
    let kinds = live_reply_kinds(&mut live, "Claw", TURN).await;
    assert_eq!(kinds.first(), Some(&ChatType::Typing), "{kinds:?}");
    assert!(kinds.contains(&ChatType::Chunk), "{kinds:?}");
    watcher.close().await;
    assert!(model_calls.load(Ordering::SeqCst) >= 1, "the answer came from the model");

    let for_echo = hub.say("@Echo this one is not for Claw").await;
    let second = hub.say("@claw second question").await;
    hub.wait_for_reply(&second, "Claw", TURN).await;
    assert!(hub.replies_to(&for_echo, "Claw").await.is_empty(), "a message for another agent gets no answer");

    let task = hub
        .user
        .create_task(&hub.project(), &CreateTask::new("Summarise the plan").assign_to("Claw"))
        .await
        .expect("task");
    let done = wait_for_completed(&hub, &task.id, TURN, || gateway.log_tail()).await;
    assert_eq!(done.result.as_deref(), Some(STUB_REPLY));

    let sent = openclaw
        .run(&[
            "message",
            "send",
            "--channel",
            "jaibber",
            "--target",
            "Demo Project",
            "--message",
            "Hello from the OpenClaw CLI",
        ])
        .await;
    assert!(sent.contains("Sent via Jaibber"), "{sent}");
    let outbound = hub.messages().await.into_iter().find(|m| m.text == "Hello from the OpenClaw CLI");
    assert_eq!(outbound.map(|m| m.sender_name), Some("Claw".to_owned()), "the CLI's message is in the channel as Claw");

    // The engine killed outright: it is started again and catches up.
    let state = engine_state.to_string_lossy().into_owned();
    let killed = std::process::Command::new("pkill").args(["-KILL", "-f", &state]).status().expect("pkill");
    assert!(killed.success(), "the engine was running with its state dir on the command line");
    let after_crash = hub.say("@Claw did you survive?").await;
    hub.wait_for_reply(&after_crash, "Claw", FIRST_TURN).await;

    // Restart: what came in meanwhile is answered once; nothing old is answered again.
    gateway.stop().await;
    let missed = hub.say("@Claw are you back?").await;
    let gateway = openclaw.start_gateway("gateway-2.log");
    wait_until_present(&hub, &gateway).await;
    hub.wait_for_reply(&missed, "Claw", FIRST_TURN).await;
    let last = hub.say("@Claw last one").await;
    hub.wait_for_reply(&last, "Claw", TURN).await;
    for message in [&hello, &second, &after_crash, &missed, &last] {
        assert_eq!(hub.replies_to(message, "Claw").await.len(), 1, "exactly one answer to {:?}", message.text);
    }
    gateway.stop().await;

    // The engine went with the gateway.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while std::process::Command::new("pgrep").args(["-f", &state]).status().is_ok_and(|s| s.success()) {
        assert!(tokio::time::Instant::now() < deadline, "the engine outlived the gateway");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

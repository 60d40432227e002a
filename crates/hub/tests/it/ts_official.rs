//! Compatibility: the official Jaibber TypeScript SDK and OpenClaw adapter, unchanged
//! (`tests/jaibber-ts/upstream`), against the hub. Node 24 runs their TypeScript directly;
//! `scripts/node-tools` installs Node and their npm dependencies under `.tools/`, and the
//! test command exports `JAIBBER_JS_MODULES` and `JAIBBER_REQUIRE_JS=1`. Without them
//! these tests say so and pass nothing off as checked.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use axum::Json;
use axum::routing::post;
use bridge_core::client::Credential;
use bridge_core::model::{CreateMessage, Message, MessageQuery, PlanId, Scope, SenderType};
use serde_json::{Value, json};
use tokio::process::Command;

use crate::support::{TestHub, raw};

const PASSWORD: &str = "correct horse";

fn js_modules() -> Option<PathBuf> {
    let modules = std::env::var_os("JAIBBER_JS_MODULES").map(PathBuf::from);
    let usable = modules.filter(|m| ["uuid", "express", "dotenv", "ably"].iter().all(|p| m.join(p).is_dir()));
    if usable.is_none() {
        assert!(
            std::env::var("JAIBBER_REQUIRE_JS").as_deref() != Ok("1"),
            "JAIBBER_REQUIRE_JS=1 but JAIBBER_JS_MODULES lacks the SDK's dependencies; run scripts/node-tools"
        );
        eprintln!(
            "skipping the official TypeScript code: run `eval \"$(scripts/node-tools)\"` first (the test command does)"
        );
    }
    usable
}

fn ts_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/jaibber-ts")
}

/// `node` running TypeScript with the hooks that resolve the upstream sources.
fn node(modules: &Path) -> Command {
    let mut command = Command::new("node");
    command
        .args(["--experimental-transform-types", "--no-warnings", "--import"])
        .arg(ts_dir().join("register-hooks.mjs"))
        .env("JAIBBER_JS_MODULES", modules)
        .kill_on_drop(true);
    command
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_sdk_agent_works_against_the_hub() {
    let Some(modules) = js_modules() else { return };
    let hub = TestHub::start().await;
    let (jwt, _) = hub.user_jwt("sdkuser").await;
    let owner = hub.client(Credential::Jwt(jwt.clone().into()));
    let org = hub.org(&owner, "SDK org", PlanId::Team).await;
    let project = hub.project(&owner, &org, "SDK project").await;
    let run = node(&modules)
        .arg(ts_dir().join("sdk-compat.mjs"))
        .env("HUB_URL", &hub.base)
        .env("JAIBBER_USERNAME", "sdkuser")
        .env("JAIBBER_PASSWORD", PASSWORD)
        .env("JAIBBER_TOKEN", &jwt)
        .env("JAIBBER_PROJECT_ID", project.id.as_str())
        .output();
    let output =
        tokio::time::timeout(Duration::from_secs(120), run).await.expect("the SDK within 2 min").expect("node");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "the SDK scenario failed:\n{stdout}\n{stderr}");
    for step in ["rest", "connect", "presence", "message", "task", "all"] {
        assert!(stdout.lines().any(|l| l == format!("ok {step}")), "step {step} did not report ok:\n{stdout}");
    }
}

/// A stand-in for the OpenClaw gateway's chat completions: a fixed answer.
async fn fake_openclaw() -> String {
    let app = axum::Router::new().route(
        "/v1/chat/completions",
        post(|Json(body): Json<Value>| async move {
            let prompt = body["messages"][0]["content"].as_str().unwrap_or_default().to_owned();
            Json(json!({"choices": [{"message": {"role": "assistant", "content": format!("claw heard: {prompt}")}}]}))
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await.expect("fake openclaw") });
    url
}

async fn agent_replies(
    hub: &TestHub,
    client: &bridge_core::client::Client,
    project: &bridge_core::model::ProjectId,
) -> Vec<Message> {
    let _ = hub;
    client
        .list_messages(project, &MessageQuery::latest().limit(100))
        .await
        .expect("messages")
        .data
        .into_iter()
        .filter(|m| m.sender_type == SenderType::Agent && m.sender_name == "OpenClaw")
        .collect()
}

async fn run_adapter(mode: &str) {
    let Some(modules) = js_modules() else { return };
    let hub = TestHub::start().await;
    let (jwt, _) = hub.user_jwt("adapteruser").await;
    let owner = hub.client(Credential::Jwt(jwt.clone().into()));
    let org = hub.org(&owner, "Adapter org", PlanId::Team).await;
    let project = hub.project(&owner, &org, "Adapter project").await;
    let created = owner
        .create_api_key(
            &org.id,
            &bridge_core::model::CreateApiKey::new(
                "adapter",
                [Scope::MessagesRead, Scope::MessagesWrite, Scope::AgentsRead, Scope::AgentsWrite],
            ),
        )
        .await
        .expect("key");
    let openclaw = fake_openclaw().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
    // The adapter keeps its state file next to its source: run a copy in a temp dir.
    let dir = tempfile::tempdir().expect("temp dir");
    let source = ts_dir().join("upstream/adapters/openclaw/adapter.ts");
    std::fs::copy(&source, dir.path().join("adapter.ts")).expect("copy the adapter");
    let log = std::fs::File::create(dir.path().join("adapter.log")).expect("log");
    let mut adapter = node(&modules)
        .arg(dir.path().join("adapter.ts"))
        .current_dir(dir.path())
        .env("JAIBBER_API_KEY", created.key.expose())
        .env("JAIBBER_API_URL", &hub.base)
        .env("JAIBBER_ORG_ID", org.id.as_str())
        .env("JAIBBER_AGENT_NAME", "OpenClaw")
        .env("JAIBBER_SESSION_TOKEN", &jwt)
        .env("JAIBBER_PROJECT_IDS", project.id.as_str())
        .env("ADAPTER_MODE", mode)
        .env("ADAPTER_PORT", port.to_string())
        .env("ADAPTER_PUBLIC_URL", format!("http://127.0.0.1:{port}"))
        .env("POLL_INTERVAL_SECONDS", "1")
        .env("OPENCLAW_URL", &openclaw)
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("log"))
        .stderr(log)
        .spawn()
        .expect("start the adapter");
    let log_text = || std::fs::read_to_string(dir.path().join("adapter.log")).unwrap_or_default();

    // Ready: webhook mode serves /health; poll mode has logged its first poll setup.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let ready = match mode {
            "webhook" => {
                raw().get(format!("http://127.0.0.1:{port}/health")).send().await.is_ok_and(|r| r.status().is_success())
            }
            _ => log_text().contains("[init] Agent registered"),
        };
        if ready {
            break;
        }
        assert!(adapter.try_wait().expect("wait").is_none(), "the adapter exited:\n{}", log_text());
        assert!(tokio::time::Instant::now() < deadline, "the adapter never got ready:\n{}", log_text());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    if mode == "poll" {
        // The poller starts from "now": give it a round to take its cursor.
        tokio::time::sleep(Duration::from_millis(2_500)).await;
    }

    let question = owner.post_message(&project.id, &CreateMessage::text("@OpenClaw what is up?")).await.expect("post");
    let other = owner
        .post_message(&project.id, &CreateMessage::text("@Somebody this is not for the claw"))
        .await
        .expect("post");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let replies = loop {
        let replies = agent_replies(&hub, &owner, &project.id).await;
        if !replies.is_empty() {
            break replies;
        }
        assert!(tokio::time::Instant::now() < deadline, "no reply from the adapter ({mode}):\n{}", log_text());
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(replies[0].text, format!("claw heard: {}", question.text), "{mode}");
    assert_eq!(replies[0].kind, bridge_core::model::MessageType::Response);
    // Another round for the message meant for somebody else: still one reply.
    tokio::time::sleep(Duration::from_millis(2_000)).await;
    let replies = agent_replies(&hub, &owner, &project.id).await;
    assert_eq!(replies.len(), 1, "{} was not for OpenClaw; log:\n{}", other.text, log_text());
    assert!(!log_text().contains("Failed"), "the adapter reported failures:\n{}", log_text());
    if mode == "webhook" {
        assert!(!log_text().contains("Invalid signature"), "our signatures verify in the adapter");
    }
    let _ = adapter.start_kill();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_openclaw_adapter_works_against_the_hub_by_webhook() {
    run_adapter("webhook").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_openclaw_adapter_works_against_the_hub_by_polling() {
    run_adapter("poll").await;
}

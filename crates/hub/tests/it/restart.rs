//! The real binary killed with SIGKILL and restarted loses no pending delivery.

use std::net::TcpListener as StdListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use axum::http::StatusCode;
use bridge_core::client::{Client, Credential};
use bridge_core::model::*;

use crate::support::{next, receiver_on};

fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

fn spawn_hub(data: &Path, port: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_jaibber-hub"))
        .args(["serve", "--data"])
        .arg(data)
        .args(["--listen", &format!("127.0.0.1:{port}"), "--webhook-retry-delays", "1s,1s,1s,1s,1s"])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start jaibber-hub")
}

async fn wait_healthy(base: &str) {
    for _ in 0..100 {
        if reqwest::get(format!("{base}/healthz")).await.is_ok_and(|r| r.status().is_success()) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("hub at {base} did not become healthy");
}

#[tokio::test]
async fn pending_delivery_survives_kill_9_and_restart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let seed = Command::new(env!("CARGO_BIN_EXE_jaibber-hub"))
        .args(["seed", "--json", "--data"])
        .arg(dir.path())
        .output()
        .expect("seed");
    assert!(seed.status.success(), "{}", String::from_utf8_lossy(&seed.stderr));
    let seeded: serde_json::Value = serde_json::from_slice(&seed.stdout).expect("seed prints JSON");
    for field in ["userId", "username", "password", "token", "orgId", "projectId", "agentId", "agentName", "apiKey"] {
        assert!(seeded[field].is_string(), "seed output has {field}");
    }
    let again = Command::new(env!("CARGO_BIN_EXE_jaibber-hub"))
        .args(["seed", "--json", "--data"])
        .arg(dir.path())
        .output()
        .expect("seed again");
    let again: serde_json::Value = serde_json::from_slice(&again.stdout).expect("json");
    for field in ["userId", "password", "orgId", "projectId", "agentId", "apiKey"] {
        assert_eq!(again[field], seeded[field], "seed is idempotent: {field}");
    }

    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut hub = spawn_hub(dir.path(), port);
    wait_healthy(&base).await;
    let client = Client::builder(&base)
        .credential(Credential::from_token(seeded["apiKey"].as_str().expect("key")))
        .build()
        .expect("client");
    let org = OrgId::new(seeded["orgId"].as_str().expect("org"));
    let project = ProjectId::new(seeded["projectId"].as_str().expect("project"));

    // The receiver is down: the first attempt fails and a retry is scheduled.
    let receiver_port = free_port();
    let url = format!("http://127.0.0.1:{receiver_port}/hook");
    client.create_webhook(&org, &CreateWebhook::new(&url, [WebhookEventName::MessageCreated])).await.expect("hook");
    let posted = client.post_message(&project, &CreateMessage::text("@Echo survive this")).await.expect("post");
    tokio::time::sleep(Duration::from_millis(300)).await;

    hub.kill().expect("SIGKILL");
    hub.wait().expect("reaped");
    let (_, mut received) =
        receiver_on(format!("127.0.0.1:{receiver_port}").parse().expect("addr"), StatusCode::OK).await;
    let mut hub = spawn_hub(dir.path(), port);
    wait_healthy(&base).await;

    let delivery = next(&mut received).await;
    let event = WebhookEvent::from_slice(&delivery.body).expect("event");
    let WebhookPayload::MessageCreated(message) = event.payload else { panic!("message.created") };
    assert_eq!(message.id, posted.id);
    assert!(
        tokio::time::timeout(Duration::from_millis(1_500), received.recv()).await.is_err(),
        "delivered exactly once after the restart"
    );
    hub.kill().expect("stop");
    let _ = hub.wait();
}

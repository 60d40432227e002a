//! The back-ends against stub agents: plain HTTP, A2A, local command, OpenAI non-stream.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use axum::Json;
use axum::routing::post;
use jaibber_bridge::backend::{AgentReply, AgentRequest, Backend, BackendError, RequestOrigin};
use jaibber_bridge::config::BackendConfig;
use serde_json::{Value, json};

fn request(context: &str) -> AgentRequest {
    AgentRequest {
        idempotency_key: "message:m1:echo".into(),
        agent_name: "Echo".into(),
        instructions: None,
        context: context.into(),
        prompt: context.into(),
        kind: "message",
        project_id: "p1".into(),
        origin: RequestOrigin { source_id: "m1".into(), ..RequestOrigin::default() },
    }
}

async fn serve(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    url
}

#[tokio::test]
async fn http_backend_answers_and_asks_back() {
    let url = serve(axum::Router::new().route(
        "/agent",
        post(|Json(body): Json<Value>| async move {
            if body["prompt"].as_str().is_some_and(|p| p.contains("deploy")) {
                Json(json!({"status": "input-required", "text": "Which environment?"}))
            } else {
                Json(json!({"text": format!("{} handled {}", body["agentName"].as_str().unwrap_or(""), body["idempotencyKey"].as_str().unwrap_or(""))}))
            }
        }),
    ))
    .await;
    let backend =
        Backend::new(BackendConfig::Http { url: format!("{url}/agent"), api_key: None }, Duration::from_secs(5));
    assert_eq!(
        backend.call(&request("hi"), &mut |_| {}).await.expect("answer"),
        AgentReply::Answer("Echo handled message:m1:echo".into())
    );
    assert_eq!(
        backend.call(&request("deploy it"), &mut |_| {}).await.expect("question"),
        AgentReply::NeedsInput("Which environment?".into())
    );
}

#[tokio::test]
async fn a2a_backend_sends_then_polls_the_task() {
    let polls = Arc::new(AtomicU32::new(0));
    let app = axum::Router::new().route(
        "/a2a",
        post({
            let polls = polls.clone();
            move |headers: axum::http::HeaderMap, Json(body): Json<Value>| {
                let polls = polls.clone();
                async move {
                    assert_eq!(headers.get("a2a-version").and_then(|v| v.to_str().ok()), Some("1.0"));
                    let id = body["id"].clone();
                    let result = match body["method"].as_str() {
                        Some("SendMessage") => json!({"task": {"id": "t-1", "status": {"state": "TASK_STATE_WORKING"}}}),
                        Some("GetTask") if polls.fetch_add(1, Ordering::SeqCst) == 0 => json!({"id": "t-1", "status": {"state": "TASK_STATE_WORKING"}}),
                        Some("GetTask") => json!({"id": "t-1", "status": {"state": "TASK_STATE_COMPLETED"}, "artifacts": [{"artifactId": "a", "parts": [{"text": "done by a2a"}]}]}),
                        _ => return Json(json!({"jsonrpc": "2.0", "id": id, "error": {"code": -32601, "message": "no such method"}})),
                    };
                    Json(json!({"jsonrpc": "2.0", "id": id, "result": result}))
                }
            }
        }),
    );
    let url = serve(app).await;
    let backend = Backend::new(BackendConfig::A2a { url: format!("{url}/a2a"), api_key: None }, Duration::from_secs(5));
    assert_eq!(
        backend.call(&request("hi"), &mut |_| {}).await.expect("answer"),
        AgentReply::Answer("done by a2a".into())
    );
    assert_eq!(polls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn command_backend_reads_stdin_and_times_out() {
    let echo = Backend::new(
        BackendConfig::Command { argv: vec!["sh".into(), "-c".into(), "printf 'cli saw: '; tail -n 1".into()] },
        Duration::from_secs(5),
    );
    assert_eq!(
        echo.call(&request("line one\nline two"), &mut |_| {}).await.expect("answer"),
        AgentReply::Answer("cli saw: line two".into())
    );
    let placeholder = Backend::new(
        BackendConfig::Command { argv: vec!["echo".into(), "arg:{prompt}".into()] },
        Duration::from_secs(5),
    );
    assert_eq!(
        placeholder.call(&request("hi"), &mut |_| {}).await.expect("answer"),
        AgentReply::Answer("arg:hi".into())
    );
    let failing = Backend::new(
        BackendConfig::Command { argv: vec!["sh".into(), "-c".into(), "echo boom >&2; exit 3".into()] },
        Duration::from_secs(5),
    );
    let err = failing.call(&request("hi"), &mut |_| {}).await.expect_err("exit 3");
    assert!(matches!(&err, BackendError::Failed(m) if m.contains("boom")), "{err}");
    let slow = Backend::new(BackendConfig::Command { argv: vec!["sleep".into(), "10".into()] }, Duration::from_secs(5));
    let started = std::time::Instant::now();
    let timed_out = tokio::time::timeout(Duration::from_millis(300), slow.call(&request("hi"), &mut |_| {})).await;
    assert!(
        timed_out.is_err() && started.elapsed() < Duration::from_secs(2),
        "the relay's timeout drops (and kills) the process"
    );
}

#[tokio::test]
async fn openai_backend_accepts_plain_json_and_reports_status() {
    let url = serve(axum::Router::new().route(
        "/v1/chat/completions",
        post(|Json(body): Json<Value>| async move {
            if body["model"] == "broken" {
                return (axum::http::StatusCode::SERVICE_UNAVAILABLE, Json(json!({"error": "overloaded"})));
            }
            (
                axum::http::StatusCode::OK,
                Json(json!({"choices": [{"message": {"role": "assistant", "content": "plain answer"}}]})),
            )
        }),
    ))
    .await;
    let ok = Backend::new(
        BackendConfig::Openai { url: format!("{url}/v1"), model: "m".into(), api_key: None, stream: false },
        Duration::from_secs(5),
    );
    assert_eq!(ok.call(&request("hi"), &mut |_| {}).await.expect("answer"), AgentReply::Answer("plain answer".into()));
    let broken = Backend::new(
        BackendConfig::Openai { url: format!("{url}/v1"), model: "broken".into(), api_key: None, stream: false },
        Duration::from_secs(5),
    );
    let err = broken.call(&request("hi"), &mut |_| {}).await.expect_err("503");
    assert!(err.is_retryable(), "{err}");
}

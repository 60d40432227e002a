//! Bad input gets a clear 4xx and loses nothing.

use bridge_core::model::*;
use serde_json::{Value, json};

use crate::support::{TestHub, raw};

async fn send(method: reqwest::Method, url: &str, token: &str, body: impl Into<reqwest::Body>) -> (u16, Value) {
    let response = raw()
        .request(method, url)
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("request");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn malformed_mistyped_oversize_and_unknown_input() {
    let hub = TestHub::start_with(|config| config.max_body_bytes = 4096).await;
    let session = hub.anonymous().register(&Credentials::new("alice", "correct horse")).await.expect("register");
    let token = session.token.expect("token").expose().to_owned();
    let (alice, _) = (hub.client(bridge_core::client::Credential::from_token(&token)), ());
    let org = hub.org(&alice, "A", PlanId::Team).await;
    let project = hub.project(&alice, &org, "P").await;
    let messages = format!("{}/api/projects/{}/messages", hub.base, project.id);
    use reqwest::Method;

    let (status, body) = send(Method::POST, &messages, &token, "{\"text\": ").await;
    assert_eq!(status, 400);
    assert!(body["error"].as_str().is_some_and(|e| e.starts_with("malformed JSON")), "{body}");

    let (status, body) = send(Method::POST, &messages, &token, json!({"text": 42}).to_string()).await;
    assert_eq!(status, 400);
    assert!(body["error"].as_str().is_some_and(|e| e.contains("invalid type")), "{body}");

    let (status, body) = send(Method::POST, &messages, &token, json!({"text": "x".repeat(5000)}).to_string()).await;
    assert_eq!(status, 413);
    assert!(body["error"].as_str().is_some_and(|e| e.contains("4096 bytes")), "{body}");

    let (status, body) = send(Method::POST, &messages, &token, "").await;
    assert_eq!((status, body["error"].as_str().is_some_and(|e| e.contains("empty"))), (400, true), "{body}");

    let (status, body) = send(Method::POST, &messages, &token, json!({"text": "   "}).to_string()).await;
    assert_eq!(status, 400, "{body}");

    let (status, body) =
        send(Method::POST, &messages, &token, json!({"text": "x", "id": "not-a-uuid"}).to_string()).await;
    assert!(status == 400 && body["error"].as_str().is_some_and(|e| e.contains("id must be a UUID")), "{body}");

    let (status, body) = send(Method::GET, &format!("{}/api/projects/nope/messages", hub.base), &token, "").await;
    assert!(status == 400 && body["error"].as_str().is_some_and(|e| e.contains("projectId must be a UUID")), "{body}");

    let (status, body) = send(Method::GET, &format!("{messages}?limit=500"), &token, "").await;
    assert!(status == 400 && body["error"].as_str().is_some_and(|e| e.contains("between 1 and 100")), "{body}");

    let (status, body) = send(Method::GET, &format!("{messages}?before=yesterday"), &token, "").await;
    assert!(status == 400 && body["error"].as_str().is_some_and(|e| e.contains("ISO timestamp")), "{body}");

    let task = alice.create_task(&project.id, &CreateTask::new("t")).await.expect("task");
    let (status, body) = send(
        Method::PATCH,
        &format!("{}/api/tasks/{}", hub.base, task.id),
        &token,
        json!({"state": "working"}).to_string(),
    )
    .await;
    assert!(status == 400 && body["error"].as_str().is_some_and(|e| e.contains("unknown field `state`")), "{body}");
    let (status, body) = send(
        Method::PATCH,
        &format!("{}/api/tasks/{}", hub.base, task.id),
        &token,
        json!({"status": "done"}).to_string(),
    )
    .await;
    assert!(status == 400 && body["error"].as_str().is_some_and(|e| e.contains("status must be one of")), "{body}");

    let (status, _) = send(
        Method::POST,
        &format!("{}/api/projects/{}/tasks", hub.base, project.id),
        &token,
        json!({"title": "t", "status": "completed"}).to_string(),
    )
    .await;
    assert_eq!(status, 400, "a task cannot be created completed");

    // None of the refused requests left anything behind.
    let stored = alice.list_messages(&project.id, &MessageQuery::latest()).await.expect("list");
    assert!(stored.data.is_empty());
    let tasks = alice.list_tasks(&project.id, &TaskQuery::default()).await.expect("tasks");
    assert_eq!(tasks.data.len(), 1);
    assert_eq!(tasks.data[0].status, TaskStatus::Submitted);

    let (status, body) = send(Method::GET, &format!("{}/api/nowhere", hub.base), &token, "").await;
    assert!(status == 404 && body["error"].as_str().is_some_and(|e| e.contains("no route")), "{body}");
    let (status, body) = send(Method::PUT, &format!("{}/api/projects", hub.base), &token, "{}").await;
    assert!(status == 405 && body["error"].is_string(), "{body}");
}

#[tokio::test]
async fn reference_curl_quick_start_works_unchanged() {
    // protocol.md / llms-full.txt quick start, step by step, as raw HTTP.
    let hub = TestHub::start_with(|config| config.default_plan = PlanId::Team).await;
    let http = raw();
    let registered: Value = http
        .post(format!("{}/api/auth/register", hub.base))
        .json(&json!({"username": "myuser", "password": "mypassword"}))
        .send()
        .await
        .expect("register")
        .json()
        .await
        .expect("json");
    let jwt = registered["token"].as_str().expect("token").to_owned();
    let project: Value = http
        .post(format!("{}/api/projects", hub.base))
        .bearer_auth(&jwt)
        .json(&json!({"name": "My Project"}))
        .send()
        .await
        .expect("project")
        .json()
        .await
        .expect("json");
    let project_id = project["project"]["id"].as_str().expect("project.id").to_owned();
    assert_eq!(project["project"]["ablyChannelName"], format!("jaibber:project:{project_id}"));
    let listed: Value = http
        .get(format!("{}/api/projects", hub.base))
        .bearer_auth(&jwt)
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    assert_eq!(listed["projects"][0]["id"], project_id.as_str());

    let message = http
        .post(format!("{}/api/projects/{project_id}/messages", hub.base))
        .bearer_auth(&jwt)
        .json(&json!({"text": "@Coder Please review the latest PR", "senderName": "CI Bot"}))
        .send()
        .await
        .expect("message");
    assert_eq!(message.status(), 201);
    let message: Value = message.json().await.expect("json");
    for field in ["id", "projectId", "senderId", "senderType", "senderName", "text", "createdAt"] {
        assert!(message.get(field).is_some(), "message has {field}: {message}");
    }
    let task = http
        .post(format!("{}/api/projects/{project_id}/tasks", hub.base))
        .bearer_auth(&jwt)
        .json(&json!({"title": "Add rate limiting", "priority": "high", "assignedAgentName": "Coder"}))
        .send()
        .await
        .expect("task");
    assert_eq!(task.status(), 201);
    let task: Value = task.json().await.expect("json");
    assert_eq!(task["data"]["status"], "submitted");
    let plans: Value =
        http.get(format!("{}/api/billing/plans", hub.base)).send().await.expect("plans").json().await.expect("json");
    assert_eq!(plans["plans"].as_array().map(Vec::len), Some(3));
}

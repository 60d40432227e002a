//! A2A v1.0 agents: JSON-RPC `SendMessage`, then `GetTask` polling until the task is
//! terminal or needs input. States are read in v1.0 (`TASK_STATE_COMPLETED`) and v0.3
//! (`completed`) spellings.

use std::time::Duration;

use bridge_core::model::WebhookSecret;
use serde_json::{Value, json};

use super::{AgentReply, AgentRequest, BackendError, shorten, transport};

async fn rpc(
    http: &reqwest::Client,
    url: &str,
    api_key: Option<&WebhookSecret>,
    method: &str,
    params: Value,
    key: &str,
) -> Result<Value, BackendError> {
    let body = json!({"jsonrpc": "2.0", "id": uuid::Uuid::new_v4().to_string(), "method": method, "params": params});
    let mut builder = http.post(url).header("a2a-version", "1.0").header("idempotency-key", key).json(&body);
    if let Some(token) = api_key {
        builder = builder.bearer_auth(token.expose());
    }
    let response = builder.send().await.map_err(|e| transport(&e))?;
    let status = response.status();
    let text = response.text().await.map_err(|e| transport(&e))?;
    if !status.is_success() {
        return Err(BackendError::Status { status: status.as_u16(), detail: shorten(&text) });
    }
    let value: Value = serde_json::from_str(&text)
        .map_err(|_| BackendError::BadAnswer(format!("not JSON-RPC: {}", shorten(&text))))?;
    if let Some(error) = value.get("error") {
        return Err(BackendError::Failed(format!("{method}: {}", shorten(&error.to_string()))));
    }
    value.get("result").cloned().ok_or_else(|| BackendError::BadAnswer(format!("{method} returned no result")))
}

fn parts_text(parts: &Value) -> String {
    parts.as_array().into_iter().flatten().filter_map(|p| p["text"].as_str()).collect::<Vec<_>>().join("")
}

fn state(task: &Value) -> String {
    task["status"]["state"].as_str().unwrap_or("").to_lowercase().trim_start_matches("task_state_").replace('_', "-")
}

fn task_text(task: &Value) -> String {
    let from_artifacts: String = task["artifacts"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|a| parts_text(&a["parts"]))
        .collect::<Vec<_>>()
        .join("\n");
    if from_artifacts.is_empty() { parts_text(&task["status"]["message"]["parts"]) } else { from_artifacts }
}

pub(super) async fn call(
    http: &reqwest::Client,
    url: &str,
    api_key: Option<&WebhookSecret>,
    request: &AgentRequest,
) -> Result<AgentReply, BackendError> {
    let message = json!({
        "messageId": request.idempotency_key,
        "role": "ROLE_USER",
        "parts": [{"text": request.context}],
        "metadata": {"agentName": request.agent_name, "projectId": request.project_id},
    });
    let result = rpc(http, url, api_key, "SendMessage", json!({"message": message}), &request.idempotency_key).await?;
    if let Some(reply) = result.get("message") {
        return Ok(AgentReply::Answer(parts_text(&reply["parts"])));
    }
    let mut task = result.get("task").cloned().unwrap_or(result);
    let id = task["id"]
        .as_str()
        .ok_or_else(|| BackendError::BadAnswer("SendMessage returned neither a message nor a task".into()))?
        .to_owned();
    let mut delay = Duration::from_millis(200);
    loop {
        match state(&task).as_str() {
            "completed" => return Ok(AgentReply::Answer(task_text(&task))),
            "input-required" | "auth-required" => return Ok(AgentReply::NeedsInput(task_text(&task))),
            "failed" | "rejected" | "canceled" | "cancelled" => {
                return Err(BackendError::Failed(format!("A2A task {}: {}", state(&task), task_text(&task))));
            }
            _ => {}
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(5));
        task = rpc(http, url, api_key, "GetTask", json!({"id": id}), &request.idempotency_key).await?;
        if let Some(inner) = task.get("task").cloned() {
            task = inner;
        }
    }
}

//! The plain HTTP back-end.
//!
//! Request: `POST url` with `{"agentName", "kind", "prompt", "context", "instructions",
//! "projectId", "idempotencyKey"}`. Answer: `{"text": "…"}` (also `reply`, `answer` or
//! `output`), or `{"status": "input-required", "text": "<question>"}`.

use bridge_core::model::WebhookSecret;
use serde_json::{Value, json};

use super::{AgentReply, AgentRequest, BackendError, shorten, transport};

pub(super) async fn call(
    http: &reqwest::Client,
    url: &str,
    api_key: Option<&WebhookSecret>,
    request: &AgentRequest,
) -> Result<AgentReply, BackendError> {
    let body = json!({
        "agentName": request.agent_name,
        "kind": request.kind,
        "prompt": request.prompt,
        "context": request.context,
        "instructions": request.instructions,
        "projectId": request.project_id,
        "idempotencyKey": request.idempotency_key,
    });
    let mut builder = http.post(url).header("idempotency-key", &request.idempotency_key).json(&body);
    if let Some(key) = api_key {
        builder = builder.bearer_auth(key.expose());
    }
    let response = builder.send().await.map_err(|e| transport(&e))?;
    let status = response.status();
    let text = response.text().await.map_err(|e| transport(&e))?;
    if !status.is_success() {
        return Err(BackendError::Status { status: status.as_u16(), detail: shorten(&text) });
    }
    let value: Value = serde_json::from_str(&text)
        .map_err(|_| BackendError::BadAnswer(format!("expected JSON, got {}", shorten(&text))))?;
    let answer = ["text", "reply", "answer", "output"]
        .iter()
        .find_map(|k| value[k].as_str())
        .ok_or_else(|| BackendError::BadAnswer("expected a \"text\" field".into()))?
        .to_owned();
    match value["status"].as_str() {
        Some("input-required") => Ok(AgentReply::NeedsInput(answer)),
        Some("failed") => Err(BackendError::Failed(answer)),
        _ => Ok(AgentReply::Answer(answer)),
    }
}

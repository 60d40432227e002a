//! OpenAI-compatible chat completions (`POST {base}/chat/completions`), streamed as SSE
//! when asked, which is also how the OpenClaw gateway is reached.

use bridge_core::model::WebhookSecret;
use futures_util::StreamExt as _;
use serde_json::{Value, json};

use super::sse::SseParser;
use super::{AgentReply, AgentRequest, BackendError, shorten, transport};

pub(super) async fn call(
    http: &reqwest::Client,
    base: &str,
    model: &str,
    api_key: Option<&WebhookSecret>,
    stream: bool,
    request: &AgentRequest,
    on_text: &mut (dyn FnMut(&str) + Send),
) -> Result<AgentReply, BackendError> {
    let mut messages = Vec::new();
    if let Some(instructions) = request.instructions.as_deref().filter(|i| !i.trim().is_empty()) {
        messages.push(json!({"role": "system", "content": instructions}));
    }
    messages.push(json!({"role": "user", "content": request.context}));
    let body = json!({"model": model, "messages": messages, "stream": stream, "user": request.agent_name});
    let mut builder =
        http.post(format!("{base}/chat/completions")).header("idempotency-key", &request.idempotency_key).json(&body);
    if let Some(key) = api_key {
        builder = builder.bearer_auth(key.expose());
    }
    let response = builder.send().await.map_err(|e| transport(&e))?;
    let status = response.status();
    if !status.is_success() {
        let detail = response.text().await.unwrap_or_default();
        return Err(BackendError::Status { status: status.as_u16(), detail: shorten(&detail) });
    }
    let is_sse = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/event-stream"));
    if !is_sse {
        let value: Value = response.json().await.map_err(|e| BackendError::BadAnswer(e.to_string()))?;
        let text = value["choices"][0]["message"]["content"]
            .as_str()
            .ok_or_else(|| BackendError::BadAnswer("no choices[0].message.content".into()))?;
        on_text(text);
        return Ok(AgentReply::Answer(text.to_owned()));
    }
    let mut parser = SseParser::default();
    let mut text = String::new();
    let mut done = false;
    let mut chunks = response.bytes_stream();
    'read: while let Some(chunk) = chunks.next().await {
        let chunk = chunk.map_err(|e| transport(&e))?;
        for data in parser.feed(&String::from_utf8_lossy(&chunk)) {
            if data.trim() == "[DONE]" {
                done = true;
                break 'read;
            }
            let value: Value = serde_json::from_str(&data)
                .map_err(|e| BackendError::BadAnswer(format!("stream chunk is not JSON: {e}")))?;
            if let Some(error) = value.get("error") {
                return Err(BackendError::Failed(shorten(&error.to_string())));
            }
            if let Some(piece) = value["choices"][0]["delta"]["content"].as_str() {
                text.push_str(piece);
                on_text(piece);
            }
        }
    }
    if !done {
        if let Some(data) = parser.finish().filter(|d| d.trim() != "[DONE]") {
            if let Some(piece) = serde_json::from_str::<Value>(&data)
                .ok()
                .and_then(|v| v["choices"][0]["delta"]["content"].as_str().map(str::to_owned))
            {
                text.push_str(&piece);
                on_text(&piece);
            }
        } else if text.is_empty() {
            return Err(BackendError::Unavailable("stream ended before [DONE]".into()));
        }
    }
    Ok(AgentReply::Answer(text))
}

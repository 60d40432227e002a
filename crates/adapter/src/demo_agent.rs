//! The quick start's built-in demo agent: a tiny OpenAI-compatible server on loopback
//! that answers by echoing the last user message, streamed word by word (SSE) when asked.
//! It exercises the real `openai` back-end path.

use axum::Json;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// The answer for a prompt: the last `User:` line of the context, echoed.
#[must_use]
pub fn answer_for(context: &str) -> String {
    let last = context.split("\n\n").filter_map(|block| block.strip_prefix("User: ")).last().unwrap_or(context).trim();
    let words: Vec<&str> = last.split_whitespace().filter(|w| !w.starts_with('@')).collect();
    format!("Hello! You said: \"{}\"", words.join(" "))
}

async fn completions(Json(request): Json<Value>) -> Response {
    let prompt = request["messages"]
        .as_array()
        .and_then(|m| m.iter().rev().find(|m| m["role"] == "user"))
        .and_then(|m| m["content"].as_str())
        .unwrap_or("");
    let answer = answer_for(prompt);
    if request["stream"] == true {
        let mut body = String::new();
        for (index, word) in answer.split(' ').enumerate() {
            let piece = if index == 0 { word.to_owned() } else { format!(" {word}") };
            let chunk = json!({"id": "demo", "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": null}]});
            body.push_str(&format!("data: {chunk}\n\n"));
        }
        body.push_str("data: [DONE]\n\n");
        ([("content-type", "text/event-stream")], body).into_response()
    } else {
        Json(json!({"id": "demo", "object": "chat.completion", "choices": [{"index": 0, "message": {"role": "assistant", "content": answer}, "finish_reason": "stop"}]})).into_response()
    }
}

/// Serves the demo agent on `listener` (base URL `http://<addr>/v1`) until `shutdown`.
///
/// # Errors
/// The listener's I/O error.
pub async fn serve(listener: TcpListener, shutdown: CancellationToken) -> std::io::Result<()> {
    let app = axum::Router::new().route("/v1/chat/completions", post(completions)).route(
        "/v1/models",
        get(|| async { Json(json!({"object": "list", "data": [{"id": "demo-echo", "object": "model"}]})) }),
    );
    axum::serve(listener, app).with_graceful_shutdown(shutdown.cancelled_owned()).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echoes_the_final_user_message_without_mentions() {
        let context = "Respond ONLY to the final user message. Previous messages are for context.\n\nUser: earlier\n\nUser: @Echo hello there";
        assert_eq!(answer_for(context), "Hello! You said: \"hello there\"");
    }
}

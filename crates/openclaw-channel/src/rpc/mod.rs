//! JSON-RPC 2.0 over line-delimited stdio: framing, messages and dispatch.
//!
//! One reader (this loop) owns the input and one writer task owns the output; the
//! output carries nothing but protocol lines. Cheap calls (the `stream.*` family) are
//! answered in input order; the rest (`account.start`, sends, status) run on tasks of
//! their own so a slow hub never holds up a streamed answer. A malformed line is
//! answered with `-32700`/`-32600`/`-32602` and the engine keeps reading.
//!
//! Shutdown: end of input, a `shutdown` request or the cancellation token stops every
//! account (see [`Engine::shutdown`]), lets the answers in flight be written, and returns.

pub mod dispatch;
pub mod framing;
pub mod message;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use tokio::io::{AsyncBufRead, AsyncWrite};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use self::framing::{LineRead, MAX_LINE_BYTES, next_line, write_line};
use self::message::{Outgoing, RpcError, code, parse_line};
use crate::engine::{Engine, EngineEvent};

/// Lines waiting for the writer before the reader waits for it.
const OUTPUT_QUEUE: usize = 1024;

/// Why serving ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ended {
    /// The input ended (the plugin closed stdin or died).
    Eof,
    /// A `shutdown` request.
    ShutdownRequest,
    /// The cancellation token (a signal).
    Cancelled,
}

/// Serves JSON-RPC on `input`/`output` with account state under `state_dir`, until the
/// input ends, `shutdown` is called or `cancel` fires.
///
/// # Errors
/// Reading the input failed.
pub async fn serve<R, W>(input: R, output: W, state_dir: PathBuf, cancel: CancellationToken) -> std::io::Result<Ended>
where
    R: AsyncBufRead + Unpin + Send,
    W: AsyncWrite + Unpin + Send + 'static,
{
    let (out_tx, out_rx) = mpsc::channel::<Outgoing>(OUTPUT_QUEUE);
    let (event_tx, event_rx) = mpsc::channel::<EngineEvent>(OUTPUT_QUEUE);
    let engine = Arc::new(Engine::new(state_dir, event_tx));
    let writer = tokio::spawn(write_loop(output, out_rx));
    let forwarder = tokio::spawn(forward_events(event_rx, out_tx.clone()));
    let handlers = TaskTracker::new();
    let mut input = input;

    let ended = loop {
        // `next_line` is not cancel-safe; losing a half-read line matters only at shutdown.
        let read = tokio::select! {
            () = cancel.cancelled() => break Ok(Ended::Cancelled),
            read = next_line(&mut input, MAX_LINE_BYTES) => read,
        };
        let line = match read {
            Ok(LineRead::Eof) => break Ok(Ended::Eof),
            Err(err) => break Err(err),
            Ok(LineRead::TooLong(bytes)) => {
                let error = RpcError::new(
                    code::PARSE_ERROR,
                    format!("line of {bytes} bytes is over the {MAX_LINE_BYTES}-byte limit; it was skipped"),
                );
                let _ = out_tx.send(Outgoing::error(None, error)).await;
                continue;
            }
            Ok(LineRead::Line(bytes)) => bytes,
        };
        let Ok(text) = String::from_utf8(line) else {
            let _ = out_tx.send(Outgoing::error(None, RpcError::new(code::PARSE_ERROR, "line is not UTF-8"))).await;
            continue;
        };
        if text.trim().is_empty() {
            continue;
        }
        let incoming = match parse_line(&text) {
            Ok(incoming) => incoming,
            Err((id, error)) => {
                tracing::warn!(code = error.code, message = %error.message, "malformed line from the plugin");
                let _ = out_tx.send(Outgoing::error(id, error)).await;
                continue;
            }
        };
        if incoming.method == "shutdown" {
            if let Some(id) = incoming.id {
                engine.shutdown().await;
                let _ = out_tx.send(Outgoing::result(id, json!({"stopped": true}))).await;
            }
            break Ok(Ended::ShutdownRequest);
        }
        let inline = dispatch::is_inline(&incoming.method);
        let (engine, out) = (engine.clone(), out_tx.clone());
        let work = async move {
            let method = incoming.method;
            let result = dispatch::call(&engine, &method, incoming.params).await;
            match (incoming.id, result) {
                (Some(id), Ok(value)) => {
                    let _ = out.send(Outgoing::result(id, value)).await;
                }
                (Some(id), Err(error)) => {
                    tracing::debug!(%method, code = error.code, message = %error.message, "request failed");
                    let _ = out.send(Outgoing::error(Some(id), error)).await;
                }
                (None, Ok(_)) => {}
                (None, Err(error)) => {
                    tracing::warn!(%method, code = error.code, message = %error.message, "notification failed");
                }
            }
        };
        if inline {
            work.await;
        } else {
            handlers.spawn(work);
        }
    };

    engine.shutdown().await;
    handlers.close();
    if tokio::time::timeout(Duration::from_secs(5), handlers.wait()).await.is_err() {
        tracing::warn!("requests still running at shutdown were dropped");
    }
    forwarder.abort();
    drop(out_tx);
    drop(engine);
    let _ = tokio::time::timeout(Duration::from_secs(5), writer).await;
    ended
}

async fn forward_events(mut events: mpsc::Receiver<EngineEvent>, out: mpsc::Sender<Outgoing>) {
    while let Some(event) = events.recv().await {
        let (method, params) = dispatch::notification(event);
        if out.send(Outgoing::notification(method, params)).await.is_err() {
            return;
        }
    }
}

async fn write_loop<W: AsyncWrite + Unpin>(mut output: W, mut lines: mpsc::Receiver<Outgoing>) {
    while let Some(line) = lines.recv().await {
        let text = match serde_json::to_string(&line) {
            Ok(text) => text,
            Err(err) => {
                tracing::error!(error = %err, "could not encode an outgoing line");
                continue;
            }
        };
        if let Err(err) = write_line(&mut output, &text).await {
            tracing::warn!(error = %err, "the plugin stopped reading; output ends");
            return;
        }
    }
}

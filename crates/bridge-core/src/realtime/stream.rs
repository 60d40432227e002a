//! Streaming a reply live: `typing`, then `chunk`s batched every 200 ms (all with
//! `messageId` = the answer's id), then `response` or `error`, then the answer persisted
//! over REST under that same id (protocol.md section 5), so the hub does not publish it
//! a second time and history holds exactly one copy.

use std::fmt::Display;
use std::time::Duration;

use futures_util::{Stream, StreamExt as _};

use super::Channel;
use crate::client::{Client, ClientError};
use crate::model::{ChatPayload, Message, MessageType};
use crate::routing::reply::ReplyStream;

/// How often buffered text is flushed as a chunk.
pub const CHUNK_EVERY: Duration = Duration::from_millis(200);

/// What a streamed reply ended as.
#[derive(Debug)]
pub struct StreamedReply {
    /// The stored message (id = the answer's id).
    pub message: Message,
    /// The complete text (or the error text).
    pub text: String,
    /// Whether the agent failed (an `error` was published).
    pub failed: bool,
    /// Chunks published.
    pub chunks: usize,
    /// Realtime publishes that failed (the stored answer is complete regardless).
    pub publish_failures: usize,
}

async fn publish(channel: &Channel, payload: &ChatPayload, failures: &mut usize) {
    if let Err(err) = channel.publish_json("message", payload).await {
        *failures += 1;
        tracing::warn!(%err, kind = ?payload.kind, "live publish failed; the stored answer will still be complete");
    }
}

/// One step of an agent's answer, for [`stream_reply_events`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReplyEvent {
    /// More text.
    Token(String),
    /// The complete answer. Overrides the tokens seen so far (a back-end that does not
    /// stream sends only this); anything it adds beyond them goes out as a last chunk.
    Final(String),
    /// The agent failed.
    Failed(String),
}

/// Streams `tokens` into `channel` as the reply described by `reply`, then persists the
/// answer through `rest`. Realtime publish failures are counted, not fatal: the persisted
/// message is the record. Fails only when persisting fails.
pub async fn stream_reply<S, E>(
    channel: &Channel,
    rest: &Client,
    reply: &ReplyStream,
    tokens: S,
    flush_every: Duration,
) -> Result<StreamedReply, ClientError>
where
    S: Stream<Item = Result<String, E>>,
    E: Display,
{
    let events = tokens.map(|token| match token {
        Ok(text) => ReplyEvent::Token(text),
        Err(err) => ReplyEvent::Failed(err.to_string()),
    });
    stream_reply_events(channel, rest, reply, events, flush_every).await
}

/// [`stream_reply`] over [`ReplyEvent`]s. The stream ending without `Final` or `Failed`
/// means the tokens were the whole answer.
pub async fn stream_reply_events<S>(
    channel: &Channel,
    rest: &Client,
    reply: &ReplyStream,
    events: S,
    flush_every: Duration,
) -> Result<StreamedReply, ClientError>
where
    S: Stream<Item = ReplyEvent>,
{
    let mut failures = 0;
    publish(channel, &reply.typing(), &mut failures).await;
    let mut events = std::pin::pin!(events);
    let mut text = String::new();
    let mut pending = String::new();
    let mut chunks = 0;
    let mut failure: Option<String> = None;
    let mut ticker = tokio::time::interval(flush_every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticker.tick().await;
    loop {
        tokio::select! {
            event = events.next() => match event {
                Some(ReplyEvent::Token(piece)) => {
                    text.push_str(&piece);
                    pending.push_str(&piece);
                }
                Some(ReplyEvent::Final(complete)) => {
                    if let Some(rest_of_it) = complete.strip_prefix(text.as_str()) {
                        pending.push_str(rest_of_it);
                    }
                    text = complete;
                    break;
                }
                Some(ReplyEvent::Failed(reason)) => {
                    failure = Some(reason);
                    break;
                }
                None => break,
            },
            _ = ticker.tick() => {
                if !pending.is_empty() {
                    publish(channel, &reply.chunk(std::mem::take(&mut pending)), &mut failures).await;
                    chunks += 1;
                }
            }
        }
    }
    if !pending.is_empty() && failure.is_none() {
        publish(channel, &reply.chunk(std::mem::take(&mut pending)), &mut failures).await;
        chunks += 1;
    }
    let (final_text, kind, failed) = match failure {
        None => (text, MessageType::Response, false),
        Some(reason) => (format!("Error: {reason}"), MessageType::Error, true),
    };
    let payload = if failed { reply.error(final_text.clone()) } else { reply.response(final_text.clone()) };
    publish(channel, &payload, &mut failures).await;
    let message = rest.post_message(&reply.project_id, &reply.persist(kind, final_text.clone())).await?;
    Ok(StreamedReply { message, text: final_text, failed, chunks, publish_failures: failures })
}

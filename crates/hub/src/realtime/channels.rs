//! Channels: fan-out of published messages to attached connections, with a bounded
//! per-channel history for serials.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::broadcast;

use super::protocol::WireMessage;

/// Messages buffered per subscriber before it counts as a slow consumer.
pub const SUBSCRIBER_BUFFER: usize = 1024;

/// One publish on a channel.
#[derive(Clone, Debug)]
pub struct ChannelEvent {
    /// The channel.
    pub channel: String,
    /// Its serial on the channel.
    pub serial: String,
    /// The messages.
    pub messages: Vec<WireMessage>,
    /// The publishing connection (empty for the server itself).
    pub from_connection: String,
}

#[derive(Debug)]
struct Channel {
    sender: broadcast::Sender<Arc<ChannelEvent>>,
    next_serial: AtomicU64,
}

/// Every channel with attached connections (or recent publishes).
#[derive(Debug, Default)]
pub struct Channels {
    map: Mutex<HashMap<String, Arc<Channel>>>,
}

impl Channels {
    fn channel(&self, name: &str) -> Arc<Channel> {
        let mut map = self.map.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        map.entry(name.to_owned())
            .or_insert_with(|| {
                Arc::new(Channel { sender: broadcast::channel(SUBSCRIBER_BUFFER).0, next_serial: AtomicU64::new(0) })
            })
            .clone()
    }

    /// Subscribes to a channel.
    pub fn subscribe(&self, name: &str) -> broadcast::Receiver<Arc<ChannelEvent>> {
        self.channel(name).sender.subscribe()
    }

    /// Publishes messages; returns the event's channel serial. Publishing to a channel
    /// nobody is attached to costs a map lookup and nothing else.
    pub fn publish(&self, name: &str, messages: Vec<WireMessage>, from_connection: &str) -> String {
        let channel = self.channel(name);
        let serial = format!("{:x}", channel.next_serial.fetch_add(1, Ordering::Relaxed));
        let event = ChannelEvent {
            channel: name.to_owned(),
            serial: serial.clone(),
            messages,
            from_connection: from_connection.to_owned(),
        };
        let _ = channel.sender.send(Arc::new(event));
        serial
    }
}

/// Publishes a server-originated event (`message` or `task`) on a project's channel.
pub fn publish_to_project(channels: &Channels, project: &str, name: &str, data: serde_json::Value) {
    let message = WireMessage {
        id: Some(format!("hub:{}", uuid::Uuid::new_v4())),
        name: Some(name.to_owned()),
        data,
        timestamp: Some(u64::try_from(crate::clock::now_ms()).unwrap_or(0)),
        ..WireMessage::default()
    };
    channels.publish(&format!("jaibber:project:{project}"), vec![message], "");
}

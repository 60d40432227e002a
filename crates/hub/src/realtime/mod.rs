//! The realtime (Ably-protocol) side of the hub: the token flow and a WebSocket endpoint
//! speaking the JSON format (msgpack, presence, rewind and resume are still to come,
//! issue #6).

pub mod channels;
pub mod connection;
pub mod protocol;
pub mod token;

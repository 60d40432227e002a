//! The realtime (Ably-protocol) side of the hub. This increment holds the token flow; the
//! WebSocket endpoint is still to come (issue #6).

pub mod token;

//! The Ably realtime protocol as Jaibber uses it (shared/realtime.md): protocol frames,
//! presence, error codes and the two wire formats (`json` and `msgpack`).
//!
//! The hub serves these frames and [`crate::realtime`] (feature `realtime`) speaks them as
//! a client. This module is transport-free: no sockets, no tokio.

pub mod codec;
pub mod errors;
pub mod frame;
pub mod message;

pub use codec::{CodecError, Format};
pub use frame::{Action, ConnectionDetails, ErrorInfo, ProtocolMessage, flags};
pub use message::{MessageData, PresenceAction, PresenceMessage, WireMessage};

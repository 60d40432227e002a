//! The rules every agent-side client follows (protocol.md section 6): who an `@mention`
//! addresses, whether to answer a message at all, the loop-prevention fields of a
//! reply, and the conversation context handed to an LLM.
//!
//! These are pure functions over the wire model, shared by the bridge, the OpenClaw
//! engine and the hub (which fills `mentions` on stored messages).

pub mod context;
pub mod mention;
pub mod reply;
pub mod respond;

pub use context::{ContextEntry, ConversationContext, Speaker};
pub use mention::{MentionMatcher, mention_tokens, mentions};
pub use reply::{ReplyLoopFields, ReplyStream};
pub use respond::{Decision, Incoming, IncomingKind, RespondPolicy, SkipReason, is_deregister_for};

#![doc = include_str!("../README.md")]
#![warn(missing_docs, missing_debug_implementations)]
#![warn(clippy::pedantic)]
// Allowed pedantic lints, each for a reason:
#![allow(
    // Wire types are named after the protocol resource (`model::message::Message`).
    clippy::module_name_repetitions,
    // `# Errors` sections are written where the error is not obvious from the type.
    clippy::missing_errors_doc,
    // Builders return `Self`; marking each one `#[must_use]` is done on the type instead.
    clippy::return_self_not_must_use,
    // Product and protocol names (OpenClaw, TokenRequest) read better without backticks.
    clippy::doc_markdown,
    // Defaults of `wire_enum!` enums are written by hand: the macro owns the derives.
    clippy::derivable_impls
)]

pub mod ably;
pub mod model;
pub mod routing;
pub mod schema;
pub mod signing;

#[cfg(feature = "client")]
pub mod client;

#[cfg(feature = "realtime")]
pub mod realtime;

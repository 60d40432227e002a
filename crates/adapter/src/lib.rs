//! `jaibber-bridge`: relays Jaibber messages and tasks to any agent and posts the answers
//! back, without losing or repeating an event.
//!
//! Events arrive as signed webhooks ([`receive::webhook`]) or by polling
//! ([`receive::poll`]), are stored in a SQLite inbox ([`store`]) before they are
//! acknowledged, and are worked by the [`relay`], which calls the agent's [`backend`] and
//! posts replies with ids derived from the event, so a retry is never a duplicate.
#![warn(missing_docs, missing_debug_implementations)]

pub mod backend;
pub mod bridge;
pub mod config;
pub mod demo_agent;
pub mod live;
pub mod metrics;
pub mod quickstart;
pub mod receive;
pub mod registration;
pub mod relay;
pub mod route;
pub mod store;

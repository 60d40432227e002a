//! How events reach the inbox: signed webhooks or REST polling.

pub mod poll;
pub mod realtime;
pub mod webhook;

//! Integration tests: the hub on a real loopback listener with a temp SQLite data dir,
//! spoken to over real HTTP through bridge-core's client.

mod ably_js;
mod access;
mod flow;
mod input;
mod oauth;
mod quotas;
mod realtime_client;
mod realtime_token;
mod realtime_ws;
mod restart;
mod support;
mod ts_official;
mod webhooks;

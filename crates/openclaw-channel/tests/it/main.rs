//! Integration tests of the Jaibber OpenClaw channel: the engine's JSON-RPC surface, the
//! engine against a real hub, and the plugin inside a real OpenClaw gateway.

mod engine_flow;
mod gateway;
mod plugin_js;
mod rpc_errors;
mod support;

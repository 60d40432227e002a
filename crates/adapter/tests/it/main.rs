//! End-to-end tests of the bridge against the real hub on loopback and a stub LLM.

mod backends;
mod cli;
mod durability;
mod poll;
mod realtime;
mod support;
mod tasks;
mod webhook;

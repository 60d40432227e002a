//! Integration tests of bridge-core: tolerant decoding of every documented variant,
//! schema drift and validation, signatures against independent implementations, wire
//! snapshots, and the REST client against a real HTTP server on loopback.

mod client;
mod decoding;
mod schemas;
mod signing;
mod snapshots;

use std::path::PathBuf;

/// Reads a fixture under `tests/fixtures/`.
pub fn fixture(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading fixture {}: {e}", path.display()))
}

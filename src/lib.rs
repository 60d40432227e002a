//! The Jaibber bridge toolkit's root package: it holds the cross-crate examples
//! (`examples/`) and end-to-end tests (`tests/`), and re-exports the crates they use.

pub use bridge_core;

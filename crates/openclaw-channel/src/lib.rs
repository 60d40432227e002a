//! Not built yet. This crate is a placeholder in the workspace layout; nothing in it
//! works, and it exports nothing. See the README's status table.

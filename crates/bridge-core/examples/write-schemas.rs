//! Writes the JSON Schemas generated from the model into `schemas/` at the workspace root.
//!
//! Run after changing a wire type: `cargo run -p bridge-core --example write-schemas`.

use std::path::PathBuf;

fn main() -> std::io::Result<()> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../schemas");
    std::fs::create_dir_all(&dir)?;
    for file in bridge_core::schema::all() {
        let path = dir.join(file.file_name);
        std::fs::write(&path, bridge_core::schema::render(&file.schema))?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

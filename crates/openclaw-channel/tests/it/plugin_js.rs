//! The plugin's JavaScript glue (`plugin/test/*.test.mjs`, `node --test`) against the real
//! engine binary. Needs Node on PATH: the test command puts Node 24 there and sets
//! `JAIBBER_JS_MODULES` and `JAIBBER_REQUIRE_JS=1`; without them the test says so.

use std::path::Path;
use std::time::Duration;

#[tokio::test]
async fn the_plugin_glue_passes_its_node_tests() {
    if std::env::var_os("JAIBBER_JS_MODULES").is_none() {
        assert_ne!(std::env::var("JAIBBER_REQUIRE_JS").as_deref(), Ok("1"), "JAIBBER_REQUIRE_JS=1 but no Node tools");
        eprintln!("skipped: run `eval \"$(scripts/node-tools)\"` first (the test command does)");
        return;
    }
    let tests = Path::new(env!("CARGO_MANIFEST_DIR")).join("plugin/test/engine.test.mjs");
    let run = tokio::process::Command::new("node")
        .arg("--test")
        .arg(&tests)
        .env("JAIBBER_OPENCLAW_ENGINE", env!("CARGO_BIN_EXE_jaibber-openclaw"))
        .kill_on_drop(true)
        .output();
    let output =
        tokio::time::timeout(Duration::from_secs(120), run).await.expect("node --test in 2 min").expect("node");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "node --test failed:\n{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("ℹ pass 4") && stdout.contains("ℹ fail 0"), "all four plugin tests ran:\n{stdout}");
}

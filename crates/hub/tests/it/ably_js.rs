//! Compatibility: the official `ably` npm client (ably-js 2.x, Node 24) against the hub,
//! in both wire formats. `scripts/node-tools` installs Node and `ably` under `.tools/`;
//! the test command exports `JAIBBER_JS_MODULES` and `JAIBBER_REQUIRE_JS=1`. Without
//! them (a plain `cargo test` on a machine without Node) these tests say so and pass
//! nothing off as checked.

use std::path::PathBuf;
use std::time::Duration;

use bridge_core::model::PlanId;
use tokio::process::Command;

use crate::support::TestHub;

fn js_modules() -> Option<PathBuf> {
    let modules = std::env::var_os("JAIBBER_JS_MODULES").map(PathBuf::from);
    let usable = modules.filter(|m| m.join("ably/package.json").is_file());
    if usable.is_none() {
        assert!(
            std::env::var("JAIBBER_REQUIRE_JS").as_deref() != Ok("1"),
            "JAIBBER_REQUIRE_JS=1 but JAIBBER_JS_MODULES has no `ably`; run scripts/node-tools"
        );
        eprintln!("skipping ably-js compatibility: run `eval \"$(scripts/node-tools)\"` first (the test command does)");
    }
    usable
}

async fn run_scenarios(hub: &TestHub, format: &str, scenarios: &[&str]) {
    let Some(modules) = js_modules() else { return };
    let (jwt, user_id) = hub.user_jwt("alice").await;
    let owner = hub.client(bridge_core::client::Credential::Jwt(jwt.clone().into()));
    let org = hub.org(&owner, "A", PlanId::Team).await;
    let project = hub.project(&owner, &org, "P").await;
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/ably-js/compat.mjs");
    let run = Command::new("node")
        .arg(&script)
        .env("HUB_URL", &hub.base)
        .env("HUB_JWT", &jwt)
        .env("HUB_USER_ID", &user_id)
        .env("HUB_PROJECT", project.id.as_str())
        .env("ABLY_FORMAT", format)
        .env("SCENARIOS", scenarios.join(","))
        .env("JAIBBER_JS_MODULES", &modules)
        .kill_on_drop(true)
        .output();
    let output =
        tokio::time::timeout(Duration::from_secs(120), run).await.expect("ably-js within 2 min").expect("node");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "ably-js ({format}) failed:\n{stdout}\n{stderr}");
    for scenario in scenarios {
        assert!(
            stdout.lines().any(|l| l == format!("ok {scenario}")),
            "scenario {scenario} did not report ok:\n{stdout}"
        );
    }
}

const ALL: &[&str] = &["basic", "presence", "rewind", "resume"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ably_js_json_against_the_hub() {
    let hub = TestHub::start().await;
    run_scenarios(&hub, "json", ALL).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ably_js_msgpack_against_the_hub() {
    let hub = TestHub::start().await;
    run_scenarios(&hub, "msgpack", ALL).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ably_js_renews_an_expired_token_and_resumes() {
    let hub = TestHub::start_with(|c| c.realtime.token_ttl = Duration::from_secs(2)).await;
    run_scenarios(&hub, "msgpack", &["renew"]).await;
}

//! The binary's commands as a user runs them.

use std::io::Write as _;
use std::process::{Command, Stdio};

use bridge_core::signing::jaibber::JaibberSigner;

fn bridge() -> Command {
    Command::new(env!("CARGO_BIN_EXE_jaibber-bridge"))
}

#[test]
fn quickstart_shows_the_agent_answering() {
    let output = bridge().arg("quickstart").env("RUST_LOG", "error").output().expect("run quickstart");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("@Echo hello"), "{stdout}");
    assert!(stdout.lines().any(|l| l.starts_with("Echo") && l.contains("Hello! You said: \"hello\"")), "{stdout}");
}

fn verify(signature: &str, body: &[u8], secret: Option<&str>) -> i32 {
    let mut command = bridge();
    command.args(["verify", "--secret-env", "QS_SECRET", "--signature", signature]).env_remove("QS_SECRET");
    if let Some(secret) = secret {
        command.env("QS_SECRET", secret);
    }
    let mut child = command.stdin(Stdio::piped()).stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("spawn");
    // `verify` may exit before reading (usage errors), closing the pipe: not a failure.
    let _ = child.stdin.take().expect("stdin").write_all(body);
    child.wait().expect("wait").code().unwrap_or(-1)
}

#[test]
fn verify_exit_codes() {
    let body = br#"{"event":"task.created"}"#;
    let signature = JaibberSigner::new("whsec_cli").expect("secret").sign(body);
    assert_eq!(verify(&signature, body, Some("whsec_cli")), 0);
    assert_eq!(verify(&signature, b"{}", Some("whsec_cli")), 1);
    assert_eq!(verify(&signature, body, None), 2);
    let usage = bridge().arg("verify").output().expect("run");
    assert_eq!(usage.status.code(), Some(2), "missing arguments are a usage error");
}

#[test]
fn check_reports_every_problem() {
    let output = bridge()
        .args(["check", "--mode", "webhook", "--agent-name", "A", "--backend", "http"])
        .env_clear()
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    let stdout = String::from_utf8_lossy(&output.stdout);
    for expected in ["hub URL is missing", "API key is missing", "webhook mode needs", "needs a url"] {
        assert!(stdout.contains(expected), "{expected} in {stdout}");
    }
}

#[tokio::test]
async fn check_tests_hub_and_agent_reachability() {
    let hub = crate::support::Hub::start().await;
    let (llm_url, _) = crate::support::Llm::start().await;
    let run = |url: String| {
        let (hub_url, key) = (hub.base.clone(), hub.seed.api_key.clone());
        tokio::task::spawn_blocking(move || {
            bridge()
                .args(["check", "--agent-name", "Echo", "--backend", "openai", "--backend-url", &url])
                .env("JAIBBER_HUB_URL", hub_url)
                .env("JAIBBER_API_KEY", key)
                .output()
                .expect("run")
        })
    };
    let ok = run(llm_url).await.expect("join");
    let stdout = String::from_utf8_lossy(&ok.stdout);
    assert!(ok.status.success(), "{stdout}");
    assert!(stdout.contains("ok   hub:") && stdout.contains("ok   agent Echo"), "{stdout}");
    assert!(!stdout.contains(&hub.seed.api_key), "the key is never printed");

    let down = run("http://127.0.0.1:9/v1".into()).await.expect("join");
    let stdout = String::from_utf8_lossy(&down.stdout);
    assert_eq!(down.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("FAIL agent Echo"), "{stdout}");
}

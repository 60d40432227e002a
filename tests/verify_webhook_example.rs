//! Runs the `verify_webhook` example binary the way a user would: body on stdin.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use bridge_core::signing::jaibber::JaibberSigner;

fn example_binary() -> PathBuf {
    let deps = std::env::current_exe().expect("test binary path");
    let debug_dir = deps.parent().and_then(|p| p.parent()).expect("target/<profile>");
    debug_dir.join("examples").join(format!("verify_webhook{}", std::env::consts::EXE_SUFFIX))
}

fn run(signature: &str, body: &[u8], secret: Option<&str>) -> (i32, String, String) {
    let mut command = Command::new(example_binary());
    command.args(["--secret-env", "VERIFY_TEST_SECRET", "--signature", signature]);
    command.env_remove("VERIFY_TEST_SECRET");
    if let Some(secret) = secret {
        command.env("VERIFY_TEST_SECRET", secret);
    }
    let mut child =
        command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn example");
    // The program may exit before reading (usage errors), closing the pipe: not a failure.
    let _ = child.stdin.take().expect("stdin").write_all(body);
    let out = child.wait_with_output().expect("wait");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const SECRET: &str = "whsec_example_secret";
const BODY: &[u8] = br#"{"event":"task.completed","deliveryId":"d_9","data":{"id":"t1","projectId":"p1","title":"Ship","status":"completed","result":"done"}}"#;

#[test]
fn valid_signature_exits_zero_and_prints_the_event() {
    let signature = JaibberSigner::new(SECRET).expect("secret").sign(BODY);
    let (code, stdout, _) = run(&signature, BODY, Some(SECRET));
    assert_eq!(code, 0);
    assert_eq!(stdout.trim(), "valid task.completed delivery d_9: task t1 (completed)");
}

#[test]
fn tampered_body_exits_one_without_leaking_the_secret() {
    let signature = JaibberSigner::new(SECRET).expect("secret").sign(BODY);
    let mut tampered = BODY.to_vec();
    tampered[10] ^= 1;
    let (code, stdout, stderr) = run(&signature, &tampered, Some(SECRET));
    assert_eq!(code, 1);
    assert!(stdout.is_empty());
    assert!(stderr.contains("does not match"), "{stderr}");
    assert!(!stderr.contains(SECRET));
}

#[test]
fn missing_secret_is_a_usage_error() {
    let (code, _, stderr) = run("sha256=00", BODY, None);
    assert_eq!(code, 2);
    assert!(stderr.contains("VERIFY_TEST_SECRET is not set"), "{stderr}");
}

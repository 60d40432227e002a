//! Malformed input gets JSON-RPC errors and the engine keeps serving; stdin EOF ends it.

use std::process::Stdio;
use std::time::Duration;

use serde_json::json;

use crate::support::{Hub, Peer};

#[tokio::test]
async fn bad_lines_get_errors_and_the_engine_keeps_serving() {
    let state = tempfile::tempdir().expect("temp dir");
    let (mut peer, engine) = Peer::in_memory(state.path());

    peer.send_line("{this is not json").await;
    let parse = peer.response().await;
    assert_eq!(parse["error"]["code"], -32700);
    assert_eq!(parse["id"], json!(null));

    peer.send_line(r#"{"jsonrpc":"2.0","id":"no-method"}"#).await;
    let invalid = peer.response().await;
    assert_eq!((invalid["error"]["code"].clone(), invalid["id"].clone()), (json!(-32600), json!("no-method")));

    let (code, message) = peer.err("account.fly", json!({})).await;
    assert_eq!(code, -32601);
    assert!(message.contains("account.start"), "the error lists the methods: {message}");

    let (code, message) = peer.err("account.start", json!({"accountId": "default"})).await;
    assert_eq!(code, -32602);
    assert!(message.contains("account"), "{message}");
    let (code, _) = peer.err("stream.chunk", json!({"turnId": 5, "text": "x"})).await;
    assert_eq!(code, -32602, "a number where a string belongs");
    let (code, _) = peer.err("account.status", json!({"accountId": "a", "surprise": true})).await;
    assert_eq!(code, -32602, "unknown params are named, not ignored");

    let (code, message) =
        peer.err("account.start", json!({"accountId": "default", "account": {"hubUrl": "ftp://x"}})).await;
    assert_eq!(code, -32002);
    assert!(message.contains("hubUrl") && message.contains("apiKey"), "every problem at once: {message}");

    assert_eq!(peer.err("account.status", json!({"accountId": "nobody"})).await.0, -32001);
    assert_eq!(peer.err("stream.chunk", json!({"turnId": "gone", "text": "late"})).await.0, -32004);
    assert_eq!(peer.err("stream.end", json!({"turnId": "gone"})).await.0, -32602, "neither text nor error");

    // A notification that fails gets no answer: the next line is the next request's answer.
    peer.send_line(r#"{"jsonrpc":"2.0","method":"no.such.thing","params":{}}"#).await;
    let init = peer.ok("initialize", json!({})).await;
    assert_eq!(init["protocolVersion"], 1);
    assert_eq!(init["engine"], "jaibber-openclaw");

    peer.close().await;
    let ended = tokio::time::timeout(Duration::from_secs(10), engine).await.expect("ends on EOF").expect("join");
    assert_eq!(ended.expect("clean end"), jaibber_openclaw::rpc::Ended::Eof);
}

#[tokio::test]
async fn a_refused_credential_is_a_configuration_error_without_the_secret() {
    let hub = Hub::start().await;
    let state = tempfile::tempdir().expect("temp dir");
    let (mut peer, _engine) = Peer::in_memory(state.path());
    let mut account = hub.account("Claw");
    account["apiKey"] = json!("jb_0000000000000000000000000000000000000000forged");
    let (code, message) = peer.err("account.start", json!({"accountId": "default", "account": account})).await;
    assert_eq!(code, -32002, "{message}");
    assert!(message.contains("refused"), "{message}");
    assert!(!message.contains("forged"), "the key never shows in errors: {message}");

    let (code, message) = peer.err("account.check", json!({"account": account})).await;
    assert_eq!(code, -32002, "the probe of a stopped account says the same: {message}");
    assert!(message.contains("refused") && !message.contains("forged"), "{message}");
    let checked = peer.ok("account.check", json!({"account": hub.account("Claw")})).await;
    assert_eq!(checked["username"], hub.seed.username);

    let mut unknown = hub.account("Claw");
    unknown["projects"] = json!(["No Such Project"]);
    let (code, message) = peer.err("account.start", json!({"accountId": "default", "account": unknown})).await;
    assert_eq!(code, -32002);
    assert!(message.contains("No Such Project") && message.contains("Demo"), "names the known projects: {message}");
}

#[tokio::test]
async fn the_binary_answers_on_stdout_and_exits_cleanly_on_stdin_eof() {
    let state = tempfile::tempdir().expect("temp dir");
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_jaibber-openclaw"))
        .args(["rpc", "--state-dir"])
        .arg(state.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn the engine");
    let mut peer = Peer::new(child.stdin.take().expect("stdin"), child.stdout.take().expect("stdout"));
    peer.send_line("\u{1}garbage").await;
    assert_eq!(peer.response().await["error"]["code"], -32700);
    peer.send_line(&"x".repeat(9 * 1024 * 1024)).await;
    let oversize = peer.response().await;
    assert_eq!(oversize["error"]["code"], -32700);
    assert!(oversize["error"]["message"].as_str().is_some_and(|m| m.contains("limit")), "{oversize}");
    let init = peer.ok("initialize", json!({})).await;
    assert_eq!(init["version"], env!("CARGO_PKG_VERSION"));

    peer.close().await;
    let status =
        tokio::time::timeout(Duration::from_secs(10), child.wait()).await.expect("exits on EOF").expect("wait");
    assert!(status.success(), "clean exit on stdin EOF: {status}");
}

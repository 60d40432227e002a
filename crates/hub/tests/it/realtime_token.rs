//! The Ably token flow over HTTP, with the mac recomputed independently (Python's hmac).

use std::process::Command;

use bridge_core::model::*;
use serde_json::Value;

use crate::support::{TestHub, raw};

fn python_mac(jwt_secret: &str, sign_text: &str) -> String {
    let script = "import base64,hashlib,hmac,sys\nkey=hmac.new(sys.argv[1].encode(),b'jaibber-hub:ably-key',hashlib.sha256).hexdigest()\nprint(base64.b64encode(hmac.new(key.encode(),sys.argv[2].encode(),hashlib.sha256).digest()).decode())";
    let out = Command::new("python3")
        .args(["-c", script, jwt_secret, sign_text])
        .output()
        .expect("python3 is needed for the independent check");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf8").trim().to_owned()
}

#[tokio::test]
async fn token_requests_cover_the_callers_channels_and_exchange_once() {
    let hub = TestHub::start().await;
    let (alice, alice_id) = hub.user("alice").await;
    let (bob, _) = hub.user("bobby").await;
    let org = hub.org(&alice, "A", PlanId::Team).await;
    let mine = hub.project(&alice, &org, "Mine").await;
    let other_org = hub.org(&bob, "B", PlanId::Team).await;
    let theirs = hub.project(&bob, &other_org, "Theirs").await;

    let AblyAuth::Request(request) = alice.ably_token().await.expect("token request") else { panic!("a TokenRequest") };
    assert_eq!((request.key_name.as_str(), request.client_id.as_deref()), ("jaibber.hub", Some(alice_id.as_str())));
    let capability: Value = serde_json::from_str(&request.capability).expect("capability JSON");
    assert_eq!(
        capability[format!("jaibber:project:{}", mine.id)],
        serde_json::json!(["history", "presence", "publish", "subscribe"])
    );
    assert!(capability.get(format!("jaibber:project:{}", theirs.id)).is_none(), "no other tenant's channel");
    assert!(capability.get("jaibber:presence").is_some());

    let secret = std::fs::read_to_string(hub.dir.path().join("jwt-secret")).expect("secret file");
    let text = format!(
        "{}\n{}\n{}\n{}\n{}\n{}\n",
        request.key_name,
        request.ttl.expect("ttl"),
        request.capability,
        alice_id,
        request.timestamp,
        request.nonce
    );
    assert_eq!(request.mac, python_mac(secret.trim(), &text), "mac as ably-js computes it");

    let url = format!("{}/keys/{}/requestToken", hub.base, request.key_name);
    let details: TokenDetails =
        raw().post(&url).json(&request).send().await.expect("exchange").json().await.expect("details");
    assert_eq!(details.client_id.as_deref(), Some(alice_id.as_str()));
    assert_eq!(details.capability.as_deref(), Some(request.capability.as_str()));
    assert_eq!(details.expires.zip(details.issued).map(|(e, i)| e - i), request.ttl);
    let claims = hub
        .state
        .ably
        .verify_token(&details.token, details.issued.expect("issued"))
        .expect("the realtime endpoint accepts it");
    assert_eq!(claims.client_id, alice_id);

    let replay = raw().post(&url).json(&request).send().await.expect("replay");
    assert_eq!(replay.status(), 401);
    let body: Value = replay.json().await.expect("json");
    assert_eq!(body["error"]["code"], 40105, "{body}");

    let mut forged = request.clone();
    forged.capability = format!("{{\"jaibber:project:{}\":[\"subscribe\"]}}", theirs.id);
    forged.nonce = "0123456789abcdef0123".into();
    let refused: Value = raw().post(&url).json(&forged).send().await.expect("forged").json().await.expect("json");
    assert_eq!(refused["error"]["code"], 40101, "{refused}");

    // An API key gets its org's channels; no credential gets nothing.
    let key = hub.key(&alice, &org, &[Scope::MessagesRead]).await;
    let AblyAuth::Request(for_key) = key.ably_token().await.expect("key token request") else {
        panic!("a TokenRequest")
    };
    assert!(for_key.capability.contains(mine.id.as_str()));
    assert_eq!(hub.anonymous().ably_token().await.expect_err("no credential").status(), Some(401));
}

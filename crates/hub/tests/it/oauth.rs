//! GitHub OAuth against a fake GitHub on loopback.

use axum::Json;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use bridge_core::client::Credential;
use bridge_core::model::AuthSession;
use jaibber_hub::config::GithubConfig;
use serde_json::{Value, json};

use crate::support::TestHub;

async fn fake_github() -> String {
    let app = axum::Router::new()
        .route(
            "/login/oauth/access_token",
            post(|Json(body): Json<Value>| async move {
                if body["code"] == "good" && body["client_secret"] == "shh" {
                    Json(json!({"access_token": "gho_fake", "token_type": "bearer"}))
                } else {
                    Json(json!({"error": "bad_verification_code", "error_description": "The code passed is incorrect or expired."}))
                }
            }),
        )
        .route(
            "/user",
            get(|headers: HeaderMap| async move {
                if headers.get("authorization").and_then(|v| v.to_str().ok()) == Some("Bearer gho_fake") {
                    (StatusCode::OK, Json(json!({"id": 4242, "login": "octocat"})))
                } else {
                    (StatusCode::UNAUTHORIZED, Json(json!({"message": "Bad credentials"})))
                }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await.expect("fake github") });
    format!("http://{addr}")
}

#[tokio::test]
async fn github_login_creates_then_reuses_the_account() {
    let github = fake_github().await;
    let hub = TestHub::start_with(|config| {
        config.github = Some(GithubConfig {
            client_id: "cid".into(),
            client_secret: "shh".into(),
            authorize_url: format!("{github}/login/oauth/authorize"),
            token_url: format!("{github}/login/oauth/access_token"),
            user_url: format!("{github}/user"),
        });
    })
    .await;
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let mut user_ids = Vec::new();
    for _ in 0..2 {
        let start = http.get(format!("{}/api/auth/github/start", hub.base)).send().await.expect("start");
        assert!(start.status().is_redirection());
        let location = reqwest::Url::parse(start.headers()["location"].to_str().expect("ascii")).expect("url");
        assert!(location.as_str().starts_with(&format!("{github}/login/oauth/authorize")));
        let params: std::collections::HashMap<_, _> = location.query_pairs().into_owned().collect();
        assert_eq!(params["client_id"], "cid");
        assert!(params["redirect_uri"].ends_with("/api/auth/github/callback"));
        let callback = http
            .get(format!("{}/api/auth/github/callback", hub.base))
            .query(&[("code", "good"), ("state", params["state"].as_str())])
            .header("accept", "application/json")
            .send()
            .await
            .expect("callback");
        assert_eq!(callback.status(), 200);
        let session: AuthSession = callback.json().await.expect("session");
        let me = hub.client(Credential::Jwt(session.token.expect("jwt"))).me().await.expect("me");
        assert_eq!(me.username, "octocat");
        user_ids.push(me.user_id);
    }
    assert_eq!(user_ids[0], user_ids[1], "the second login finds the same account");

    let page = http
        .get(format!("{}/api/auth/github/callback", hub.base))
        .query(&[("code", "good"), ("state", "forged")])
        .send()
        .await
        .expect("callback");
    assert_eq!(page.status(), 401);
    let start = http.get(format!("{}/api/auth/github/start", hub.base)).send().await.expect("start");
    let location = reqwest::Url::parse(start.headers()["location"].to_str().expect("ascii")).expect("url");
    let state = location.query_pairs().find(|(k, _)| k == "state").map(|(_, v)| v.into_owned()).expect("state");
    let bad_code = http
        .get(format!("{}/api/auth/github/callback", hub.base))
        .query(&[("code", "bad"), ("state", state.as_str())])
        .send()
        .await
        .expect("callback");
    assert_eq!(bad_code.status(), 401);
    let html = http
        .get(format!("{}/api/auth/github/callback", hub.base))
        .query(&[("code", "good"), ("state", state.as_str())])
        .send()
        .await
        .expect("callback");
    let text = html.text().await.expect("page");
    assert!(text.contains("<pre id=\"token\">ey"), "the page carries the JWT: {text}");
}

#[tokio::test]
async fn github_login_is_404_when_not_configured() {
    let hub = TestHub::start().await;
    let response = reqwest::get(format!("{}/api/auth/github/start", hub.base)).await.expect("start");
    assert_eq!(response.status(), 404);
}

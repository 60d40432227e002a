//! Plan limits and the per-key rate limit.

use bridge_core::client::ClientError;
use bridge_core::model::*;

use crate::support::{TestHub, raw};

#[tokio::test]
async fn free_plan_limits_name_the_limit_and_the_plan_that_lifts_it() {
    let hub = TestHub::start().await;
    let (alice, _) = hub.user("alice").await;
    let org = hub.org(&alice, "Small", PlanId::Free).await;
    hub.project(&alice, &org, "one").await;
    hub.project(&alice, &org, "two").await;
    let third = alice.create_project(&CreateProject::new("three").in_org(org.id.clone())).await.expect_err("limit");
    assert!(
        matches!(&third, ClientError::Api { status: 402, message, code: Some(code), .. } if code == "plan_limit" && message == "the Free plan allows 2 projects and that limit is reached; the Pro plan allows more"),
        "{third}"
    );
    let hook = alice
        .create_webhook(&org.id, &CreateWebhook::new("https://example.com/h", [WebhookEventName::TaskCreated]))
        .await
        .expect_err("no webhooks on free");
    assert!(hook.to_string().contains("includes no webhooks; the Pro plan allows more"), "{hook}");
    let key = alice.create_api_key(&org.id, &CreateApiKey::all_scopes("k")).await.expect_err("no keys on free");
    assert_eq!(key.status(), Some(402));
    alice.register_agent(&org.id, &RegisterAgent::new("One")).await.expect("one agent");
    assert_eq!(
        alice.register_agent(&org.id, &RegisterAgent::new("Two")).await.expect_err("one agent only").status(),
        Some(402)
    );
    assert!(matches!(
        alice.audit_log_page(&org.id, None, None).await.expect_err("team only"),
        ClientError::Api { status: 402, .. }
    ));

    let id = org.id.as_str().to_owned();
    hub.state.db.write(move |tx| jaibber_hub::db::orgs::set_plan(tx, &id, &PlanId::Pro)).await.expect("upgrade");
    alice.create_project(&CreateProject::new("three").in_org(org.id.clone())).await.expect("pro allows 10");
}

#[tokio::test]
async fn daily_messages_and_members_are_capped() {
    let hub = TestHub::start().await;
    let (alice, _) = hub.user("alice").await;
    for name in ["bobby", "carol", "dave1"] {
        hub.user(name).await;
    }
    let org = hub.org(&alice, "Small", PlanId::Free).await;
    alice.add_org_member(&org.id, &AddOrgMember { username: "bobby".into(), role: None }).await.expect("2nd member");
    alice.add_org_member(&org.id, &AddOrgMember { username: "carol".into(), role: None }).await.expect("3rd member");
    let fourth = alice
        .add_org_member(&org.id, &AddOrgMember { username: "dave1".into(), role: None })
        .await
        .expect_err("free allows 3");
    assert!(fourth.to_string().contains("allows 3 team members"), "{fourth}");

    let project = hub.project(&alice, &org, "P").await;
    for n in 0..100 {
        alice.post_message(&project.id, &CreateMessage::text(format!("m{n}"))).await.expect("within the day's 100");
    }
    let over = alice.post_message(&project.id, &CreateMessage::text("one too many")).await.expect_err("limit");
    assert!(over.to_string().contains("allows 100 messages per day"), "{over}");
    let page = alice.list_messages(&project.id, &MessageQuery::latest().limit(1)).await.expect("read");
    assert_eq!(page.data[0].text, "m99", "the refused message was not stored");
}

#[tokio::test]
async fn a_key_over_its_rate_limit_gets_429_with_headers() {
    let hub = TestHub::start().await;
    let (alice, _) = hub.user("alice").await;
    let org = hub.org(&alice, "A", PlanId::Team).await;
    let project = hub.project(&alice, &org, "P").await;
    let key = alice
        .create_api_key(&org.id, &CreateApiKey::new("slow", [Scope::MessagesRead]).rate_limit_per_minute(3))
        .await
        .expect("key");
    let url = format!("{}/api/projects/{}/messages", hub.base, project.id);
    for remaining in [2, 1, 0] {
        let ok = raw().get(&url).header("x-api-key", key.key.expose()).send().await.expect("request");
        assert_eq!(ok.status(), 200);
        assert_eq!(ok.headers()["x-ratelimit-limit"], "3");
        assert_eq!(ok.headers()["x-ratelimit-remaining"], remaining.to_string().as_str());
    }
    let limited = raw().get(&url).header("x-api-key", key.key.expose()).send().await.expect("request");
    assert_eq!(limited.status(), 429);
    let retry_after: u64 = limited.headers()["retry-after"].to_str().expect("ascii").parse().expect("seconds");
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    assert_eq!(limited.headers()["x-ratelimit-remaining"], "0");
    assert!(limited.headers().contains_key("x-ratelimit-reset"));
    let body: serde_json::Value = limited.json().await.expect("json");
    assert!(body["error"].as_str().is_some_and(|e| e.contains("3 requests/minute")), "{body}");
    // Another key of the same org is not affected.
    let other = hub.key(&alice, &org, &[Scope::MessagesRead]).await;
    other.list_messages(&project.id, &MessageQuery::latest()).await.expect("independent budget");
}

#[tokio::test]
async fn no_plan_limits_lifts_every_quota() {
    let hub = TestHub::start_with(|config| config.enforce_plan_limits = false).await;
    let (alice, _) = hub.user("alice").await;
    let org = hub.org(&alice, "Unlimited", PlanId::Free).await;
    for name in ["one", "two", "three"] {
        hub.project(&alice, &org, name).await;
    }
    alice.create_api_key(&org.id, &CreateApiKey::all_scopes("k")).await.expect("keys allowed");
    alice
        .create_webhook(&org.id, &CreateWebhook::new("https://example.com/h", [WebhookEventName::TaskCreated]))
        .await
        .expect("webhooks allowed");
}

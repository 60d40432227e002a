//! Durable webhook delivery: retries, the delivery log, redelivery, failing status,
//! Standard Webhooks headers, URL rules.

use std::time::Duration;

use axum::http::StatusCode;
use bridge_core::model::*;
use bridge_core::signing::jaibber::JaibberSigner;
use bridge_core::signing::standard::{StandardHeaders, StandardSigner};

use crate::support::{TestHub, next, raw, receiver};

#[tokio::test]
async fn failed_attempts_are_retried_logged_and_redeliverable() {
    let hub = TestHub::start_with(|c| c.webhook_failing_after = 2).await;
    let (url, mut received) = receiver(StatusCode::INTERNAL_SERVER_ERROR).await;
    let (alice, _) = hub.user("alice").await;
    let org = hub.org(&alice, "A", PlanId::Team).await;
    let project = hub.project(&alice, &org, "P").await;
    let hook =
        alice.create_webhook(&org.id, &CreateWebhook::new(&url, [WebhookEventName::TaskCreated])).await.expect("hook");
    alice.create_task(&project.id, &CreateTask::new("t")).await.expect("task");

    let first = next(&mut received).await;
    let second = next(&mut received).await;
    let third = next(&mut received).await;
    let id = first.header("x-jaibber-delivery").to_owned();
    assert!(id.starts_with("d_"));
    for retry in [&second, &third] {
        assert_eq!(retry.header("x-jaibber-delivery"), id, "retries keep the delivery id");
        assert_eq!(retry.body, first.body, "retries send the same bytes");
        assert_eq!(retry.header("x-jaibber-signature"), first.header("x-jaibber-signature"));
    }
    assert!(
        tokio::time::timeout(Duration::from_millis(800), received.recv()).await.is_err(),
        "1 attempt + 2 retries, then it stops"
    );

    let log = raw()
        .get(format!("{}/api/orgs/{}/webhooks/{}/deliveries", hub.base, org.id, hook.id))
        .bearer_auth(token_of(&alice))
        .send()
        .await
        .expect("log");
    let page: Page<WebhookDelivery> = log.json().await.expect("page");
    let delivery = &page.data[0];
    assert_eq!((delivery.state.clone(), delivery.attempts), (DeliveryState::Failed, 3));
    assert!(delivery.attempt_log.iter().all(|a| a.status_code == Some(500) && a.error.is_some()));
    let listed = alice.list_webhooks(&org.id).await.expect("list");
    assert_eq!(listed[0].status, WebhookStatus::Failing, "two failures in a row mark it failing");

    let redeliver = raw()
        .post(format!("{}/api/orgs/{}/webhooks/{}/deliveries/{id}/redeliver", hub.base, org.id, hook.id))
        .bearer_auth(token_of(&alice))
        .send()
        .await
        .expect("redeliver");
    assert_eq!(redeliver.status(), 202);
    let again = next(&mut received).await;
    assert_eq!((again.header("x-jaibber-delivery"), &again.body), (id.as_str(), &first.body));
}

fn token_of(client: &bridge_core::client::Client) -> String {
    match client.credential() {
        bridge_core::client::Credential::Jwt(jwt) => jwt.expose().to_owned(),
        _ => panic!("a user client"),
    }
}

#[tokio::test]
async fn a_slow_endpoint_does_not_block_others_and_recovery_clears_failing() {
    let hub = TestHub::start_with(|c| c.webhook_timeout = Duration::from_millis(500)).await;
    let slow = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let slow_url = format!("http://{}/hook", slow.local_addr().expect("addr"));
    tokio::spawn(async move {
        // Accepts connections and never answers.
        let mut held = Vec::new();
        while let Ok((socket, _)) = slow.accept().await {
            held.push(socket);
        }
    });
    let (fast_url, mut fast) = receiver(StatusCode::OK).await;
    let (alice, _) = hub.user("alice").await;
    let org = hub.org(&alice, "A", PlanId::Team).await;
    let project = hub.project(&alice, &org, "P").await;
    alice
        .create_webhook(&org.id, &CreateWebhook::new(&slow_url, [WebhookEventName::MessageCreated]))
        .await
        .expect("slow hook");
    alice
        .create_webhook(&org.id, &CreateWebhook::new(&fast_url, [WebhookEventName::MessageCreated]))
        .await
        .expect("fast hook");
    let started = std::time::Instant::now();
    for n in 0..5 {
        alice.post_message(&project.id, &CreateMessage::text(format!("m{n}"))).await.expect("post");
    }
    for _ in 0..5 {
        next(&mut fast).await;
    }
    assert!(
        started.elapsed() < Duration::from_millis(2_500),
        "fast endpoint served while the slow one hangs: {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn standard_webhooks_headers_when_asked() {
    let hub = TestHub::start().await;
    let (url, mut received) = receiver(StatusCode::NO_CONTENT).await;
    let (alice, _) = hub.user("alice").await;
    let org = hub.org(&alice, "A", PlanId::Team).await;
    let project = hub.project(&alice, &org, "P").await;
    let mut body = CreateWebhook::new(&url, [WebhookEventName::MessageCreated]);
    body.standard_webhooks = Some(true);
    let hook = alice.create_webhook(&org.id, &body).await.expect("hook");
    alice.post_message(&project.id, &CreateMessage::text("hi")).await.expect("post");
    let delivery = next(&mut received).await;
    let headers = StandardHeaders::from_header_map(&delivery.headers).expect("standard headers");
    assert_eq!(headers.id, delivery.header("x-jaibber-delivery"));
    let standard = StandardSigner::from_secret(hook.secret.expose()).expect("secret is whsec_ base64");
    assert_eq!(standard.verify(&headers, &delivery.body, jaibber_hub::clock::now_secs()), Ok(()));
    let jaibber = JaibberSigner::new(hook.secret.expose()).expect("secret");
    assert_eq!(
        jaibber.verify(&delivery.body, delivery.header("x-jaibber-signature")),
        Ok(()),
        "both schemes on one delivery"
    );
}

#[tokio::test]
async fn paused_webhooks_wait_and_urls_must_be_https_or_loopback() {
    let hub = TestHub::start().await;
    let (alice, _) = hub.user("alice").await;
    let org = hub.org(&alice, "A", PlanId::Team).await;
    for (url, ok) in [
        ("http://example.com/hook", false),
        ("ftp://example.com/hook", false),
        ("not a url", false),
        ("https://example.com/hook", true),
        ("http://127.0.0.1:9/hook", true),
        ("http://localhost:9/hook", true),
    ] {
        let result = alice.create_webhook(&org.id, &CreateWebhook::new(url, [WebhookEventName::TaskCreated])).await;
        assert_eq!(result.is_ok(), ok, "{url}: {result:?}");
    }
    let unknown = alice
        .create_webhook(
            &org.id,
            &CreateWebhook::new("https://example.com/h", [WebhookEventName::from_wire("task.exploded")]),
        )
        .await
        .expect_err("unknown event");
    assert!(unknown.to_string().contains("unknown event task.exploded"), "{unknown}");

    let (url, mut received) = receiver(StatusCode::OK).await;
    let project = hub.project(&alice, &org, "P").await;
    let hook =
        alice.create_webhook(&org.id, &CreateWebhook::new(&url, [WebhookEventName::TaskCreated])).await.expect("hook");
    alice
        .update_webhook(
            &org.id,
            &hook.id,
            &UpdateWebhook { status: Some(WebhookStatus::Paused), ..UpdateWebhook::default() },
        )
        .await
        .expect("pause");
    alice.create_task(&project.id, &CreateTask::new("t")).await.expect("task");
    assert!(tokio::time::timeout(Duration::from_millis(600), received.recv()).await.is_err(), "paused: nothing sent");
    alice.delete_webhook(&org.id, &hook.id).await.expect("delete");
    assert!(alice.list_webhooks(&org.id).await.expect("list").iter().all(|h| h.id != hook.id));
}

#[tokio::test]
async fn the_delivery_log_pages_without_gaps() {
    let hub = TestHub::start().await;
    let (url, mut received) = receiver(StatusCode::OK).await;
    let (alice, _) = hub.user("alice").await;
    let org = hub.org(&alice, "A", PlanId::Team).await;
    let project = hub.project(&alice, &org, "P").await;
    let hook = alice
        .create_webhook(&org.id, &CreateWebhook::new(&url, [WebhookEventName::MessageCreated]))
        .await
        .expect("hook");
    for n in 0..7 {
        alice.post_message(&project.id, &CreateMessage::text(format!("m{n}"))).await.expect("post");
    }
    let mut sent = std::collections::HashSet::new();
    for _ in 0..7 {
        sent.insert(next(&mut received).await.header("x-jaibber-delivery").to_owned());
    }
    let mut listed = std::collections::HashSet::new();
    let mut before: Option<String> = None;
    loop {
        let mut request = raw()
            .get(format!("{}/api/orgs/{}/webhooks/{}/deliveries", hub.base, org.id, hook.id))
            .bearer_auth(token_of(&alice))
            .query(&[("limit", "3")]);
        if let Some(cursor) = &before {
            request = request.query(&[("before", cursor.as_str())]);
        }
        let page: Page<WebhookDelivery> = request.send().await.expect("log").json().await.expect("page");
        assert!(page.data.len() <= 3);
        listed.extend(page.data.iter().map(|d| d.id.as_str().to_owned()));
        if !page.pagination.has_more {
            break;
        }
        before = page.pagination.cursor;
    }
    assert_eq!(listed, sent, "every delivery listed exactly once across pages");
}

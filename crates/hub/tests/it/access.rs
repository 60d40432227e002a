//! Scope, role and tenant denials: a key of org A can never read org B.

use bridge_core::client::{ApiKeyHeader, ClientError, Credential};
use bridge_core::model::*;

use crate::support::{TestHub, raw};

fn status(err: &ClientError) -> u16 {
    err.status().unwrap_or(0)
}

#[tokio::test]
async fn keys_are_confined_to_their_org_and_scopes() {
    let hub = TestHub::start().await;
    let (alice, _) = hub.user("alice").await;
    let (bob, _) = hub.user("bobby").await;
    let org_a = hub.org(&alice, "A", PlanId::Team).await;
    let org_b = hub.org(&bob, "B", PlanId::Team).await;
    let project_a = hub.project(&alice, &org_a, "PA").await;
    let project_b = hub.project(&bob, &org_b, "PB").await;

    let reader_a = hub.key(&alice, &org_a, &[Scope::MessagesRead]).await;
    reader_a.list_messages(&project_a.id, &MessageQuery::latest()).await.expect("own org");
    let cross = reader_a.list_messages(&project_b.id, &MessageQuery::latest()).await.expect_err("other org");
    assert_eq!(status(&cross), 404, "another tenant's project does not exist for this key");
    assert_eq!(status(&reader_a.get_project(&project_b.id).await.expect_err("other org")), 404);
    assert_eq!(status(&reader_a.list_agents(&org_b.id).await.expect_err("other org")), 404);
    assert_eq!(status(&reader_a.list_webhooks(&org_b.id).await.expect_err("other org")), 404);

    let write = reader_a.post_message(&project_a.id, &CreateMessage::text("hi")).await.expect_err("no messages:write");
    assert!(
        matches!(&write, ClientError::Api { status: 403, message, .. } if message.contains("messages:write")),
        "{write}"
    );
    assert_eq!(
        status(&reader_a.create_task(&project_a.id, &CreateTask::new("t")).await.expect_err("no tasks:write")),
        403
    );
    assert_eq!(
        status(&reader_a.list_tasks(&project_a.id, &TaskQuery::default()).await.expect_err("no tasks:read")),
        403
    );
    assert_eq!(status(&reader_a.create_project(&CreateProject::new("x")).await.expect_err("JWT only")), 403);
    assert_eq!(
        status(&reader_a.create_api_key(&org_a.id, &CreateApiKey::all_scopes("k")).await.expect_err("JWT only")),
        403
    );

    // A JWT user sees only orgs and projects they belong to.
    assert_eq!(
        status(&bob.list_messages(&project_a.id, &MessageQuery::latest()).await.expect_err("not a member")),
        404
    );
    assert_eq!(status(&bob.org_stats(&org_a.id).await.expect_err("not a member")), 404);
}

#[tokio::test]
async fn both_api_key_header_forms_work_and_revocation_is_immediate() {
    let hub = TestHub::start().await;
    let (alice, _) = hub.user("alice").await;
    let org = hub.org(&alice, "A", PlanId::Team).await;
    let project = hub.project(&alice, &org, "P").await;
    let created = alice.create_api_key(&org.id, &CreateApiKey::new("k", [Scope::MessagesRead])).await.expect("key");
    let bearer = hub.client(Credential::api_key(created.key.expose(), ApiKeyHeader::Bearer));
    let header = hub.client(Credential::api_key(created.key.expose(), ApiKeyHeader::XApiKey));
    bearer.list_messages(&project.id, &MessageQuery::latest()).await.expect("bearer form");
    header.list_messages(&project.id, &MessageQuery::latest()).await.expect("x-api-key form");

    let listed = alice.list_api_keys(&org.id).await.expect("list");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].prefix.as_deref(), Some(&created.key.expose()[..11]));
    let text = serde_json::to_string(&listed).expect("json");
    assert!(!text.contains(created.key.expose()), "listing never shows the key");

    alice.revoke_api_key(&org.id, &created.id).await.expect("revoke");
    let err = header.list_messages(&project.id, &MessageQuery::latest()).await.expect_err("revoked");
    assert!(matches!(&err, ClientError::Api { status: 401, message, .. } if message.contains("revoked")), "{err}");
    assert!(!err.to_string().contains(created.key.expose()));
}

#[tokio::test]
async fn roles_limit_what_members_do() {
    let hub = TestHub::start().await;
    let (alice, _) = hub.user("alice").await;
    let (bob, bob_id) = hub.user("bobby").await;
    let org = hub.org(&alice, "A", PlanId::Team).await;
    let project = hub.project(&alice, &org, "P").await;
    alice.add_org_member(&org.id, &AddOrgMember { username: "bobby".into(), role: None }).await.expect("add member");
    alice
        .add_project_member(
            &project.id,
            &AddProjectMember { username: Some("bobby".into()), ..AddProjectMember::default() },
        )
        .await
        .expect("add to project");

    bob.post_message(&project.id, &CreateMessage::text("member can chat")).await.expect("chat");
    assert_eq!(
        status(
            &bob.update_project(&project.id, &UpdateProject { name: Some("x".into()), ..UpdateProject::default() })
                .await
                .expect_err("not admin")
        ),
        403
    );
    assert_eq!(
        status(&bob.create_api_key(&org.id, &CreateApiKey::all_scopes("k")).await.expect_err("not org admin")),
        403
    );
    assert_eq!(
        status(
            &bob.create_webhook(&org.id, &CreateWebhook::new("https://example.com/h", [WebhookEventName::TaskCreated]))
                .await
                .expect_err("not org admin")
        ),
        403
    );
    let owner_grant = bob
        .add_org_member(&org.id, &AddOrgMember { username: "bobby".into(), role: Some(OrgRole::Owner) })
        .await
        .expect_err("member cannot promote");
    assert_eq!(status(&owner_grant), 403);

    // The last admin stays.
    let alice_id = alice.me().await.expect("me").user_id;
    let last = alice.remove_project_member(&project.id, &alice_id).await.expect_err("last admin");
    assert!(matches!(&last, ClientError::Api { status: 409, message, .. } if message.contains("last admin")), "{last}");
    alice.remove_project_member(&project.id, &UserId::new(bob_id)).await.expect("remove member");
    assert_eq!(status(&bob.list_messages(&project.id, &MessageQuery::latest()).await.expect_err("removed")), 404);
}

#[tokio::test]
async fn credentials_are_checked_with_clear_messages() {
    let hub = TestHub::start().await;
    let missing = raw().get(format!("{}/api/projects", hub.base)).send().await.expect("request");
    assert_eq!(missing.status(), 401);
    let body: serde_json::Value = missing.json().await.expect("json");
    assert!(body["error"].as_str().is_some_and(|e| e.contains("missing credential")), "{body}");

    let expired_keys = jaibber_hub::auth::jwt::JwtKeys::new(b"not the hub secret, 32 bytes long!!");
    let forged = expired_keys.issue("someone", "mallory", jaibber_hub::clock::now_secs());
    let refused = raw().get(format!("{}/api/auth/me", hub.base)).bearer_auth(&forged).send().await.expect("request");
    assert_eq!(refused.status(), 401);

    let stale = hub.state.jwt.issue("someone", "mallory", jaibber_hub::clock::now_secs() - 8 * 24 * 3600);
    let expired = raw().get(format!("{}/api/auth/me", hub.base)).bearer_auth(&stale).send().await.expect("request");
    assert_eq!(expired.status(), 401);
    let body: serde_json::Value = expired.json().await.expect("json");
    assert!(body["error"].as_str().is_some_and(|e| e.contains("expired")), "{body}");
    assert!(!body.to_string().contains(&stale));

    let wrong = hub.anonymous().login(&Credentials::new("nobody", "whatever")).await.expect_err("unknown user");
    assert_eq!(status(&wrong), 401);
    hub.user("alice").await;
    let taken = hub
        .anonymous()
        .register(&Credentials::new("ALICE", "another one"))
        .await
        .expect_err("taken, case-insensitively");
    assert_eq!(status(&taken), 409);
    let login = hub.anonymous().login(&Credentials::new("alice", "correct horse")).await.expect("login");
    assert!(login.token.is_some());
}

//! `jaibber-hub seed`: an idempotent demo setup for scripts and the quick start.
//!
//! Works whether or not a server is running on the data dir (SQLite in WAL mode lets
//! both write). The demo password and API key are derived from the hub's JWT secret, so
//! running seed again prints the same credentials without storing them in clear.

use bridge_core::model::{Agent, AgentId, OrgId, OrgRole, PlanId, Scope, Vendor};
use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::Sha256;

use crate::auth::caller::hash_key;
use crate::auth::password;
use crate::clock;
use crate::db::projects::ProjectRow;
use crate::db::{DbError, DbResult, agents, api_keys, orgs, projects, users};
use crate::error::ApiError;
use crate::state::AppState;

/// The demo account name.
pub const DEMO_USER: &str = "demo";
/// The demo org name.
pub const DEMO_ORG: &str = "Demo Org";
/// The demo project name.
pub const DEMO_PROJECT: &str = "Demo Project";
/// The demo agent name.
pub const DEMO_AGENT: &str = "Echo";

/// The seeded key's rate limit: it serves local demos and tests, which poll quickly.
pub const SEED_KEY_RATE_LIMIT: u32 = 60_000;

/// What `seed --json` prints.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct SeedOutput {
    /// The demo user's id.
    pub user_id: String,
    /// Its name.
    pub username: String,
    /// Its password.
    pub password: String,
    /// A fresh JWT for it.
    pub token: String,
    /// The demo org (Team plan).
    pub org_id: String,
    /// The demo project.
    pub project_id: String,
    /// The demo agent.
    pub agent_id: String,
    /// Its name.
    pub agent_name: String,
    /// An API key with every scope.
    pub api_key: String,
}

fn derive(secret: &[u8], purpose: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC accepts keys of any length");
    mac.update(purpose.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Creates (or finds) the demo user, org, project, agent and key.
///
/// # Errors
/// A database error.
pub fn seed(state: &AppState, secret: &[u8]) -> DbResult<SeedOutput> {
    let password = derive(secret, "seed:password")[..20].to_owned();
    let api_key = format!("jb_{}", &derive(secret, "seed:api-key")[..48]);
    let password_hash = password::hash_blocking(&password).map_err(|_| DbError::Api(ApiError::internal()))?;
    let output = state.db.write_blocking(|tx| {
        let now = clock::now_iso();
        let user = match users::by_name(tx, DEMO_USER)? {
            Some(user) => user,
            None => {
                let id = uuid::Uuid::new_v4().to_string();
                users::insert(tx, &id, DEMO_USER, Some(&password_hash), None, now.as_str())?;
                users::by_name(tx, DEMO_USER)?.ok_or(DbError::Join)?
            }
        };
        if !user.password_hash.as_deref().is_some_and(|h| password::verify_blocking(&password, h)) {
            users::set_password(tx, &user.id, &password_hash)?;
        }
        let org_id = match orgs::list_for_user(tx, &user.id)?
            .into_iter()
            .find(|o| o.name == DEMO_ORG && o.role == Some(OrgRole::Owner))
        {
            Some(org) => org.id.into_string(),
            None => {
                let id = uuid::Uuid::new_v4().to_string();
                orgs::insert(tx, &id, DEMO_ORG, &PlanId::Team, &user.id, now.as_str())?;
                id
            }
        };
        orgs::set_plan(tx, &org_id, &PlanId::Team)?;
        let project_id = match projects::list_for_org(tx, &org_id)?.into_iter().find(|p| p.name == DEMO_PROJECT) {
            Some(project) => project.id.into_string(),
            None => {
                let row = ProjectRow {
                    id: uuid::Uuid::new_v4().to_string(),
                    name: DEMO_PROJECT.into(),
                    description: Some("Created by jaibber-hub seed".into()),
                    org_id: Some(org_id.clone()),
                    created_by: user.id.clone(),
                    created_at: now.as_str().to_owned(),
                };
                projects::insert(tx, &row)?;
                row.id
            }
        };
        let agent_id =
            match agents::list_for_org(tx, &org_id, clock::now_ms())?.into_iter().find(|a| a.name == DEMO_AGENT) {
                Some(agent) => agent.id.into_string(),
                None => {
                    let agent = Agent {
                        id: AgentId::new(uuid::Uuid::new_v4().to_string()),
                        org_id: Some(OrgId::new(org_id.clone())),
                        name: DEMO_AGENT.into(),
                        description: Some("Demo agent that echoes what it is asked".into()),
                        vendor: Vendor::Custom,
                        capabilities: vec!["chat".into()],
                        services: vec!["demo".into()],
                        discoverable: false,
                        endpoint_url: None,
                        avatar_url: None,
                        last_seen_at: None,
                        is_online: false,
                        extra: Default::default(),
                    };
                    agents::insert(tx, &agent, &org_id)?;
                    agent.id.into_string()
                }
            };
        agents::assign(tx, &agent_id, &project_id)?;
        let key_hash = hash_key(&api_key);
        if api_keys::by_hash(tx, &key_hash)?.is_none() {
            api_keys::insert(
                tx,
                &api_keys::NewKey {
                    id: &uuid::Uuid::new_v4().to_string(),
                    org_id: &org_id,
                    name: "seed",
                    prefix: &api_key[..11],
                    key_hash: &key_hash,
                    scopes: Scope::KNOWN,
                    rate_limit_per_minute: SEED_KEY_RATE_LIMIT,
                    created_by: &user.id,
                    created_at: now.as_str(),
                },
            )?;
        }
        Ok(SeedOutput {
            token: state.jwt.issue(&user.id, &user.username, clock::now_secs()),
            user_id: user.id,
            username: user.username,
            password: password.clone(),
            org_id,
            project_id,
            agent_id,
            agent_name: DEMO_AGENT.into(),
            api_key: api_key.clone(),
        })
    })?;
    Ok(output)
}

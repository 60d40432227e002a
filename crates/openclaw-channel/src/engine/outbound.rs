//! Outbound: `openclaw message send --channel jaibber --to <project>` posts into a
//! project as the agent. A target is a project id or a project name (exact,
//! case-insensitive), optionally prefixed `jaibber:` or `project:`.

use bridge_core::client::Client;
use bridge_core::model::{CreateMessage, MessageId, Project, ProjectId};
use serde::Serialize;

use super::EngineError;

/// A resolved send target.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResolvedTarget {
    /// The project id.
    pub project_id: String,
    /// The project name.
    pub name: String,
}

/// A message sent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SentMessage {
    /// The stored message id.
    pub message_id: String,
    /// The project it went to.
    pub project_id: String,
}

/// Strips the `jaibber:` and `project:` prefixes a target may carry.
#[must_use]
pub fn normalize_target(raw: &str) -> &str {
    let mut target = raw.trim();
    for prefix in ["jaibber:", "project:", "#"] {
        if let Some(rest) = target.strip_prefix(prefix) {
            target = rest.trim();
        }
    }
    target
}

/// Tells whether a target is written as a project id (a UUID).
#[must_use]
pub fn looks_like_id(raw: &str) -> bool {
    uuid::Uuid::parse_str(normalize_target(raw)).is_ok()
}

fn pick<'a>(projects: &'a [Project], target: &str) -> Result<&'a Project, EngineError> {
    if let Some(project) = projects.iter().find(|p| p.id.as_str() == target) {
        return Ok(project);
    }
    let named: Vec<&Project> = projects.iter().filter(|p| p.name.trim().eq_ignore_ascii_case(target)).collect();
    match named.as_slice() {
        [one] => Ok(one),
        [] => {
            let known: Vec<&str> = projects.iter().map(|p| p.name.as_str()).take(20).collect();
            Err(EngineError::UnknownTarget(format!(
                "no project named or with id {target:?} is visible to this account; known projects: {}",
                if known.is_empty() { "none".to_owned() } else { known.join(", ") }
            )))
        }
        many => Err(EngineError::UnknownTarget(format!(
            "{} projects are named {target:?}; use the project id ({})",
            many.len(),
            many.iter().map(|p| p.id.as_str()).collect::<Vec<_>>().join(", ")
        ))),
    }
}

/// Resolves a target to a project the credential can see.
///
/// # Errors
/// [`EngineError::UnknownTarget`] when nothing matches (or several do), or the hub's error.
pub async fn resolve_target(client: &Client, raw: &str) -> Result<ResolvedTarget, EngineError> {
    let target = normalize_target(raw);
    if target.is_empty() {
        return Err(EngineError::UnknownTarget("the target is empty; pass a project id or name".into()));
    }
    if looks_like_id(target) {
        match client.get_project(&ProjectId::new(target)).await {
            Ok(project) => return Ok(ResolvedTarget { project_id: project.id.to_string(), name: project.name }),
            Err(err) if err.is_not_found() => {}
            Err(err) => return Err(EngineError::hub(&err)),
        }
    }
    let projects = client.list_projects().await.map_err(|err| EngineError::hub(&err))?;
    let project = pick(&projects, target)?;
    Ok(ResolvedTarget { project_id: project.id.to_string(), name: project.name.clone() })
}

/// Posts `text` into the project `to` names, as `agent_name`.
///
/// The message gets its id here, so a retried request is an idempotent upsert.
///
/// # Errors
/// [`EngineError`] when the target is unknown or the hub refuses.
pub async fn send(client: &Client, agent_name: &str, to: &str, text: &str) -> Result<SentMessage, EngineError> {
    if text.trim().is_empty() {
        return Err(EngineError::BadParams("text is empty; there is nothing to send".into()));
    }
    let target = resolve_target(client, to).await?;
    let body = CreateMessage::text(text).with_id(MessageId::random()).as_agent(agent_name);
    let message =
        client.post_message(&ProjectId::new(&target.project_id), &body).await.map_err(|err| EngineError::hub(&err))?;
    tracing::info!(project_id = %target.project_id, message_id = %message.id, "sent to the channel");
    Ok(SentMessage { message_id: message.id.to_string(), project_id: target.project_id })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project(id: &str, name: &str) -> Project {
        serde_json::from_value(serde_json::json!({"id": id, "name": name, "createdAt": "2026-01-01T00:00:00.000Z"}))
            .expect("project")
    }

    #[test]
    fn targets_normalize() {
        assert_eq!(normalize_target(" jaibber:project:Demo "), "Demo");
        assert_eq!(normalize_target("#general"), "general");
        assert!(looks_like_id("jaibber:6f1c3b9e-2a55-4c1e-9d59-2f4b8a1f0c11"));
        assert!(!looks_like_id("Demo"));
    }

    #[test]
    fn names_match_exactly_and_ambiguity_is_refused() {
        let projects = [project("a", "Demo"), project("b", "Demo 2"), project("c", "twin"), project("d", "Twin")];
        assert_eq!(pick(&projects, "demo").expect("demo").id.as_str(), "a");
        assert_eq!(pick(&projects, "b").expect("by id").name, "Demo 2");
        assert!(matches!(pick(&projects, "Dem"), Err(EngineError::UnknownTarget(m)) if m.contains("Demo 2")));
        assert!(
            matches!(pick(&projects, "twin"), Err(EngineError::UnknownTarget(m)) if m.contains("use the project id"))
        );
    }
}

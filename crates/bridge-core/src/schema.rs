//! JSON Schemas generated from the wire model.
//!
//! The committed files under `schemas/` at the workspace root are exactly
//! [`all`] rendered with [`render`]; a test fails when they drift. Regenerate with
//! `cargo run -p bridge-core --example write-schemas`.

use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, Schema};

use crate::model;

/// One generated schema and the file it is committed as.
#[derive(Clone, Debug)]
pub struct SchemaFile {
    /// File name under `schemas/`, e.g. `task.schema.json`.
    pub file_name: &'static str,
    /// The schema (JSON Schema 2020-12).
    pub schema: Schema,
}

fn schema_for<T: JsonSchema>() -> Schema {
    SchemaSettings::draft2020_12().into_generator().into_root_schema_for::<T>()
}

/// Returns every schema of the protocol, in a stable order.
#[must_use]
pub fn all() -> Vec<SchemaFile> {
    macro_rules! files {
        ($($file:literal => $ty:ty),+ $(,)?) => {
            vec![$(SchemaFile { file_name: $file, schema: schema_for::<$ty>() }),+]
        };
    }
    files![
        "webhook-event.schema.json" => model::WebhookEvent,
        "message.schema.json" => model::Message,
        "create-message.schema.json" => model::CreateMessage,
        "task.schema.json" => model::Task,
        "create-task.schema.json" => model::CreateTask,
        "update-task.schema.json" => model::UpdateTask,
        "agent.schema.json" => model::Agent,
        "realtime-message.schema.json" => model::RealtimeMessage,
        "presence.schema.json" => model::PresenceData,
        "project.schema.json" => model::Project,
        "org.schema.json" => model::Org,
        "api-key.schema.json" => model::ApiKey,
        "created-api-key.schema.json" => model::CreatedApiKey,
        "webhook.schema.json" => model::Webhook,
        "created-webhook.schema.json" => model::CreatedWebhook,
        "webhook-delivery.schema.json" => model::WebhookDelivery,
        "plan.schema.json" => model::Plan,
        "ably-auth.schema.json" => model::AblyAuth,
        "error.schema.json" => model::ApiErrorBody,
    ]
}

/// Renders a schema as the committed file text: pretty JSON and a final newline.
#[must_use]
pub fn render(schema: &Schema) -> String {
    let mut text = serde_json::to_string_pretty(schema).unwrap_or_default();
    text.push('\n');
    text
}

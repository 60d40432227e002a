//! The committed schemas match the code, and every fixture validates against its schema.

use std::path::PathBuf;

use bridge_core::schema;
use serde_json::Value;

use crate::fixture;

fn schemas_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../schemas")
}

pub fn load_schema(file: &str) -> Value {
    let path = schemas_dir().join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).expect("committed schema is JSON")
}

/// Validates an instance, panicking with every validation error.
pub fn assert_valid(schema_file: &str, instance: &Value, what: &str) {
    let schema = load_schema(schema_file);
    let validator =
        jsonschema::validator_for(&schema).unwrap_or_else(|e| panic!("{schema_file} is not a valid schema: {e}"));
    let errors: Vec<String> =
        validator.iter_errors(instance).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(errors.is_empty(), "{what} does not validate against {schema_file}:\n{}", errors.join("\n"));
}

#[test]
fn committed_schemas_match_the_code() {
    let mut stale = Vec::new();
    let generated = schema::all();
    for file in &generated {
        let path = schemas_dir().join(file.file_name);
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        if committed != schema::render(&file.schema) {
            stale.push(file.file_name);
        }
    }
    let known: Vec<&str> = generated.iter().map(|f| f.file_name).collect();
    for entry in std::fs::read_dir(schemas_dir()).expect("schemas/ exists") {
        let name = entry.expect("dir entry").file_name().to_string_lossy().into_owned();
        if name.ends_with(".schema.json") && !known.contains(&name.as_str()) {
            stale.push(Box::leak(name.into_boxed_str()));
        }
    }
    assert!(
        stale.is_empty(),
        "schemas/ is out of date for {stale:?}; regenerate with `cargo run -p bridge-core --example write-schemas` and commit"
    );
}

#[test]
fn required_schema_files_exist() {
    for file in [
        "webhook-event.schema.json",
        "message.schema.json",
        "task.schema.json",
        "agent.schema.json",
        "realtime-message.schema.json",
        "presence.schema.json",
        "project.schema.json",
    ] {
        let schema = load_schema(file);
        assert!(schema.get("$schema").is_some(), "{file} names its draft");
    }
}

/// Which part of a fixture to validate.
enum Part {
    Whole,
    At(&'static str),
    EachAt(&'static str),
    /// A documented variant the hub never sends (`taskId` instead of `id`): validated
    /// after decoding, which shows the parser brings it to the canonical shape.
    DecodedEvent,
}

#[test]
fn every_fixture_validates_against_its_schema() {
    use Part::{At, DecodedEvent, EachAt, Whole};
    let table: &[(&str, &str, Part)] = &[
        ("webhook-message-created.reference.json", "webhook-event.schema.json", Whole),
        ("webhook-task-created.reference.json", "webhook-event.schema.json", Whole),
        ("webhook-task-completed.reference.json", "webhook-event.schema.json", Whole),
        ("webhook-task-failed.reference.json", "webhook-event.schema.json", Whole),
        ("webhook-agent-assigned.reference.json", "webhook-event.schema.json", Whole),
        ("webhook-agent-unassigned.reference.json", "webhook-event.schema.json", Whole),
        ("webhook-task-completed.guide.json", "webhook-event.schema.json", DecodedEvent),
        ("webhook-message-created.adapter.json", "webhook-event.schema.json", DecodedEvent),
        ("projects.reference.json", "project.schema.json", EachAt("")),
        ("projects.sdk.json", "project.schema.json", EachAt("/projects")),
        ("project-create.reference.json", "project.schema.json", At("/project")),
        ("task-create.reference.json", "task.schema.json", Whole),
        ("task-create.sdk.json", "task.schema.json", At("/data")),
        ("messages-page.reference.json", "message.schema.json", EachAt("/data")),
        ("messages-page.adapter.json", "message.schema.json", EachAt("/data")),
        ("message.api-md.json", "message.schema.json", Whole),
        ("message-post.api-md.json", "create-message.schema.json", Whole),
        ("webhook-create.reference.json", "created-webhook.schema.json", Whole),
        ("webhook-create.adapter.json", "created-webhook.schema.json", At("/data")),
        ("discover.reference.json", "agent.schema.json", EachAt("")),
        ("realtime-chat-message.json", "realtime-message.schema.json", Whole),
        ("realtime-chat-response.json", "realtime-message.schema.json", Whole),
        ("realtime-chat-typing.json", "realtime-message.schema.json", Whole),
        ("realtime-task.json", "realtime-message.schema.json", Whole),
        ("presence-project.json", "presence.schema.json", Whole),
        ("presence-global.json", "presence.schema.json", Whole),
        ("ably-token-request.json", "ably-auth.schema.json", Whole),
        ("ably-token-plugin.json", "ably-auth.schema.json", Whole),
    ];
    for (name, schema_file, part) in table {
        let value: Value = serde_json::from_str(&fixture(name)).expect("fixture is JSON");
        match part {
            Whole => assert_valid(schema_file, &value, name),
            DecodedEvent => {
                let event = bridge_core::model::WebhookEvent::from_slice(fixture(name).as_bytes()).expect("decodes");
                assert_valid(schema_file, &serde_json::to_value(&event).expect("serializes"), name);
            }
            At(pointer) => assert_valid(schema_file, value.pointer(pointer).expect("pointer exists"), name),
            EachAt(pointer) => {
                let items = value.pointer(pointer).and_then(Value::as_array).expect("array at pointer");
                assert!(!items.is_empty(), "{name} has items");
                for item in items {
                    assert_valid(schema_file, item, name);
                }
            }
        }
    }
}

#[test]
fn schemas_reject_what_the_hub_never_sends() {
    let schema = load_schema("webhook-event.schema.json");
    let validator = jsonschema::validator_for(&schema).expect("valid schema");
    let unknown: Value = serde_json::from_str(&fixture("webhook-unknown-event.json")).expect("json");
    assert!(!validator.is_valid(&unknown), "unknown event names are outside the six branches");
    let wrong = serde_json::json!({"event": "task.created", "data": {"id": "t", "projectId": "p", "title": 5, "status": "submitted"}});
    assert!(!validator.is_valid(&wrong), "a number title is refused");
    let task_schema = load_schema("task.schema.json");
    let task_validator = jsonschema::validator_for(&task_schema).expect("valid schema");
    assert!(
        !task_validator.is_valid(&serde_json::json!({"id": "t", "projectId": "p", "title": "x", "status": "paused"}))
    );
}

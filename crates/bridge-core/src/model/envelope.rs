//! Response wrappers, and the tolerant decoding of their documented variants.
//!
//! The sources disagree on wrappers (protocol.md section 9): projects come as a bare
//! array or `{projects}`, a created task as the task or `{data: Task}`, a page's cursor
//! under `pagination` or `meta`, a created webhook flat or under `data`. The hub emits
//! one shape ([`DataEnvelope`], [`Page`], named wrappers); the client decodes through
//! [`Listed`], [`Single`] and [`Page`], which accept every variant.

use schemars::JsonSchema;
use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// The `{"data": …}` wrapper the hub puts around single resources.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DataEnvelope<T> {
    /// The resource.
    pub data: T,
}

/// Where the next page starts.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PageInfo {
    /// Opaque cursor: pass it back as `before` (or `after`) for the next page.
    #[serde(default)]
    pub cursor: Option<String>,
    /// Whether another page exists.
    #[serde(default)]
    pub has_more: bool,
}

/// One page of a list: `{data: [...], pagination: {cursor, hasMore}}`.
///
/// Decoding also accepts `meta` instead of `pagination` (the adapter's shape) and a
/// bare array (then `hasMore` is false).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Page<T> {
    /// The items.
    pub data: Vec<T>,
    /// Where the next page starts.
    pub pagination: PageInfo,
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Page<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        match value {
            Value::Array(_) => Ok(Self {
                data: serde_json::from_value(value).map_err(D::Error::custom)?,
                pagination: PageInfo::default(),
            }),
            Value::Object(mut object) => {
                let data = object.remove("data").unwrap_or(Value::Array(Vec::new()));
                let info = object.remove("pagination").or_else(|| object.remove("meta"));
                Ok(Self {
                    data: serde_json::from_value(data).map_err(D::Error::custom)?,
                    pagination: match info {
                        Some(info) => serde_json::from_value(info).map_err(D::Error::custom)?,
                        None => PageInfo::default(),
                    },
                })
            }
            other => Err(D::Error::custom(format!("expected a page object or array, found {}", kind(&other)))),
        }
    }
}

/// A list in any documented wrapper: a bare array, `{data: [...]}` or a single named
/// field holding an array (`{projects: [...]}`, `{orgs: [...]}` …).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct Listed<T>(pub Vec<T>);

impl<'de, T: DeserializeOwned> Deserialize<'de> for Listed<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        let items = match value {
            Value::Array(_) => value,
            Value::Object(mut object) => {
                if let Some(data) = object.remove("data") {
                    data
                } else {
                    let mut arrays = object.into_iter().filter(|(_, v)| v.is_array());
                    match (arrays.next(), arrays.next()) {
                        (Some((_, items)), None) => items,
                        _ => {
                            return Err(D::Error::custom(
                                "expected a list: an array, {data: [...]} or one named array",
                            ));
                        }
                    }
                }
            }
            other => return Err(D::Error::custom(format!("expected a list, found {}", kind(&other)))),
        };
        serde_json::from_value(items).map(Listed).map_err(D::Error::custom)
    }
}

/// Names a single resource may be wrapped under.
const WRAPPER_KEYS: &[&str] = &["data", "project", "org", "task", "message", "agent", "webhook", "apiKey"];

/// One resource, bare or wrapped as `{data: …}`, `{project: …}`, `{task: …}` ….
#[derive(Clone, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct Single<T>(pub T);

impl<'de, T: DeserializeOwned> Deserialize<'de> for Single<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut value = Value::deserialize(deserializer)?;
        if let Value::Object(object) = &mut value
            && object.len() == 1
            && let Some(key) = object.keys().next().cloned()
            && WRAPPER_KEYS.contains(&key.as_str())
            && object[&key].is_object()
        {
            value = object.remove(&key).unwrap_or(Value::Null);
        }
        serde_json::from_value(value).map(Single).map_err(D::Error::custom)
    }
}

/// The error body every 4xx carries: `{"error": "<what is wrong and how to fix it>"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApiErrorBody {
    /// What is wrong and how to fix it.
    pub error: String,
    /// A stable machine-readable code (hub extension), e.g. `plan_limit`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

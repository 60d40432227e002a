//! Messages and presence messages inside protocol frames, with their payload encodings.

use base64::Engine as _;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;

/// A message payload as it travels: a string, bytes (msgpack `bin`, base64 in JSON) or any
/// other JSON value.
#[derive(Clone, Debug, PartialEq)]
pub enum MessageData {
    /// A string; with `encoding: "json"` it holds JSON text.
    Text(String),
    /// Bytes.
    Binary(Vec<u8>),
    /// A number, bool, array or object sent unencoded.
    Json(Value),
}

impl MessageData {
    /// Size of the payload in bytes, as Ably counts it for `maxMessageSize`.
    #[must_use]
    pub fn size(&self) -> usize {
        match self {
            Self::Text(text) => text.len(),
            Self::Binary(bytes) => bytes.len(),
            Self::Json(value) => serde_json::to_string(value).map_or(0, |s| s.len()),
        }
    }
}

impl Serialize for MessageData {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Text(text) => serializer.serialize_str(text),
            Self::Binary(bytes) => serializer.serialize_bytes(bytes),
            Self::Json(value) => value.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for MessageData {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DataVisitor;
        impl<'de> Visitor<'de> for DataVisitor {
            type Value = MessageData;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string, bytes or a JSON value")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<MessageData, E> {
                Ok(MessageData::Text(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<MessageData, E> {
                Ok(MessageData::Text(v))
            }
            fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<MessageData, E> {
                Ok(MessageData::Binary(v.to_vec()))
            }
            fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<MessageData, E> {
                Ok(MessageData::Binary(v))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<MessageData, E> {
                Ok(MessageData::Json(Value::Bool(v)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<MessageData, E> {
                Ok(MessageData::Json(v.into()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<MessageData, E> {
                Ok(MessageData::Json(v.into()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<MessageData, E> {
                Ok(MessageData::Json(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number)))
            }
            fn visit_unit<E: de::Error>(self) -> Result<MessageData, E> {
                Ok(MessageData::Json(Value::Null))
            }
            fn visit_none<E: de::Error>(self) -> Result<MessageData, E> {
                Ok(MessageData::Json(Value::Null))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<MessageData, A::Error> {
                Value::deserialize(de::value::SeqAccessDeserializer::new(seq)).map(MessageData::Json)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<MessageData, A::Error> {
                Value::deserialize(de::value::MapAccessDeserializer::new(map)).map(MessageData::Json)
            }
        }
        deserializer.deserialize_any(DataVisitor)
    }
}

/// Why a payload could not be decoded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The message has no data.
    #[error("the message has no data")]
    NoData,
    /// A step of `encoding` failed.
    #[error("payload encoding step {step:?} failed: {reason}")]
    Step {
        /// The step (`json`, `base64`, `utf-8`).
        step: String,
        /// Why.
        reason: String,
    },
}

/// Applies the `encoding` chain (last step first) to `data` and returns the JSON value it
/// holds: `json` parses, `base64` decodes, `utf-8` turns bytes into text. Unknown steps
/// (`cipher+…`, `vcdiff`) fail.
pub fn decode_data(data: Option<&MessageData>, encoding: Option<&str>) -> Result<Value, DecodeError> {
    let mut current = data.cloned().ok_or(DecodeError::NoData)?;
    let steps: Vec<&str> = encoding.map(|e| e.split('/').filter(|s| !s.is_empty()).collect()).unwrap_or_default();
    for step in steps.into_iter().rev() {
        let fail = |reason: String| DecodeError::Step { step: step.to_owned(), reason };
        current = match (step, current) {
            ("json", MessageData::Text(text)) => {
                MessageData::Json(serde_json::from_str(&text).map_err(|e| fail(e.to_string()))?)
            }
            ("json", MessageData::Binary(bytes)) => {
                MessageData::Json(serde_json::from_slice(&bytes).map_err(|e| fail(e.to_string()))?)
            }
            ("base64", MessageData::Text(text)) => MessageData::Binary(
                base64::engine::general_purpose::STANDARD.decode(text.as_bytes()).map_err(|e| fail(e.to_string()))?,
            ),
            ("utf-8" | "utf8", MessageData::Binary(bytes)) => {
                MessageData::Text(String::from_utf8(bytes).map_err(|e| fail(e.to_string()))?)
            }
            ("utf-8" | "utf8", text @ MessageData::Text(_)) => text,
            (_, other) => return Err(fail(format!("not applicable to {}", kind(&other)))),
        };
    }
    Ok(match current {
        MessageData::Text(text) => Value::String(text),
        MessageData::Binary(bytes) => Value::String(base64::engine::general_purpose::STANDARD.encode(bytes)),
        MessageData::Json(value) => value,
    })
}

fn kind(data: &MessageData) -> &'static str {
    match data {
        MessageData::Text(_) => "a string",
        MessageData::Binary(_) => "bytes",
        MessageData::Json(_) => "a JSON value",
    }
}

/// One message of a MESSAGE frame (TM).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WireMessage {
    /// Unique id (`connectionId:msgSerial:index`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Event name (`message`, `task`, or a chat type on Jaibber channels).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Payload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<MessageData>,
    /// Payload encoding chain, e.g. `json` or `utf-8/base64`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding: Option<String>,
    /// Publisher's client id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// Publisher's connection id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_id: Option<String>,
    /// Server time, ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<u64>,
    /// Extras, passed through.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extras: Option<Value>,
}

impl WireMessage {
    /// A message named `name` whose payload is `value` as JSON text (`encoding: "json"`),
    /// the way ably-js sends objects.
    pub fn json(name: impl Into<String>, value: &impl Serialize) -> Result<Self, serde_json::Error> {
        Ok(Self {
            name: Some(name.into()),
            data: Some(MessageData::Text(serde_json::to_string(value)?)),
            encoding: Some("json".into()),
            ..Self::default()
        })
    }

    /// The payload decoded through its `encoding`.
    pub fn decoded(&self) -> Result<Value, DecodeError> {
        decode_data(self.data.as_ref(), self.encoding.as_deref())
    }

    /// The payload decoded into `T`.
    pub fn decode_into<T: serde::de::DeserializeOwned>(&self) -> Result<T, DecodeError> {
        serde_json::from_value(self.decoded()?)
            .map_err(|e| DecodeError::Step { step: "into the expected type".into(), reason: e.to_string() })
    }
}

/// A presence action (TP2), an integer on the wire.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PresenceAction(pub u8);

#[allow(missing_docs)]
impl PresenceAction {
    pub const ABSENT: Self = Self(0);
    pub const PRESENT: Self = Self(1);
    pub const ENTER: Self = Self(2);
    pub const LEAVE: Self = Self(3);
    pub const UPDATE: Self = Self(4);
}

/// One presence message (TP).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PresenceMessage {
    /// Action.
    pub action: PresenceAction,
    /// Unique id (`connectionId:msgSerial:index`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Member's client id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// Member's connection id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_id: Option<String>,
    /// Member data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<MessageData>,
    /// Data encoding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding: Option<String>,
    /// Server time, ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<u64>,
    /// Extras, passed through.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extras: Option<Value>,
}

impl PresenceMessage {
    /// `connectionId:clientId`, the key of a member in a presence set (TP3h).
    #[must_use]
    pub fn member_key(&self) -> String {
        format!("{}:{}", self.connection_id.as_deref().unwrap_or(""), self.client_id.as_deref().unwrap_or(""))
    }

    /// The member data decoded through its `encoding`.
    pub fn decoded(&self) -> Result<Value, DecodeError> {
        decode_data(self.data.as_ref(), self.encoding.as_deref())
    }
}

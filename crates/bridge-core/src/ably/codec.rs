//! The two wire formats: `json` (WebSocket text frames) and `msgpack` (binary frames).
//!
//! Bytes travel as msgpack `bin` in msgpack and as base64 text with a `base64` encoding
//! step in JSON, so the same message can be relayed between clients of either format.

use base64::Engine as _;

use super::frame::ProtocolMessage;
use super::message::MessageData;

/// A wire format (`format=` query parameter).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Format {
    /// JSON text frames.
    #[default]
    Json,
    /// MessagePack binary frames (the Ably default, and ably-js's in Node).
    Msgpack,
}

impl Format {
    /// The format named by a `format` query value (`json`, `msgpack`).
    #[must_use]
    pub fn from_query(value: &str) -> Option<Self> {
        match value {
            "json" => Some(Self::Json),
            "msgpack" => Some(Self::Msgpack),
            _ => None,
        }
    }

    /// The query value.
    #[must_use]
    pub fn as_query(self) -> &'static str {
        match self {
            Self::Json => "json",
            Self::Msgpack => "msgpack",
        }
    }
}

/// A frame that could not be encoded or decoded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CodecError {
    /// JSON encode or decode failed.
    #[error("malformed JSON protocol message: {0}")]
    Json(#[from] serde_json::Error),
    /// msgpack decode failed.
    #[error("malformed msgpack protocol message: {0}")]
    MsgpackDecode(#[from] rmp_serde::decode::Error),
    /// msgpack encode failed.
    #[error("protocol message not encodable as msgpack: {0}")]
    MsgpackEncode(#[from] rmp_serde::encode::Error),
}

/// Encodes a frame: UTF-8 JSON text for [`Format::Json`], msgpack bytes otherwise.
pub fn encode(message: &ProtocolMessage, format: Format) -> Result<Vec<u8>, CodecError> {
    match format {
        Format::Json => {
            if has_binary(message) {
                let mut copy = message.clone();
                for_each_payload(&mut copy, binary_to_base64);
                Ok(serde_json::to_vec(&copy)?)
            } else {
                Ok(serde_json::to_vec(message)?)
            }
        }
        Format::Msgpack => {
            if has_base64(message) {
                let mut copy = message.clone();
                for_each_payload(&mut copy, base64_to_binary);
                Ok(rmp_serde::to_vec_named(&copy)?)
            } else {
                Ok(rmp_serde::to_vec_named(message)?)
            }
        }
    }
}

/// Decodes a frame.
pub fn decode(bytes: &[u8], format: Format) -> Result<ProtocolMessage, CodecError> {
    match format {
        Format::Json => Ok(serde_json::from_slice(bytes)?),
        Format::Msgpack => Ok(rmp_serde::from_slice(bytes)?),
    }
}

fn payloads(message: &ProtocolMessage) -> impl Iterator<Item = (Option<&MessageData>, Option<&str>)> {
    let messages = message.messages.iter().flatten().map(|m| (m.data.as_ref(), m.encoding.as_deref()));
    let presence = message.presence.iter().flatten().map(|p| (p.data.as_ref(), p.encoding.as_deref()));
    messages.chain(presence)
}

fn has_binary(message: &ProtocolMessage) -> bool {
    payloads(message).any(|(data, _)| matches!(data, Some(MessageData::Binary(_))))
}

fn has_base64(message: &ProtocolMessage) -> bool {
    payloads(message).any(|(data, encoding)| {
        matches!(data, Some(MessageData::Text(_))) && encoding.is_some_and(|e| e.ends_with("base64"))
    })
}

fn for_each_payload(message: &mut ProtocolMessage, mut f: impl FnMut(&mut Option<MessageData>, &mut Option<String>)) {
    for m in message.messages.iter_mut().flatten() {
        f(&mut m.data, &mut m.encoding);
    }
    for p in message.presence.iter_mut().flatten() {
        f(&mut p.data, &mut p.encoding);
    }
}

fn binary_to_base64(data: &mut Option<MessageData>, encoding: &mut Option<String>) {
    if let Some(MessageData::Binary(bytes)) = data {
        *data = Some(MessageData::Text(base64::engine::general_purpose::STANDARD.encode(bytes)));
        *encoding = Some(match encoding.take() {
            Some(previous) if !previous.is_empty() => format!("{previous}/base64"),
            _ => "base64".to_owned(),
        });
    }
}

fn base64_to_binary(data: &mut Option<MessageData>, encoding: &mut Option<String>) {
    let Some(MessageData::Text(text)) = data else { return };
    let Some(chain) = encoding.as_deref() else { return };
    let Some(rest) = chain.strip_suffix("base64") else { return };
    let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(text.as_bytes()) else { return };
    let rest = rest.trim_end_matches('/');
    *encoding = (!rest.is_empty()).then(|| rest.to_owned());
    *data = Some(MessageData::Binary(bytes));
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::ably::frame::{Action, ErrorInfo};
    use crate::ably::message::{PresenceAction, PresenceMessage, WireMessage};

    fn sample() -> ProtocolMessage {
        ProtocolMessage {
            action: Action::MESSAGE,
            channel: Some("jaibber:project:p1".into()),
            channel_serial: Some("e1:5".into()),
            msg_serial: Some(7),
            timestamp: Some(1_764_000_000_123),
            messages: Some(vec![
                WireMessage::json("message", &serde_json::json!({"text": "hi", "n": 1})).unwrap(),
                WireMessage {
                    name: Some("blob".into()),
                    data: Some(MessageData::Binary(vec![0, 159, 255])),
                    ..WireMessage::default()
                },
            ]),
            presence: Some(vec![PresenceMessage {
                action: PresenceAction::ENTER,
                client_id: Some("u1".into()),
                data: Some(MessageData::Json(serde_json::json!({"agentName": "Echo"}))),
                ..PresenceMessage::default()
            }]),
            error: Some(ErrorInfo::new(40_142, 401, "Token expired")),
            ..ProtocolMessage::default()
        }
    }

    #[test]
    fn msgpack_round_trips_with_binary_as_bin() {
        let frame = sample();
        let bytes = encode(&frame, Format::Msgpack).unwrap();
        assert_eq!(decode(&bytes, Format::Msgpack).unwrap(), frame);
    }

    #[test]
    fn json_carries_binary_as_base64_and_msgpack_restores_it() {
        let frame = sample();
        let text = encode(&frame, Format::Json).unwrap();
        let via_json = decode(&text, Format::Json).unwrap();
        let blob = &via_json.messages.as_ref().unwrap()[1];
        assert_eq!(blob.encoding.as_deref(), Some("base64"));
        assert_eq!(blob.data, Some(MessageData::Text("AJ//".into())));
        let relayed = decode(&encode(&via_json, Format::Msgpack).unwrap(), Format::Msgpack).unwrap();
        assert_eq!(relayed, frame, "a JSON frame relayed to a msgpack client gets its bytes back");
    }

    #[test]
    fn json_payloads_decode_through_their_encoding() {
        let frame = decode(&encode(&sample(), Format::Msgpack).unwrap(), Format::Msgpack).unwrap();
        let first = &frame.messages.unwrap()[0];
        assert_eq!(first.decoded().unwrap(), serde_json::json!({"text": "hi", "n": 1}));
    }

    #[test]
    fn malformed_frames_are_errors_not_panics() {
        assert!(decode(b"{\"action\":", Format::Json).is_err());
        assert!(decode(&[0xc1, 0x00], Format::Msgpack).is_err());
        assert!(decode(b"[]", Format::Json).is_err());
    }
}

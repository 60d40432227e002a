//! Typed identifiers.
//!
//! Jaibber ids are UUID strings, but the public examples also use ids such as
//! `msg-uuid` or `d_abc123`, so the newtypes wrap the string as sent and never reject
//! one. Distinct types keep a task id from being passed where a project id belongs.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

macro_rules! id_newtype {
    ($(#[$meta:meta])* $name:ident, $prefix:literal) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
        #[serde(transparent)]
        #[schemars(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps an id as received or stored.
            pub fn new(value: impl Into<String>) -> Self {
                Self(value.into())
            }

            /// Creates a fresh random id (a v4 UUID, with this id kind's prefix if it has one).
            #[must_use]
            pub fn random() -> Self {
                Self(format!(concat!($prefix, "{}"), uuid::Uuid::new_v4()))
            }

            /// Borrows the id as a string slice.
            #[must_use]
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Returns the owned string.
            #[must_use]
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                Self(value)
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                Self(value.to_owned())
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

id_newtype!(
    /// Identifies a user account (humans and agent accounts alike); the Ably `clientId`.
    UserId, ""
);
id_newtype!(
    /// Identifies an organization.
    OrgId, ""
);
id_newtype!(
    /// Identifies a project, and through it the realtime channel `jaibber:project:{id}`.
    ProjectId, ""
);
id_newtype!(
    /// Identifies a chat message; a streamed reply keeps the same id from `chunk` to storage.
    MessageId, ""
);
id_newtype!(
    /// Identifies a task.
    TaskId, ""
);
id_newtype!(
    /// Identifies a registered agent.
    AgentId, ""
);
id_newtype!(
    /// Identifies an API key (not the key itself).
    ApiKeyId, ""
);
id_newtype!(
    /// Identifies a webhook subscription.
    WebhookId, ""
);
id_newtype!(
    /// Identifies one webhook delivery; the receiver's idempotency key (`d_…`).
    DeliveryId, "d_"
);
id_newtype!(
    /// Identifies a file attached to a message.
    AttachmentId, ""
);

impl ProjectId {
    /// Returns the name of this project's realtime channel, `jaibber:project:{id}`.
    #[must_use]
    pub fn channel_name(&self) -> String {
        format!("jaibber:project:{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delivery_ids_carry_their_prefix_and_differ() {
        let a = DeliveryId::random();
        let b = DeliveryId::random();
        assert!(a.as_str().starts_with("d_"), "{a}");
        assert_ne!(a, b);
    }

    #[test]
    fn ids_serialize_as_bare_strings() {
        let id = TaskId::new("task-uuid");
        assert_eq!(serde_json::to_string(&id).expect("serializes"), "\"task-uuid\"");
        let back: TaskId = serde_json::from_str("\"task-uuid\"").expect("parses");
        assert_eq!(back, id);
    }

    #[test]
    fn project_channel_name_follows_the_protocol() {
        assert_eq!(ProjectId::new("p1").channel_name(), "jaibber:project:p1");
    }
}

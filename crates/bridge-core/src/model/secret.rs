//! Secret strings that never show up in `Debug` output or logs.
//!
//! API keys, webhook secrets, JWTs and passwords travel in request and response bodies,
//! so they serialise as plain strings, but their `Debug` impl prints `[redacted]` and
//! they have no `Display`. Code that really needs the value calls `expose()`, which is
//! easy to search for in review.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

macro_rules! secret_newtype {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
        #[serde(transparent)]
        #[schemars(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps a secret value.
            pub fn new(value: impl Into<String>) -> Self {
                Self(value.into())
            }

            /// Returns the secret itself; never log the result.
            #[must_use]
            pub fn expose(&self) -> &str {
                &self.0
            }

            /// Tells whether the secret is empty.
            #[must_use]
            pub fn is_empty(&self) -> bool {
                self.0.is_empty()
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "([redacted])"))
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
    };
}

secret_newtype!(
    /// A full API key (`jb_…`), shown once at creation.
    ApiKeySecret
);
secret_newtype!(
    /// A webhook signing secret (`whsec_…`), shown once at creation.
    WebhookSecret
);
secret_newtype!(
    /// A JWT session token.
    Jwt
);
secret_newtype!(
    /// An account password.
    Password
);

impl ApiKeySecret {
    /// Returns the non-secret prefix shown in key listings (`jb_` and the next 8 characters).
    #[must_use]
    pub fn display_prefix(&self) -> String {
        self.0.chars().take(11).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let key = ApiKeySecret::new("jb_supersecretvalue");
        let printed = format!("{key:?}");
        assert!(!printed.contains("supersecret"), "{printed}");
        assert!(printed.contains("redacted"));
    }

    #[test]
    fn serializes_plainly_for_the_wire() {
        let secret = WebhookSecret::new("whsec_abc");
        assert_eq!(serde_json::to_string(&secret).expect("serializes"), "\"whsec_abc\"");
    }

    #[test]
    fn prefix_is_short() {
        assert_eq!(ApiKeySecret::new("jb_0123456789abcdef").display_prefix(), "jb_01234567");
    }
}

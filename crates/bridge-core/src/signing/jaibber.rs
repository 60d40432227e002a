//! The Jaibber signature scheme (GitHub style).
//!
//! `X-Jaibber-Signature: sha256=<lowercase hex HMAC-SHA256(secret, raw body)>`. The key is
//! the whole secret string as UTF-8, `whsec_` prefix included; it is **not** base64
//! decoded as in Standard Webhooks. There is no signed timestamp: replay protection is
//! `X-Jaibber-Delivery` dedup, plus an optional check of the body's `timestamp` age
//! ([`check_age`]).
//!
//! Throughput: `benches/core.rs` (`verify_jaibber_1k`) measures verification of a signed
//! 1 KiB body; see the crate README for the figure on the reference machine.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::{SecretError, SignatureError};

/// The header carrying the signature.
pub const SIGNATURE_HEADER: &str = "x-jaibber-signature";
/// The header carrying the event name.
pub const EVENT_HEADER: &str = "x-jaibber-event";
/// The header carrying the delivery id.
pub const DELIVERY_HEADER: &str = "x-jaibber-delivery";

const PREFIX: &str = "sha256=";

/// Signs and verifies Jaibber webhook bodies with one secret.
///
/// The HMAC key schedule is computed once, so verifying costs only the body's hashing.
#[derive(Clone)]
pub struct JaibberSigner {
    mac: Hmac<Sha256>,
}

impl std::fmt::Debug for JaibberSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JaibberSigner([redacted])")
    }
}

impl JaibberSigner {
    /// Builds a signer from the webhook secret, used as UTF-8 bytes.
    ///
    /// # Errors
    /// [`SecretError::Empty`] for an empty secret.
    pub fn new(secret: &str) -> Result<Self, SecretError> {
        if secret.is_empty() {
            return Err(SecretError::Empty);
        }
        let mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).map_err(|_| SecretError::Empty)?;
        Ok(Self { mac })
    }

    /// Returns the header value for a body: `sha256=<64 lowercase hex digits>`.
    #[must_use]
    pub fn sign(&self, body: &[u8]) -> String {
        let mut mac = self.mac.clone();
        mac.update(body);
        let digest = mac.finalize().into_bytes();
        let mut out = String::with_capacity(PREFIX.len() + 64);
        out.push_str(PREFIX);
        out.push_str(&hex::encode(digest));
        out
    }

    /// Verifies a signature header value against the raw body, in constant time.
    ///
    /// Accepts upper- or lower-case hex and surrounding whitespace.
    ///
    /// # Errors
    /// [`SignatureError::MissingHeader`] for an empty value, [`SignatureError::BadPrefix`],
    /// [`SignatureError::BadEncoding`], [`SignatureError::WrongLength`] for a malformed
    /// value, [`SignatureError::Mismatch`] when it does not match.
    pub fn verify(&self, body: &[u8], header_value: &str) -> Result<(), SignatureError> {
        let value = header_value.trim();
        if value.is_empty() {
            return Err(SignatureError::MissingHeader { header: SIGNATURE_HEADER });
        }
        let hex_part = value
            .get(..PREFIX.len())
            .filter(|p| p.eq_ignore_ascii_case(PREFIX))
            .map(|_| &value[PREFIX.len()..])
            .ok_or(SignatureError::BadPrefix)?;
        let mut expected = [0u8; 32];
        if hex_part.len() != 64 {
            return Err(match hex::decode(hex_part) {
                Ok(bytes) => SignatureError::WrongLength { actual: bytes.len() },
                Err(_) => SignatureError::BadEncoding { encoding: "hex" },
            });
        }
        hex::decode_to_slice(hex_part, &mut expected).map_err(|_| SignatureError::BadEncoding { encoding: "hex" })?;
        let mut mac = self.mac.clone();
        mac.update(body);
        mac.verify_slice(&expected).map_err(|_| SignatureError::Mismatch)
    }

    /// Verifies an optional header (as read from a request) against the body.
    ///
    /// # Errors
    /// As [`JaibberSigner::verify`]; a `None` header is [`SignatureError::MissingHeader`].
    pub fn verify_header(&self, body: &[u8], header_value: Option<&str>) -> Result<(), SignatureError> {
        self.verify(body, header_value.unwrap_or(""))
    }
}

/// Checks that an event's `timestamp` (Unix seconds) is within `tolerance_secs` of `now`.
///
/// Jaibber signs no timestamp, so this only narrows replays of a captured body when the
/// receiver opts in; `deliveryId` dedup remains the real defence.
///
/// # Errors
/// [`SignatureError::StaleTimestamp`] or [`SignatureError::FutureTimestamp`].
pub fn check_age(event_secs: i64, now_secs: i64, tolerance_secs: i64) -> Result<(), SignatureError> {
    let age = now_secs.saturating_sub(event_secs);
    if age > tolerance_secs {
        Err(SignatureError::StaleTimestamp { age_secs: age, tolerance_secs })
    } else if -age > tolerance_secs {
        Err(SignatureError::FutureTimestamp { ahead_secs: -age, tolerance_secs })
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_test_secret";

    #[test]
    fn round_trip_and_case_insensitive_hex() {
        let signer = JaibberSigner::new(SECRET).expect("secret");
        let body = br#"{"event":"message.created"}"#;
        let sig = signer.sign(body);
        assert!(sig.starts_with("sha256=") && sig.len() == 71, "{sig}");
        assert_eq!(signer.verify(body, &sig), Ok(()));
        assert_eq!(signer.verify(body, &format!(" SHA256={} ", &sig[7..].to_uppercase())), Ok(()));
    }

    #[test]
    fn malformed_values_get_precise_errors() {
        let signer = JaibberSigner::new(SECRET).expect("secret");
        assert_eq!(signer.verify_header(b"x", None), Err(SignatureError::MissingHeader { header: SIGNATURE_HEADER }));
        assert_eq!(signer.verify(b"x", "md5=abcd"), Err(SignatureError::BadPrefix));
        assert_eq!(signer.verify(b"x", "sha256=zz"), Err(SignatureError::BadEncoding { encoding: "hex" }));
        assert_eq!(signer.verify(b"x", "sha256=abcd"), Err(SignatureError::WrongLength { actual: 2 }));
        let other = JaibberSigner::new("whsec_other").expect("secret").sign(b"x");
        assert_eq!(signer.verify(b"x", &other), Err(SignatureError::Mismatch));
    }

    #[test]
    fn errors_never_echo_the_secret_or_signature() {
        let signer = JaibberSigner::new(SECRET).expect("secret");
        let sig = signer.sign(b"body");
        let err = signer.verify(b"other body", &sig).expect_err("mismatch");
        let text = format!("{err} {err:?} {signer:?}");
        assert!(!text.contains(SECRET) && !text.contains(&sig[7..]), "{text}");
    }

    #[test]
    fn empty_secret_is_refused() {
        assert_eq!(JaibberSigner::new("").expect_err("empty"), SecretError::Empty);
    }

    #[test]
    fn age_window() {
        assert!(check_age(1_000, 1_200, 300).is_ok());
        assert_eq!(
            check_age(1_000, 1_400, 300),
            Err(SignatureError::StaleTimestamp { age_secs: 400, tolerance_secs: 300 })
        );
        assert_eq!(
            check_age(2_000, 1_000, 300),
            Err(SignatureError::FutureTimestamp { ahead_secs: 1_000, tolerance_secs: 300 })
        );
    }
}

//! Standard Webhooks v1 signatures (the scheme Svix and many providers use).
//!
//! Signed content: `{webhook-id}.{webhook-timestamp}.{raw body}`, HMAC-SHA256, base64.
//! The secret is `whsec_` + base64 of 24–64 random bytes; it is decoded strictly and
//! refused below 16 bytes, so a malformed secret can never become an empty key that
//! accepts forged signatures. `webhook-signature` is a space-separated list of
//! `v1,<base64>`; a delivery is accepted if any `v1` entry matches any configured key,
//! which is how keys rotate without downtime.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::{SecretError, SignatureError};

/// Header with the message id.
pub const ID_HEADER: &str = "webhook-id";
/// Header with the Unix timestamp in seconds.
pub const TIMESTAMP_HEADER: &str = "webhook-timestamp";
/// Header with the signature list.
pub const SIGNATURE_HEADER: &str = "webhook-signature";
/// The secret prefix.
pub const SECRET_PREFIX: &str = "whsec_";
/// The default tolerance, past and future, as in every reference library.
pub const DEFAULT_TOLERANCE_SECS: i64 = 5 * 60;
/// The smallest decoded secret accepted.
pub const MIN_SECRET_BYTES: usize = 16;

/// The three Standard Webhooks header values of one delivery.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StandardHeaders<'a> {
    /// `webhook-id`.
    pub id: &'a str,
    /// `webhook-timestamp`.
    pub timestamp: &'a str,
    /// `webhook-signature`.
    pub signature: &'a str,
}

impl<'a> StandardHeaders<'a> {
    /// Reads the headers, falling back to the `svix-*` names.
    ///
    /// # Errors
    /// [`SignatureError::MissingHeader`] naming the first one absent.
    pub fn from_header_map(headers: &'a http::HeaderMap) -> Result<Self, SignatureError> {
        let get = |name: &'static str, fallback: &'static str| {
            headers
                .get(name)
                .or_else(|| headers.get(fallback))
                .and_then(|v| v.to_str().ok())
                .filter(|v| !v.is_empty())
                .ok_or(SignatureError::MissingHeader { header: name })
        };
        Ok(Self {
            id: get(ID_HEADER, "svix-id")?,
            timestamp: get(TIMESTAMP_HEADER, "svix-timestamp")?,
            signature: get(SIGNATURE_HEADER, "svix-signature")?,
        })
    }
}

/// Signs and verifies Standard Webhooks deliveries with one or more keys.
#[derive(Clone)]
pub struct StandardSigner {
    keys: Vec<Hmac<Sha256>>,
    tolerance_secs: i64,
}

impl std::fmt::Debug for StandardSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StandardSigner")
            .field("keys", &format_args!("[{} redacted]", self.keys.len()))
            .field("tolerance_secs", &self.tolerance_secs)
            .finish()
    }
}

impl StandardSigner {
    /// Builds a signer from a `whsec_<base64>` secret (the prefix is optional).
    ///
    /// # Errors
    /// [`SecretError`] when the secret is empty, not base64, or shorter than 16 bytes.
    pub fn from_secret(secret: &str) -> Result<Self, SecretError> {
        Ok(Self { keys: vec![decode_secret(secret)?], tolerance_secs: DEFAULT_TOLERANCE_SECS })
    }

    /// Builds a signer from raw key bytes.
    ///
    /// # Errors
    /// [`SecretError::TooShort`] below 16 bytes.
    pub fn from_bytes(key: &[u8]) -> Result<Self, SecretError> {
        Ok(Self { keys: vec![key_from_bytes(key)?], tolerance_secs: DEFAULT_TOLERANCE_SECS })
    }

    /// Adds another accepted secret (key rotation); [`StandardSigner::sign_all`] signs with every key.
    ///
    /// # Errors
    /// As [`StandardSigner::from_secret`].
    pub fn with_secret(mut self, secret: &str) -> Result<Self, SecretError> {
        self.keys.push(decode_secret(secret)?);
        Ok(self)
    }

    /// Sets the timestamp tolerance in seconds, past and future (default 300).
    #[must_use]
    pub fn tolerance_secs(mut self, tolerance_secs: i64) -> Self {
        self.tolerance_secs = tolerance_secs;
        self
    }

    /// Returns `v1,<base64>` signed with the first key.
    #[must_use]
    pub fn sign(&self, msg_id: &str, timestamp: i64, body: &[u8]) -> String {
        format!("v1,{}", B64.encode(digest(&self.keys[0], msg_id, timestamp, body)))
    }

    /// Returns the space-separated `v1,<base64>` list signed with every key.
    #[must_use]
    pub fn sign_all(&self, msg_id: &str, timestamp: i64, body: &[u8]) -> String {
        self.keys
            .iter()
            .map(|key| format!("v1,{}", B64.encode(digest(key, msg_id, timestamp, body))))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Verifies a delivery at time `now_secs` (Unix seconds).
    ///
    /// # Errors
    /// [`SignatureError::BadTimestamp`], [`SignatureError::StaleTimestamp`],
    /// [`SignatureError::FutureTimestamp`], [`SignatureError::NoSupportedSignature`],
    /// [`SignatureError::BadEncoding`] or [`SignatureError::Mismatch`].
    pub fn verify(&self, headers: &StandardHeaders<'_>, body: &[u8], now_secs: i64) -> Result<(), SignatureError> {
        let timestamp: i64 = headers.timestamp.trim().parse().map_err(|_| SignatureError::BadTimestamp)?;
        super::jaibber::check_age(timestamp, now_secs, self.tolerance_secs)?;
        let mut saw_v1 = false;
        let mut saw_decodable = false;
        for entry in headers.signature.split_whitespace() {
            let Some((version, value)) = entry.split_once(',') else { continue };
            if version != "v1" {
                continue;
            }
            saw_v1 = true;
            let Ok(expected) = B64.decode(value) else { continue };
            saw_decodable = true;
            for key in &self.keys {
                let mut mac = key.clone();
                mac.update(headers.id.as_bytes());
                mac.update(b".");
                mac.update(headers.timestamp.trim().as_bytes());
                mac.update(b".");
                mac.update(body);
                if mac.verify_slice(&expected).is_ok() {
                    return Ok(());
                }
            }
        }
        match (saw_v1, saw_decodable) {
            (false, _) => Err(SignatureError::NoSupportedSignature),
            (true, false) => Err(SignatureError::BadEncoding { encoding: "base64" }),
            (true, true) => Err(SignatureError::Mismatch),
        }
    }
}

fn decode_secret(secret: &str) -> Result<Hmac<Sha256>, SecretError> {
    let encoded = secret.trim();
    let encoded = encoded.strip_prefix(SECRET_PREFIX).unwrap_or(encoded);
    if encoded.is_empty() {
        return Err(SecretError::Empty);
    }
    let bytes = B64.decode(encoded).map_err(|_| SecretError::NotBase64)?;
    key_from_bytes(&bytes)
}

fn key_from_bytes(bytes: &[u8]) -> Result<Hmac<Sha256>, SecretError> {
    if bytes.len() < MIN_SECRET_BYTES {
        return Err(SecretError::TooShort { actual: bytes.len(), minimum: MIN_SECRET_BYTES });
    }
    Hmac::<Sha256>::new_from_slice(bytes).map_err(|_| SecretError::Empty)
}

fn digest(key: &Hmac<Sha256>, msg_id: &str, timestamp: i64, body: &[u8]) -> [u8; 32] {
    let mut mac = key.clone();
    mac.update(msg_id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.finalize().into_bytes().into()
}

/// Generates a fresh `whsec_` secret of 32 random bytes.
#[must_use]
pub fn generate_secret() -> String {
    let mut bytes = [0u8; 32];
    bytes[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
    bytes[16..].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
    format!("{SECRET_PREFIX}{}", B64.encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    // The published Standard Webhooks / Svix test vector.
    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const MSG_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const TS: i64 = 1_614_265_330;
    const BODY: &[u8] = br#"{"test": 2432232314}"#;
    const SIG: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    fn headers(signature: &str) -> StandardHeaders<'_> {
        StandardHeaders { id: MSG_ID, timestamp: "1614265330", signature }
    }

    #[test]
    fn published_vector_signs_and_verifies() {
        let signer = StandardSigner::from_secret(SECRET).expect("secret");
        assert_eq!(signer.sign(MSG_ID, TS, BODY), SIG);
        assert_eq!(signer.verify(&headers(SIG), BODY, TS + 10), Ok(()));
    }

    #[test]
    fn rotation_accepts_any_matching_entry() {
        let old = StandardSigner::from_secret(SECRET).expect("secret");
        let new_secret = generate_secret();
        let rotated = StandardSigner::from_secret(&new_secret).expect("new").with_secret(SECRET).expect("old");
        let both = rotated.sign_all(MSG_ID, TS, BODY);
        assert_eq!(both.split(' ').count(), 2);
        assert_eq!(old.verify(&headers(&both), BODY, TS), Ok(()));
        let unrelated = format!("v1a,xyz v1,{}", &SIG[3..]);
        assert_eq!(rotated.verify(&headers(&unrelated), BODY, TS), Ok(()));
    }

    #[test]
    fn window_and_errors() {
        let signer = StandardSigner::from_secret(SECRET).expect("secret");
        assert!(matches!(signer.verify(&headers(SIG), BODY, TS + 301), Err(SignatureError::StaleTimestamp { .. })));
        assert!(matches!(signer.verify(&headers(SIG), BODY, TS - 301), Err(SignatureError::FutureTimestamp { .. })));
        assert_eq!(signer.verify(&headers("v2,abc"), BODY, TS), Err(SignatureError::NoSupportedSignature));
        assert_eq!(
            signer.verify(&headers("v1,***"), BODY, TS),
            Err(SignatureError::BadEncoding { encoding: "base64" })
        );
        assert_eq!(signer.verify(&headers(SIG), b"{}", TS), Err(SignatureError::Mismatch));
        let bad_ts = StandardHeaders { id: MSG_ID, timestamp: "soon", signature: SIG };
        assert_eq!(signer.verify(&bad_ts, BODY, TS), Err(SignatureError::BadTimestamp));
    }

    #[test]
    fn malformed_secrets_are_refused() {
        assert_eq!(StandardSigner::from_secret("whsec_").expect_err("empty"), SecretError::Empty);
        assert_eq!(StandardSigner::from_secret("whsec_!!!").expect_err("b64"), SecretError::NotBase64);
        assert_eq!(
            StandardSigner::from_secret("whsec_AAAA").expect_err("short"),
            SecretError::TooShort { actual: 3, minimum: 16 }
        );
    }

    #[test]
    fn reads_headers_with_svix_fallback() {
        let mut map = http::HeaderMap::new();
        map.insert("svix-id", MSG_ID.parse().expect("value"));
        map.insert("webhook-timestamp", "1614265330".parse().expect("value"));
        assert_eq!(
            StandardHeaders::from_header_map(&map),
            Err(SignatureError::MissingHeader { header: SIGNATURE_HEADER })
        );
        map.insert("webhook-signature", SIG.parse().expect("value"));
        let read = StandardHeaders::from_header_map(&map).expect("all present");
        assert_eq!(read, headers(SIG));
    }
}

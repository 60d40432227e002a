//! Ably error codes the hub and the client use (ably-common `protocol/errors.json`).

/// Bad request: a malformed frame or field.
pub const BAD_REQUEST: u32 = 40_000;
/// A message over `maxMessageSize`.
pub const MESSAGE_TOO_LARGE: u32 = 40_009;
/// Credentials missing or not accepted.
pub const UNAUTHORIZED: u32 = 40_100;
/// The token's clientId does not match the connection's.
pub const INCOMPATIBLE_CLIENT_ID: u32 = 40_102;
/// TokenRequest timestamp outside the accepted window.
pub const TIMESTAMP_OUT_OF_WINDOW: u32 = 40_104;
/// TokenRequest nonce used before.
pub const NONCE_REPLAYED: u32 = 40_105;
/// Account limits exceeded (too many connections for this client).
pub const CONNECTION_LIMIT: u32 = 40_110;
/// First code of the token-error range: 40140 ≤ code < 40150 means "renew the token".
pub const TOKEN_ERROR_FIRST: u32 = 40_140;
/// Token not accepted (unspecified).
pub const TOKEN_ERROR: u32 = 40_140;
/// Token revoked.
pub const TOKEN_REVOKED: u32 = 40_141;
/// Token expired.
pub const TOKEN_EXPIRED: u32 = 40_142;
/// Token unrecognised (bad signature or format).
pub const TOKEN_UNRECOGNISED: u32 = 40_143;
/// Operation not permitted by the token's capability.
pub const CAPABILITY_DENIED: u32 = 40_160;
/// Too many inbound protocol messages per second on one connection.
pub const INBOUND_RATE: u32 = 42_924;
/// Internal error.
pub const INTERNAL: u32 = 50_000;
/// Connection closed because the server is going away.
pub const SERVER_SHUTDOWN: u32 = 80_003;
/// The connection to resume is no longer available.
pub const CONNECTION_UNAVAILABLE: u32 = 80_005;
/// Messages needed to resume have expired.
pub const MESSAGES_EXPIRED: u32 = 80_006;
/// The connection key to resume is not valid.
pub const INVALID_CONNECTION_KEY: u32 = 80_018;
/// `authUrl`/`authCallback` failed.
pub const AUTH_CALLBACK_FAILED: u32 = 80_019;
/// Connection closed because its consumer cannot keep up.
pub const SLOW_CONSUMER: u32 = 80_020;
/// Too many channels on one connection.
pub const CHANNEL_LIMIT: u32 = 90_010;

/// Whether `code` is in the token-error range that asks the client to renew its token.
#[must_use]
pub fn is_token_error(code: u32) -> bool {
    (TOKEN_ERROR_FIRST..TOKEN_ERROR_FIRST + 10).contains(&code)
}

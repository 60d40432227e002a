//! Who is calling: JWT sessions, API keys, rate limits and the access rules.

pub mod caller;
pub mod jwt;
pub mod password;
pub mod policy;
pub mod rate_limit;

pub use caller::{Caller, MaybeCaller};

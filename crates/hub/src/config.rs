//! The hub's configuration: CLI flags > `JAIBBER_HUB_*` env vars > TOML file > defaults.
//!
//! clap resolves flag-or-env; [`HubConfig::resolve`] lays the TOML file under them and
//! validates everything at once, so a bad value is reported at startup, all together.

use std::path::PathBuf;
use std::time::Duration;

use bridge_core::model::PlanId;
use serde::Deserialize;

/// The default webhook retry schedule.
pub const DEFAULT_RETRY_DELAYS: &str = "1s,5s,30s,5m,30m,2h,5h,10h";

/// `serve` flags (every one also an env var).
#[derive(Clone, Debug, Default, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "JAIBBER_HUB_LISTEN")]
    pub listen: Option<String>,
    /// Data directory (SQLite database, JWT secret).
    #[arg(long, env = "JAIBBER_HUB_DATA")]
    pub data: Option<PathBuf>,
    /// TOML config file; flags and env vars override it.
    #[arg(long, env = "JAIBBER_HUB_CONFIG")]
    pub config: Option<PathBuf>,
    /// Plan given to new orgs: free, pro or team.
    #[arg(long, env = "JAIBBER_HUB_DEFAULT_PLAN")]
    pub default_plan: Option<String>,
    /// Largest accepted request body in bytes.
    #[arg(long, env = "JAIBBER_HUB_MAX_BODY_BYTES")]
    pub max_body_bytes: Option<usize>,
    /// Allow plain-http webhook URLs that are not loopback.
    #[arg(long, env = "JAIBBER_HUB_ALLOW_HTTP_WEBHOOKS")]
    pub allow_http_webhooks: bool,
    /// Webhook retry delays after a failed attempt, e.g. 1s,5s,30s,5m,30m,2h,5h,10h.
    #[arg(long, env = "JAIBBER_HUB_WEBHOOK_RETRY_DELAYS")]
    pub webhook_retry_delays: Option<String>,
    /// Timeout of one webhook delivery attempt, e.g. 10s.
    #[arg(long, env = "JAIBBER_HUB_WEBHOOK_TIMEOUT")]
    pub webhook_timeout: Option<String>,
    /// Default per-key rate limit, requests per minute.
    #[arg(long, env = "JAIBBER_HUB_RATE_LIMIT")]
    pub rate_limit: Option<u32>,
    /// The URL clients reach the hub at (OAuth redirects).
    #[arg(long, env = "JAIBBER_HUB_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Do not enforce plan limits (a private hub where every org is unlimited).
    #[arg(long, env = "JAIBBER_HUB_NO_PLAN_LIMITS")]
    pub no_plan_limits: bool,
    /// Realtime connections allowed per client id (user); default 100.
    #[arg(long, env = "JAIBBER_HUB_REALTIME_MAX_CONNECTIONS")]
    pub realtime_max_connections: Option<usize>,
    /// Channels one realtime connection may attach; default 200.
    #[arg(long, env = "JAIBBER_HUB_REALTIME_MAX_CHANNELS")]
    pub realtime_max_channels: Option<usize>,
    /// Largest realtime message payload in bytes; default 65536.
    #[arg(long, env = "JAIBBER_HUB_REALTIME_MAX_MESSAGE_SIZE")]
    pub realtime_max_message_size: Option<usize>,
}

/// The TOML file: every field optional.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct FileConfig {
    /// See [`ServeArgs::listen`].
    pub listen: Option<String>,
    /// See [`ServeArgs::data`].
    pub data: Option<PathBuf>,
    /// See [`ServeArgs::default_plan`].
    pub default_plan: Option<String>,
    /// See [`ServeArgs::max_body_bytes`].
    pub max_body_bytes: Option<usize>,
    /// See [`ServeArgs::allow_http_webhooks`].
    pub allow_http_webhooks: Option<bool>,
    /// See [`ServeArgs::webhook_retry_delays`].
    pub webhook_retry_delays: Option<String>,
    /// See [`ServeArgs::webhook_timeout`].
    pub webhook_timeout: Option<String>,
    /// See [`ServeArgs::rate_limit`].
    pub rate_limit: Option<u32>,
    /// See [`ServeArgs::public_url`].
    pub public_url: Option<String>,
    /// See [`ServeArgs::no_plan_limits`].
    pub no_plan_limits: Option<bool>,
    /// The JWT signing secret; generated into the data dir when absent.
    pub jwt_secret: Option<String>,
    /// GitHub OAuth settings.
    pub github: Option<GithubConfig>,
    /// Realtime limits (`[realtime]`).
    pub realtime: Option<RealtimeFile>,
}

/// The `[realtime]` table.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct RealtimeFile {
    /// See [`ServeArgs::realtime_max_connections`].
    pub max_connections_per_client: Option<usize>,
    /// See [`ServeArgs::realtime_max_channels`].
    pub max_channels_per_connection: Option<usize>,
    /// See [`ServeArgs::realtime_max_message_size`].
    pub max_message_size: Option<usize>,
    /// Seconds a dropped connection stays resumable; default 120.
    pub connection_state_ttl_secs: Option<u64>,
    /// Seconds a dropped connection's presence stays; default 15.
    pub presence_grace_secs: Option<u64>,
    /// Seconds a realtime token lives; default 3600.
    pub token_ttl_secs: Option<u64>,
    /// Events queued per connection before it is dropped as a slow consumer; default 1024.
    pub outbound_queue: Option<usize>,
}

/// GitHub OAuth settings; the URLs are configurable so tests can use a fake GitHub.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct GithubConfig {
    /// OAuth app client id.
    pub client_id: String,
    /// OAuth app client secret.
    pub client_secret: String,
    /// Authorize URL.
    #[serde(default = "default_authorize")]
    pub authorize_url: String,
    /// Token URL.
    #[serde(default = "default_token")]
    pub token_url: String,
    /// User API URL.
    #[serde(default = "default_user")]
    pub user_url: String,
}

fn default_authorize() -> String {
    "https://github.com/login/oauth/authorize".into()
}
fn default_token() -> String {
    "https://github.com/login/oauth/access_token".into()
}
fn default_user() -> String {
    "https://api.github.com/user".into()
}

/// The validated configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HubConfig {
    /// Listen address.
    pub listen: String,
    /// Data directory.
    pub data_dir: PathBuf,
    /// Plan of new orgs.
    pub default_plan: PlanId,
    /// Largest request body.
    pub max_body_bytes: usize,
    /// Plain-http webhook URLs allowed beyond loopback.
    pub allow_http_webhooks: bool,
    /// Delays before retries 1, 2, …; its length is the number of retries.
    pub webhook_retry_delays: Vec<Duration>,
    /// Timeout of one delivery attempt.
    pub webhook_timeout: Duration,
    /// Consecutive failures after which a webhook shows as `failing`.
    pub webhook_failing_after: u32,
    /// Default per-key rate limit.
    pub rate_limit_per_minute: u32,
    /// Whether plan limits are enforced.
    pub enforce_plan_limits: bool,
    /// Whole-request timeout.
    pub request_timeout: Duration,
    /// Public URL, for OAuth redirects.
    pub public_url: Option<String>,
    /// JWT secret from config (else kept in the data dir).
    pub jwt_secret: Option<String>,
    /// GitHub OAuth, when configured.
    pub github: Option<GithubConfig>,
    /// Realtime limits and timings.
    pub realtime: crate::realtime::RealtimeLimits,
}

impl HubConfig {
    /// Defaults for a data directory (tests and the embedded quick start).
    #[must_use]
    pub fn for_data_dir(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            data_dir: data_dir.into(),
            default_plan: PlanId::Free,
            max_body_bytes: 1024 * 1024,
            allow_http_webhooks: false,
            webhook_retry_delays: parse_delays(DEFAULT_RETRY_DELAYS).unwrap_or_default(),
            webhook_timeout: Duration::from_secs(10),
            webhook_failing_after: 5,
            rate_limit_per_minute: bridge_core::model::api_key::DEFAULT_RATE_LIMIT_PER_MINUTE,
            enforce_plan_limits: true,
            request_timeout: Duration::from_secs(30),
            public_url: None,
            jwt_secret: None,
            github: None,
            realtime: crate::realtime::RealtimeLimits::default(),
        }
    }

    /// Lays `args` over the TOML `file_text` over the defaults and validates the result.
    ///
    /// # Errors
    /// Every problem found, one line each.
    pub fn resolve(args: &ServeArgs, file_text: Option<&str>) -> Result<Self, Vec<String>> {
        let mut problems = Vec::new();
        let file: FileConfig = match file_text.map(toml::from_str::<FileConfig>) {
            None => FileConfig::default(),
            Some(Ok(file)) => file,
            Some(Err(err)) => {
                problems.push(format!("config file: {}", err.message()));
                FileConfig::default()
            }
        };
        let data_dir = args.data.clone().or(file.data).unwrap_or_else(|| PathBuf::from("./jaibber-data"));
        let mut config = Self::for_data_dir(data_dir);
        if let Some(listen) = args.listen.clone().or(file.listen) {
            if listen.parse::<std::net::SocketAddr>().is_err() {
                problems.push(format!("listen address {listen:?} is not host:port, e.g. 127.0.0.1:8080"));
            }
            config.listen = listen;
        }
        if let Some(plan) = args.default_plan.clone().or(file.default_plan) {
            let plan = PlanId::from_wire(&plan.to_lowercase());
            if !plan.is_known() {
                problems.push(format!("default plan {plan} is unknown; use free, pro or team"));
            }
            config.default_plan = plan;
        }
        if let Some(bytes) = args.max_body_bytes.or(file.max_body_bytes) {
            if bytes < 1024 {
                problems.push(format!("max body bytes {bytes} is too small; use at least 1024"));
            }
            config.max_body_bytes = bytes;
        }
        config.allow_http_webhooks = args.allow_http_webhooks || file.allow_http_webhooks.unwrap_or(false);
        config.enforce_plan_limits = !(args.no_plan_limits || file.no_plan_limits.unwrap_or(false));
        let realtime = file.realtime.clone().unwrap_or_default();
        let limits = &mut config.realtime;
        if let Some(n) = args.realtime_max_connections.or(realtime.max_connections_per_client) {
            limits.max_connections_per_client = n;
        }
        if let Some(n) = args.realtime_max_channels.or(realtime.max_channels_per_connection) {
            limits.max_channels_per_connection = n;
        }
        if let Some(n) = args.realtime_max_message_size.or(realtime.max_message_size) {
            if !(1024..=512 * 1024).contains(&n) {
                problems.push(format!("realtime max message size {n} must be between 1024 and 524288 bytes"));
            }
            limits.max_message_size = n;
        }
        if let Some(secs) = realtime.connection_state_ttl_secs {
            limits.connection_state_ttl = Duration::from_secs(secs);
        }
        if let Some(secs) = realtime.presence_grace_secs {
            limits.presence_grace = Duration::from_secs(secs);
        }
        if let Some(secs) = realtime.token_ttl_secs {
            if secs == 0 || secs > 86_400 {
                problems.push(format!("realtime token ttl {secs} s must be between 1 and 86400"));
            }
            limits.token_ttl = Duration::from_secs(secs);
        }
        if let Some(n) = realtime.outbound_queue {
            if !(8..=65_536).contains(&n) {
                problems.push(format!("realtime outbound queue {n} must be between 8 and 65536 events"));
            }
            limits.outbound_queue = n;
        }
        if let Some(delays) = args.webhook_retry_delays.clone().or(file.webhook_retry_delays) {
            match parse_delays(&delays) {
                Ok(parsed) => config.webhook_retry_delays = parsed,
                Err(err) => problems.push(format!("webhook retry delays: {err}")),
            }
        }
        if let Some(timeout) = args.webhook_timeout.clone().or(file.webhook_timeout) {
            match parse_duration(&timeout) {
                Ok(parsed) if !parsed.is_zero() => config.webhook_timeout = parsed,
                Ok(_) => problems.push("webhook timeout must be above zero".into()),
                Err(err) => problems.push(format!("webhook timeout: {err}")),
            }
        }
        if let Some(limit) = args.rate_limit.or(file.rate_limit) {
            if limit == 0 {
                problems.push("rate limit must be at least 1 request/minute".into());
            }
            config.rate_limit_per_minute = limit;
        }
        config.public_url = args.public_url.clone().or(file.public_url);
        config.jwt_secret = file.jwt_secret;
        if config.jwt_secret.as_deref().is_some_and(|s| s.len() < 32) {
            problems.push("jwt_secret must be at least 32 characters".into());
        }
        config.github = file.github;
        if problems.is_empty() { Ok(config) } else { Err(problems) }
    }
}

/// Parses `1s,5s,30s,5m,30m,2h` into durations.
///
/// # Errors
/// Which item is wrong.
pub fn parse_delays(text: &str) -> Result<Vec<Duration>, String> {
    text.split(',').map(str::trim).filter(|s| !s.is_empty()).map(parse_duration).collect()
}

/// Parses `250ms`, `10s`, `5m`, `2h` or `1d`.
///
/// # Errors
/// What is wrong with the value.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: u64 = number.parse().map_err(|_| format!("{text:?} is not a duration like 500ms, 10s, 5m, 2h"))?;
    let secs = match unit {
        "ms" => return Ok(Duration::from_millis(value)),
        "s" | "" => value,
        "m" => value * 60,
        "h" => value * 3600,
        "d" => value * 86_400,
        other => return Err(format!("unknown unit {other:?} in {text:?}; use ms, s, m, h or d")),
    };
    Ok(Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_beat_the_file_and_the_file_beats_defaults() {
        let args = ServeArgs { listen: Some("127.0.0.1:9000".into()), ..ServeArgs::default() };
        let file = "listen = \"127.0.0.1:7000\"\ndefault_plan = \"team\"\nwebhook_retry_delays = \"1s,2s\"";
        let config = HubConfig::resolve(&args, Some(file)).expect("valid");
        assert_eq!(config.listen, "127.0.0.1:9000");
        assert_eq!(config.default_plan, PlanId::Team);
        assert_eq!(config.webhook_retry_delays, vec![Duration::from_secs(1), Duration::from_secs(2)]);
        assert_eq!(config.max_body_bytes, 1024 * 1024);
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let args = ServeArgs {
            listen: Some("nowhere".into()),
            default_plan: Some("gold".into()),
            rate_limit: Some(0),
            ..ServeArgs::default()
        };
        let problems = HubConfig::resolve(&args, Some("webhook_timeout = \"ten\"\nbogus = 1")).expect_err("invalid");
        assert_eq!(problems.len(), 4, "{problems:?}");
        assert!(problems.iter().any(|p| p.contains("unknown field")), "{problems:?}");
    }

    #[test]
    fn realtime_limits_come_from_flags_and_the_realtime_table() {
        let args = ServeArgs { realtime_max_channels: Some(7), ..ServeArgs::default() };
        let file = "[realtime]\nmax_connections_per_client = 5\nmax_channels_per_connection = 9\ntoken_ttl_secs = 60\noutbound_queue = 64";
        let config = HubConfig::resolve(&args, Some(file)).expect("valid");
        assert_eq!((config.realtime.max_connections_per_client, config.realtime.max_channels_per_connection), (5, 7));
        assert_eq!((config.realtime.token_ttl, config.realtime.outbound_queue), (Duration::from_secs(60), 64));
        let problems = HubConfig::resolve(
            &ServeArgs::default(),
            Some("[realtime]\ntoken_ttl_secs = 0\nmax_message_size = 10\noutbound_queue = 1"),
        )
        .expect_err("invalid");
        assert_eq!(problems.len(), 3, "{problems:?}");
    }

    #[test]
    fn durations() {
        assert_eq!(parse_delays(DEFAULT_RETRY_DELAYS).expect("default").len(), 8);
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert!(parse_duration("5 weeks").is_err());
    }
}

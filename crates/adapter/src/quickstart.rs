//! `jaibber-bridge quickstart`: an embedded hub, a seeded project, the demo agent (or
//! yours), the bridge in poll mode, and one `@Echo hello` answered in the channel.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use bridge_core::client::{Client, Credential};
use bridge_core::model::{CreateMessage, MessageQuery, ProjectId, SenderType};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::config::{AgentConfig, BackendConfig, BridgeConfig, Mode};

/// `quickstart` options.
#[derive(Clone, Debug, clap::Args)]
pub struct QuickstartArgs {
    /// Keep the hub's and bridge's data here (default: a temp dir removed on exit).
    #[arg(long, env = "JAIBBER_QUICKSTART_DATA")]
    pub data: Option<PathBuf>,
    /// Use this OpenAI-compatible agent (base URL ending in /v1) instead of the demo agent.
    #[arg(long, env = "JAIBBER_QUICKSTART_AGENT_URL")]
    pub agent_url: Option<String>,
    /// Model name for --agent-url.
    #[arg(long, default_value = "default")]
    pub agent_model: String,
    /// The message to send after the agent's @mention.
    #[arg(long, default_value = "hello")]
    pub message: String,
    /// Keep everything running after the answer (Ctrl-C stops).
    #[arg(long)]
    pub keep_running: bool,
    /// How long to wait for the answer.
    #[arg(long, default_value = "30s", value_parser = |s: &str| crate::config::parse_duration(s))]
    pub timeout: Duration,
}

/// What went wrong in the quick start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum QuickstartError {
    /// A local step failed.
    #[error("{step}: {detail}")]
    Step {
        /// Which step.
        step: &'static str,
        /// What happened.
        detail: String,
    },
    /// No answer arrived in time.
    #[error("no answer from {agent} within {} s; run with RUST_LOG=debug to see why", .timeout.as_secs())]
    NoAnswer {
        /// The agent.
        agent: String,
        /// The wait.
        timeout: Duration,
    },
}

fn step<E: std::fmt::Display>(step: &'static str) -> impl FnOnce(E) -> QuickstartError {
    move |err| QuickstartError::Step { step, detail: err.to_string() }
}

/// Runs the quick start; `say` receives each line to show the user.
///
/// # Errors
/// [`QuickstartError`] naming the step that failed.
pub async fn run(
    args: QuickstartArgs,
    shutdown: CancellationToken,
    say: &(dyn Fn(&str) + Sync),
) -> Result<(), QuickstartError> {
    let temp = match &args.data {
        Some(_) => None,
        None => Some(tempfile::tempdir().map_err(step("creating a temp dir"))?),
    };
    let root = args.data.clone().unwrap_or_else(|| temp.as_ref().map(|t| t.path().to_owned()).unwrap_or_default());
    let hub_config = jaibber_hub::HubConfig::for_data_dir(root.join("hub"));
    let hub_listener = TcpListener::bind("127.0.0.1:0").await.map_err(step("binding the hub"))?;
    let jaibber_hub::EmbeddedHub { url: hub_url, seed: seeded, task: hub_task } =
        jaibber_hub::start_seeded(hub_config, hub_listener, shutdown.clone())
            .await
            .map_err(step("starting the hub"))?;
    say(&format!("hub      {hub_url}  (data: {})", root.display()));

    let (agent_url, demo) = match &args.agent_url {
        Some(url) => (url.trim_end_matches('/').to_owned(), None),
        None => {
            let listener = TcpListener::bind("127.0.0.1:0").await.map_err(step("binding the demo agent"))?;
            let url = format!("http://{}/v1", listener.local_addr().map_err(step("demo agent address"))?);
            (url, Some(tokio::spawn(crate::demo_agent::serve(listener, shutdown.clone()))))
        }
    };
    let agent = seeded.agent_name.clone();
    say(&format!(
        "agent    {agent}  ({} at {agent_url})",
        if demo.is_some() { "built-in demo agent" } else { "your agent" }
    ));

    let config = BridgeConfig {
        hub: hub_url.clone(),
        credential: Credential::from_token(seeded.api_key.clone()),
        mode: Mode::Poll,
        state_dir: root.join("bridge"),
        listen: "127.0.0.1:0".into(),
        webhook_secrets: Vec::new(),
        public_url: None,
        org_id: Some(bridge_core::model::OrgId::new(seeded.org_id.clone())),
        project_ids: Some(vec![ProjectId::new(seeded.project_id.clone())]),
        poll_interval: Duration::from_millis(200),
        max_attempts: 3,
        timestamp_tolerance: None,
        max_body_bytes: 1024 * 1024,
        heartbeat: Duration::from_secs(120),
        agents: vec![AgentConfig {
            name: agent.clone(),
            instructions: Some("You are a friendly demo agent.".into()),
            policy: bridge_core::routing::RespondPolicy::new(agent.clone()),
            context_messages: 20,
            concurrency: 4,
            timeout: Duration::from_secs(60),
            backend: BackendConfig::Openai {
                url: agent_url,
                model: args.agent_model.clone(),
                api_key: None,
                stream: true,
            },
        }],
    };
    let bridge_listener = TcpListener::bind("127.0.0.1:0").await.map_err(step("binding the bridge"))?;
    let bridge_url = format!("http://{}", bridge_listener.local_addr().map_err(step("bridge address"))?);
    let bridge_task = tokio::spawn(crate::bridge::run(config, bridge_listener, shutdown.clone()));
    say(&format!("bridge   {bridge_url}  (poll mode; /healthz, /metrics)"));

    let user = Client::builder(&hub_url)
        .credential(Credential::from_token(seeded.token.clone()))
        .build()
        .map_err(step("client"))?;
    let project = ProjectId::new(seeded.project_id.clone());
    // Give the poller its starting cursor before the first message.
    tokio::time::sleep(Duration::from_millis(400)).await;
    let text = format!("@{agent} {}", args.message);
    let sent =
        user.post_message(&project, &CreateMessage::text(text.clone())).await.map_err(step("posting the message"))?;
    say(&format!("{:<8} {text}", seeded.username));

    let deadline = Instant::now() + args.timeout;
    let answer = loop {
        let page = user
            .list_messages(&project, &MessageQuery::latest().limit(20))
            .await
            .map_err(step("reading the channel"))?;
        if let Some(reply) = page
            .data
            .iter()
            .find(|m| m.sender_type == SenderType::Agent && m.parent_message_id.as_ref() == Some(&sent.id))
        {
            break reply.clone();
        }
        if Instant::now() > deadline {
            shutdown.cancel();
            return Err(QuickstartError::NoAnswer { agent, timeout: args.timeout });
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    };
    say(&format!("{:<8} {}", answer.sender_name, answer.text));

    if args.keep_running {
        say(&format!(
            "running; log in at {hub_url} as {} / {} (API key {}); Ctrl-C stops",
            seeded.username, seeded.password, seeded.api_key
        ));
        shutdown.cancelled().await;
    }
    shutdown.cancel();
    let _ = bridge_task.await;
    let _ = hub_task.await;
    if let Some(demo) = demo {
        let _ = demo.await;
    }
    drop(temp);
    Ok(())
}

//! Test harness: a hub per test, a webhook receiver, and account helpers.

use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use bridge_core::client::{Client, Credential, RetryPolicy};
use bridge_core::model::{CreateApiKey, CreateOrg, CreateProject, Credentials, Org, PlanId, Project, Scope};
use jaibber_hub::HubConfig;
use tempfile::TempDir;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// A running hub.
pub struct TestHub {
    pub base: String,
    pub state: jaibber_hub::AppState,
    pub shutdown: CancellationToken,
    pub task: tokio::task::JoinHandle<()>,
    pub dir: TempDir,
}

impl TestHub {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(tune: impl FnOnce(&mut HubConfig)) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = HubConfig::for_data_dir(dir.path());
        config.webhook_retry_delays = vec![Duration::from_millis(200), Duration::from_millis(400)];
        config.webhook_timeout = Duration::from_secs(2);
        tune(&mut config);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        Self::serve(config, listener, dir)
    }

    fn serve(config: HubConfig, listener: tokio::net::TcpListener, dir: TempDir) -> Self {
        let addr = listener.local_addr().expect("addr");
        let state = jaibber_hub::open(config).expect("open hub");
        let shutdown = CancellationToken::new();
        let task = tokio::spawn({
            let (state, shutdown) = (state.clone(), shutdown.clone());
            async move {
                jaibber_hub::serve(state, listener, shutdown).await.expect("serve");
            }
        });
        Self { base: format!("http://{addr}"), state, shutdown, task, dir }
    }

    /// A client without credentials and without retries (tests see every status).
    pub fn anonymous(&self) -> Client {
        Client::builder(&self.base).retry(RetryPolicy::none()).build().expect("client")
    }

    pub fn client(&self, credential: Credential) -> Client {
        self.anonymous().with_credential(credential)
    }

    /// Registers a user and returns a client with its JWT, and its id.
    pub async fn user(&self, name: &str) -> (Client, String) {
        let session = self.anonymous().register(&Credentials::new(name, "correct horse")).await.expect("register");
        let token = session.token.expect("register returns a token");
        (self.client(Credential::Jwt(token)), session.user_id.into_string())
    }

    /// Registers a user and returns its raw JWT and id.
    pub async fn user_jwt(&self, name: &str) -> (String, String) {
        let session = self.anonymous().register(&Credentials::new(name, "correct horse")).await.expect("register");
        (session.token.expect("register returns a token").expose().to_owned(), session.user_id.into_string())
    }

    /// An org of `owner` on `plan`.
    pub async fn org(&self, owner: &Client, name: &str, plan: PlanId) -> Org {
        let org = owner.create_org(&CreateOrg { name: name.into() }).await.expect("create org");
        let id = org.id.as_str().to_owned();
        self.state.db.write(move |tx| jaibber_hub::db::orgs::set_plan(tx, &id, &plan)).await.expect("set plan");
        org
    }

    pub async fn project(&self, owner: &Client, org: &Org, name: &str) -> Project {
        owner.create_project(&CreateProject::new(name).in_org(org.id.clone())).await.expect("create project")
    }

    /// A client using a fresh API key of `org` with these scopes.
    pub async fn key(&self, admin: &Client, org: &Org, scopes: &[Scope]) -> Client {
        let created = admin
            .create_api_key(&org.id, &CreateApiKey::new("test key", scopes.iter().cloned()))
            .await
            .expect("create key");
        self.client(Credential::from_token(created.key.expose()))
    }

    /// Stops the hub and starts a new one on the same address and data directory.
    pub async fn restart(self, pause: Duration) -> Self {
        let addr: SocketAddr = self.base.trim_start_matches("http://").parse().expect("addr");
        let config = (*self.state.config).clone();
        let dir = self.stop().await;
        tokio::time::sleep(pause).await;
        let listener = tokio::net::TcpListener::bind(addr).await.expect("rebind the same port");
        Self::serve(config, listener, dir)
    }

    pub async fn stop(self) -> TempDir {
        self.shutdown.cancel();
        let _ = self.task.await;
        self.dir
    }
}

/// One request a receiver got.
#[derive(Clone, Debug)]
pub struct Received {
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Received {
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
    }
}

/// A webhook receiver on loopback answering `status`, forwarding every request.
pub async fn receiver(status: StatusCode) -> (String, mpsc::UnboundedReceiver<Received>) {
    receiver_on("127.0.0.1:0".parse().expect("addr"), status).await
}

pub async fn receiver_on(addr: SocketAddr, status: StatusCode) -> (String, mpsc::UnboundedReceiver<Received>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let app = axum::Router::new()
        .route(
            "/hook",
            post(
                |State((tx, status)): State<(mpsc::UnboundedSender<Received>, StatusCode)>,
                 headers: HeaderMap,
                 body: Bytes| async move {
                    let _ = tx.send(Received { headers, body });
                    status
                },
            ),
        )
        .with_state((tx, status));
    let listener = tokio::net::TcpListener::bind(addr).await.expect("bind receiver");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await.expect("receiver") });
    (format!("http://{addr}/hook"), rx)
}

/// Waits for the next received request (10 s at most).
pub async fn next(rx: &mut mpsc::UnboundedReceiver<Received>) -> Received {
    tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("a delivery within 10 s")
        .expect("receiver alive")
}

/// Raw HTTP for cases the typed client does not express.
pub fn raw() -> reqwest::Client {
    reqwest::Client::new()
}

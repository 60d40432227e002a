//! Shared by the load examples: start the release hub binary, seed it, read its RSS.

#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context as _, bail};

/// A hub process on a loopback port with a temp data dir.
pub struct HubProcess {
    pub child: Child,
    pub base: String,
    pub token: String,
    pub org: String,
    pub project: String,
    _dir: tempfile::TempDir,
}

impl Drop for HubProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The hub binary: `explicit`, or `jaibber-hub` next to this example in target/release.
pub fn hub_binary(explicit: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    let path = match explicit {
        Some(path) => path,
        None => std::env::current_exe()?
            .parent()
            .and_then(|p| p.parent())
            .context("locating target dir")?
            .join("jaibber-hub"),
    };
    if !path.exists() {
        bail!("{} not found; run `cargo build --release -p jaibber-hub` first", path.display());
    }
    Ok(path)
}

impl HubProcess {
    /// Starts `serve --no-plan-limits` plus `extra` args, waits for health, seeds it.
    pub async fn start(bin: &PathBuf, extra: &[&str]) -> anyhow::Result<Self> {
        let dir = tempfile::tempdir()?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let base = format!("http://127.0.0.1:{port}");
        let child = Command::new(bin)
            .args(["serve", "--no-plan-limits", "--listen", &format!("127.0.0.1:{port}"), "--data"])
            .arg(dir.path())
            .args(extra)
            .env("RUST_LOG", "warn")
            .envs(std::env::var("HUB_MALLOC_ARENA_MAX").ok().map(|v| ("MALLOC_ARENA_MAX", v)))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .context("starting the hub")?;
        let http = reqwest::Client::new();
        for _ in 0..200 {
            if http.get(format!("{base}/healthz")).send().await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        let seed = Command::new(bin).args(["seed", "--json", "--data"]).arg(dir.path()).output()?;
        let seed: serde_json::Value = serde_json::from_slice(&seed.stdout).context("seed output")?;
        let field = |name: &str| seed[name].as_str().map(str::to_owned).context("seed field");
        Ok(Self { token: field("token")?, org: field("orgId")?, project: field("projectId")?, child, base, _dir: dir })
    }

    /// The hub's resident memory, KiB.
    pub fn rss_kib(&self) -> u64 {
        rss_kib(self.child.id())
    }
}

/// Resident memory of `pid`, KiB.
pub fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// The `p` quantile of sorted samples.
pub fn percentile<T: Copy + Default>(sorted: &[T], p: f64) -> T {
    if sorted.is_empty() {
        return T::default();
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

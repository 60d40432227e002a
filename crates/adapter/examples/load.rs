//! Load test of the bridge: webhook ingest (signed 1 KiB events, verified, durably stored,
//! acknowledged), relay overhead (event in → agent request out), and the bridge's RSS.
//!
//! ```sh
//! cargo build --release -p jaibber-bridge
//! cargo run --release -p jaibber-bridge --example load -- --seconds 10 --concurrency 32
//! ```
//!
//! Starts an in-process hub (seeded) and a stub agent, spawns the release `jaibber-bridge`
//! binary in webhook mode, and drives it from this process. Everything stays on 127.0.0.1
//! and every loop is bounded in time or count.

// A command-line tool that prints its report.
#![allow(clippy::print_stdout, clippy::unwrap_used)]

use std::collections::HashMap;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use axum::Json;
use axum::routing::post;
use bridge_core::signing::jaibber::JaibberSigner;
use serde_json::{Value, json};

#[derive(Debug, clap::Parser)]
struct Args {
    /// How long the ingest phase runs.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Concurrent webhook senders.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Probes for the relay-overhead phase.
    #[arg(long, default_value_t = 200)]
    probes: usize,
}

fn rss_kib(pid: u32) -> u64 {
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

fn pct(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize].as_secs_f64() * 1e3
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = <Args as clap::Parser>::parse();
    let bin = std::env::current_exe()?.parent().and_then(|p| p.parent()).context("target dir")?.join("jaibber-bridge");
    if !bin.exists() {
        bail!("{} not found; run `cargo build --release -p jaibber-bridge` first", bin.display());
    }
    // Hub, seeded.
    let dir = tempfile::tempdir()?;
    let secret = jaibber_hub::load_or_create_secret(dir.path())?;
    let hub_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let hub_url = format!("http://{}", hub_listener.local_addr()?);
    let state = jaibber_hub::open(jaibber_hub::HubConfig::for_data_dir(dir.path().join("hub")))?;
    let seed = {
        let state = state.clone();
        tokio::task::spawn_blocking(move || jaibber_hub::seed::seed(&state, &secret)).await??
    };
    let shutdown = tokio_util::sync::CancellationToken::new();
    tokio::spawn(jaibber_hub::serve(state, hub_listener, shutdown.clone()));

    // Stub agent: records when each probe's request arrives.
    let arrivals: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let agent = axum::Router::new().route(
        "/v1/chat/completions",
        post({
            let arrivals = arrivals.clone();
            move |Json(body): Json<Value>| {
                let arrivals = arrivals.clone();
                async move {
                    let at = Instant::now();
                    let prompt = body["messages"]
                        .as_array()
                        .and_then(|m| m.last())
                        .and_then(|m| m["content"].as_str())
                        .unwrap_or("")
                        .to_owned();
                    if let Some(probe) = prompt.split_whitespace().rev().find(|w| w.starts_with("probe-")) {
                        arrivals.lock().unwrap().entry(probe.to_owned()).or_insert(at);
                    }
                    Json(json!({"choices": [{"message": {"role": "assistant", "content": "ok"}}]}))
                }
            }
        }),
    );
    let agent_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let agent_url = format!("http://{}/v1", agent_listener.local_addr()?);
    tokio::spawn(async move { axum::serve(agent_listener, agent).await });

    // The bridge, as users run it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let webhook_secret = "whsec_load_test_secret";
    let mut bridge = Command::new(&bin)
        .arg("run")
        .env("JAIBBER_HUB_URL", &hub_url)
        .env("JAIBBER_API_KEY", &seed.api_key)
        .env("JAIBBER_AGENT_NAME", "Echo")
        .env("JAIBBER_MODE", "webhook")
        .env("JAIBBER_WEBHOOK_SECRET", webhook_secret)
        .env("JAIBBER_BACKEND", "openai")
        .env("JAIBBER_BACKEND_URL", &agent_url)
        .env("JAIBBER_STATE_DIR", dir.path().join("bridge"))
        .env("JAIBBER_LISTEN", format!("127.0.0.1:{port}"))
        .env("JAIBBER_CONTEXT_MESSAGES", "1")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()?;
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::builder().pool_max_idle_per_host(args.concurrency * 2).build()?;
    for _ in 0..200 {
        if http.get(format!("{base}/healthz")).send().await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let idle_rss = rss_kib(bridge.id());

    // Phase 1: ingest of signed ~1 KiB events that mention no agent.
    let signer = Arc::new(JaibberSigner::new(webhook_secret)?);
    let filler = "x".repeat(565);
    let event = |n: String, text: String| {
        json!({"event": "message.created", "deliveryId": format!("d_{n}"), "timestamp": "2026-11-25T00:00:00.000Z", "orgId": seed.org_id, "projectId": seed.project_id,
            "data": {"id": uuid::Uuid::new_v4().to_string(), "projectId": seed.project_id, "senderId": seed.user_id, "senderType": "user", "senderName": "load", "type": "message",
                "text": text, "createdAt": "2026-11-25T00:00:00.000Z"}})
    };
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let peak = Arc::new(std::sync::atomic::AtomicU64::new(idle_rss));
    let pid = bridge.id();
    let sampler = {
        let peak = peak.clone();
        tokio::spawn(async move {
            while Instant::now() < deadline {
                peak.fetch_max(rss_kib(pid), std::sync::atomic::Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        })
    };
    let started = Instant::now();
    let mut loops = Vec::new();
    for worker in 0..args.concurrency {
        let (http, signer, url) = (http.clone(), signer.clone(), format!("{base}/webhook"));
        let bodies: Vec<Vec<u8>> = (0..20_000)
            .map(|n| {
                serde_json::to_vec(&event(format!("{worker}_{n}"), format!("status update {n} {filler}"))).unwrap()
            })
            .collect();
        loops.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0u64;
            for body in bodies {
                if Instant::now() >= deadline {
                    break;
                }
                let signature = signer.sign(&body);
                let t = Instant::now();
                match http
                    .post(&url)
                    .header("content-type", "application/json")
                    .header("x-jaibber-signature", signature)
                    .body(body)
                    .send()
                    .await
                {
                    Ok(r) if r.status().as_u16() == 202 => latencies.push(t.elapsed()),
                    _ => errors += 1,
                }
            }
            (latencies, errors)
        }));
    }
    let (mut latencies, mut errors) = (Vec::new(), 0);
    for handle in loops {
        let (l, e) = handle.await?;
        latencies.extend(l);
        errors += e;
    }
    let elapsed = started.elapsed();
    sampler.await?;
    latencies.sort();
    let body_len = serde_json::to_vec(&event("0".into(), format!("status update 0 {filler}")))?.len();

    // Phase 2: relay overhead, one probe at a time.
    let mut overhead = Vec::new();
    for n in 0..args.probes {
        let probe = format!("probe-{n}");
        let body = serde_json::to_vec(&event(format!("probe_{n}"), format!("@Echo {probe}")))?;
        let sent = Instant::now();
        http.post(format!("{base}/webhook"))
            .header("x-jaibber-signature", signer.sign(&body))
            .body(body)
            .send()
            .await?
            .error_for_status()?;
        let wait_until = Instant::now() + Duration::from_secs(5);
        loop {
            if let Some(at) = arrivals.lock().unwrap().get(&probe) {
                overhead.push(at.duration_since(sent));
                break;
            }
            if Instant::now() > wait_until {
                break;
            }
            tokio::time::sleep(Duration::from_micros(200)).await;
        }
    }
    overhead.sort();

    println!("jaibber-bridge load test ({} cores)", std::thread::available_parallelism().map_or(0, |n| n.get()));
    println!(
        "  webhook ingest ({body_len}-byte signed events, {} senders): {:.0} events/s, {} ok, {errors} errors; ack p50 {:.2} ms, p99 {:.2} ms",
        args.concurrency,
        latencies.len() as f64 / elapsed.as_secs_f64(),
        latencies.len(),
        pct(&latencies, 0.5),
        pct(&latencies, 0.99)
    );
    println!(
        "  relay overhead (signed webhook POST -> agent request, {} probes): p50 {:.2} ms, p99 {:.2} ms",
        overhead.len(),
        pct(&overhead, 0.5),
        pct(&overhead, 0.99)
    );
    println!(
        "  bridge RSS: idle {:.1} MiB, peak under load {:.1} MiB",
        idle_rss as f64 / 1024.0,
        peak.load(std::sync::atomic::Ordering::Relaxed) as f64 / 1024.0
    );
    bridge.kill()?;
    let _ = bridge.wait();
    shutdown.cancel();
    Ok(())
}

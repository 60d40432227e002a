//! Load test of the hub: messages POSTed per second with an API key (latency p50/p99),
//! webhook deliveries per second to a local receiver, and the hub's RSS at idle and
//! under load.
//!
//! ```sh
//! cargo build --release -p jaibber-hub
//! cargo run --release -p jaibber-hub --example load -- --seconds 10 --concurrency 32
//! ```
//!
//! It starts the release `jaibber-hub` binary on a loopback port with a temp data dir
//! (plan limits off), seeds it, and drives it from this process. Every request loop is
//! bounded in count and time and only talks to 127.0.0.1.

// A command-line tool that prints its report.
#![allow(clippy::print_stdout, clippy::unwrap_used)]

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

mod common;

use anyhow::Context as _;
use axum::routing::post;
use common::{percentile, rss_kib};

#[derive(Debug, clap::Parser)]
struct Args {
    /// How long the POST phase runs.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Concurrent request loops.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Messages sent through a webhook in the delivery phase.
    #[arg(long, default_value_t = 5_000)]
    deliveries: u64,
    /// The hub binary (default: next to this example, in target/release).
    #[arg(long)]
    hub: Option<PathBuf>,
}

/// Prints the deliveries that are not `delivered`, with their attempts.
async fn report_undelivered(http: &reqwest::Client, base: &str, org: &str, key: &str) -> anyhow::Result<()> {
    let hooks: serde_json::Value =
        http.get(format!("{base}/api/orgs/{org}/webhooks")).header("x-api-key", key).send().await?.json().await?;
    let hook = hooks["data"][0]["id"].as_str().context("webhook id")?;
    let mut before: Option<String> = None;
    loop {
        let mut request = http
            .get(format!("{base}/api/orgs/{org}/webhooks/{hook}/deliveries"))
            .header("x-api-key", key)
            .query(&[("limit", "100")]);
        if let Some(cursor) = &before {
            request = request.query(&[("before", cursor.as_str())]);
        }
        let page: serde_json::Value = request.send().await?.json().await?;
        for delivery in page["data"].as_array().into_iter().flatten() {
            if delivery["state"] != "delivered" {
                println!("  undelivered: {delivery}");
            }
        }
        if page["pagination"]["hasMore"] != true {
            return Ok(());
        }
        before = page["pagination"]["cursor"].as_str().map(str::to_owned);
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = <Args as clap::Parser>::parse();
    let hub_bin = common::hub_binary(args.hub.clone())?;
    let hub = common::HubProcess::start(&hub_bin, &[]).await?;
    let base = hub.base.clone();
    let http = reqwest::Client::builder().pool_max_idle_per_host(args.concurrency * 2).build()?;
    let (token, org, project) = (hub.token.as_str(), hub.org.as_str(), hub.project.as_str());
    let key: serde_json::Value = http
        .post(format!("{base}/api/orgs/{org}/api-keys"))
        .bearer_auth(token)
        .json(&serde_json::json!({"name": "load", "scopes": ["messages:write", "messages:read", "webhooks:manage"], "rateLimitPerMinute": 100_000_000}))
        .send()
        .await?
        .json()
        .await?;
    let key = key["key"].as_str().context("api key")?.to_owned();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let idle_rss = rss_kib(hub.child.id());

    // Phase 1: POST messages.
    let url = format!("{base}/api/projects/{project}/messages");
    let body = serde_json::to_vec(
        &serde_json::json!({"text": "@Echo load test message with a realistic length of about one hundred characters", "senderName": "load"}),
    )?;
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let peak_rss = Arc::new(AtomicU64::new(0));
    let sampler = {
        let (peak, pid) = (peak_rss.clone(), hub.child.id());
        tokio::spawn(async move {
            while Instant::now() < deadline {
                peak.fetch_max(rss_kib(pid), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        })
    };
    let started = Instant::now();
    let mut loops = Vec::new();
    for _ in 0..args.concurrency {
        let (http, url, key, body) = (http.clone(), url.clone(), key.clone(), body.clone());
        loops.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0u64;
            while Instant::now() < deadline {
                let t = Instant::now();
                match http
                    .post(&url)
                    .header("x-api-key", &key)
                    .header("content-type", "application/json")
                    .body(body.clone())
                    .send()
                    .await
                {
                    Ok(r) if r.status().as_u16() == 201 => latencies.push(t.elapsed()),
                    _ => errors += 1,
                }
            }
            (latencies, errors)
        }));
    }
    let mut latencies = Vec::new();
    let mut errors = 0;
    for handle in loops {
        let (l, e) = handle.await?;
        latencies.extend(l);
        errors += e;
    }
    let elapsed = started.elapsed();
    sampler.await?;
    latencies.sort();
    let posted = latencies.len() as f64;

    // Phase 2: webhook deliveries to a local receiver.
    let received = Arc::new(AtomicU64::new(0));
    let receiver = axum::Router::new().route(
        "/hook",
        post({
            let received = received.clone();
            move || {
                received.fetch_add(1, Ordering::Relaxed);
                async { "ok" }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let hook_url = format!("http://{}/hook", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, receiver).await });
    http.post(format!("{base}/api/orgs/{org}/webhooks"))
        .header("x-api-key", &key)
        .json(&serde_json::json!({"url": hook_url, "events": ["message.created"]}))
        .send()
        .await?
        .error_for_status()?;
    let delivery_start = Instant::now();
    let per_loop = args.deliveries / args.concurrency as u64;
    let stored = Arc::new(AtomicU64::new(0));
    let mut loops = Vec::new();
    for _ in 0..args.concurrency {
        let (http, url, key, body, stored) = (http.clone(), url.clone(), key.clone(), body.clone(), stored.clone());
        loops.push(tokio::spawn(async move {
            for _ in 0..per_loop {
                let sent = http
                    .post(&url)
                    .header("x-api-key", &key)
                    .header("content-type", "application/json")
                    .body(body.clone())
                    .send()
                    .await;
                match sent {
                    Ok(r) if r.status().as_u16() == 201 => {
                        stored.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(r) => println!("  phase 2 POST answered {}", r.status()),
                    Err(err) => println!("  phase 2 POST failed: {err}"),
                }
            }
        }));
    }
    for handle in loops {
        handle.await?;
    }
    let target = stored.load(Ordering::Relaxed);
    let delivery_deadline = Instant::now() + Duration::from_secs(120);
    while received.load(Ordering::Relaxed) < target && Instant::now() < delivery_deadline {
        peak_rss.fetch_max(rss_kib(hub.child.id()), Ordering::Relaxed);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let delivery_elapsed = delivery_start.elapsed();
    let delivered = received.load(Ordering::Relaxed);
    if delivered < target {
        report_undelivered(&http, &base, org, &key).await?;
    }

    println!(
        "jaibber-hub load test ({} cores, {} concurrent loops)",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        args.concurrency
    );
    println!(
        "  POST /messages (API key): {:.0} msg/s over {:.1} s, {} ok, {} errors",
        posted / elapsed.as_secs_f64(),
        elapsed.as_secs_f64(),
        latencies.len(),
        errors
    );
    println!(
        "  latency: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        percentile(&latencies, 0.50).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
        latencies.last().copied().unwrap_or_default().as_secs_f64() * 1e3
    );
    println!(
        "  webhook deliveries: {delivered}/{target} stored messages in {:.2} s = {:.0} deliveries/s (posting included)",
        delivery_elapsed.as_secs_f64(),
        delivered as f64 / delivery_elapsed.as_secs_f64()
    );
    println!(
        "  hub RSS: idle {:.1} MiB, peak under load {:.1} MiB",
        idle_rss as f64 / 1024.0,
        peak_rss.load(Ordering::Relaxed) as f64 / 1024.0
    );
    drop(hub);
    Ok(())
}

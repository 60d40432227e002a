//! Load test of the hub's realtime endpoint:
//! - fan-out: one publisher, `--subscribers` connections attached to the same channel;
//!   deliveries per second (messages × subscribers) and publish→deliver latency p50/p99;
//! - memory: the hub's RSS before and after `--idle` connections open and attach.
//!
//! ```sh
//! cargo build --release -p jaibber-hub
//! cargo run --release -p jaibber-hub --example realtime_load -- --subscribers 100 --messages 5000
//! ```
//!
//! The release `jaibber-hub` binary runs as its own process (so its RSS is its own), on
//! a loopback port with a temp data dir; the clients run here, on the same 2 cores.

// A command-line tool that prints its report.
#![allow(clippy::print_stdout, clippy::unwrap_used)]

mod common;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use bridge_core::ably::{Action, Format, MessageData, ProtocolMessage, WireMessage, codec};
use futures_util::{SinkExt as _, StreamExt as _};
use tokio_tungstenite::tungstenite::Message as Frame;

use common::{HubProcess, hub_binary, percentile};

#[derive(Debug, clap::Parser)]
struct Args {
    /// Subscribers of the fan-out phase.
    #[arg(long, default_value_t = 100)]
    subscribers: usize,
    /// Messages published in the fan-out phase.
    #[arg(long, default_value_t = 5_000)]
    messages: u64,
    /// Publishing connections (each stays under the hub's 2,000 frames/s inbound limit).
    #[arg(long, default_value_t = 4)]
    publishers: usize,
    /// Publishes in flight per publisher (awaiting ACK).
    #[arg(long, default_value_t = 32)]
    window: usize,
    /// Total publish rate, messages/s (0: as fast as ACKs allow).
    #[arg(long, default_value_t = 0)]
    rate: u64,
    /// Idle connections of the memory phase.
    #[arg(long, default_value_t = 1_000)]
    idle: usize,
    /// Idle connections only connect, without attaching.
    #[arg(long)]
    idle_unattached: bool,
    /// The hub binary (default: next to this example, in target/release).
    #[arg(long)]
    hub: Option<PathBuf>,
}

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn realtime_token(http: &reqwest::Client, base: &str, jwt: &str) -> anyhow::Result<String> {
    let request: serde_json::Value =
        http.post(format!("{base}/api/ably/token")).bearer_auth(jwt).send().await?.json().await?;
    let key = request["keyName"].as_str().context("keyName")?;
    let details: serde_json::Value =
        http.post(format!("{base}/keys/{key}/requestToken")).json(&request).send().await?.json().await?;
    details["token"].as_str().map(str::to_owned).context("token")
}

async fn open(base: &str, token: &str, channel: Option<&str>) -> anyhow::Result<Socket> {
    let url = format!("{}/?access_token={token}&format=msgpack&v=6&echo=false", base.replace("http://", "ws://"));
    let (mut socket, _) = tokio_tungstenite::connect_async_with_config(url, None, true).await?;
    loop {
        let frame = socket.next().await.context("closed")??;
        let Frame::Binary(bytes) = frame else { continue };
        let message = codec::decode(&bytes, Format::Msgpack)?;
        if message.action == Action::CONNECTED {
            let Some(channel) = channel else { return Ok(socket) };
            let attach = ProtocolMessage::on_channel(Action::ATTACH, channel);
            socket.send(Frame::Binary(codec::encode(&attach, Format::Msgpack)?.into())).await?;
        } else if message.action == Action::ATTACHED {
            return Ok(socket);
        } else if message.action == Action::ERROR {
            anyhow::bail!("refused: {:?}", message.error);
        }
    }
}

async fn publish(
    socket: Socket,
    channel: String,
    window: usize,
    count: u64,
    epoch: Instant,
    interval: Option<Duration>,
) -> anyhow::Result<()> {
    let mut ticker = interval.map(tokio::time::interval);
    let (mut sink, mut acks) = socket.split();
    let permits = Arc::new(tokio::sync::Semaphore::new(window));
    let ack_permits = permits.clone();
    let ack_reader = tokio::spawn(async move {
        while let Some(Ok(frame)) = acks.next().await {
            let Frame::Binary(bytes) = frame else { continue };
            if let Ok(frame) = codec::decode(&bytes, Format::Msgpack) {
                match frame.action {
                    Action::ACK => ack_permits.add_permits(frame.count.unwrap_or(1) as usize),
                    Action::NACK | Action::DISCONNECTED | Action::ERROR => {
                        eprintln!("publisher refused: {:?}", frame.error);
                        ack_permits.close();
                        return;
                    }
                    _ => {}
                }
            }
        }
    });
    for serial in 0..count {
        if let Some(ticker) = ticker.as_mut() {
            ticker.tick().await;
        }
        permits.acquire().await?.forget();
        let mut frame = ProtocolMessage::on_channel(Action::MESSAGE, channel.clone());
        frame.msg_serial = Some(serial);
        let sent = epoch.elapsed().as_micros().to_string();
        frame.messages = Some(vec![WireMessage {
            name: Some("message".into()),
            data: Some(MessageData::Text(sent)),
            ..WireMessage::default()
        }]);
        sink.send(Frame::Binary(codec::encode(&frame, Format::Msgpack)?.into())).await?;
    }
    let _ = permits.acquire_many(window as u32).await;
    ack_reader.abort();
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = <Args as clap::Parser>::parse();
    let bin = hub_binary(args.hub.clone())?;
    let connections = (args.idle + args.subscribers + 10).to_string();
    let hub = HubProcess::start(&bin, &["--realtime-max-connections", &connections]).await?;
    let http = reqwest::Client::new();
    let token = realtime_token(&http, &hub.base, &hub.token).await?;
    let channel = format!("jaibber:project:{}", hub.project);
    tokio::time::sleep(Duration::from_millis(300)).await;

    // Fan-out.
    let epoch = Instant::now();
    let delivered = Arc::new(AtomicU64::new(0));
    let expected = (args.messages / args.publishers as u64) * args.publishers as u64 * args.subscribers as u64;
    let mut readers = Vec::new();
    for _ in 0..args.subscribers {
        let mut socket = open(&hub.base, &token, Some(&channel)).await?;
        let delivered = delivered.clone();
        let messages = (args.messages / args.publishers as u64) * args.publishers as u64;
        readers.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(messages as usize);
            let mut seen = 0;
            while seen < messages {
                let bytes = match socket.next().await {
                    Some(Ok(Frame::Binary(bytes))) => bytes,
                    Some(Ok(_)) => continue, // pings
                    _ => break,
                };
                let Ok(frame) = codec::decode(&bytes, Format::Msgpack) else { continue };
                for message in frame.messages.unwrap_or_default() {
                    if let Some(MessageData::Text(sent)) = message.data {
                        let sent: u64 = sent.parse().unwrap_or(0);
                        latencies.push(epoch.elapsed().as_micros() as u64 - sent);
                        seen += 1;
                        delivered.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            latencies
        }));
    }
    let started = Instant::now();
    let mut publishers = Vec::new();
    let per_publisher = args.messages / args.publishers as u64;
    for _ in 0..args.publishers {
        // Publishers do not attach: publishing needs only the capability.
        let socket = open(&hub.base, &token, None).await?;
        let (channel, window) = (channel.clone(), args.window);
        let interval = (args.rate > 0).then(|| Duration::from_secs_f64(args.publishers as f64 / args.rate as f64));
        publishers.push(tokio::spawn(publish(socket, channel, window, per_publisher, epoch, interval)));
    }
    for publisher in publishers {
        publisher.await??;
    }
    let mut latencies = Vec::new();
    for reader in readers {
        latencies.extend(tokio::time::timeout(Duration::from_secs(120), reader).await??);
    }
    let elapsed = started.elapsed();
    latencies.sort_unstable();
    let total = delivered.load(Ordering::Relaxed);
    println!("fan-out: {} messages × {} subscribers", args.messages, args.subscribers);
    println!(
        "  delivered {total}/{expected} in {:.2} s = {:.0} deliveries/s",
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64()
    );
    println!(
        "  publish→deliver latency p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        percentile(&latencies, 0.50) as f64 / 1000.0,
        percentile(&latencies, 0.99) as f64 / 1000.0,
        latencies.last().copied().unwrap_or(0) as f64 / 1000.0
    );

    // Idle connections.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let before = hub.rss_kib();
    let mut idle = Vec::with_capacity(args.idle);
    for _ in 0..args.idle {
        let target = if args.idle_unattached { None } else { Some(channel.as_str()) };
        idle.push(open(&hub.base, &token, target).await?);
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let after = hub.rss_kib();
    println!(
        "idle: {} attached connections: hub RSS {:.1} MiB → {:.1} MiB, {:.1} KiB per connection",
        args.idle,
        before as f64 / 1024.0,
        after as f64 / 1024.0,
        (after.saturating_sub(before)) as f64 / args.idle as f64
    );
    drop(idle);
    Ok(())
}

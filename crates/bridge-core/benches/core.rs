//! Hot paths of bridge-core: webhook verification, envelope parsing, mention matching.
//!
//! Run with `cargo bench -p bridge-core --bench core`. Inputs are committed under
//! `benches/fixtures/`: a realistic ~1 KiB `message.created` delivery and a 4 KiB chat
//! message.

#![allow(missing_docs)]

use std::hint::black_box;

use bridge_core::model::WebhookEvent;
use bridge_core::routing::{MentionMatcher, mentions};
use bridge_core::signing::jaibber::JaibberSigner;
use bridge_core::signing::standard::{StandardHeaders, StandardSigner};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const BODY_1K: &[u8] = include_bytes!("fixtures/message-created-1k.json");
const MESSAGE_4K: &str = include_str!("fixtures/message-4k.txt");

fn signatures(c: &mut Criterion) {
    let signer = JaibberSigner::new("whsec_0123456789abcdef0123456789abcdef").expect("secret");
    let header = signer.sign(BODY_1K);
    let mut group = c.benchmark_group("signing");
    group.throughput(Throughput::Elements(1));
    group.bench_function("verify_jaibber_1k", |b| b.iter(|| signer.verify(black_box(BODY_1K), black_box(&header))));
    group.bench_function("sign_jaibber_1k", |b| b.iter(|| signer.sign(black_box(BODY_1K))));
    let standard = StandardSigner::from_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").expect("secret");
    let signature = standard.sign("msg_1", 1_700_000_000, BODY_1K);
    let headers = StandardHeaders { id: "msg_1", timestamp: "1700000000", signature: &signature };
    group.bench_function("verify_standard_1k", |b| {
        b.iter(|| standard.verify(black_box(&headers), black_box(BODY_1K), 1_700_000_000));
    });
    group.finish();
}

fn parsing(c: &mut Criterion) {
    let mut group = c.benchmark_group("parsing");
    group.throughput(Throughput::Bytes(BODY_1K.len() as u64));
    group.bench_function("parse_message_created", |b| b.iter(|| WebhookEvent::from_slice(black_box(BODY_1K))));
    group.finish();
}

fn mention_matching(c: &mut Criterion) {
    let mut group = c.benchmark_group("mentions");
    group.throughput(Throughput::Bytes(MESSAGE_4K.len() as u64));
    group.bench_function("mention_match_4k_hit", |b| b.iter(|| mentions(black_box(MESSAGE_4K), black_box("Reviewer"))));
    group.bench_function("mention_match_4k_miss", |b| b.iter(|| mentions(black_box(MESSAGE_4K), black_box("Coder"))));
    let matcher = MentionMatcher::new(["Coder", "Reviewer", "Testing Agent", "Deployer", "Docs"]);
    group.bench_function("mention_matcher_5_names_4k", |b| b.iter(|| matcher.mentioned_in(black_box(MESSAGE_4K))));
    group.finish();
}

criterion_group!(benches, signatures, parsing, mention_matching);
criterion_main!(benches);

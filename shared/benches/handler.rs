//! `make bench`: what the real-time events handler costs per request, next to the floor measured
//! in the same run: parsing the same body with serde_json plus one RS256 verification with
//! jsonwebtoken. Storage and bus are in-process ports here, so the figures are the service's own
//! CPU and memory cost, without the network round trips to DynamoDB and EventBridge.
//!
//! Prints time and bytes allocated per request, and their ratios to the floor.

use std::alloc::{GlobalAlloc, Layout, System};
use std::future::Future;
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use bytes::Bytes;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{json, Value};
use shared::app::App;
use shared::auth::keygen::{generate_rsa_keypair, sign_rs256};
use shared::bus::{BusEvent, EventPublisher, PublishError};
use shared::clock::now_secs;
use shared::store::memory::MemoryStore;

/// Counts every allocated byte, to report memory per request.
struct Counting;

static ALLOCATED: AtomicU64 = AtomicU64::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATED.fetch_add(layout.size() as u64, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATED.fetch_add(new_size as u64, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// A bus that drops what it is given: publication cost without growing memory.
struct DiscardBus;

impl EventPublisher for DiscardBus {
    async fn publish(&self, events: Vec<BusEvent>) -> Result<(), PublishError> {
        black_box(events);
        Ok(())
    }
}

/// Runs a future that never waits (in-process ports) to completion without a runtime.
fn ready<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("in-process ports never wait"),
    }
}

struct Measure {
    nanos: f64,
    bytes: f64,
}

/// Median time and allocated bytes per call of `handler` and of `floor`, measured in turns of
/// 20 ms each (31 turns apiece), so that a busy moment of the shared machine weighs on both.
fn measure_pair(mut handler: impl FnMut(), mut floor: impl FnMut()) -> (Measure, Measure) {
    for _ in 0..200 {
        handler();
        floor();
    }
    let turn = |f: &mut dyn FnMut()| {
        let before = ALLOCATED.load(Ordering::Relaxed);
        let start = Instant::now();
        let mut n = 0u64;
        while start.elapsed() < Duration::from_millis(20) {
            f();
            n += 1;
        }
        let nanos = start.elapsed().as_nanos() as f64 / n as f64;
        let bytes = (ALLOCATED.load(Ordering::Relaxed) - before) as f64 / n as f64;
        (nanos, bytes)
    };
    let (mut handlers, mut floors): (Vec<_>, Vec<_>) = (0..31)
        .map(|_| (turn(&mut handler), turn(&mut floor)))
        .unzip();
    let median = |turns: &mut Vec<(f64, f64)>| {
        turns.sort_by(|a, b| a.0.total_cmp(&b.0));
        let (nanos, bytes) = turns[turns.len() / 2];
        Measure { nanos, bytes }
    };
    (median(&mut handlers), median(&mut floors))
}

fn body(events: usize) -> String {
    let events: Vec<Value> = (0..events)
        .map(|i| match i % 2 {
            0 => json!({"type": "IntelligenceSignal__Category", "value": "CustomerAngry", "startTime": 1_795_276_812_345u64 + i as u64,
                        "score": 980, "participant": "CUSTOMER", "details": {"BeginOffsetMillis": 11000, "EndOffsetMillis": 14250}}),
            _ => json!({"type": "IntelligenceSignal__Sentiment", "value": "-512.5", "startTime": 1_795_276_812_345u64 + i as u64,
                        "participant": "CUSTOMER"}),
        })
        .collect();
    json!({"service": "AmazonConnectContactLens", "events": events}).to_string()
}

fn main() {
    let pair = generate_rsa_keypair();
    let registry = json!({"keys": [{"orgId": "00DHs00000Kmpyr", "subject": "scv4cc1",
        "publicKey": pair.public_spki_pem, "permissions": ["events:write"]}]});
    // The tenant directory in memory: after the first request, the tenant is a cache hit, as
    // for a warm function.
    let tenants =
        shared::tenants::of_documents(&registry.to_string(), r#"{"categories":[]}"#, None)
            .expect("registry");
    let now = now_secs();
    // No jti: the bench replays one token; replay protection is a DynamoDB call in production.
    let token = sign_rs256(
        &pair.private_pkcs8_pem,
        &json!({"iss": "00DHs00000Kmpyr", "sub": "scv4cc1", "iat": now, "exp": now + 3600}),
    )
    .expect("token");
    let authorization = format!("Bearer {token}");
    let app = App::with_ports(tenants, MemoryStore::new(90), DiscardBus);
    let floor_key =
        DecodingKey::from_rsa_pem(pair.public_spki_pem.as_bytes()).expect("decoding key");
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_required_spec_claims(&["exp", "iat", "iss", "sub"]);

    println!(
        "real-time events handler vs floor (serde_json parse + one RS256 verify), per request"
    );
    println!(
        "{:>7} {:>12} {:>12} {:>7} {:>12} {:>12} {:>7}",
        "events", "handler", "floor", "ratio", "handler B", "floor B", "ratio"
    );
    for events in [1, 25] {
        let body = Bytes::from(body(events));
        let request = || {
            http::Request::builder()
                .method("POST")
                .uri("/telephony/v1/voiceCalls/5324881f-1e84-4367-8930-f69a74b30ca6/realtimeConversationEvents")
                .header("authorization", &authorization)
                .header("content-type", "application/json")
                .header("telephony-provider-name", "amazon-connect")
                .body(body.clone())
                .expect("request")
        };
        let answer = ready(shared::telephony::handle(&app, request()));
        assert_eq!(answer.status(), 202, "{:?}", answer.body());

        let (handler, floor) = measure_pair(
            || {
                black_box(ready(shared::telephony::handle(&app, request())));
            },
            || {
                let parsed: Value = serde_json::from_slice(black_box(&body)).expect("json");
                black_box(parsed);
                black_box(
                    jsonwebtoken::decode::<Value>(black_box(&token), &floor_key, &validation)
                        .expect("verifies"),
                );
            },
        );
        println!(
            "{events:>7} {:>10.1}µs {:>10.1}µs {:>6.2}× {:>11.0}B {:>11.0}B {:>6.2}×",
            handler.nanos / 1000.0,
            floor.nanos / 1000.0,
            handler.nanos / floor.nanos,
            handler.bytes,
            floor.bytes,
            handler.bytes / floor.bytes,
        );
    }
}

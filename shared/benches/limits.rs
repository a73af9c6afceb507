//! `make bench`: the real-time events handler with request limits on (CONTRACT §9) as a ratio
//! to the same handler with them off, measured in turns in the same run. Both on in-process
//! ports; the limits' buckets in memory, so this is the limiter's own CPU and memory cost per
//! request (a lease hit, and a take per lease), not DynamoDB's round trip, which a lease makes
//! once per `n` requests (local-server/tests/limits.rs counts those).

use std::alloc::{GlobalAlloc, Layout, System};
use std::future::Future;
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde_json::{json, Value};
use shared::app::App;
use shared::auth::keygen::{generate_rsa_keypair, sign_rs256};
use shared::bus::{BusEvent, EventPublisher, PublishError};
use shared::clock::now_secs;
use shared::limits::memory::MemoryBuckets;
use shared::limits::{Buckets, Limiter};
use shared::store::memory::MemoryStore;
use shared::tenants::record::Limits;

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
        .map(|i| json!({"type": "IntelligenceSignal__Category", "value": "CustomerAngry", "startTime": 1_795_276_812_345u64 + i as u64,
                        "score": 980, "participant": "CUSTOMER"}))
        .collect();
    json!({"service": "AmazonConnectContactLens", "events": events}).to_string()
}

fn main() {
    let pair = generate_rsa_keypair();
    let registry = json!({"keys": [{"orgId": "00DHs00000Kmpyr", "subject": "scv4cc1",
        "publicKey": pair.public_spki_pem, "permissions": ["events:write"]}]});
    let tenants = || {
        shared::tenants::of_documents(&registry.to_string(), r#"{"categories":[]}"#, None)
            .expect("registry")
    };
    let now = now_secs();
    let token = sign_rs256(
        &pair.private_pkcs8_pem,
        &json!({"iss": "00DHs00000Kmpyr", "sub": "scv4cc1", "iat": now, "exp": now + 3600}),
    )
    .expect("token");
    let authorization = format!("Bearer {token}");
    let off = App::with_ports(tenants(), MemoryStore::new(90), DiscardBus);
    // A stack default far above what one process can send, so nothing is refused and every
    // request goes through the limiter: leases of the largest size, a take per lease.
    let buckets = Arc::new(MemoryBuckets::new());
    let limiter = Limiter::new(
        buckets.clone(),
        Some(Limits {
            requests_per_second: 10_000_000.0,
            burst: 1_000_000,
        }),
    );
    let on = App::with_ports(
        tenants().limited_by(limiter),
        MemoryStore::new(90),
        DiscardBus,
    );

    println!("real-time events handler, request limits on vs off, per request");
    println!(
        "{:>7} {:>12} {:>12} {:>7} {:>12} {:>12} {:>7}",
        "events", "limits on", "off", "ratio", "on B", "off B", "ratio"
    );
    for events in [1, 25] {
        let body = Bytes::from(body(events));
        let request = || {
            http::Request::builder()
                .method("POST")
                .uri("/telephony/v1/voiceCalls/5324881f-1e84-4367-8930-f69a74b30ca6/realtimeConversationEvents")
                .header("authorization", &authorization)
                .header("content-type", "application/json")
                .body(body.clone())
                .expect("request")
        };
        for app in [&on, &off] {
            let answer = ready(shared::telephony::handle(app, request()));
            assert_eq!(answer.status(), 202, "{:?}", answer.body());
        }
        let (with, without) = measure_pair(
            || {
                black_box(ready(shared::telephony::handle(&on, request())));
            },
            || {
                black_box(ready(shared::telephony::handle(&off, request())));
            },
        );
        println!(
            "{events:>7} {:>10.1}µs {:>10.1}µs {:>6.2}× {:>11.0}B {:>11.0}B {:>6.2}×",
            with.nanos / 1000.0,
            without.nanos / 1000.0,
            with.nanos / without.nanos,
            with.bytes,
            without.bytes,
            with.bytes / without.bytes,
        );
    }
    println!("bucket takes: {}", buckets.requests());
}

//! `make bench`: what redaction (CONTRACT §8) adds to a request, next to the same request of a
//! tenant without redaction, measured in the same run with the same ports (storage and bus in
//! process, so the ratio is of the service's own CPU cost; in AWS the DynamoDB and EventBridge
//! round trips make it smaller still):
//!
//! * the 25-event real-time request, each event with Contact Lens-like `details` strings;
//! * a bulk transcript request of 100 entries;
//!
//! both with one entry in four holding a card number, an SSN, an email or a phone number. Also
//! the scan's own throughput on a 32 KiB transcript entry (the largest accepted).

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
use shared::auth::KeyRegistry;
use shared::bus::{BusEvent, EventPublisher, PublishError};
use shared::clock::now_secs;
use shared::redaction::{Entity, Mask, Redactor};
use shared::store::memory::MemoryStore;
use shared::tenants::memory::MemoryTenants;
use shared::tenants::record::{Redaction, RedactionMode};
use shared::tenants::{import, Tenants};

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

const ORG: &str = "00DHs00000Kmpyr";
const KEY: &str = "5324881f-1e84-4367-8930-f69a74b30ca6";

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

/// Median time and allocated bytes per call of `with` and of `without`, measured in turns of
/// 20 ms each (31 turns apiece), so that a busy moment of the shared machine weighs on both.
fn measure_pair(mut with: impl FnMut(), mut without: impl FnMut()) -> (Measure, Measure) {
    for _ in 0..200 {
        with();
        without();
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
    let (mut withs, mut withouts): (Vec<_>, Vec<_>) = (0..31)
        .map(|_| (turn(&mut with), turn(&mut without)))
        .unzip();
    let median = |turns: &mut Vec<(f64, f64)>| {
        turns.sort_by(|a, b| a.0.total_cmp(&b.0));
        let (nanos, bytes) = turns[turns.len() / 2];
        Measure { nanos, bytes }
    };
    (median(&mut withs), median(&mut withouts))
}

/// What callers say: most lines ordinary, one in four with something to mask.
fn line(i: usize) -> String {
    match i % 8 {
        0 => "my card number is 4111 1111 1111 1111 and it expires in twelve".into(),
        2 => "sure, my email is jane.doe@example.com, or call 555-201-7788".into(),
        4 => "the social is one two three four five six seven eight nine".into(),
        6 => "and the order number was 1234 5678 9012 3456, placed on Monday".into(),
        _ => format!(
            "I have been waiting {i} days for the router and nobody called me back about it"
        ),
    }
}

fn realtime_body() -> String {
    let events: Vec<Value> = (0..25)
        .map(|i| {
            json!({"type": "IntelligenceSignal__Category", "value": "CustomerAngry",
                   "startTime": 1_795_276_812_345u64 + i as u64, "score": 980, "participant": "CUSTOMER",
                   "details": {"BeginOffsetMillis": 11000, "EndOffsetMillis": 14250,
                               "Transcript": line(i), "MatchedKeywords": ["cancel", "refund"]}})
        })
        .collect();
    json!({"service": "AmazonConnectContactLens", "events": events}).to_string()
}

fn bulk_body() -> String {
    let messages: Vec<Value> = (0..100)
        .map(|i| {
            json!({"messageId": format!("m-{i}"), "startTime": 1_795_449_600_000u64 + i as u64 * 4000,
                   "endTime": 1_795_449_603_000u64 + i as u64 * 4000, "content": line(i),
                   "senderType": if i % 2 == 0 { "END_USER" } else { "HUMAN_AGENT" },
                   "participantId": if i % 2 == 0 { "+15550199" } else { "agent-1" }})
        })
        .collect();
    json!({"entries": [{"vendorCallKey": KEY, "messages": messages}]}).to_string()
}

/// A tenant directory in memory holding `ORG` with `redaction`.
fn tenants(public_key: &str, redaction: Option<Redaction>) -> Tenants {
    let registry = json!({"keys": [{"orgId": ORG, "subject": "scv4cc1",
        "publicKey": public_key, "permissions": ["events:write"]}]});
    let registry = KeyRegistry::from_json(&registry.to_string()).expect("registry");
    let mut records = import::records(
        &registry,
        r#"{"categories":[]}"#,
        None,
        "2026-12-03T00:00:00Z",
    )
    .expect("records");
    for record in &mut records {
        record.redaction = redaction.clone();
    }
    Tenants::new(Arc::new(MemoryTenants::with_records(records)), None)
}

fn main() {
    let pair = generate_rsa_keypair();
    let now = now_secs();
    // No jti: the bench replays one token; replay protection is a DynamoDB call in production.
    let token = sign_rs256(
        &pair.private_pkcs8_pem,
        &json!({"iss": ORG, "sub": "scv4cc1", "iat": now, "exp": now + 3600}),
    )
    .expect("token");
    let authorization = format!("Bearer {token}");
    let all = Redaction {
        entities: Entity::ALL.iter().map(|e| e.name().to_owned()).collect(),
        mode: RedactionMode::EntityType,
    };
    let redacting = App::with_ports(
        tenants(&pair.public_spki_pem, Some(all)),
        MemoryStore::new(90),
        DiscardBus,
    );
    let plain = App::with_ports(
        tenants(&pair.public_spki_pem, None),
        MemoryStore::new(90),
        DiscardBus,
    );

    println!("redaction on (all four entities) vs off, per request, same body and ports");
    println!(
        "{:>22} {:>12} {:>12} {:>7} {:>12} {:>12} {:>7}",
        "request", "redacted", "plain", "ratio", "redacted B", "plain B", "ratio"
    );
    let cases = [
        (
            "25 real-time events",
            format!("/telephony/v1/voiceCalls/{KEY}/realtimeConversationEvents"),
            realtime_body(),
        ),
        (
            "100-entry transcript",
            "/telephony/v1/voiceCalls/messages".to_owned(),
            bulk_body(),
        ),
    ];
    for (name, path, body) in cases {
        let body = Bytes::from(body);
        let request = || {
            http::Request::builder()
                .method("POST")
                .uri(path.as_str())
                .header("authorization", &authorization)
                .header("content-type", "application/json")
                .header("telephony-provider-name", "amazon-connect")
                .body(body.clone())
                .expect("request")
        };
        for app in [&redacting, &plain] {
            let answer = ready(shared::telephony::handle(app, request()));
            assert_eq!(answer.status(), 202, "{:?}", answer.body());
        }
        let (with, without) = measure_pair(
            || {
                black_box(ready(shared::telephony::handle(&redacting, request())));
            },
            || {
                black_box(ready(shared::telephony::handle(&plain, request())));
            },
        );
        println!(
            "{name:>22} {:>10.1}µs {:>10.1}µs {:>6.2}× {:>11.0}B {:>11.0}B {:>6.2}×",
            with.nanos / 1000.0,
            without.nanos / 1000.0,
            with.nanos / without.nanos,
            with.bytes,
            without.bytes,
            with.bytes / without.bytes,
        );
    }

    // The scan alone on the largest entry accepted, against copying it (the floor of any pass).
    let redactor = Redactor::new(Entity::ALL, Mask::EntityType);
    let mut text = String::new();
    let mut i = 0;
    while text.len() < 32 * 1024 - 100 {
        text.push_str(&line(i));
        text.push_str(". ");
        i += 1;
    }
    let (scan, copy) = measure_pair(
        || {
            black_box(redactor.text(black_box(&text)));
        },
        || {
            black_box(black_box(&text).to_lowercase());
        },
    );
    println!(
        "32 KiB entry: scan {:.1}µs ({:.0} MB/s), lower-casing it {:.1}µs: {:.2}×",
        scan.nanos / 1000.0,
        text.len() as f64 / scan.nanos * 1000.0,
        copy.nanos / 1000.0,
        scan.nanos / copy.nanos,
    );
}

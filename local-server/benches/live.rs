//! `make bench`: the live channel's push latency on the local server — from a write's `202` to
//! the message arriving at each subscriber, p50 and p99, with 1, 100 and 1,000 WebSocket
//! subscribers on one conversation (moto behind the server, as in the tests) — and the AWS calls
//! the delivery function makes per delivered event (against the management API stand-in).

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use shared::bus::BusEvent;
use shared::live::{ApiGatewayConnections, Subscription, Subscriptions};
use shared::model::{ConversationKey, OrgId};
use testkit::keys::Signer;
use testkit::live::{LiveClient, Received};
use testkit::management_api::ManagementApi;
use testkit::realtime::{body_of, category, events_path, fresh_key, JSON};
use testkit::telephony::inbound_call;
use testkit::{Fixture, ORG_A};
use tokio::sync::mpsc;

/// The aim: p99 ≤ 50 ms with 100 subscribers.
const AIM_P99: Duration = Duration::from_millis(50);

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

async fn push_latency(
    fx: &Fixture,
    subscribers: usize,
    writes: usize,
) -> (Duration, Duration, usize) {
    let key = fresh_key();
    fx.record_call(Signer::Writer, &inbound_call(&key)).await;
    let token = fx.keys.token(Signer::Reader);
    let (arrivals, mut arrived) = mpsc::unbounded_channel::<(usize, Instant)>();
    for _ in 0..subscribers {
        let mut client = LiveClient::connect(fx).await;
        client.subscribed(&token, &key).await;
        let arrivals = arrivals.clone();
        tokio::spawn(async move {
            // Long enough to outlast subscribing every other client (on moto, ~0.15 s each: a
            // reader that gave up earlier would close its connection and drop its subscription).
            while let Received::Message(m) = client.next(Duration::from_secs(900)).await {
                let at = Instant::now();
                if let Some(i) = m["value"].as_str().and_then(|v| v.strip_prefix('w')) {
                    let _ = arrivals.send((i.parse().expect("index"), at));
                }
            }
        });
    }
    let query = Instant::now();
    let found = fx
        .app
        .live
        .app
        .subscriptions
        .subscribers(&OrgId::new(ORG_A), &ConversationKey::stored(key.clone()))
        .await
        .expect("query");
    assert_eq!(found.len(), subscribers);
    println!(
        "  (the subscriber Query on moto, {subscribers} items: {:.1} ms)",
        query.elapsed().as_secs_f64() * 1e3
    );
    let mut latencies = Vec::with_capacity(subscribers * writes);
    let mut before_2xx = 0;
    for i in 0..writes {
        // Writer tokens carry a fresh jti: one per request.
        let writer = fx.keys.token(Signer::Writer);
        let body = body_of(vec![category(&format!("w{i}"), 1_795_449_600 + i as u64)]);
        let answer = fx
            .post(
                &events_path(&key),
                Some(JSON),
                body.to_string(),
                Some(&writer),
            )
            .await;
        let answered = Instant::now();
        assert_eq!(answer.status, 202, "{}", answer.body);
        for _ in 0..subscribers {
            let (index, at) = tokio::time::timeout(Duration::from_secs(30), arrived.recv())
                .await
                .expect("every subscriber receives the write")
                .expect("subscribers run");
            assert_eq!(index, i, "in order");
            // A message may arrive before the writer has read its answer: latency 0.
            if at < answered {
                before_2xx += 1;
            }
            latencies.push(at.saturating_duration_since(answered));
        }
    }
    latencies.sort();
    (
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        before_2xx,
    )
}

/// The delivery function's calls for one event with `subscribers` subscribers: what
/// live-deliver does per invocation, through the same adapters, against moto and the stand-in.
async fn calls_per_event(
    fx: &Fixture,
    api: &ManagementApi,
    subscribers: usize,
) -> (usize, usize, Duration) {
    let key = fresh_key();
    let org = OrgId::new(ORG_A);
    let conversation = ConversationKey::stored(key.clone());
    let store = &fx.app.live.app.subscriptions;
    for n in 0..subscribers {
        store
            .subscribe(Subscription {
                org: &org,
                conversation: &conversation,
                record_id: &key,
                connection: &format!("c{n}"),
                now: shared::clock::now_secs(),
            })
            .await
            .expect("subscribed");
    }
    let connections = ApiGatewayConnections::new(&fx.sdk, &api.url);
    let detail = json!({"tenant": ORG_A, "conversationKey": key, "type": "IntelligenceSignal__Category", "value": "x"});
    let event = BusEvent::new(shared::bus::SIGNAL_DETAIL_TYPE, &detail).expect("event");
    let started = Instant::now();
    let delivery = shared::live::deliver(store, &connections, &[event])
        .await
        .expect("delivered");
    let took = started.elapsed();
    assert_eq!(delivery.delivered, subscribers);
    (delivery.queries + delivery.posts, delivery.delivered, took)
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let fx = Arc::new(Fixture::new().await);
    println!("live push latency, local server (from the write's 202 to the subscriber's message):");
    println!(
        "{:>12} {:>8} {:>10} {:>10} {:>12}",
        "subscribers", "writes", "p50", "p99", "before 2xx"
    );
    let mut p99_at_100 = Duration::ZERO;
    for (subscribers, writes) in [(1, 200), (100, 50), (1000, 10)] {
        let (p50, p99, early) = push_latency(&fx, subscribers, writes).await;
        if subscribers == 100 {
            p99_at_100 = p99;
        }
        println!(
            "{subscribers:>12} {writes:>8} {:>8.2}ms {:>8.2}ms {:>11.1}%",
            p50.as_secs_f64() * 1e3,
            p99.as_secs_f64() * 1e3,
            early as f64 * 100.0 / (subscribers * writes) as f64
        );
    }
    println!(
        "p99 with 100 subscribers: {:.2} ms, {:.2}× the 50 ms aim ({})",
        p99_at_100.as_secs_f64() * 1e3,
        p99_at_100.as_secs_f64() / AIM_P99.as_secs_f64(),
        if p99_at_100 <= AIM_P99 {
            "met"
        } else {
            "NOT met"
        }
    );

    let api = ManagementApi::start().await;
    println!("\nlive-deliver AWS calls per event (1 Query + 1 PostToConnection per subscriber):");
    for subscribers in [1, 100, 1000] {
        let (calls, delivered, took) = calls_per_event(&fx, &api, subscribers).await;
        println!(
            "{subscribers:>12} subscribers: {calls} calls, {:.3} per delivered message ({:.1} ms)",
            calls as f64 / delivered as f64,
            took.as_secs_f64() * 1e3
        );
    }
}
